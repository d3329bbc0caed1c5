"""The two graph walks the check path needs, on plain adjacency maps (networkx costs more to import
than a whole check of a small spec; see docs/performance.md).

``successors``/``predecessors``: node -> its neighbours (any iterable), every node a key.
"""

from __future__ import annotations

import heapq
from typing import Iterable, Mapping


def kahn_order(ids: list[str], successors: Mapping[str, Iterable[str]],
               predecessors: Mapping[str, Iterable[str]]) -> list[str]:
    """Dependency order, the ready node first in ``ids`` order (networkx's ``lexicographical_topological_sort``
    keyed by position); on a cycle, only the nodes before it."""
    position = {node_id: i for i, node_id in enumerate(ids)}
    waiting = {node_id: n for node_id, producers in predecessors.items() if (n := len(list(producers)))}
    ready = [i for i, node_id in enumerate(ids) if node_id not in waiting]
    heapq.heapify(ready)
    order = []
    while ready:
        node_id = ids[heapq.heappop(ready)]
        order.append(node_id)
        for consumer in successors[node_id]:
            waiting[consumer] -= 1
            if not waiting[consumer]:
                heapq.heappush(ready, position[consumer])
    return order


def ancestors(predecessors: Mapping[str, Iterable[str]], node_id: str) -> set[str]:
    """Every node with a path to ``node_id`` (``networkx.ancestors``)."""
    found: set[str] = set()
    stack = [node_id]
    while stack:
        for producer in predecessors[stack.pop()]:
            if producer not in found:
                found.add(producer)
                stack.append(producer)
    found.discard(node_id)
    return found
