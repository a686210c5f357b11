"""The selected track's EQ, compressor and sends on the demo page, in real
Chromium: the controls take range, default, unit and label from the
manifest's parameter table, are worked with the keyboard, reach the engine
and change what it plays (the track's and the buses' meters), and a change
survives Stop and Start."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.demo_page import manifest, peak_over, record, session_doc, start, track_index

pytestmark = pytest.mark.browser


def db(x: float) -> float:
    return 20 * math.log10(x) if x > 0 else -math.inf


def key(page: Page, control_id: str, *keys: str) -> None:
    """Focus a control and press keys on it, as a keyboard user does."""
    page.locator(f"#{control_id}").focus()
    for k in keys:
        page.keyboard.press(k)


def changes(page: Page) -> dict[str, float]:
    return {c["name"]: c["value"] for c in page.evaluate("window.dawgDemo.changes")}


def test_the_detail_panel_is_built_from_the_parameter_table(page: Page, built_dist: Path) -> None:
    m = manifest(built_dist)
    by_name = {p["name"]: p for p in m["params"]}
    groups = {g["name"]: g["params"] for g in m["groups"]}
    doc = session_doc(built_dist)
    kick = track_index(built_dist, "Kick")
    page.wait_for_selector(".strip.master")
    # Track 1 is selected first; a click (or Enter) on a strip's name selects another.
    assert page.evaluate("window.dawgDemo.selectedTrack") == 0
    snare = track_index(built_dist, "Snare")
    page.locator(f"#select-track-{snare}").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("window.dawgDemo.selectedTrack") == snare
    assert page.locator(f"#select-track-{snare}").get_attribute("aria-pressed") == "true"
    assert page.locator("#detail-title").text_content() == "Snare"
    page.locator(f"#select-track-{kick}").click()

    # Every strip and send parameter of the table is there, for each bus of the session.
    sends = [n for n in groups["sends"] if int(n.split("_")[1]) <= len(doc["buses"])]
    for name in groups["strip"] + sends:
        spec = by_name[name]
        control = page.locator(f"#track-{kick}-{name}")
        assert control.count() == 1, name
        described = page.locator(f"#track-{kick}-{name}-doc").text_content() or ""
        assert described.startswith(spec["doc"]), name
        tag = control.evaluate("e => e.tagName + ':' + e.type")
        if tag == "INPUT:range" and control.get_attribute("data-scale") == "linear":
            assert float(control.get_attribute("min") or "nan") == spec["min"], name
            assert float(control.get_attribute("max") or "nan") == spec["max"], name
        if tag == "INPUT:range":
            # The value shown has the table's unit.
            text = control.get_attribute("aria-valuetext") or ""
            assert text.endswith(spec["unit"]), (name, text)
    # The session's own settings show; the rest are the table's defaults.
    strip = doc["tracks"][kick]["strip"]

    def shown(name: str) -> str | None:
        return page.locator(f"#track-{kick}-{name}").get_attribute("aria-valuetext")

    assert shown("comp_ratio") == f"{strip['comp_ratio']:g}:1"
    assert shown("mid_q") == f"{by_name['mid_q']['default']:g}"
    assert shown("low_hz") == f"{strip['low_hz']:g} Hz"
    # A switch whose doc names its values is a choice of those names.
    options = page.locator(f"#track-{kick}-comp_detector option").all_text_contents()
    assert options == ["peak", "RMS over 10 ms"]
    # Keyboard: Home and End reach the table's minimum and maximum, on log sliders too.
    key(page, f"track-{kick}-comp_attack_ms", "Home")
    key(page, f"track-{kick}-comp_release_ms", "End")
    key(page, f"track-{kick}-low_gain_db", "End")
    got = changes(page)
    assert got["comp_attack_ms"] == by_name["comp_attack_ms"]["min"]
    assert got["comp_release_ms"] == by_name["comp_release_ms"]["max"]
    assert got["low_gain_db"] == by_name["low_gain_db"]["max"]
    # The section's Defaults button puts the table's defaults back.
    page.locator("#reset-comp").click()
    got = changes(page)
    assert got["comp_attack_ms"] == by_name["comp_attack_ms"]["default"]
    assert got["comp_ratio"] == by_name["comp_ratio"]["default"]


def test_eq_and_compressor_act_on_the_sound(page: Page, built_dist: Path) -> None:
    pad = track_index(built_dist, "Pad")
    page.wait_for_selector(".strip.master")
    page.locator(f"#select-track-{pad}").click()
    start(page)
    record(page)
    page.locator(f"#track-{pad}-solo").check()
    page.wait_for_timeout(1500)
    flat = peak_over(page, 1.5, track=pad)
    assert flat > 1e-3, "the pad is not sounding"

    # EQ: every band down as far as it goes, the shelves meeting at 1 kHz.
    key(page, f"track-{pad}-low_hz", "End")
    key(page, f"track-{pad}-high_hz", "Home")
    for band in ("low", "mid", "high"):
        key(page, f"track-{pad}-{band}_gain_db", "Home")
    page.wait_for_timeout(500)
    cut = peak_over(page, 1.5, track=pad)
    assert db(cut) < db(flat) - 12, f"EQ cut: {db(flat):.1f} → {db(cut):.1f} dB"
    page.locator("#reset-eq").click()
    page.wait_for_timeout(500)
    back = peak_over(page, 1.5, track=pad)
    assert abs(db(back) - db(flat)) < 4, f"EQ defaults: {db(flat):.1f} → {db(back):.1f} dB"

    # Compressor: the lowest threshold at the highest ratio squashes it...
    key(page, f"track-{pad}-comp_threshold_db", "Home")
    key(page, f"track-{pad}-comp_ratio", "End")
    page.wait_for_timeout(500)
    squashed = peak_over(page, 1.5, track=pad)
    assert db(squashed) < db(back) - 12, f"compressor: {db(back):.1f} → {db(squashed):.1f} dB"
    # ...and its makeup gain brings it up again.
    key(page, f"track-{pad}-comp_makeup_db", "End")
    page.wait_for_timeout(500)
    made_up = peak_over(page, 1.5, track=pad)
    assert db(made_up) > db(squashed) + 18, f"makeup: {db(squashed):.1f} → {db(made_up):.1f} dB"
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_sends_feed_the_buses(page: Page, built_dist: Path) -> None:
    doc = session_doc(built_dist)
    pad = track_index(built_dist, "Pad")
    delay = [b["name"] for b in doc["buses"]].index("Delay")
    assert not any(s["bus"] == delay for s in doc["tracks"][pad].get("sends", []))
    page.wait_for_selector(".strip.master")
    page.locator(f"#select-track-{pad}").click()
    start(page)
    record(page)
    # Solo the pad: every other track is muted, and so are its sends, so the delay bus falls silent.
    page.locator(f"#track-{pad}-solo").check()
    page.wait_for_function(
        f"Math.max(...window.dawgDemo.meters.buses[{delay}].peak) < 1e-4", timeout=30000
    )
    send = page.locator(f"#track-{pad}-send_{delay + 1}_db")
    assert send.get_attribute("aria-valuetext") == "\u221296.0 dB"
    # The pad's send to the delay bus, at 0 dB: the bus sounds.
    send.fill("0")
    page.wait_for_function(
        f"Math.max(...window.dawgDemo.meters.buses[{delay}].peak) > 1e-2", timeout=20000
    )
    # Post-fader: the pad's fader all the way down silences the send too...
    key(page, f"track-{pad}-gain_db", "Home")
    page.wait_for_function(
        f"Math.max(...window.dawgDemo.meters.buses[{delay}].peak) < 1e-4", timeout=30000
    )
    # ...until the send is taken before the fader.
    page.locator(f"#track-{pad}-send_{delay + 1}_pre").check()
    page.wait_for_function(
        f"Math.max(...window.dawgDemo.meters.buses[{delay}].peak) > 1e-2", timeout=20000
    )
    assert peak_over(page, 0.5, track=pad) < 1e-4
    # Every change is kept: after Stop and Start the new engine starts with them.
    page.get_by_role("button", name="Stop").click()
    page.wait_for_function("window.dawgDemo.engine === null", timeout=20000)
    page.get_by_role("button", name="Start").click()
    page.wait_for_function(
        f"window.dawgDemo.engine !== null && window.dawgDemo.meters !== null && "
        f"Math.max(...window.dawgDemo.meters.buses[{delay}].peak) > 1e-2",
        timeout=30000,
    )
    assert page.console_errors == []  # type: ignore[attr-defined]
