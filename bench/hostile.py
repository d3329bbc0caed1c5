"""Time and memory that hostile spec files cost `graphmask check`.

    python bench/hostile.py [--full] [--tracemalloc]

Each case writes one file, then checks it in a fresh Python process
(``check_path`` with the default limits) and reports:

- ``seconds``: wall time of ``check_path`` alone (imports excluded);
- ``rss_mb``: the process's peak resident memory (``ru_maxrss``), imports
  and interpreter included, which is what a CI runner sees;
- ``added_mb``: peak RSS minus the RSS after importing graphmask (what the
  input itself cost);
- with ``--tracemalloc``: the peak of Python allocations during the check
  (slower; a cross-check of ``added_mb``).

The issue-7 target: a 1 KB alias bomb rejected in under a second using
under 100 MB. ``--full`` adds the largest *accepted* graph (just under the
layer limit), which takes tens of seconds. Numbers depend on the machine;
docs/security.md records a run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

BOMB = "\n".join(
    ["graphmask: 1", "name: lol", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
) + "\n"


def _layers_spec(n: int) -> str:
    lines = ["graphmask: 1", "name: big", "inputs:", "  x: {shape: [null, 8]}", "layers:"]
    lines += [f"  - {{id: l{i}, type: Dense, args: {{units: 8}}, inputs: {'x' if i == 0 else f'l{i - 1}'}}}"
              for i in range(n)]
    lines.append(f"outputs: [l{n - 1}]")
    return "\n".join(lines) + "\n"


def cases(full: bool) -> dict[str, bytes]:
    from graphmask.spec import Limits

    limits = Limits()
    found = {
        "alias bomb (1 KB, 9**9 nodes)": BOMB.encode(),
        "flow nesting 1,000,000 deep (was a segfault)": ("a: " + "[" * 1_000_000 + "]" * 1_000_000).encode(),
        "block nesting 1,000 deep": "".join(f"{' ' * i}k{i}:\n" for i in range(1000)).encode(),
        "flat list near the size limit (5M nodes)": ("a: [" + "0," * ((limits.max_bytes - 10) // 2) + "0]").encode(),
        "one 10 MB line (a scalar)": ("graphmask: 1\nname: " + "x" * (limits.max_bytes - 20) + "\n").encode(),
        "over the size limit (11 MB)": b"#" * (11 * 1024 * 1024),
        "random bytes (1 MB)": bytes(range(256)) * 4096,
        f"graph past the node limit ({limits.max_graph_nodes + 1} layers)":
            _layers_spec(limits.max_graph_nodes + 1).encode(),
    }
    if full:
        found[f"largest accepted graph ({limits.max_graph_nodes - 1} layers)"] = \
            _layers_spec(limits.max_graph_nodes - 1).encode()
    return found


# Runs in the child: import, note the baseline, check, report as JSON.
CHILD = r"""
import json, resource, sys, time, tracemalloc
sys.path.insert(0, sys.argv[1])
from graphmask.checker import check_path
from graphmask.catalog import load_catalog
load_catalog()  # loaded once per process anyway; not the input's cost
def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
base = rss_mb()
trace = sys.argv[3] == "1"
if trace:
    tracemalloc.start()
start = time.perf_counter()
result = check_path(sys.argv[2])
seconds = time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
codes = sorted({d.code for d in result.diagnostics})
first = result.diagnostics[0].message[:90] if result.diagnostics else ""
print(json.dumps({"seconds": seconds, "rss_mb": rss_mb(), "added_mb": rss_mb() - base,
                  "traced_mb": peak, "codes": codes, "first": first}))
"""


def measure(data: bytes, trace: bool) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hostile.yaml"
        path.write_bytes(data)
        done = subprocess.run([sys.executable, "-c", CHILD, str(REPO), str(path), "1" if trace else "0"],
                              capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        return {"error": f"exit {done.returncode}: {done.stderr.strip()[-300:]}"}
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="also the largest accepted graph (slow)")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    traced_header = f" {'traced':>7}" if args.tracemalloc else ""
    print(f"{'case':<52} {'size':>9} {'seconds':>8} {'rss MB':>7} {'added':>6}{traced_header}  result")
    for name, data in cases(args.full).items():
        row = measure(data, args.tracemalloc)
        size = f"{len(data) / 1024:.0f} KB" if len(data) < 2**20 else f"{len(data) / 2**20:.1f} MB"
        if "error" in row:
            print(f"{name:<52} {size:>9}  CRASHED {row['error']}")
            continue
        traced = f" {row['traced_mb']:7.1f}" if args.tracemalloc else ""
        print(f"{name:<52} {size:>9} {row['seconds']:8.3f} {row['rss_mb']:7.0f} {row['added_mb']:6.0f}{traced}"
              f"  {','.join(row['codes']) or 'clean'}: {row['first']}")


if __name__ == "__main__":
    main()
