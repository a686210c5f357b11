"""What every workload of the headless benchmark shares: the strip its
tracks run, the engines it builds, the check that runtimes agree, and the
interleaved timing, and the machine it runs on (see dawgwasm._bench)."""

from __future__ import annotations

import math
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from dawgwasm._engine import Engine
from dawgwasm._errors import DawgwasmError

__all__ = [
    "FADER",
    "JS_TOLERANCE_DB",
    "MAX_TRACKS",
    "QUANTUM_FRAMES",
    "RUNTIME_NAMES",
    "SAMPLE_RATE_HZ",
    "STRIP",
    "BenchError",
    "EngineMaker",
    "Measured",
    "WorkloadResult",
    "below_signal_db",
    "check_agreement",
    "empty_engine",
    "machine_info",
    "process_frames",
    "strip_engine",
    "strip_output",
    "time_interleaved",
    "timed_part",
]

EngineMaker = Callable[..., Engine]

#: The runtimes, in the order they are reported.
RUNTIME_NAMES = (
    "native",
    "wasmtime simd",
    "wasmtime scalar",
    "v8 simd under node",
    "v8 scalar under node",
    "js under node",
)
#: The JavaScript engine computes in f64 where the Rust computes in f32: its
#: output must lie at least this far below the signal from the baseline's, dB.
JS_TOLERANCE_DB = 80.0
#: The strip every track of the strip and idle workloads runs.
STRIP: dict[str, float] = {
    "low_gain_db": 3.0,
    "mid_gain_db": -2.0,
    "high_gain_db": 2.0,
    "comp_threshold_db": -18.0,
    "comp_ratio": 4.0,
}
#: The fader and pan of those tracks.
FADER: dict[str, float] = {"gain_db": -2.0, "pan": 0.3}
SAMPLE_RATE_HZ = 48000.0
QUANTUM_FRAMES = 128
#: Most tracks a strip or idle workload may ask for (the engine's limit).
MAX_TRACKS = 256


class BenchError(DawgwasmError):
    """A runtime's output disagrees with the baseline's, or a workload could
    not be set up as asked; nothing was timed."""


def process_frames(e: Engine, frames: int) -> None:
    """Process at least ``frames`` frames of ``e`` as its inputs hold them, in
    calls of as many quanta as it takes at once."""
    q = e.quantum_frames
    total = -(-frames // q)
    while total > 0:
        n = min(e.max_quanta, total)
        e.process(n)
        total -= n


@dataclass(frozen=True)
class Measured:
    """Seconds of the timed runs of one measurement on one runtime."""

    samples: tuple[float, ...]

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def median(self) -> float:
        return float(np.median(self.samples))

    @property
    def max(self) -> float:
        return max(self.samples)

    def to_json(self) -> dict[str, Any]:
        return {
            "min_ms": self.min * 1e3,
            "median_ms": self.median * 1e3,
            "max_ms": self.max * 1e3,
            "samples_ms": [s * 1e3 for s in self.samples],
        }


def below_signal_db(reference: npt.ArrayLike, other: npt.ArrayLike) -> float:
    """How far the RMS of ``other - reference`` lies below the RMS of
    ``reference``, in dB (infinity when they are identical); BenchError when
    the reference is silent (there is nothing to compare)."""
    a = np.asarray(reference, np.float64)
    b = np.asarray(other, np.float64)
    signal = math.sqrt(float(np.mean(a**2)))
    error = math.sqrt(float(np.mean((a - b) ** 2)))
    if signal == 0.0:
        raise BenchError("the baseline rendered silence: nothing to compare or time")
    return math.inf if error == 0.0 else 20.0 * math.log10(signal / error)


def check_agreement(
    workload: str, outputs: dict[str, npt.NDArray[np.float32]], baseline: str
) -> dict[str, float]:
    """How far below the signal each runtime's output lies from the
    baseline's (inf: identical); raises BenchError where that is not enough."""
    ref = outputs[baseline]
    found: dict[str, float] = {}
    for name, out in outputs.items():
        if out.shape != ref.shape:
            raise BenchError(f"{workload}: {name} rendered {out.shape}, {baseline} {ref.shape}")
        db = below_signal_db(ref, out)
        found[name] = db
        if name == "js under node":
            if db < JS_TOLERANCE_DB:
                raise BenchError(
                    f"{workload}: the JavaScript engine's output differs from {baseline}'s by "
                    f"{db:.1f} dB below the signal (it must be at least {JS_TOLERANCE_DB:g}); "
                    "nothing was timed"
                )
        elif db != math.inf:
            raise BenchError(
                f"{workload}: {name}'s output is not bit-identical to {baseline}'s "
                f"({db:.1f} dB below the signal); nothing was timed"
            )
    return found


def empty_engine(make: EngineMaker, tracks: int) -> Engine:
    """An engine configured for ``tracks`` tracks with none created."""
    return make(
        sample_rate_hz=SAMPLE_RATE_HZ, tracks=tracks, quantum_frames=QUANTUM_FRAMES, max_quanta=64
    )


def strip_engine(make: EngineMaker, tracks: int, level: float, seed: int) -> Engine:
    """An engine with ``tracks`` input tracks running STRIP and FADER, their
    inputs filled once with fixed-seed noise of peak ``level`` (0: silence)."""
    e = empty_engine(make, tracks)
    rng = np.random.default_rng(seed)
    # Parameters first, inputs after: a runtime under node compares the pages
    # under every view on each call, so calls are cheapest before views exist.
    for t in range(tracks):
        e.set_many({**STRIP, **FADER}, t)
    for t in range(tracks):
        buf = e.input(t)
        buf[:] = rng.uniform(-level, level, buf.shape).astype(np.float32)
    e.reset()
    return e


def strip_output(e: Engine, frames: int) -> npt.NDArray[np.float32]:
    out = []
    q = e.quantum_frames * e.max_quanta
    for _ in range(-(-frames // q)):
        e.process(e.max_quanta)
        out.append(e.output.copy())
    return np.concatenate(out, axis=1)


@dataclass
class WorkloadResult:
    """One workload at one size on every runtime."""

    workload: str
    tracks: int
    frames: int
    runs: dict[str, Measured]
    agreement_db: dict[str, float]
    #: The same engines with no track created (fixed cost per call), if measured.
    empty: dict[str, Measured] = field(default_factory=dict)

    def ns_per_track_sample(self, name: str) -> float:
        """Median time per track and frame, the empty engine's time subtracted
        where it was measured (so fixed costs are not spread over the tracks)."""
        fixed = self.empty[name].median if name in self.empty else 0.0
        return max(self.runs[name].median - fixed, 0.0) / (self.tracks * self.frames) * 1e9

    def to_json(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "tracks": self.tracks,
            "frames": self.frames,
            "agreement_db_below_signal": {
                k: (None if math.isinf(v) else v) for k, v in self.agreement_db.items()
            },
            "runtimes": {
                name: {
                    **m.to_json(),
                    "ns_per_track_sample": self.ns_per_track_sample(name),
                    "realtime_factor": self.frames / SAMPLE_RATE_HZ / m.median,
                    **(
                        {"empty_engine_median_ms": self.empty[name].median * 1e3}
                        if name in self.empty
                        else {}
                    ),
                }
                for name, m in self.runs.items()
            },
        }


def timed_part(timed: dict[str, Measured], kind: str) -> dict[str, Measured]:
    """Of measurements named ``"<runtime>\0<kind>"``, those of ``kind``, by runtime."""
    return {n.split("\0")[0]: m for n, m in timed.items() if n.endswith("\0" + kind)}


def time_interleaved(
    actions: dict[str, Callable[[], object]],
    repeat: int,
    prepare: dict[str, Callable[[], object]] | None = None,
) -> dict[str, Measured]:
    """One untimed warm-up of every action, then ``repeat`` rounds in which
    each runs once, timed, in a rotated order; ``prepare[name]`` (untimed)
    runs before each run of that action."""
    setup = prepare or {}
    for n, act in actions.items():
        setup.get(n, _nothing)()
        act()
    names = list(actions)
    samples: dict[str, list[float]] = {n: [] for n in names}
    for rep in range(repeat):
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for n in order:
            setup.get(n, _nothing)()
            t0 = time.perf_counter()
            actions[n]()
            samples[n].append(time.perf_counter() - t0)
    return {n: Measured(tuple(v)) for n, v in samples.items()}


def _nothing() -> None:
    pass


def _tool_version(argv: Sequence[str]) -> str:
    try:
        run = subprocess.run(list(argv), capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return run.stdout.strip().splitlines()[0] if run.stdout.strip() else ""


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on."""
    import wasmtime

    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpus": _cpu_count(),
        "python": sys.version.split()[0],
        "wasmtime_py": getattr(wasmtime, "__version__", ""),
        "node": _tool_version(["node", "--version"]) if shutil.which("node") else "",
    }


def _cpu_count() -> int:
    return os.cpu_count() or 1
