"""For test suites: ``assert_masks_ok(model)`` fails with graphmask's findings as the message."""

from __future__ import annotations

from typing import Any

from graphmask.diagnostics import Severity


def assert_masks_ok(model: Any, *, ignore: str | list[str] | None = None, select: str | list[str] | None = None,
                    strict: bool = True) -> None:
    """Raise ``AssertionError`` when checking ``model`` (a ``keras.Model``, a ``Spec`` or a path) finds anything
    at warning level or above (errors only with ``strict=False``); ``ignore``/``select`` as for ``check``."""
    import graphmask
    from graphmask.report.text import diagnostic_line

    found = graphmask.check(model, select=select, ignore=ignore)
    floor = Severity.WARNING.rank if strict else Severity.ERROR.rank
    failing = [d for d in found if d.severity.rank >= floor]
    if failing:
        lines = [diagnostic_line(d) + (f"\n    mask path: {' -> '.join(d.path)}" if d.path else "") for d in failing]
        raise AssertionError(f"graphmask found {len(failing)} mask problem(s):\n" + "\n".join(lines))
