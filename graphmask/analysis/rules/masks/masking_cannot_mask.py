"""GM203: a generator that compares whole feature vectors (``Masking``) where that cannot give a timestep mask."""

from __future__ import annotations

from typing import Iterator

from graphmask import codes
from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.rules.common import at_node
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph

CODE = codes.GM203


def check(g: SpecGraph, flow: MaskFlow) -> Iterator[Diagnostic]:
    for node in flow.layers():
        generator = node.info.mask.facts.get("generator") or {}
        source = node.first_input
        if generator.get("compares") != "feature_vectors" or source is None:
            continue
        if source.from_embedding:
            why = ("it follows an Embedding: embedded vectors are never all equal to `mask_value`, "
                   "so nothing gets masked")
        elif source.int_ids:
            why = "its input is integer token ids; mask them with `Embedding(mask_zero=True)` instead"
        elif source.rank == 2:
            why = ("its input has rank 2 (batch, features): the mask it computes covers whole samples, "
                   "not timesteps")
        else:
            continue
        yield at_node(g, CODE, f"`{node.info.canonical}` layer `{node.id}` cannot produce the intended "
                      f"timestep mask: {why}", node.id)
