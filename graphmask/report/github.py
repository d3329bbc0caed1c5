"""``--format github``: GitHub Actions workflow commands, one per diagnostic.

``::error file=F,line=L,col=C,title=GM201::message`` makes GitHub annotate the
line in the pull request's diff. Severities map error -> ``::error``,
warning -> ``::warning``, info -> ``::notice``. Escaping follows the Actions
toolkit: in the message ``%``, ``\\r`` and ``\\n``; in properties also ``:``
and ``,``. Only workflow commands are printed (no summary line).
"""

from __future__ import annotations

import os

from graphmask.result import CheckResult
from graphmask.diagnostics import Diagnostic
from graphmask.report.text import message_with_hint

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(d: Diagnostic) -> str:
    properties = [("file", d.file.replace(os.sep, "/"))]
    if d.line > 0:  # line 0 means "the whole file": no position
        properties.append(("line", str(d.line)))
        if d.column > 0:
            properties.append(("col", str(d.column)))
    properties.append(("title", d.code))
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{COMMANDS[d.severity.value]} {rendered}::{escape_data(message_with_hint(d))}"


def format_github(results: list[CheckResult]) -> str:
    lines = [annotation(d) for r in results for d in r.diagnostics]
    return "".join(line + "\n" for line in lines)
