"""Human-readable ``path:line:col: CODE severity message`` lines and a summary."""

from __future__ import annotations

from collections import Counter

from graphmask.checker import CheckResult


def format_text(results: list[CheckResult]) -> str:
    lines = []
    for result in results:
        for d in result.diagnostics:
            lines.append(f"{d.file}:{d.line}:{d.column}: {d.code} {d.severity.value} {d.message}")
            if d.hint:
                lines.append(f"    hint: {d.hint}")
    lines.append(summary(results))
    return "\n".join(lines) + "\n"


def summary(results: list[CheckResult]) -> str:
    counts = Counter(d.severity.value for r in results for d in r.diagnostics)
    files = len(results)
    noun = "file" if files == 1 else "files"
    if not counts:
        return f"All checks passed ({files} {noun})."
    parts = [f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}" for s in ("error", "warning", "info") if counts[s]]
    return f"Found {', '.join(parts)} in {files} {noun}."
