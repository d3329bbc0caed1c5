"""The spec format: pydantic models, YAML loading with source positions, JSON Schema."""

from graphmask.spec.loader import LoadResult, load_file, load_text
from graphmask.spec.models import (
    CustomLayerSpec,
    EarlyStoppingSpec,
    InputSpec,
    LayerSpec,
    MaskDeclaration,
    ObjectSpec,
    Spec,
    TrainingSpec,
    parse_ref,
)
from graphmask.spec.yaml_loader import Limits, Position, SourceMap
from graphmask.suggest import did_you_mean


def json_schema() -> dict:
    """The JSON Schema of the spec format, generated from the pydantic models."""
    schema = Spec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://graphmask.dev/schema/v1.json"
    schema["title"] = "graphmask spec (version 1)"
    return schema


__all__ = [
    "CustomLayerSpec", "EarlyStoppingSpec", "InputSpec", "LayerSpec", "Limits", "LoadResult", "MaskDeclaration",
    "ObjectSpec", "Position", "SourceMap", "Spec", "TrainingSpec", "did_you_mean", "json_schema", "load_file", "load_text", "parse_ref",
]
