"""The picture model every ``graphmask graph`` format draws from.

One place decides what a picture shows — which nodes, labelled how, styled by
which role, which edges carry a mask, which diagnostics hang on which node, and
where each node sits in a left-to-right layered layout (``graph_layout``) —
so mermaid, dot and the self-drawn HTML/SVG never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from graphmask.analysis.flow import MaskFlow, NodeFlow, state_of
from graphmask.diagnostics import Diagnostic, Severity
from graphmask.report.graph_layout import layered_layout
from graphmask.report.text import severity_counts
from graphmask.report.printable import visible

# One style per node, the first of its roles in this order: a node that
# drops a mask it cannot take is drawn as the problem it is, and a pooling
# layer that reads the mask and ends it is drawn as the consumer it is.
STYLE_PRECEDENCE = ("unsupported", "generator", "consumer", "destroyer", "modifier", "propagator")

# style -> (fill, stroke). ``unsupported`` is the one that must stand out.
PALETTE = {
    "input": ("#eef2f7", "#64748b"),
    "generator": ("#dcfce7", "#16a34a"),
    "propagator": ("#dbeafe", "#2563eb"),
    "consumer": ("#ede9fe", "#7c3aed"),
    "modifier": ("#cffafe", "#0891b2"),
    "destroyer": ("#fef3c7", "#b45309"),
    "unsupported": ("#fecaca", "#dc2626"),
    "plain": ("#ffffff", "#9ca3af"),  # no mask reaches it and it makes none
    "unknown": ("#f3f4f6", "#6b7280"),  # type graphmask could not analyse
    "output": ("#f8fafc", "#334155"),
}
STYLE_MEANING = {
    "input": "model input",
    "generator": "creates a mask",
    "propagator": "passes the mask on",
    "consumer": "reads the mask",
    "modifier": "combines or changes masks",
    "destroyer": "ends the mask (by design)",
    "unsupported": "mask reaches a layer that cannot take it (dropped)",
    "plain": "no mask involved",
    "unknown": "not analysed",
    "output": "model output",
}
MASK_EDGE_COLOR = "#2563eb"
PLAIN_EDGE_COLOR = "#9ca3af"
SEVERITY_COLOR = {"error": "#dc2626", "warning": "#d97706", "info": "#0891b2"}
WARNING_SIGN = "\u26a0"


@dataclass(frozen=True)
class PictureNode:
    key: str  # n0, n1, ...: a safe identifier in every format (spec ids may be reserved words there)
    id: str
    type: str
    kind: str  # "input" | "layer" | "output"
    roles: tuple[str, ...]
    style: str
    diagnostics: tuple[Diagnostic, ...]
    rank: int  # column, left to right
    order: int  # row within the column

    @property
    def lines(self) -> list[str]:
        """The label, line by line: id, type, roles (spec text, control characters escaped)."""
        lines = [self.id, self.type]
        if self.roles:
            lines.append(", ".join(self.roles))
        return [visible(line) for line in lines]

    @property
    def codes(self) -> str:
        """``GM201 GM202`` for the node's diagnostics, in order, each once."""
        return " ".join(dict.fromkeys(d.code for d in self.diagnostics))

    @property
    def worst(self) -> Severity | None:
        return max((d.severity for d in self.diagnostics), key=lambda s: s.rank, default=None)

    @property
    def tooltip(self) -> str:
        return "\n".join(f"{d.code} {d.severity.value}: {d.message}" for d in self.diagnostics)


@dataclass(frozen=True)
class PictureEdge:
    source: str  # PictureNode.key
    target: str
    carries_mask: bool  # the tensor has a mask when the model runs (what layers and the loss read)
    label: str  # call keyword or output index when it matters, else ""
    via: tuple[tuple[int, int], ...] = ()  # (column, row) slots a long edge passes, for self-drawn layouts
    built_mask: bool | None = None  # the tensor has a mask in the built graph (None: same as carries_mask)

    @property
    def built_only(self) -> bool:
        """Masked in the built graph, not when the model runs (e.g. after MultiHeadAttention clears it)."""
        return bool(self.built_mask) and not self.carries_mask

    @property
    def run_only(self) -> bool:
        """Masked when the model runs, not in the built graph (e.g. out of a nested model)."""
        return self.carries_mask and self.built_mask is False

    def describe(self) -> str:
        if self.built_only:
            return "a mask in the built graph, none when the model runs"
        if self.run_only:
            return "a mask when the model runs, none in the built graph"
        return "carries a mask" if self.carries_mask else "no mask"


@dataclass(frozen=True)
class Picture:
    name: str
    file: str
    nodes: tuple[PictureNode, ...]
    edges: tuple[PictureEdge, ...]
    diagnostics: tuple[Diagnostic, ...]  # all of the file's, node-less ones included

    def node(self, key: str) -> PictureNode:
        return next(n for n in self.nodes if n.key == key)

    @property
    def styles_used(self) -> list[str]:
        used = {n.style for n in self.nodes}
        return [s for s in PALETTE if s in used]

    @property
    def summary(self) -> str:
        return severity_counts(self.diagnostics) or "no findings"


def build_picture(flow: MaskFlow, diagnostics: list[Diagnostic]) -> Picture:
    g = flow.graph
    keys = {node_id: f"n{i}" for i, node_id in enumerate(flow.nodes)}
    by_node: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        if d.node in keys:
            by_node.setdefault(d.node, []).append(d)

    edges = []
    for node_id in flow.nodes:
        for b in g.nodes[node_id].bindings:
            label = b.slot if isinstance(b.slot, str) else ""
            if b.index is not None:
                label = f"{label}[{b.index}]" if label else f"[{b.index}]"
            edges.append(PictureEdge(keys[b.node], keys[node_id], flow.output_state(b).mask is not None, label,
                                     built_mask=_built_mask(flow, b)))

    outputs = []
    for i, (name, b) in enumerate(g.outputs):
        if b.node not in keys:
            continue
        key = f"o{i}"
        outputs.append((key, name))
        edges.append(PictureEdge(keys[b.node], key, flow.output_state(b).mask is not None,
                                 f"[{b.index}]" if b.index is not None else "", built_mask=_built_mask(flow, b)))

    topological = [keys[node_id] for node_id in g.topological_order() if node_id in keys]
    layout = layered_layout(topological + [k for k, _ in outputs], [(e.source, e.target) for e in edges])
    ranks, orders = layout.rank, layout.order
    edges = [replace(e, via=via) for e, via in zip(edges, layout.via)]
    nodes = [
        PictureNode(keys[node_id], node_id, nf.type or "?", _kind(g.nodes[node_id].kind), tuple(nf.roles),
                    _style(nf, g.nodes[node_id].kind), tuple(by_node.get(node_id, ())),
                    ranks[keys[node_id]], orders[keys[node_id]])
        for node_id, nf in flow.nodes.items()
    ]
    nodes += [PictureNode(key, name, "output", "output", (), "output", (), ranks[key], orders[key])
              for key, name in outputs]
    return Picture(g.spec.name, g.file, tuple(nodes), tuple(edges), tuple(diagnostics))


def _built_mask(flow: MaskFlow, binding) -> bool | None:
    if flow.symbolic is None or binding.node not in flow.symbolic:
        return None
    return state_of(flow.symbolic, binding).mask is not None


def _kind(kind: str) -> str:
    return "input" if kind == "input" else "layer"


def _style(nf: NodeFlow, kind: str) -> str:
    if kind == "input":
        return "input"
    for role in STYLE_PRECEDENCE:
        if role in nf.roles:
            return role
    if nf.info is None:
        return "unknown"
    return "plain"
