"""Mask-flow inference: which tensors carry a Keras mask, and what each node does with it.

The pass walks the graph in topological order and applies, per node, the
same steps Keras 3's ``Layer.__call__`` takes (``keras/src/layers/layer.py``):

1. the "previous mask" is the mask of the call's *first* argument (for list
   inputs, the list of masks);
2. a layer with ``supports_masking`` gets ``compute_mask(first_arg, mask)``
   attached to its outputs; one without it drops an incoming mask, with
   only a warning;
3. a layer whose ``call`` has a ``mask`` (or ``<arg>_mask``) parameter is
   handed the mask(s) — whether it *reads* them is the catalog's ``consumes``.

What ``compute_mask`` returns is the catalog's output kind, interpreted
generically in ``_output_mask``. Layer knowledge stays in the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphmask.analysis.layers import layer_info, nested_layer
from graphmask.analysis.shapes import Shape, infer_output_shapes, rule_for
from graphmask.catalog import LayerInfo, ResolvedMask
from graphmask.graph import Binding, Node, SpecGraph

ROLES = ("generator", "propagator", "consumer", "modifier", "destroyer", "unsupported")


@dataclass(frozen=True)
class Mask:
    """A Keras mask attached to a tensor."""

    generators: frozenset[str]  # nodes whose generated masks this one derives from
    path: tuple[str, ...]  # route from the (first) generator to this tensor
    rank: int | None  # rank of the mask tensor, batch axis included

    @property
    def axes(self) -> str | None:
        """Which axes of the data the mask covers: ``batch, time`` normally."""
        if self.rank is None:
            return None
        names = ["batch", "time"] + [f"axis{i}" for i in range(2, self.rank)]
        return ", ".join(names[: self.rank])

    def through(self, node_id: str) -> Mask:
        return Mask(self.generators, self.path + (node_id,), self.rank)


@dataclass(frozen=True)
class TensorState:
    """What the analysis knows about one tensor."""

    mask: Mask | None = None
    shape: Shape = None  # batch axis included; None = unknown
    opaque: bool = False  # produced by a node we could not analyse: assume nothing
    int_ids: bool = False  # integer token ids (an int input, passed through unchanged)
    from_embedding: bool = False  # embedded vectors (Embedding output, unchanged since)
    padded: frozenset[str] = frozenset()  # padded inputs whose time axis this tensor still has

    @property
    def rank(self) -> int | None:
        return len(self.shape) if self.shape is not None else None

    @property
    def time_length(self) -> int | None:
        return self.shape[1] if self.shape is not None and len(self.shape) >= 3 else None


@dataclass
class NodeFlow:
    """The mask facts of one node, as ``graphmask explain`` shows them."""

    id: str
    type: str | None
    inputs: list[TensorState] = field(default_factory=list)
    outputs: list[TensorState] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    first_arg: list[int] = field(default_factory=list)  # indices into inputs that form the first call argument
    resolved: ResolvedMask | None = None
    info: LayerInfo | None = None
    inner_args: dict[str, Any] | None = None

    @property
    def mask_in(self) -> list[bool]:
        return [t.mask is not None for t in self.inputs]

    @property
    def mask_out(self) -> bool | list[bool]:
        flags = [t.mask is not None for t in self.outputs]
        return flags[0] if len(flags) == 1 else flags

    @property
    def received(self) -> list[Mask]:
        """Masks Keras hands this node as its "previous mask" (first argument)."""
        return [self.inputs[i].mask for i in self.first_arg if self.inputs[i].mask is not None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "mask_in": self.mask_in,
            "mask_out": self.mask_out,
            "roles": list(self.roles),
            "mask_axes": [t.mask.axes if t.mask else None for t in self.outputs],
            "rank": [t.rank for t in self.outputs],
            "time_length": [t.time_length for t in self.outputs],
            "paths": [list(t.mask.path) if t.mask else None for t in self.outputs],
        }


@dataclass
class MaskFlow:
    graph: SpecGraph
    nodes: dict[str, NodeFlow]  # in spec order

    def output_state(self, binding: Binding) -> TensorState:
        outputs = self.nodes[binding.node].outputs
        index = binding.index or 0
        return outputs[index] if index < len(outputs) else TensorState(opaque=True)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.graph.spec.name, "nodes": [n.to_dict() for n in self.nodes.values()]}


# Layers whose output is the input's values, unchanged in kind (ids stay ids).
_VALUE_PRESERVING = frozenset({"masking", "regularization", "reshaping"})


def infer_masks(g: SpecGraph) -> MaskFlow:
    """Run mask-flow inference over an acyclic graph."""
    flows: dict[str, NodeFlow] = {}
    for node_id in g.topological_order():
        node = g.nodes[node_id]
        if node.kind == "input":
            flows[node_id] = _input_flow(node)
        else:
            flows[node_id] = _layer_flow(g, node, flows)
    ordered = {node_id: flows[node_id] for node_id in g.nodes if node_id in flows}
    return MaskFlow(g, ordered)


def _input_flow(node: Node) -> NodeFlow:
    spec = node.input_spec
    state = TensorState(
        shape=(None,) + tuple(spec.shape),
        int_ids=spec.dtype.startswith(("int", "uint")),
        padded=frozenset({node.id}) if spec.pad_value is not None else frozenset(),
    )
    return NodeFlow(node.id, "Input", outputs=[state])


def _inner(g: SpecGraph, info: LayerInfo, args: dict) -> tuple[LayerInfo | None, dict | None]:
    if not info.mask.wraps:
        return None, None
    nested = nested_layer(args.get(info.mask.wraps))
    if nested is None:
        return None, None
    inner_info = layer_info(g.spec, nested[0])
    inner_args = dict(inner_info.effective_args(nested[1])) if inner_info else dict(nested[1])
    if nested[0]:
        inner_args["_type"] = inner_info.canonical if inner_info else nested[0]
    return inner_info, inner_args


def _first_arg(node: Node, info: LayerInfo) -> list[int]:
    """Indices of the bindings that make up the call's first argument."""
    positional = [i for i, b in enumerate(node.bindings) if isinstance(b.slot, int)]
    if info.input_mode == "list":
        return positional
    if positional:
        return positional[:1]
    order = {name: k for k, name in enumerate(info.call_args)}
    keyword = [i for i, b in enumerate(node.bindings) if isinstance(b.slot, str)]
    keyword.sort(key=lambda i: order.get(node.bindings[i].slot.split("[")[0], len(order)))
    return keyword[:1]


def _layer_flow(g: SpecGraph, node: Node, flows: dict[str, NodeFlow]) -> NodeFlow:
    inputs = [_state_of(flows, b) for b in node.bindings]
    flow = NodeFlow(node.id, node.layer_type, inputs=inputs)
    info = layer_info(g.spec, node.layer_type)
    if info is None or any(t.opaque for t in inputs):
        flow.outputs = [TensorState(opaque=True)]
        return flow
    inner_info, inner_args = _inner(g, info, node.args)
    try:
        resolved = info.mask_for(node.args, node.call_kwargs,
                                 inner_args=inner_args, inner=inner_info)
    except (TypeError, ValueError, KeyError):
        flow.outputs = [TensorState(opaque=True)]
        return flow
    flow.info, flow.resolved, flow.inner_args = info, resolved, inner_args
    flow.first_arg = _first_arg(node, info)

    shapes = _output_shapes(info, node, resolved, inputs, flow.first_arg, inner_args)
    received = flow.received
    masks = [_output_mask(kind, node, flow, shapes[i]) if resolved.supports_masking else None
             for i, kind in enumerate(resolved.output_masks)]
    first = inputs[flow.first_arg[0]] if flow.first_arg else TensorState()
    keeps_values = info.category in _VALUE_PRESERVING
    keeps_time = all(s is not None and len(s) >= 3 for s in shapes) or (
        first.rank is not None and first.rank <= 2 and info.category in ("embedding", "masking"))
    padded = frozenset().union(*(t.padded for t in inputs)) if inputs else frozenset()
    flow.outputs = [
        TensorState(
            mask=masks[i],
            shape=shapes[i],
            int_ids=keeps_values and first.int_ids,
            from_embedding=info.category == "embedding" or (keeps_values and first.from_embedding),
            padded=padded if (i == 0 and keeps_time) else frozenset(),
        )
        for i in range(resolved.n_outputs)
    ]
    flow.roles = _roles(flow, received, masks, resolved)
    return flow


def _state_of(flows: dict[str, NodeFlow], binding: Binding) -> TensorState:
    outputs = flows[binding.node].outputs
    index = binding.index or 0
    return outputs[index] if index < len(outputs) else TensorState(opaque=True)


def _output_shapes(info: LayerInfo, node: Node, resolved: ResolvedMask, inputs: list[TensorState],
                   first_arg: list[int], inner_args: dict | None) -> list[Shape]:
    rule = rule_for(info.canonical, info.category)
    ordered = [inputs[i].shape for i in first_arg] if info.input_mode == "list" else [t.shape for t in inputs]
    shapes = infer_output_shapes(rule, ordered, info.effective_args(node.args), inner_args, resolved.n_outputs)
    return shapes if shapes is not None and len(shapes) == resolved.n_outputs else [None] * resolved.n_outputs


def _output_mask(kind: str, node: Node, flow: NodeFlow, shape: Shape) -> Mask | None:
    first = [flow.inputs[i].mask for i in flow.first_arg]
    present = [m for m in first if m is not None]
    if kind == "none":
        return None
    if kind in ("same", "query"):
        # Keras zips the (flattened) previous mask onto the outputs: output 0
        # gets the first input's mask.
        return first[0].through(node.id) if first and first[0] is not None else None
    if kind == "generated":
        rank = len(shape) - 1 if shape is not None else None
        return Mask(frozenset({node.id}), (node.id,), rank)
    if kind == "merge_or":
        if not first or any(m is None for m in first):
            return None
        return _combine(present, node.id)
    if kind in ("concat", "custom"):
        return _combine(present, node.id) if present else None
    if kind == "attention_scores":
        # The combined attention mask (query/value/key masks, causal mask),
        # kept on the scores at runtime: present whenever any of them is.
        every = [t.mask for t in flow.inputs if t.mask is not None]
        if not every and not flow.info.effective_call_kwargs(node.call_kwargs).get("use_causal_mask"):
            return None
        rank = len(shape) if shape is not None else None
        return _combine(every, node.id) if every else Mask(frozenset(), (node.id,), rank)
    raise ValueError(f"unknown mask output kind {kind!r}")


def _combine(masks: list[Mask], node_id: str) -> Mask:
    generators = frozenset().union(*(m.generators for m in masks))
    return Mask(generators, masks[0].path + (node_id,), masks[0].rank)


def _roles(flow: NodeFlow, received: list[Mask], masks: list[Mask | None], resolved: ResolvedMask) -> list[str]:
    roles = []
    kinds = resolved.output_masks
    if any(k == "generated" and m is not None for k, m in zip(kinds, masks)):
        roles.append("generator")
    other_masks = any(t.mask is not None for i, t in enumerate(flow.inputs) if i not in flow.first_arg)
    takes_mask = resolved.consumes and (received or (other_masks and flow.info.input_mode == "args"))
    if takes_mask:
        # Keras hands the mask to call() whenever it has a `mask` parameter,
        # even when the layer then drops it for not supporting masking.
        roles.append("consumer")
    if received and not resolved.supports_masking:
        roles.append("unsupported")
    elif received:
        if any(k in ("same", "query") and m is not None for k, m in zip(kinds, masks)) and not resolved.consumes:
            roles.append("propagator")
        if any(k in ("merge_or", "concat", "custom") and m is not None for k, m in zip(kinds, masks)) or (
            "generator" in roles
        ):
            roles.append("modifier")
        if all(m is None for m in masks):
            roles.append("destroyer")
    return [r for r in ROLES if r in roles]
