"""graphmask: Keras model graphs as YAML, with a static mask-propagation checker.

The lint path (``load``, ``check``, ``explain``) never imports TensorFlow;
``compile`` imports it only when called.
"""

from __future__ import annotations

import os
from typing import Any

from graphmask.diagnostics import RULES, Diagnostic, Rule, Severity
from graphmask.spec import Spec

__version__ = "0.1.0"


class SpecError(ValueError):
    """A spec could not be loaded; ``diagnostics`` says why and where."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        first = diagnostics[0] if diagnostics else None
        where = f"{first.file}:{first.line}:{first.column}: " if first else ""
        super().__init__(f"{where}{first.code} {first.message}" if first else "invalid spec")


def load(path: str | os.PathLike) -> Spec:
    """Load and validate a spec file; raise ``SpecError`` if it is not valid."""
    from graphmask.spec import load_file

    result = load_file(path)
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    if result.spec is None or errors:
        raise SpecError(errors or result.diagnostics)
    return result.spec


def loads(text: str, file: str = "<string>") -> Spec:
    """Like ``load`` for spec text."""
    from graphmask.spec import load_text

    result = load_text(text, file)
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    if result.spec is None or errors:
        raise SpecError(errors or result.diagnostics)
    return result.spec


def check(model: Any, *, select: str | list[str] | None = None,
          ignore: str | list[str] | None = None, strict: bool = False) -> list[Diagnostic]:
    """Every diagnostic for a model, sorted by position: a ``Spec``, a path (spec, ``.keras`` or JSON
    config), or a live ``keras.Model``. The list shows itself in notebooks (the mask-flow picture).

    ``select``/``ignore`` take codes or prefixes (``"GM2,GM108"`` or a list), as
    ``graphmask check --select/--ignore`` do; ``strict`` reports warnings as errors.
    """
    from graphmask.live import check_any
    from graphmask.report.notebook import Diagnostics
    from graphmask.selection import Selection

    selection = Selection.from_options(select, ignore, strict)
    result = check_any(model, "check")
    return Diagnostics(selection.apply(result.diagnostics), result.graph)


def __getattr__(name: str) -> Any:
    # Heavy or optional parts are imported on first use only.
    if name == "compile":
        from graphmask.keras.compile import compile as compile_spec

        return compile_spec
    if name == "explain":
        from graphmask.explainer import explain

        return explain
    raise AttributeError(f"module 'graphmask' has no attribute {name!r}")


__all__ = ["RULES", "Diagnostic", "Rule", "Severity", "Spec", "SpecError", "check", "load", "loads"]
