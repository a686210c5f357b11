"""Sessions and events in the browser are the same work as under wasmtime.

The very same session document is loaded by Python (parse_session,
apply_session, render_session) and by the generated glue in Chromium
(createDawgEngine({session}) or engine.loadSession(), built-in samples from
dist/samples/), rendered offline at 48 kHz through the worklet, and compared
sample for sample: the configure ops, the scheduled frames and the order of
events must all match for the output to be bit-identical. Events sent through
the API at arbitrary frames land where wasmtime puts them, through the
SharedArrayBuffer ring (cross-origin isolated page) and through the
postMessage fallback (a page served without COOP/COEP, and forced on an
isolated one). Meters reach the main thread both ways and show auto-bypass.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Browser, Page

import dawgwasm
from dawgwasm import Engine
from dawgwasm._events import Event, encode_target
from dawgwasm._session import (
    apply_session,
    nearest_frame,
    parse_session,
    render_session,
    schedule,
)
from tests.browser.harness import harness

from .conftest import start_server

pytestmark = pytest.mark.browser

RATE = 48000
RENDER_JS = harness("render_session.js")

# A session without samples: a synth track with a 2-beat pattern (repeating
# inside the 4-beat pass), strip settings, a delay insert, a send to a bus with
# a reverb insert, automation (ramps, a step, an insert parameter), and an
# input track fed a signal.
SMALL: dict[str, Any] = {
    "format": "dawgwasm-session",
    "version": 1,
    "name": "small",
    "tempo_bpm": 120,
    "length_beats": 4,
    "tracks": [
        {
            "name": "Synth",
            "source": {
                "type": "synth",
                "params": {"synth_cutoff_hz": 1500, "synth_release_ms": 80},
            },
            "strip": {"low_gain_db": 3, "comp_threshold_db": -20, "comp_ratio": 3},
            "gain_db": -6,
            "pan": 0.2,
            "sends": [{"bus": 0, "level_db": -6}],
            "inserts": [{"unit": "delay", "params": {"delay_sync": 2, "delay_feedback": 0.5}}],
            "pattern": {
                "length_beats": 2,
                "notes": [
                    {"beat": 0, "note": 60, "length_beats": 0.5},
                    {"beat": 1, "note": 64, "velocity": 0.5, "length_beats": 1.5},
                    {"beat": 1.75, "note": 67, "velocity": 0.7, "length_beats": 0.5},
                ],
            },
            "automation": [
                {"beat": 1, "param": "gain_db", "value": -12, "ramp_ms": 300},
                {"beat": 3, "param": "pan", "value": -0.5},
                {"beat": 2.5, "param": "delay_mix", "value": 0.6, "ramp_ms": 150, "slot": 1},
            ],
        },
        {"name": "Line in", "gain_db": -3, "strip": {"high_gain_db": -6}},
    ],
    "buses": [
        {
            "name": "Bus",
            "gain_db": -3,
            "pan": -0.3,
            "inserts": [{"unit": "reverb", "params": {"reverb_size": 0.5, "reverb_mix": 1.0}}],
        }
    ],
    "master": {"gain_db": -1},
}


def decode(result: dict[str, Any], frames: int) -> np.ndarray:
    return np.frombuffer(base64.b64decode(result["b64"]), "<f4").reshape(2, frames)


def chromium_session(
    page: Page,
    doc: dict[str, Any],
    frames: int,
    *,
    variant: str = "simd",
    events: str = "auto",
    via: str = "create",
    inputs: np.ndarray | None = None,
    api: list[dict[str, Any]] | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    args: dict[str, Any] = {
        "doc": doc,
        "rate": RATE,
        "frames": frames,
        "variant": variant,
        "events": events,
        "via": via,
        "loop": True,
        "api": api or [],
        "inputs": None,
    }
    if inputs is not None:
        args["inputs"] = {
            "b64": base64.b64encode(inputs.astype("<f4").tobytes()).decode(),
            "tracks": inputs.shape[0],
            "frames": inputs.shape[2],
        }
    result = page.evaluate(RENDER_JS, args)
    assert result["variant"] == variant
    assert result["errors"] == []
    return decode(result, frames), result


def wasmtime_session(
    dist: Path,
    doc: dict[str, Any],
    frames: int,
    *,
    variant: str = "simd",
    inputs: np.ndarray | None = None,
    extra: list[Event] | None = None,
) -> np.ndarray:
    tracks = len(doc["tracks"])
    with Engine.from_dist(dist, variant, sample_rate_hz=RATE, tracks=tracks, max_quanta=64) as e:  # type: ignore[arg-type]
        session = parse_session(doc, e.params, e.units, e.sources)
        apply_session(session, e)
        e.queue(extra or [])
        if inputs is None:
            return render_session(session, e, seconds=frames / RATE)
        e.queue(schedule(session, e.params, RATE, frames))
        return e.render(inputs)


def assert_identical(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert np.max(np.abs(want)) > 0.01, f"{what}: the reference render is (nearly) silent"
    diff = np.nonzero(np.any(got != want, axis=0))[0]
    assert diff.size == 0, (
        f"{what}: {diff.size} frames differ, first at {diff[0]}, "
        f"max {np.max(np.abs(got - want)):.3e}"
    )


def signal(tracks: int, frames: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / RATE
    x = np.zeros((tracks, 2, frames), np.float32)
    x[-1, 0] = 0.3 * np.sin(2 * np.pi * 330 * t) + 0.05 * rng.standard_normal(frames)
    x[-1, 1] = 0.3 * np.sin(2 * np.pi * 440 * t + 1)
    return x


# ---- (a) the same session document renders bit-identically --------------------------


def test_reference_session_is_bit_identical_to_wasmtime(page: Page, built_dist: Path) -> None:
    """The headline: the built-in reference session (20 tracks, samples,
    synths, inserts, buses, master chain), both wasm variants; the browser
    reads the very JSON document the build wrote next to the glue. Two passes:
    its 4 bars, and 4 more where the browser loops its one-pass pattern while
    Python schedules the longer render from scratch."""
    doc = json.loads((built_dist / "reference-session.json").read_text())
    with Engine.from_dist(built_dist) as e:
        session = parse_session(doc, e.params, e.units, e.sources)
    one_pass = round(session.length_seconds() * RATE)
    for variant, via in (("simd", "create"), ("scalar", "load")):
        got, result = chromium_session(page, doc, 2 * one_pass, variant=variant, via=via)
        assert result["transport"] == "ring"
        want = wasmtime_session(built_dist, doc, one_pass, variant=variant)
        assert_identical(got[:, :one_pass], want, f"reference session, 4 bars, {variant}, {via}")
        want = wasmtime_session(built_dist, doc, 2 * one_pass, variant=variant)
        assert_identical(got, want, f"reference session, 8 bars, {variant}, {via}")
        assert result["meters"]["rejected"] == 0 and result["meters"]["overflow"] == 0
    assert page.console_errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("via", ["create", "load"])
def test_session_with_synth_input_bus_and_automation_is_bit_identical(
    page: Page, built_dist: Path, via: str
) -> None:
    """Two passes (the pattern loops inside a pass and the pass loops), a
    synth, a fed input track, a bus, strip and automation: the whole load
    path (processorOptions in the constructor, or configure/pattern messages)."""
    frames = 4 * RATE + 555
    x = signal(2, frames, 1)
    got, result = chromium_session(page, SMALL, frames, via=via, inputs=x)
    want = wasmtime_session(built_dist, SMALL, frames, inputs=x)
    assert_identical(got, want, f"small session via {via}")
    assert result["meters"]["rejected"] == 0
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_the_browser_schedules_python_frames_and_order(page: Page, built_dist: Path) -> None:
    """dawg-schedule.js's schedule() is python's schedule(): same events, same
    frames, same order, for an awkward tempo and fractional beats, and the
    same document values restored at the start of every pass (a source, strip,
    send, fader and insert setting, a default, a parameter automated twice)."""
    doc = json.loads(json.dumps(SMALL))
    doc["tempo_bpm"] = 97.3
    doc["tracks"][0]["pattern"]["notes"].append({"beat": 0.333, "note": 61, "length_beats": 1.0})
    doc["tracks"][0]["automation"] += [
        {"beat": 0.5, "param": "synth_cutoff_hz", "value": 400, "ramp_ms": 90},
        {"beat": 1.5, "param": "low_gain_db", "value": -4},
        {"beat": 2, "param": "send_1_db", "value": -20, "ramp_ms": 40},
        {"beat": 2, "param": "mid_gain_db", "value": 5},
        {"beat": 3.5, "param": "gain_db", "value": -2},
    ]
    frames = 3 * RATE + 17
    got = page.evaluate(
        """async ({doc, rate, frames}) => {
            const m = await import("/dist/dawg-session.js");
            const sched = await import("/dist/dawg-schedule.js");
            const {MANIFEST} = await import("/dist/dawg-engine.js");
            const s = m.parseSession(doc, MANIFEST, []);
            return sched.schedule(s, MANIFEST, rate, frames).map(
                (e) => [e.frame, e.kind, e.target, e.id, Math.fround(e.value), Math.fround(e.aux)]);
        }""",
        {"doc": doc, "rate": RATE, "frames": frames},
    )
    with Engine.from_dist(built_dist) as e:
        session = parse_session(doc, e.params, e.units, e.sources)
        want = [
            [ev.frame, ev.kind, ev.target, ev.id, *map(float, np.float32([ev.value, ev.aux]))]
            for ev in schedule(session, e.params, RATE, frames)
        ]
    assert len(want) > 20
    restored = [w for w in want if w[0] == nearest_frame(4 * 60 / 97.3 * RATE) and w[1] == 2]
    documented = [-6.0, 0.2, e.params["delay_mix"].default, 1500.0, 3.0, -6.0, 0.0]
    assert [w[4] for w in restored] == [float(np.float32(v)) for v in documented]
    assert got == want


def test_a_bad_session_names_its_field(page: Page) -> None:
    doc = json.loads(json.dumps(SMALL))
    doc["tracks"][0]["pattern"]["notes"][1]["note"] = 128
    message = page.evaluate(
        """async (doc) => {
            const { createDawgEngine } = await import("/dist/dawg-engine.js");
            const ctx = new OfflineAudioContext(2, 128, 48000);
            try { await createDawgEngine(ctx, { session: doc }); return "accepted"; }
            catch (err) { return err.name + ": " + err.message; }
        }""",
        doc,
    )
    assert message.startswith("SessionError: $.tracks[0].pattern.notes[1].note:"), message


# ---- (b), (c) events at arbitrary frames: ring and postMessage fallback -------------


def api_events(built_dist: Path) -> tuple[list[dict[str, Any]], list[Event]]:
    """The same events through the JS API (context frames) and for Python's queue."""
    with Engine.from_dist(built_dist) as e:
        gain, low, pan = (e.params[n].id for n in ("gain_db", "low_gain_db", "pan"))
    bus0 = encode_target(1, 0)
    js = [
        {"call": "noteOn", "args": [0, 67, 0.9], "frame": 12345},
        {"call": "noteOff", "args": [0, 67], "frame": 30001},
        {"call": "rampParam", "args": ["gain_db", -20, 250, {"bus": 0}], "frame": 40000},
        {"call": "rampParam", "args": ["low_gain_db", 9, 100, 1], "frame": 77777},
        {"call": "rampParam", "args": ["pan", -1, 0, 1], "frame": 90001},
        # Sent while rendering (context suspended at frame 96 * 128 = 12288, and later).
        {"call": "noteOn", "args": [0, 48, 0.3], "frame": 100003, "at": 96 * 128},
        {"call": "allNotesOff", "args": [0], "frame": 150001, "at": 96 * 128},
        {"call": "noteOn", "args": [0, 72, 0.6], "frame": 170000 + 5, "at": 1300 * 128},
        # Late (its frame has passed when it is sent): applies at the next quantum's start.
        {"call": "rampParam", "args": ["pan", 0.5, 0, 1], "frame": 165400, "at": 1300 * 128},
    ]
    py = [
        dawgwasm.note_on(12345, 0, 67, 0.9),
        dawgwasm.note_off(30001, 0, 67),
        dawgwasm.param_ramp(40000, bus0, gain, -20, 250),
        dawgwasm.param_ramp(77777, encode_target(0, 1), low, 9, 100),
        dawgwasm.param_ramp(90001, encode_target(0, 1), pan, -1, 0),
        dawgwasm.note_on(100003, 0, 48, 0.3),
        dawgwasm.all_notes_off(150001, 0),
        dawgwasm.note_on(170005, 0, 72, 0.6),
        dawgwasm.param_ramp(1300 * 128, encode_target(0, 1), pan, 0.5, 0),
    ]
    return js, py


@pytest.mark.parametrize("variant", ["simd", "scalar"])
def test_events_through_the_ring_land_on_their_frames(
    page: Page, built_dist: Path, variant: str
) -> None:
    assert page.evaluate("crossOriginIsolated") is True
    frames = 4 * RATE
    x = signal(2, frames, 2)
    js, py = api_events(built_dist)
    got, result = chromium_session(
        page, SMALL, frames, variant=variant, events="ring", via="load", inputs=x, api=js
    )
    assert result["transport"] == "ring"
    want = wasmtime_session(built_dist, SMALL, frames, variant=variant, inputs=x, extra=py)
    assert_identical(got, want, f"ring events, {variant}")
    # And the events did something.
    without = wasmtime_session(built_dist, SMALL, frames, variant=variant, inputs=x)
    assert not np.array_equal(want, without)
    assert result["meters"]["rejected"] == 0 and result["meters"]["overflow"] == 0


@pytest.fixture(scope="module")
def plain_page(browser: Browser, built_dist: Path) -> Iterator[Page]:
    """A page served without COOP/COEP: no SharedArrayBuffer."""
    url, server = start_server(built_dist, isolation=False)
    context = browser.new_context()
    pg = context.new_page()
    pg.goto(url + "/")
    yield pg
    context.close()
    server.shutdown()  # type: ignore[attr-defined]
    server.server_close()  # type: ignore[attr-defined]


def test_the_postmessage_fallback_gives_the_same_output(
    page: Page, plain_page: Page, built_dist: Path
) -> None:
    assert plain_page.evaluate("crossOriginIsolated") is False
    assert plain_page.evaluate("typeof SharedArrayBuffer") == "undefined"
    frames = 4 * RATE
    x = signal(2, frames, 3)
    js, py = api_events(built_dist)
    want = wasmtime_session(built_dist, SMALL, frames, inputs=x, extra=py)
    # Not isolated: "auto" has to fall back to messages.
    got, result = chromium_session(plain_page, SMALL, frames, via="load", inputs=x, api=js)
    assert result["transport"] == "message"
    assert_identical(got, want, "postMessage fallback (page not isolated)")
    # Isolated, but forced.
    got, result = chromium_session(
        page, SMALL, frames, events="message", via="create", inputs=x, api=js
    )
    assert result["transport"] == "message"
    assert_identical(got, want, "postMessage fallback (forced)")
    # The ring cannot be asked for where there is no SharedArrayBuffer.
    message = plain_page.evaluate(
        """async () => {
            const { createDawgEngine } = await import("/dist/dawg-engine.js");
            const ctx = new OfflineAudioContext(2, 128, 48000);
            try { await createDawgEngine(ctx, { events: "ring" }); }
            catch (err) { return err.message; }
            return "accepted";
        }"""
    )
    assert "SharedArrayBuffer" in message


# ---- (d) meters -----------------------------------------------------------------------


@pytest.mark.parametrize("events", ["ring", "message"])
def test_meters_reach_the_main_thread_and_show_a_bypassed_track(
    page: Page, built_dist: Path, events: str
) -> None:
    """Track 1 (an input track with nothing connected) goes silent and is
    auto-bypassed; the synth track and the master are active and metered."""
    frames = 3 * RATE // 4  # the second note (at 0.5 s) still sounds at the end
    _, result = chromium_session(page, SMALL, frames, events=events)
    meters = result["meters"]
    assert result["transport"] == events
    assert meters["windows"] >= 1
    synth, line_in = meters["tracks"]
    assert synth["state"] == "active" and max(synth["peak"]) > 0.001
    assert line_in["state"] == "bypassed" and max(line_in["peak"]) == 0.0
    assert meters["buses"][0]["state"] in ("active", "bypassed")
    assert meters["buses"][1]["state"] == "absent"
    assert meters["master"]["state"] == "active" and max(meters["master"]["rms"]) > 0.0
