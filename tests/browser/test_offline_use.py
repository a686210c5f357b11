"""Offline use: an OfflineAudioContext renders without animation frames, as
fast as it can, and may start before a message reaches the processor.

Changes made before startRendering() are initial values: they hold from the
first sample with no ramp, exactly like Python's set-then-reset. Through the
SharedArrayBuffer ring that needs nothing more (the records are in shared
memory before rendering starts); through messages it needs `await
engine.sync()`, and a message that arrives after rendering began is reported
through onError, never silently applied late. Each case is repeated on fresh
contexts, since the order of delivery is up to Chromium. Meter windows of an
offline render all reach the main thread, or are counted as dropped.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Page

import dawgwasm
from dawgwasm import Engine
from dawgwasm._events import Event, encode_target
from dawgwasm._session import apply_session, parse_session
from tests.browser.harness import harness

pytestmark = pytest.mark.browser

RATE = 48000
FRAMES = 190 * 128
REPS = 4
HARNESS = harness("render_before_start.js")

# A synth track (notes), an input track fed a signal with a delay insert, no bus.
DOC: dict[str, Any] = {
    "format": "dawgwasm-session",
    "version": 1,
    "tempo_bpm": 120,
    "length_beats": 4,
    "tracks": [
        {"name": "Synth", "source": {"type": "synth", "params": {"synth_release_ms": 50}}},
        {"name": "Line in", "inserts": [{"unit": "delay", "params": {"delay_sync": 2}}]},
    ],
}

# Parameter sets made before startRendering(): (name, value, JS `where`, Python keywords).
SETS: list[tuple[str, float, Any, dict[str, Any]]] = [
    ("gain_db", -9, 1, {"track": 1}),
    ("pan", -0.6, 1, {"track": 1}),
    ("low_gain_db", 6, 1, {"track": 1}),
    ("delay_mix", 0.7, {"track": 1, "slot": 1}, {"track": 1, "slot": 1}),
    ("synth_cutoff_hz", 900, 0, {"track": 0}),
    ("master_gain_db", -2, None, {}),
]
# Creating a bus with its first setParam is a message (structure), even with the ring.
BUS_SETS: list[tuple[str, float, Any, dict[str, Any]]] = [
    ("gain_db", -4, {"bus": 0}, {"bus": 0}),
    ("send_1_db", -6, 1, {"track": 1}),
]


def js_sets(sets: list[tuple[str, float, Any, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [
        {"call": "setParam", "args": [name, value] if where is None else [name, value, where]}
        for name, value, where, _ in sets
    ]


def signal(frames: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    t = np.arange(frames) / RATE
    x = np.zeros((2, 2, frames), np.float32)
    x[1, 0] = 0.3 * np.sin(2 * np.pi * 330 * t) + 0.05 * rng.standard_normal(frames)
    x[1, 1] = 0.3 * np.sin(2 * np.pi * 440 * t + 1)
    return x


def chromium_runs(
    page: Page, x: np.ndarray, calls: list[dict[str, Any]], events: str, sync: bool, reps: int
) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = page.evaluate(
        HARNESS,
        {
            "doc": DOC,
            "rate": RATE,
            "frames": FRAMES,
            "variant": "simd",
            "events": events,
            "sync": sync,
            "reps": reps,
            "inputs": {
                "b64": base64.b64encode(x.astype("<f4").tobytes()).decode(),
                "tracks": x.shape[0],
                "frames": x.shape[2],
            },
            "calls": calls,
        },
    )
    for run in runs:
        assert run["transport"] == events
        run["out"] = np.frombuffer(base64.b64decode(run["b64"]), "<f4").reshape(2, FRAMES)
    return runs


def wasmtime_render(
    dist: Path,
    x: np.ndarray,
    sets: list[tuple[str, float, Any, dict[str, Any]]],
    events: list[Event],
    *,
    initial: bool = True,
) -> np.ndarray:
    """The session, then `sets` as initial values (set, then reset) or, with
    initial False, as changes that ramp in from the first sample."""
    with Engine.from_dist(dist, "simd", sample_rate_hz=RATE, tracks=2, max_quanta=64) as e:
        apply_session(parse_session(DOC, e.params, e.units, e.sources), e)
        for name, value, _, where in sets:
            e.set(name, value, **where)
        if initial:
            e.reset()
        e.queue(events)
        return e.render(x)


def assert_identical(got: np.ndarray, want: np.ndarray, what: str) -> None:
    diff = np.nonzero(np.any(got != want, axis=0))[0]
    assert diff.size == 0, (
        f"{what}: {diff.size} frames differ, first at {diff[0]}, "
        f"max {np.max(np.abs(got - want)):.3e}"
    )


@pytest.mark.parametrize(
    ("events", "sync"),
    [("ring", False), ("ring", True), ("message", True)],
    ids=["ring", "ring-sync", "message-sync"],
)
def test_set_param_before_start_rendering_applies_from_the_first_sample(
    page: Page, built_dist: Path, events: str, sync: bool
) -> None:
    """setParam on tracks, an insert, a source and the master, then
    startRendering() (with the ring: at once, nothing awaited): the output is
    bit-identical to wasmtime with the values set before the first sample, on
    every repetition, and differs from the same changes ramping in."""
    x = signal(FRAMES)
    want = wasmtime_render(built_dist, x, SETS, [])
    ramped = wasmtime_render(built_dist, x, SETS, [], initial=False)
    assert not np.array_equal(want, ramped)
    assert np.max(np.abs(want)) > 0.01
    for i, run in enumerate(chromium_runs(page, x, js_sets(SETS), events, sync, REPS)):
        assert run["errors"] == []
        assert_identical(run["out"], want, f"{events}, sync {sync}, repetition {i}")


@pytest.mark.parametrize(
    ("events", "sync"),
    [("ring", False), ("ring", True), ("message", True)],
    ids=["ring", "ring-sync", "message-sync"],
)
def test_notes_and_ramps_scheduled_before_start_rendering_land_on_their_frames(
    page: Page, built_dist: Path, events: str, sync: bool
) -> None:
    """Initial values, then a note and a ramp at later frames, all made before
    startRendering(); once synced, also a bus created by its first setParam and
    a send to it. Bit-identical to wasmtime on every repetition."""
    x = signal(FRAMES)
    sets = SETS + (BUS_SETS if sync else [])
    calls = [
        *js_sets(sets),
        {"call": "noteOn", "args": [0, 60, 0.8], "frame": 3000},
        {"call": "rampParam", "args": ["gain_db", -20, 100, 0], "frame": 9000},
        {"call": "noteOff", "args": [0, 60], "frame": 15000},
    ]
    with Engine.from_dist(built_dist) as e:
        gain = e.params["gain_db"].id
    timed = [
        dawgwasm.note_on(3000, 0, 60, 0.8),
        dawgwasm.param_ramp(9000, encode_target(0, 0), gain, -20, 100),
        dawgwasm.note_off(15000, 0, 60),
    ]
    want = wasmtime_render(built_dist, x, sets, timed)
    assert not np.array_equal(want, wasmtime_render(built_dist, x, sets, []))
    for i, run in enumerate(chromium_runs(page, x, calls, events, sync, REPS)):
        assert run["errors"] == []
        assert_identical(run["out"], want, f"{events}, sync {sync}, repetition {i}")


def test_a_message_sent_before_rendering_is_applied_from_the_first_sample_or_reported(
    page: Page, built_dist: Path
) -> None:
    """Messages without engine.sync(): Chromium may start rendering before they
    arrive. Each repetition either renders the initial values from the first
    sample, or reports (non-fatal) that the change arrived late and how to
    avoid it; it never silently renders something else."""
    x = signal(FRAMES)
    want = wasmtime_render(built_dist, x, SETS, [])
    for i, run in enumerate(chromium_runs(page, x, js_sets(SETS), "message", False, 6)):
        if run["errors"]:
            assert all(not e["fatal"] for e in run["errors"])
            message = run["errors"][0]["message"]
            assert "before the OfflineAudioContext started rendering arrived after" in message
            assert "await engine.sync() before startRendering()" in message
        else:
            assert_identical(run["out"], want, f"message without sync, repetition {i}")


# ---- meters ---------------------------------------------------------------------------

METERS_JS = """async ({ frames, events, tracks, meterQuanta }) => {
    const { createDawgEngine } = await import("/dist/dawg-engine.js");
    const ctx = new OfflineAudioContext(2, frames, 48000);
    const engine = await createDawgEngine(ctx, { tracks, events, meterQuanta });
    const osc = new OscillatorNode(ctx, { frequency: 220 });
    osc.connect(engine.node, 0, 0);
    osc.start(0);
    engine.node.connect(ctx.destination);
    await ctx.startRendering();
    await engine.sync();
    const m = engine.meters();
    return { windows: m.windows, dropped: m.dropped, transport: engine.transport,
             peak: m.tracks[0].peak[0] };
}"""


@pytest.mark.parametrize("events", ["message", "ring"])
def test_offline_meters_count_every_window_or_drop(page: Page, events: str) -> None:
    """Two seconds offline, 8 quanta per window: every one of the 93 windows
    reaches the main thread (the message transport's pool is sized for the
    render) and none is dropped."""
    frames = 2 * RATE
    due = (frames // 128) // 8
    m = page.evaluate(
        METERS_JS, {"frames": frames, "events": events, "tracks": 1, "meterQuanta": 8}
    )
    assert m["transport"] == events
    assert (m["windows"], m["dropped"]) == (due, 0)
    assert m["peak"] > 0.5


def test_offline_meters_beyond_the_pool_cap_are_counted_as_dropped(
    page: Page, built_dist: Path
) -> None:
    """256 tracks and one quantum per window: the render has more windows than
    the pool's memory cap (8 MiB of buffers) holds. The pool takes what fits,
    the rest are counted: windows + dropped is every window of the render."""
    frames = 240000
    due = -(-frames // 128)
    with Engine.from_dist(built_dist) as e:
        limits = e.limits
    window_bytes = (256 + limits["buses_max"] + 1) * limits["meter_stride"] * 4
    pool = (8 * 1024 * 1024) // window_bytes
    assert pool < due
    m = page.evaluate(
        METERS_JS, {"frames": frames, "events": "message", "tracks": 256, "meterQuanta": 1}
    )
    assert m["windows"] + m["dropped"] == due
    assert m["windows"] >= pool
    assert m["dropped"] > 0
