"""Human-readable output: ``path:line:col: CODE severity message`` lines and a summary.

That one-line form is always the first line of a diagnostic, so editors and
``grep`` can parse every mode. On a terminal (or with ``show_source``) the
offending source line follows with a caret under the column; colour is added
only when asked (the CLI asks on a TTY, or with ``--color always``).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from typing import Iterable

from graphmask.result import CheckResult
from graphmask.diagnostics import Diagnostic
from graphmask.report.printable import visible

# ANSI SGR codes; the plain text is identical with them stripped.
_RESET = "\033[0m"
_STYLES = {"error": "\033[1;31m", "warning": "\033[1;33m", "info": "\033[1;36m",
           "bold": "\033[1m", "dim": "\033[2m", "hint": "\033[36m"}
_MAX_SOURCE_WIDTH = 200
# The caret underlines the token at the column: a YAML key or plain scalar.
_TOKEN = re.compile(r"[^\s,:\[\]{}#]+")
# In a source excerpt, control characters other than tabs become "?", one for one, so the caret lines up.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def format_text(results: list[CheckResult], *, show_source: bool = False, color: bool = False) -> str:
    paint = _painter(color)
    lines = []
    for result in results:
        source = None
        if show_source and result.diagnostics:
            source = _SourceLines(result.file, max(d.line for d in result.diagnostics))
        for d in result.diagnostics:
            lines.append(diagnostic_line(d, paint))
            if source is not None:
                lines.extend(_excerpt(d, source, paint))
            if d.hint:
                lines.append(f"    {paint('hint', 'hint:')} {visible(d.hint)}")
            if d.path:  # mask findings: the route from the generator to where the mask is lost
                lines.append(f"    {paint('dim', 'mask path:')} {visible(mask_path(d.path))}")
    lines.append(paint("bold", summary(results)))
    return "\n".join(lines) + "\n"


def diagnostic_line(d: Diagnostic, paint=None) -> str:
    paint = paint or _painter(False)
    severity = d.severity.value
    return (f"{paint('bold', visible(f'{d.file}:{d.line}:{d.column}:'))} {paint(severity, d.code)} "
            f"{paint(severity, severity)} {visible(d.message)}")


def mask_path(path: tuple[str, ...], keep: int = 6) -> str:
    """``embed -> dense -> conv``, kept to one short line: long routes lose their middle."""
    if len(path) <= keep:
        return " -> ".join(path)
    head, tail = path[: keep // 2], path[-(keep - keep // 2):]
    return " -> ".join((*head, f"... ({len(path) - keep} more)", *tail))


def summary(results: list[CheckResult]) -> str:
    counted = severity_counts(d for r in results for d in r.diagnostics)
    files = len(results)
    noun = "file" if files == 1 else "files"
    if not counted:
        return f"All checks passed ({files} {noun})."
    return f"Found {counted} in {files} {noun}."


def severity_counts(diagnostics: Iterable[Diagnostic]) -> str:
    """``1 error, 2 warnings``; empty when there are none."""
    counts = Counter(d.severity.value for d in diagnostics)
    return ", ".join(f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}"
                     for s in ("error", "warning", "info") if counts[s])


def message_with_hint(d: Diagnostic) -> str:
    """The message, and the hint on a line of its own (formats with one text field per finding)."""
    return d.message + (f"\nhint: {d.hint}" if d.hint else "")


def _painter(color: bool):
    if not color:
        return lambda style, text: text
    return lambda style, text: f"{_STYLES[style]}{text}{_RESET}"


def _excerpt(d: Diagnostic, source: _SourceLines, paint) -> list[str]:
    """The source line and a caret line, gutter-aligned like rustc/ruff:

         11 |     type: Flaten
            |           ^^^^^^
    """
    text = source.line(d.line)
    if text is None:
        return []
    # one character for one, so the caret still lines up
    text = _CONTROL.sub("?", text[:_MAX_SOURCE_WIDTH])
    gutter = str(d.line)
    lines = [f"  {paint('dim', gutter + ' |')} {text}"]
    if 1 <= d.column <= len(text) + 1:
        start = d.column - 1
        token = _TOKEN.match(text, start)
        width = max(1, token.end() - start) if token else 1
        # Keep tabs so the caret lines up under the same character.
        pad = "".join(ch if ch == "\t" else " " for ch in text[:start])
        lines.append(f"  {paint('dim', ' ' * len(gutter) + ' |')} {pad}{paint(d.severity.value, '^' * width)}")
    return lines


class _SourceLines:
    """The first lines of one spec file, read once, only as far as the last diagnostic."""

    def __init__(self, file: str, upto: int):
        self._lines: list[str] = []
        if upto < 1:
            return
        try:
            with open(file, encoding="utf-8-sig", errors="replace") as f:
                self._lines = [line.rstrip("\r\n") for line in itertools.islice(f, upto)]
        except OSError:  # "<string>", a file removed since, a directory...
            pass

    def line(self, number: int) -> str | None:
        return self._lines[number - 1] if 1 <= number <= len(self._lines) else None


def strip_ansi(text: str) -> str:
    return re.sub(r"\033\[[0-9;]*m", "", text)

