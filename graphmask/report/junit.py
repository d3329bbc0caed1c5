"""``--format junit``: JUnit XML, one test case per spec file.

A file with errors is a failed test case (an internal error, GM000, is an
``<error>``); warnings and infos are listed in ``<system-out>`` without
failing it. Test cases come in input order, so the output is stable.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from graphmask import codes
from graphmask.result import CheckResult
from graphmask.diagnostics import Severity
from graphmask.report.text import diagnostic_line

# Characters XML 1.0 cannot carry at all; a hostile spec could put them in a message.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _detail(diagnostics) -> str:
    lines = []
    for d in diagnostics:
        lines.append(diagnostic_line(d))
        if d.hint:
            lines.append(f"    hint: {d.hint}")
    return _clean("\n".join(lines))


def format_junit(results: list[CheckResult]) -> str:
    failures = errors = 0
    suite = ET.Element("testsuite", name="graphmask check")
    for result in results:
        case = ET.SubElement(suite, "testcase", classname="graphmask", name=_clean(result.file), file=_clean(result.file))
        bad = [d for d in result.diagnostics if d.severity is Severity.ERROR]
        internal = [d for d in bad if d.code == codes.GM000]
        if internal:
            errors += 1
            element = ET.SubElement(case, "error", type=codes.GM000.code, message=_clean(internal[0].message))
            element.text = _detail(bad)
        elif bad:
            failures += 1
            noun = "error" if len(bad) == 1 else "errors"
            element = ET.SubElement(case, "failure", type=bad[0].code,
                                    message=_clean(f"{len(bad)} {noun}: {bad[0].code} {bad[0].message}"))
            element.text = _detail(bad)
        others = [d for d in result.diagnostics if d.severity is not Severity.ERROR]
        if others:
            ET.SubElement(case, "system-out").text = _detail(others)
    counts = {"tests": str(len(results)), "failures": str(failures), "errors": str(errors), "skipped": "0"}
    suite.attrib.update(counts)
    root = ET.Element("testsuites", name="graphmask", **counts)
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
