"""The units and tail workloads of the headless benchmark (every effect
unit in every track's inserts, fed noise or decaying after a burst), the
host call's own cost, the load of each quantum, and the size of the .wasm
builds."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dawgwasm import _paths
from dawgwasm._bench_core import (
    QUANTUM_FRAMES,
    SAMPLE_RATE_HZ,
    BenchError,
    EngineMaker,
    Measured,
    WorkloadResult,
    check_agreement,
    empty_engine,
    process_frames,
    strip_engine,
    strip_output,
    time_interleaved,
    timed_part,
)
from dawgwasm._engine import Engine

__all__ = [
    "TAIL_MAX_TRACKS",
    "TAIL_UNITS",
    "CallOverhead",
    "QuantumLoad",
    "bench_calls",
    "bench_quantum_load",
    "bench_tail",
    "wasm_sizes",
]

#: The effect units of every track of the tail workload, slot 1 on, set so
#: that each one works and the delay and reverb ring for seconds.
TAIL_UNITS: tuple[tuple[str, dict[str, float]], ...] = (
    ("peq", {}),
    ("compressor", {}),
    ("saturator", {}),
    ("delay", {"delay_time_ms": 50.0, "delay_feedback": 0.9, "delay_mix": 0.5}),
    ("reverb", {"reverb_size": 0.9, "reverb_mix": 0.5}),
    ("limiter", {}),
)
#: The burst of noise the tails decay from, seconds.
TAIL_BURST_S = 0.05
#: The units and tail workloads run at the track counts up to this one
#: (six units a track: 256 tracks would take minutes per runtime).
TAIL_MAX_TRACKS = 32


def _tail_engine(make: EngineMaker, tracks: int, seed: int) -> Engine:
    """The strip workload's engine with TAIL_UNITS in every track's inserts
    and auto-bypass off; its inputs hold the burst (see _start_tail)."""
    e = strip_engine(make, tracks, 0.5, seed)
    e.set("auto_bypass", 0.0, master=True)
    for t in range(tracks):
        for slot, (unit, values) in enumerate(TAIL_UNITS, start=1):
            e.set_insert(slot, unit, track=t)
            e.set_many(values, t, slot=slot)
    e.reset()
    return e


def _start_units(e: Engine, noise: list[npt.NDArray[np.float32]]) -> None:
    """From a reset: noise in."""
    e.reset()
    for t, b in enumerate(noise):
        e.input(t)[:] = b


def _start_tail(e: Engine, burst: list[npt.NDArray[np.float32]]) -> None:
    """From a reset: TAIL_BURST_S of the burst, then silent inputs."""
    e.reset()
    for t, b in enumerate(burst):
        e.input(t)[:] = b
    process_frames(e, round(TAIL_BURST_S * SAMPLE_RATE_HZ))
    for t in range(len(burst)):
        e.input(t)[:] = 0.0


def bench_tail(
    makers: dict[str, EngineMaker], baseline: str, tracks: int, frames: int, repeat: int
) -> list[WorkloadResult]:
    """The units and tail workloads at ``tracks`` tracks, timed in the same
    rounds: each timed run renders ``frames`` of noise through the units, or
    of decay after the burst, from the same state."""
    engines: dict[str, Engine] = {}
    bursts: dict[str, list[npt.NDArray[np.float32]]] = {}
    try:
        for n, m in makers.items():
            e = _tail_engine(m, tracks, seed=tracks)
            engines[n] = e
            bursts[n] = [e.input(t).copy() for t in range(tracks)]
        outputs = {}
        for n, e in engines.items():
            _start_tail(e, bursts[n])
            outputs[n] = strip_output(e, frames)
        agreement = check_agreement(f"tail at {tracks} tracks", outputs, baseline)
        quiet = [n for n, out in outputs.items() if not np.any(out[:, -QUANTUM_FRAMES:])]
        if quiet:
            raise BenchError(
                f"tail at {tracks} tracks: {quiet[0]}'s tails died out within the run; "
                "the measurement would time silence (use fewer --seconds)"
            )
        active = {}
        for n, e in engines.items():
            _start_units(e, bursts[n])
            active[n] = strip_output(e, frames)
        active_agreement = check_agreement(f"units at {tracks} tracks", active, baseline)
        actions: dict[str, Callable[[], object]] = {}
        prepare: dict[str, Callable[[], object]] = {}
        for n, m in makers.items():
            e = engines[n]
            actions[f"{n}\0tail"] = partial(process_frames, e, frames)
            prepare[f"{n}\0tail"] = partial(_start_tail, e, bursts[n])
            actions[f"{n}\0units"] = partial(process_frames, e, frames)
            prepare[f"{n}\0units"] = partial(_start_units, e, bursts[n])
            engines[f"{n}\0empty"] = empty_engine(m, tracks)
            actions[f"{n}\0empty"] = partial(process_frames, engines[f"{n}\0empty"], frames)
        timed = time_interleaved(actions, repeat, prepare=prepare)
    finally:
        for e in engines.values():
            e.close()

    empty = timed_part(timed, "empty")
    return [
        WorkloadResult(
            "units", tracks, frames, timed_part(timed, "units"), active_agreement, empty
        ),
        WorkloadResult("tail", tracks, frames, timed_part(timed, "tail"), agreement, empty),
    ]


#: Quanta per call of the host-call measurement's batched runs.
_CALL_BATCH = 64


@dataclass
class CallOverhead:
    """The cost of one call into a runtime with nothing to render: an
    engine with no track, one quantum per call against _CALL_BATCH quanta
    per call, per quantum."""

    single: Measured  # seconds per quantum, one quantum per call
    batched: Measured  # seconds per quantum, _CALL_BATCH quanta per call

    @property
    def per_call_us(self) -> float:
        return max(self.single.median - self.batched.median, 0.0) * 1e6

    def to_json(self) -> dict[str, Any]:
        return {
            "per_call_us": self.per_call_us,
            "one_quantum_per_call_us": self.single.median * 1e6,
            f"{_CALL_BATCH}_quanta_per_call_us_per_quantum": self.batched.median * 1e6,
        }


def bench_calls(makers: dict[str, EngineMaker], repeat: int) -> dict[str, CallOverhead]:
    calls = 4 * _CALL_BATCH
    engines: dict[str, Engine] = {}

    def singles(e: Engine) -> None:
        for _ in range(calls):
            e.process(1)

    def batches(e: Engine) -> None:
        for _ in range(calls // _CALL_BATCH):
            e.process(_CALL_BATCH)

    try:
        for n, m in makers.items():
            engines[n] = m(
                sample_rate_hz=SAMPLE_RATE_HZ,
                tracks=1,
                quantum_frames=QUANTUM_FRAMES,
                max_quanta=_CALL_BATCH,
            )
        actions: dict[str, Callable[[], object]] = {}
        for n, e in engines.items():
            actions[f"{n}\0single"] = partial(singles, e)
            actions[f"{n}\0batched"] = partial(batches, e)
        timed = time_interleaved(actions, repeat)
    finally:
        for e in engines.values():
            e.close()
    per_quantum = {k: Measured(tuple(x / calls for x in v.samples)) for k, v in timed.items()}
    return {
        n: CallOverhead(per_quantum[f"{n}\0single"], per_quantum[f"{n}\0batched"]) for n in engines
    }


@dataclass
class QuantumLoad:
    """Each quantum rendered by its own call, timed: the time as a share of
    the quantum's duration (128 frames at 48 kHz: 2.67 ms), host call included."""

    tracks: int
    loads: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        a = np.asarray(self.loads)
        return {
            "tracks": self.tracks,
            "quanta": len(self.loads),
            "load_p50": float(np.percentile(a, 50)),
            "load_p99": float(np.percentile(a, 99)),
            "load_max": float(a.max()),
        }


def bench_quantum_load(
    makers: dict[str, EngineMaker], tracks: int, frames: int
) -> dict[str, QuantumLoad]:
    """The strip workload at ``tracks`` tracks, one quantum per call, each
    call timed, the runtimes taking turns quantum by quantum (after 64
    untimed quanta each)."""
    quantum_s = QUANTUM_FRAMES / SAMPLE_RATE_HZ
    engines: dict[str, Engine] = {}
    loads: dict[str, list[float]] = {}
    try:
        for n, m in makers.items():
            engines[n] = strip_engine(m, tracks, 0.5, seed=tracks)
            loads[n] = []
        for e in engines.values():
            process_frames(e, 64 * QUANTUM_FRAMES)
        for _ in range(max(frames // QUANTUM_FRAMES, 1)):
            for n, e in engines.items():
                t0 = time.perf_counter()
                e.process(1)
                loads[n].append((time.perf_counter() - t0) / quantum_s)
    finally:
        for e in engines.values():
            e.close()
    return {n: QuantumLoad(tracks, tuple(v)) for n, v in loads.items()}


def wasm_sizes(dist: Path | None) -> dict[str, int]:
    """Bytes of each .wasm build of ``dist`` (the bundled build by default)."""
    folder = dist if dist is not None else _paths.bundled_engine_dir()
    return {p.name: p.stat().st_size for p in sorted(folder.glob("*.wasm"))}
