"""GM208: a layer that reads masks gets a masked input, but Keras's call-argument rule hands its call no mask."""

from __future__ import annotations

from typing import Iterator

from graphmask import codes
from graphmask.analysis.built_graph import parameters
from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.rules.common import at_node, names
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph

CODE = codes.GM208


def check(g: SpecGraph, flow: MaskFlow) -> Iterator[Diagnostic]:
    for node in flow.layers():
        if not node.resolved.consumes or node.gets_mask or not node.received:
            continue
        arguments = list(dict.fromkeys(parameters(node.node, node.info)))
        generators = sorted(set().union(*(m.generators for m in node.received)))
        yield at_node(g, CODE, f"`{node.id}` ({node.type}) reads masks, but its call has {len(arguments)} tensor "
                      f"arguments ({', '.join(arguments)}): Keras 3 then passes no `mask=`, so the mask of "
                      f"{names(generators)} is not read and padding is processed as data", node.id)
