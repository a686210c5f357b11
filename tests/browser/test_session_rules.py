"""Session documents in the browser obey the same limits and rules as in
Python (python/dawgwasm/_session.py), with the same JSON paths and messages.

Limits come from the build's manifest (`session_limits`): a session whose
patterns and automation would schedule more events per pass or per second
than allowed is refused while it is validated, before anything is generated,
so it can neither exhaust memory nor hang the page. Sample files are relative
paths inside the session's folder; the browser fetches them from the folder
of the session document's URL, each segment encoded, and only the samples a
track plays.
"""

from __future__ import annotations

import io
import json
import threading
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Browser, Page

from dawgwasm._server import Mount, make_server

pytestmark = pytest.mark.browser

PARSE_JS = """async ({ doc, limits }) => {
    const m = await import("/dist/dawg-session.js");
    const { MANIFEST } = await import("/dist/dawg-engine.js");
    const manifest = limits === null ? MANIFEST
        : { ...MANIFEST, session_limits: { ...MANIFEST.session_limits, ...limits } };
    try {
        m.parseSession(doc, manifest, []);
        return null;
    } catch (err) {
        return { name: err.name, path: err.path, message: err.message };
    }
}"""

PASS_RULE = "lengthen the patterns or shorten the session"
SECOND_RULE = "lengthen the patterns or slow the tempo"


def parse(page: Page, doc: dict[str, Any], limits: dict[str, int] | None = None) -> Any:
    return page.evaluate(PARSE_JS, {"doc": doc, "limits": limits})


def manifest_limits(built_dist: Path) -> dict[str, int]:
    limits: dict[str, int] = json.loads((built_dist / "manifest.json").read_text())[
        "session_limits"
    ]
    return limits


def session(
    tracks: list[dict[str, Any]], *, length_beats: float = 4, tempo_bpm: float = 120
) -> dict[str, Any]:
    return {
        "format": "dawgwasm-session",
        "version": 1,
        "tempo_bpm": tempo_bpm,
        "length_beats": length_beats,
        "tracks": tracks,
    }


def synth(notes: int, pattern_beats: float, automation: int = 0) -> dict[str, Any]:
    return {
        "source": {"type": "synth"},
        "pattern": {
            "length_beats": pattern_beats,
            "notes": [{"beat": 0, "note": 60 + i % 12} for i in range(notes)],
        },
        "automation": [{"beat": 0, "param": "pan", "value": 0}] * automation,
    }


def load_message(doc: dict[str, Any], built_dist: Path) -> str | None:
    """Python's verdict on ``doc`` (python/dawgwasm/_session.py): its
    refusal as ``path: message``, or None."""
    from dawgwasm import Engine, SessionError
    from dawgwasm._session import parse_session

    with Engine.from_dist(built_dist, "simd") as e:
        try:
            parse_session(doc, e.params, e.units, e.sources)
        except SessionError as err:
            return f"{err.path}: " + str(err).removeprefix(f"{err.path}: ")
    return None


# ---- events per pass and per second ---------------------------------------------------


@pytest.mark.parametrize(
    ("pattern_beats", "length_beats"),
    [(1e-6, 100000), (5e-324, 100000), (0.001, 256)],
    ids=["tiny-pattern-long-pass", "subnormal-pattern", "thousand-loops-per-beat"],
)
def test_a_session_scheduling_too_many_events_per_pass_is_refused_before_generating(
    page: Page, built_dist: Path, pattern_beats: float, length_beats: float
) -> None:
    """A pattern tiny next to the pass would loop billions of times: refused
    at $.tracks with the manifest's limit, by parseSession and by
    createDawgEngine, at once."""
    limits = manifest_limits(built_dist)
    doc = session([synth(4, pattern_beats)], length_beats=length_beats)
    want = load_message(doc, built_dist)
    assert want is not None and f"at most {limits['events_per_pass_max']} are allowed" in want
    got = parse(page, doc)
    assert got == {"name": "SessionError", "path": "$.tracks", "message": want}
    message = page.evaluate(
        """async (doc) => {
            const { createDawgEngine } = await import("/dist/dawg-engine.js");
            const ctx = new OfflineAudioContext(2, 128, 48000);
            try { await createDawgEngine(ctx, { session: doc }); return "accepted"; }
            catch (err) { return err.name + ": " + err.message; }
        }""",
        doc,
    )
    assert message == f"SessionError: {want}"


def test_the_events_limits_are_inclusive_and_named_in_the_message(page: Page) -> None:
    """With small limits in the manifest: exactly the limit passes, one event
    more is refused; per pass, then per second. 4 notes in a 1-beat pattern
    over 4 beats: 2 * 4 * (4 + 1) = 40 events in 2 s."""
    doc = session([synth(4, 1)])
    per_pass = {"events_per_pass_max": 40, "events_per_second_max": 1000}
    assert parse(page, doc, per_pass) is None
    over = session([synth(4, 1, automation=1)])
    got = parse(page, over, per_pass)
    assert got["path"] == "$.tracks"
    assert got["message"] == (
        "$.tracks: schedules up to 42 events per pass (21 per second); "
        f"at most 40 are allowed: {PASS_RULE}"
    )
    per_second = {"events_per_pass_max": 1000, "events_per_second_max": 20}
    assert parse(page, doc, per_second) is None
    got = parse(page, over, per_second)
    assert got["message"] == (
        "$.tracks: schedules up to 42 events per pass (21 per second); "
        f"at most 20 per second are allowed: {SECOND_RULE}"
    )


def test_events_are_summed_over_tracks_and_counted_per_second(page: Page, built_dist: Path) -> None:
    """The real limits: 16 tracks of 1000 notes in a 1-beat pattern over 4
    beats at 300 BPM are few enough per pass but far too many per second."""
    doc = session([synth(1000, 1) for _ in range(16)], tempo_bpm=300)
    want = load_message(doc, built_dist)
    assert want is not None and "per second are allowed" in want
    assert parse(page, doc)["message"] == want
    # One track of it is within both limits.
    assert load_message(session([synth(1000, 1)], tempo_bpm=300), built_dist) is None
    assert parse(page, session([synth(1000, 1)], tempo_bpm=300)) is None


def test_notes_and_automation_per_track_limits_come_from_the_manifest(page: Page) -> None:
    limits = {"notes_per_pattern_max": 3, "automation_per_track_max": 2}
    assert parse(page, session([synth(3, 4, automation=2)]), limits) is None
    got = parse(page, session([synth(4, 4)]), limits)
    assert (got["path"], got["message"]) == (
        "$.tracks[0].pattern.notes",
        "$.tracks[0].pattern.notes: has 4 entries; at most 3 are allowed",
    )
    got = parse(page, session([synth(1, 4, automation=3)]), limits)
    assert (got["path"], got["message"]) == (
        "$.tracks[0].automation",
        "$.tracks[0].automation: has 3 entries; at most 2 are allowed",
    )


def test_scheduling_a_long_render_at_once_is_bounded_too(page: Page) -> None:
    """loadSession({loop: false, frames}) schedules every event of `frames`
    frames in one go: more than events_per_pass_max is a RangeError."""
    got = page.evaluate(
        """async (doc) => {
            const m = await import("/dist/dawg-session.js");
            const sched = await import("/dist/dawg-schedule.js");
            const { MANIFEST } = await import("/dist/dawg-engine.js");
            const manifest = { ...MANIFEST, session_limits: { ...MANIFEST.session_limits,
                events_per_pass_max: 100 } };
            const s = m.parseSession(doc, manifest, []);
            const ok = sched.schedule(s, manifest, 48000, 48000).length;
            try { sched.schedule(s, manifest, 48000, 48000 * 60); return [ok, "accepted"]; }
            catch (err) { return [ok, err.name + ": " + err.message]; }
        }""",
        session([synth(1, 1)]),
    )
    assert got[0] == 4
    assert got[1].startswith("RangeError: scheduling 2880000 frames gives up to ")
    assert got[1].endswith("; at most 100 are allowed: schedule fewer frames, or loop the session")


# ---- sample files ---------------------------------------------------------------------

FILE_RULE = "must be a relative path inside the session's folder (no '..', no absolute path or URL)"

BAD_FILES = [
    "",
    "..",
    "../kick.wav",
    "drums/../../kick.wav",
    "./kick.wav",
    "drums/./kick.wav",
    "/etc/passwd",
    "drums//kick.wav",
    "drums/",
    "drums\\kick.wav",
    "C:/kick.wav",
    "c:kick.wav",
    "https://example.com/kick.wav",
    "file:///etc/passwd",
    "kick\0.wav",
]
GOOD_FILES = [
    "kick.wav",
    "drums/kick.wav",
    "a b/ü 🥁.wav",
    "..kick/kick..wav",
    "k" * 1024,
    "🥁" * 1024,
]


def sample_doc(file: str) -> dict[str, Any]:
    doc = session([{"source": {"type": "sampler", "sample": "s"}}])
    doc["samples"] = {"s": {"file": file}}
    return doc


@pytest.mark.parametrize("file", BAD_FILES, ids=range(len(BAD_FILES)))
def test_a_sample_file_outside_the_session_folder_is_refused(page: Page, file: str) -> None:
    got = parse(page, sample_doc(file))
    assert got == {
        "name": "SessionError",
        "path": "$.samples.s.file",
        "message": f"$.samples.s.file: {FILE_RULE}",
    }


def test_a_relative_sample_file_is_accepted_up_to_1024_characters(page: Page) -> None:
    """Characters are code points, as Python counts them (an emoji is one)."""
    for file in GOOD_FILES:
        assert parse(page, sample_doc(file)) is None, file
    for file in ("k" * 1025, "🥁" * 1025, "drums/" + "k" * 1019):
        got = parse(page, sample_doc(file))
        assert got is not None and got["message"] == f"$.samples.s.file: {FILE_RULE}", len(file)


def tone_wav() -> bytes:
    t = np.arange(4800) / 48000
    pcm = (0.5 * 32767 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(pcm.tobytes())
    return out.getvalue()


@pytest.fixture
def site(browser: Browser, built_dist: Path, tmp_path: Path) -> Iterator[tuple[Page, list[str]]]:
    """A page on a server holding dist/ and a folder songs/ with a sample in
    songs/sub/; also the paths of every request the page makes."""
    (tmp_path / "songs" / "sub").mkdir(parents=True)
    (tmp_path / "songs" / "sub" / "tone.wav").write_bytes(tone_wav())
    (tmp_path / "tone.wav").write_bytes(tone_wav())
    (tmp_path / "index.html").write_text("<!doctype html><title>site</title>\n")
    server = make_server(
        [Mount("/dist/", built_dist), Mount("/", tmp_path)], host="127.0.0.1", port=0
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    context = browser.new_context()
    page = context.new_page()
    requests: list[str] = []
    origin = f"http://{host}:{port}"
    page.on("request", lambda r: requests.append(r.url.removeprefix(origin)))
    page.goto(origin + "/index.html")
    yield page, requests
    context.close()
    server.shutdown()
    server.server_close()


RENDER_FILE_JS = """async (doc) => {
    const { createDawgEngine } = await import("/dist/dawg-engine.js");
    const ctx = new OfflineAudioContext(2, 9600, 48000);
    try {
        const engine = await createDawgEngine(
            ctx, { session: doc, sessionUrl: "/songs/song.json", start: 0 });
        engine.node.connect(ctx.destination);
        const out = await ctx.startRendering();
        return { peak: out.getChannelData(0).reduce((a, x) => Math.max(a, Math.abs(x)), 0) };
    } catch (err) {
        return { error: err.name + ": " + err.message };
    }
}"""


def test_sample_files_are_fetched_from_the_session_folder_and_only_when_played(
    site: tuple[Page, list[str]],
) -> None:
    page, requests = site
    doc = session(
        [
            {
                "source": {"type": "sampler", "sample": "tone"},
                "pattern": {"notes": [{"beat": 0, "note": 60, "velocity": 1}]},
            }
        ]
    )
    doc["samples"] = {"tone": {"file": "sub/tone.wav"}, "unused": {"file": "unused.wav"}}
    got = page.evaluate(RENDER_FILE_JS, doc)
    assert "error" not in got, got
    assert got["peak"] > 0.1
    assert "/songs/sub/tone.wav" in requests
    assert not any("unused" in r for r in requests)


def test_an_encoded_dot_segment_names_a_file_in_the_session_folder(
    site: tuple[Page, list[str]],
) -> None:
    """'%2e%2e' is a folder name, not '..': the browser asks for
    /songs/%252e%252e/tone.wav (absent), never for /tone.wav above it."""
    page, requests = site
    doc = session(
        [
            {
                "source": {"type": "sampler", "sample": "tone"},
                "pattern": {"notes": [{"beat": 0, "note": 60}]},
            }
        ]
    )
    doc["samples"] = {"tone": {"file": "%2e%2e/tone.wav"}}
    got = page.evaluate(RENDER_FILE_JS, doc)
    assert got["error"].endswith("/songs/%252e%252e/tone.wav: HTTP 404"), got
    assert "/tone.wav" not in requests
    assert "/songs/%252e%252e/tone.wav" in requests
