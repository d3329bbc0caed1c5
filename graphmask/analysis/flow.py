"""The data model of the mask pass: what it knows about each tensor and each node.

``masks.infer_masks`` builds a ``MaskFlow``; the rule modules, ``explain``,
``graph`` and the Keras oracle only read it.  A ``NodeFlow`` carries its
graph ``Node``, its ``LayerInfo`` and its effective arguments, so no reader
looks a node up again or re-merges defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from graphmask.catalog.shapes import Shape
from graphmask.catalog import LayerInfo, ResolvedMask
from graphmask.graph import Binding, Node, SpecGraph

if TYPE_CHECKING:
    from graphmask.analysis.calls import LayerCall

ROLES = ("generator", "propagator", "consumer", "modifier", "destroyer", "unsupported")


@dataclass(frozen=True)
class Layout:
    """What a mask marks in every sample, as cuDNN's check (``_assert_valid_mask``) sees it.

    ``right_padded``: True...True False...False in every sample (cuDNN accepts
    it), False (``why`` says what breaks it), or None (unknown).  A mask that
    marks no step at all as padding (``all_valid``: its generator looks for a
    value the padding does not have, or an unmasked part made every step valid)
    is right-padded, and stays so before others along the time axis.
    """

    right_padded: bool | None = None
    why: str = ""  # why it is not right-padded, for messages
    all_valid: bool = False  # every step of every sample is True


UNKNOWN_LAYOUT = Layout()
RIGHT_PADDED = Layout(True)
ALL_VALID = Layout(True, "", True)


@dataclass(frozen=True, eq=False, repr=False)
class Mask:
    """A Keras mask attached to a tensor.

    The route is kept as a link to the mask this one came from plus the last
    node(s): copying the whole route at every layer made a chain of n layers
    cost O(n^2) time and memory (100,000 layers did not fit in memory).
    ``path`` rebuilds the route when a message or ``explain`` needs it.
    """

    generators: frozenset[str]  # nodes whose generated masks this one derives from
    tail: tuple[str, ...]  # the end of the route from the (first) generator to this tensor
    rank: int | None  # rank of the mask tensor, batch axis included
    parent: Mask | None = None  # the mask whose route this one continues
    layout: Layout = UNKNOWN_LAYOUT  # what the mask marks, for cuDNN (GM402)

    @property
    def right_padded(self) -> bool | None:
        return self.layout.right_padded

    @property
    def path(self) -> tuple[str, ...]:
        """Route from the (first) generator to this tensor."""
        parts, mask = [], self
        while mask is not None:
            parts.append(mask.tail)
            mask = mask.parent
        return tuple(node for part in reversed(parts) for node in part)

    @property
    def axes(self) -> str | None:
        """Which axes of the data the mask covers: ``batch, time`` normally."""
        if self.rank is None:
            return None
        names = ["batch", "time"] + [f"axis{i}" for i in range(2, self.rank)]
        return ", ".join(names[: self.rank])

    def through(self, node_id: str) -> Mask:
        return Mask(self.generators, (node_id,), self.rank, self, self.layout)

    def _key(self) -> tuple:
        return self.generators, self.path, self.rank, self.layout

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mask) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Mask(generators={set(self.generators)!r}, path={self.path!r}, rank={self.rank!r})"


@dataclass(frozen=True)
class TensorState:
    """What the analysis knows about one tensor."""

    mask: Mask | None = None
    shape: Shape = None  # batch axis included; None = unknown
    opaque: bool = False  # produced by a node we could not analyse: assume nothing
    int_ids: bool = False  # integer token ids (an int input, passed through unchanged)
    from_embedding: bool = False  # embedded vectors (Embedding output, unchanged since)
    padded: frozenset[str] = frozenset()  # padded inputs whose time axis this tensor still has
    # the inputs whose pad values (declared, else 0) this tensor still holds at their padded steps
    # (no layer changed them): what a mask generated from it marks
    pad_held: frozenset[str] = frozenset()

    @property
    def rank(self) -> int | None:
        return len(self.shape) if self.shape is not None else None

    @property
    def time_length(self) -> int | None:
        return self.shape[1] if self.shape is not None and len(self.shape) >= 3 else None


OPAQUE = TensorState(opaque=True)


@dataclass
class NodeFlow:
    """The mask facts of one node, as ``graphmask explain`` shows them.

    ``info``, ``resolved``, ``args`` and ``first_arg`` are set for every layer
    the pass could analyse; ``inner`` and ``inner_args`` for a wrapper whose
    wrapped layer is known (Bidirectional, TimeDistributed).
    """

    node: Node
    inputs: list[TensorState] = field(default_factory=list)
    outputs: list[TensorState] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    first_arg: list[int] = field(default_factory=list)  # indices into inputs that form the first call argument
    gets_mask: bool = False  # call() is handed a mask (mask= or <arg>_mask=), by Keras's call-argument rule
    resolved: ResolvedMask | None = None
    info: LayerInfo | None = None
    args: Mapping[str, Any] = field(default_factory=dict)  # constructor args, defaults merged in
    inner: LayerInfo | None = None  # the wrapped layer's entry
    inner_args: Mapping[str, Any] | None = None  # the wrapped layer's args, defaults merged in
    call: "LayerCall | None" = field(default=None, repr=False)  # all of the above, as one configuration

    @property
    def id(self) -> str:
        return self.node.id

    @property
    def type(self) -> str | None:
        if self.node.kind in ("input", "model_input"):
            return "Input"
        if self.node.kind == "model":
            return f"model {self.node.layer.model}"
        if self.node.layer is not None and self.node.layer.op is not None:
            return f"ops.{self.node.layer.op}"
        return self.node.layer_type

    @property
    def analysed(self) -> bool:
        """Whether the pass knows what this layer does (a catalog or declared entry, resolved)."""
        return self.resolved is not None

    @property
    def mask_in(self) -> list[bool]:
        return [t.mask is not None for t in self.inputs]

    @property
    def mask_out(self) -> bool | list[bool]:
        flags = [t.mask is not None for t in self.outputs]
        return flags[0] if len(flags) == 1 else flags

    @property
    def received(self) -> list[Mask]:
        """Masks Keras hands this node as its "previous mask" (first argument)."""
        return [self.inputs[i].mask for i in self.first_arg if self.inputs[i].mask is not None]

    @property
    def first_input(self) -> TensorState | None:
        """The state of the call's first argument (its first tensor, for a list)."""
        return self.inputs[self.first_arg[0]] if self.first_arg else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "mask_in": self.mask_in,
            "mask_out": self.mask_out,
            "roles": list(self.roles),
            "call_gets_mask": self.gets_mask,
            "mask_axes": [t.mask.axes if t.mask else None for t in self.outputs],
            "rank": [t.rank for t in self.outputs],
            "time_length": [t.time_length for t in self.outputs],
            "paths": [list(t.mask.path) if t.mask else None for t in self.outputs],
        }


def state_of(flows: Mapping[str, NodeFlow], binding: Binding) -> TensorState:
    """The state of the tensor a binding refers to (opaque for an index the node does not have)."""
    outputs = flows[binding.node].outputs
    index = binding.index or 0
    return outputs[index] if index < len(outputs) else OPAQUE


@dataclass
class MaskFlow:
    graph: SpecGraph
    nodes: dict[str, NodeFlow]  # in spec order; masks of the running model
    symbolic: dict[str, NodeFlow] | None = None  # the symbolic graph's, where it differs
    execution_order: list[str] | None = None  # Keras' call order, where it mattered
    schedule_key: tuple | None = field(default=None, repr=False, compare=False)  # what that order depends on

    def output_state(self, binding: Binding) -> TensorState:
        return state_of(self.nodes, binding)

    def layers(self) -> list[NodeFlow]:
        """The analysed layer nodes, in spec order (a new list; the flow is never changed once inferred,
        and every rule asks)."""
        known = self.__dict__.get("_layers")
        if known is None:
            known = self.__dict__["_layers"] = [n for n in self.nodes.values() if n.analysed]
        return list(known)

    def to_dict(self) -> dict[str, Any]:
        """The running model's view per node, with ``mask_out_built``: the built graph's output masks."""
        built = self.symbolic or self.nodes
        nodes = []
        for node in self.nodes.values():
            row = node.to_dict()
            row["mask_out_built"] = built[node.id].mask_out if node.id in built else row["mask_out"]
            nodes.append(row)
        return {"name": self.graph.spec.name, "nodes": nodes}

    def _repr_html_(self) -> str:  # Jupyter: the `graph --format html` page (graphmask.report.notebook)
        from graphmask.report.notebook import flow_html

        return flow_html(self)

    def _repr_markdown_(self) -> str:
        from graphmask.report.notebook import flow_markdown

        return flow_markdown(self)
