"""Timing helpers: medians of repeated runs, interleaved A/B comparisons.

Shared 2-core machines are noisy, so every figure is a median and every
comparison interleaves its two arms (A B A B ...) so that a burst of load
from someone else hits both arms alike.
"""

from __future__ import annotations

import gc
import statistics
import subprocess
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence


@dataclass
class Samples:
    """Repeated measurements (seconds) of one thing."""

    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def to_dict(self) -> dict[str, Any]:
        return {"median_s": self.median, "runs_s": self.values}


def timed(fn: Callable[[], Any]) -> float:
    """Seconds one call takes; garbage from earlier runs is collected first."""
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(baseline: Callable[[], Any], candidate: Callable[[], Any], repeat: int,
                setup: Callable[[], Any] | None = None) -> tuple[Samples, Samples]:
    """Both arms ``repeat`` times, alternating (and alternating which goes first).

    ``setup`` runs, untimed, before every timed call.
    """
    base, cand = [], []

    def one(fn: Callable[[], Any], into: list[float]) -> None:
        if setup is not None:
            setup()
        into.append(timed(fn))

    for i in range(repeat):
        if i % 2 == 0:
            one(baseline, base)
            one(candidate, cand)
        else:
            one(candidate, cand)
            one(baseline, base)
    return Samples(base), Samples(cand)


def run_process(command: Sequence[str], env: dict[str, str] | None = None, cwd: str | None = None,
                check_output: Callable[[subprocess.CompletedProcess], None] | None = None) -> float:
    """Wall seconds of a fresh process; ``check_output`` may assert on its result."""
    start = time.perf_counter()
    result = subprocess.run(list(command), env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if check_output is not None:
        check_output(result)
    return elapsed


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None
