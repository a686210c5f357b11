"""The demo page loads cross-origin isolated with no console errors, builds
its controls from the engine's parameter table, and plays: a running
AudioContext with sound coming out of the engine; the gain slider acts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def test_demo_plays_through_the_wasm_engine(page: Page, built_dist: Path) -> None:
    assert page.evaluate("crossOriginIsolated") is True
    page.get_by_role("button", name="Start").click()
    page.wait_for_function(
        "window.dawgDemo.engine !== null && window.dawgDemo.levelDb > -40", timeout=20000
    )
    assert page.evaluate("window.dawgDemo.context.state") == "running"
    manifest = json.loads((built_dist / "manifest.json").read_text())
    gain = next(p for p in manifest["params"] if p["name"] == "master_gain_db")
    slider = page.locator("#param-master_gain_db-0")
    assert float(slider.get_attribute("min")) == gain["min"]
    assert float(slider.get_attribute("max")) == gain["max"]
    slider.fill(str(gain["min"]))
    page.wait_for_function("window.dawgDemo.levelDb < -80", timeout=20000)
    assert page.console_errors == []  # type: ignore[attr-defined]
