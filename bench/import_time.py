"""Cold start of `graphmask check one.yaml`: import time, and what it imports.

    python bench/import_time.py [--repeat 5] [--top 15]

Runs `python -X importtime -m graphmask check SPEC` in fresh processes and
reports the total import time (sum of the top-level imports' cumulative
times, best of --repeat), the heaviest top-level packages, and the wall time
of the whole command next to a bare `python -c pass` in the same run (the
ratio is what to compare across machines). Fails (exit 1) if TensorFlow,
Keras or graphmask.keras were imported: the check path must never load them.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "tests" / "data" / "lint" / "good.yaml"
FORBIDDEN = ("tensorflow", "keras", "graphmask.keras", "jax", "torch")
# Modules only other commands (explain, graph, the reports other than text/json, fixes, lsp, import,
# the catalog builder) need, and networkx: a plain `check` must load none of them (tests/test_cold_start.py).
NOT_FOR_CHECK = ("networkx", "graphmask.explainer", "graphmask.report.explain", "graphmask.report.graph_",
                 "graphmask.report.sarif", "graphmask.report.junit", "graphmask.report.github",
                 "graphmask.report.rules", "graphmask.fixes", "graphmask.lsp", "graphmask.catalog.build",
                 "graphmask.spec.writer", "pygls", "lsprotocol", "graphmask.keras")
LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)$")


def _lines(spec: Path, cwd: str) -> list[tuple[int, int, int, str]]:
    """(self µs, cumulative µs, depth, module) per import of ``graphmask check SPEC``, in the order printed."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "graphmask", "check", str(spec), "--no-config", "--no-cache"],
                            env=env, cwd=cwd, capture_output=True, text=True)
    found = []
    for line in result.stderr.splitlines():
        match = LINE.match(line)
        if match:
            own, cumulative, indent, name = match.groups()
            found.append((int(own), int(cumulative), (len(indent) - 1) // 2, name))
    return found


def importtime(spec: Path, cwd: str) -> tuple[int, dict[str, int], list[str]]:
    """(total µs, self µs summed per root package, every module imported)."""
    total, per_package, modules = 0, defaultdict(int), []
    for own, cumulative, depth, name in _lines(spec, cwd):
        modules.append(name)
        per_package[name.split(".")[0]] += own  # self time: each microsecond counted once
        if depth == 0:  # a top-level import (nested ones are inside its cumulative time)
            total += cumulative
    return total, dict(per_package), modules


def tree(spec: Path, cwd: str, top: int = 12) -> list[tuple[str, int, int, int]]:
    """The heaviest subtrees of the import tree, (module, depth, cumulative µs, self µs), heaviest first:
    each library's root package wherever it is first imported, and graphmask's own modules."""
    rows = [(name, depth, cumulative, own) for own, cumulative, depth, name in _lines(spec, cwd)
            if "." not in name or name.startswith("graphmask.")]
    return sorted(rows, key=lambda r: -r[2])[:top]


def wall(command: list[str], cwd: str, repeat: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, env=env, cwd=cwd, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cwd:  # no pyproject.toml around
        runs = [importtime(SPEC, cwd) for _ in range(args.repeat)]
        total, per_package, modules = min(runs, key=lambda r: r[0])
        bare = wall([sys.executable, "-c", "pass"], cwd, args.repeat)
        check = wall([sys.executable, "-m", "graphmask", "check", str(SPEC), "--no-config", "--no-cache"], cwd, args.repeat)
    print(f"graphmask check one spec: {len(modules)} modules imported, "
          f"import time {total / 1000:.1f} ms (best of {args.repeat})")
    print(f"wall: python -c pass {bare * 1000:.0f} ms; graphmask check {check * 1000:.0f} ms "
          f"({check / bare:.1f}x a bare interpreter)")
    print("\nimport time by package (self time, ms):")
    for name, micros in sorted(per_package.items(), key=lambda kv: -kv[1])[:args.top]:
        print(f"  {micros / 1000:8.1f}  {name}")
    heavy = sorted({m for m in modules if m.startswith(FORBIDDEN)})
    if heavy:
        print(f"\nFAIL: the check path imported {', '.join(heavy)}")
        return 1
    print("\nno TensorFlow/Keras/JAX/torch imported")
    return 0


if __name__ == "__main__":
    sys.exit(main())
