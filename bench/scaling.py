"""Section 1: static check of one big spec, in-process, split into stages.

The stages are the checker's own functions called in the checker's order
(``check_text``: parse -> validate -> graph -> every pass in
``checker.PASSES`` -> suppressions and sorting), so a new pass shows up
here without editing this file. The end-to-end figure is ``check_text``
itself, timed separately; peak memory is a separate ``tracemalloc`` run
(tracing slows Python down, so it never overlaps a timed run).
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from typing import Any, Callable

from bench.report import Section, target
from bench.specgen import spec_text
from bench.stats import Samples, sample
from graphmask import checker
from graphmask.diagnostics import Diagnostic
from graphmask.graph import build_graph
from graphmask.spec.loader import validate_data
from graphmask.spec.yaml_loader import Limits, parse_yaml

# The 100,000-node spec is ~7 MB of YAML, close to the default 10 MB limit:
# raise the limits so that the measurement never turns into a refusal.
LIMITS = Limits(max_bytes=64 * 1024 * 1024, max_nodes=20_000_000, max_graph_nodes=1_000_000)

FULL_SIZES = ((1_000, 7), (10_000, 5), (100_000, 3))  # (nodes, repeats)
QUICK_SIZES = ((100, 2), (300, 2))


def _pass_name(run_pass: Callable) -> str:
    return run_pass.__name__.removeprefix("check_")


def staged_check(text: str, file: str = "bench.yaml") -> tuple[dict[str, float], list[Diagnostic]]:
    """``checker.check_text``, one stage at a time: (seconds per stage, diagnostics).

    Runs under the same conditions as the checker's entry points (which pause
    the cyclic garbage collector, where this checker version does).
    """
    return getattr(checker, "_gc_paused", lambda fn: fn)(_stages)(text, file)


def _stages(text: str, file: str) -> tuple[dict[str, float], list[Diagnostic]]:
    times: dict[str, float] = {}

    def stage(name: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = fn()
        times[name] = time.perf_counter() - start
        return result

    data, source = stage("parse", lambda: parse_yaml(text, file, LIMITS))
    loaded = stage("validate", lambda: validate_data(data, source, LIMITS))
    if loaded.spec is None:
        raise RuntimeError(f"generated spec did not load: {loaded.diagnostics[:3]}")
    graph, diagnostics = stage("graph", lambda: build_graph(loaded.spec))
    diagnostics = list(loaded.diagnostics) + diagnostics
    for run_pass in checker.PASSES:
        diagnostics += stage(_pass_name(run_pass), lambda: run_pass(graph))
    diagnostics = stage("report", lambda: sorted(checker.apply_suppressions(graph, diagnostics),
                                                 key=Diagnostic.sort_key))
    return times, diagnostics


def _peak_bytes(fn: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _median_stages(runs: list[dict[str, float]]) -> dict[str, float]:
    return {name: Samples([r[name] for r in runs]).median for name in runs[0]}


def measure(quick: bool) -> Section:
    sizes = QUICK_SIZES if quick else FULL_SIZES
    checker.check_text(spec_text(200, seed=99), limits=LIMITS)  # warm-up: catalog, caches, code paths
    raw: dict[str, Any] = {}
    for n_nodes, repeat in sizes:
        text = spec_text(n_nodes, seed=n_nodes)
        total = sample(lambda: checker.check_text(text, "bench.yaml", LIMITS), repeat)
        stage_runs, diagnostics = [], []
        for _ in range(repeat):
            gc.collect()
            times, diagnostics = staged_check(text)
            stage_runs.append(times)
        raw[str(n_nodes)] = {
            "nodes": n_nodes,
            "yaml_bytes": len(text.encode()),
            "check_text": total.to_dict(),
            "stages_median_s": _median_stages(stage_runs),
            "stage_runs_s": stage_runs,
            "peak_bytes": _peak_bytes(lambda: checker.check_text(text, "bench.yaml", LIMITS)),
            "diagnostics": len(diagnostics),
            "per_node_us": 1e6 * total.median / n_nodes,
        }
    return _section(raw, sizes, quick)


def _section(raw: dict[str, Any], sizes: tuple, quick: bool) -> Section:
    stage_names = list(next(iter(raw.values()))["stages_median_s"])
    columns = ["nodes", "YAML", "check_text (median)", "per node"] + stage_names + ["peak memory", "diagnostics"]
    rows = []
    for entry in raw.values():
        stages = entry["stages_median_s"]
        rows.append([f"{entry['nodes']:,}", f"{entry['yaml_bytes'] / 1e6:.2f} MB",
                     f"{entry['check_text']['median_s']:.3f} s", f"{entry['per_node_us']:.1f} µs"]
                    + [f"{stages[s]:.3f} s" for s in stage_names]
                    + [f"{entry['peak_bytes'] / 2**20:.0f} MiB", str(entry["diagnostics"])])
    section = Section("static_scaling", "Static check scaling (one spec, in-process, after warm-up)",
                      columns, rows, raw)
    first, last = raw[str(sizes[0][0])], raw[str(sizes[-1][0])]
    growth = last["per_node_us"] / first["per_node_us"]
    section.raw["per_node_growth"] = growth
    section.targets.append(target(
        f"per-node time, {last['nodes']:,} vs {first['nodes']:,} nodes", f"{growth:.2f}x", "within 2x",
        growth <= 2.0, not quick))
    for n_nodes, limit in ((10_000, 0.5), (100_000, 5.0)):
        entry = raw.get(str(n_nodes))
        if entry is not None:
            seconds = entry["check_text"]["median_s"]
            section.targets.append(target(f"{n_nodes:,} nodes checked", f"{seconds:.2f} s", f"< {limit} s",
                                          seconds < limit, not quick))
    section.notes.append("stages: parse = YAML -> data + source map; validate = pydantic models; graph = refs, "
                         "cycles; " + ", ".join(f"{_pass_name(p)} = `{p.__module__}.{p.__name__}`"
                                                  for p in checker.PASSES)
                         + "; report = suppressions + sorting. Stage medians come from separate runs, "
                         "so they need not add up to the end-to-end median exactly.")
    return section
