"""GM402: a mask that is not strictly right-padded reaches an LSTM/GRU that runs on cuDNN.

The mask pass tracks, per mask, whether it is right-padded (True...True
False...False for every sample), from the inputs' declared ``padding:`` and
what each layer does to it: a concatenation along the time axis puts padding
between valid steps; ``Masking`` after an ``Embedding`` gives an all-True mask.
"""

from __future__ import annotations

from typing import Iterator

from graphmask import codes
from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.rules.common import at_node
from graphmask.analysis.rules.gpu.recurrent import recurrent_calls
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph

CODE = codes.GM402


def check(g: SpecGraph, flow: MaskFlow) -> Iterator[Diagnostic]:
    for node in flow.layers():
        if not node.received or "consumer" not in node.roles:
            continue
        # a Bidirectional hands the mask to both directions: one on cuDNN is enough to fail
        if not any(rnn.whole_mask and rnn.cudnn.eligible(rnn.args) for rnn in recurrent_calls(g.spec, node)):
            continue  # the generic kernel runs, and it handles any mask
        mask = node.received[0]
        if mask.right_padded is False:
            yield at_node(g, CODE, f"`{node.id}` gets a mask that is not strictly right-padded ({mask.layout.why}): on "
                          "GPU, Keras 3 runs it on the cuDNN kernel, which accepts only strictly right-padded masks, "
                          "so the call fails with \"You are passing a RNN mask that does not correspond to "
                          "right-padded sequences\"", node.id)
