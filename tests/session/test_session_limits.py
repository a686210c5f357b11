"""A session that validates renders within stated limits, and one that would
not is refused before anything is scheduled or allocated: events per pass
and per second, render length, document size, nesting and numbers; sample
files are read only from inside the session's folder and only when a track
plays them; the lazy scheduler gives exactly the events of a full sort."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dawgwasm import Engine, LimitError, SessionError
from dawgwasm._events import (
    TARGET_TRACK,
    Event,
    encode_target,
    note_off,
    note_on,
    param_ramp,
    param_set,
)
from dawgwasm._limits import JSON_DEPTH_MAX, RENDER_SECONDS_MAX, SESSION_LIMITS
from dawgwasm._params import ParamTable
from dawgwasm._session import (
    Session,
    apply_session,
    check_samples,
    iter_schedule,
    nearest_frame,
    parse_json,
    parse_session,
    render_frames,
    render_session,
    schedule,
)
from tests.cli.test_cli import run


@pytest.fixture(scope="module")
def engine(built_dist: Path) -> Any:
    e = Engine.from_dist(built_dist, "simd", tracks=4)
    yield e
    e.close()


def parse(engine: Engine, doc: object, base_dir: Path | None = None) -> Session:
    return parse_session(doc, engine.params, engine.units, engine.sources, base_dir=base_dir)


def doc_with(tracks: list[dict[str, Any]], **top: Any) -> dict[str, Any]:
    return {"format": "dawgwasm-session", "version": 1, "tracks": tracks, **top}


def synth(**track: Any) -> dict[str, Any]:
    return {"source": {"type": "synth"}, **track}


# ---- derived limits -------------------------------------------------------------


def test_a_pattern_tiny_against_its_pass_is_refused_before_scheduling(engine: Engine) -> None:
    doc = doc_with(
        [synth(pattern={"length_beats": 1e-6, "notes": [{"beat": 0, "note": 60}]})],
        length_beats=16,
    )
    with pytest.raises(SessionError, match=r"^\$\.tracks: schedules up to \d+ events per pass"):
        parse(engine, doc)


def test_a_subnormal_pattern_length_is_refused_not_overflowed(engine: Engine) -> None:
    doc = doc_with(
        [synth(pattern={"length_beats": 5e-324, "notes": [{"beat": 0, "note": 60}]})],
    )
    with pytest.raises(SessionError, match="unboundedly many events per pass"):
        parse(engine, doc)


def test_a_pass_too_short_to_last_a_frame_is_refused_not_divided_by_zero(engine: Engine) -> None:
    doc = doc_with([synth(pattern={"notes": [{"beat": 0, "note": 60}]})], length_beats=5e-324)
    with pytest.raises(SessionError, match=r"\(unboundedly many per second\)"):
        parse(engine, doc)


def test_too_many_events_per_second_are_refused(engine: Engine) -> None:
    # 300 BPM, a pass of 0.25 beat (0.05 s) with 1000 automation points.
    points = [{"beat": 0, "param": "gain_db", "value": -1.0} for _ in range(1001)]
    doc = doc_with([{"automation": points}], tempo_bpm=300, length_beats=0.25)
    limit = SESSION_LIMITS["events_per_second_max"]
    needle = f"per second\\); at most {limit} per second are allowed"
    with pytest.raises(SessionError, match=needle):
        parse(engine, doc)


def test_the_limits_are_inclusive(engine: Engine) -> None:
    # Exactly events_per_second_max: 20 000 events in one second, each track's
    # 9 999 points and the return of its one automated parameter to the
    # document's value at the start of the pass.
    points = [{"beat": 0, "param": "gain_db", "value": -1.0} for _ in range(9_999)]
    per_second = SESSION_LIMITS["events_per_second_max"]
    doc = doc_with([{"automation": points}, {"automation": points}], tempo_bpm=60, length_beats=1)
    assert 2 * (len(points) + 1) == per_second
    parse(engine, doc)
    over = doc_with(
        [{"automation": points + points[:1]}, {"automation": points}], tempo_bpm=60, length_beats=1
    )
    with pytest.raises(SessionError, match="20001 per second"):
        parse(engine, over)


def test_a_pass_longer_than_the_render_limit_asks_for_seconds(engine: Engine) -> None:
    s = parse(engine, doc_with([{}], tempo_bpm=20, length_beats=100000))
    with pytest.raises(LimitError, match=r"one pass of the session is 300000 s long.*--seconds"):
        render_frames(s, 48000.0, None)
    with pytest.raises(LimitError, match="renders are limited to 21600 s"):
        render_session(s, engine, RENDER_SECONDS_MAX + 1)
    assert render_frames(s, 48000.0, 2.0) == 96000


def test_cli_seconds_must_be_finite_and_within_the_limit(built_dist: Path, tmp_path: Path) -> None:
    session = tmp_path / "s.json"
    session.write_text(json.dumps(doc_with([{}])), encoding="utf-8")
    for bad, needle in (("nan", "not a finite number"), ("1e9", "21600")):
        proc = run("render", str(session), str(tmp_path / "o.wav"), "--seconds", bad)
        assert proc.returncode == 2, proc.stderr
        assert needle in proc.stderr and "Traceback" not in proc.stderr


# ---- the document itself ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (b"[" * 100_000, "nested too deeply"),
        (
            b'{"a": ' * (JSON_DEPTH_MAX + 1) + b"1" + b"}" * (JSON_DEPTH_MAX + 1),
            "nested too deeply",
        ),
        (b'{"format": "dawgwasm-session\xff"}', "is not UTF-8 text (byte 0xff at offset 28)"),
        (b'{"version": ' + b"9" * 5000 + b"}", "a number of 5000 characters"),
        (b'{"tempo_bpm": NaN}', "NaN is not JSON"),
        (b'{"tempo_bpm": -Infinity}', "-Infinity is not JSON"),
        (b'{"tempo_bpm": 1e999}', "1e999 is not a finite number"),
    ],
)
def test_a_hostile_document_is_one_session_error(engine: Engine, text: bytes, needle: str) -> None:
    with pytest.raises(SessionError, match=r"^\$") as info:
        parse(engine, parse_json(text, "doc.json"))
    assert needle in str(info.value)


def test_samples_of_the_wrong_kind_are_a_session_error(engine: Engine) -> None:
    for samples in (5, "kick", [1]):
        with pytest.raises(SessionError, match=r"\$\.samples: must be an object"):
            parse(engine, doc_with([{}], samples=samples))


# ---- sample files ------------------------------------------------------------------

ESCAPES = [
    "../x.wav",
    "/etc/passwd",
    "a/../../x.wav",
    "C:/x.wav",
    "a\\b.wav",
    "http://h/x.wav",
    "",
    "a//b.wav",
    "./x.wav",
    "x.wav/",
    "a" * 1025,
]


@pytest.mark.parametrize("file", ESCAPES)
def test_a_sample_path_outside_the_session_folder_is_refused(engine: Engine, file: str) -> None:
    doc = doc_with([{}], samples={"x": {"file": file}})
    with pytest.raises(SessionError, match=r"^\$\.samples\.x\.file: must be a relative path"):
        parse(engine, doc)


def test_a_symlink_out_of_the_folder_is_refused_whether_or_not_its_target_exists(
    engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "song"
    folder.mkdir()
    secret = tmp_path / "secret.wav"
    sf.write(str(secret), np.zeros(100, np.float32), 48000)
    (folder / "to-secret.wav").symlink_to(secret)
    (folder / "to-nothing.wav").symlink_to(tmp_path / "nothing.wav")
    messages = []
    for name in ("to-secret.wav", "to-nothing.wav"):
        doc = doc_with(
            [{"source": {"type": "sampler", "sample": "x"}}], samples={"x": {"file": name}}
        )
        s = parse(engine, doc, base_dir=folder)
        with pytest.raises(SessionError) as info:
            check_samples(s)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert "must be a relative path inside the session's folder" in messages[0]


def test_an_unused_sample_file_is_never_opened(built_dist: Path, tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "pipe.wav")  # opening it would block forever
    doc = doc_with([{}], samples={"unused": {"file": "pipe.wav"}, "gone": {"file": "no.wav"}})
    session = tmp_path / "s.json"
    session.write_text(json.dumps(doc), encoding="utf-8")
    dist = ("--dist", str(built_dist))
    proc = run(
        "render", str(session), str(tmp_path / "o.wav"), "--seconds", "0.1", *dist, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    proc = run("session", str(session), *dist, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_session_check_opens_every_sample_a_track_plays(built_dist: Path, tmp_path: Path) -> None:
    doc = doc_with(
        [{"source": {"type": "sampler", "sample": "hit"}}], samples={"hit": {"file": "hit.wav"}}
    )
    session = tmp_path / "s.json"
    session.write_text(json.dumps(doc), encoding="utf-8")
    proc = run("session", str(session), "--dist", str(built_dist))
    assert proc.returncode == 1
    assert (
        proc.stderr.strip()
        == f"error: $.samples.hit.file: sample file {tmp_path}/hit.wav not found"
    )
    (tmp_path / "hit.wav").mkdir()
    proc = run("session", str(session), "--dist", str(built_dist))
    assert "$.samples.hit.file: sample file" in proc.stderr and "is a folder" in proc.stderr
    (tmp_path / "hit.wav").rmdir()
    (tmp_path / "hit.wav").write_text("not audio")
    proc = run("session", str(session), "--dist", str(built_dist))
    assert proc.returncode == 1 and "$.samples.hit.file: sample file" in proc.stderr
    (tmp_path / "hit.wav").unlink()
    sf.write(str(tmp_path / "hit.wav"), np.full(480, 0.5, np.float32), 48000)
    proc = run("session", str(session), "--dist", str(built_dist))
    assert proc.returncode == 0, proc.stderr


def test_sample_root_reads_samples_from_another_folder(built_dist: Path, tmp_path: Path) -> None:
    (tmp_path / "kit").mkdir()
    sf.write(str(tmp_path / "kit" / "hit.wav"), np.full(480, 0.5, np.float32), 48000)
    doc = doc_with(
        [
            {
                "source": {"type": "sampler", "sample": "hit"},
                "pattern": {"notes": [{"beat": 0, "note": 60}]},
            }
        ],
        samples={"hit": {"file": "hit.wav"}},
    )
    (tmp_path / "songs").mkdir()
    session = tmp_path / "songs" / "s.json"
    session.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "o.wav"
    proc = run("render", str(session), str(out), "--seconds", "0.1", "--dist", str(built_dist))
    assert proc.returncode == 1 and "$.samples.hit.file" in proc.stderr
    proc = run(
        "render",
        str(session),
        str(out),
        "--seconds",
        "0.1",
        "--dist",
        str(built_dist),
        "--sample-root",
        str(tmp_path / "kit"),
    )
    assert proc.returncode == 0, proc.stderr
    assert np.max(np.abs(sf.read(str(out))[0])) > 0.1


# ---- --param on a session render -------------------------------------------------


def test_param_on_a_session_render_sets_the_master(built_dist: Path, tmp_path: Path) -> None:
    doc = doc_with(
        [synth(pattern={"length_beats": 1, "notes": [{"beat": 0, "note": 60, "length_beats": 1}]})],
        length_beats=2,
    )
    session = tmp_path / "s.json"
    session.write_text(json.dumps(doc), encoding="utf-8")

    def render(*params: str) -> np.ndarray[Any, np.dtype[np.float32]]:
        out = tmp_path / "o.wav"
        proc = run("render", str(session), str(out), "--dist", str(built_dist), *params)
        assert proc.returncode == 0, proc.stderr
        return np.asarray(sf.read(str(out), dtype="float32")[0])

    plain = render()
    quieter = render("--param", "master_gain_db=-6")
    np.testing.assert_allclose(quieter, plain * 10 ** (-6 / 20), atol=1e-6)
    slower = render("--param", "tempo_bpm=60")  # the note restarts every second, not every 0.5 s
    assert slower.shape[0] == 2 * 48000
    assert not np.allclose(slower[:48000], plain[:48000])


@pytest.mark.parametrize(
    ("param", "needle"),
    [
        ("gian_db=-6", "unknown parameter 'gian_db'"),
        ("gain_db=-6", "a session render takes master parameters"),
        ("master_gain_db=40", "master_gain_db = 40 is out of range"),
    ],
)
def test_a_bad_param_on_a_session_render_is_refused(
    built_dist: Path, tmp_path: Path, param: str, needle: str
) -> None:
    session = tmp_path / "s.json"
    session.write_text(json.dumps(doc_with([{}])), encoding="utf-8")
    out = tmp_path / "o.wav"
    proc = run("render", str(session), str(out), "--param", param, "--dist", str(built_dist))
    assert proc.returncode == 1 and needle in proc.stderr, proc.stderr
    assert not out.exists()


# ---- the lazy scheduler is the full sort -----------------------------------------------


def sorted_schedule(
    session: Session, params: ParamTable, sample_rate_hz: float, frames: int
) -> list[Event]:
    """The scheduling rule written the plain way: every loop of every track
    (an automation pass first sets each parameter it automates back to the
    track's fader setting, the only kind automated here), then one stable
    sort by frame with note-offs first."""
    fpb = session.frames_per_beat(sample_rate_hz)
    events: list[Event] = []
    for t, track in enumerate(session.tracks):
        if track.notes:
            for k in range(math.ceil(frames / (track.pattern_beats * fpb)) + 1):
                base = k * track.pattern_beats
                for n in track.notes:
                    on = nearest_frame((base + n.beat) * fpb)
                    off = nearest_frame((base + n.beat + n.length_beats) * fpb)
                    if on < frames:
                        events.append(note_on(on, t, n.note, n.velocity))
                    if off < frames:
                        events.append(note_off(off, t, n.note))
        if track.automation:
            automated = list(dict.fromkeys((a.param, a.slot) for a in track.automation))
            for k in range(math.ceil(frames / (session.length_beats * fpb)) + 1):
                start = nearest_frame(k * session.length_beats * fpb)
                for name, slot in automated:
                    if start < frames:
                        value = track.channel.get(name, params[name].default)
                        target = encode_target(TARGET_TRACK, t, slot)
                        events.append(param_set(start, target, params[name].id, value))
                for a in track.automation:
                    frame = nearest_frame((k * session.length_beats + a.beat) * fpb)
                    if frame >= frames:
                        continue
                    target = encode_target(TARGET_TRACK, t, a.slot)
                    spec = params[a.param]
                    if a.ramp_ms > 0:
                        events.append(param_ramp(frame, target, spec.id, a.value, a.ramp_ms))
                    else:
                        events.append(param_set(frame, target, spec.id, a.value))
    events.sort(key=lambda e: (e.frame, e.kind != 1))
    return events


beats = st.sampled_from([0.0, 0.25, 0.5, 1.0, 1.5, 2.75, 3.0, 1 / 3])
note_docs = st.lists(
    st.fixed_dictionaries(
        {
            "beat": beats,
            "note": st.integers(36, 84),
            "length_beats": st.sampled_from([0.1, 0.25, 1.0, 2.5, 7.0]),
        }
    ),
    max_size=6,
)
track_docs = st.fixed_dictionaries(
    {
        "source": st.just({"type": "synth"}),
        "gain_db": st.sampled_from([-6.0, 0.0]),
        "pattern": st.fixed_dictionaries(
            {"length_beats": st.sampled_from([3.0, 4.0, 7.0]), "notes": note_docs}
        ),
        "automation": st.lists(
            st.fixed_dictionaries(
                {
                    "beat": beats,
                    "param": st.just("gain_db"),
                    "value": st.sampled_from([-12.0, -3.0, 0.0]),
                    "ramp_ms": st.sampled_from([0.0, 20.0]),
                }
            ),
            max_size=3,
        ),
    }
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    tracks=st.lists(track_docs, min_size=1, max_size=4),
    tempo=st.sampled_from([60.0, 90.0, 97.3, 140.0]),
    length=st.sampled_from([3.0, 4.0, 16.0]),
    rate=st.sampled_from([22050.0, 44100.0, 48000.0]),
    seconds=st.sampled_from([0.5, 3.0, 11.0]),
)
def test_the_lazy_schedule_is_the_full_sort(
    engine: Engine,
    tracks: list[dict[str, Any]],
    tempo: float,
    length: float,
    rate: float,
    seconds: float,
) -> None:
    s = parse(engine, doc_with(tracks, tempo_bpm=tempo, length_beats=length))
    frames = nearest_frame(seconds * rate)
    assert list(iter_schedule(s, engine.params, rate, frames)) == sorted_schedule(
        s, engine.params, rate, frames
    )


def test_a_long_render_schedules_lazily(engine: Engine) -> None:
    """Six hours of a busy pattern: the first events arrive without the whole
    schedule ever being built."""
    notes = [{"beat": b / 4, "note": 60} for b in range(16)]
    s = parse(engine, doc_with([synth(pattern={"length_beats": 4, "notes": notes})]))
    events = iter_schedule(s, engine.params, 48000.0, nearest_frame(RENDER_SECONDS_MAX * 48000))
    first = [next(events) for _ in range(64)]
    assert [e.frame for e in first] == sorted(e.frame for e in first)


def test_a_dense_render_splits_its_calls_to_fit_the_queue(built_dist: Path) -> None:
    """More events in one 64-quantum call than the engine's queue holds:
    rendered in shorter calls, identical to rendering quantum by quantum."""
    # 4 tracks x 1100 notes in the first 0.11 beat (22 ms): 8800 events in one call.
    notes = [{"beat": b * 1e-4, "note": 40 + b % 40, "length_beats": 0.01} for b in range(1100)]
    doc = doc_with(
        [synth(pattern={"length_beats": 16, "notes": notes})] * 4, tempo_bpm=300, length_beats=16
    )
    outs = []
    for max_quanta in (64, 1):
        with Engine.from_dist(built_dist, "simd", tracks=4, max_quanta=max_quanta) as e:
            s = parse(e, doc)
            apply_session(s, e)
            outs.append(render_session(s, e, 2.0))
    np.testing.assert_array_equal(outs[0], outs[1])


def test_each_pass_starts_with_the_automated_parameters_at_their_document_values(
    engine: Engine,
) -> None:
    """A pass never depends on where the previous one left a parameter: each
    starts by setting every automated parameter (once, in order of first
    appearance) to its source, strip, send, fader or insert setting in the
    document, or to the table's default; then come the pass's points."""
    track = synth(
        source={"type": "synth", "params": {"synth_cutoff_hz": 1500}},
        strip={"low_gain_db": 3},
        gain_db=-6,
        sends=[{"bus": 0, "level_db": -9}],
        inserts=[{"unit": "delay", "params": {"delay_mix": 0.4}}],
        automation=[
            {"beat": 1, "param": "gain_db", "value": -12, "ramp_ms": 300},
            {"beat": 1, "param": "synth_cutoff_hz", "value": 300},
            {"beat": 2, "param": "low_gain_db", "value": -4},
            {"beat": 2, "param": "send_1_db", "value": -20},
            {"beat": 3, "param": "delay_mix", "value": 0.9, "slot": 1},
            {"beat": 3, "param": "mid_gain_db", "value": 5},
            {"beat": 3.5, "param": "gain_db", "value": 0},
        ],
    )
    s = parse(engine, doc_with([track], tempo_bpm=120, length_beats=4, buses=[{}]))
    p = engine.params
    pass_frames = 96000
    want_start = [
        ("gain_db", 0, -6.0),
        ("synth_cutoff_hz", 0, 1500.0),
        ("low_gain_db", 0, 3.0),
        ("send_1_db", 0, -9.0),
        ("delay_mix", 1, 0.4),
        ("mid_gain_db", 0, p["mid_gain_db"].default),
    ]
    events = schedule(s, p, 48000.0, 2 * pass_frames)
    for start in (0, pass_frames):
        got = [e for e in events if e.frame == start]
        assert got == [
            param_set(start, encode_target(TARGET_TRACK, 0, slot), p[name].id, value)
            for name, slot, value in want_start
        ]
    assert len(events) == 2 * (len(want_start) + 7)
