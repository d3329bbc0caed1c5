"""``explain``: the per-node mask facts of a spec, for people and tools."""

from __future__ import annotations

import os
from typing import Any

from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.masks import infer_masks
from graphmask.errors import ExplainError
from graphmask.spec import Spec


def explain(model: Spec | str | os.PathLike | Any) -> MaskFlow:
    """Infer the mask flow of a spec, a spec / ``.keras`` / JSON path, or a live ``keras.Model``;
    ``MaskFlow.to_dict()`` is the JSON form."""
    from graphmask.live import check_any

    result = check_any(model, "explain")
    if result.graph is None or not result.graph.acyclic:
        raise ExplainError(result.diagnostics)
    return infer_masks(result.graph)
