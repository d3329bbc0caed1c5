"""GM208: a layer that reads masks gets a masked input, but Keras's call-argument rule hands its call no mask."""

from __future__ import annotations

from typing import Iterator

from graphmask import codes
from graphmask.analysis.built_graph import parameters
from graphmask.analysis.flow import MaskFlow, NodeFlow
from graphmask.analysis.rules.common import at_node, names
from graphmask.catalog.mask import holds
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph

CODE = codes.GM208


def check(g: SpecGraph, flow: MaskFlow) -> Iterator[Diagnostic]:
    for node in flow.layers():
        if not node.resolved.consumes or node.gets_mask or not node.received or _only_padded_steps_change(node):
            continue
        arguments = list(dict.fromkeys(parameters(node.node, node.info)))
        generators = sorted(set().union(*(m.generators for m in node.received)))
        yield at_node(g, CODE, f"`{node.id}` ({node.type}) reads masks, but its call has {len(arguments)} tensor "
                      f"arguments ({', '.join(arguments)}): Keras 3 then passes no `mask=`, so the mask of "
                      f"{names(generators)} is not read and padding is processed as data", node.id)


def _only_padded_steps_change(node: NodeFlow) -> bool:
    """The unread mask changes nothing but the padded steps, and those stay masked: a causal sequence layer
    (the catalog's ``causal_when``: a forward RNN returning only its sequence) on right-padded masks, with a
    mask on its output (the blog's seq2seq decoder, ``LSTM(x, initial_state=...)``)."""
    causal = node.info.mask.facts.get("causal_when")
    return (causal is not None and holds(causal, node.args) and all(m.right_padded for m in node.received)
            and len(node.outputs) == 1 and node.outputs[0].mask is not None)
