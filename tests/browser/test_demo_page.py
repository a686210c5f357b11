"""The demo page loads cross-origin isolated with no console errors, builds
its controls from the engine's parameter table, and plays through the WASM
worklet; its pan, track gain and master gain sliders act on the sound."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def spec(dist: Path, name: str) -> dict:
    manifest = json.loads((dist / "manifest.json").read_text())
    return next(p for p in manifest["params"] if p["name"] == name)


def test_demo_plays_and_its_sliders_act(page: Page, built_dist: Path) -> None:
    assert page.evaluate("crossOriginIsolated") is True
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
