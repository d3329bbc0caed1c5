"""How a spec's calls look to Keras once the functional model is built.

Two facts of ``Layer.__call__`` decide what a running model does with masks:
which call parameter each tensor fills, and whether the node's recorded call
arguments hold the input's symbolic mask (``mask_is_bound``).  From those and
the symbolic mask flow, ``build_keras_graph`` makes the ``KerasGraph`` of the
built model -- layer calls plus the Keras ops that compute bound masks -- so
``keras_schedule.execution_order`` can replay Keras's call order on it.
"""

from __future__ import annotations

from typing import Mapping

from graphmask.analysis.flow import NodeFlow
from graphmask.analysis.keras_schedule import KerasGraph
from graphmask.catalog import LayerInfo, ResolvedMask
from graphmask.graph import Binding, Node, SpecGraph

# (node id, output index) -> the Keras node that computes that output's symbolic mask
MaskProducers = dict[tuple[str, int], "str | None"]


def parameters(node: Node, info: LayerInfo) -> list[str]:
    """The call parameter each binding of ``node`` fills (``query``, ``inputs``...)."""
    names = []
    for binding in node.bindings:
        if isinstance(binding.slot, str):
            names.append(binding.slot.split("[")[0])
        elif info.input_mode == "args" and binding.slot < len(info.call_args):
            names.append(info.call_args[binding.slot])
        else:
            names.append(info.call_args[0] if info.call_args else "inputs")
    return names


def mask_receivers(node: Node, info: LayerInfo) -> tuple[list[int], bool]:
    """Which bindings' masks ``Layer.__call__`` hands to ``call()``, and whether a mask is given explicitly.

    Step 6 of ``Layer.__call__`` (``keras/src/layers/layer.py``): with exactly
    one tensor argument, ``mask=`` gets that argument's mask(s) when the call
    has a ``mask`` parameter; with several, each ``<arg>_mask`` parameter the
    signature has gets its argument's; anything else is passed nothing.  So
    ``LSTM(x, initial_state=[h, c])`` runs with ``mask=None``.  A mask bound
    explicitly (``inputs: {mask: m}``) is handed over as it is.  A layer whose
    ``call()`` reads its inputs' masks off the tensors (catalog fact
    ``reads_input_masks``: Maximum, Multiply...) needs no argument: it gets
    the mask of every input that has one.
    """
    params = parameters(node, info)
    if info.mask.facts.get("reads_input_masks"):
        return list(range(len(params))), False
    explicit = {p for p in params if p == "mask" or p.endswith("_mask")}
    tensor_params = list(dict.fromkeys(params))
    if len(tensor_params) == 1:
        filled = "mask" in info.call_args and "mask" not in explicit
        return (list(range(len(params))) if filled else []), bool(explicit)
    receivers = [i for i, p in enumerate(params)
                 if p not in explicit and f"{p}_mask" in info.call_args and f"{p}_mask" not in explicit]
    return receivers, bool(explicit)


def mask_readers(node: Node, info: LayerInfo, first_arg: list[int]) -> list[int]:
    """The bindings whose mask the call reads when they carry one, whether or not they do.

    The first argument's tensors (the ``mask=`` a single-argument call is
    handed), each argument whose ``<arg>_mask`` parameter the signature has
    (an attention layer's value and key), and every input of a layer that
    reads masks off its tensors (catalog fact ``reads_input_masks``).
    """
    params = parameters(node, info)
    if info.mask.facts.get("reads_input_masks"):
        return list(range(len(params)))
    own = {i for i, p in enumerate(params) if f"{p}_mask" in info.call_args}
    return sorted(own.union(first_arg))


def mask_is_bound(node: Node, info: LayerInfo, flows: Mapping[str, NodeFlow] | None = None) -> bool:
    """Whether the model recomputes the layer's mask argument instead of reading its input's.

    ``Layer.__call__`` puts the input's symbolic mask into the ``mask=``
    argument of a layer whose call has one; but the functional node keeps
    the *original* call arguments, and only the fast path -- one positional
    tensor, no keyword arguments, no dtype conversion -- shares that dict
    with the mask added.  Then the mask's ops are part of the model and it
    is recomputed when the model runs.  Any other call (a list of tensors,
    several tensor arguments, call keywords) reads the masks off the tensor
    objects when the model runs.
    """
    if "mask" not in info.call_args or node.call_kwargs or len(node.bindings) != 1:
        return False
    binding = node.bindings[0]
    if not isinstance(binding.slot, int) or info.input_mode == "list":
        return False
    if flows is not None:  # integer ids are cast to the layer's dtype: not the fast path
        source = flows[binding.node].outputs
        index = binding.index or 0
        if index < len(source) and source[index].int_ids:
            return False
    return True


def symbolic_kinds(resolved: ResolvedMask) -> tuple[str, ...]:
    """The mask kind of each output on the built graph's KerasTensors."""
    return tuple(resolved.symbolic_output_masks or resolved.output_masks)


def build_keras_graph(g: SpecGraph, flows: Mapping[str, NodeFlow],
                      order: list[str] | None = None) -> tuple[KerasGraph, list[str]]:
    """The Keras node graph of the built model, from the symbolic mask flow.

    ``flows``: node id -> ``NodeFlow`` of the *symbolic* pass (masks as the
    KerasTensors carry them); ``order``: ``g.topological_order()`` when the
    caller has it already (it is an O(n log n) sort).  Returns the graph and the output nodes.
    """
    kg = KerasGraph()
    producers: MaskProducers = {}
    for node_id in (order if order is not None else g.topological_order()):
        node, flow = g.nodes[node_id], flows[node_id]
        if node.kind == "input":
            kg.add_input(node_id)
            continue
        if flow.info is None or flow.resolved is None:
            kg.add_call(node_id, node.shares or node_id, [b.node for b in node.bindings])
            continue
        kg.add_call(node_id, node.shares or node_id, _call_parents(flow, producers, flows))
        for index, kind in enumerate(symbolic_kinds(flow.resolved)):
            if flow.outputs[index].mask is not None:
                producers[(node_id, index)] = _mask_producer(kg, kind, flow, producers)
    return kg, [binding.node for _, binding in g.outputs]


def _mask_of(binding: Binding, producers: MaskProducers) -> str | None:
    return producers.get((binding.node, binding.index or 0))


def _call_parents(flow: NodeFlow, producers: MaskProducers, flows: Mapping[str, NodeFlow]) -> list[str]:
    """Producers of the KerasTensors in the node's recorded call arguments.

    In ``tree.flatten((args, kwargs))`` order: positional arguments first,
    then keyword arguments sorted by name -- a bound ``mask`` included.
    """
    node = flow.node
    positional = [b.node for b in node.bindings if isinstance(b.slot, int)]
    keywords: dict[str, list[str]] = {}
    for binding in node.bindings:
        if isinstance(binding.slot, str):
            keywords.setdefault(binding.slot.split("[")[0], []).append(binding.node)
    if flow.info is not None and mask_is_bound(node, flow.info, flows):
        mask = _mask_of(node.bindings[0], producers)
        if mask is not None:
            keywords["mask"] = [mask]
    return positional + [p for name in sorted(keywords) for p in keywords[name]]


def _mask_producer(kg: KerasGraph, kind: str, flow: NodeFlow, producers: MaskProducers) -> str | None:
    """The Keras node computing this output's symbolic mask (``compute_mask``'s ops)."""
    first = [flow.node.bindings[i] for i in flow.first_arg]
    masks = [_mask_of(b, producers) for b in first]
    ops = flow.info.mask.facts.get("mask_ops") if flow.info is not None else None
    if kind == "generated":  # e.g. not_equal(inputs, 0): computed from the input values
        return kg.op_chain([first[0].node] if first else [], 1 if ops is None else ops)
    if kind == "merge_or":  # logical_or, folded over the inputs' masks
        key = masks[0] if masks else None
        for mask in masks[1:]:
            key = kg.add_op([key, mask])
        return key
    if kind == "concat":
        return _concat_mask(kg, flow, first, masks)
    # same / query / ...: the first input's mask, through `mask_ops` ops (e.g. convert_to_tensor)
    source = masks[0] if masks else None
    return kg.op_chain([source], ops or 0) or source


def _concat_mask(kg: KerasGraph, flow: NodeFlow, first: list[Binding], masks: list[str | None]) -> str | None:
    """``Concatenate.compute_mask``: all-True masks for unmasked inputs, masks broadcast to each input."""
    parts: list[str | None] = []
    for i, binding, mask in zip(flow.first_arg, first, masks):
        state = flow.inputs[i]
        if mask is None:
            parts.append(kg.add_op([binding.node]))  # ones_like(input)
        elif state.mask is None or state.mask.rank is None or state.rank is None or state.mask.rank < state.rank:
            expanded = kg.add_op([mask])  # expand_dims(mask)
            zeros = kg.add_op([binding.node])  # zeros_like(input)
            parts.append(kg.add_op([expanded, zeros]))  # logical_or
        else:
            parts.append(mask)
    return kg.op_chain(parts, 2)  # concatenate, any
