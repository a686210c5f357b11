"""The JavaScript limiter (web/static/dawg-js-limiter.js) against the model
(tests/models/limiter.py) and the wasm engine's limiter in an insert slot,
including lookahead crossfades and ceiling ramps, and the promises every
unit keeps: it never lets a sample past the ceiling and is exactly
transparent below it.

Tolerance against the model: 1e-6 absolute, as for the Rust unit
(tests/dsp/test_limiter.py).

Against the wasm engine (render_unit: a flat strip and centre pan pass the
unit's output through bit for bit): the largest difference is at least 80 dB
below the peak output. The gain computer's integers (units of 2^-40, at most
2^51) are exact in doubles and every f32 step is rounded as in the Rust, so
the output is measured bit-identical to the engine's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from tests.conftest import EngineFactory, UnitRenderer
from tests.jsengine.insert_checks import (
    ENGINE_AGREEMENT_DB,
    assert_block_size_independent,
    assert_clean,
    assert_reset_matches_fresh,
    engine_input,
    engine_render,
    error_db,
    hostile_then_music,
    js_render,
    js_run,
)
from tests.jsengine.node_units import Call
from tests.models.limiter import latency_frames, limit

FS = 48000.0
TOLERANCE = 1e-6

F32 = npt.NDArray[np.float32]

CASES = [
    {},
    {"lim_ceiling_db": -12.0, "lim_release_ms": 10.0, "lim_lookahead_ms": 5.0},
    {"lim_lookahead_ms": 0.0, "lim_release_ms": 1.0},
    {"lim_ceiling_db": -3.0, "lim_release_ms": 500.0, "lim_lookahead_ms": 1.0},
]

CHANGES: list[tuple[int, str, float]] = [
    (128 * 20, "lim_ceiling_db", -18.0),
    (128 * 30, "lim_lookahead_ms", 5.0),
    (128 * 45, "lim_ceiling_db", -1.0),
    (128 * 47, "lim_lookahead_ms", 0.0),
    (128 * 60, "lim_release_ms", 5.0),
    (128 * 70, "lim_ceiling_db", -24.0),
    (128 * 71, "lim_lookahead_ms", 1.0),
    (128 * 90, "lim_ceiling_db", 0.0),
    (128 * 120, "lim_ceiling_db", -9.0),
]
START = {"lim_ceiling_db": -3.0, "lim_release_ms": 50.0, "lim_lookahead_ms": 2.0}


def ceiling(db: float) -> np.float32:
    """The ceiling as the engine holds it: ``db_to_gain`` rounded to float32."""
    value: np.float32 = np.float32(math.pow(10.0, db / 20.0))
    return value


def program(frames: int = 24000) -> tuple[F32, F32]:
    """Bursts of loud noise against a quiet stretch, and a loud 100 Hz sine."""
    t = np.arange(frames) / FS
    envelope = np.where((t * 5) % 1 < 0.5, 3.0, 0.2)
    left = np.random.default_rng(2).standard_normal(frames) * envelope
    right = 2.0 * np.sin(2 * np.pi * 100 * t)
    return left.astype(np.float32), right.astype(np.float32)


@pytest.mark.parametrize("params", CASES)
def test_js_limiter_matches_reference(built_dist: Path, params: Mapping[str, float]) -> None:
    left, right = program()
    out = js_render(built_dist, "limiter", params, left, right)
    ref = limit(left, right, params)
    for got, want in zip(out, ref, strict=True):
        assert np.max(np.abs(got - want)) < TOLERANCE


@pytest.mark.parametrize("params", CASES)
def test_js_limiter_matches_the_wasm_engine(
    built_dist: Path, render_unit: UnitRenderer, params: Mapping[str, float]
) -> None:
    left, right = program()
    js = js_render(built_dist, "limiter", params, left, right)
    wasm = render_unit("limiter", params, left, right, runtime="simd")
    for got, want in zip(js, wasm, strict=True):
        assert error_db(got, want) < ENGINE_AGREEMENT_DB


@pytest.mark.parametrize("sample_rate_hz", [22050.0, 44100.0, 96000.0])
def test_js_limiter_matches_the_wasm_engine_at_other_rates(
    built_dist: Path, render_unit: UnitRenderer, sample_rate_hz: float
) -> None:
    """The lookahead, release and ceiling ramp in frames of each rate."""
    left, right = program()
    params = {"lim_ceiling_db": -4.0, "lim_release_ms": 40.0, "lim_lookahead_ms": 3.7}
    js = js_render(built_dist, "limiter", params, left, right, sample_rate_hz=sample_rate_hz)
    wasm = render_unit(
        "limiter", params, left, right, runtime="simd", sample_rate_hz=sample_rate_hz
    )
    for got, want in zip(js, wasm, strict=True):
        assert error_db(got, want) < ENGINE_AGREEMENT_DB


def test_js_limiter_parameter_changes_match_reference_and_the_wasm_engine(
    built_dist: Path, make_engine: EngineFactory
) -> None:
    """Ceiling ramps (down and up), release and lookahead changes (each a
    crossfade between delay taps) while loud."""
    left, right = program(128 * 160)
    js = js_run(built_dist, "limiter", START, left, right, changes=CHANGES).output
    ref = limit(left, right, START, changes=CHANGES)
    wasm = engine_render(make_engine, "limiter", START, left, right, changes=CHANGES)
    for got, model, engine in zip(js, ref, wasm, strict=True):
        assert np.max(np.abs(got - model)) < TOLERANCE
        assert error_db(got, engine) < ENGINE_AGREEMENT_DB
    # Under the ceiling in force: -3 dB before the first change, -24 dB once
    # its 20 ms ramp (960 frames) is done and until the next change.
    assert np.max(np.abs(js[:, : 128 * 20])) <= ceiling(-3.0)
    assert np.max(np.abs(js[:, 128 * 70 + 960 : 128 * 90])) <= ceiling(-24.0)


@pytest.mark.parametrize("lookahead_ms", [0.0, 2.0, 5.0])
def test_js_limiter_is_transparent_below_the_ceiling(built_dist: Path, lookahead_ms: float) -> None:
    frames = 20000
    rng = np.random.default_rng(3)
    left = np.clip(rng.standard_normal(frames) * 0.3, -0.96, 0.96).astype(np.float32)
    right = (0.9 * np.sin(2 * np.pi * 440 * np.arange(frames) / FS)).astype(np.float32)
    lat = latency_frames(lookahead_ms)
    out_l, out_r = js_render(built_dist, "limiter", {"lim_lookahead_ms": lookahead_ms}, left, right)
    assert not out_l[:lat].any() and not out_r[:lat].any()
    assert np.array_equal(out_l[lat:], left[: frames - lat])
    assert np.array_equal(out_r[lat:], right[: frames - lat])


@pytest.mark.parametrize("signal", ["square", "3e38", "noise +40 dB"])
def test_js_limiter_never_exceeds_ceiling(built_dist: Path, signal: str) -> None:
    n = np.arange(12000)
    if signal == "square":
        left = np.where((n // 24) % 2 == 0, 1.0, -1.0).astype(np.float32)
        right = -left
    elif signal == "3e38":
        left = np.where((n // 300) % 2 == 0, 3e38, 1e-3).astype(np.float32)
        right = -left
    else:
        rng = np.random.default_rng(11)
        left = (rng.standard_normal(12000) * 100.0).astype(np.float32)
        right = (rng.standard_normal(12000) * 100.0).astype(np.float32)
    for db, release_ms, lookahead_ms in [(-0.3, 100.0, 2.0), (0.0, 1.0, 0.0), (-24.0, 1000.0, 5.0)]:
        params = {
            "lim_ceiling_db": db,
            "lim_release_ms": release_ms,
            "lim_lookahead_ms": lookahead_ms,
        }
        run = js_run(built_dist, "limiter", params, left, right, probes=("clampCount",))
        peak = float(np.max(np.abs(run.output)))
        assert peak <= ceiling(db), (params, peak)
        if signal != "3e38":
            assert peak > 0.9 * ceiling(db)  # limited, not silenced
        assert run.probes["clampCount"][-1] == 0  # the backstop clamp never engaged


def test_js_limiter_output_does_not_depend_on_block_size(built_dist: Path) -> None:
    left, right = program(12000)
    params = {"lim_ceiling_db": -6.0, "lim_release_ms": 30.0, "lim_lookahead_ms": 3.0}
    changes = [(4001, "lim_lookahead_ms", 0.7), (7777, "lim_ceiling_db", -10.0)]
    assert_block_size_independent(built_dist, "limiter", params, left, right, changes=changes)


def test_js_limiter_reset_equals_a_fresh_unit(built_dist: Path) -> None:
    assert_reset_matches_fresh(
        built_dist, "limiter", {"lim_ceiling_db": -6.0}, program(3000), program(5000)
    )


def test_js_limiter_reset_during_a_lookahead_crossfade_applies_the_new_lookahead(
    built_dist: Path,
) -> None:
    """A reset while a lookahead change is still crossfading: from then on the
    output is a fresh limiter's with the new lookahead."""
    first, second = program(3000), program(5000)
    k = len(first[0])
    left = np.concatenate([first[0], second[0]])
    right = np.concatenate([first[1], second[1]])
    params = {"lim_ceiling_db": -6.0, "lim_release_ms": 200.0}
    after = js_run(
        built_dist,
        "limiter",
        params,
        left,
        right,
        changes=[(k - 50, "lim_lookahead_ms", 4.0)],
        calls=[Call(k, "reset")],
    ).output
    fresh = js_run(built_dist, "limiter", {**params, "lim_lookahead_ms": 4.0}, *second).output
    assert np.array_equal(after[:, k:], fresh)


def test_js_limiter_impulse_leaves_after_the_lookahead_then_exact_zero(built_dist: Path) -> None:
    x = np.zeros(2000, np.float32)
    x[0] = 0.5
    run = js_run(built_dist, "limiter", {}, x, x, probes=("isQuiet", "tailFrames"))
    lat = latency_frames(2.0)
    for ch in run.output:
        assert np.flatnonzero(ch).tolist() == [lat]
        assert ch[lat] == np.float32(0.5)
    assert run.probes["isQuiet"][-1] is True
    assert run.probes["tailFrames"][-1] == lat


def test_js_limiter_hostile_input_stays_finite_and_normal(
    built_dist: Path, render_unit: UnitRenderer
) -> None:
    left, right, _ = hostile_then_music(3000)
    params = {"lim_ceiling_db": -1.0}
    out = js_run(built_dist, "limiter", params, left, right).output
    assert_clean(out)
    assert np.max(np.abs(out)) <= ceiling(-1.0)
    # The engine's limiter on the same frames (after the engine's input flush).
    left, right = engine_input(left), engine_input(right)
    js = js_render(built_dist, "limiter", params, left, right)
    wasm = render_unit("limiter", params, left, right, runtime="simd")
    for got, want in zip(js, wasm, strict=True):
        assert error_db(got, want) < ENGINE_AGREEMENT_DB


TRUE_PEAK_CASES = [
    {"lim_true_peak": 1.0},
    {"lim_true_peak": 1.0, "lim_lookahead_ms": 0.0, "lim_release_ms": 1.0, "lim_ceiling_db": -6.0},
]

MODE_CHANGES: list[tuple[int, str, float]] = [
    (128 * 10, "lim_true_peak", 1.0),
    (128 * 30, "lim_true_peak", 0.0),
    (128 * 31, "lim_lookahead_ms", 0.0),
    (128 * 50, "lim_true_peak", 1.0),
    (128 * 70, "lim_lookahead_ms", 4.0),
    (128 * 71, "lim_true_peak", 0.0),
]


@pytest.mark.parametrize("params", TRUE_PEAK_CASES)
def test_js_true_peak_mode_matches_reference_and_is_bit_identical_to_the_wasm_engine(
    built_dist: Path, render_unit: UnitRenderer, params: Mapping[str, float]
) -> None:
    """The true-peak detector's f32 sums run tap by tap as the Rust's lanes
    do, so the output is the engine's, bit for bit."""
    left, right = program(12000)
    js = js_render(built_dist, "limiter", params, left, right)
    wasm = render_unit("limiter", params, left, right, runtime="simd")
    ref = limit(left, right, params)
    for got, engine, model in zip(js, wasm, ref, strict=True):
        assert np.array_equal(got, engine)
        assert np.max(np.abs(got - model)) < TOLERANCE


def test_js_true_peak_mode_switches_are_bit_identical_to_the_wasm_engine(
    built_dist: Path, make_engine: EngineFactory
) -> None:
    start = {"lim_ceiling_db": -3.0, "lim_release_ms": 30.0, "lim_lookahead_ms": 0.5}
    left, right = program(128 * 100)
    js = js_run(built_dist, "limiter", start, left, right, changes=MODE_CHANGES).output
    wasm = engine_render(make_engine, "limiter", start, left, right, changes=MODE_CHANGES)
    for got, engine in zip(js, wasm, strict=True):
        assert np.array_equal(got, engine)
