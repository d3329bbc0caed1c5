"""GM206: the value a generator masks differs from the declared padding value of its input."""

from __future__ import annotations

from typing import Iterator

from graphmask import codes
from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.layers import masked_value
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph

CODE = codes.GM206


def check(g: SpecGraph, flow: MaskFlow) -> Iterator[Diagnostic]:
    for node in flow.layers():
        masked = masked_value(node.info, node.args)
        source = node.first_input
        if "generator" not in node.roles or masked is None or source is None:
            continue
        value, key, what = masked
        for input_id in sorted(source.padded):
            pad_value = g.nodes[input_id].input_spec.pad_value
            if pad_value is None or pad_value == value:
                continue
            where = node.node.where + ("args", key)
            if not (g.spec.source and g.spec.source.exists(where)):
                where = node.node.where + ("id",)
            yield g.diagnostic(CODE, f"`{node.id}` masks {what} {value!r}, but input `{input_id}` "
                               f"is padded with {pad_value!r}", where, node=node.id)
