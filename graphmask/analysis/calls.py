"""What a layer call is, from the spec alone: the facts the mask pass needs of a node before it looks at masks.

A node's ``LayerCall`` depends only on its layer's entry, its constructor and
call arguments and which call parameter each input fills, so every node with
the same configuration shares one: a big spec repeats a few configurations
thousands of times, and an editor re-checks the same layers after every key
stroke.  ``layer_call`` keeps them (bounded), keyed by exactly those facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from graphmask.analysis.built_graph import mask_receivers, parameters, symbolic_kinds
from graphmask.analysis.layers import frozen_key, resolve_mask, wrapped_layer
from graphmask.catalog import LayerInfo, ResolvedMask
from graphmask.catalog.shapes import Shape
from graphmask.graph import Node
from graphmask.spec.models import Spec

# Layers whose output is the input's values, unchanged in kind (ids stay ids).
_VALUE_PRESERVING = frozenset({"masking", "regularization", "reshaping"})


@dataclass(eq=False)
class LayerCall:
    """One layer configuration, called with inputs in given slots."""

    info: LayerInfo
    resolved: ResolvedMask
    inner: LayerInfo | None  # the wrapped layer's entry
    inner_args: Mapping[str, Any] | None  # its args, defaults merged in
    args: Mapping[str, Any]  # constructor args, defaults merged in
    first_arg: tuple[int, ...]  # the bindings that make up the call's first argument
    parameters: tuple[str, ...]  # the call parameter each binding fills
    receivers: tuple[int, ...]  # the bindings whose masks call() is handed (``mask_receivers``)
    explicit_mask: bool  # a mask is bound explicitly (``inputs: {mask: m}``)
    symbolic_kinds: tuple[str, ...]  # each output's mask kind on the built graph
    runtime_kinds: tuple[str, ...]  # ... and when the model runs
    keeps_values: bool  # the output holds the input's values (ids stay ids, pad values stay)
    shape_order: tuple[int, ...]  # the bindings in the order the shape rule takes them
    _shapes: dict[tuple, tuple[Shape, ...]] = field(default_factory=dict, repr=False)

    def output_shapes(self, shapes: list[Shape]) -> tuple[Shape, ...]:
        """Each output's shape for these input shapes (None where unknown), computed once per input shapes."""
        key = tuple(shapes)
        known = self._shapes.get(key)
        if known is None:
            n = self.resolved.n_outputs
            found = self.info.shape.output_shapes([shapes[i] for i in self.shape_order], self.args, self.inner,
                                                  self.inner_args, n)
            known = tuple(found) if found is not None and len(found) == n else (None,) * n
            if len(self._shapes) < _SHAPES_MAX:
                self._shapes[key] = known
        return known


_SHAPES_MAX = 256
_CALLS: dict[tuple, LayerCall | None] = {}
_CALLS_MAX = 16_384


def layer_call(spec: Spec, node: Node, info: LayerInfo) -> LayerCall | None:
    """The node's call (None when its mask rule cannot be resolved for these arguments); kept on the node."""
    known = node.derived.get("call")
    if known is not None and known[0] is info:
        return known[1]
    call = _shared_call(spec, node, info)
    node.derived["call"] = (info, call)
    return call


def call_key(spec: Spec, node: Node, info: LayerInfo) -> tuple | None:
    """What a node's call depends on -- its entry, wrapped layer's entry, arguments, call keywords and input
    slots -- as a key (kept on the node); None for a value that cannot be keyed exactly."""
    known = node.derived.get("call_key")
    if known is not None and known[0] is info:
        return known[1]
    inner_info = _inner(spec, info, node.args)[0]
    try:
        key = (id(info), id(inner_info), frozen_key(node.args), frozen_key(node.call_kwargs),
               tuple(b.slot for b in node.bindings))
    except TypeError:
        key = None
    node.derived["call_key"] = (info, key)
    return key


def _shared_call(spec: Spec, node: Node, info: LayerInfo) -> LayerCall | None:
    key = call_key(spec, node, info)
    if key is None:  # a value we cannot key on exactly: worked out every time
        return _make_call(spec, node, info)
    if key in _CALLS:
        return _CALLS[key]
    call = _make_call(spec, node, info)
    if len(_CALLS) >= _CALLS_MAX:
        _CALLS.clear()
    _CALLS[key] = call  # keeps info and inner alive, so the ids in the key are never reused
    return call


def _inner(spec: Spec, info: LayerInfo, args: Mapping[str, Any]) -> tuple[LayerInfo | None, Mapping[str, Any] | None]:
    wrapped = wrapped_layer(spec, info, args)
    if wrapped is None:
        return None, None
    return wrapped[1], wrapped[2]


def _make_call(spec: Spec, node: Node, info: LayerInfo) -> LayerCall | None:
    inner, inner_user_args = _inner(spec, info, node.args)
    inner_args = None
    if inner_user_args is not None:
        inner_args = inner.effective_args(inner_user_args) if inner else dict(inner_user_args)
    try:
        resolved = resolve_mask(info, node.args, node.call_kwargs, inner_args=inner_args, inner=inner)
    except (TypeError, ValueError, KeyError):
        return None
    params = tuple(parameters(node, info))
    receivers, explicit = mask_receivers(node, info)
    if info.input_mode == "list":
        shape_order = first_arg(node, info)
    else:  # separate tensor arguments: in call order (query, value, key), whatever the spec's order
        rank = {name: k for k, name in enumerate(info.call_args)}
        shape_order = sorted(range(len(params)), key=lambda i: rank.get(params[i], len(rank)))
    return LayerCall(
        info=info, resolved=resolved, inner=inner, inner_args=inner_args, args=info.effective_args(node.args),
        first_arg=tuple(first_arg(node, info)), parameters=params, receivers=tuple(receivers),
        explicit_mask=explicit, symbolic_kinds=symbolic_kinds(resolved), runtime_kinds=tuple(resolved.output_masks),
        keeps_values=info.category in _VALUE_PRESERVING, shape_order=tuple(shape_order))


def first_arg(node: Node, info: LayerInfo) -> list[int]:
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
