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
    serial_runs, parallel_runs = [], []
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        many_files.generate(directory, count)
        for i in range(repeat):
            arms = [(serial_runs, 1), (parallel_runs, jobs)]
            outputs = []
            for runs, n_jobs in (arms if i % 2 == 0 else arms[::-1]):
                seconds, output = many_files.time_cli(directory, n_jobs, 1)
                runs.append(seconds)
                outputs.append(output)
            if outputs[0] != outputs[1]:
                raise RuntimeError("serial and parallel `graphmask check` printed different results")
    serial, parallel = Samples(serial_runs), Samples(parallel_runs)
    speedup = ratio(serial.median, parallel.median)
    section = Section(
        "many_files", f"Many files: {count:,} small specs in one directory (fresh `graphmask check DIR` processes)",
        ["run", "wall (median)", "per file"],
        [
            ["`--jobs 1`", f"{serial.median:.2f} s", f"{1000 * serial.median / count:.2f} ms"],
            [f"`--jobs {jobs}`", f"{parallel.median:.2f} s", f"{1000 * parallel.median / count:.2f} ms"],
            ["speed-up (serial / parallel)", f"{speedup:.2f}x", ""],
        ],
        {"files": count, "jobs": jobs, "serial": serial.to_dict(), "parallel": parallel.to_dict(),
         "serial_over_parallel": speedup},
    )
    section.notes.append("Specs and timing from bench/many_files.py (a mix of clean specs, mask findings and "
                         "errors; JSON output); both runs must print identical results. "
                         f"{jobs} CPUs available to the pool.")
    return section
