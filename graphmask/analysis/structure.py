"""Structural checks: layer types, constructor args, input counts, refs, reachability.

Codes: GM103 (unknown type), GM104 (bad constructor/call argument),
GM105 (output index), GM108 (unused node), GM109 (input count).
"""

from __future__ import annotations

import math
from typing import Any, Iterator, Mapping

from graphmask.analysis.calls import call_key, layer_call
from graphmask.analysis.layers import layer_info, nested_layer, node_info, wrapper_args
from graphmask import codes
from graphmask.catalog import LayerInfo, load_catalog
from graphmask.diagnostics import Diagnostic, Severity
from graphmask.graph import Node, SpecGraph
from graphmask.spec.models import IMPORT_PATH
from graphmask.suggest import did_you_mean



def check_structure(g: SpecGraph) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    for node in g.layers():
        if not node.repeat:  # a later call of a sub-model: its layers were checked at the first
            diagnostics.extend(_check_layer(g, node))
    diagnostics.extend(_check_custom_names(g))
    diagnostics.extend(_check_output_indices(g))
    diagnostics.extend(_check_unused(g))
    return diagnostics


def _check_layer(g: SpecGraph, node: Node) -> Iterator[Diagnostic]:
    if node.layer.share is not None:
        info = layer_info(g.spec, node.layer_type)
        if info is not None:
            yield from _check_inputs(g, node, info)
        return
    if node.layer.op is not None:
        yield from _check_op(g, node)
        return
    info = node_info(g.spec, node)  # not an op node (above): its layer type's entry, kept on the node
    if info is None:
        yield _unknown_type(g, node.layer_type, node.where + ("type",), node.id)
        return
    if info.abstract:
        yield g.diagnostic(codes.GM103, f"`{info.name}` is an abstract base class, not a layer you can use directly",
                           node.where + ("type",), node=node.id)
        return
    # A configuration found clean once is clean again (without custom layers, which a wrapped layer may name,
    # it depends on nothing else): a big spec repeats a few thousand times, an editor re-checks on every edit.
    key = call_key(g.spec, node, info) if not g.spec.custom_layers else None
    if key is not None and key in _CLEAN:
        return
    found = [*_check_args(g, info, node.args, node.where + ("args",), node.id), *_check_inputs(g, node, info),
             *_check_call_kwargs(g, node, info)]
    if not found and key is not None:
        if len(_CLEAN) >= _CLEAN_MAX:
            _CLEAN.clear()
        _CLEAN[key] = info  # keeps the entries of the key's ids alive
    yield from found


_CLEAN: dict[tuple, LayerInfo] = {}
_CLEAN_MAX = 16_384


def _check_custom_names(g: SpecGraph) -> Iterator[Diagnostic]:
    for name in g.spec.custom_layers:
        if name in load_catalog():
            yield g.diagnostic(codes.GM111, f"custom layer `{name}` has the name of `keras.layers.{name}`: in this "
                               f"spec `type: {name}` means the custom class", ("custom_layers", name), key=True)


def _check_op(g: SpecGraph, node: Node) -> Iterator[Diagnostic]:
    info = node_info(g.spec, node)
    if info is None:
        name = node.layer.op
        yield g.diagnostic(codes.GM103, f"unknown op `{name}`{did_you_mean(name, set(load_catalog().op_names()))}; "
                           "use a keras.ops function that applies to tensors", node.where + ("op",), node=node.id)
        return
    yield from _check_args(g, info, node.args, node.where + ("args",), node.id)
    yield from _check_inputs(g, node, info)


def _unknown_type(g: SpecGraph, type_name: Any, where: tuple, node_id: str) -> Diagnostic:
    names = set(load_catalog().names()) | set(g.spec.custom_layers)
    return g.diagnostic(
        codes.GM103,
        f"unknown layer type `{type_name}`{did_you_mean(str(type_name), names)}; "
        "use a class from keras.layers or declare it under `custom_layers:`",
        where, node=node_id)


def _check_args(g: SpecGraph, info: LayerInfo, args: Mapping[str, Any], where: tuple, node_id: str) -> Iterator[Diagnostic]:
    valid = load_catalog().valid_kwargs(info)
    for name, value in args.items():
        if name not in valid:
            yield g.diagnostic(
                codes.GM104, f"`{info.name}` has no argument `{name}`{did_you_mean(name, valid)}",
                where + (name,), node=node_id, key=True)
            continue
        arg = info.args.get(name)
        if arg is not None and arg.via_kwargs:
            yield g.diagnostic(
                codes.GM104, f"`{info.name}({name}=...)` is a legacy argument: Keras 3 only accepts it for backward "
                "compatibility (it warns, and ignores or renames it); remove it",
                where + (name,), node=node_id, key=True, severity=Severity.WARNING)
            continue
        problem = _value_problem(info, name, value)
        if problem:
            yield g.diagnostic(codes.GM104, f"`{info.name}({name}=...)`: {problem}", where + (name,), node=node_id)
    for name, arg in info.args.items():
        # Inherited required args (RNN's `cell`) are filled in by the subclass.
        if arg.required and not arg.inherited and name not in args:
            yield g.diagnostic(codes.GM104, f"`{info.name}` needs the argument `{name}`",
                               where if args else where[:-1] + ("type",), node=node_id)
    for name in info.callable_args:
        value = args.get(name)
        if isinstance(value, str) and not IMPORT_PATH.match(value):
            yield g.diagnostic(codes.GM104, f"`{info.name}({name}=...)` must name a function as "
                               f"`package.module:function_name` (code in strings is never evaluated), got {value!r}",
                               where + (name,), node=node_id)
    for wrapped in _wrapped_args(info):
        if wrapped in args:
            yield from _check_nested(g, args[wrapped], where + (wrapped,), node_id, info)


def _wrapped_args(info: LayerInfo) -> tuple[str, ...]:
    return tuple(name for name in wrapper_args(info) if name in info.args)


def _check_nested(g: SpecGraph, value: Any, where: tuple, node_id: str,
                  wrapper: LayerInfo) -> Iterator[Diagnostic]:
    nested = nested_layer(value)
    if nested is None:
        if value is not None:
            yield g.diagnostic(codes.GM104, "a wrapped layer is written as a mapping `{type: ..., args: {...}}`",
                               where, node=node_id)
        return
    unknown = set(value) - {"type", "args"}
    for key in sorted(unknown, key=str):
        yield g.diagnostic(codes.GM102, f"unknown field `{key}` in a wrapped layer (takes `type` and `args`)",
                           where + (key,), node=node_id, key=True)
    type_name, args = nested
    info = layer_info(g.spec, type_name)
    if info is None:
        yield _unknown_type(g, value["type"], where + ("type",), node_id)
        return
    missing = [a for a in wrapper.wrapped_needs if a not in load_catalog().valid_kwargs(info)]
    if missing and info.category != "custom":
        yield g.diagnostic(codes.GM104, f"`{wrapper.name}` wraps a recurrent layer (one whose constructor takes "
                           f"{', '.join(f'`{a}`' for a in wrapper.wrapped_needs)}); `{info.name}` has no "
                           f"{', '.join(f'`{a}`' for a in missing)}", where + ("type",), node=node_id)
        return
    yield from _check_args(g, info, args, where + ("args",), node_id)


def _value_problem(info: LayerInfo, name: str, value: Any) -> str | None:
    """Conservative type check: only where the default's type leaves no doubt."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a usable number"
    arg = info.args.get(name)
    if arg is None:  # a base Layer kwarg (`name`, `dtype`, ...): no default to compare with
        return None
    default = None if arg.required or getattr(arg, "default_is_repr", False) else arg.default
    if isinstance(default, bool):
        if not isinstance(value, bool):
            return f"expects true or false, got {value!r}"
    elif isinstance(default, (int, float)) and default is not None:
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        numeric_list = isinstance(value, list) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        if not (numeric or numeric_list or value is None):
            return f"expects a number, got {value!r}"
    return None


def _input_count(node: Node, info: LayerInfo) -> tuple[int, dict[str, tuple]]:
    """Number of tensor inputs, and the keyword slots the layer does not have (with where they are written)."""
    count, unknown = 0, {}
    for binding in node.bindings:
        if isinstance(binding.slot, int):
            count += 1
            continue
        keyword = binding.slot.split("[", 1)[0]
        if info.call_args and keyword not in info.call_args and info.category != "custom":
            # the keyword itself: `inputs: {kw: ...}` or `call: {kw: ...}`
            unknown.setdefault(keyword, binding.where[:-1] if "[" in binding.slot else binding.where)
        elif load_catalog().is_input_param(keyword):
            count += 1
    return count, unknown


def _check_inputs(g: SpecGraph, node: Node, info: LayerInfo) -> Iterator[Diagnostic]:
    count, unknown = _input_count(node, info)
    where = node.where + ("inputs",)
    for keyword, written in unknown.items():
        takes = ", ".join(a for a in info.call_args if a not in ("training", "mask"))
        yield g.diagnostic(codes.GM109, f"`{info.name}` takes no input `{keyword}` (its call takes: {takes})",
                           written, node=node.id, key=True)
    if unknown or not node.bindings:
        return
    low, high = info.min_inputs, info.max_inputs
    if info.category == "merge":
        # Keras accepts a merge of one tensor, but it is a no-op and in a
        # spec almost always a wiring mistake.
        low = max(low, 2)
    if count < low or (high is not None and count > high):
        expected = (f"{low}" if low == high else f"{low} to {high}" if high is not None else f"at least {low}")
        where = where if g.spec.source and g.spec.source.exists(where) else node.where + ("id",)
        yield g.diagnostic(codes.GM109, f"`{info.name}` takes {expected} input{'s' if high != 1 else ''}, "
                           f"`{node.id}` gives it {count}", where, node=node.id)


def _check_call_kwargs(g: SpecGraph, node: Node, info: LayerInfo) -> Iterator[Diagnostic]:
    if not info.call_args or info.category == "custom":
        return
    for name in node.call_kwargs:
        if name not in info.call_args:
            takes = ", ".join(info.call_args)
            yield g.diagnostic(codes.GM104, f"`{info.name}.call` has no argument `{name}`"
                               f"{did_you_mean(name, set(info.call_args))} (it takes: {takes})",
                               node.where + ("call", name), node=node.id, key=True)


def output_count(g: SpecGraph, node: Node) -> int | None:
    """How many tensors a node outputs, or None when its type is unknown."""
    if node.kind in ("input", "model_input"):
        return 1
    if node.kind == "model":
        return len(node.bindings) if node.bindings else None
    info = node_info(g.spec, node)
    call = layer_call(g.spec, node, info) if info is not None else None
    return call.resolved.n_outputs if call is not None else None


def _check_output_indices(g: SpecGraph) -> Iterator[Diagnostic]:
    consumers = [(n.id, b) for n in g.nodes.values() for b in n.bindings] + [(None, b) for _, b in g.outputs]
    counts: dict[str, int | None] = {}
    for consumer, binding in consumers:
        producer = g.nodes[binding.node]
        if binding.node not in counts:
            counts[binding.node] = output_count(g, producer)
        n = counts[binding.node]
        if n is None:
            continue
        if binding.index is not None and binding.index >= n:
            yield g.diagnostic(
                codes.GM105, f"`{binding.ref}`: `{binding.node}` has {n} output{'s' if n != 1 else ''} "
                f"(indices 0..{n - 1})", binding.where, node=consumer)
        elif binding.index is None and n > 1:
            yield g.diagnostic(
                codes.GM105, f"`{binding.node}` has {n} outputs; refer to one of them as "
                f"`{binding.node}[0]` .. `{binding.node}[{n - 1}]`", binding.where, node=consumer)


def _check_unused(g: SpecGraph) -> Iterator[Diagnostic]:
    if g.spec.invalid_ids:
        return  # layers that failed validation may be the users; we cannot tell
    needed: set[str] = set()
    for _, binding in g.outputs:
        needed.add(binding.node)
        needed |= g.ancestors(binding.node)
    for node in g.nodes.values():
        if node.id in needed or node.repeat or node.kind == "model_input":
            continue
        if node.scope:  # inside a sub-model: unused by its outputs (an unused call is reported itself)
            call = g.nodes[node.scope[:-1]]
            if call.id in needed:
                yield g.diagnostic(codes.GM108, f"layer `{g.local_id(node.id)}` of model `{call.layer.model}` is not "
                                   "used by any of its outputs", node.where + ("id",), node=node.id)
            continue
        what = "input" if node.kind == "input" else "layer"
        yield g.diagnostic(codes.GM108, f"{what} `{node.id}` is not used by any output", node.where + (() if node.kind == "input" else ("id",)),
                           node=node.id, key=node.kind == "input")
