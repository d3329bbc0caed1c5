"""Which RNN a node runs that Keras may put on cuDNN (the layer itself, or a wrapper's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from graphmask.analysis.flow import NodeFlow
from graphmask.catalog import CudnnRule


@dataclass(frozen=True)
class RecurrentCall:
    """An RNN that Keras may run on cuDNN: the layer itself, or the one a wrapper runs."""

    type: str  # its Keras class (LSTM, GRU)
    cudnn: CudnnRule
    args: Mapping[str, Any]  # its constructor args, defaults merged in
    whole_mask: bool  # it receives the sequence's mask itself (not TimeDistributed's per-step slices)


def recurrent_call(node: NodeFlow) -> RecurrentCall | None:
    if node.info.cudnn is not None:
        return RecurrentCall(node.info.canonical, node.info.cudnn, node.args, True)
    inner = node.inner
    if node.info.mask.wraps and inner is not None and inner.cudnn is not None and node.inner_args is not None:
        whole = not node.info.mask.facts.get("passes_step_mask_to_inner")
        return RecurrentCall(inner.canonical, inner.cudnn, node.inner_args, whole)
    return None
