"""GM207: a keras.ops call (an ``op:`` node) gets a masked tensor; its output carries no mask, and Keras says nothing."""

from __future__ import annotations

from typing import Iterator

from graphmask import codes
from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.rules.common import at_node, names
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph

CODE = codes.GM207


def check(g: SpecGraph, flow: MaskFlow) -> Iterator[Diagnostic]:
    for node in flow.layers():
        if node.info.category != "op" or any(t.mask is not None for t in node.outputs):
            continue
        masked = [b.ref for b, t in zip(node.node.bindings, node.inputs) if t.mask is not None]
        if masked:
            yield at_node(g, CODE, f"`{node.id}` (keras.ops.{node.info.name}) drops the mask of {names(masked)}: "
                          "operations carry no Keras mask and Keras gives no warning, so every layer after it "
                          "(and the loss) treats padding as data", node.id)
