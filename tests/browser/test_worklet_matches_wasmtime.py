"""The generated AudioWorklet, running the built .wasm in real Chromium,
renders bit-identically to the same .wasm under wasmtime: same input, same
parameters, same output, sample for sample."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page

from dawgwasm import Engine
from tests.browser.harness import harness

pytestmark = pytest.mark.browser

RATE = 48000

RENDER_JS = harness("render_offline.js")


def chromium_render(
    page: Page, x: np.ndarray, params: list[dict], variant: str, change: dict | None = None
) -> np.ndarray:
    tracks, _, frames = x.shape
    result = page.evaluate(
        RENDER_JS,
        {
            "b64": base64.b64encode(x.astype("<f4").tobytes()).decode(),
            "rate": RATE,
            "frames": frames,
            "tracks": tracks,
            "params": params,
            "variant": variant,
            "change": change,
        },
    )
    assert result["variant"] == variant
    return np.frombuffer(base64.b64decode(result["b64"]), "<f4").reshape(2, frames)


def wasmtime_render(
    dist: Path, x: np.ndarray, params: list[dict], variant: str, change: dict | None = None
) -> np.ndarray:
    with Engine.from_dist(dist, variant, sample_rate_hz=RATE, tracks=x.shape[0]) as e:  # type: ignore[arg-type]
        for p in params:
            e.set(p["name"], p["value"], p.get("track", 0))
        e.reset()
        if change is None:
            return e.render(x)
        first = e.render(x[:, :, : change["frame"]])
        for p in change["params"]:
            e.set(p["name"], p["value"], p["track"])
        return np.concatenate([first, e.render(x[:, :, change["frame"] :])], axis=1)


STRIP = [
    {"name": "low_hz", "value": 150, "track": 0},
    {"name": "low_gain_db", "value": 6, "track": 0},
    {"name": "mid_hz", "value": 1200, "track": 0},
    {"name": "mid_gain_db", "value": -5, "track": 0},
    {"name": "mid_q", "value": 2.5, "track": 0},
    {"name": "high_gain_db", "value": 4, "track": 0},
    {"name": "comp_threshold_db", "value": -18, "track": 0},
    {"name": "comp_ratio", "value": 4, "track": 0},
    {"name": "gain_db", "value": -2, "track": 0},
    {"name": "pan", "value": 0.3, "track": 0},
    {"name": "master_gain_db", "value": -1, "track": 0},
]


def test_signal_through_one_strip_is_bit_identical(page: Page, built_dist: Path) -> None:
    rng = np.random.default_rng(21)
    t = np.arange(RATE) / RATE
    x = np.stack(
        [
            0.5 * np.sin(2 * np.pi * 220 * t) + 0.1 * rng.standard_normal(RATE),
            0.4 * np.sin(2 * np.pi * 330 * t + 1),
        ]
    )[None].astype(np.float32)
    for variant in ("simd", "scalar"):
        got = chromium_render(page, x, STRIP, variant)
        want = wasmtime_render(built_dist, x, STRIP, variant)
        assert np.max(np.abs(want)) > 0.1
        mismatches = int(np.count_nonzero(got != want))
        assert mismatches == 0, (
            f"{variant}: {mismatches} samples differ, max {np.max(np.abs(got - want)):.3e}"
        )
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_several_tracks_and_a_change_mid_render_are_bit_identical(
    page: Page, built_dist: Path
) -> None:
    rng = np.random.default_rng(22)
    x = (rng.standard_normal((3, 2, RATE // 2)) * 0.2).astype(np.float32)
    params = [
        *STRIP,
        {"name": "pan", "value": -0.8, "track": 1},
        {"name": "high_gain_db", "value": -9, "track": 2},
    ]
    change = {
        "frame": 96 * 128,
        "params": [
            {"name": "gain_db", "value": -12, "track": 1},
            {"name": "low_gain_db", "value": 9, "track": 2},
        ],
    }
    got = chromium_render(page, x, params, "simd", change)
    want = wasmtime_render(built_dist, x, params, "simd", change)
    assert np.array_equal(got, want)
    # And the change did something.
    assert not np.array_equal(want, wasmtime_render(built_dist, x, params, "simd"))
