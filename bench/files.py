"""Section 3: many small specs, `graphmask check DIR` serial vs parallel.

Reuses ``bench/many_files.py`` (its spec mix and its fresh-process timing of
``graphmask check DIR --jobs N``); this adds medians, interleaving and the
section format.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench import many_files
from bench.report import Section
from bench.stats import Samples, ratio
from graphmask.batch import available_cpus


def measure(quick: bool) -> Section:
    count, repeat = (40, 1) if quick else (1000, 3)
    jobs = available_cpus()
    arms = {"serial": 1, "pool": jobs, "auto": 0}  # --jobs 0: the default, graphmask.batch's cost model decides
    runs: dict[str, list[float]] = {name: [] for name in arms}
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        many_files.generate(directory, count)
        for i in range(repeat):
            outputs = set()
            for name in (list(arms) if i % 2 == 0 else list(arms)[::-1]):
                seconds, output = many_files.time_cli(directory, arms[name], 1)
                runs[name].append(seconds)
                outputs.add(output)
            if len(outputs) != 1:
                raise RuntimeError("serial and parallel `graphmask check` printed different results")
    serial, pool, auto = (Samples(runs[name]) for name in arms)
    speedup = ratio(serial.median, pool.median)
    section = Section(
        "many_files", f"Many files: {count:,} small specs in one directory (fresh `graphmask check DIR` processes)",
        ["run", "wall (median)", "per file", "serial / this"],
        [
            ["`--jobs 1` (serial)", f"{serial.median:.2f} s", f"{1000 * serial.median / count:.2f} ms", "1.00x"],
            [f"`--jobs {jobs}` (a pool of {jobs})", f"{pool.median:.2f} s", f"{1000 * pool.median / count:.2f} ms",
             f"{speedup:.2f}x"],
            ["default (`--jobs 0`: pool only when the cost model says it pays)", f"{auto.median:.2f} s",
             f"{1000 * auto.median / count:.2f} ms", f"{ratio(serial.median, auto.median):.2f}x"],
        ],
        {"files": count, "jobs": jobs, "serial": serial.to_dict(), "parallel": pool.to_dict(),
         "auto": auto.to_dict(), "serial_over_parallel": speedup,
         "serial_over_auto": ratio(serial.median, auto.median)},
    )
    section.notes.append("Specs and timing from bench/many_files.py (a mix of clean specs, mask findings and "
                         "errors; JSON output); all runs must print identical results. "
                         f"{jobs} CPUs available to the pool.")
    return section
