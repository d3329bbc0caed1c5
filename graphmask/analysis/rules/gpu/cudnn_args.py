"""GM401: arguments that rule out the fused cuDNN kernel (the catalog's ``cudnn.args`` tests)."""

from __future__ import annotations

from typing import Iterator

from graphmask import codes
from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.rules.common import at_node
from graphmask.analysis.rules.gpu.recurrent import recurrent_calls
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph

CODE = codes.GM401


def check(g: SpecGraph, flow: MaskFlow) -> Iterator[Diagnostic]:
    for node in flow.layers():
        for rnn in recurrent_calls(g.spec, node):  # a Bidirectional's own backward_layer counts too
            blockers = rnn.cudnn.blockers(rnn.args)
            if blockers:
                yield at_node(g, CODE, f"`{node.id}` ({rnn.label}) cannot use the fused cuDNN kernel on GPU because "
                              f"of {', '.join(str(b) for b in blockers)}", node.id)
