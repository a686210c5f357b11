"""Timing helpers: warm-up, repetitions and robust statistics, so that every
reported number comes from repeated runs and is compared within one run."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Timing", "quantum_loads", "time_repeated"]


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of repeated runs of one action."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def best(self) -> float:
        return min(self.samples)


def time_repeated(action: Callable[[], object], *, warmup: int = 1, repeat: int = 5) -> Timing:
    """Run ``action`` ``warmup`` times untimed, then ``repeat`` times timed."""
    for _ in range(warmup):
        action()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        action()
        out.append(time.perf_counter() - t0)
    return Timing(tuple(out))


def quantum_loads(
    process_one: Callable[[], object],
    empty_call: Callable[[], object],
    quanta: int,
    quantum_seconds: float,
) -> dict[str, float]:
    """Load of single-quantum calls (time ÷ quantum duration), with the cost of
    an empty call (the host's call overhead, measured alongside) subtracted.
    Returns p50, p99 and max load, and the overhead in µs."""
    overhead = []
    for _ in range(200):
        t0 = time.perf_counter_ns()
        empty_call()
        overhead.append(time.perf_counter_ns() - t0)
    base = float(np.median(overhead))
    times = np.empty(quanta)
    for i in range(quanta):
        t0 = time.perf_counter_ns()
        process_one()
        times[i] = time.perf_counter_ns() - t0
    loads = np.maximum(times - base, 0.0) / (quantum_seconds * 1e9)
    return {
        "p50": float(np.percentile(loads, 50)),
        "p99": float(np.percentile(loads, 99)),
        "max": float(loads.max()),
        "call_overhead_us": base / 1e3,
    }
