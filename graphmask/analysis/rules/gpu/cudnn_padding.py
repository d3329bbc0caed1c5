"""GM402: a left-padded (`padding: pre`) masked sequence reaching an LSTM/GRU that runs on cuDNN."""

from __future__ import annotations

from typing import Iterator

from graphmask import codes
from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.rules.common import at_node, names
from graphmask.analysis.rules.gpu.recurrent import recurrent_call
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph

CODE = codes.GM402


def check(g: SpecGraph, flow: MaskFlow) -> Iterator[Diagnostic]:
    for node in flow.layers():
        rnn = recurrent_call(node)
        if rnn is None or not rnn.whole_mask or not node.received:
            continue
        if not rnn.cudnn.eligible(rnn.args):
            continue  # the generic kernel runs, and it handles any mask
        pre = sorted(p for p in node.first_input.padded if g.nodes[p].input_spec.padding == "pre")
        if pre:
            yield at_node(g, CODE, f"`{node.id}` gets a masked sequence from left-padded input {names(pre)}: on GPU, "
                          "Keras 3 runs it on the cuDNN kernel, which accepts only right-padded masks, so the call "
                          "fails with \"You are passing a RNN mask that does not correspond to right-padded "
                          "sequences\"", node.id)
