"""GM206: the value a generator masks differs from the declared padding value of its input."""

from __future__ import annotations

from typing import Iterator

from graphmask import codes
from graphmask.analysis.flow import MaskFlow
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph

CODE = codes.GM206


def check(g: SpecGraph, flow: MaskFlow) -> Iterator[Diagnostic]:
    for node in flow.layers():
        generator = node.info.mask.facts.get("generator")
        source = node.first_input
        if "generator" not in node.roles or not generator or source is None:
            continue
        if "masked_value_arg" in generator:  # the masked value is a constructor argument (Masking)
            key = generator["masked_value_arg"]
            masked_value, what = node.args.get(key), f"`{key}`"
        else:  # a constant, switched on by an argument (Embedding's id 0 with mask_zero)
            key = generator["arg"]
            masked_value, what = generator["masked_value"], f"the padding id of `{key}=True`"
        for input_id in sorted(source.padded):
            pad_value = g.nodes[input_id].input_spec.pad_value
            if pad_value is None or pad_value == masked_value:
                continue
            where = node.node.where + ("args", key)
            if not (g.spec.source and g.spec.source.exists(where)):
                where = node.node.where + ("id",)
            yield g.diagnostic(CODE, f"`{node.id}` masks {what} {masked_value!r}, but input `{input_id}` "
                               f"is padded with {pad_value!r}", where, node=node.id)
