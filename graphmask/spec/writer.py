"""Spec data -> YAML text, written the way people write specs.

Block style at the top, one flow-style line per input and per layer (a layer
longer than ``FLOW_WIDTH`` characters gets a block of its own); sub-models
(``models:``) are written the same way, one level deeper. ``comments`` puts a
``#`` comment above an input or a custom layer declaration (``graphmask
import`` says there what it assumed). Used by ``graphmask import`` and the
benchmarks' generated specs; plain PyYAML, no TensorFlow.
"""

from __future__ import annotations

from typing import Any, Mapping

import yaml

FLOW_WIDTH = 110  # longest layer written on one line
_SECTIONS = ("inputs", "layers", "outputs", "custom_layers", "models")


def to_yaml(spec: Mapping[str, Any], comments: Mapping[tuple, str] | None = None) -> str:
    """The YAML text of spec data (the dict a spec file loads to); ``comments``: spec path -> text,
    for ``("inputs", name)`` and ``("custom_layers", name)``."""
    comments = comments or {}
    head = {k: v for k, v in spec.items() if k not in _SECTIONS}
    parts = [yaml.safe_dump(head, sort_keys=False, allow_unicode=True)]
    if spec.get("custom_layers"):
        declared = []
        for name, declaration in spec["custom_layers"].items():
            block = yaml.safe_dump({name: declaration}, sort_keys=False, allow_unicode=True)
            declared.append(_comment(comments.get(("custom_layers", name)), "  ") + _indent(block, "  "))
        parts.append("custom_layers:\n" + "".join(declared))
    if spec.get("models"):
        parts.append("models:\n" + "".join(f"  {name}:\n" + _indent(_graph(model, {}, ()), "    ")
                                           for name, model in spec["models"].items()))
    parts.append(_graph(spec, comments, ("inputs",)))
    return "".join(parts)


def _graph(graph: Mapping[str, Any], comments: Mapping[tuple, str], inputs_path: tuple) -> str:
    """``inputs:``, ``layers:`` and ``outputs:`` of the model or of a sub-model."""
    inputs = "".join(_comment(comments.get(inputs_path + (name,)), "  ") + f"  {name}: {_flow(value)}\n"
                     for name, value in graph["inputs"].items())
    lines = []
    for layer in graph["layers"]:
        flow = _flow(layer)
        if len(flow) <= FLOW_WIDTH:
            lines.append(f"  - {flow}\n")
        else:
            lines.append(_indent(yaml.safe_dump([layer], sort_keys=False, allow_unicode=True, width=100), "  "))
    outputs = yaml.safe_dump({"outputs": graph["outputs"]}, sort_keys=False, default_flow_style=None)
    return "inputs:\n" + inputs + "layers:\n" + "".join(lines) + outputs


def _indent(block: str, indent: str) -> str:
    return "".join(f"{indent}{line}\n" for line in block.splitlines())


def _comment(text: str | None, indent: str) -> str:
    if not text:
        return ""
    return "".join(f"{indent}# {line}\n" for line in text.replace("\r", " ").splitlines())


def _flow(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6, allow_unicode=True).strip()
