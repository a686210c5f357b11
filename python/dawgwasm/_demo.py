"""Workloads of the main job (``dawgwasm demo``): the reference session on
each runtime, and the cost of an idle track against an active one."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dawgwasm._engine import Engine
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

__all__ = ["SessionRun", "TrackCost", "prepare_reference", "track_costs"]

EngineMaker = Callable[..., Engine]


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
        sample_rate_hz=sample_rate_hz, tracks=len(doc["tracks"]), quantum_frames=128, max_quanta=64
    )
    session = parse_session(doc, engine.params, engine.units, engine.sources)
    apply_session(session, engine)
    length = session.length_seconds() if seconds is None else seconds
    frames = nearest_frame(length * sample_rate_hz)
    events = schedule(session, engine.params, sample_rate_hz, frames)
    return SessionRun(engine, session, events, frames)


@dataclass(frozen=True)
class TrackCost:
    """Nanoseconds per track-sample of active and idle tracks (median)."""

    active_ns: float
    idle_ns: float
    empty_ns: float

    @property
    def idle_to_active(self) -> float:
        return self.idle_ns / self.active_ns


STRIP: dict[str, float] = {
    "low_gain_db": 3.0,
    "mid_gain_db": -2.0,
    "high_gain_db": 2.0,
    "comp_threshold_db": -18.0,
    "comp_ratio": 4.0,
}


def track_costs(
    make: EngineMaker, *, tracks: int = 16, seconds: float = 2.0, repeat: int = 5
) -> TrackCost:
    """Cost of ``tracks`` tracks with a working strip when fed noise (active)
    and when silent and auto-bypassed (idle), minus an engine whose tracks
    were never created (empty), per track-sample; the three interleaved,
    one warm-up and ``repeat`` timed runs each."""
    sr = 48000.0
    frames = int(seconds * sr)
    rng = np.random.default_rng(11)

    def engine(create: bool, level: float) -> Engine:
        e = make(sample_rate_hz=sr, tracks=tracks, quantum_frames=128, max_quanta=64)
        if create:
            for t in range(tracks):
                e.set_many(STRIP, t)
                buf = e.input(t)
                buf[:] = rng.uniform(-level, level, buf.shape).astype(np.float32)
        e.reset()
        return e

    # Inputs are filled once: every call renders the same noise (or silence),
    # so no copying is timed. Idle tracks get one untimed pass to fall asleep.
    runs = {"active": engine(True, 0.5), "idle": engine(True, 0.0), "empty": engine(False, 0.0)}
    _process_frames(runs["idle"], frames)
    samples: dict[str, list[float]] = {k: [] for k in runs}
    for rep in range(repeat + 1):
        for name, e in runs.items():
            t0 = time.perf_counter()
            _process_frames(e, frames)
            if rep:
                samples[name].append(time.perf_counter() - t0)
    asleep = bool(np.all(runs["idle"].meters[:tracks, 4] == 2.0))
    for e in runs.values():
        e.close()
    if not asleep:
        raise RuntimeError("idle tracks did not go to sleep; the measurement would be wrong")
    med = {k: float(np.median(v)) for k, v in samples.items()}
    per = tracks * frames
    return TrackCost(
        active_ns=(med["active"] - med["empty"]) / per * 1e9,
        idle_ns=max(med["idle"] - med["empty"], 0.0) / per * 1e9,
        empty_ns=med["empty"] / frames * 1e9,
    )


def _process_frames(e: Engine, frames: int) -> None:
    q = e.quantum_frames
    total = -(-frames // q)
    while total > 0:
        n = min(e.max_quanta, total)
        e.process(n)
        total -= n
