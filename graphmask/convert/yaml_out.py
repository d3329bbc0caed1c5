"""Converted spec data -> YAML text: block style at the top, one flow-style line per short layer,
and a comment above every input or declaration whose content was assumed."""

from __future__ import annotations

from typing import Any, Mapping

import yaml


def to_yaml(spec: Mapping[str, Any], comments: Mapping[tuple, str] | None = None) -> str:
    comments = comments or {}
    head = {k: v for k, v in spec.items() if k not in ("inputs", "layers", "outputs", "custom_layers")}
    parts = [yaml.safe_dump(head, sort_keys=False, allow_unicode=True)]
    parts.append("inputs:\n" + "".join(_comment(comments.get(("inputs", name)), "  ") + f"  {name}: {_flow(value)}\n"
                                       for name, value in spec["inputs"].items()))
    if spec.get("custom_layers"):
        declared = []
        for name, declaration in spec["custom_layers"].items():
            block = yaml.safe_dump({name: declaration}, sort_keys=False, allow_unicode=True)
            declared.append(_comment(comments.get(("custom_layers", name)), "  ")
                            + "".join(f"  {line}\n" for line in block.splitlines()))
        parts.append("custom_layers:\n" + "".join(declared))
    lines = []
    for layer in spec["layers"]:
        flow = _flow(layer)
        if len(flow) <= 110:
            lines.append(f"  - {flow}\n")
        else:
            block = yaml.safe_dump([layer], sort_keys=False, allow_unicode=True, width=100)
            lines.append("".join("  " + line + "\n" for line in block.splitlines()))
    parts.append("layers:\n" + "".join(lines))
    parts.append(yaml.safe_dump({"outputs": spec["outputs"]}, sort_keys=False, default_flow_style=None))
    return "".join(parts)


def _comment(text: str | None, indent: str) -> str:
    if not text:
        return ""
    return "".join(f"{indent}# {line}\n" for line in text.replace("\r", " ").splitlines())


def _flow(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6, allow_unicode=True).strip()
