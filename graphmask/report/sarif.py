"""``--format sarif``: SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

Rule metadata (descriptions, help with examples, default level) comes from
``RULES``; every rule is listed so viewers can show help for any code. File
URIs are relative to the working directory (``%SRCROOT%``) when the file is
under it, absolute ``file:`` URIs otherwise. Output is validated against the
official 2.1.0 schema in tests/test_formats.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

from graphmask.result import CheckResult
from graphmask.diagnostics import RULES, Diagnostic, Rule
from graphmask.report.rules import paragraph, rule_markdown, rule_text
from graphmask.report.text import message_with_hint

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
SRCROOT = "%SRCROOT%"


def format_sarif(results: list[CheckResult]) -> str:
    from graphmask import __version__

    rule_index = {code: i for i, code in enumerate(RULES)}
    cwd = Path.cwd()
    run = {
        "tool": {"driver": {
            "name": "graphmask",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": "https://pypi.org/project/graphmask/",
            "rules": [_rule(rule) for rule in RULES.values()],
        }},
        "originalUriBaseIds": {SRCROOT: {"uri": cwd.as_uri() + "/"}},
        "artifacts": [{"location": _location(r.file, cwd)} for r in results],
        "results": [_result(d, rule_index, cwd) for r in results for d in r.diagnostics],
        "columnKind": "unicodeCodePoints",  # PyYAML columns count characters
    }
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _rule(rule: Rule) -> dict:
    return {
        "id": rule.code,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": paragraph(rule.explanation) or rule.summary},
        "help": {"text": rule_text(rule), "markdown": rule_markdown(rule, heading_level=2)},
        "defaultConfiguration": {"level": LEVELS[rule.severity.value]},
        "properties": {"tags": ["graphmask", _family(rule.code)]},
    }


def _family(code: str) -> str:
    return {"1": "spec", "2": "masks", "3": "shapes", "4": "gpu", "9": "suppressions"}.get(code[2], "internal")


def _location(file: str, cwd: Path) -> dict:
    if file.startswith("<"):  # "<string>": text checked without a file
        return {"uri": quote(file)}
    path = Path(os.path.abspath(file))
    try:
        relative = path.relative_to(cwd)
    except ValueError:
        return {"uri": path.as_uri()}
    return {"uri": quote(relative.as_posix()), "uriBaseId": SRCROOT}


def _result(d: Diagnostic, rule_index: dict[str, int], cwd: Path) -> dict:
    physical: dict = {"artifactLocation": _location(d.file, cwd)}
    if d.line > 0:  # line 0 is "the whole file": no region
        physical["region"] = {"startLine": d.line, **({"startColumn": d.column} if d.column > 0 else {})}
    result = {
        "ruleId": d.code,
        "ruleIndex": rule_index[d.code],
        "level": LEVELS[d.severity.value],
        "message": {"text": message_with_hint(d)},
        "locations": [{"physicalLocation": physical}],
    }
    if d.node:
        result["properties"] = {"node": d.node, **({"maskPath": list(d.path)} if d.path else {})}
    return result
