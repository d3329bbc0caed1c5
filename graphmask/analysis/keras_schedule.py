"""The order in which a Keras 3 functional model runs its layer calls.

Why the mask pass needs it: some layers change the masks of the tensors they
are *given* when the model runs (``MultiHeadAttention.call`` removes the Keras
mask from its query/value/key tensors), so whether another consumer of the
same tensor still sees the mask depends on whether it runs before or after.

``Functional._run_through_graph`` runs the nodes of ``map_graph``
(``keras/src/ops/function.py``) by decreasing depth -- the longest path to an
output -- and, within a depth, in the order ``map_graph`` first met them.
That graph contains more than the spec's layers: when a layer takes its mask
as a call argument (``mask=``, ``query_mask=``...), Keras binds the symbolic
mask tensor into the node's arguments, so the Keras ops that computed that
mask (``not_equal`` for ``Embedding``, ``logical_or`` for merges, ...) become
nodes too and lengthen paths.  ``KerasGraph`` models both kinds of node;
``execution_order`` replays ``_build_map`` and ``map_graph`` on it.

This module is pure graph logic: which nodes and ops exist is decided by
``built_graph.py`` from the mask pass's symbolic flow and catalog data.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class KerasGraph:
    """Keras nodes (layer calls and mask ops), each with its parent nodes in argument order."""

    parents: dict[str, list[str]] = field(default_factory=dict)
    operation: dict[str, str] = field(default_factory=dict)  # node -> the operation it calls
    inputs: set[str] = field(default_factory=set)

    def add_input(self, key: str) -> None:
        self.parents[key] = []
        self.operation[key] = key
        self.inputs.add(key)

    def add_call(self, key: str, operation: str, parents: list[str]) -> None:
        self.parents[key] = list(parents)
        self.operation[key] = operation

    def add_op(self, parents: list[str | None]) -> str:
        """A Keras op on symbolic tensors (a new operation per call, like ``ops.not_equal``)."""
        key = f"op:{len(self.parents)}"
        self.add_call(key, key, [p for p in parents if p is not None])
        return key

    def op_chain(self, first_parents: list[str | None], length: int) -> str | None:
        """``length`` ops, each applied to the previous one's output; the last op's key."""
        key = None
        for step in range(length):
            key = self.add_op(first_parents if step == 0 else [key])
        return key


def execution_order(kg: KerasGraph, outputs: list[str]) -> list[str]:
    """Node keys in the order ``model(x)`` calls them (inputs left out)."""
    visited = _build_map(kg, outputs)
    in_graph = set(visited)
    depths: dict[str, int] = {}  # insertion order matters: it breaks ties
    operation_depths: dict[str, int] = {}
    for key in reversed(visited):
        depth = depths.setdefault(key, 0)
        # A shared layer's nodes are all pushed to its deepest call's depth.
        depth = max(depth, operation_depths.get(kg.operation[key], 0))
        operation_depths[kg.operation[key]] = depth
        depths[key] = depth
        for parent in kg.parents[key]:
            if parent in in_graph:
                depths[parent] = max(depth + 1, depths.get(parent, 0))
    by_depth: dict[int, list[str]] = {}
    for key, depth in depths.items():
        by_depth.setdefault(depth, []).append(key)
    return [key for depth in sorted(by_depth, reverse=True) for key in by_depth[depth] if key not in kg.inputs]


def _build_map(kg: KerasGraph, outputs: list[str]) -> list[str]:
    """Depth-first post-order from the outputs (``_build_map`` in Keras)."""
    finished: set[str] = set()
    ordered: list[str] = []
    for output in outputs:
        stack = [(output, False)]
        while stack:  # iterative, so deep graphs do not hit the recursion limit
            key, expanded = stack.pop()
            if expanded:
                if key not in finished:
                    finished.add(key)
                    ordered.append(key)
                continue
            if key in finished:
                continue
            stack.append((key, True))
            for parent in reversed(kg.parents[key]):
                if parent not in finished:
                    stack.append((parent, False))
    return ordered
