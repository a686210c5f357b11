"""The JavaScript reverb (web/static/dawg-js-reverb.js: the dense network of
dawg-js-fdn.js by default, Freeverb with reverb_algorithm 1, and a predelay)
against the float64 model (tests/models/reverb.py) and the wasm
engine's reverb in an insert slot, and the promises every unit keeps.

Tolerance against the model: 1e-6 absolute on outputs peaking near 1, as for
the Rust unit (tests/dsp/test_reverb.py).

Against the wasm engine (render_unit: a flat strip and centre pan pass the
unit's output through bit for bit): the dense algorithm gives the same bits,
ramps and algorithm switches included. Freeverb: the largest difference is at least 80 dB
below the peak output; measured about -130 dB (each comb step rounds to
f32 once where the Rust rounds its multiplies and add separately), also over
6 s at the largest size, where the comb feedback is 0.98.
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
    engine_input,
    engine_render,
    error_db,
    hostile_then_music,
    js_render,
    js_run,
)
from tests.models.reverb import COMB_TUNINGS, render_reverb, scaled
from tests.signals import impulse, noise

SR = 48000.0
TOL = 1e-6

CASES = [
    {},
    {
        "reverb_size": 1.0,
        "reverb_damping": 0.0,
        "reverb_width": 0.4,
        "reverb_predelay_ms": 0.0,
        "reverb_mix": 1.0,
    },
    {"reverb_size": 0.2, "reverb_damping": 1.0, "reverb_predelay_ms": 3.33, "reverb_mix": 0.7},
]
IDS = ["defaults", "large-bright-narrow", "small-dark"]
CASES = [{"reverb_algorithm": 1.0, **c} for c in CASES]
DENSE_CASES = [{**c, "reverb_algorithm": 0.0} for c in CASES]
DENSE_IDS = [f"dense-{i}" for i in IDS]


@pytest.mark.parametrize("params", CASES, ids=IDS)
def test_js_reverb_matches_reference_model(built_dist: Path, params: Mapping[str, float]) -> None:
    left, right = noise(1, 4000)
    out = js_render(built_dist, "reverb", params, left, right)
    want = render_reverb(params, left, right, sample_rate_hz=SR)
    for got, ref in zip(out, want, strict=True):
        assert np.max(np.abs(got - ref)) <= TOL


def test_js_reverb_ramps_match_reference_model(built_dist: Path) -> None:
    """Size, damping, width and mix ramp per frame as in the model (the
    predelay ramp, through fractional frames, is checked against the engine:
    the model's float64 read position differs from the f32 one by up to
    4e-6 there)."""
    left, right = noise(2, 4000)
    params = {"reverb_predelay_ms": 5.0, "reverb_algorithm": 1.0}
    changes = [
        (500, "reverb_size", 0.95),
        (900, "reverb_damping", 0.1),
        (2000, "reverb_width", 0.2),
        (2500, "reverb_mix", 0.9),
    ]
    out = js_render(built_dist, "reverb", params, left, right, changes=changes)
    want = render_reverb(params, left, right, sample_rate_hz=SR, changes=changes)
    for got, ref in zip(out, want, strict=True):
        assert np.max(np.abs(got - ref)) <= TOL


@pytest.mark.parametrize("sample_rate_hz", [44100.0, 48000.0, 96000.0])
@pytest.mark.parametrize("params", CASES, ids=IDS)
def test_js_reverb_matches_the_wasm_engine(
    built_dist: Path, render_unit: UnitRenderer, params: Mapping[str, float], sample_rate_hz: float
) -> None:
    left, right = noise(3, 16000)
    js = js_render(built_dist, "reverb", params, left, right, sample_rate_hz=sample_rate_hz)
    wasm = render_unit("reverb", params, left, right, runtime="simd", sample_rate_hz=sample_rate_hz)
    for got, want in zip(js, wasm, strict=True):
        assert error_db(got, want) < ENGINE_AGREEMENT_DB


def test_js_reverb_ramps_match_the_wasm_engine(
    built_dist: Path, make_engine: EngineFactory
) -> None:
    left, right = noise(4, 12032)
    params = {"reverb_predelay_ms": 5.0}
    changes = [
        (1024, "reverb_size", 0.95),
        (1536, "reverb_damping", 0.1),
        (2048, "reverb_predelay_ms", 12.7),
        (4096, "reverb_width", 0.2),
        (6144, "reverb_mix", 0.9),
    ]
    js = js_run(built_dist, "reverb", params, left, right, changes=changes).output
    wasm = engine_render(make_engine, "reverb", params, left, right, changes=changes)
    for got, want in zip(js, wasm, strict=True):
        assert error_db(got, want) < ENGINE_AGREEMENT_DB


@pytest.mark.parametrize("params", DENSE_CASES, ids=DENSE_IDS)
def test_js_reverb_dense_is_bit_identical_to_the_wasm_engine(
    built_dist: Path, render_unit: UnitRenderer, params: Mapping[str, float]
) -> None:
    left, right = noise(8, 12000)
    params = {**params, "reverb_algorithm": 0.0}
    js = js_render(built_dist, "reverb", params, left, right)
    for runtime in ("simd", "scalar"):
        wasm = render_unit("reverb", params, left, right, runtime=runtime)
        for got, want in zip(js, wasm, strict=True):
            assert np.array_equal(got, want)


def test_js_reverb_dense_ramps_and_switches_are_bit_identical_to_the_wasm_engine(
    built_dist: Path, make_engine: EngineFactory
) -> None:
    """Size and damping ramps (the 32 line coefficients), a switch to
    Freeverb and back during the fade, and one from rest: the same bits
    while only the dense network sounds; within the Freeverb tolerance
    after (its JS twin rounds each comb step once)."""
    left, right = noise(9, 16384)
    params = {"reverb_predelay_ms": 5.0, "reverb_mix": 0.8}
    changes = [
        (1024, "reverb_size", 0.95),
        (1536, "reverb_damping", 0.1),
        (2048, "reverb_size", 0.1),
        (4096, "reverb_algorithm", 1.0),
        (4608, "reverb_algorithm", 0.0),
        (12288, "reverb_algorithm", 1.0),
    ]
    js = js_run(built_dist, "reverb", params, left, right, changes=changes).output
    wasm = engine_render(make_engine, "reverb", params, left, right, changes=changes)
    for got, want in zip(js, wasm, strict=True):
        assert np.array_equal(got[:4096], want[:4096])
        assert error_db(got, want) < ENGINE_AGREEMENT_DB


def test_js_reverb_predelay_shifts_the_onset_by_its_frames(built_dist: Path) -> None:
    first_comb = scaled(COMB_TUNINGS[0], SR)
    x = impulse(int(SR * 0.25) + first_comb + 100)
    for ms in (0.0, 10.0, 50.0, 200.0):
        params = {"reverb_predelay_ms": ms, "reverb_mix": 1.0, "reverb_algorithm": 1.0}
        left, _ = js_render(built_dist, "reverb", params, x)
        assert np.flatnonzero(left)[0] == first_comb + round(ms * SR / 1000)


def test_js_reverb_output_does_not_depend_on_block_size(built_dist: Path) -> None:
    left, right = noise(5, 6000)
    params = {"reverb_size": 0.9, "reverb_width": 0.6, "reverb_predelay_ms": 20.0}
    assert_block_size_independent(
        built_dist, "reverb", params, left, right, changes=[(2999, "reverb_predelay_ms", 1.7)]
    )


def test_js_reverb_reset_equals_a_fresh_unit(built_dist: Path) -> None:
    params = {"reverb_size": 0.8, "reverb_mix": 0.5}
    assert_reset_matches_fresh(built_dist, "reverb", params, noise(6, 3000), noise(7, 3000))


@pytest.mark.parametrize("sample_rate_hz", [22050.0, 48000.0])
def test_js_reverb_impulse_tail_ends_in_exact_zero(built_dist: Path, sample_rate_hz: float) -> None:
    """At the default size the tail falls under the state floor and the
    output is exact zeros within 9 s."""
    frames = int(sample_rate_hz * 10)
    assert_impulse_tail_is_exact_zero(
        built_dist, "reverb", {}, frames, int(sample_rate_hz * 9), sample_rate_hz=sample_rate_hz
    )


def test_js_reverb_hostile_input_stays_finite_and_normal(
    built_dist: Path, render_unit: UnitRenderer
) -> None:
    left, right, _ = hostile_then_music(3000)
    silence = np.zeros(int(SR), np.float32)
    left = np.concatenate([left, silence])
    right = np.concatenate([right, silence])
    params = {"reverb_size": 1.0, "reverb_damping": 0.0, "reverb_mix": 1.0}
    run = js_run(
        built_dist, "reverb", params, left, right, blocks=(4096,), probes=("stateIsClean",)
    )
    assert_clean(run.output)
    assert all(run.probes["stateIsClean"])  # after every block
    # What the engine's reverb makes of the same frames (after the engine's
    # input flush), values near the float32 limit included.
    left, right = engine_input(left), engine_input(right)
    js = js_render(built_dist, "reverb", params, left, right)
    wasm = render_unit("reverb", params, left, right, runtime="simd")
    assert_clean(js)
    for got, want in zip(js, wasm, strict=True):
        assert error_db(got, want) < ENGINE_AGREEMENT_DB
