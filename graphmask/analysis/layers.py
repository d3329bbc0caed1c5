"""Which ``LayerInfo`` describes a node: the Keras catalog or a custom declaration.

Every pass asks here, so a custom layer declared under ``custom_layers:`` is
treated exactly like a catalog entry built from its declaration.
"""

from __future__ import annotations

import functools
from types import MappingProxyType
from typing import Any, Mapping

from graphmask.catalog import ArgInfo, LayerInfo, MaskRule, ResolvedMask, load_catalog
from graphmask.catalog.shapes import ShapeRule
from graphmask.graph import Node
from graphmask.spec.models import CustomLayerSpec, Spec


def custom_layer_info(name: str, custom: CustomLayerSpec) -> LayerInfo:
    declared_args = custom.args
    return LayerInfo(
        name=name,
        alias_of=None,
        category="custom",
        args=MappingProxyType({a: ArgInfo(a, required=False) for a in (declared_args or [])}),
        # Without a declared argument list we cannot know the constructor.
        accepts_var_kwargs=declared_args is None,
        call_args=tuple(custom.call_args) if custom.call_args else
        ("inputs", "mask") if custom.mask.consumes else ("inputs",),
        min_inputs=custom.inputs or 1,
        max_inputs=custom.inputs,
        mask=MaskRule.from_declaration(custom.mask.model_dump(exclude_none=True)),
        shape=ShapeRule.declared(custom.output_shape),
        module=custom.import_,
    )


@functools.lru_cache(maxsize=4096)
def _custom_cached(name: str, declaration_json: str) -> LayerInfo:
    # Keyed by the declaration's JSON: a CustomLayerSpec with `args: [...]`
    # holds a list, so the frozen model itself is not hashable.
    return custom_layer_info(name, CustomLayerSpec.model_validate_json(declaration_json))


def layer_info(spec: Spec, type_name: str | None) -> LayerInfo | None:
    """The ``LayerInfo`` for a type name; custom layers shadow catalog names."""
    if type_name is None:
        return None
    custom = spec.custom_layers.get(type_name)
    if custom is not None:
        return _custom_cached(type_name, custom.model_dump_json(by_alias=True))
    return load_catalog().get(type_name)


def node_info(spec: Spec, node: Node) -> LayerInfo | None:
    """The ``LayerInfo`` of a graph node: its layer's, or for an ``op:`` node the catalog's op entry.

    Every pass asks for every node, several times: the answer is kept on the node, for this spec.
    """
    known = node.derived.get("info")
    if known is not None and known[0] is spec:
        return known[1]
    op = node.layer.op if node.layer is not None else None
    info = load_catalog().op(op) if op is not None else layer_info(spec, node.layer_type)
    node.derived["info"] = (spec, info)
    return info


# info.mask_for() results by (info, inner, args, call kwargs, inner args): a big
# spec repeats a few layer configurations thousands of times, and the
# structure and mask passes both resolve every node.  Entries keep their
# LayerInfo objects alive, so the ids in a key are never reused.
_MASKS: dict[tuple, tuple[LayerInfo, Any, ResolvedMask]] = {}
_MASKS_MAX = 65_536


def resolve_mask(info: LayerInfo, args: Mapping[str, Any] | None, call_kwargs: Mapping[str, Any] | None,
                 inner_args: Mapping[str, Any] | None = None, inner: LayerInfo | None = None) -> ResolvedMask:
    """``info.mask_for(args, call_kwargs, inner_args=, inner=)``, memoised (it depends only on these)."""
    try:
        key = (id(info), id(inner), frozen_key(args), frozen_key(call_kwargs), frozen_key(inner_args))
        hit = _MASKS.get(key)
    except TypeError:  # a value we cannot key on exactly: resolve it every time
        return info.mask_for(args, call_kwargs, inner_args=inner_args, inner=inner)
    if hit is not None and hit[0] is info and hit[1] is inner:
        return hit[2]
    resolved = info.mask_for(args, call_kwargs, inner_args=inner_args, inner=inner)
    if len(_MASKS) >= _MASKS_MAX:
        _MASKS.clear()
    _MASKS[key] = (info, inner, resolved)
    return resolved


_SCALARS = (str, int, float, bool, type(None))


def frozen_key(value: Any) -> Any:
    """A hashable key equal only for equal values of the same types (1, 1.0 and True differ)."""
    kind = type(value)
    if kind in _SCALARS:  # the common case first: isinstance(value, Mapping) is an ABC check
        return (kind, value)
    if kind is dict:
        return (dict, tuple([(k, (type(v), v) if type(v) in _SCALARS else frozen_key(v)) for k, v in value.items()]))
    if isinstance(value, Mapping):
        return (dict, tuple((k, frozen_key(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value), tuple(frozen_key(v) for v in value))
    if value is None or isinstance(value, (str, int, float)):
        return (type(value), value)
    raise TypeError(f"not a key: {type(value).__name__}")


def wrapped_layer(spec: Spec, info: LayerInfo, args: Mapping[str, Any]
                  ) -> tuple[str | None, LayerInfo | None, Mapping[str, Any]] | None:
    """What a wrapper (Bidirectional, TimeDistributed) wraps: (type name, its info or None, its args)."""
    if not info.mask.wraps:
        return None
    nested = nested_layer(args.get(info.mask.wraps))
    if nested is None:
        return None
    return nested[0], layer_info(spec, nested[0]), nested[1]


def wrapper_args(info: LayerInfo) -> tuple[str, ...]:
    """The constructor args that may hold a layer the wrapper runs: the catalog's ``wrapped_args``
    (Bidirectional: ``layer`` and ``backward_layer``), else its ``wraps``."""
    if not info.mask.wraps:
        return ()
    return tuple(info.mask.facts.get("wrapped_args") or (info.mask.wraps,))


def wrapped_layers(spec: Spec, info: LayerInfo, args: Mapping[str, Any]
                   ) -> list[tuple[str, str | None, LayerInfo | None, Mapping[str, Any]]]:
    """Every layer a wrapper is given: (constructor arg, type name, its info or None, its args)."""
    found = []
    for name in wrapper_args(info):
        nested = nested_layer(args.get(name))
        if nested is not None:
            found.append((name, nested[0], layer_info(spec, nested[0]), nested[1]))
    return found


def nested_layer(value: Any) -> tuple[str | None, Mapping[str, Any]] | None:
    """A wrapped layer written as ``{type: X, args: {...}}``, else None."""
    if isinstance(value, dict) and "type" in value:
        args = value.get("args", {})
        return (value["type"] if isinstance(value["type"], str) else None,
                args if isinstance(args, dict) else {})
    return None


def masked_value(info: LayerInfo, args: Mapping[str, Any]) -> tuple[Any, str, str] | None:
    """The value a mask generator marks as padding: (value, its constructor arg, how a message names it).

    From the catalog's ``generator`` fact: a constructor argument (Masking's
    ``mask_value``), or a constant switched on by one (Embedding's id 0 with
    ``mask_zero``).  None for a layer that generates no mask from values.
    """
    generator = info.mask.facts.get("generator")
    if not generator:
        return None
    if "masked_value_arg" in generator:
        key = generator["masked_value_arg"]
        return args.get(key), key, f"`{key}`"
    key = generator["arg"]
    return generator["masked_value"], key, f"the padding id of `{key}=True`"
