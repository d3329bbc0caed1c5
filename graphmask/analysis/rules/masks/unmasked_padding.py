"""GM205: a padded sequence reaches a mask consumer with no mask, so padding is processed as data."""

from __future__ import annotations

from typing import Iterator

from graphmask import codes
from graphmask.analysis.built_graph import mask_readers, parameters
from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.rules.common import at_node, names
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph

CODE = codes.GM205


def check(g: SpecGraph, flow: MaskFlow) -> Iterator[Diagnostic]:
    for node in flow.layers():
        if not node.resolved.consumes:
            continue
        # every argument whose mask the layer would read (an attention layer's value too), not only the first
        unmasked = [i for i in mask_readers(node.node, node.info, node.first_arg)
                    if node.inputs[i].mask is None and not node.inputs[i].opaque and node.inputs[i].padded]
        if not unmasked:
            continue
        padded = sorted(set().union(*(node.inputs[i].padded for i in unmasked)))
        params = parameters(node.node, node.info)
        where = f" as {names(dict.fromkeys(params[i] for i in unmasked))}" if len(set(params)) > 1 else ""
        yield at_node(g, CODE, f"`{node.id}` ({node.type}) reads masks, but the padded input "
                      f"{names(padded)} reaches it{where} with no mask: padding is processed as data",
                      node.id)
