"""The resource limits for reading untrusted spec files (no YAML or pydantic import: the cache needs them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Resource limits for reading untrusted spec files."""

    max_bytes: int = 10 * 1024 * 1024
    # YAML nodes after alias expansion. Composing and building cost ~0.5 KB a
    # node, so this bounds memory as well as billion-laughs expansion.
    max_nodes: int = 1_000_000
    max_depth: int = 64
    # inputs + layers; checking costs ~10 KB and ~0.3 ms a layer (bench/hostile.py)
    max_graph_nodes: int = 50_000
