"""The demo page loads cross-origin isolated with no console errors, builds
its controls from the engine's parameter table, and plays through the WASM
worklet: in test-signal mode its pan, track gain and master gain sliders act
on the sound; in session mode (the default) it plays the reference session,
its strips' meters move and show the silent input track auto-bypassed, and
its faders and mute act on the sound."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def spec(dist: Path, name: str) -> dict:
    manifest = json.loads((dist / "manifest.json").read_text())
    return next(p for p in manifest["params"] if p["name"] == name)


def test_demo_plays_a_test_signal_and_its_sliders_act(page: Page, built_dist: Path) -> None:
    assert page.evaluate("crossOriginIsolated") is True
    page.locator("#mode").select_option("signal")
    page.get_by_role("button", name="Start").click()
    page.wait_for_function(
        "window.dawgDemo.engine !== null && Math.min(...window.dawgDemo.levelsDb) > -40",
        timeout=20000,
    )
    assert page.evaluate("window.dawgDemo.context.state") == "running"

    for name in ("pan", "gain_db", "master_gain_db"):
        slider = page.locator(f"#param-{name}-0")
        assert float(slider.get_attribute("min")) == spec(built_dist, name)["min"]
        assert float(slider.get_attribute("max")) == spec(built_dist, name)["max"]

    # Hard left: the StereoPannerNode law folds the right channel into the left.
    page.locator("#param-pan-0").fill("-1")
    page.wait_for_function(
        "window.dawgDemo.levelsDb[1] < -100 && window.dawgDemo.levelsDb[0] > -40", timeout=20000
    )
    page.locator("#param-pan-0").fill("0")
    page.wait_for_function("Math.min(...window.dawgDemo.levelsDb) > -40", timeout=20000)

    before = page.evaluate("window.dawgDemo.levelDb")
    page.locator("#param-gain_db-0").fill("-30")
    page.wait_for_function(f"window.dawgDemo.levelDb < {before} - 25", timeout=20000)

    page.locator("#param-master_gain_db-0").fill(str(spec(built_dist, "master_gain_db")["min"]))
    page.wait_for_function("window.dawgDemo.levelDb < -100", timeout=20000)
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_demo_plays_the_reference_session_with_live_meters(page: Page, built_dist: Path) -> None:
    doc = json.loads((built_dist / "reference-session.json").read_text())
    names = [t["name"] for t in doc["tracks"]]
    line_in = names.index("Line in")
    pad = names.index("Pad")
    page.wait_for_selector(".strip.master")
    assert page.evaluate("window.dawgDemo.mode") == "session"
    # A strip per track, bus and the master, ranges from the manifest.
    assert page.locator(".strip.track").count() == len(names)
    assert page.locator(".strip.bus").count() == len(doc["buses"])
    fader = page.locator(f"#track-{pad}-gain_db")
    assert float(fader.get_attribute("min")) == spec(built_dist, "gain_db")["min"]
    assert float(fader.input_value()) == doc["tracks"][pad]["gain_db"]
    page.get_by_role("button", name="Start").click()
    page.wait_for_function(
        "window.dawgDemo.engine !== null && window.dawgDemo.levelDb > -50", timeout=30000
    )
    assert page.evaluate("window.dawgDemo.engine.transport") == "ring"
    # The line-in track hears nothing: auto-bypassed, and the page says so.
    page.wait_for_function(
        f"window.dawgDemo.meters && window.dawgDemo.meters.tracks[{line_in}].state === 'bypassed'",
        timeout=20000,
    )
    page.wait_for_function(
        f"document.querySelector('#state-track-{line_in}').textContent === 'bypassed'",
        timeout=20000,
    )
    assert "bypassed" in (page.locator(f"#strip-track-{line_in}").get_attribute("class") or "")
    # The pad sustains through every bar: its meter moves, and mute silences it.
    page.wait_for_function(f"window.dawgDemo.meters.tracks[{pad}].peak[0] > 1e-3", timeout=20000)
    page.locator(f"#track-{pad}-mute").check()
    page.wait_for_function(
        f"Math.max(...window.dawgDemo.meters.tracks[{pad}].peak) === 0", timeout=20000
    )
    page.locator("#master-master_gain_db").fill(str(spec(built_dist, "master_gain_db")["min"]))
    page.wait_for_function("window.dawgDemo.levelDb < -100", timeout=20000)
    page.get_by_role("button", name="Stop").click()
    page.wait_for_function("window.dawgDemo.engine === null", timeout=20000)
    assert page.console_errors == []  # type: ignore[attr-defined]
