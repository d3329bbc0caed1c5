"""GM505: a per-output `loss`, `loss_weights` or `metrics` key that names no output."""

from __future__ import annotations

from typing import Iterator

from graphmask import codes
from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.rules.training.assign import output_names
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph
from graphmask.suggest import did_you_mean

CODE = codes.GM505


def check(g: SpecGraph, flow: MaskFlow) -> Iterator[Diagnostic]:
    training = g.spec.training
    if training is None:
        return
    outputs = output_names(g)
    for field in ("loss", "loss_weights", "metrics"):
        value = getattr(training, field)
        if not isinstance(value, dict):  # one setting for every output
            continue
        for key in value:
            if key not in outputs:
                yield g.diagnostic(CODE, f"`training.{field}` names `{key}`, which is no output"
                                   f"{did_you_mean(key, outputs)}; the outputs are "
                                   + ", ".join(f"`{o}`" for o in outputs), ("training", field, key), key=True)
