"""Session and audio files as the commands see them (``dawgwasm render``,
``dawgwasm session``): render a session document, or an audio file through
one track's channel strip; check a session file; write the reference session.

Everything that can be checked is checked before the engine renders a
sample: the output path (:func:`dawgwasm._files.check_output`), the render
length (:data:`~dawgwasm._limits.RENDER_SECONDS_MAX`), the output's format,
size and disk space (:func:`dawgwasm._audio.plan_output`), the session and
its sample files, and every parameter. Rendering then streams: input blocks
are read, rendered and written one at a time, so memory does not grow with
the length of the render, and the output replaces the old file only once it
is complete.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dawgwasm._audio import open_audio, plan_output, stereo_blocks, writing_audio
from dawgwasm._engine import Engine, Variant
from dawgwasm._errors import LimitError, ParameterError
from dawgwasm._files import check_output, replacing
from dawgwasm._limits import RENDER_SECONDS_MAX
from dawgwasm._params import ParamTable
from dawgwasm._reference import reference_session
from dawgwasm._session import (
    Session,
    apply_session,
    check_samples,
    iter_render,
    iter_schedule,
    load_session,
    parse_session,
    render_frames,
    sample_file,
    used_samples,
)

__all__ = [
    "RenderResult",
    "SessionCheck",
    "check_session_file",
    "master_overrides",
    "render_audio_file",
    "render_session_file",
    "write_reference_session",
]

Assignments = Sequence[tuple[str, float]]


@dataclass(frozen=True)
class RenderResult:
    """What a render wrote."""

    path: Path
    frames: int
    sample_rate_hz: float
    peak: float
    #: A remark on the format (e.g. a large WAV written as RF64), or "".
    note: str = ""
    session: Session | None = None
    #: The largest magnitude between the samples too (ITU-R BS.1770-4 true
    #: peak, linear; :mod:`dawgwasm._truepeak`).
    true_peak: float = 0.0


def _check_rate(sample_rate_hz: float) -> int:
    rate = int(sample_rate_hz)
    if rate != sample_rate_hz:
        raise LimitError(
            f"sample rate {sample_rate_hz:g} Hz is not a whole number of Hz, which audio files need"
        )
    return rate


def render_audio_file(
    input_path: Path,
    output_path: Path,
    *,
    dist: Path,
    variant: Variant = "simd",
    subtype: str = "FLOAT",
    params: Assignments = (),
) -> RenderResult:
    """Run ``input_path`` through track 0's channel strip (with ``params``
    set before the first sample) into ``output_path``."""
    check_output(output_path, [input_path])
    with open_audio(input_path) as f:
        rate = int(f.samplerate)
        frames_max = int(RENDER_SECONDS_MAX * rate)
        if f.frames > frames_max:
            raise LimitError(
                f"the input {input_path} is {f.frames / rate:g} s long; renders are limited "
                f"to {RENDER_SECONDS_MAX:g} s"
            )
        plan = plan_output(output_path, int(f.frames), rate, subtype)
        with Engine.from_dist(dist, variant, sample_rate_hz=rate) as engine:
            for name, value in params:
                engine.set(name, value)
            engine.reset()
            q = engine.quantum_frames
            with writing_audio(plan, rate, [input_path]) as out:
                for block in stereo_blocks(
                    f, engine.capacity_frames, frames_max=frames_max, what=f"the input {input_path}"
                ):
                    n = block.shape[1]
                    quanta = -(-n // q)
                    buf = engine.input(0)
                    buf[:, :n] = block
                    buf[:, n : quanta * q] = 0.0
                    engine.process(quanta)
                    out.write(engine.output[:, :n])
    return RenderResult(
        output_path, out.frames, float(rate), out.peak, plan.note, true_peak=out.true_peak()
    )


def master_overrides(
    session: Session, params: ParamTable, assignments: Assignments
) -> tuple[Session, list[tuple[str, float]]]:
    """Check ``--param`` assignments for a session render: each must name a
    master parameter and a legal value. ``tempo_bpm`` replaces the session's
    tempo (so the patterns follow it); the others are returned to be set on
    the master after the session is applied."""
    rest: list[tuple[str, float]] = []
    masters = ", ".join(s.name for s in params.values() if s.scope == "master")
    for name, value in assignments:
        spec = params[name]
        if spec.scope != "master":
            raise ParameterError(
                f"--param {name}: a session render takes master parameters ({masters}); "
                "set track, bus and insert parameters in the session document"
            )
        v = spec.validate(value)
        if name == "tempo_bpm":
            session = dataclasses.replace(session, tempo_bpm=v)
        else:
            rest.append((name, v))
    return session, rest


def render_session_file(
    session_path: Path,
    output_path: Path,
    *,
    dist: Path,
    variant: Variant = "simd",
    subtype: str = "FLOAT",
    seconds: float | None = None,
    sample_rate_hz: float = 48000.0,
    params: Assignments = (),
    sample_root: Path | None = None,
) -> RenderResult:
    """Validate and render a session document into ``output_path``:
    ``seconds`` of it (default one pass), with ``params`` (master
    parameters) overriding the document's."""
    check_output(output_path, [session_path])
    rate = _check_rate(sample_rate_hz)
    doc = load_session(session_path)
    with Engine.from_dist(dist, variant, sample_rate_hz=sample_rate_hz) as probe:
        session = parse_session(
            doc, probe.params, probe.units, probe.sources, base_dir=session_path.parent
        )
        session, master = master_overrides(session, probe.params, params)
    frames = render_frames(session, sample_rate_hz, seconds)
    check_samples(session, sample_root)
    inputs = [session_path] + [
        sample_file(session, name, sample_root)
        for name in used_samples(session)
        if "file" in session.samples[name]
    ]
    plan = plan_output(output_path, frames, rate, subtype)
    with Engine.from_dist(
        dist, variant, sample_rate_hz=sample_rate_hz, tracks=len(session.tracks), max_quanta=64
    ) as engine:
        apply_session(session, engine, sample_root=sample_root)
        if master:
            for name, value in master:
                engine.set(name, value)
            engine.reset()
        events = iter_schedule(session, engine.params, engine.sample_rate_hz, frames)
        with writing_audio(plan, rate, inputs) as out:
            for block in iter_render(engine, events, frames):
                out.write(block)
    return RenderResult(
        output_path,
        out.frames,
        sample_rate_hz,
        out.peak,
        plan.note,
        session,
        true_peak=out.true_peak(),
    )


@dataclass(frozen=True)
class SessionCheck:
    """A session file that passed every check."""

    session: Session
    #: Notes per pass over all tracks.
    notes: int
    #: A limit the session reaches at the default render length, or "".
    note: str = ""


def check_session_file(
    path: Path, *, dist: Path | None = None, sample_root: Path | None = None
) -> SessionCheck:
    """Check the session document at ``path`` against the engine in
    ``dist`` (default: the bundled engine) and open every sample file its
    tracks play; SessionError (and the errors of the files) name the first
    problem."""
    doc = load_session(path)
    with Engine.from_dist(dist, "simd") as engine:
        session = parse_session(
            doc, engine.params, engine.units, engine.sources, base_dir=path.parent
        )
    check_samples(session, sample_root)
    note = ""
    try:
        render_frames(session, 48000.0, None)
    except LimitError as e:
        note = str(e)
    notes = sum(len(t.notes) for t in session.tracks)
    return SessionCheck(session, notes, note)


def write_reference_session(path: Path) -> None:
    """Write the built-in reference session to ``path`` (replacing it only
    once the document is complete; see :func:`dawgwasm._files.replacing`)."""
    with replacing(path) as tmp:
        tmp.write_text(json.dumps(reference_session(), indent=1) + "\n", encoding="utf-8")
