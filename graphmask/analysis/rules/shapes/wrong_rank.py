"""GM301: a tensor of a rank the layer cannot take (the catalog's ``shape.input_rank``)."""

from __future__ import annotations

from typing import Iterator

from graphmask import codes
from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.rules.common import at_node
from graphmask.catalog.shapes import format_shape
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph

CODE = codes.GM301


def check(g: SpecGraph, flow: MaskFlow) -> Iterator[Diagnostic]:
    for node in flow.layers():
        required = node.info.shape.required_rank(node.inner)
        source = node.first_input
        if required is None or source is None or source.shape is None or len(source.shape) == required:
            continue
        yield at_node(g, CODE, f"`{node.id}` ({node.type}) needs input of rank {required} "
                      f"(batch, time, features), but `{node.node.bindings[node.first_arg[0]].ref}` has rank "
                      f"{len(source.shape)} {format_shape(source.shape)}", node.id)
