"""Which RNNs a node runs that Keras may put on cuDNN (the layer itself, or each one a wrapper runs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from graphmask.analysis.flow import NodeFlow
from graphmask.analysis.layers import wrapped_layers
from graphmask.catalog import CudnnRule
from graphmask.spec.models import Spec


@dataclass(frozen=True)
class RecurrentCall:
    """An RNN that Keras may run on cuDNN: the layer itself, or one a wrapper runs."""

    type: str  # its Keras class (LSTM, GRU)
    cudnn: CudnnRule
    args: Mapping[str, Any]  # its constructor args, defaults merged in
    whole_mask: bool  # it receives the sequence's mask itself (not TimeDistributed's per-step slices)
    arg: str | None = None  # the wrapper's constructor arg that holds it, when not the wrapper's main one

    @property
    def label(self) -> str:
        """How a message names it: ``LSTM``, or ``LSTM in `backward_layer```."""
        return self.type if self.arg is None else f"{self.type} in `{self.arg}`"


def recurrent_calls(spec: Spec, node: NodeFlow) -> list[RecurrentCall]:
    """The RNNs the node runs that have cuDNN rules: itself, or each layer its wrapper is given
    (Bidirectional's ``layer`` and, when set, its own ``backward_layer``)."""
    if node.info.cudnn is not None:
        return [RecurrentCall(node.info.canonical, node.info.cudnn, node.args, True)]
    if not node.info.mask.wraps or node.inner_args is None:
        return []
    whole = not node.info.mask.facts.get("passes_step_mask_to_inner")
    calls = []
    for arg, _, inner, args in wrapped_layers(spec, node.info, node.args):
        if inner is None or inner.cudnn is None:
            continue
        main = arg == node.info.mask.wraps  # its args are the ones the mask pass merged already
        calls.append(RecurrentCall(inner.canonical, inner.cudnn, node.inner_args if main else inner.effective_args(args),
                                   whole, None if main else arg))
    return calls
