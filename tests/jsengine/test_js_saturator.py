"""The JavaScript saturator (web/static/dawg-js-saturator.js, with
web/static/dawg-js-halfband.js) against the float64 model
(tests/models/saturator.py) and the wasm engine's saturator in an insert
slot, and the promises every unit keeps.

Tolerance against the model: 2e-6 absolute, as for the Rust unit
(tests/dsp/test_saturator.py): the JS unit keeps f32 values between the
filter stages and rounds the ramps, the curves' inputs and every output to
f32 as the Rust does; within a stage it adds in f64, which is closer to the
model than the Rust's f32 sums.

Against the wasm engine (render_unit: one track, a flat strip, which passes
the signal through bit for bit, the unit in slot 1, unity fader, centre pan,
which is the identity matrix): the largest difference is at least 80 dB below
the peak output; measured about -135 dB (the f32 roundings inside the
filters' sums, which the JS unit does not make).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from tests.conftest import UnitRenderer
from tests.jsengine.insert_checks import (
    ENGINE_AGREEMENT_DB,
    assert_block_size_independent,
    assert_clean,
    assert_impulse_tail_is_exact_zero,
    assert_reset_matches_fresh,
    error_db,
    hostile_then_music,
    js_render,
    js_run,
)
from tests.models.saturator import LATENCY_FRAMES, saturate

FS = 48000.0
TOLERANCE = 2e-6
TAIL_FRAMES = 57

F32 = npt.NDArray[np.float32]

CASES = [
    {},
    {"sat_drive_db": 12.0},
    {"sat_drive_db": 24.0, "sat_curve": 1.0},
    {"sat_drive_db": 36.0, "sat_mix": 0.5, "sat_output_db": -6.0},
    {"sat_drive_db": 6.0, "sat_curve": 1.0, "sat_mix": 0.25, "sat_output_db": 12.0},
]


def make_signal(frames: int = 9600) -> tuple[F32, F32]:
    t = np.arange(frames) / FS
    left = 0.8 * np.sin(2 * np.pi * 220 * t) + 0.3 * np.sin(2 * np.pi * 5000 * t)
    right = np.random.default_rng(7).standard_normal(frames) * 0.5
    return left.astype(np.float32), right.astype(np.float32)


@pytest.mark.parametrize("params", CASES)
def test_js_saturator_matches_reference(built_dist: Path, params: Mapping[str, float]) -> None:
    left, right = make_signal()
    out = js_render(built_dist, "saturator", params, left, right)
    ref = saturate(left, right, params)
    for got, want in zip(out, ref, strict=True):
        assert np.max(np.abs(got - want)) < TOLERANCE


def test_js_saturator_ramps_and_curve_crossfade_match_reference(built_dist: Path) -> None:
    left, right = make_signal()
    params = {"sat_drive_db": 6.0}
    changes = [
        (1000, "sat_drive_db", 30.0),
        (2500, "sat_curve", 1.0),
        (2600, "sat_mix", 0.3),
        (4000, "sat_output_db", -12.0),
        (6100, "sat_curve", 0.0),
    ]
    out = js_render(built_dist, "saturator", params, left, right, changes=changes)
    ref = saturate(left, right, params, changes=changes)
    for got, want in zip(out, ref, strict=True):
        assert np.max(np.abs(got - want)) < TOLERANCE


@pytest.mark.parametrize("params", CASES)
def test_js_saturator_matches_the_wasm_engine(
    built_dist: Path, render_unit: UnitRenderer, params: Mapping[str, float]
) -> None:
    left, right = make_signal()
    js = js_render(built_dist, "saturator", params, left, right)
    wasm = render_unit("saturator", params, left, right, runtime="simd")
    for got, want in zip(js, wasm, strict=True):
        assert error_db(got, want) < ENGINE_AGREEMENT_DB


def test_js_saturator_mix_zero_is_the_input_delayed(built_dist: Path) -> None:
    left, right = make_signal(4800)
    out_l, out_r = js_render(
        built_dist, "saturator", {"sat_mix": 0.0, "sat_drive_db": 30.0}, left, right
    )
    assert np.array_equal(out_l[LATENCY_FRAMES:], left[:-LATENCY_FRAMES])
    assert np.array_equal(out_r[LATENCY_FRAMES:], right[:-LATENCY_FRAMES])
    assert not out_l[:LATENCY_FRAMES].any()


def test_js_saturator_output_does_not_depend_on_block_size(built_dist: Path) -> None:
    left, right = make_signal(6000)
    params = {"sat_drive_db": 20.0, "sat_mix": 0.7, "sat_output_db": -3.0}
    assert_block_size_independent(
        built_dist, "saturator", params, left, right, changes=[(3001, "sat_curve", 1.0)]
    )


def test_js_saturator_reset_equals_a_fresh_unit(built_dist: Path) -> None:
    first = make_signal(3000)
    second = make_signal(2000)
    params = {"sat_drive_db": 18.0, "sat_curve": 1.0, "sat_mix": 0.6}
    assert_reset_matches_fresh(built_dist, "saturator", params, first, second)


def test_js_saturator_impulse_tail_ends_in_exact_zero(built_dist: Path) -> None:
    assert_impulse_tail_is_exact_zero(
        built_dist, "saturator", {"sat_drive_db": 12.0}, 2000, TAIL_FRAMES + 1
    )


def test_js_saturator_hostile_input_stays_finite_and_normal(built_dist: Path) -> None:
    left, right, music = hostile_then_music(3000)
    params = {"sat_drive_db": 36.0, "sat_output_db": 12.0}
    out = js_run(built_dist, "saturator", params, left, right).output
    assert_clean(out)
    # Curves within +-1, the decimation chain's L1 norm 1.758, output +12 dB.
    assert np.max(np.abs(out)) < 1.758 * 10 ** (12 / 20)
    # Once the hostile frames have left the filters, the output is what a
    # fresh unit makes of the same input.
    settled = music + TAIL_FRAMES
    fresh = js_run(built_dist, "saturator", params, left[music:], right[music:]).output
    assert np.array_equal(out[:, settled:], fresh[:, TAIL_FRAMES:])
