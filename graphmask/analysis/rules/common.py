"""What several rules say alike: where a node finding points, and how a mask's route reads."""

from __future__ import annotations

from typing import Iterable

from graphmask.analysis.flow import Mask
from graphmask.diagnostics import Diagnostic, Rule
from graphmask.graph import SpecGraph


def at_node(g: SpecGraph, code: Rule, message: str, node_id: str, **extra) -> Diagnostic:
    """A finding about a node, located at its ``id``."""
    return g.diagnostic(code, message, g.nodes[node_id].where + ("id",), node=node_id, **extra)


def route(mask: Mask) -> str:
    return " -> ".join(mask.path)


def names(ids: Iterable[str]) -> str:
    """```a`, `b``` for messages."""
    return ", ".join(f"`{i}`" for i in ids)
