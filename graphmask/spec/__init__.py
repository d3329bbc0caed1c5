"""The spec format: pydantic models, YAML loading with source positions, JSON Schema."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphmask.spec.limits import Limits
    from graphmask.spec.loader import LoadResult, load_file, load_text
    from graphmask.spec.models import (CustomLayerSpec, EarlyStoppingSpec, InputSpec, LayerSpec, MaskDeclaration,
                                       ObjectSpec, Spec, TrainingSpec, parse_ref)
    from graphmask.spec.yaml_loader import Position, SourceMap
    from graphmask.suggest import did_you_mean

# Names -> their module, imported on first use: `Limits` (all a cached `check`
# needs) must not cost pydantic and YAML.
from graphmask.lazy import lazy_names  # noqa: E402

_LAZY = {
    "Limits": "graphmask.spec.limits",
    "LoadResult": "graphmask.spec.loader", "load_file": "graphmask.spec.loader", "load_text": "graphmask.spec.loader",
    "CustomLayerSpec": "graphmask.spec.models", "InputSpec": "graphmask.spec.models",
    "LayerSpec": "graphmask.spec.models", "MaskDeclaration": "graphmask.spec.models", "Spec": "graphmask.spec.models",
    "parse_ref": "graphmask.spec.models", "EarlyStoppingSpec": "graphmask.spec.models",
    "ObjectSpec": "graphmask.spec.models", "TrainingSpec": "graphmask.spec.models",
    "Position": "graphmask.spec.yaml_loader", "SourceMap": "graphmask.spec.yaml_loader",
    "did_you_mean": "graphmask.suggest",
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())


def json_schema() -> dict:
    """The JSON Schema of the spec format, generated from the pydantic models."""
    from graphmask.spec.models import Spec

    schema = Spec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://graphmask.dev/schema/v1.json"
    schema["title"] = "graphmask spec (version 1)"
    return schema


__all__ = [
    "CustomLayerSpec", "EarlyStoppingSpec", "InputSpec", "LayerSpec", "Limits", "LoadResult", "MaskDeclaration",
    "ObjectSpec", "Position", "SourceMap", "Spec", "TrainingSpec", "did_you_mean", "json_schema", "load_file", "load_text", "parse_ref",
]
