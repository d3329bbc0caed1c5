"""GM302: merged shapes that cannot be combined (element-wise, or outside the concatenation axis)."""

from __future__ import annotations

from typing import Iterator

from graphmask import codes
from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.rules.common import at_node
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph

CODE = codes.GM302


def check(g: SpecGraph, flow: MaskFlow) -> Iterator[Diagnostic]:
    for node in flow.layers():
        if node.info.category != "merge":
            continue
        problem = node.info.shape.merge_conflict([node.inputs[i].shape for i in node.first_arg], node.args)
        if problem:
            yield at_node(g, CODE, f"`{node.id}` ({node.type}): {problem}", node.id)
