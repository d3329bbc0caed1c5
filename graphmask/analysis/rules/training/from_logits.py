"""GM504: `from_logits` against the output's activation (squashed twice, or logits read as probabilities)."""

from __future__ import annotations

from typing import Iterator

from graphmask import codes
from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.rules.training.assign import LINEAR, output_activation, output_losses, producer
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph

CODE = codes.GM504


def check(g: SpecGraph, flow: MaskFlow) -> Iterator[Diagnostic]:
    for item in output_losses(g):
        entry = item.loss.entry
        if entry is None or entry.probabilities is None or "from_logits" not in entry.args:
            continue
        node = producer(flow, item.binding)
        known, activation = output_activation(node)
        if not known:
            continue
        from_logits = bool(item.loss.arg("from_logits"))
        if from_logits and activation in ("softmax", "sigmoid"):
            yield g.diagnostic(
                CODE, f"`{entry.class_name}` with `from_logits: true` on output `{item.output}`, whose layer "
                f"`{node.id}` already applies {activation}: the loss applies it again",
                item.loss.where, hint=f"remove `activation: {activation}` from `{node.id}` (logits out), "
                "or set `from_logits: false`")
        elif not from_logits and activation in LINEAR:
            yield g.diagnostic(
                CODE, f"`{entry.class_name}` reads output `{item.output}` as probabilities (`from_logits` is "
                f"false), but `{node.id}` has no activation: its outputs are logits",
                item.loss.where, hint=f"set `from_logits: true` in the loss, or `activation: "
                f"{entry.probabilities}` on `{node.id}`")
