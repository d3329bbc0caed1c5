"""Validated spec -> graph of nodes with resolved inputs.

``build_graph`` resolves every reference (explicit, or the implicit
"previous layer" of Sequential style) and reports duplicate ids, undefined
references and cycles. Everything downstream (analyses, the Keras backend)
works on ``SpecGraph`` and never re-parses refs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphmask import codes
from graphmask.dag import ancestors, kahn_order
from graphmask.diagnostics import Diagnostic
from graphmask.suggest import did_you_mean
from graphmask.spec.models import InputSpec, LayerSpec, Spec, parse_ref
from graphmask.spec.yaml_loader import Position

if TYPE_CHECKING:
    import networkx as nx


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
    kind: str  # "input" | "layer" | "model" (a sub-model call) | "model_input" (its inputs, inside)
    where: tuple  # YAML path of the node's definition
    input_spec: InputSpec | None = None
    layer: LayerSpec | None = None
    layer_type: str | None = None  # for `share:` nodes, the shared layer's type; None for `op:` nodes
    args: dict[str, Any] = field(default_factory=dict)  # ditto for args
    bindings: list[Binding] = field(default_factory=list)
    shares: str | None = None  # id of the node whose layer instance is reused
    tensor_call_keys: frozenset[str] = frozenset()  # `call:` keywords whose values are refs (bindings now)
    # Sub-models: the id prefix (`<call>/`) of the call whose sub-model this node belongs to ("" at the top),
    # and whether that call repeats an earlier call of the same model (its layers were checked there).
    scope: str = ""
    repeat: bool = False
    # What the analyses derive from this node alone, kept on first use (the graph is never mutated after
    # ``build_graph``): (spec, its ``LayerInfo``), see ``analysis.layers.node_info``.
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def ignored(self) -> frozenset[str]:
        return frozenset(self.layer.ignore) if self.layer is not None else frozenset()

    @property
    def call_kwargs(self) -> dict[str, Any]:
        """The ``call:`` keywords that are plain values (refs among them are bindings); read-only, computed
        on first use (after ``build_graph`` has set ``tensor_call_keys``). Not a ``cached_property``: on
        Python 3.11 its first read takes a lock, which cost more than the dict."""
        known = self.derived.get("call_kwargs")
        if known is None:
            known = self.derived["call_kwargs"] = {} if self.layer is None else {
                k: v for k, v in self.layer.call.items() if k not in self.tensor_call_keys}
        return known


@dataclass
class SpecGraph:
    spec: Spec
    nodes: dict[str, Node]  # in spec order: inputs, then layers
    outputs: list[tuple[str, Binding]]  # (output name, binding)
    acyclic: bool = True
    # The edges, producer -> consumers and consumer -> producers, each without repeats, in the order
    # they were added. The walks a check needs run on these (``topological_order``, ``ancestors``);
    # ``graph`` is the same graph as a networkx DiGraph, for any other algorithm.
    successors: dict[str, dict[str, None]] = field(default_factory=dict, repr=False)
    predecessors: dict[str, dict[str, None]] = field(default_factory=dict, repr=False)
    # Results of analyses of this (never mutated) graph, by analysis name, so a
    # command that checks and then explains or draws does not redo them.
    analyses: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # An earlier check's graph of the same document (an editor's re-check): analyses may reuse what the
    # edit did not change, and drop it once used.  Results are the same without it.
    previous: SpecGraph | None = field(default=None, repr=False, compare=False)

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

    @functools.cached_property
    def graph(self) -> nx.DiGraph:
        """The graph as a networkx ``DiGraph`` (edge producer -> consumer), built on first use:
        importing networkx costs more than a whole check of a small spec."""
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(self.nodes)
        for node in self.nodes.values():
            for binding in node.bindings:
                graph.add_edge(binding.node, node.id)
        return graph

    def add_edge(self, producer: str, consumer: str) -> None:
        self.successors[producer][consumer] = None
        self.predecessors[consumer][producer] = None

    def topological_order(self) -> list[str]:
        """Node ids in dependency order, ties broken by spec order (as networkx's
        ``lexicographical_topological_sort`` keyed by spec order); ``ValueError`` on a cycle."""
        order = self._sorted()
        if len(order) != len(self.nodes):
            raise ValueError("the graph has a cycle")
        return list(order)

    def _sorted(self) -> list[str]:
        """Kahn's algorithm, the ready node first in spec order; on a cycle, only the nodes before it."""
        if "topological_order" in self.analyses:
            return self.analyses["topological_order"]
        order = kahn_order(list(self.nodes), self.successors, self.predecessors)
        self.analyses["topological_order"] = order
        return order

    def ancestors(self, node_id: str) -> set[str]:
        """Every node with a path to ``node_id`` (``networkx.ancestors``)."""
        return ancestors(self.predecessors, node_id)

    def layers(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind == "layer"]

    def local_id(self, node_id: str) -> str:
        """The id as the spec writes it (``dense`` for ``encoder/dense`` inside a sub-model)."""
        return node_id.rsplit("/", 1)[-1]

    def consumers(self, node_id: str) -> list[str]:
        return list(self.successors[node_id])


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


def _call_refs(layer: LayerSpec, where: tuple, ids: set[str]) -> list[tuple[str | int, str, tuple]]:
    """``call:`` keywords whose value is a ref, or a list of refs, to a node of the spec: tensors, as edges.

    ``call: {initial_state: ["encoder[1]", "encoder[2]"]}`` passes tensors
    exactly as ``inputs: {initial_state: [...]}`` does.  A string that names
    no node stays a plain value.
    """
    def is_ref(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return parse_ref(value)[0] in ids
        except ValueError:  # not ref-shaped: a plain string value
            return False

    result: list[tuple[str | int, str, tuple]] = []
    for keyword, value in layer.call.items():
        base = where + ("call", keyword)
        if is_ref(value):
            result.append((keyword, value, base))
        elif isinstance(value, list) and value and all(is_ref(v) for v in value):
            result.extend((f"{keyword}[{i}]", ref, base + (i,)) for i, ref in enumerate(value))
    return result


@dataclass
class _Pending:
    """A node whose refs are resolved once every node of its scope exists."""

    node: Node
    refs: list[tuple[str | int, str, tuple]]
    scope: str  # the id prefix of the scope its refs name nodes in ("" at the top level)


def build_graph(spec: Spec) -> tuple[SpecGraph, list[Diagnostic]]:
    g = SpecGraph(spec, {}, [])
    diagnostics: list[Diagnostic] = []
    first_seen: dict[str, tuple] = {}

    for name, input_spec in spec.inputs.items():
        where = ("inputs", name)
        g.nodes[name] = Node(name, "input", where, input_spec=input_spec)
        first_seen[name] = where

    previous: str | None = next(iter(spec.inputs)) if len(spec.inputs) == 1 else None
    pending: list[_Pending] = []
    _add_layers(g, spec.layers, lambda position: ("layers", spec.yaml_index(position)), "", previous,
                set(spec.inputs) | set(spec.invalid_ids), first_seen, pending, diagnostics, ())

    known = set(g.nodes) | set(spec.invalid_ids)
    for item in pending:
        node = item.node
        for slot, ref, ref_where in item.refs:
            target, index = parse_ref(ref)
            target = item.scope + target
            if target not in g.nodes:
                if target not in known:
                    local = {n[len(item.scope):] for n in g.nodes if n.startswith(item.scope) and
                             "/" not in n[len(item.scope):]}
                    diagnostics.append(g.diagnostic(
                        codes.GM105, f"`{node.id}` refers to undefined node `{target[len(item.scope):]}`"
                        f"{did_you_mean(target[len(item.scope):], local)}", ref_where, node=node.id))
                continue
            node.bindings.append(Binding(slot, target, index, ref_where))
    for node_id in g.nodes:
        g.successors[node_id] = {}
        g.predecessors[node_id] = {}
    for node in g.nodes.values():
        for binding in node.bindings:
            g.add_edge(binding.node, node.id)

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


def _add_layers(g: SpecGraph, layers: list[LayerSpec], where_of: Any, scope: str, previous: str | None,
                ids: set[str], first_seen: dict[str, tuple], pending: list[_Pending],
                diagnostics: list[Diagnostic], calling: tuple[str, ...], repeat: bool = False) -> None:
    """The nodes of one scope: the spec's layers, or a sub-model's for one call of it (ids ``<call>/<id>``).

    ``calling``: the sub-models being expanded, outermost first (a model may not call itself);
    ``repeat``: a later call of a sub-model (its layers were checked at the first call).
    """
    ids = ids | {layer.id for layer in layers}
    for position, layer in enumerate(layers):
        where = where_of(position)
        node_id = scope + layer.id
        if node_id in first_seen:
            if not scope:  # inside a sub-model the same ids recur, once per call
                first = g.position(first_seen[node_id])
                diagnostics.append(g.diagnostic(
                    codes.GM106, f"duplicate id `{layer.id}` (first defined at line {first.line})",
                    where + ("id",), node=layer.id))
            continue
        first_seen[node_id] = where + ("id",)
        kind = "model" if layer.model is not None else "layer"
        node = Node(node_id, kind, where, layer=layer, layer_type=layer.type, args=dict(layer.args), scope=scope,
                    repeat=repeat)
        refs = _ref_bindings(layer, where)
        if not refs:
            if previous is None:
                diagnostics.append(g.diagnostic(
                    codes.GM105,
                    f"layer `{layer.id}` has no `inputs` and there is no single previous node to take "
                    f"its input from (the spec has {len(g.spec.inputs)} inputs); name its inputs",
                    where + ("id",), node=node_id))
            else:
                refs = [(0, previous, where + ("id",))]
        call_refs = _call_refs(layer, where, ids)
        node.tensor_call_keys = frozenset(str(slot).split("[")[0] for slot, _, _ in call_refs)
        refs = refs + call_refs
        g.nodes[node_id] = node
        if kind == "model":
            _add_model_call(g, node, refs, scope, first_seen, pending, diagnostics, calling, repeat)
        else:
            pending.append(_Pending(node, refs, scope))
        previous = layer.id


def _add_model_call(g: SpecGraph, call: Node, refs: list[tuple[str | int, str, tuple]], scope: str,
                    first_seen: dict[str, tuple], pending: list[_Pending], diagnostics: list[Diagnostic],
                    calling: tuple[str, ...], repeat: bool) -> None:
    """A ``model:`` node: the sub-model's inputs take the call's tensors, and the node outputs its outputs."""
    name = call.layer.model
    sub = g.spec.models.get(name)
    where = call.where + ("model",)
    if sub is None:
        diagnostics.append(g.diagnostic(codes.GM105, f"`{call.id}` calls undefined model `{name}`"
                                        f"{did_you_mean(name, set(g.spec.models))}; declare it under `models:`",
                                        where, node=call.id))
        return
    if name in calling:
        route = " -> ".join(calling[calling.index(name):] + (name,))
        diagnostics.append(g.diagnostic(codes.GM107, f"model `{name}` calls itself: {route}", where, node=call.id))
        return
    inner = call.id + "/"
    repeat = repeat or any(n.kind == "model" and n.layer.model == name and n is not call for n in g.nodes.values())
    by_name = {slot: r for slot, *r in refs if isinstance(slot, str)}
    positional = [r for slot, *r in refs if isinstance(slot, int)]
    names = list(sub.inputs)
    if len(positional) + len(by_name) != len(names) or set(by_name) - set(names):
        diagnostics.append(g.diagnostic(
            codes.GM109, f"model `{name}` takes {len(names)} input{'s' if len(names) != 1 else ''} "
            f"({', '.join(names)}), `{call.id}` gives it {len(positional) + len(by_name)}",
            call.where + ("inputs",) if call.layer.inputs is not None else call.where + ("id",), node=call.id))
        return
    for input_name, input_spec in sub.inputs.items():
        ref = by_name.get(input_name) or positional.pop(0)
        boundary = Node(inner + input_name, "model_input", ("models", name, "inputs", input_name),
                        input_spec=input_spec, scope=inner, repeat=repeat)
        g.nodes[boundary.id] = boundary
        pending.append(_Pending(boundary, [(0, ref[0], ref[1])], scope))
    previous = names[0] if len(names) == 1 else None
    _add_layers(g, sub.layers, lambda position: ("models", name, "layers", position), inner, previous,
                set(names), first_seen, pending, diagnostics, calling + (name,), repeat)
    outputs = [(i, ref, ("models", name, "outputs", key if isinstance(sub.outputs, dict) else i))
               for i, (key, ref) in enumerate(sub.output_refs())]
    pending.append(_Pending(call, outputs, inner))


def _resolve_shares(g: SpecGraph, diagnostics: list[Diagnostic]) -> None:
    """Give `share:` nodes the type and args of the layer they reuse."""
    for node in g.nodes.values():
        if node.layer is None or node.layer.share is None:
            continue
        target = g.nodes.get(node.layer.share)
        where = node.where + ("share",)
        if target is node:
            diagnostics.append(g.diagnostic(
                codes.GM105, f"`{node.id}` shares itself: `share:` names another node, whose layer instance "
                "(and weights) this node calls again", where, node=node.id))
            continue
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
    if len(g._sorted()) == len(g.nodes):
        return []  # acyclic: the common case needs no networkx
    import networkx as nx

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
