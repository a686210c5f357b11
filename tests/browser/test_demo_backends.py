"""The demo page's backend switch, in real Chromium: `?backend=` starts the
page on that backend (auto picks WASM SIMD where the browser has it); the
switch swaps engines while the reference session plays without the output
going quiet, keeps the session's transport position (the kick stays on its
beats) and every change made on the page, and disposes the old engine; a
backend that cannot start leaves the old one playing and says why; the load
readout measures each backend that ran."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route

from tests.browser.demo_page import (
    now,
    peak_over,
    record,
    recorded,
    session_doc,
    start,
    track_index,
)

pytestmark = pytest.mark.browser

BACKENDS = ["wasm-simd", "wasm-scalar", "js"]
LABELS = {"wasm-simd": "WASM SIMD", "wasm-scalar": "WASM scalar", "js": "JavaScript"}


def choose(page: Page, backend: str) -> None:
    """Pick a backend the way a listener does: click its segment."""
    page.locator(f"label[for=backend-{backend}]").click()


def wait_switched(page: Page, count: int) -> dict[str, Any]:
    page.wait_for_function(
        f"!window.dawgDemo.switching && window.dawgDemo.switches.length >= {count}", timeout=30000
    )
    return dict(page.evaluate("window.dawgDemo.switches")[count - 1])


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_url_parameter_forces_each_backend(page: Page, server_url: str, backend: str) -> None:
    page.goto(f"{server_url}/?backend={backend}")
    page.wait_for_selector(".strip.master")
    assert page.locator(f"#backend-{backend}").is_checked()
    start(page)
    assert page.evaluate("window.dawgDemo.engine.backend") == backend
    assert page.locator("#status-backend").text_content() == LABELS[backend]
    # The load readout measures the backend that plays, on its own row.
    page.wait_for_function(
        "(() => { const l = window.dawgDemo.load; return l.live !== null "
        f"&& l.live.backend === '{backend}' && l.live.quanta > 100 && l.live.load > 0 "
        "&& l.byBackend[l.live.backend] !== undefined; })()",
        timeout=20000,
    )
    live = page.evaluate("window.dawgDemo.load.live")
    assert live["load"] < 1 and 0 < live["uncertainty"] < 1
    assert "current" in (page.locator(f"#load-row-{backend}").get_attribute("class") or "")
    assert page.locator(f"#load-{backend}").text_content() != "\u2014"
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_auto_picks_wasm_simd_and_a_bad_parameter_is_reported(page: Page, server_url: str) -> None:
    page.goto(f"{server_url}/?backend=fortran")
    page.wait_for_selector(".strip.master")
    error = page.locator("#status-error")
    assert "?backend=fortran is not a backend" in (error.text_content() or "")
    assert page.locator("#backend-auto").is_checked()
    start(page)
    # Chromium has WebAssembly SIMD, the first backend auto tries.
    assert page.evaluate("window.dawgDemo.engine.backend") == "wasm-simd"
    assert page.locator("#engine-line").text_content() == "Playing on WASM SIMD (chosen by auto)."


def test_switching_backends_while_playing_keeps_the_music_going(
    page: Page, built_dist: Path
) -> None:
    doc = session_doc(built_dist)
    kick = track_index(built_dist, "Kick")
    beat_s = 60.0 / doc["tempo_bpm"]
    loop_s = doc["length_beats"] * beat_s
    kick_beats = sorted({n["beat"] for n in doc["tracks"][kick]["pattern"]["notes"]})

    page.wait_for_selector(".strip.master")
    start(page)
    assert page.evaluate("window.dawgDemo.engine.backend") == "wasm-simd"
    # A change made on the page before switching must survive the switch.
    pad = track_index(built_dist, "Pad")
    page.locator(f"#track-{pad}-mute").check()
    page.wait_for_function(f"window.dawgDemo.meters.tracks[{pad}].peak[0] === 0", timeout=20000)
    record(page)

    order = ["wasm-scalar", "js", "wasm-simd"]
    switch_times = []
    for i, backend in enumerate(order, start=1):
        page.wait_for_timeout(2500)
        page.evaluate("window.__old = window.dawgDemo.engine")
        switch_times.append(now(page))
        choose(page, backend)
        result = wait_switched(page, i)
        assert result["ok"], result["error"]
        assert result["from"] == (order[i - 2] if i > 1 else "wasm-simd")
        assert page.evaluate("window.dawgDemo.engine.backend") == backend
        assert page.locator(f"#backend-{backend}").is_checked()
        assert f"backend={backend}" in page.evaluate("location.search")
        # The old engine is gone: disposed, refusing changes.
        page.wait_for_function(
            "(() => { try { window.__old.setParam('gain_db', 0, 0); return false; } "
            "catch (e) { return /disposed/.test(e.message); } })()",
            timeout=5000,
        )
        # The muted pad stays muted on the new engine.
        page.wait_for_timeout(500)
        assert peak_over(page, 0.5, track=pad) == 0.0
    page.wait_for_timeout(2500)
    rows = recorded(page)
    # The load readout kept a figure for each backend that ran.
    loads = page.evaluate("window.dawgDemo.load.byBackend")
    assert sorted(loads) == sorted(BACKENDS)
    for backend in BACKENDS:
        assert 0 < loads[backend]["load"] < 1, (backend, loads[backend])
        assert page.locator(f"#load-{backend}-avg").text_content() != "\u2014"

    # The output never went quiet: the quietest 46 ms RMS the page drew from
    # the first switch to the end is still well above silence.
    during = [r["level"] for r in rows if r["t"] >= switch_times[0]]
    assert min(during) > -45, f"the output dropped to {min(during):.1f} dBFS during a switch"
    assert {r["backend"] for r in rows} == {"wasm-simd", "wasm-scalar", "js"}

    # Same transport position: every kick heard after a switch settled is on
    # one of the kick's beats counted from the session's start, which every
    # engine shares. A reading that shows a kick after one that showed none
    # brackets it: it sounded between the two (less a meter window, 23 ms).
    # Around a switch (the fade) a kick that is ringing counts as heard.
    origin = page.evaluate("window.dawgDemo.sessionStart")
    passes = int(rows[-1]["t"] / loop_s) + 2
    grid = [origin + k * loop_s + b * beat_s for k in range(passes) for b in kick_beats]
    heard = []
    for prev, r in itertools.pairwise(rows):
        if r["tracks"][kick] > 0.2 and prev["tracks"][kick] < 0.05:
            heard.append((prev["t"] - 0.05, r["t"] + 0.01))
    after = [
        (a, b)
        for a, b in heard
        if a > switch_times[0] and all(not (s - 0.1 <= b and a <= s + 1.0) for s in switch_times)
    ]
    assert len(after) >= 4, f"too few kicks heard after the switches: {heard}"
    off = [(a, b) for a, b in after if not any(a <= g <= b for g in grid)]
    assert not off, f"kicks off the beat after switching (heard between): {off}; beats at {grid}"
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_a_backend_that_cannot_start_leaves_the_old_one_playing(page: Page) -> None:
    def refuse(route: Route) -> None:
        route.fulfill(status=404, body="gone")

    page.route("**/dawg_dsp.scalar.wasm", refuse)
    page.wait_for_selector(".strip.master")
    start(page)
    page.evaluate("window.__before = window.dawgDemo.engine")
    choose(page, "wasm-scalar")
    result = wait_switched(page, 1)
    assert not result["ok"]
    assert "404" in result["error"]
    # Nothing changed: same engine, still playing, the choice back on it, and the page says why.
    assert page.evaluate("window.dawgDemo.engine === window.__before")
    assert page.evaluate("window.dawgDemo.engine.backend") == "wasm-simd"
    assert page.locator("#backend-auto").is_checked()
    error = page.locator("#status-error").text_content() or ""
    assert error.startswith("Could not switch to WASM scalar:")
    assert "404" in error and error.endswith("Still playing on WASM SIMD.")
    page.wait_for_timeout(1000)
    page.wait_for_function("window.dawgDemo.levelDb > -50", timeout=10000)
    assert page.evaluate("window.dawgDemo.context.state") == "running"


def test_switching_backends_while_a_test_signal_plays(page: Page) -> None:
    """The test signal feeds the new engine's track 1 from the moment it is faded in."""
    page.wait_for_selector(".strip.master")
    page.locator("#mode").select_option("signal")
    page.locator("#signal").select_option("noise")
    start(page)
    record(page)
    for i, backend in enumerate(["js", "wasm-scalar"], start=1):
        t = now(page)
        choose(page, backend)
        result = wait_switched(page, i)
        assert result["ok"], result["error"]
        page.wait_for_timeout(1500)
        levels = [r["level"] for r in recorded(page, t)]
        assert min(levels) > -40, (
            f"the signal dropped to {min(levels):.1f} dBFS switching to {backend}"
        )
        assert {r["backend"] for r in recorded(page, now(page) - 0.5)} == {backend}
        # The track's meter follows the signal on the new engine.
        page.wait_for_function("window.dawgDemo.meters.tracks[0].peak[0] > 1e-2", timeout=10000)
    assert page.console_errors == []  # type: ignore[attr-defined]
