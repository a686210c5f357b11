"""The JavaScript delay (web/static/dawg-js-delay.js) against the float64
model (tests/models/delay.py) and the wasm engine's delay in an insert slot,
including tempo sync and the tape-style glide of a time change, and the
promises every unit keeps.

Tolerance against the model: 1e-6 absolute on signals peaking near 1, as for
the Rust unit (tests/dsp/test_delay.py): the read position, the glide and all
state are f32 as in the Rust; the interpolation and the multiply-adds of a
frame run in f64 and are rounded to f32 once.

Against the wasm engine (render_unit: a flat strip and centre pan pass the
unit's output through bit for bit): the largest difference is at least 80 dB
below the peak output; measured about -132 dB.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import EngineFactory, UnitRenderer
from tests.jsengine.insert_checks import (
    ENGINE_AGREEMENT_DB,
    assert_block_size_independent,
    assert_clean,
    assert_impulse_tail_is_exact_zero,
    assert_reset_matches_fresh,
    engine_render,
    error_db,
    hostile_then_music,
    js_render,
    js_run,
)
from tests.jsengine.node_units import Call
from tests.models.delay import render_delay
from tests.signals import impulse, noise

SR = 48000.0
TOL = 1e-6

CASES = [
    {"delay_time_ms": 20.0, "delay_feedback": 0.8, "delay_mix": 0.5},
    {
        "delay_time_ms": 13.37,
        "delay_feedback": 0.95,
        "delay_ping_pong": 1,
        "delay_damping_hz": 2500.0,
        "delay_mix": 1.0,
    },
    {"delay_time_ms": 7.0, "delay_feedback": 0.5, "delay_damping_hz": 20000.0},
]
IDS = ["plain", "ping-pong-fractional", "bright"]


@pytest.mark.parametrize("params", CASES, ids=IDS)
def test_js_delay_matches_reference_model(built_dist: Path, params: Mapping[str, float]) -> None:
    left, right = noise(1, 4000)
    out = js_render(built_dist, "delay", params, left, right)
    want = render_delay(params, left, right, sample_rate_hz=SR)
    for got, ref in zip(out, want, strict=True):
        assert np.max(np.abs(got - ref)) <= TOL


def test_js_delay_ramps_match_reference_model(built_dist: Path) -> None:
    """Feedback, damping, ping-pong and mix ramp per frame as in the model."""
    left, right = noise(2, 8000)
    params = {"delay_time_ms": 20.0, "delay_feedback": 0.6}
    changes = [
        (2500, "delay_feedback", 0.9),
        (3000, "delay_damping_hz", 1500.0),
        (4000, "delay_ping_pong", 1.0),
        (6100, "delay_mix", 0.8),
    ]
    out = js_render(built_dist, "delay", params, left, right, changes=changes)
    want = render_delay(params, left, right, sample_rate_hz=SR, changes=changes)
    for got, ref in zip(out, want, strict=True):
        assert np.max(np.abs(got - ref)) <= TOL


def test_js_delay_glide_and_ramps_match_the_wasm_engine(
    built_dist: Path, make_engine: EngineFactory
) -> None:
    """Time changes glide the read head through fractional positions as the
    engine's delay does (the float64 model's glide differs from both by up to
    2e-4, so the engine is the reference here), with ramps on top."""
    left, right = noise(8, 12032)
    params = {"delay_time_ms": 20.0, "delay_feedback": 0.6}
    changes = [
        (2048, "delay_time_ms", 31.7),
        (2560, "delay_feedback", 0.9),
        (3072, "delay_damping_hz", 1500.0),
        (4096, "delay_ping_pong", 1.0),
        (6016, "delay_time_ms", 9.0),
        (6144, "delay_mix", 0.8),
    ]
    js = js_run(built_dist, "delay", params, left, right, changes=changes).output
    wasm = engine_render(make_engine, "delay", params, left, right, changes=changes)
    for got, want in zip(js, wasm, strict=True):
        assert error_db(got, want) < ENGINE_AGREEMENT_DB


@pytest.mark.parametrize("params", CASES, ids=IDS)
def test_js_delay_matches_the_wasm_engine(
    built_dist: Path, render_unit: UnitRenderer, params: Mapping[str, float]
) -> None:
    left, right = noise(3, 8000)
    js = js_render(built_dist, "delay", params, left, right)
    wasm = render_unit("delay", params, left, right, runtime="simd")
    for got, want in zip(js, wasm, strict=True):
        assert error_db(got, want) < ENGINE_AGREEMENT_DB


@pytest.mark.parametrize(
    ("sample_rate_hz", "time_ms"), [(22050.0, 11.3), (44100.0, 375.0), (96000.0, 7.77)]
)
def test_js_delay_matches_the_wasm_engine_at_other_rates(
    built_dist: Path, render_unit: UnitRenderer, sample_rate_hz: float, time_ms: float
) -> None:
    """Delay times of fractional frames at each rate (375 ms is 16537.5
    frames at 44.1 kHz)."""
    left, right = noise(9, 24000)
    params = {"delay_time_ms": time_ms, "delay_feedback": 0.8}
    js = js_render(built_dist, "delay", params, left, right, sample_rate_hz=sample_rate_hz)
    wasm = render_unit("delay", params, left, right, runtime="simd", sample_rate_hz=sample_rate_hz)
    for got, want in zip(js, wasm, strict=True):
        assert error_db(got, want) < ENGINE_AGREEMENT_DB


@pytest.mark.parametrize(("tempo_bpm", "sync"), [(97.0, 3), (143.5, 4), (20.0, 5), (300.0, 6)])
def test_js_delay_tempo_sync_matches_the_wasm_engine(
    built_dist: Path, render_unit: UnitRenderer, tempo_bpm: float, sync: int
) -> None:
    left, right = noise(4, 12000)
    params = {"delay_sync": sync, "delay_feedback": 0.7, "delay_mix": 0.6}
    js = js_render(built_dist, "delay", params, left, right, tempo_bpm=tempo_bpm)
    wasm = render_unit("delay", params, left, right, runtime="simd", tempo_bpm=tempo_bpm)
    for got, want in zip(js, wasm, strict=True):
        assert error_db(got, want) < ENGINE_AGREEMENT_DB


@pytest.mark.parametrize(
    ("tempo_bpm", "sync", "frames"),
    [(120.0, 1, 24000), (120.0, 3, 18000), (120.0, 4, 8000), (90.0, 2, 16000), (90.0, 5, 8000)],
)
def test_js_delay_tempo_sync_gives_the_note_length(
    built_dist: Path, tempo_bpm: float, sync: int, frames: int
) -> None:
    params = {"delay_sync": sync, "delay_time_ms": 10.0, "delay_mix": 1.0}
    x = impulse(frames + 100)
    left, _ = js_render(built_dist, "delay", params, x, x, tempo_bpm=tempo_bpm)
    assert np.flatnonzero(left)[0] == frames


def test_js_delay_tempo_change_glides_to_the_new_note_length(built_dist: Path) -> None:
    """A tempo change while audio is in the line glides the read head (the
    echo under way lands between the two note lengths), then settles on the
    new note length exactly."""
    x = np.zeros(120000, np.float32)
    x[0] = x[100000] = 1.0
    params = {"delay_sync": 2, "delay_mix": 1.0, "delay_feedback": 0.0}
    steady = js_run(built_dist, "delay", params, x, x).output[0]
    assert np.flatnonzero(steady)[0] == 12000  # 1/8 note at 120 BPM
    moved = js_run(built_dist, "delay", params, x, x, calls=[Call(6000, "setTempoBpm", (100.0,))])
    left = moved.output[0]
    assert 12000 < np.flatnonzero(left)[0] < 14400
    assert np.flatnonzero(left[100000:])[0] == 14400  # 1/8 note at 100 BPM


def test_js_delay_output_does_not_depend_on_block_size(built_dist: Path) -> None:
    left, right = noise(5, 6000)
    params = {
        "delay_time_ms": 17.3,
        "delay_feedback": 0.8,
        "delay_ping_pong": 1,
        "delay_damping_hz": 3000.0,
    }
    assert_block_size_independent(
        built_dist, "delay", params, left, right, changes=[(2222, "delay_time_ms", 4.1)]
    )


def test_js_delay_reset_equals_a_fresh_unit(built_dist: Path) -> None:
    params = {"delay_time_ms": 9.9, "delay_feedback": 0.9, "delay_mix": 0.5}
    assert_reset_matches_fresh(built_dist, "delay", params, noise(6, 3000), noise(7, 3000))


def test_js_delay_impulse_tail_ends_in_exact_zero(built_dist: Path) -> None:
    """At the defaults (375 ms, feedback 0.35) the recirculating echo falls
    under the state floor and the output is exact zeros well within 10 s."""
    assert_impulse_tail_is_exact_zero(built_dist, "delay", {}, int(SR * 10), int(SR * 9.5))


def test_js_delay_hostile_input_stays_finite_and_normal(built_dist: Path) -> None:
    left, right, _ = hostile_then_music(3000)
    silence = np.zeros(int(SR * 12), np.float32)
    left = np.concatenate([left, silence])
    right = np.concatenate([right, silence])
    params = {"delay_time_ms": 3.3, "delay_feedback": 0.95, "delay_ping_pong": 1, "delay_mix": 0.5}
    run = js_run(
        built_dist, "delay", params, left, right, blocks=(8192,), probes=("isQuiet", "stateIsClean")
    )
    assert_clean(run.output)
    assert all(run.probes["stateIsClean"])  # after every block
    # Whatever the hostile frames left in the lines dies away to exact zeros.
    assert not np.any(run.output[:, -int(SR) :])
    assert run.probes["isQuiet"][-1] is True
