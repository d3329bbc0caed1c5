"""graphmask: Keras model graphs as YAML, with a static mask-propagation checker.

The lint path (``load``, ``check``, ``explain``) never imports TensorFlow;
``compile`` imports it only when called.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from graphmask.analysis.masks import MaskFlow
    from graphmask.diagnostics import RULES, Diagnostic, Rule, Severity
    from graphmask.errors import ExplainError, GraphmaskError, SpecError
    from graphmask.spec import Spec
    from graphmask.spec.loader import load, loads

__version__ = "0.1.0"

# Public names -> the module that defines them, imported on first use: every
# `graphmask ...` command imports this package, and most need few of them
# (a cached `check` needs neither pydantic nor the checker).
from graphmask.lazy import lazy_names  # noqa: E402

_LAZY = {
    "RULES": "graphmask.diagnostics", "Diagnostic": "graphmask.diagnostics", "Rule": "graphmask.diagnostics",
    "Severity": "graphmask.diagnostics", "ExplainError": "graphmask.errors", "GraphmaskError": "graphmask.errors",
    "SpecError": "graphmask.errors", "Spec": "graphmask.spec.models", "load": "graphmask.spec.loader",
    "loads": "graphmask.spec.loader",
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())


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
    from graphmask.spec.models import Spec

    selection = Selection.from_options(select, ignore, strict)
    result = check_any(model, "check")
    return Diagnostics(selection.apply(result.diagnostics), result.graph)


def explain(model: Any) -> MaskFlow:
    """Infer the mask flow of a model (what ``check`` takes); ``MaskFlow.to_dict()`` is the JSON form,
    and it shows itself in notebooks. Raises ``ExplainError``."""
    from graphmask.explainer import explain as explain_model

    return explain_model(model)


def compile(spec_or_path: Spec | str | os.PathLike, *, allow_imports: Iterable[str] = (), force: bool = False,
            strategy: Any = None) -> Any:
    """The ``keras.Model`` for a spec (object or path); raises ``graphmask.keras.errors.CompileError``.

    Imports TensorFlow on the first call. ``allow_imports``: packages whose
    custom layers / Lambda functions may be imported. ``strategy``:
    ``"default"``, ``"mirrored"``, ``"multi-worker"`` or a
    ``tf.distribute.Strategy``; the model is built in its scope.
    """
    from graphmask.keras.compile import compile as compile_spec

    return compile_spec(spec_or_path, allow_imports=allow_imports, force=force, strategy=strategy)


__all__ = ["RULES", "Diagnostic", "ExplainError", "GraphmaskError", "Rule", "Severity", "Spec", "SpecError",
           "check", "compile", "explain", "load", "loads"]
