"""Validated spec -> graph of nodes with resolved inputs.

``build_graph`` resolves every reference (explicit, or the implicit
"previous layer" of Sequential style) and reports duplicate ids, undefined
references and cycles. Everything downstream (analyses, the Keras backend)
works on ``SpecGraph`` and never re-parses refs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from graphmask import codes
from graphmask.diagnostics import Diagnostic
from graphmask.suggest import did_you_mean
from graphmask.spec.models import InputSpec, LayerSpec, Spec, parse_ref
from graphmask.spec.yaml_loader import Position


@dataclass(frozen=True)
class Binding:
    """One tensor input of a node: ``slot`` is a position or a call keyword."""

    slot: str | int
    node: str  # producing node id
    index: int | None  # output index for `id[k]` refs, None for plain `id`
    where: tuple  # YAML path of the ref (for diagnostics)

    @property
    def ref(self) -> str:
        return self.node if self.index is None else f"{self.node}[{self.index}]"


@dataclass
class Node:
    id: str
    kind: str  # "input" | "layer"
    where: tuple  # YAML path of the node's definition
    input_spec: InputSpec | None = None
    layer: LayerSpec | None = None
    layer_type: str | None = None  # for `share:` nodes, the shared layer's type
    args: dict[str, Any] = field(default_factory=dict)  # ditto for args
    bindings: list[Binding] = field(default_factory=list)
    shares: str | None = None  # id of the node whose layer instance is reused

    @property
    def ignored(self) -> frozenset[str]:
        return frozenset(self.layer.ignore) if self.layer is not None else frozenset()

    @property
    def call_kwargs(self) -> dict[str, Any]:
        return dict(self.layer.call) if self.layer is not None else {}


@dataclass
class SpecGraph:
    spec: Spec
    nodes: dict[str, Node]  # in spec order: inputs, then layers
    graph: nx.DiGraph  # edge producer -> consumer
    outputs: list[tuple[str, Binding]]  # (output name, binding)
    acyclic: bool = True
    # Results of analyses of this (never mutated) graph, by analysis name, so a
    # command that checks and then explains or draws does not redo them.
    analyses: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def file(self) -> str:
        return self.spec.file

    def position(self, where: tuple, key: bool = False) -> Position:
        source = self.spec.source
        if source is None:
            return Position(0, 0)
        return source.key(where) if key else source.value(where)

    def diagnostic(self, code: str, message: str, where: tuple, node: str | None = None,
                   key: bool = False, **extra: Any) -> Diagnostic:
        pos = self.position(where, key=key)
        return Diagnostic(code, message, file=self.file, line=pos.line, column=pos.column, node=node, **extra)

    def topological_order(self) -> list[str]:
        """Node ids in dependency order, ties broken by spec order."""
        order = {node_id: i for i, node_id in enumerate(self.nodes)}
        return list(nx.lexicographical_topological_sort(self.graph, key=order.__getitem__))

    def layers(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind == "layer"]

    def consumers(self, node_id: str) -> list[str]:
        return list(self.graph.successors(node_id))


def _ref_bindings(layer: LayerSpec, where: tuple) -> list[tuple[str | int, str, tuple]]:
    """The explicit inputs of a layer as (slot, ref, YAML path of the ref)."""
    inputs = layer.inputs
    base = where + ("inputs",)
    if inputs is None:
        return []
    if isinstance(inputs, str):
        return [(0, inputs, base)]
    if isinstance(inputs, list):
        return [(i, ref, base + (i,)) for i, ref in enumerate(inputs)]
    result: list[tuple[str | int, str, tuple]] = []
    for keyword, refs in inputs.items():
        if isinstance(refs, str):
            result.append((keyword, refs, base + (keyword,)))
        else:
            result.extend((f"{keyword}[{i}]", ref, base + (keyword, i)) for i, ref in enumerate(refs))
    return result


def build_graph(spec: Spec) -> tuple[SpecGraph, list[Diagnostic]]:
    g = SpecGraph(spec, {}, nx.DiGraph(), [])
    diagnostics: list[Diagnostic] = []
    first_seen: dict[str, tuple] = {}

    for name, input_spec in spec.inputs.items():
        where = ("inputs", name)
        g.nodes[name] = Node(name, "input", where, input_spec=input_spec)
        first_seen[name] = where

    previous: str | None = next(iter(spec.inputs)) if len(spec.inputs) == 1 else None
    pending: list[tuple[Node, list[tuple[str | int, str, tuple]]]] = []
    for position, layer in enumerate(spec.layers):
        where = ("layers", spec.yaml_index(position))
        if layer.id in first_seen:
            first = g.position(first_seen[layer.id])
            diagnostics.append(g.diagnostic(
                codes.GM106, f"duplicate id `{layer.id}` (first defined at line {first.line})",
                where + ("id",), node=layer.id))
            continue
        first_seen[layer.id] = where + ("id",)
        node = Node(layer.id, "layer", where, layer=layer, layer_type=layer.type, args=dict(layer.args))
        refs = _ref_bindings(layer, where)
        if not refs:
            if previous is None:
                diagnostics.append(g.diagnostic(
                    codes.GM105,
                    f"layer `{layer.id}` has no `inputs` and there is no single previous node to take "
                    f"its input from (the spec has {len(spec.inputs)} inputs); name its inputs",
                    where + ("id",), node=layer.id))
            else:
                refs = [(0, previous, where + ("id",))]
        g.nodes[layer.id] = node
        pending.append((node, refs))
        previous = layer.id

    known = set(g.nodes) | set(spec.invalid_ids)
    for node, refs in pending:
        for slot, ref, ref_where in refs:
            target, index = parse_ref(ref)
            if target not in g.nodes:
                if target not in known:
                    diagnostics.append(g.diagnostic(
                        codes.GM105, f"`{node.id}` refers to undefined node `{target}`{did_you_mean(target, set(g.nodes))}",
                        ref_where, node=node.id))
                continue
            node.bindings.append(Binding(slot, target, index, ref_where))
        g.graph.add_node(node.id)
    for node_id in spec.inputs:
        g.graph.add_node(node_id)
    for node in g.nodes.values():
        for binding in node.bindings:
            g.graph.add_edge(binding.node, node.id)

    _resolve_shares(g, diagnostics)

    for name, ref in spec.output_refs():
        where = ("outputs", name) if isinstance(spec.outputs, dict) else ("outputs", spec.outputs.index(ref))
        target, index = parse_ref(ref)
        if target not in g.nodes:
            if target not in known:
                diagnostics.append(g.diagnostic(
                    codes.GM105, f"output `{name}` refers to undefined node `{target}`{did_you_mean(target, set(g.nodes))}",
                    where))
            continue
        g.outputs.append((name, Binding(name, target, index, where)))

    diagnostics.extend(_cycles(g))
    return g, diagnostics


def _resolve_shares(g: SpecGraph, diagnostics: list[Diagnostic]) -> None:
    """Give `share:` nodes the type and args of the layer they reuse."""
    for node in g.nodes.values():
        if node.layer is None or node.layer.share is None:
            continue
        target = g.nodes.get(node.layer.share)
        where = node.where + ("share",)
        if target is None or target.kind != "layer":
            if node.layer.share not in g.spec.invalid_ids:
                what = "an input" if target is not None else "undefined"
                diagnostics.append(g.diagnostic(
                    codes.GM105, f"`{node.id}` shares the layer of `{node.layer.share}`, which is {what}",
                    where, node=node.id))
            continue
        if target.layer.share is not None:
            diagnostics.append(g.diagnostic(
                codes.GM105, f"`{node.id}` shares `{target.id}`, which is itself a `share` node; "
                f"share `{target.layer.share}` directly", where, node=node.id))
            continue
        node.shares = target.id
        node.layer_type = target.layer_type
        node.args = dict(target.args)


def _cycles(g: SpecGraph) -> list[Diagnostic]:
    diagnostics = []
    order = {node_id: i for i, node_id in enumerate(g.nodes)}
    for component in nx.strongly_connected_components(g.graph):
        if len(component) == 1:
            (only,) = component
            if not g.graph.has_edge(only, only):
                continue
        g.acyclic = False
        members = sorted(component, key=order.__getitem__)
        cycle = nx.find_cycle(g.graph.subgraph(members), source=members[0])
        route = " -> ".join([edge[0] for edge in cycle] + [cycle[0][0]])
        first = g.nodes[members[0]]
        diagnostics.append(g.diagnostic(codes.GM107, f"cycle in the graph: {route}", first.where + ("id",), node=first.id))
    return diagnostics
