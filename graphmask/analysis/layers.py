"""Which ``LayerInfo`` describes a node: the Keras catalog or a custom declaration.

Every pass asks here, so a custom layer declared under ``custom_layers:`` is
treated exactly like a catalog entry built from its declaration.
"""

from __future__ import annotations

import functools
from types import MappingProxyType
from typing import Any, Mapping

from graphmask.catalog import ArgInfo, LayerInfo, MaskRule, load_catalog
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
        call_args=("inputs", "mask") if custom.mask.consumes else ("inputs",),
        min_inputs=custom.inputs or 1,
        max_inputs=custom.inputs,
        mask=MaskRule.from_declaration(custom.mask.model_dump(exclude_none=True)),
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


def nested_layer(value: Any) -> tuple[str | None, Mapping[str, Any]] | None:
    """A wrapped layer written as ``{type: X, args: {...}}``, else None."""
    if isinstance(value, dict) and "type" in value:
        args = value.get("args", {})
        return (value["type"] if isinstance(value["type"], str) else None,
                args if isinstance(args, dict) else {})
    return None
