"""The main job (``dawgwasm demo``): the reference session rendered on each
runtime (wasmtime SIMD and scalar, the build's JavaScript engine under node,
and the crate compiled natively when a Rust toolchain and the crate are
here), interleaved, one warm-up and
repeated timed runs each; the load of single quanta; the largest difference
between runtimes; and the cost of an idle track against an active one.
:func:`run_demo` measures, writes the SIMD render and the numbers, and
returns them as a :class:`DemoResult`."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dawgwasm._audio import plan_output, write_audio
from dawgwasm._bench import prepare_reference, runtime_makers
from dawgwasm._bench_core import (
    SAMPLE_RATE_HZ,
    empty_engine,
    process_frames,
    strip_engine,
    time_interleaved,
)
from dawgwasm._engine import Engine
from dawgwasm._files import check_output, replacing
from dawgwasm._measure import quantum_loads, time_repeated
from dawgwasm._session import Session

__all__ = [
    "DemoResult",
    "RuntimeResult",
    "TrackCost",
    "run_demo",
    "track_costs",
]

EngineMaker = Callable[..., Engine]


@dataclass(frozen=True)
class TrackCost:
    """Nanoseconds per track-sample of active and idle tracks (median)."""

    active_ns: float
    idle_ns: float
    empty_ns: float

    @property
    def idle_to_active(self) -> float:
        return self.idle_ns / self.active_ns


def track_costs(
    make: EngineMaker, *, tracks: int = 16, seconds: float = 2.0, repeat: int = 5
) -> TrackCost:
    """Cost of ``tracks`` tracks with a working strip when fed noise (active)
    and when silent and auto-bypassed (idle), minus an engine whose tracks
    were never created (empty), per track-sample: the bench's strip and idle
    workloads at one size, the three interleaved, one warm-up and ``repeat``
    timed runs each."""
    frames = int(seconds * SAMPLE_RATE_HZ)
    # Inputs are filled once: every call renders the same noise (or silence),
    # so no copying is timed. Idle tracks get one untimed pass to fall asleep.
    runs = {
        "active": strip_engine(make, tracks, 0.5, 11),
        "idle": strip_engine(make, tracks, 0.0, 11),
        "empty": empty_engine(make, tracks),
    }
    try:
        process_frames(runs["idle"], frames)
        measured = time_interleaved(
            {name: partial(process_frames, e, frames) for name, e in runs.items()}, repeat
        )
        asleep = bool(np.all(runs["idle"].meters[:tracks, 4] == 2.0))
    finally:
        for e in runs.values():
            e.close()
    if not asleep:
        raise RuntimeError("idle tracks did not go to sleep; the measurement would be wrong")
    med = {k: m.median for k, m in measured.items()}
    per = tracks * frames
    return TrackCost(
        active_ns=(med["active"] - med["empty"]) / per * 1e9,
        idle_ns=max(med["idle"] - med["empty"], 0.0) / per * 1e9,
        empty_ns=med["empty"] / frames * 1e9,
    )


@dataclass(frozen=True)
class RuntimeResult:
    """What was measured on one runtime."""

    #: Seconds of each timed render of the whole session.
    samples: tuple[float, ...]
    realtime_factor: float
    ratio_to_baseline: float
    #: p50, p99 and max load of single quanta, and the host call overhead in µs.
    quantum_load: dict[str, float]
    max_abs_diff_to_baseline: float
    track_cost: TrackCost

    @property
    def median_s(self) -> float:
        return float(np.median(self.samples))

    def to_json(self) -> dict[str, Any]:
        return {
            "render_ms_median": self.median_s * 1e3,
            "render_ms_best": min(self.samples) * 1e3,
            "samples_ms": [s * 1e3 for s in self.samples],
            "realtime_factor": self.realtime_factor,
            "ratio_to_baseline": self.ratio_to_baseline,
            "quantum_load": self.quantum_load,
            "max_abs_diff_to_baseline": self.max_abs_diff_to_baseline,
            "track_cost_ns_per_track_sample": {
                "active": self.track_cost.active_ns,
                "idle": self.track_cost.idle_ns,
                "idle_to_active": self.track_cost.idle_to_active,
            },
        }


@dataclass(frozen=True)
class DemoResult:
    """Everything :func:`run_demo` measured and where it wrote it."""

    session: Session
    seconds: float
    sample_rate_hz: float
    quantum_frames: int
    events: int
    repeat: int
    baseline: str
    runtimes: dict[str, RuntimeResult]
    peak_dbfs: float
    rms_dbfs: float
    out_path: Path
    json_path: Path
    #: Why the native runtime was left out, or "" if it ran (or was not asked for).
    native_skipped: str = ""
    #: Why the JavaScript engine was left out (no node), or "" if it ran.
    js_skipped: str = ""

    def to_json(self) -> dict[str, Any]:
        """The document written to :attr:`json_path`."""
        return {
            "session": {
                "name": self.session.name,
                "tracks": [t.name for t in self.session.tracks],
                "seconds": self.seconds,
                "sample_rate_hz": self.sample_rate_hz,
                "events": self.events,
            },
            "repeat": self.repeat,
            "baseline": self.baseline,
            "runtimes": {name: r.to_json() for name, r in self.runtimes.items()},
            "output": {
                "peak_dbfs": self.peak_dbfs,
                "rms_dbfs": self.rms_dbfs,
                "file": str(self.out_path),
            },
        }


def run_demo(
    dist: Path | None,
    out_path: Path,
    json_path: Path,
    *,
    seconds: float | None = None,
    repeat: int = 5,
    native: bool = True,
) -> DemoResult:
    """Render the reference session on every runtime and measure it (see
    the module docs); write the SIMD render to ``out_path`` and the numbers
    to ``json_path``, both checked before anything renders. ``dist`` is a
    build folder (None: the bundled engine). The native runtime is the
    baseline when it runs; without a Rust toolchain or crate it is left out
    and :attr:`DemoResult.native_skipped` says why. The JavaScript engine
    runs under node; without node it is left out and
    :attr:`DemoResult.js_skipped` says why."""
    sr = 48000.0
    q = 128
    for path in (out_path, json_path):
        check_output(path)
    plan_output(out_path, int((seconds or 60.0) * sr), int(sr), "FLOAT")
    ordered, reasons = runtime_makers(dist, native=native)
    # The demo's four runtimes (`bench` has V8 too): wasm first, native last.
    shown = ("wasmtime simd", "wasmtime scalar", "js under node")
    makers = {n: m for n, m in ordered.items() if n in shown}
    if "native" in ordered:
        makers["native"] = ordered["native"]
    skipped = reasons.get("native", "")
    js_skipped = reasons.get("js under node", "")
    runs = {name: prepare_reference(make, seconds, sr) for name, make in makers.items()}
    first = next(iter(runs.values()))
    frames = first.frames

    # Interleave the runtimes so drift in machine load hits them all alike. The
    # untimed warm-up render is also the output each runtime is judged by.
    outputs: dict[str, npt.NDArray[np.float32]] = {}
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for rep in range(repeat + 1):
        for name, run in runs.items():
            if rep == 0:
                outputs[name] = run.render()
                continue
            samples[name].extend(time_repeated(run.render, warmup=0, repeat=1).samples)

    loads: dict[str, dict[str, float]] = {}
    for name, run in runs.items():
        e = run.engine
        e.reset()
        e.queue(run.events)
        loads[name] = quantum_loads(
            partial(e.runtime.call, "dawg_process", e.handle, 1),
            partial(e.runtime.call, "dawg_process", e.handle, 0),
            frames // q,
            q / sr,
        )
    costs = {name: track_costs(make, repeat=repeat) for name, make in makers.items()}
    for run in runs.values():
        run.engine.close()

    length_s = frames / sr
    baseline = "native" if "native" in runs else "wasmtime simd"
    base_median = float(np.median(samples[baseline]))
    ref = outputs[baseline]
    runtimes: dict[str, RuntimeResult] = {}
    for name in runs:
        med = float(np.median(samples[name]))
        runtimes[name] = RuntimeResult(
            samples=tuple(samples[name]),
            realtime_factor=length_s / med,
            ratio_to_baseline=med / base_median,
            quantum_load=loads[name],
            max_abs_diff_to_baseline=float(np.max(np.abs(outputs[name] - ref))),
            track_cost=costs[name],
        )
    out = outputs["wasmtime simd"]
    peak = float(np.max(np.abs(out)))
    rms = float(np.sqrt(np.mean(out.astype(np.float64) ** 2)))
    result = DemoResult(
        session=first.session,
        seconds=length_s,
        sample_rate_hz=sr,
        quantum_frames=q,
        events=len(first.events),
        repeat=repeat,
        baseline=baseline,
        runtimes=runtimes,
        peak_dbfs=20 * float(np.log10(peak)),
        rms_dbfs=20 * float(np.log10(rms)),
        out_path=out_path,
        json_path=json_path,
        native_skipped=skipped,
        js_skipped=js_skipped,
    )
    write_audio(out_path, out, int(sr))
    with replacing(json_path) as tmp:
        tmp.write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
    return result
