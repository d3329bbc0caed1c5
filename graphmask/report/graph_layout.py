"""A small layered (Sugiyama-style) layout for pictures drawn without Graphviz.

Columns are longest-path ranks (a node sits one column right of its furthest
predecessor). An edge spanning several columns gets a placeholder slot in
each column it crosses, so it is routed between nodes instead of through
them. Rows come from a few barycenter sweeps, which remove most crossings in
the shapes real models have (chains, a few branches and merges).
"""

from __future__ import annotations

from dataclasses import dataclass

_SWEEPS = 3


@dataclass(frozen=True)
class Layout:
    rank: dict[str, int]  # node key -> column
    order: dict[str, int]  # node key -> row within its column
    via: list[tuple[tuple[int, int], ...]]  # per edge: (column, row) of each placeholder it passes


def layered_layout(keys: list[str], edges: list[tuple[str, str]]) -> Layout:
    """``keys`` in topological order; ``edges`` as (source key, target key)."""
    preds: dict[str, list[str]] = {}
    for source, target in edges:
        preds.setdefault(target, []).append(source)
    rank: dict[str, int] = {}
    for key in keys:
        rank[key] = max((rank[p] + 1 for p in preds.get(key, ())), default=0)

    # Split long edges into unit segments through placeholder keys.
    slot_rank = dict(rank)
    segments: list[tuple[str, str]] = []
    chains: list[list[str]] = []
    for i, (source, target) in enumerate(edges):
        chain = [f"\0{i}:{r}" for r in range(rank[source] + 1, rank[target])]
        for r, key in zip(range(rank[source] + 1, rank[target]), chain):
            slot_rank[key] = r
        path = [source, *chain, target]
        segments += list(zip(path, path[1:]))
        chains.append(chain)

    order = _orders(slot_rank, segments)
    via = [tuple((slot_rank[k], order[k]) for k in chain) for chain in chains]
    return Layout({k: rank[k] for k in keys}, {k: order[k] for k in keys}, via)


def _orders(ranks: dict[str, int], segments: list[tuple[str, str]]) -> dict[str, int]:
    columns: dict[int, list[str]] = {}
    for key, r in ranks.items():
        columns.setdefault(r, []).append(key)
    preds: dict[str, list[str]] = {}
    succs: dict[str, list[str]] = {}
    for source, target in segments:
        preds.setdefault(target, []).append(source)
        succs.setdefault(source, []).append(target)
    position = {key: i for col in columns.values() for i, key in enumerate(col)}

    def sweep(ranks_in_order: list[int], neighbours: dict[str, list[str]]) -> None:
        for r in ranks_in_order:
            col = columns[r]

            def centre(key: str) -> float:
                near = neighbours.get(key)
                return sum(position[k] for k in near) / len(near) if near else position[key]

            col.sort(key=lambda k: (centre(k), position[k]))
            for i, key in enumerate(col):
                position[key] = i

    order = sorted(columns)
    for _ in range(_SWEEPS):
        sweep(order[1:], preds)
        sweep(list(reversed(order[:-1])), succs)
    return position
