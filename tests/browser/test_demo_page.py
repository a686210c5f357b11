"""The demo page loads cross-origin isolated with no console errors, builds
its controls from the engine's parameter table, and plays through the
worklet: in test-signal mode its pan, track gain and master gain act on the
sound; in session mode (the default) it plays the reference session, its
strips' meters move and show the silent input track auto-bypassed, and its
faders and mute act on the sound. It looks like a mixer: strips side by side,
the selected track's detail panel below (a screenshot is saved for a look)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.demo_page import spec, start

pytestmark = pytest.mark.browser


def test_demo_plays_a_test_signal_and_its_sliders_act(page: Page, built_dist: Path) -> None:
    assert page.evaluate("crossOriginIsolated") is True
    page.locator("#mode").select_option("signal")
    page.get_by_role("button", name="Start").click()
    page.wait_for_function(
        "window.dawgDemo.engine !== null && Math.min(...window.dawgDemo.levelsDb) > -40",
        timeout=20000,
    )
    assert page.evaluate("window.dawgDemo.context.state") == "running"

    for name, control in (
        ("pan", "track-0-pan"),
        ("gain_db", "track-0-gain_db"),
        ("master_gain_db", "master-master_gain_db"),
    ):
        slider = page.locator(f"#{control}")
        assert float(slider.get_attribute("min") or "nan") == spec(built_dist, name)["min"]
        assert float(slider.get_attribute("max") or "nan") == spec(built_dist, name)["max"]

    # Hard left: the StereoPannerNode law folds the right channel into the left.
    page.locator("#track-0-pan").fill("-1")
    page.wait_for_function(
        "window.dawgDemo.levelsDb[1] < -100 && window.dawgDemo.levelsDb[0] > -40", timeout=20000
    )
    page.locator("#track-0-pan").fill("0")
    page.wait_for_function("Math.min(...window.dawgDemo.levelsDb) > -40", timeout=20000)

    before = page.evaluate("window.dawgDemo.levelDb")
    page.locator("#track-0-gain_db").fill("-30")
    page.wait_for_function(f"window.dawgDemo.levelDb < {before} - 25", timeout=20000)

    page.locator("#master-master_gain_db").fill(str(spec(built_dist, "master_gain_db")["min"]))
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
    assert float(fader.get_attribute("min") or "nan") == spec(built_dist, "gain_db")["min"]
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


def test_demo_looks_like_a_mixer(page: Page, built_dist: Path, tmp_path: Path) -> None:
    """Strips side by side in one row (tracks, then buses, then the master),
    each with a name, meter, fader, pan and switches; the selected track's
    EQ, compressor and sends below; the load readout says how it measures.
    The screenshot is saved as ``<tmp_path>/demo-mixer.png``."""
    doc = json.loads((built_dist / "reference-session.json").read_text())
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.wait_for_selector(".strip.master")
    pad = [t["name"] for t in doc["tracks"]].index("Pad")
    page.locator(f"#select-track-{pad}").click()
    start(page)
    page.wait_for_function(
        "window.dawgDemo.load.live !== null && window.dawgDemo.load.live.quanta > 200",
        timeout=20000,
    )

    strips = page.locator(".console .strip")
    count = len(doc["tracks"]) + len(doc["buses"]) + 1
    assert strips.count() == count
    kinds = strips.evaluate_all("(ss) => ss.map((s) => s.classList[1])")
    assert kinds == ["track"] * len(doc["tracks"]) + ["bus"] * len(doc["buses"]) + ["master"]
    boxes = [strips.nth(i).bounding_box() for i in range(count)]
    assert all(b is not None for b in boxes)
    tops = {round(b["y"]) for b in boxes if b is not None}
    assert len(tops) == 1, f"strips are not in one row: tops {sorted(tops)}"
    lefts = [b["x"] for b in boxes if b is not None]
    assert lefts == sorted(lefts) and len(set(lefts)) == count
    # Faders stand upright, taller than wide.
    fader = page.locator(f"#track-{pad}-gain_db").bounding_box()
    assert fader is not None and fader["height"] > 2 * fader["width"]
    # The page fits the window's width: the strips scroll inside their own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400

    detail = page.locator("#detail")
    assert page.locator("#detail-title").text_content() == "Pad"
    assert detail.locator("legend").all_text_contents() == [
        "EQDefaults",
        "CompressorDefaults",
        "SendsDefaults",
    ]
    panel = detail.bounding_box()
    console = page.locator(".console-scroll").bounding_box()
    assert panel is not None and console is not None
    assert panel["y"] >= console["y"] + console["height"]
    method = page.locator("#load-method").text_content() or ""
    assert "Date.now()" in method and "1 ms resolution" in method
    assert page.locator("#load-figure").text_content() != "\u2014"

    shot = tmp_path / "demo-mixer.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert width == 1400 and height >= 900
    print(f"demo screenshot: {shot}")
    assert page.console_errors == []  # type: ignore[attr-defined]
