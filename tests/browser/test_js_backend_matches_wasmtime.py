"""The JavaScript backend in Chromium renders what the wasm engine renders
under wasmtime: the reference session (20 tracks: samples, synths, inserts,
buses, master chain), loaded by the glue and rendered in an
OfflineAudioContext with backend "js", differs from the same document
rendered by the .wasm under wasmtime by at least 80 dB less than the signal,
and its events land on the very frames wasmtime puts them on."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Page

from dawgwasm import Engine
from dawgwasm._session import apply_session, parse_session, render_session
from tests.browser.harness import harness

pytestmark = pytest.mark.browser

RATE = 48000
RENDER_JS = harness("render_session.js")
AGREEMENT_DB = -80.0

# One synth track, short notes between silences: each note's first sounding
# frame is an onset, so onsets are event times to the frame.
NOTES: dict[str, Any] = {
    "format": "dawgwasm-session",
    "version": 1,
    "tempo_bpm": 120,
    "length_beats": 4,
    "tracks": [
        {
            "name": "Lead",
            "source": {"type": "synth", "params": {"synth_attack_ms": 0.5, "synth_release_ms": 5}},
            "pattern": {
                "length_beats": 4,
                "notes": [
                    {"beat": 0.25, "note": 60, "length_beats": 0.1},
                    {"beat": 1.1, "note": 67, "length_beats": 0.2},
                    {"beat": 2.37, "note": 72, "velocity": 0.6, "length_beats": 0.3},
                    {"beat": 3.5, "note": 55, "length_beats": 0.05},
                ],
            },
        }
    ],
}


def js_render(page: Page, doc: dict[str, Any], frames: int) -> tuple[np.ndarray, dict[str, Any]]:
    result = page.evaluate(
        RENDER_JS,
        {
            "doc": doc,
            "rate": RATE,
            "frames": frames,
            "backend": "js",
            "events": "auto",
            "via": "create",
            "loop": True,
            "api": [],
            "inputs": None,
        },
    )
    assert result["backend"] == "js"
    assert result["variant"] is None
    assert result["errors"] == []
    out = np.frombuffer(base64.b64decode(result["b64"]), "<f4").reshape(2, frames)
    return out, result


def wasmtime_render(dist: Path, doc: dict[str, Any], frames: int) -> np.ndarray:
    with Engine.from_dist(
        dist, "simd", sample_rate_hz=RATE, tracks=len(doc["tracks"]), max_quanta=64
    ) as e:
        session = parse_session(doc, e.params, e.units, e.sources)
        apply_session(session, e)
        return render_session(session, e, seconds=frames / RATE)


def difference_db(got: np.ndarray, want: np.ndarray) -> float:
    """The difference's RMS relative to the signal's, in dB."""
    signal = float(np.sqrt(np.mean(want.astype(np.float64) ** 2)))
    error = float(np.sqrt(np.mean((got.astype(np.float64) - want) ** 2)))
    assert signal > 0.01, "the reference render is (nearly) silent"
    return 20 * np.log10(max(error, 1e-30) / signal)


def onsets(x: np.ndarray, quiet_frames: int = 128) -> list[int]:
    """Frames where sound starts after at least `quiet_frames` frames of exact silence."""
    sounding = np.any(x != 0, axis=0)
    found = []
    run = quiet_frames
    for i, on in enumerate(sounding):
        if on and run >= quiet_frames:
            found.append(i)
        run = 0 if on else run + 1
    return found


def test_reference_session_on_the_js_backend_is_80_db_below_the_signal(
    page: Page, built_dist: Path
) -> None:
    doc = json.loads((built_dist / "reference-session.json").read_text(encoding="utf-8"))
    with Engine.from_dist(built_dist) as e:
        one_pass = round(parse_session(doc, e.params, e.units, e.sources).length_seconds() * RATE)
    got, result = js_render(page, doc, one_pass)
    want = wasmtime_render(built_dist, doc, one_pass)
    assert np.all(np.isfinite(got))
    db = difference_db(got, want)
    worst = float(np.max(np.abs(got - want)))
    print(
        f"reference session, {one_pass} frames, js backend vs wasmtime: difference {db:.1f} dB "
        f"below the signal (limit {AGREEMENT_DB:.0f} dB), largest sample difference {worst:.2e}"
    )
    assert db <= AGREEMENT_DB, f"the js backend differs by {db:.1f} dB (limit {AGREEMENT_DB} dB)"
    assert result["meters"]["rejected"] == 0 and result["meters"]["overflow"] == 0
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_js_backend_events_land_on_the_frames_wasmtime_puts_them_on(
    page: Page, built_dist: Path
) -> None:
    frames = 2 * RATE
    got, _ = js_render(page, NOTES, frames)
    want = wasmtime_render(built_dist, NOTES, frames)
    expected = onsets(want)
    assert len(expected) == 4, expected
    assert onsets(got) == expected
    assert difference_db(got, want) <= AGREEMENT_DB
    assert page.console_errors == []  # type: ignore[attr-defined]
