"""What the training rules share: which loss each output gets, and what an output looks like to a loss."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from graphmask.analysis.flow import MaskFlow, NodeFlow, TensorState
from graphmask.catalog.training import Kind, TrainingObject, load_training_catalog
from graphmask.graph import Binding, SpecGraph
from graphmask.spec.models import ObjectSpec

LINEAR = (None, "linear")


@dataclass(frozen=True)
class NamedObject:
    """An optimizer, loss or metric as the spec names it, with its catalog entry (None: unknown)."""

    name: str
    args: Mapping[str, Any]
    entry: TrainingObject | None
    where: tuple  # YAML path of the name (or of the {type, args} mapping's `type`)

    def arg(self, name: str) -> Any:
        """An argument as Keras will see it: given, else the class default."""
        if name in self.args:
            return self.args[name]
        return self.entry.defaults().get(name) if self.entry else None


def named(kind: Kind, value: str | ObjectSpec, where: tuple) -> NamedObject:
    if isinstance(value, ObjectSpec):
        return NamedObject(value.type, value.args, load_training_catalog().get(kind, value.type), where + ("type",))
    return NamedObject(value, {}, load_training_catalog().get(kind, value), where)


@dataclass(frozen=True)
class OutputLoss:
    output: str  # output name as `outputs:` gives it
    binding: Binding
    loss: NamedObject


def output_names(g: SpecGraph) -> list[str]:
    return [name for name, _ in g.outputs]


def output_losses(g: SpecGraph) -> Iterator[OutputLoss]:
    """Each output with the loss it is trained with (one loss for all, or per output name)."""
    training = g.spec.training
    if training is None:
        return
    where = ("training", "loss")
    for name, binding in g.outputs:
        if isinstance(training.loss, dict):
            if name in training.loss:
                yield OutputLoss(name, binding, named("losses", training.loss[name], where + (name,)))
        else:
            yield OutputLoss(name, binding, named("losses", training.loss, where))


def output_state(flow: MaskFlow, binding: Binding) -> TensorState:
    return flow.output_state(binding)


def producer(flow: MaskFlow, binding: Binding) -> NodeFlow:
    return flow.nodes[binding.node]


def output_activation(node: NodeFlow) -> tuple[bool, Any]:
    """(known, activation) of the layer that makes an output; unknown for a layer with no `activation` arg."""
    args = node.inner_args if node.inner is not None and node.inner_args is not None else node.args
    if "activation" not in args:
        return False, None
    activation = args["activation"]
    return isinstance(activation, str) or activation is None, activation
