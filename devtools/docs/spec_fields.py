"""The field tables of ``docs/spec-format.md``, generated from the JSON Schema.

The pydantic models are the contract; their schema (``graphmask schema``)
is rendered here as one table per object, so every field is documented and
none can be added without the docs noticing. Regenerate with
``python -m devtools.docs``.
"""

from __future__ import annotations

import json
from typing import Any

from graphmask.spec import json_schema

# Object sections in reading order: (title, schema definition name; None = the root).
SECTIONS = (("Top level", None), ("`inputs.<name>`", "InputSpec"), ("`layers[]`", "LayerSpec"),
            ("`custom_layers.<name>`", "CustomLayerSpec"), ("`custom_layers.<name>.mask`", "MaskDeclaration"),
            ("`training`", "TrainingSpec"), ("`training.early_stopping`", "EarlyStoppingSpec"),
            ("`{type, args}` (an optimizer, loss or metric)", "ObjectSpec"))


def type_text(prop: dict[str, Any]) -> str:
    """A short human type for a schema property: ``list of (int ≥ 1 or null)``.

    ``ref`` is a node id or ``id[k]`` (output k of a multi-output layer);
    ``identifier`` is ``[A-Za-z_][A-Za-z0-9_]*``; ``code`` is ``GMxxx``.
    """
    if "$ref" in prop:
        return _ref_name(prop["$ref"])
    if "anyOf" in prop or "oneOf" in prop:
        return " or ".join(dict.fromkeys(type_text(p) for p in prop.get("anyOf") or prop["oneOf"]))
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" if isinstance(v, str) else f"`{json.dumps(v)}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{json.dumps(prop['const'])}`"
    kind = prop.get("type")
    if kind == "array":
        return f"list of {_group(type_text(prop.get('items', {})))}"
    if kind == "object":
        values = prop.get("additionalProperties") or next(iter(prop.get("patternProperties", {}).values()), None)
        keys = "identifier" if "patternProperties" in prop else "name"
        return f"mapping of {keys} to {_group(type_text(values))}" if isinstance(values, dict) and values else "mapping"
    named = {r"^[A-Za-z_][A-Za-z0-9_]*$": "identifier", r"^[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+\])?$": "ref",
             r"^GM[0-9]{3}$": "code"}
    if kind == "string" and prop.get("pattern") in named:
        return named[prop["pattern"]]
    words = {"string": "string", "integer": "int", "number": "number", "boolean": "bool", "null": "null"}
    text = words.get(kind, "any")
    if "pattern" in prop:
        text += f" matching `{prop['pattern']}`"
    if "minimum" in prop:
        text += f" ≥ {prop['minimum']}"
    if "maximum" in prop:
        text += f" ≤ {prop['maximum']}"
    return text


def _group(text: str) -> str:
    return f"({text})" if " or " in text else text


def _ref_name(ref: str) -> str:
    name = ref.rsplit("/", 1)[-1]
    return {"InputSpec": "input", "LayerSpec": "layer", "CustomLayerSpec": "custom layer",
            "MaskDeclaration": "mask declaration"}.get(name, name)


def field_tables() -> str:
    schema = json_schema()
    parts = []
    for title, definition in SECTIONS:
        obj = schema if definition is None else schema["$defs"][definition]
        required = set(obj.get("required", ()))
        parts += [f"#### {title}", ""]
        if obj.get("description") and definition is not None:
            parts += [" ".join(obj["description"].split()), ""]
        parts += ["| field | type | required / default | meaning |", "|---|---|---|---|"]
        for name, prop in obj["properties"].items():
            need = "**required**" if name in required else (
                f"`{json.dumps(prop['default'])}`" if "default" in prop else "optional")
            meaning = " ".join(prop.get("description", "").split()).replace("|", "\\|")
            parts.append(f"| `{name}` | {type_text(prop)} | {need} | {meaning} |")
        parts.append("")
    return "\n".join(parts)
