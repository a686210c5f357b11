"""The headless benchmark (``dawgwasm bench``) and the workloads it shares
with the main job (``dawgwasm demo``).

Runtimes: the crate compiled natively (where a Rust toolchain and the crate
are here), wasmtime with the SIMD and the scalar build, and where node is on
PATH, node's V8 with the SIMD and the scalar build and the build's
JavaScript engine (these three run in a node process whose memory is
mirrored over a pipe: each call's cost includes copying the pages it
changed). Workloads:

* ``session``: the reference session, one pass, events and all;
* ``strip``: N active tracks of strip only (fixed-seed noise in, 3-band EQ,
  compressor, fader, pan), for N = 1, 2, 4 … 256;
* ``idle``: the same N tracks silent and asleep (auto-bypassed);
* ``units``: the same N tracks (N up to TAIL_MAX_TRACKS) with every effect
  unit in their inserts (peq, compressor, saturator, delay with feedback,
  reverb, limiter) and auto-bypass off, noise in;
* ``tail``: those tracks timed while their tails decay after a burst of
  noise: feedback paths falling towards the subnormal range, where the
  engine's flushes must keep them from slowing it down (tail/active compares
  it with ``units``, timed in the same rounds).

Also measured: the host call's own cost (an engine with nothing to do,
rendering one quantum per call against as many as it takes per call) and
the size of each .wasm build.

Per-track figures are net: the same engine configured for N tracks with
none created (its fixed cost per call: master, meters, the host call) is
timed in the same rounds and subtracted before dividing by N.

Protocol: every runtime's output of every workload is first compared with
the baseline's (native, else wasmtime SIMD): bit-identical for wasm, within
:data:`JS_TOLERANCE_DB` below the signal for the JavaScript engine, or the
benchmark stops with an error before anything is timed. Then each
measurement gets one untimed warm-up and ``repeat`` timed runs, the runtimes
interleaved within each repetition so that drift in machine load hits them
alike; min, median and max are kept. Inputs are filled once (noise, never
silence, for throughput), so no copying is timed; each call processes as
many quanta as the engine takes at once.
"""

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
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dawgwasm import _paths
from dawgwasm._cargo import build_native
from dawgwasm._engine import Engine, Variant
from dawgwasm._errors import DawgwasmError, ToolchainMissingError
from dawgwasm._events import Event
from dawgwasm._reference import reference_session
from dawgwasm._session import (
    Session,
    apply_session,
    nearest_frame,
    parse_session,
    render_events,
    schedule,
)
from dawgwasm._toolchain import find_rust_toolchain

__all__ = [
    "JS_TOLERANCE_DB",
    "REPORTED",
    "RUNTIME_NAMES",
    "STRIP",
    "WORKLOADS",
    "BenchError",
    "BenchResult",
    "Measured",
    "SessionRun",
    "below_signal_db",
    "native_library",
    "prepare_reference",
    "process_frames",
    "run_bench",
    "runtime_makers",
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
#: The workloads, in the order they run.
WORKLOADS = ("session", "strip", "idle", "tail")
#: What each workload's results are reported as (tail brings units along).
REPORTED = ("session", "strip", "idle", "units", "tail")
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


class BenchError(DawgwasmError):
    """A runtime's output disagrees with the baseline's, or a workload could
    not be set up as asked; nothing was timed."""


@dataclass
class SessionRun:
    """A configured engine with the reference session's events for ``frames``."""

    engine: Engine
    session: Session
    events: list[Event]
    frames: int

    def render(self) -> npt.NDArray[np.float32]:
        """Render from the start: reset, then every event over all frames."""
        self.engine.reset()
        return render_events(self.engine, self.events, self.frames)


def prepare_reference(
    make: EngineMaker, seconds: float | None, sample_rate_hz: float
) -> SessionRun:
    """An engine from ``make(tracks=…, sample_rate_hz=…, …)`` set up with the
    reference session, and its events for ``seconds`` (default: one pass)."""
    doc = reference_session()
    engine = make(
        sample_rate_hz=sample_rate_hz,
        tracks=len(doc["tracks"]),
        quantum_frames=QUANTUM_FRAMES,
        max_quanta=64,
    )
    session = parse_session(doc, engine.params, engine.units, engine.sources)
    apply_session(session, engine)
    length = session.length_seconds() if seconds is None else seconds
    frames = nearest_frame(length * sample_rate_hz)
    events = schedule(session, engine.params, sample_rate_hz, frames)
    return SessionRun(engine, session, events, frames)


def process_frames(e: Engine, frames: int) -> None:
    """Process at least ``frames`` frames of ``e`` as its inputs hold them, in
    calls of as many quanta as it takes at once."""
    q = e.quantum_frames
    total = -(-frames // q)
    while total > 0:
        n = min(e.max_quanta, total)
        e.process(n)
        total -= n


def native_library() -> tuple[Path | None, str]:
    """The crate compiled for this machine, or None and why it cannot be:
    no Rust toolchain, or no crate next to this dawgwasm (an installed
    wheel has none). A failing compile is an error, not a reason."""
    crate = _paths.crate_dir()
    try:
        toolchain = find_rust_toolchain()
    except ToolchainMissingError:
        return None, "no Rust toolchain here to compile the crate (see `dawgwasm doctor`)"
    if not (crate / "Cargo.toml").is_file():
        return None, "this dawgwasm has no Rust crate to compile (run it from a source checkout)"
    return build_native(toolchain, crate), ""


def runtime_makers(
    dist: Path | None, *, native: bool = True
) -> tuple[dict[str, EngineMaker], dict[str, str]]:
    """Engine factories for every runtime that can run here, in
    RUNTIME_NAMES order, and for each one left out, why."""
    makers: dict[str, EngineMaker] = {}
    skipped: dict[str, str] = {}
    if native:
        library, reason = native_library()
        if library is not None:
            makers["native"] = partial(Engine.native, library)
        else:
            skipped["native"] = reason
    makers["wasmtime simd"] = partial(Engine.from_dist, dist, "simd")
    makers["wasmtime scalar"] = partial(Engine.from_dist, dist, "scalar")
    under_node: tuple[tuple[str, Variant], ...] = (
        ("v8 simd under node", "node-simd"),
        ("v8 scalar under node", "node-scalar"),
        ("js under node", "js"),
    )
    for name, variant in under_node:
        if shutil.which("node") is None:
            skipped[name] = "no `node` on PATH (install Node.js 18 or newer)"
        else:
            makers[name] = partial(Engine.from_dist, dist, variant)
    return makers, skipped


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


def _check_agreement(
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


def _empty_engine(make: EngineMaker, tracks: int) -> Engine:
    """An engine configured for ``tracks`` tracks with none created."""
    return make(
        sample_rate_hz=SAMPLE_RATE_HZ, tracks=tracks, quantum_frames=QUANTUM_FRAMES, max_quanta=64
    )


def _strip_engine(make: EngineMaker, tracks: int, level: float, seed: int) -> Engine:
    """An engine with ``tracks`` input tracks running STRIP and FADER, their
    inputs filled once with fixed-seed noise of peak ``level`` (0: silence)."""
    e = _empty_engine(make, tracks)
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


def _strip_output(e: Engine, frames: int) -> npt.NDArray[np.float32]:
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


def _time_interleaved(
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


def _bench_tracks(
    makers: dict[str, EngineMaker],
    baseline: str,
    workload: str,
    tracks: int,
    frames: int,
    repeat: int,
) -> WorkloadResult:
    """The strip (active) or idle workload at ``tracks`` tracks."""
    level = 0.5 if workload == "strip" else 0.0
    engines: dict[str, Engine] = {}
    try:
        for n, m in makers.items():
            engines[n] = _strip_engine(m, tracks, level, seed=tracks)
        if workload == "strip":
            outputs = {n: _strip_output(e, frames) for n, e in engines.items()}
            agreement = _check_agreement(f"strip at {tracks} tracks", outputs, baseline)
        else:
            for e in engines.values():
                process_frames(e, int(SAMPLE_RATE_HZ))  # a second of silence: asleep
            for n, e in engines.items():
                asleep = e.meters[:tracks, 4]
                if not np.all(asleep == 2.0):
                    raise BenchError(
                        f"idle at {tracks} tracks: {n}'s tracks did not go to sleep after 1 s "
                        "of silence; the measurement would be wrong"
                    )
            agreement = {n: math.inf for n in engines}
        for n, m in makers.items():
            engines[f"{n}\0empty"] = _empty_engine(m, tracks)
        timed = _time_interleaved(
            {n: partial(process_frames, e, frames) for n, e in engines.items()}, repeat
        )
    finally:
        for e in engines.values():
            e.close()
    runs = {n: m for n, m in timed.items() if "\0" not in n}
    empty = {n.split("\0")[0]: m for n, m in timed.items() if "\0" in n}
    return WorkloadResult(workload, tracks, frames, runs, agreement, empty)


def _tail_engine(make: EngineMaker, tracks: int, seed: int) -> Engine:
    """The strip workload's engine with TAIL_UNITS in every track's inserts
    and auto-bypass off; its inputs hold the burst (see _start_tail)."""
    e = _strip_engine(make, tracks, 0.5, seed)
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


def _bench_tail(
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
            outputs[n] = _strip_output(e, frames)
        agreement = _check_agreement(f"tail at {tracks} tracks", outputs, baseline)
        quiet = [n for n, out in outputs.items() if not np.any(out[:, -QUANTUM_FRAMES:])]
        if quiet:
            raise BenchError(
                f"tail at {tracks} tracks: {quiet[0]}'s tails died out within the run; "
                "the measurement would time silence (use fewer --seconds)"
            )
        active = {}
        for n, e in engines.items():
            _start_units(e, bursts[n])
            active[n] = _strip_output(e, frames)
        active_agreement = _check_agreement(f"units at {tracks} tracks", active, baseline)
        actions: dict[str, Callable[[], object]] = {}
        prepare: dict[str, Callable[[], object]] = {}
        for n, m in makers.items():
            e = engines[n]
            actions[f"{n}\0tail"] = partial(process_frames, e, frames)
            prepare[f"{n}\0tail"] = partial(_start_tail, e, bursts[n])
            actions[f"{n}\0units"] = partial(process_frames, e, frames)
            prepare[f"{n}\0units"] = partial(_start_units, e, bursts[n])
            engines[f"{n}\0empty"] = _empty_engine(m, tracks)
            actions[f"{n}\0empty"] = partial(process_frames, engines[f"{n}\0empty"], frames)
        timed = _time_interleaved(actions, repeat, prepare=prepare)
    finally:
        for e in engines.values():
            e.close()

    def part(kind: str) -> dict[str, Measured]:
        return {n.split("\0")[0]: m for n, m in timed.items() if n.endswith("\0" + kind)}

    empty = part("empty")
    return [
        WorkloadResult("units", tracks, frames, part("units"), active_agreement, empty),
        WorkloadResult("tail", tracks, frames, part("tail"), agreement, empty),
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


def _bench_calls(makers: dict[str, EngineMaker], repeat: int) -> dict[str, CallOverhead]:
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
        timed = _time_interleaved(actions, repeat)
    finally:
        for e in engines.values():
            e.close()
    per_quantum = {k: Measured(tuple(x / calls for x in v.samples)) for k, v in timed.items()}
    return {
        n: CallOverhead(per_quantum[f"{n}\0single"], per_quantum[f"{n}\0batched"]) for n in engines
    }


def wasm_sizes(dist: Path | None) -> dict[str, int]:
    """Bytes of each .wasm build of ``dist`` (the bundled build by default)."""
    folder = dist if dist is not None else _paths.bundled_engine_dir()
    return {p.name: p.stat().st_size for p in sorted(folder.glob("*.wasm"))}


def _bench_session(
    makers: dict[str, EngineMaker], baseline: str, seconds: float | None, repeat: int
) -> WorkloadResult:
    runs: dict[str, SessionRun] = {}
    try:
        for n, m in makers.items():
            runs[n] = prepare_reference(m, seconds, SAMPLE_RATE_HZ)
        outputs = {n: r.render() for n, r in runs.items()}
        agreement = _check_agreement("reference session", outputs, baseline)
        timed = _time_interleaved({n: r.render for n, r in runs.items()}, repeat)
        first = next(iter(runs.values()))
        tracks, frames = len(first.session.tracks), first.frames
    finally:
        for r in runs.values():
            r.engine.close()
    return WorkloadResult("session", tracks, frames, timed, agreement)


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


def _ratio(a: float, b: float) -> float | None:
    """a / b, or None where b is not positive (a net time lost in the noise
    of a run too short to measure it)."""
    return a / b if b > 0 else None


@dataclass
class BenchResult:
    """Everything :func:`run_bench` measured."""

    baseline: str
    repeat: int
    seconds: float
    workloads: list[WorkloadResult]
    skipped: dict[str, str]
    #: Per runtime, the cost of a call with nothing to render (empty if not measured).
    calls: dict[str, CallOverhead] = field(default_factory=dict)
    #: Bytes of each .wasm build.
    wasm_bytes: dict[str, int] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=machine_info)

    def scaling(self, workload: str) -> list[WorkloadResult]:
        return [w for w in self.workloads if w.workload == workload]

    def derived(self) -> dict[str, dict[str, Any]]:
        """Per runtime: ns per track-sample at the largest strip size, tracks
        per core at 50 % and 90 % load from it, idle/active at that size,
        tail/active at the largest tail size (decaying tails against noise
        through the same units), and the ratios to the baseline and to the
        scalar build."""
        strips = self.scaling("strip")
        idles = {w.tracks: w for w in self.scaling("idle")}
        tails = {w.tracks: w for w in self.scaling("tail")}
        units = {w.tracks: w for w in self.scaling("units")}
        out: dict[str, dict[str, Any]] = {}
        if not strips:
            return out
        top = strips[-1]
        for name in top.runs:
            ns = top.ns_per_track_sample(name)
            entry: dict[str, Any] = {
                "strip_tracks": top.tracks,
                "ns_per_track_sample": ns,
                "tracks_per_core_at_50_percent": _ratio(0.5e9, ns * SAMPLE_RATE_HZ),
                "tracks_per_core_at_90_percent": _ratio(0.9e9, ns * SAMPLE_RATE_HZ),
                "ratio_to_baseline": _ratio(ns, top.ns_per_track_sample(self.baseline)),
            }
            if "wasmtime scalar" in top.runs:
                entry["ratio_to_wasmtime_scalar"] = _ratio(
                    ns, top.ns_per_track_sample("wasmtime scalar")
                )
            idle = idles.get(top.tracks)
            if idle is not None and name in idle.runs:
                entry["idle_to_active"] = _ratio(idle.ns_per_track_sample(name), ns)
            tail = unit = None
            if tails:
                size = max(tails)
                tail, unit = tails[size], units[size]
                entry["tail_tracks"] = size
            if tail is not None and unit is not None and name in tail.runs:
                entry["tail_to_active"] = _ratio(
                    tail.ns_per_track_sample(name), unit.ns_per_track_sample(name)
                )
            out[name] = entry
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": "dawgwasm bench",
            "baseline": self.baseline,
            "repeat": self.repeat,
            "seconds_per_run": self.seconds,
            "sample_rate_hz": SAMPLE_RATE_HZ,
            "quantum_frames": QUANTUM_FRAMES,
            "js_tolerance_db": JS_TOLERANCE_DB,
            "machine": self.machine,
            "skipped": self.skipped,
            "wasm_bytes": self.wasm_bytes,
            "host_call": {n: c.to_json() for n, c in self.calls.items()},
            "workloads": [w.to_json() for w in self.workloads],
            "derived": self.derived(),
        }


def run_bench(
    dist: Path | None,
    *,
    tracks: Sequence[int] = (1, 2, 4, 8, 16, 32, 64, 128, 256),
    seconds: float = 1.0,
    repeat: int = 5,
    workloads: Sequence[str] = WORKLOADS,
    runtimes: Sequence[str] | None = None,
    native: bool = True,
    progress: Callable[[str], None] = lambda _: None,
) -> BenchResult:
    """Measure ``workloads`` on every runtime that can run here (or those of
    ``runtimes``); the strip, idle and tail workloads at each count of
    ``tracks`` over ``seconds`` of audio per run, the session over one pass;
    then the cost of a host call on each runtime. Every limit is checked
    before anything is built or rendered."""
    bad = [t for t in tracks if not 1 <= t <= MAX_TRACKS]
    if bad or not tracks:
        raise BenchError(f"track counts must be 1 to {MAX_TRACKS}, got {list(tracks) or 'none'}")
    if not 0.05 <= seconds <= 60.0 or not math.isfinite(seconds):
        raise BenchError(f"seconds per run must be 0.05 to 60, got {seconds}")
    if not 1 <= repeat <= 100:
        raise BenchError(f"repetitions must be 1 to 100, got {repeat}")
    unknown = sorted(set(workloads) - set(WORKLOADS))
    if unknown:
        raise BenchError(f"unknown workload {unknown[0]!r}; known: {', '.join(WORKLOADS)}")
    if runtimes is not None:
        unknown = sorted(set(runtimes) - set(RUNTIME_NAMES))
        if unknown:
            raise BenchError(f"unknown runtime {unknown[0]!r}; known: {', '.join(RUNTIME_NAMES)}")
    makers, skipped = runtime_makers(
        dist, native=native and (runtimes is None or "native" in runtimes)
    )
    if runtimes is not None:
        missing = [r for r in runtimes if r not in makers]
        if missing:
            raise BenchError(
                f"{missing[0]} cannot run here: {skipped.get(missing[0], 'not asked')}"
            )
        makers = {n: m for n, m in makers.items() if n in runtimes}
    baseline = "native" if "native" in makers else next(iter(makers))
    frames = round(seconds * SAMPLE_RATE_HZ)
    results: list[WorkloadResult] = []
    if "session" in workloads:
        progress("reference session")
        results.append(_bench_session(makers, baseline, None, repeat))
    for w in ("strip", "idle", "tail"):
        if w not in workloads:
            continue
        counts = sorted(set(tracks))
        if w == "tail":
            counts = [n for n in counts if n <= TAIL_MAX_TRACKS] or [min(counts)]
        for n in counts:
            progress(f"{w} at {n} tracks")
            if w == "tail":
                results.extend(_bench_tail(makers, baseline, n, frames, repeat))
            else:
                results.append(_bench_tracks(makers, baseline, w, n, frames, repeat))
    progress("the host call")
    calls = _bench_calls(makers, repeat)
    return BenchResult(baseline, repeat, seconds, results, skipped, calls, wasm_sizes(dist))
