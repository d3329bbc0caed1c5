"""``explain``: the per-node mask facts of a spec, for people and tools."""

from __future__ import annotations

import os

from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.masks import infer_masks
from graphmask.checker import check_path, check_spec
from graphmask.errors import ExplainError
from graphmask.spec import Spec


def explain(spec_or_path: Spec | str | os.PathLike) -> MaskFlow:
    """Infer the mask flow of a spec; ``MaskFlow.to_dict()`` is the JSON form."""
    result = check_spec(spec_or_path) if isinstance(spec_or_path, Spec) else check_path(spec_or_path)
    if result.graph is None or not result.graph.acyclic:
        raise ExplainError(result.diagnostics)
    return infer_masks(result.graph)
