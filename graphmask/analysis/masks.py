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

That walk gives the masks of the *symbolic* graph (the KerasTensors of
``keras.Model``).  What a running model does can differ, and ``NodeFlow``
reports the running model (``MaskFlow.symbolic`` keeps the symbolic walk):

* some masks exist only at run time (catalog kinds whose
  ``symbolic_output_masks`` differ, e.g. attention scores);
* a layer whose ``mask=`` argument Keras bound when the model was built
  (``built_graph.mask_is_bound``) gets that symbolic mask, recomputed;
  every other layer reads the masks off the tensor objects when it runs;
* a layer may remove the masks of the tensors it is given (catalog fact
  ``clears_input_masks``), and a layer may return its input tensor object
  itself (fact ``returns_input``, e.g. ``Dropout`` at inference), so later
  readers of that object -- in Keras' execution order, ``keras_schedule`` --
  see no mask.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from graphmask.analysis.built_graph import build_keras_graph, mask_is_bound
from graphmask.analysis.calls import LayerCall, layer_call
from graphmask.analysis.flow import (
    ALL_VALID, OPAQUE, RIGHT_PADDED, ROLES, UNKNOWN_LAYOUT, Layout, Mask, MaskFlow, NodeFlow, TensorState, state_of,
)
from graphmask.analysis.keras_schedule import execution_order
from graphmask.analysis.layers import masked_value, node_info
from graphmask.catalog.shapes import Shape
from graphmask.catalog import LayerInfo, ResolvedMask, load_catalog
from graphmask.catalog.mask import holds
from graphmask.graph import Binding, Node, SpecGraph

__all__ = ["infer_masks"]

def infer_masks(g: SpecGraph) -> MaskFlow:
    """Run mask-flow inference over an acyclic graph (once per graph: the result is kept on it)."""
    flow = g.analyses.get("masks")
    if flow is None:
        flow = g.analyses["masks"] = _infer_masks(g)
    return flow


def _infer_masks(g: SpecGraph) -> MaskFlow:
    rechecked = g.previous is not None  # an editor's re-check: worth keeping what the next one may reuse
    earlier = g.previous.analyses.get("masks") if rechecked else None
    earlier_symbolic, earlier_runtime = _earlier_flows(g)
    g.previous = None  # used: let the earlier check go
    order = g.topological_order()
    symbolic = _walk(g, order, earlier=_Earlier(earlier_symbolic))
    if not any(_differs_at_runtime(f) for f in symbolic.values()):
        return MaskFlow(g, _spec_order(g, symbolic))
    ran = key = None
    if any(f.info is not None and f.info.mask.facts.get("clears_input_masks") for f in symbolic.values()):
        key = _schedule_key(g, symbolic, order) if rechecked else None
        if key is not None and earlier is not None and earlier.schedule_key == key:
            ran = earlier.execution_order  # the same Keras graph: the same order
        else:
            kg, outputs = build_keras_graph(g, symbolic, order)
            ran = [n for n in execution_order(kg, outputs) if n in g.nodes]  # without the mask ops
        scheduled = set(ran)
        # inputs first; nodes no output depends on never run: last, in any order
        order = [n for n in order if g.nodes[n].kind == "input"] + ran + [
            n for n in order if g.nodes[n].kind != "input" and n not in scheduled]
    runtime = _walk(g, order, _Runtime(symbolic), _Earlier(earlier_runtime))
    return MaskFlow(g, _spec_order(g, runtime), symbolic=_spec_order(g, symbolic), execution_order=ran,
                    schedule_key=key)


def _schedule_key(g: SpecGraph, symbolic: Mapping[str, NodeFlow], order: list[str]) -> tuple:
    """Everything ``build_keras_graph`` reads, so that an equal key means the same Keras graph (and call order):
    per node its wiring, its layer's entry, mask kinds and first argument (not its other arguments), whether it
    has call keywords, which outputs carry a mask, and its inputs' masks' ranks and dtypes."""
    nodes = []
    for node_id in order:
        flow = symbolic[node_id]
        call = flow.call if flow.resolved is not None else None
        nodes.append((node_id, _wiring(flow.node), flow.node.shares, bool(flow.node.call_kwargs),
                      (id(call.info), call.symbolic_kinds, call.first_arg) if call is not None else None,
                      tuple(t.mask is None for t in flow.outputs),
                      tuple((t.mask.rank if t.mask is not None else -1, t.rank, t.int_ids) for t in flow.inputs)))
    return tuple(nodes), tuple(binding.node for _, binding in g.outputs)


def _earlier_flows(g: SpecGraph) -> tuple[Mapping[str, NodeFlow] | None, Mapping[str, NodeFlow] | None]:
    """The symbolic and runtime flows of an earlier check of the same document (``SpecGraph.previous``),
    where what every node's flow depends on besides its own call and inputs is unchanged."""
    earlier = g.previous
    flow = earlier.analyses.get("masks") if earlier is not None else None
    if flow is None or (earlier.spec.inputs, earlier.spec.models, earlier.spec.custom_layers) != (
            g.spec.inputs, g.spec.models, g.spec.custom_layers):
        return None, None
    return (flow.symbolic or flow.nodes), (flow.nodes if flow.symbolic is not None else None)


class _Earlier:
    """An earlier check's flows of one walk, for an editor's re-check after a small edit.

    A node with the same call (configuration and input slots), the same inputs and the same input
    states (the same objects) as then gets the flow it had then.  A recomputed output equal to the
    earlier one becomes that object again (or keeps its earlier mask object when only the mask is
    equal), so the nodes after it are recognised by identity and the walk recomputes only what the
    edit changed.  The result is the same as a walk from scratch (tests/test_incremental.py).
    """

    def __init__(self, flows: Mapping[str, NodeFlow] | None):
        self.flows = flows or {}

    def reused(self, node: Node, call: LayerCall, inputs: list[TensorState]) -> NodeFlow | None:
        before = self.flows.get(node.id)
        if (before is None or before.call is not call or len(before.inputs) != len(inputs)
                or any(a is not b for a, b in zip(before.inputs, inputs)) or _wiring(before.node) != _wiring(node)):
            return None
        flow = NodeFlow.__new__(NodeFlow)
        flow.__dict__.update(before.__dict__, node=node, inputs=inputs)
        return flow

    def adopt(self, flow: NodeFlow) -> NodeFlow:
        before = self.flows.get(flow.node.id)
        if before is not None and len(before.outputs) == len(flow.outputs) and before.outputs is not flow.outputs:
            flow.outputs = [_adopted(new, old) for new, old in zip(flow.outputs, before.outputs)]
        return flow


def _wiring(node: Node) -> tuple:
    """What a node's flow depends on of where it sits in the graph (kept on the node)."""
    known = node.derived.get("wiring")
    if known is None:
        known = node.derived["wiring"] = (node.kind, node.scope, node.repeat,
                                          tuple((b.slot, b.node, b.index) for b in node.bindings))
    return known


def _adopted(new: TensorState, old: TensorState) -> TensorState:
    if new is old or _same_state(new, old):
        return old
    if new.mask is not None and new.mask is not old.mask and _same_mask(new.mask, old.mask):
        return replace(new, mask=old.mask)
    return new


def _spec_order(g: SpecGraph, flows: dict[str, NodeFlow]) -> dict[str, NodeFlow]:
    return {node_id: flows[node_id] for node_id in g.nodes if node_id in flows}


def _walk(g: SpecGraph, order: list[str], runtime: _Runtime | None = None,
          earlier: _Earlier = _Earlier(None)) -> dict[str, NodeFlow]:
    flows: dict[str, NodeFlow] = {}
    if runtime is not None:
        runtime.flows = flows
    for node_id in order:
        node = g.nodes[node_id]
        if node.kind == "input":
            flows[node_id] = earlier.adopt(_input_flow(node))
        elif node.kind in ("model", "model_input"):
            flows[node_id] = earlier.adopt(_boundary_flow(g, node, flows, runtime))
        else:
            flows[node_id] = _layer_flow(g, node, flows, runtime, earlier)
            if runtime is not None:
                runtime.ran(node, flows[node_id])
    return flows


def _differs_at_runtime(flow: NodeFlow) -> bool:
    if flow.node.kind in ("model", "model_input"):
        return any(t.mask is not None for t in flow.inputs)
    if flow.info is None or flow.resolved is None:
        return False
    return bool(flow.info.mask.facts.get("clears_input_masks")) or flow.call.symbolic_kinds != flow.call.runtime_kinds


class _Runtime:
    """What layers see when the model runs, walked in Keras' execution order.

    Tracks tensor *objects* (a layer that returns its input passes the
    object on) and the objects whose mask a layer removed.
    """

    def __init__(self, symbolic: dict[str, NodeFlow]):
        self.symbolic = symbolic
        self.flows: dict[str, NodeFlow] = {}
        self.objects: dict[tuple[str, int], tuple[str, int]] = {}
        self.cleared: set[tuple[str, int]] = set()

    def _object(self, binding: Binding) -> tuple[str, int]:
        key = (binding.node, binding.index or 0)
        return self.objects.get(key, key)

    def seen(self, node: Node, info: LayerInfo) -> list[TensorState]:
        """The input states as the layer gets them: a bound symbolic mask, or the objects' masks now."""
        bound = mask_is_bound(node, info, self.symbolic)
        states = []
        for binding in node.bindings:
            state = state_of(self.flows, binding)
            now = None if self._object(binding) in self.cleared else state.mask
            if bound:  # a None bound mask is filled in from the tensor when the model runs
                now = state_of(self.symbolic, binding).mask or now
            # the same object when nothing changed, so _layer_flow can see the node is unaffected
            states.append(state if now is state.mask else replace(state, mask=now))
        return states

    def ran(self, node: Node, flow: NodeFlow) -> None:
        """Record the objects this call produced and the masks it removed."""
        info = flow.info
        if info is None:
            return
        facts = info.mask.facts
        returns = facts.get("returns_input")
        if returns and flow.first_arg and len(flow.outputs) == 1 and holds(returns, flow.args):
            self.objects[(node.id, 0)] = self._object(node.bindings[flow.first_arg[0]])
        clears = facts.get("clears_input_masks") or ()
        for binding, param in zip(node.bindings, flow.call.parameters):
            if param in clears:
                self.cleared.add(self._object(binding))


def _input_flow(node: Node) -> NodeFlow:
    spec = node.input_spec
    state = TensorState(
        shape=(None,) + tuple(spec.shape),
        int_ids=spec.dtype.startswith(("int", "uint")),
        padded=frozenset({node.id}) if spec.pad_value is not None else frozenset(),
        pad_held=frozenset({node.id}),
    )
    return NodeFlow(node, outputs=[state])


def _boundary_flow(g: SpecGraph, node: Node, flows: dict[str, NodeFlow], runtime: "_Runtime | None") -> NodeFlow:
    """Into (``model_input``) or out of (``model``) a sub-model: its tensors, unchanged, as Keras passes them.

    A sub-model called on a KerasTensor runs ``compute_output_spec``, which
    carries no masks: in the built graph nothing masked crosses the boundary
    (keras-team/keras#18417; its layers were built on its own ``Input``s).
    When the model runs, ``Functional.call`` puts the ``mask=`` it is handed
    on its inputs, and its outputs carry what its layers computed
    (docs/keras-mask-facts.md R1).
    """
    inputs = [state_of(flows, b) for b in node.bindings]
    outputs = inputs if runtime is not None else [replace(t, mask=None) for t in inputs]
    flow = NodeFlow(node, inputs=inputs, outputs=list(outputs) or [OPAQUE])
    if node.kind == "model":
        _model_call_roles(g, flow, runtime.symbolic if runtime is not None else flows)
    return flow


def _model_call_roles(g: SpecGraph, flow: NodeFlow, symbolic: Mapping[str, NodeFlow]) -> None:
    """A sub-model's call: the ``mask=`` it gets is the one bound when the outer model was built, from the
    symbolic masks of its tensors (experiment: io_nmt_transformer_nested's decoder is handed
    ``[None, None]`` though its second input is masked when the model runs; docs/keras-mask-facts.md R1).
    A model that does not support masking is warned about when that mask is set (the catalog's
    ``sub_models``); the masks its layers set stay on its outputs."""
    facts = load_catalog().sub_models.get("Functional", {})
    sub = g.spec.models.get(flow.node.layer.model)
    boundaries = [symbolic.get(f"{flow.node.id}/{name}") for name in (sub.inputs if sub else ())]
    masks = [b.inputs[0].mask for b in boundaries if b is not None and b.inputs]
    flow.gets_mask = bool(facts.get("call_has_mask_arg")) and any(m is not None for m in masks)
    if masks and masks[0] is not None and not facts.get("supports_masking", True):
        flow.roles = ["unsupported"]


def _layer_flow(g: SpecGraph, node: Node, flows: dict[str, NodeFlow], runtime: _Runtime | None = None,
                earlier: _Earlier = _Earlier(None)) -> NodeFlow:
    inputs = [state_of(flows, b) for b in node.bindings]
    info = node_info(g.spec, node)
    if info is None or any(t.opaque for t in inputs):
        return NodeFlow(node, inputs=inputs, outputs=[OPAQUE])
    static = runtime.symbolic.get(node.id) if runtime is not None else None
    if static is not None and static.resolved is None:
        static = None  # not analysed in the symbolic walk (then not now either): nothing to share
    seen = runtime.seen(node, info) if runtime is not None else inputs  # the masks the call gets
    if static is not None and _unchanged(static, seen):
        # Same input states and same output kinds as in the symbolic walk: the
        # outputs would be recomputed equal, so the node's symbolic flow is its runtime one.
        return static
    # What the layer is (its resolved rule, wrapped layer, first argument) depends only on the spec:
    # the runtime walk changes only which masks it sees.
    call = static.call if static is not None else layer_call(g.spec, node, info)
    if call is None:
        return NodeFlow(node, inputs=inputs, outputs=[OPAQUE])
    reused = earlier.reused(node, call, seen)
    if reused is not None:
        return reused
    inputs = seen
    flow = NodeFlow(node, inputs=inputs, first_arg=list(call.first_arg), resolved=call.resolved, info=info,
                    args=call.args, inner=call.inner, inner_args=call.inner_args, call=call)
    kinds = call.runtime_kinds if runtime is not None else call.symbolic_kinds
    resolved = call.resolved

    shapes = call.output_shapes([t.shape for t in inputs])
    received = flow.received
    layout = _generated_layout(g, flow) if "generated" in kinds else UNKNOWN_LAYOUT  # only generated masks use it
    masks = [_output_mask(kind, node, flow, shapes[i], _derived_layout(flow, i) if kind == "custom" else layout)
             if resolved.supports_masking else None for i, kind in enumerate(kinds)]
    first = inputs[flow.first_arg[0]] if flow.first_arg else TensorState()
    keeps_values = call.keeps_values
    # An output carries the padding on when it has a time axis (an RNN's states, with return_state,
    # have none; Bidirectional(merge_mode=None) has two sequence outputs).
    keeps_time = [(shape is not None and len(shape) >= 3) for shape in shapes]
    keeps_time[0] = keeps_time[0] or (
        first.rank is not None and first.rank <= 2 and info.category in ("embedding", "masking"))
    # An output that takes the query's mask has the query's time axis (attention): only its padding is on it.
    carried = [first] if kinds and kinds[0] == "query" else inputs
    padded = frozenset().union(*(t.padded for t in carried)) if carried else frozenset()
    flow.outputs = [
        TensorState(
            mask=masks[i],
            shape=shapes[i],
            int_ids=keeps_values and first.int_ids,
            from_embedding=info.category == "embedding" or (keeps_values and first.from_embedding),
            padded=padded if keeps_time[i] else frozenset(),
            # a layer that passes values through keeps the pad values its first argument holds
            pad_held=first.pad_held if (i == 0 and keeps_time[i] and keeps_values) else frozenset(),
        )
        for i in range(resolved.n_outputs)
    ]
    flow.roles = _roles(flow, received, masks, resolved)
    if static is not None and len(static.outputs) == len(flow.outputs) and all(
            _same_state(a, b) for a, b in zip(flow.outputs, static.outputs)):
        # Equal to the symbolic outputs: share those objects, so the nodes after this
        # one can tell they are unaffected by identity (and return their symbolic flow).
        flow.outputs = static.outputs
        return flow
    return earlier.adopt(flow)


def _same_mask(a: Mask | None, b: Mask | None) -> bool:
    """``a == b`` in O(1), for masks whose parents, if equal, are already the same object."""
    return a is b or (a is not None and b is not None and a.parent is b.parent and a.tail == b.tail
                      and a.rank == b.rank and a.generators == b.generators and a.layout == b.layout)


def _same_state(a: TensorState, b: TensorState) -> bool:
    """``a == b`` in O(1), for a mask whose parent, if equal, is already the same object."""
    return _same_mask(a.mask, b.mask) and (a.shape, a.opaque, a.int_ids, a.from_embedding, a.padded, a.pad_held) == (
        b.shape, b.opaque, b.int_ids, b.from_embedding, b.padded, b.pad_held)


def _unchanged(static: NodeFlow, inputs: list[TensorState]) -> bool:
    """Whether a runtime call sees exactly what the symbolic one saw (and attaches the same kinds)."""
    call = static.call
    return (len(inputs) == len(static.inputs) and all(a is b for a, b in zip(inputs, static.inputs))
            and call.runtime_kinds == call.symbolic_kinds)


# The pad value the mask layout takes for an input that declares none: Keras's pad_sequences default.
# (Only the layout assumes it; GM205/GM206 need a declared pad_value.)
_ASSUMED_PAD_VALUE = 0


def _generated_layout(g: SpecGraph, flow: NodeFlow) -> Layout:
    """What a mask generated from the first input's values marks: the padding those values still hold, where
    the generator looks for the pad value.  (Valid steps never hold the pad value: that is what padding is.)"""
    source = flow.first_input
    if source is None:
        return UNKNOWN_LAYOUT
    generator = flow.info.mask.facts.get("generator") or {}
    if generator.get("compares") == "feature_vectors" and source.from_embedding:
        return ALL_VALID  # embedded vectors never equal the mask value: all True
    masked = masked_value(flow.info, flow.args)
    if not source.pad_held or masked is None:
        return UNKNOWN_LAYOUT  # a layer changed the pad values on the way: what it marks is unknown
    marked = sorted(p for p in source.pad_held if _pad_value(g, p) == masked[0])
    if not marked:
        return ALL_VALID  # it looks for another value than the padding (GM206): it marks no step
    for side, where in (("pre", "from left-padded input {}"), ("gaps", "from input {} with gaps (missing steps)")):
        names = [p for p in marked if g.nodes[p].input_spec.padding == side]
        if names:
            return Layout(False, where.format(", ".join(f"`{p}`" for p in names)))
    return RIGHT_PADDED


def _derived_layout(flow: NodeFlow, output: int) -> Layout:
    """The layout of a mask a layer derives from its input's (``custom``): what its declaration's
    ``keeps_right_padding`` says of this output, for a right-padded input mask; otherwise unknown."""
    keeps = flow.info.mask.facts.get("keeps_right_padding")
    given = [flow.inputs[i].mask for i in flow.first_arg if flow.inputs[i].mask is not None]
    if keeps is None or output >= len(keeps) or not given or not all(m.right_padded for m in given):
        return UNKNOWN_LAYOUT
    if keeps[output]:
        return RIGHT_PADDED
    return Layout(False, f"from `{flow.node.id}`'s compute_mask, which turns a right-padded mask into one that is "
                         "not, or that masks a whole sequence")


def _pad_value(g: SpecGraph, input_id: str) -> Any:
    value = g.nodes[input_id].input_spec.pad_value
    return _ASSUMED_PAD_VALUE if value is None else value


def _time_concat_layout(parts: list[Mask | None], node_id: str) -> Layout:
    """``[a..., b...]`` along time is right-padded when every part before the last marks no padding."""
    layouts = [ALL_VALID if m is None else m.layout for m in parts]  # an unmasked part counts as all valid
    broken = next((x for x in layouts if x.right_padded is False), None)
    if broken is not None:
        return broken
    if any(x.right_padded and not x.all_valid for x in layouts[:-1]):
        return Layout(False, f"`{node_id}` concatenates masked sequences along the time axis, which puts padding "
                             "between valid steps")
    return layouts[-1] if all(x.all_valid for x in layouts[:-1]) else UNKNOWN_LAYOUT


def _output_mask(kind: str, node: Node, flow: NodeFlow, shape: Shape,
                 layout: Layout = UNKNOWN_LAYOUT) -> Mask | None:
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
        return Mask(frozenset({node.id}), (node.id,), rank, None, layout)
    if kind == "merge_or":
        if not first or any(m is None for m in first):
            return None
        return _combine(present, node.id)
    if kind == "concat":
        if not present:
            return None
        if _along_time(flow, shape):
            # [valid..., pad...] + [valid..., pad...]: padding in the middle, unless no part before the last has any
            return _combine(present, node.id, _time_concat_layout(first, node.id))
        if len(present) < len(first):
            combined = _combine(present, node.id, ALL_VALID)  # along features, an unmasked part makes every step valid
            if _along_features(flow, shape):
                # Keras ORs each step's mask over the features, where an unmasked input counts as all True: every
                # step is valid whatever the generators gave, so the mask derives from this node alone (F6)
                return Mask(frozenset({node.id}), combined.tail, combined.rank, combined.parent, combined.layout)
            return combined
        return _combine(present, node.id)
    if kind == "custom":
        return _combine(present, node.id, layout) if present else None
    if kind == "attention_scores":
        # The combined attention mask (query/value/key masks, causal mask),
        # kept on the scores at runtime: present whenever any of them is.
        every = [t.mask for t in flow.inputs if t.mask is not None]
        if not every and not flow.info.effective_call_kwargs(node.call_kwargs).get("use_causal_mask"):
            return None
        # The mask has the scores' rank: (batch, 1, T_query or 1, T_value).
        rank = len(shape) if shape is not None else None
        generators = frozenset().union(*(m.generators for m in every))
        return Mask(generators, (node.id,), rank, every[0] if every else None)
    raise ValueError(f"unknown mask output kind {kind!r}")


def _combine(masks: list[Mask], node_id: str, layout: Layout | None = None) -> Mask:
    """One mask from several (an element-wise OR, or a concatenation along features).

    The OR with an all-valid mask is all valid; the OR of right-padded masks is right-padded;
    one that is not makes the result not.
    """
    generators = frozenset().union(*(m.generators for m in masks))
    if layout is None:
        layouts = [m.layout for m in masks]
        broken = next((x for x in layouts if x.right_padded is False), None)
        if any(x.all_valid for x in layouts):
            layout = ALL_VALID
        elif broken is not None:
            layout = broken
        else:
            layout = RIGHT_PADDED if all(x.right_padded for x in layouts) else UNKNOWN_LAYOUT
    return Mask(generators, (node_id,), masks[0].rank, masks[0], layout)


def _along_time(flow: NodeFlow, shape: Shape) -> bool:
    """Whether a concatenation's axis is the time axis (1) of its rank-3+ inputs."""
    axis = flow.args.get("axis", -1)
    rank = len(shape) if shape is not None else None
    return isinstance(axis, int) and rank is not None and rank >= 3 and axis % rank == 1


def _along_features(flow: NodeFlow, shape: Shape) -> bool:
    """Whether a concatenation's axis is the last one."""
    axis = flow.args.get("axis", -1)
    return axis == -1 or (isinstance(axis, int) and shape is not None and axis % len(shape) == len(shape) - 1)


def _gets_a_mask(flow: NodeFlow) -> bool:
    """Whether ``call()`` is handed a mask (``mask=`` or ``<arg>_mask=``), by Keras's call-argument rule."""
    call = flow.call
    return call.explicit_mask or any(flow.inputs[i].mask is not None for i in call.receivers)


def _roles(flow: NodeFlow, received: list[Mask], masks: list[Mask | None], resolved: ResolvedMask) -> list[str]:
    roles = []
    flow.gets_mask = _gets_a_mask(flow)
    live = {k for k, m in zip(resolved.output_masks, masks) if m is not None}  # kinds of the outputs with a mask
    if "generated" in live:
        roles.append("generator")
    if resolved.consumes and flow.gets_mask:
        # Keras hands the mask to call() whenever it has a `mask` parameter,
        # even when the layer then drops it for not supporting masking.
        roles.append("consumer")
    if received and not resolved.supports_masking:
        roles.append("unsupported")
    elif received:
        if ("same" in live or "query" in live) and not resolved.consumes:
            roles.append("propagator")
        if "merge_or" in live or "concat" in live or "custom" in live or "generator" in roles:
            roles.append("modifier")
        if all(m is None for m in masks):
            roles.append("destroyer")
    return [r for r in ROLES if r in roles]
