"""Section 1: static check of one big spec, in-process, split into stages.

Every timed run is ``checker.check_text`` itself; the stage split comes
from the same runs, by timing the functions it calls (``parse_yaml``,
``validate_data``, ``build_graph``, each pass in ``checker.PASSES``,
``apply_suppressions``) for the duration of the run. A stage that was not
called means the checker changed shape: the harness fails rather than
report a wrong split. A new pass in ``PASSES`` shows up by itself.

Peak memory is measured in a fresh process (its ``VmHWM`` high-water mark
around one ``check_text``): ``tracemalloc`` would slow the check down ~5x.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from bench.report import Section, target
from bench.specgen import spec_text
from bench.stats import Samples
from graphmask import checker
from graphmask.spec import loader
from graphmask.spec.yaml_loader import Limits

REPO = Path(__file__).resolve().parent.parent

# The 100,000-node spec is over the default graph-size limit (and close to
# the byte limit): raise the limits so the measurement is not a refusal.
LIMITS = Limits(max_bytes=64 * 1024 * 1024, max_nodes=20_000_000, max_graph_nodes=1_000_000)

FULL_SIZES = ((1_000, 7), (10_000, 5), (100_000, 3))  # (nodes, runs)
QUICK_SIZES = ((100, 2), (300, 2))


def _pass_name(run_pass: Callable) -> str:
    return run_pass.__name__.removeprefix("check_")


@contextlib.contextmanager
def _stage_timers(times: dict[str, float]) -> Iterator[None]:
    """Time the checker's stage functions (module attributes) while the block runs."""
    targets: list[tuple[Any, str, str]] = [
        (loader, "parse_yaml", "parse"),
        (loader, "validate_data", "validate"),
        (checker, "build_graph", "graph"),
        (checker, "apply_suppressions", "suppressions"),
    ]
    saved = [(module, attr, getattr(module, attr)) for module, attr, _ in targets]
    passes = list(checker.PASSES)

    def timer(name: str, fn: Callable) -> Callable:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                times[name] = times.get(name, 0.0) + time.perf_counter() - start
        return timed

    try:
        for module, attr, name in targets:
            setattr(module, attr, timer(name, getattr(module, attr)))
        checker.PASSES[:] = [timer(_pass_name(p), p) for p in passes]
        yield
    finally:
        for module, attr, original in saved:
            setattr(module, attr, original)
        checker.PASSES[:] = passes


def timed_check(text: str) -> tuple[float, dict[str, float], checker.CheckResult]:
    """(seconds, seconds per stage, result) of one ``check_text``."""
    stages: dict[str, float] = {}
    with _stage_timers(stages):
        start = time.perf_counter()
        result = checker.check_text(text, "bench.yaml", LIMITS)
        total = time.perf_counter() - start
    expected = ["parse", "validate", "graph"] + [_pass_name(p) for p in checker.PASSES] + ["suppressions"]
    missing = [name for name in expected if name not in stages]
    if result.spec is None or missing:
        raise RuntimeError(f"check_text did not run every stage (missing {missing}); "
                           f"first diagnostics: {result.diagnostics[:2]}")
    stages = {name: stages[name] for name in expected}
    stages["other"] = max(0.0, total - sum(stages.values()))  # sorting, glue
    return total, stages, result


# Runs in a fresh process: the high-water mark of resident memory around one check.
_MEMORY_CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from bench.scaling import LIMITS, memory_status
from bench.specgen import spec_text
from graphmask.checker import check_text
text = open(sys.argv[2], encoding="utf-8").read()
check_text(spec_text(200, seed=1), "warm.yaml", LIMITS)
before = memory_status()
result = check_text(text, "bench.yaml", LIMITS)
after = memory_status()
print(json.dumps({"rss_before": before["VmRSS"], "peak": after["VmHWM"], "ok": result.spec is not None}))
"""


def memory_status() -> dict[str, int]:
    """``VmRSS``/``VmHWM`` of this process in bytes (Linux). ``VmHWM`` is the
    current image's own peak: unlike ``ru_maxrss`` it does not inherit the
    parent's memory across fork and exec."""
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) * 1024
    return found


def _peak_memory(text: str) -> dict[str, Any]:
    if not os.path.exists("/proc/self/status"):
        return {"skipped": "needs /proc/self/status (Linux)"}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spec.yaml"
        path.write_text(text, encoding="utf-8")
        done = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, str(REPO), str(path)],
                              capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"memory run failed: {done.stderr[-1000:]}")
    found = json.loads(done.stdout)
    found["added"] = found["peak"] - found["rss_before"]
    return found


def measure(quick: bool) -> Section:
    sizes = QUICK_SIZES if quick else FULL_SIZES
    timed_check(spec_text(200, seed=99))  # warm-up: catalog, caches, code paths
    raw: dict[str, Any] = {}
    for n_nodes, runs in sizes:
        text = spec_text(n_nodes, seed=n_nodes)
        totals, stage_runs, diagnostics = [], [], 0
        for _ in range(runs):
            total, stages, result = timed_check(text)
            totals.append(total)
            stage_runs.append(stages)
            diagnostics = len(result.diagnostics)
            del result  # free the big result before the next run
        total = Samples(totals)
        raw[str(n_nodes)] = {
            "nodes": n_nodes,
            "yaml_bytes": len(text.encode()),
            "check_text": total.to_dict(),
            "stages_median_s": {name: Samples([r[name] for r in stage_runs]).median for name in stage_runs[0]},
            "stage_runs_s": stage_runs,
            "memory_bytes": _peak_memory(text),
            "diagnostics": diagnostics,
            "per_node_us": 1e6 * total.median / n_nodes,
        }
    return _section(raw, sizes, quick)


def _mib(memory: dict[str, Any], key: str) -> str:
    return f"{memory[key] / 2**20:.0f} MiB" if key in memory else "n/a"


def _section(raw: dict[str, Any], sizes: tuple, quick: bool) -> Section:
    stage_names = list(next(iter(raw.values()))["stages_median_s"])
    columns = (["nodes", "YAML", "check_text (median)", "per node"] + stage_names
               + ["peak RSS", "added by the check", "diagnostics"])
    rows = []
    for entry in raw.values():
        stages, memory = entry["stages_median_s"], entry["memory_bytes"]
        rows.append([f"{entry['nodes']:,}", f"{entry['yaml_bytes'] / 1e6:.2f} MB",
                     f"{entry['check_text']['median_s']:.3f} s", f"{entry['per_node_us']:.0f} µs"]
                    + [f"{stages[s]:.3f}" for s in stage_names]
                    + [_mib(memory, "peak"), _mib(memory, "added"), str(entry["diagnostics"])])
    section = Section("static_scaling", "Static check scaling: one spec, in-process `check_text`, after warm-up",
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
    section.notes.append(
        "Stage columns are seconds (medians over the same runs): parse = YAML -> data + source map "
        "(`parse_yaml`); validate = pydantic models (`validate_data`); graph = refs, shares, cycles "
        "(`build_graph`); " + ", ".join(f"{_pass_name(p)} = `{p.__module__}.{p.__name__}`" for p in checker.PASSES)
        + "; suppressions = `apply_suppressions`; other = the rest of `check_text` (sorting).")
    section.notes.append("Specs from `bench/specgen.py` (seeded DAGs: merges, skips, wrappers, attention, RNNs, "
                         "`share:`), checked with raised limits (`--max-graph-nodes`: the default refuses 100,000). "
                         "Peak RSS: a fresh process's high-water mark (`VmHWM`), imports included; added = peak "
                         "minus the resident size just before the check.")
    return section
