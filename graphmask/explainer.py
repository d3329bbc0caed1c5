"""``explain``: the per-node mask facts of a spec, for people and tools."""

from __future__ import annotations

import os
from typing import Any

from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.masks import infer_masks
from graphmask.diagnostics import Diagnostic, Severity
from graphmask.spec import Spec


class ExplainError(ValueError):
    """The spec is too broken to explain (e.g. it does not load, or has a cycle)."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.severity is Severity.ERROR]
        first = errors[0] if errors else None
        super().__init__(f"{first.file}:{first.line}:{first.column}: {first.code} {first.message}"
                         if first else "spec cannot be explained")


def explain(model: Spec | str | os.PathLike | Any) -> MaskFlow:
    """Infer the mask flow of a spec, a spec / ``.keras`` / JSON path, or a live ``keras.Model``;
    ``MaskFlow.to_dict()`` is the JSON form."""
    from graphmask.live import check_any

    result = check_any(model, "explain")
    if result.graph is None or not result.graph.acyclic:
        raise ExplainError(result.diagnostics)
    return infer_masks(result.graph)
