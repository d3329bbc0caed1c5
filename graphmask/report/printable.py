"""Spec text made safe to print: the one escaping helper of the human formats.

A spec (or its file name) is untrusted text. Printed raw, a newline in a
layer type starts a new output line, which GitHub Actions runs as a workflow
command when it begins with ``::``; an ESC sequence rewrites or hides the
terminal's report. Every human format (the text report, the explain table,
graph labels) passes spec text through ``visible``.
"""

from __future__ import annotations

import re

# C0 (newline and tab included), DEL, C1, and the Unicode line/paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) <= 0xFF else f"\\u{ord(ch):04x}"


def visible(text: str) -> str:
    """``text`` with control characters written as escapes (``\\n``, ``\\x1b``, ``\\u2028``)."""
    return _CONTROL.sub(_escape, text)
