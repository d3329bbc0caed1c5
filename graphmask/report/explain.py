"""``graphmask explain`` output: a table per node, or JSON."""

from __future__ import annotations

import json

from graphmask.analysis.flow import MaskFlow, NodeFlow
from graphmask.report.printable import visible


def _flags(values: list[bool] | bool) -> str:
    if isinstance(values, bool):
        return "yes" if values else "-"
    return ",".join("yes" if v else "-" for v in values) or "-"


def _paths(node: NodeFlow) -> str:
    """Routes of the masks the node outputs; for a consumer (masks in, none out), of those it receives, to it."""
    routes = [" -> ".join(t.mask.path) for t in node.outputs if t.mask is not None]
    if not routes:
        routes = [" -> ".join((*t.mask.path, node.id)) for t in node.inputs if t.mask is not None]
    return "; ".join(dict.fromkeys(routes)) or ""


def explain_rows(flow: MaskFlow) -> list[list[str]]:
    """One row per node. Both views of the masks (issue: they differ after MultiHeadAttention, sub-models...):

    ``mask in``/``mask out``: the tensors' masks when the model runs (what layers
    and the loss read); ``built``: the output masks in the built graph (the
    KerasTensors, what Keras's build-time warnings see); ``call mask``:
    whether ``call()`` is handed a ``mask=`` (or ``<arg>_mask=``) argument.
    """
    rows = [["id", "type", "mask in", "mask out", "built", "call mask", "axes", "roles", "mask path"]]
    built_view = flow.symbolic or flow.nodes
    for node in flow.nodes.values():
        axes = ", ".join(dict.fromkeys(t.mask.axes or "?" for t in node.outputs if t.mask is not None))
        built = built_view.get(node.id, node)
        rows.append([node.id, node.type or "?", _flags(node.mask_in), _flags(node.mask_out), _flags(built.mask_out),
                     _flags(node.gets_mask) if node.analysed else "", axes or "", ", ".join(node.roles),
                     _paths(node)])
    return rows


def format_explain_text(flow: MaskFlow) -> str:
    rows = [[visible(cell) for cell in row] for row in explain_rows(flow)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return f"{visible(flow.graph.spec.name)}\n" + "\n".join(lines) + "\n"


def format_explain_json(flow: MaskFlow) -> str:
    return json.dumps(flow.to_dict(), indent=2) + "\n"
