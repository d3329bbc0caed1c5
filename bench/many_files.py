"""Checking many spec files: serial vs a process pool, as ratios measured in one run.

    python bench/many_files.py [--files 1000] [--jobs N] [--repeat 3] [--no-sweep]

1. Generates --files small specs (a mix of clean ones, mask findings and
   errors) in a temporary directory.
2. Times `graphmask check DIR` end to end in fresh processes (start-up, import,
   output included) with --jobs 1 and with --jobs N, best of --repeat, and
   checks that both print exactly the same thing.
3. The cost model of graphmask.batch: measures a pool's start-up cost and the
   CPU time per file (the constants POOL_START_S and FILE_S), and the sweep
   times serial vs pool for growing file counts in this process (warm caches,
   as in the CLI) to show where a pool starts to pay.
Numbers depend on the machine; the ratios in one run are what to compare.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from graphmask import batch  # noqa: E402
from graphmask.batch import CheckOptions, _check_parallel, available_cpus, check_one  # noqa: E402

TEMPLATES = [
    # clean: embedding -> LSTM -> dense
    """graphmask: 1
name: clean_{i}
inputs:
  tokens: {{shape: [null], dtype: int32, pad_value: 0}}
layers:
  - id: embed
    type: Embedding
    args: {{input_dim: {dim}, output_dim: 16, mask_zero: true}}
    inputs: tokens
  - id: rnn
    type: LSTM
    args: {{units: 8}}
  - id: out
    type: Dense
    args: {{units: 1}}
outputs: [out]
""",
    # a mask reaching Flatten (GM201) and a typo (GM104)
    """graphmask: 1
name: masked_{i}
inputs:
  tokens: {{shape: [20], dtype: int32, pad_value: 0}}
layers:
  - id: embed
    type: Embedding
    args: {{input_dim: {dim}, output_dim: 8, mask_zero: true}}
    inputs: tokens
  - id: flat
    type: Flatten
  - id: out
    type: Dense
    args: {{unit: 1}}
outputs: [out]
""",
    # a two-input merge model
    """graphmask: 1
name: merge_{i}
inputs:
  left: {{shape: [null], dtype: int32, pad_value: 0}}
  right: {{shape: [null, 16], pad_value: 0.0}}
layers:
  - id: embed
    type: Embedding
    args: {{input_dim: {dim}, output_dim: 16, mask_zero: true}}
    inputs: left
  - id: masked
    type: Masking
    args: {{mask_value: 0.0}}
    inputs: right
  - id: both
    type: Concatenate
    inputs: [embed, masked]
  - id: rnn
    type: GRU
    args: {{units: 8}}
  - id: pool_out
    type: Dense
    args: {{units: 2}}
outputs: [pool_out]
""",
]


def generate(directory: Path, count: int) -> list[str]:
    paths = []
    for i in range(count):
        sub = directory / f"group{i % 10}"
        sub.mkdir(exist_ok=True)
        path = sub / f"spec{i:05d}.yaml"
        path.write_text(TEMPLATES[i % len(TEMPLATES)].format(i=i, dim=100 + i))
        paths.append(str(path))
    return sorted(paths)


def time_cli(directory: Path, jobs: int, repeat: int) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    best, output = float("inf"), ""
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "graphmask", "check", str(directory), "--no-config", "--no-cache",
                                 "--format", "json", "--jobs", str(jobs)], env=env, capture_output=True, text=True)
        best = min(best, time.perf_counter() - start)
        output = result.stdout
    return best, output


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def cost_model(paths: list[str], jobs: int, repeat: int) -> None:
    options = CheckOptions()
    check_one(paths[0], options)  # warm the catalog, as the CLI does before forking
    start = best_of(repeat * 3, lambda: _check_parallel(paths[:jobs], options, jobs))
    subset = paths[:200]
    cpu = min(_cpu_time(lambda: [check_one(p, options) for p in subset]) for _ in range(repeat)) / len(subset)
    print(f"\ncost model: pool start+stop {start * 1000:.1f} ms (POOL_START_S = {batch.POOL_START_S * 1000:.0f} ms), "
          f"{cpu * 1000:.2f} ms CPU per file (FILE_S = {batch.FILE_S * 1000:.2f} ms)")
    for workers in (2, 4, 8, 16):
        measured = next(n for n in range(1, 100_000) if n * cpu * (1 - 1 / workers) >= 2 * start)
        used = next(n for n in range(1, 100_000) if batch.pool_pays(n, workers))
        print(f"  {workers:>2} CPUs: a pool pays from ~{measured} files as measured now; graphmask uses one from {used}")


def _cpu_time(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def sweep(paths: list[str], jobs: int, repeat: int) -> None:
    options = CheckOptions()
    check_one(paths[0], options)
    print(f"\nsweep (in-process, warm; pool of {jobs}):")
    print(f"{'files':>6} {'serial s':>9} {'pool s':>9} {'pool/serial':>12}")
    for n in (8, 16, 32, 64, 128, 256, 512):
        if n > len(paths):
            break
        subset = paths[:n]
        serial = best_of(repeat, lambda: [check_one(p, options) for p in subset])
        pooled = best_of(repeat, lambda: _check_parallel(subset, options, jobs))
        print(f"{n:>6} {serial:>9.3f} {pooled:>9.3f} {pooled / serial:>12.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=available_cpus())
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-sweep", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        paths = generate(directory, args.files)
        print(f"{args.files} specs, {available_cpus()} CPUs available, pool of {args.jobs}")
        serial, serial_out = time_cli(directory, 1, args.repeat)
        parallel, parallel_out = time_cli(directory, args.jobs, args.repeat)
        assert serial_out == parallel_out, "serial and parallel output differ"
        print(f"graphmask check DIR --jobs 1:  {serial:.2f} s ({1000 * serial / args.files:.2f} ms/file)")
        print(f"graphmask check DIR --jobs {args.jobs}:  {parallel:.2f} s")
        print(f"speed-up (serial / parallel): {serial / parallel:.2f}x")
        cost_model(paths, max(2, args.jobs), args.repeat)
        if not args.no_sweep:
            sweep(paths, args.jobs, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
