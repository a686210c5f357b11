"""Sessions at work: loading their samples, applying them to an engine,
scheduling their patterns and automation as sample-accurate events, and
rendering them (``web/static/dawg-schedule.js`` schedules with the same
arithmetic, so the browser queues the same events on the same frames)."""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dawgwasm._errors import LimitError, SessionError
from dawgwasm._events import (
    TARGET_TRACK,
    Event,
    encode_target,
    note_off,
    note_on,
    param_ramp,
    param_set,
)
from dawgwasm._limits import RENDER_SECONDS_MAX, SAMPLE_FRAMES_MAX
from dawgwasm._params import ParamTable
from dawgwasm._sessiondoc import SAMPLE_PATH_RULE, Session

__all__ = [
    "apply_session",
    "check_samples",
    "iter_render",
    "iter_schedule",
    "nearest_frame",
    "render_events",
    "render_frames",
    "render_session",
    "sample_file",
    "schedule",
    "used_samples",
]


def used_samples(session: Session) -> list[str]:
    """Names of the samples some track plays, in ``$.samples`` order: only
    these are read (a declared but unused sample file is never opened)."""
    used = {t.sample for t in session.tracks if t.sample is not None}
    return [name for name in session.samples if name in used]


def sample_file(session: Session, name: str, root: Path | None = None) -> Path:
    """The file of sample ``name``: its ``file`` under ``root`` (default: the
    session's folder, else the working folder). A path that resolves outside
    that folder (through a symbolic link) is refused with the same message
    whether or not its target exists."""
    base = root if root is not None else session.base_dir or Path.cwd()
    rel = session.samples[name]["file"]
    where = f"$.samples.{name}.file"
    try:
        real_base = base.resolve()
        real = (base / rel).resolve()
    except (OSError, RuntimeError):
        raise SessionError(where, SAMPLE_PATH_RULE) from None
    if not real.is_relative_to(real_base):
        raise SessionError(where, SAMPLE_PATH_RULE)
    return base / rel


def _sample_fail(name: str) -> Callable[[str], Exception]:
    return lambda message: SessionError(f"$.samples.{name}.file", message)


def check_samples(session: Session, root: Path | None = None) -> None:
    """Open the header of every used sample file: it must be a regular,
    readable mono or stereo audio file of at most :data:`SAMPLE_FRAMES_MAX`
    frames. Errors name the sample's JSON path."""
    from dawgwasm._audio import open_audio

    for name in used_samples(session):
        if "file" not in session.samples[name]:
            continue
        path = sample_file(session, name, root)
        with open_audio(path, what="sample file", fail=_sample_fail(name)) as f:
            if f.frames > SAMPLE_FRAMES_MAX:
                raise SessionError(
                    f"$.samples.{name}.file",
                    f"sample file {path} has {f.frames} frames; at most {SAMPLE_FRAMES_MAX} "
                    "are loaded",
                )


def _sample_data(
    session: Session, name: str, sample_rate_hz: float, root: Path | None
) -> tuple[npt.NDArray[np.float32], float]:
    spec = session.samples[name]
    if "builtin" in spec:
        from dawgwasm._samples import SAMPLES

        return SAMPLES[spec["builtin"]](sample_rate_hz), sample_rate_hz
    from dawgwasm._audio import read_stereo

    audio, rate = read_stereo(
        sample_file(session, name, root),
        frames_max=SAMPLE_FRAMES_MAX,
        what="sample file",
        fail=_sample_fail(name),
    )
    return audio, float(rate)


def apply_session(session: Session, engine: Any, *, sample_root: Path | None = None) -> None:
    """Configure ``engine`` (an :class:`~dawgwasm.Engine` with at least as many
    tracks as the session) with the session's structure and settings.
    Sample files are read from ``sample_root`` (default: the session's
    folder; see :func:`sample_file`)."""
    sample_ids: dict[str, int] = {}
    for name in used_samples(session):
        data, rate = _sample_data(session, name, engine.sample_rate_hz, sample_root)
        sample_ids[name] = engine.add_sample(data, rate)
    engine.set("tempo_bpm", session.tempo_bpm)
    engine.set("master_gain_db", session.master_gain_db)
    for b, bus in enumerate(session.buses):
        engine.set_many(bus.channel, bus=b)
        for s, ins in enumerate(bus.inserts, start=1):
            engine.set_insert(s, ins.unit, bus=b)
            engine.set_many(ins.params, bus=b, slot=s)
    for s, ins in enumerate(session.master_inserts, start=1):
        engine.set_insert(s, ins.unit, master=True)
        engine.set_many(ins.params, master=True, slot=s)
    for t, track in enumerate(session.tracks):
        engine.set_source(t, track.source)
        if track.sample is not None:
            engine.set("sampler_sample", sample_ids[track.sample], t)
        engine.set_many(track.source_params, t)
        engine.set_many(track.strip, t)
        for s, ins in enumerate(track.inserts, start=1):
            engine.set_insert(s, ins.unit, track=t)
            engine.set_many(ins.params, t, slot=s)
        for send in track.sends:
            engine.set(f"send_{send.bus + 1}_db", send.level_db, t)
            engine.set(f"send_{send.bus + 1}_pre", float(send.pre), t)
        engine.set_many(track.channel, t)
    engine.reset()


def nearest_frame(x: float) -> int:
    """Nearest frame, halves rounded up (JavaScript's ``Math.round``), so the
    browser schedules the same frames."""
    return math.floor(x + 0.5)


# An event's place in the schedule: frame, note-offs first, then the order
# in which the events are generated (track, notes before automation, loop,
# entry, note-on before its note-off). A pass of automation starts by setting
# each automated parameter to its document value (entry -1), then its points.
_Key = tuple[int, bool, int, int, int, int, int]


@dataclass
class _Stream:
    """One track's notes (section 0) or automation (section 1), loop by loop.

    Every event of loop ``k`` lands at or after ``nearest_frame(k · loop
    beats · frames per beat)``, so the loops can be generated lazily, in
    frame order, just ahead of the events they must be merged with."""

    track: int
    section: int
    loop_beats: float
    k: int = 0

    def lower(self, fpb: float) -> int:
        return nearest_frame((self.k * self.loop_beats + 0.0) * fpb)


def iter_schedule(
    session: Session, params: ParamTable, sample_rate_hz: float, frames: int
) -> Iterator[Event]:
    """Every event of ``frames`` frames of the session, ordered by frame
    (note-offs before the other events of a frame, otherwise in generation
    order), generated lazily: memory holds about one loop of each pattern,
    whatever the length of the render."""
    fpb = session.frames_per_beat(sample_rate_hz)
    streams: list[tuple[int, int, int, _Stream]] = []
    for t, track in enumerate(session.tracks):
        if track.notes:
            streams.append((0, t, 0, _Stream(t, 0, track.pattern_beats)))
        if track.automation:
            streams.append((0, t, 1, _Stream(t, 1, session.length_beats)))
    heapq.heapify(streams)
    pending: list[tuple[_Key, Event]] = []
    while streams or pending:
        while streams and (not pending or streams[0][0] <= pending[0][0][0]):
            lower, t, section, stream = heapq.heappop(streams)
            if lower >= frames:
                continue
            _generate(session, params, stream, fpb, frames, pending)
            stream.k += 1
            heapq.heappush(streams, (stream.lower(fpb), t, section, stream))
        if pending:
            yield heapq.heappop(pending)[1]


def _generate(
    session: Session,
    params: ParamTable,
    stream: _Stream,
    fpb: float,
    frames: int,
    pending: list[tuple[_Key, Event]],
) -> None:
    """Push the events of one loop of ``stream`` (those before ``frames``)."""
    t, k = stream.track, stream.k
    track = session.tracks[t]
    if stream.section == 0:
        base = k * track.pattern_beats
        for j, n in enumerate(track.notes):
            on = nearest_frame((base + n.beat) * fpb)
            off = nearest_frame((base + n.beat + n.length_beats) * fpb)
            if on < frames:
                heapq.heappush(
                    pending, ((on, True, t, 0, k, j, 0), note_on(on, t, n.note, n.velocity))
                )
            if off < frames:
                heapq.heappush(pending, ((off, False, t, 0, k, j, 1), note_off(off, t, n.note)))
        return
    start = nearest_frame(k * session.length_beats * fpb)
    if start < frames:
        for m, (name, slot, value) in enumerate(track.automation_start(params)):
            target = encode_target(TARGET_TRACK, t, slot)
            event = param_set(start, target, params[name].id, value)
            heapq.heappush(pending, ((start, True, t, 1, k, -1, m), event))
    for j, a in enumerate(track.automation):
        frame = nearest_frame((k * session.length_beats + a.beat) * fpb)
        if frame >= frames:
            continue
        spec = params[a.param]
        target = encode_target(TARGET_TRACK, t, a.slot)
        if a.ramp_ms > 0:
            event = param_ramp(frame, target, spec.id, a.value, a.ramp_ms)
        else:
            event = param_set(frame, target, spec.id, a.value)
        heapq.heappush(pending, ((frame, True, t, 1, k, j, 0), event))


def schedule(
    session: Session, params: ParamTable, sample_rate_hz: float, frames: int
) -> list[Event]:
    """Every event of ``frames`` frames of the session, ordered by frame
    (:func:`iter_schedule` as a list)."""
    return list(iter_schedule(session, params, sample_rate_hz, frames))


def render_frames(session: Session, sample_rate_hz: float, seconds: float | None) -> int:
    """Frames of a render of ``seconds`` (default: one pass, ``length_beats``),
    checked against :data:`RENDER_SECONDS_MAX`."""
    length = session.length_seconds() if seconds is None else seconds
    if not (math.isfinite(length) and 0 <= length <= RENDER_SECONDS_MAX):
        what = "one pass of the session is" if seconds is None else "the render would be"
        hint = "; render part of it with --seconds" if seconds is None else ""
        raise LimitError(
            f"{what} {length:g} s long; renders are limited to {RENDER_SECONDS_MAX:g} s{hint}"
        )
    return nearest_frame(length * sample_rate_hz)


def render_session(
    session: Session, engine: Any, seconds: float | None = None
) -> npt.NDArray[np.float32]:
    """Render ``seconds`` (default: one pass, ``length_beats``) of ``session``
    on a configured ``engine``; returns the master output ``(2, frames)``."""
    sr = engine.sample_rate_hz
    frames = render_frames(session, sr, seconds)
    return render_events(engine, iter_schedule(session, engine.params, sr, frames), frames)


def iter_render(
    engine: Any, events: Iterable[Event], frames: int
) -> Iterator[npt.NDArray[np.float32]]:
    """Render ``frames`` frames on ``engine`` with ``events`` (ordered by
    frame, counted from now), queuing each call's events just before it;
    yields the master output in blocks ``(2, n)`` (copies), so a render of
    any length holds one block at a time. A call renders fewer quanta when
    its events would not fit the engine's queue; more events than that in a
    single quantum is an error. The engine is held for the whole render
    (``Engine.exclusive``): another thread's call meanwhile is an
    EngineBusyError, never an interleaved call."""
    with engine.exclusive():
        yield from _render_blocks(engine, events, frames)


def _render_blocks(
    engine: Any, events: Iterable[Event], frames: int
) -> Iterator[npt.NDArray[np.float32]]:
    q = engine.quantum_frames
    room = int(engine.limits["events_queued_max"]) - int(engine.queued_events)
    source = iter(events)
    ahead: list[Event] = []  # events read but not yet queued, in order
    exhausted = False
    done = 0
    while done < frames:
        n = min(engine.max_quanta, -(-(frames - done) // q))
        end = done + n * q
        while not exhausted and (not ahead or ahead[-1].frame < end):
            nxt = next(source, None)
            if nxt is None:
                exhausted = True
            else:
                ahead.append(nxt)
        take = 0
        while take < len(ahead) and ahead[take].frame < end:
            take += 1
        if take > room:
            # Render up to the quantum holding the first event that does not fit.
            n = (ahead[room].frame - done) // q
            if n == 0:
                raise LimitError(
                    f"more than {room} events fall in the quantum at frame {done}; the "
                    "engine's queue holds at most that many"
                )
            end = done + n * q
            take = 0
            while take < len(ahead) and ahead[take].frame < end:
                take += 1
        engine.queue(ahead[:take], base_frame=done)
        del ahead[:take]
        engine.process(n)
        keep = min(n * q, frames - done)
        yield np.array(engine.output[:, :keep])
        done += n * q


def render_events(engine: Any, events: Iterable[Event], frames: int) -> npt.NDArray[np.float32]:
    """:func:`iter_render` into one array ``(2, frames)``."""
    out = np.zeros((2, frames), np.float32)
    at = 0
    for block in iter_render(engine, events, frames):
        out[:, at : at + block.shape[1]] = block
        at += block.shape[1]
    return out
