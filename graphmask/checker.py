"""The check pipeline: text -> spec -> graph -> analyses -> diagnostics.

Each pass is a function ``SpecGraph -> list[Diagnostic]``; ``PASSES`` lists
them in order. Suppressions (`ignore:` on a node) are applied last, and a
suppression that matched nothing is itself reported (GM901).
"""

from __future__ import annotations

import os
from typing import Callable, Mapping

from graphmask import codes
from graphmask.analysis.rules import check_masks
from graphmask.analysis.structure import check_structure
from graphmask.diagnostics import Diagnostic
from graphmask.gcpause import gc_paused
from graphmask.graph import SpecGraph, build_graph
from graphmask.result import CheckResult
from graphmask.spec.limits import Limits
from graphmask.spec.loader import load_file, load_text
from graphmask.spec.models import CustomLayerSpec, Spec

Pass = Callable[[SpecGraph], list[Diagnostic]]


PASSES: list[Pass] = [check_structure, check_masks]

@gc_paused
def check_spec(spec: Spec, file: str | None = None, load_diagnostics: list[Diagnostic] | None = None, *,
               shared_custom_layers: Mapping[str, CustomLayerSpec] | None = None,
               previous: CheckResult | None = None) -> CheckResult:
    """Run every pass over an already-loaded spec.

    ``shared_custom_layers`` are declarations shared by many specs (``[tool.graphmask]
    custom_layers`` in pyproject.toml); the spec's own ``custom_layers:`` win.  ``previous`` is an
    earlier result for the same document (the language server's last check): the mask pass then
    recomputes only the nodes an edit changed.  The result is the same without it.
    """
    if shared_custom_layers:
        spec = spec.model_copy(update={"custom_layers": {**shared_custom_layers, **spec.custom_layers}})
    diagnostics = list(load_diagnostics or [])
    graph, found = build_graph(spec)
    if previous is not None and previous.graph is not None:
        previous.graph.previous = None  # never a chain of earlier checks
        graph.previous = previous.graph
    diagnostics.extend(found)
    if graph.acyclic:
        for run_pass in PASSES:
            diagnostics.extend(run_pass(graph))
    diagnostics = apply_suppressions(graph, diagnostics)
    return CheckResult(file or spec.file, spec, graph, sorted(diagnostics, key=Diagnostic.sort_key))


@gc_paused
def check_path(path: str | os.PathLike, limits: Limits = Limits(), *,
               shared_custom_layers: Mapping[str, CustomLayerSpec] | None = None) -> CheckResult:
    loaded = load_file(path, limits)
    if loaded.spec is None:
        return CheckResult(os.fspath(path), None, None, sorted(loaded.diagnostics, key=Diagnostic.sort_key))
    return check_spec(loaded.spec, os.fspath(path), loaded.diagnostics, shared_custom_layers=shared_custom_layers)


@gc_paused
def check_text(text: str, file: str = "<string>", limits: Limits = Limits(), *,
               shared_custom_layers: Mapping[str, CustomLayerSpec] | None = None,
               previous: CheckResult | None = None) -> CheckResult:
    earlier = previous.spec.source if previous is not None and previous.spec is not None else None
    loaded = load_text(text, file, limits, earlier)
    if loaded.spec is None:
        return CheckResult(file, None, None, sorted(loaded.diagnostics, key=Diagnostic.sort_key))
    return check_spec(loaded.spec, file, loaded.diagnostics, shared_custom_layers=shared_custom_layers,
                      previous=previous)


def apply_suppressions(graph: SpecGraph, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    used: set[tuple[str, str]] = set()
    kept = []
    for d in diagnostics:
        node = graph.nodes.get(d.node) if d.node else None
        if node is not None and d.code in node.ignored:
            used.add((node.id, d.code))
            continue
        kept.append(d)
    for node in graph.layers():
        for i, code in enumerate(node.layer.ignore):
            if (node.id, code) not in used:
                kept.append(graph.diagnostic(
                    codes.GM901, f"`ignore: {code}` on `{node.id}` suppresses nothing", node.where + ("ignore", i),
                    node=node.id))
    return kept
