"""Checking many files: serially, or on a process pool when that pays.

Results always come back in input order, one per file, and a file that
crashes graphmask becomes a GM000 diagnostic on that file instead of
stopping the run. Workers return lean results (diagnostics only, no spec or
graph objects) so little crosses process boundaries.

Whether a pool pays is a cost model measured with bench/many_files.py:
starting and stopping a pool (``fork``) costs ``POOL_START_S``, checking one
small spec ``FILE_S`` of CPU; with N workers a pool saves
``files * FILE_S * (1 - 1/N)``. It is used when that saving is at least twice
the start-up cost (about 170 files on 2 CPUs, 90 on 16), and never below
``PARALLEL_THRESHOLD`` files, so checking a few files never starts a pool.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from graphmask import codes
from graphmask.diagnostics import Diagnostic
from graphmask.gcpause import paused_gc
from graphmask.result import CheckResult
from graphmask.spec.limits import Limits

PARALLEL_THRESHOLD = 64  # files; never a pool below this, whatever the CPU count
POOL_START_S = 0.025  # measured: start + tear down a 2-process fork pool (bench/many_files.py)
FILE_S = 0.0006  # measured: CPU time to check one small spec
CHUNKS_PER_WORKER = 4  # enough chunks to even out slow files, few enough to keep overhead low


@dataclass(frozen=True)
class CheckOptions:
    """Everything a worker needs to check one file (picklable)."""

    limits: Limits = Limits()
    shared_custom_layers: Mapping[str, Any] = field(default_factory=dict)


def available_cpus() -> int:
    if hasattr(os, "process_cpu_count"):  # Python >= 3.13: respects affinity
        return os.process_cpu_count() or 1
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def effective_jobs(n_files: int, jobs: int | None) -> int:
    """``jobs`` None or 0 = auto: a pool of every CPU, but only for many files."""
    if jobs is not None and jobs > 0:
        return max(1, min(jobs, n_files))
    workers = min(available_cpus(), n_files)
    return workers if workers > 1 and pool_pays(n_files, workers) else 1


def pool_pays(n_files: int, workers: int) -> bool:
    """The cost model above: the time a pool saves must be twice what it costs."""
    if n_files < PARALLEL_THRESHOLD:
        return False
    return n_files * FILE_S * (1 - 1 / workers) >= 2 * POOL_START_S


def check_path(path: str, limits: Limits, *, shared_custom_layers: Mapping[str, Any]) -> CheckResult:
    """``graphmask.checker.check_path``, imported on the first file actually checked:
    a run whose files all hit the result cache never loads the checker."""
    with paused_gc():  # the first file's import of the checker: many objects, no garbage
        from graphmask import checker

    return checker.check_path(path, limits, shared_custom_layers=shared_custom_layers)


def check_one(path: str, options: CheckOptions = CheckOptions()) -> CheckResult:
    """Check one file; never raises for a problem with that file."""
    try:
        result = check_path(path, options.limits, shared_custom_layers=options.shared_custom_layers)
    except Exception:  # noqa: BLE001 - one broken file must not stop the others
        return CheckResult(path, None, None, [_internal_error(path)])
    _last_checked[:] = [result]
    return CheckResult(result.file, None, None, result.diagnostics)


# The last file's whole result (spec, graph, flow), kept until the next file is checked: the CLI then
# ends without freeing it (``cli.exit_process``), which after a 10,000-node spec saves 0.2 s.
_last_checked: list[CheckResult] = []


def check_files(paths: list[str], options: CheckOptions = CheckOptions(), jobs: int | None = None,
                progress: Callable[[int], None] | None = None) -> list[CheckResult]:
    """One result per path, in the order of ``paths``; ``progress(files done)`` as they finish."""
    workers = effective_jobs(len(paths), jobs)
    if workers <= 1:
        return _check_chunk(paths, options, progress)
    # The first file, checked here, also loads the layer catalog and other lazy
    # caches once, so that forked workers inherit them instead of each loading them.
    return [check_one(paths[0], options), *_check_parallel(paths[1:], options, workers, progress)]


def _check_chunk(paths: list[str], options: CheckOptions,
                 progress: Callable[[int], None] | None = None) -> list[CheckResult]:
    results = []
    for path in paths:
        results.append(check_one(path, options))
        if progress is not None:
            progress(len(results))
    return results


def _check_parallel(paths: list[str], options: CheckOptions, workers: int,
                    progress: Callable[[int], None] | None = None) -> list[CheckResult]:
    import concurrent.futures

    size = max(1, math.ceil(len(paths) / (workers * CHUNKS_PER_WORKER)))
    chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
    results: list[list[CheckResult] | None] = [None] * len(chunks)
    try:
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context()) as pool:
            futures = {pool.submit(_check_chunk, chunk, options): i for i, chunk in enumerate(chunks)}
            for future in concurrent.futures.as_completed(futures):
                try:
                    results[futures[future]] = future.result()
                except Exception:  # noqa: BLE001 - a dead worker (e.g. killed for memory): redo below
                    pass
                if progress is not None:
                    progress(1 + sum(len(chunks[i]) for i, r in enumerate(results) if r is not None))
    except (OSError, RuntimeError):  # no pool on this system (e.g. no /dev/shm): fall back to serial
        pass
    # Chunks a dead worker took down are checked again here, file by file.
    return [r for i, chunk in enumerate(chunks) for r in (results[i] or _check_chunk(chunk, options))]


def _mp_context():
    """``fork`` when it is safe: workers then inherit the imported checker and catalog
    instead of importing them again (the CLI is single-threaded). Otherwise the
    platform's safe default (forking a process with threads can deadlock)."""
    import multiprocessing
    import threading

    if "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin" \
            and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _internal_error(path: str) -> Diagnostic:
    import traceback  # here: only a crash needs it

    detail = traceback.format_exc(limit=-3).strip().splitlines()
    where = detail[-1] if detail else "unknown error"
    return Diagnostic(codes.GM000, f"internal error while checking this file: {where}", file=path,
                      hint="please report this with the spec file; the other files were still checked")
