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
* ``idle``: the same N tracks with nothing connected (their inputs declared
  silent, as the worklet declares an unconnected input) and asleep
  (auto-bypassed);
* ``units``: the same N tracks (N up to TAIL_MAX_TRACKS) with every effect
  unit in their inserts (peq, compressor, saturator, delay with feedback,
  reverb, limiter) and auto-bypass off, noise in;
* ``tail``: those tracks timed while their tails decay after a burst of
  noise: feedback paths falling towards the subnormal range, where the
  engine's flushes must keep them from slowing it down (tail/active compares
  it with ``units``, timed in the same rounds);
* ``automation``: the strip workload's tracks (N up to
  AUTOMATION_MAX_TRACKS, at most three sizes) with fader, pan, an EQ band's
  gain and the compressor's threshold ramped to a new target every quantum,
  events staged and committed inside the timed calls; automation/active
  compares it with the same tracks held still (``static``), timed in the
  same rounds (see dawgwasm._bench_automation);
* ``units-micro``: each effect unit alone (ns per channel-sample) and each
  note source with its voices playing (ns per voice-sample), each net of
  the same engine without it, timed in the same rounds (see
  dawgwasm._bench_units);
* ``render-overhead``: Python's overhead on the public session render of
  the reference session against the time spent inside the wasm exports,
  under wasmtime (see dawgwasm._bench_overhead).

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
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dawgwasm import _paths
from dawgwasm._bench_automation import (
    AUTOMATION_MAX_TRACKS,
    automation_counts,
    bench_automation,
)
from dawgwasm._bench_core import (
    JS_TOLERANCE_DB,
    MAX_TRACKS,
    QUANTUM_FRAMES,
    RUNTIME_NAMES,
    SAMPLE_RATE_HZ,
    STRIP,
    BenchError,
    EngineMaker,
    Measured,
    WorkloadResult,
    below_signal_db,
    check_agreement,
    empty_engine,
    machine_info,
    process_frames,
    strip_engine,
    strip_output,
    time_interleaved,
)
from dawgwasm._bench_overhead import RenderOverhead, bench_render_overhead
from dawgwasm._bench_tail import (
    TAIL_MAX_TRACKS,
    CallOverhead,
    QuantumLoad,
    bench_calls,
    bench_quantum_load,
    bench_tail,
    wasm_sizes,
)
from dawgwasm._bench_units import SourceCost, UnitCost, bench_sources, bench_units_micro
from dawgwasm._cargo import build_native
from dawgwasm._engine import Engine, Variant
from dawgwasm._errors import ToolchainMissingError
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


#: The workloads, in the order they run.
WORKLOADS = (
    "session",
    "strip",
    "idle",
    "tail",
    "automation",
    "units-micro",
    "render-overhead",
)
#: What the scaling workloads' results are reported as (tail brings units
#: along, automation static).
REPORTED = ("session", "strip", "idle", "units", "tail", "static", "automation")


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
            engines[n] = strip_engine(m, tracks, level, seed=tracks)
        if workload == "strip":
            outputs = {n: strip_output(e, frames) for n, e in engines.items()}
            agreement = check_agreement(f"strip at {tracks} tracks", outputs, baseline)
        else:
            for e in engines.values():
                for t in range(tracks):  # nothing connected, as the worklet declares it
                    e.set_input_silent(t)
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
            engines[f"{n}\0empty"] = empty_engine(m, tracks)
        timed = time_interleaved(
            {n: partial(process_frames, e, frames) for n, e in engines.items()}, repeat
        )
    finally:
        for e in engines.values():
            e.close()
    runs = {n: m for n, m in timed.items() if "\0" not in n}
    empty = {n.split("\0")[0]: m for n, m in timed.items() if "\0" in n}
    return WorkloadResult(workload, tracks, frames, runs, agreement, empty)


def _bench_session(
    makers: dict[str, EngineMaker], baseline: str, seconds: float | None, repeat: int
) -> WorkloadResult:
    runs: dict[str, SessionRun] = {}
    try:
        for n, m in makers.items():
            runs[n] = prepare_reference(m, seconds, SAMPLE_RATE_HZ)
        outputs = {n: r.render() for n, r in runs.items()}
        agreement = check_agreement("reference session", outputs, baseline)
        timed = time_interleaved({n: r.render for n, r in runs.items()}, repeat)
        first = next(iter(runs.values()))
        tracks, frames = len(first.session.tracks), first.frames
    finally:
        for r in runs.values():
            r.engine.close()
    return WorkloadResult("session", tracks, frames, timed, agreement)


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
    #: Per runtime, the load of each quantum at the largest strip size (if measured).
    quantum_load: dict[str, QuantumLoad] = field(default_factory=dict)
    #: Each effect unit alone on each runtime (workload units-micro).
    units: list[UnitCost] = field(default_factory=list)
    #: Each note source with its voices playing on each runtime (units-micro).
    sources: list[SourceCost] = field(default_factory=list)
    #: Python's overhead on a render, per wasmtime runtime (render-overhead).
    render_overhead: dict[str, RenderOverhead] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=machine_info)

    def scaling(self, workload: str) -> list[WorkloadResult]:
        return [w for w in self.workloads if w.workload == workload]

    def derived(self) -> dict[str, dict[str, Any]]:
        """Per runtime: ns per track-sample at the largest strip size, tracks
        per core at 50 % and 90 % load from it, idle/active at that size,
        tail/active at the largest tail size (decaying tails against noise
        through the same units), automation/active at the largest
        automation size (against the same tracks held still), and the ratios
        to the baseline and to the scalar build."""
        out: dict[str, dict[str, Any]] = self._derived_strip()
        autos = self.scaling("automation")
        if autos:
            auto = autos[-1]
            static = next(w for w in self.scaling("static") if w.tracks == auto.tracks)
            for name in auto.runs:
                entry = out.setdefault(name, {})
                entry["automation_tracks"] = auto.tracks
                entry["automation_to_active"] = _ratio(
                    auto.ns_per_track_sample(name), static.ns_per_track_sample(name)
                )
        return out

    def _derived_strip(self) -> dict[str, dict[str, Any]]:
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
            "quantum_load": {n: q.to_json() for n, q in self.quantum_load.items()},
            "workloads": [w.to_json() for w in self.workloads],
            "units": [u.to_json() for u in self.units],
            "sources": [s.to_json() for s in self.sources],
            "python_overhead": {n: o.to_json() for n, o in self.render_overhead.items()},
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
    ``tracks`` (tail up to TAIL_MAX_TRACKS, automation at up to three of
    those up to AUTOMATION_MAX_TRACKS) over ``seconds`` of audio per run, the
    session over one pass; then the cost of a host call on each runtime.
    Every limit is checked before anything is built or rendered."""
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
    automated = automation_counts(tracks)
    if "automation" in workloads and not automated:
        raise BenchError(
            f"the automation workload runs at 1 to {AUTOMATION_MAX_TRACKS} tracks; "
            f"give a --tracks of {AUTOMATION_MAX_TRACKS} or fewer"
        )
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
                results.extend(bench_tail(makers, baseline, n, frames, repeat))
            else:
                results.append(_bench_tracks(makers, baseline, w, n, frames, repeat))
    if "automation" in workloads:
        for n in automated:
            progress(f"automation at {n} tracks")
            results.extend(bench_automation(makers, baseline, n, frames, repeat))
    units: list[UnitCost] = []
    sources: list[SourceCost] = []
    if "units-micro" in workloads:
        progress("each effect unit alone")
        units = bench_units_micro(makers, baseline, frames, repeat)
        progress("the synth's and the sampler's voices")
        sources = bench_sources(makers, baseline, frames, repeat)
    overhead: dict[str, RenderOverhead] = {}
    if "render-overhead" in workloads:
        progress("Python's overhead on a render")
        overhead = bench_render_overhead(makers, repeat)
    quantum: dict[str, QuantumLoad] = {}
    if "strip" in workloads:
        progress(f"the load of each quantum at {max(tracks)} tracks")
        quantum = bench_quantum_load(makers, max(tracks), frames)
    progress("the host call")
    calls = bench_calls(makers, repeat)
    return BenchResult(
        baseline,
        repeat,
        seconds,
        results,
        skipped,
        calls,
        wasm_sizes(dist),
        quantum,
        units,
        sources,
        overhead,
    )
