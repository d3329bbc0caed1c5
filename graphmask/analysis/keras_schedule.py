"""The order in which a Keras 3 functional model runs its layer calls.

Why the mask pass needs it: some layers change the masks of the tensors they
are *given* when the model runs (``MultiHeadAttention.call`` removes the Keras
mask from its query/value/key tensors), so whether another consumer of the
same tensor still sees the mask depends on whether it runs before or after.

``Functional._run_through_graph`` runs the nodes of ``map_graph``
(``keras/src/ops/function.py``) by decreasing depth -- the longest path to an
output -- and, within a depth, in the order ``map_graph`` first met them.
That graph contains more than the spec's layers: when a layer takes its mask
as a call argument (``mask=``, ``query_mask=``...), Keras binds the symbolic
mask tensor into the node's arguments, so the Keras ops that computed that
mask (``not_equal`` for ``Embedding``, ``logical_or`` for merges, ...) become
nodes too and lengthen paths.  ``KerasGraph`` models both kinds of node;
``execution_order`` replays ``_build_map`` and ``map_graph`` on it.

This module is pure graph logic: which nodes and ops exist is decided by the
mask pass (``masks.py``) from catalog data.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class KerasGraph:
    """Keras nodes (layer calls and mask ops), each with its parent nodes in argument order."""

    parents: dict[str, list[str]] = field(default_factory=dict)
    operation: dict[str, str] = field(default_factory=dict)  # node -> the operation it calls
    inputs: set[str] = field(default_factory=set)

    def add_input(self, key: str) -> None:
        self.parents[key] = []
        self.operation[key] = key
        self.inputs.add(key)

    def add_call(self, key: str, operation: str, parents: list[str]) -> None:
        self.parents[key] = list(parents)
        self.operation[key] = operation

    def add_op(self, parents: list[str | None]) -> str:
        """A Keras op on symbolic tensors (a new operation per call, like ``ops.not_equal``)."""
        key = f"op:{len(self.parents)}"
        self.add_call(key, key, [p for p in parents if p is not None])
        return key

    def op_chain(self, first_parents: list[str | None], length: int) -> str | None:
        """``length`` ops, each applied to the previous one's output; the last op's key."""
        key = None
        for step in range(length):
            key = self.add_op(first_parents if step == 0 else [key])
        return key


def execution_order(kg: KerasGraph, outputs: list[str]) -> list[str]:
    """Node keys in the order ``model(x)`` calls them (inputs left out)."""
    visited = _build_map(kg, outputs)
    in_graph = set(visited)
    depths: dict[str, int] = {}  # insertion order matters: it breaks ties
    operation_depths: dict[str, int] = {}
    for key in reversed(visited):
        depth = depths.setdefault(key, 0)
        # A shared layer's nodes are all pushed to its deepest call's depth.
        depth = max(depth, operation_depths.get(kg.operation[key], 0))
        operation_depths[kg.operation[key]] = depth
        depths[key] = depth
        for parent in kg.parents[key]:
            if parent in in_graph:
                depths[parent] = max(depth + 1, depths.get(parent, 0))
    by_depth: dict[int, list[str]] = {}
    for key, depth in depths.items():
        by_depth.setdefault(depth, []).append(key)
    return [key for depth in sorted(by_depth, reverse=True) for key in by_depth[depth] if key not in kg.inputs]


def _build_map(kg: KerasGraph, outputs: list[str]) -> list[str]:
    """Depth-first post-order from the outputs (``_build_map`` in Keras)."""
    finished: set[str] = set()
    ordered: list[str] = []
    for output in outputs:
        stack = [(output, False)]
        while stack:  # iterative, so deep graphs do not hit the recursion limit
            key, expanded = stack.pop()
            if expanded:
                if key not in finished:
                    finished.add(key)
                    ordered.append(key)
                continue
            if key in finished:
                continue
            stack.append((key, True))
            for parent in reversed(kg.parents[key]):
                if parent not in finished:
                    stack.append((parent, False))
    return ordered


# ---------------------------------------------------------------------------
# How a spec node's call looks to Keras.

def parameters(node, info) -> list[str]:
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


def mask_is_bound(node, info, flows=None) -> bool:
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


def build_keras_graph(g, flows, order: list[str] | None = None) -> tuple[KerasGraph, list[str]]:
    """The Keras node graph of the built model, from the symbolic mask flow.

    ``flows``: node id -> ``NodeFlow`` of the *symbolic* pass (masks as the
    KerasTensors carry them); ``order``: ``g.topological_order()`` when the
    caller has it already (it is an O(n log n) sort).  Returns the graph and the output nodes.
    """
    kg = KerasGraph()
    producers: dict[tuple[str, int], str | None] = {}  # (node, output) -> node computing its symbolic mask
    for node_id in (order if order is not None else g.topological_order()):
        node, flow = g.nodes[node_id], flows[node_id]
        if node.kind == "input":
            kg.add_input(node_id)
            continue
        if flow.info is None:
            kg.add_call(node_id, node.shares or node_id, [b.node for b in node.bindings])
            continue
        kg.add_call(node_id, node.shares or node_id, _call_parents(node, flow, producers, flows))
        for index, kind in enumerate(symbolic_kinds(flow.resolved)):
            if flow.outputs[index].mask is not None:
                producers[(node_id, index)] = _mask_producer(kg, kind, node, flow, producers)
    return kg, [binding.node for _, binding in g.outputs]


def symbolic_kinds(resolved) -> tuple[str, ...]:
    return tuple(resolved.symbolic_output_masks or resolved.output_masks)


def _mask_of(binding, producers) -> str | None:
    return producers.get((binding.node, binding.index or 0))


def _call_parents(node, flow, producers, flows) -> list[str]:
    """Producers of the KerasTensors in the node's recorded call arguments.

    In ``tree.flatten((args, kwargs))`` order: positional arguments first,
    then keyword arguments sorted by name -- a bound ``mask`` included.
    """
    positional = [b.node for b in node.bindings if isinstance(b.slot, int)]
    keywords: dict[str, list[str]] = {}
    for binding in node.bindings:
        if isinstance(binding.slot, str):
            keywords.setdefault(binding.slot.split("[")[0], []).append(binding.node)
    if mask_is_bound(node, flow.info, flows):
        mask = _mask_of(node.bindings[0], producers)
        if mask is not None:
            keywords["mask"] = [mask]
    return positional + [p for name in sorted(keywords) for p in keywords[name]]


def _mask_producer(kg: KerasGraph, kind: str, node, flow, producers) -> str | None:
    """The Keras node computing this output's symbolic mask (``compute_mask``'s ops)."""
    first = [node.bindings[i] for i in flow.first_arg]
    masks = [_mask_of(b, producers) for b in first]
    ops = flow.info.mask.facts.get("mask_ops")
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


def _concat_mask(kg: KerasGraph, flow, first, masks) -> str:
    """``Concatenate.compute_mask``: all-True masks for unmasked inputs, masks broadcast to each input."""
    parts = []
    for i, binding, mask in zip(flow.first_arg, first, masks):
        state = flow.inputs[i]
        if mask is None:
            parts.append(kg.add_op([binding.node]))  # ones_like(input)
        elif state.mask.rank is None or state.rank is None or state.mask.rank < state.rank:
            expanded = kg.add_op([mask])  # expand_dims(mask)
            zeros = kg.add_op([binding.node])  # zeros_like(input)
            parts.append(kg.add_op([expanded, zeros]))  # logical_or
        else:
            parts.append(mask)
    return kg.op_chain(parts, 2)  # concatenate, any
