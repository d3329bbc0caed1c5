"""GM502: an optimizer, loss or metric that Keras does not have, or an argument its class does not take."""

from __future__ import annotations

from typing import Iterator

from graphmask import codes
from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.rules.training.assign import NamedObject, named
from graphmask.catalog.training import KIND_WORDS, Kind, load_training_catalog
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph
from graphmask.suggest import did_you_mean

CODE = codes.GM502


def check(g: SpecGraph, flow: MaskFlow) -> Iterator[Diagnostic]:
    training = g.spec.training
    if training is None:
        return
    for kind, obj in _named_objects(training):
        yield from _check_one(g, kind, obj)


def _named_objects(training) -> Iterator[tuple[Kind, NamedObject]]:
    yield "optimizers", named("optimizers", training.optimizer, ("training", "optimizer"))
    losses = training.loss if isinstance(training.loss, dict) else {None: training.loss}
    for output, loss in losses.items():
        yield "losses", named("losses", loss, ("training", "loss") + ((output,) if output else ()))
    metrics = training.metrics if isinstance(training.metrics, dict) else {None: training.metrics}
    for output, listed in metrics.items():
        for i, metric in enumerate(listed):
            yield "metrics", named("metrics", metric, ("training", "metrics") + ((output,) if output else ()) + (i,))


def _check_one(g: SpecGraph, kind: Kind, obj: NamedObject) -> Iterator[Diagnostic]:
    catalog = load_training_catalog()
    word = KIND_WORDS[kind]
    if obj.entry is None:
        if kind == "metrics" and obj.name in catalog.resolved_metrics and not obj.args:
            return
        yield g.diagnostic(CODE, f"unknown {word} `{obj.name}`{did_you_mean(obj.name, catalog.names(kind))}",
                           obj.where, hint=f"a class or alias of keras.{kind} (Keras {catalog.keras_version})")
        return
    for arg in obj.args:
        if arg not in obj.entry.args:
            yield g.diagnostic(CODE, f"{word} `{obj.entry.class_name}` takes no argument `{arg}`"
                               f"{did_you_mean(arg, list(obj.entry.args))}", obj.where[:-1] + ("args", arg), key=True)
