"""Spec data -> YAML text, written the way people write specs.

Block style at the top, one flow-style line per input and per layer (a layer
longer than ``FLOW_WIDTH`` characters gets a block of its own). Used by
``graphmask import`` and the benchmarks' generated specs; plain PyYAML, no
TensorFlow.
"""

from __future__ import annotations

from typing import Any, Mapping

import yaml

FLOW_WIDTH = 110  # longest layer written on one line
_SECTIONS = ("inputs", "layers", "outputs", "custom_layers")


def to_yaml(spec: Mapping[str, Any]) -> str:
    """The YAML text of spec data (the dict a spec file loads to)."""
    head = {k: v for k, v in spec.items() if k not in _SECTIONS}
    parts = [yaml.safe_dump(head, sort_keys=False, allow_unicode=True)]
    parts.append("inputs:\n" + "".join(f"  {name}: {_flow(value)}\n" for name, value in spec["inputs"].items()))
    if spec.get("custom_layers"):
        parts.append(yaml.safe_dump({"custom_layers": spec["custom_layers"]}, sort_keys=False))
    lines = []
    for layer in spec["layers"]:
        flow = _flow(layer)
        if len(flow) <= FLOW_WIDTH:
            lines.append(f"  - {flow}\n")
        else:
            block = yaml.safe_dump([layer], sort_keys=False, allow_unicode=True, width=100)
            lines.append("".join("  " + line + "\n" for line in block.splitlines()))
    parts.append("layers:\n" + "".join(lines))
    parts.append(yaml.safe_dump({"outputs": spec["outputs"]}, sort_keys=False, default_flow_style=None))
    return "".join(parts)


def _flow(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6, allow_unicode=True).strip()
