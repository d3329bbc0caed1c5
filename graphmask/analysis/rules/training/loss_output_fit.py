"""GM503: a loss whose labels cannot fit its output (sparse CE on one unit, binary CE on a softmax)."""

from __future__ import annotations

from typing import Iterator

from graphmask import codes
from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.rules.training.assign import output_activation, output_losses, producer
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph

CODE = codes.GM503


def check(g: SpecGraph, flow: MaskFlow) -> Iterator[Diagnostic]:
    for item in output_losses(g):
        entry = item.loss.entry
        state = flow.output_state(item.binding)
        if entry is None or state.opaque or state.shape is None or state.shape[-1] is None:
            continue
        units = state.shape[-1]
        known, activation = output_activation(producer(flow, item.binding))
        if entry.labels == "class_ids" and units == 1:
            yield g.diagnostic(
                CODE, f"`{entry.class_name}` on output `{item.output}`, which has 1 unit: sparse categorical "
                "crossentropy needs one unit per class (with 1 unit every prediction is the only class)",
                item.loss.where, hint="for a yes/no label use `binary_crossentropy` with a sigmoid unit; "
                "otherwise give the output one unit per class")
        elif entry.labels == "binary" and units > 1 and known and activation == "softmax":
            yield g.diagnostic(
                CODE, f"`{entry.class_name}` on output `{item.output}`, a softmax over {units} units: binary "
                "crossentropy treats each unit as an independent yes/no, but softmax units sum to 1",
                item.loss.where, hint="use `categorical_crossentropy` (one-hot labels) or "
                "`sparse_categorical_crossentropy` (class ids); for multi-label use sigmoid units")
