"""GM205: a padded sequence reaches a mask consumer with no mask, so padding is processed as data."""

from __future__ import annotations

from typing import Iterator

from graphmask import codes
from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.rules.common import at_node, names
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph

CODE = codes.GM205


def check(g: SpecGraph, flow: MaskFlow) -> Iterator[Diagnostic]:
    for node in flow.layers():
        source = node.first_input
        if not node.resolved.consumes or source is None:
            continue
        if source.mask is not None or source.opaque or not source.padded:
            continue
        yield at_node(g, CODE, f"`{node.id}` ({node.type}) reads masks, but the padded input "
                      f"{names(sorted(source.padded))} reaches it with no mask: padding is processed as data",
                      node.id)
