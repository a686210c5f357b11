"""The JavaScript parametric EQ (web/static/dawg-js-peq.js, class Peq) run
under real node, against the same float64 RBJ model that tests the wasm unit
(tests/models/peq.py) and against the wasm engine itself.

Tolerances, and why:

* Against the model's impulse response: 1e-6 absolute, scaled by the
  response's peak when that exceeds 1 (the wasm unit's bound). The JS unit
  stores the same f32 coefficients and runs the same state-variable filter
  with f64 state, so its error is the coefficients' f32 rounding.
* Against the wasm engine (the unit in insert slot 1 of a flat one-track
  engine: the flat strip, unity fader and centre pan pass a sample through
  unchanged, so the master output is the unit's output): the largest
  difference at least 80 dB below the output's peak, with ramps and type
  changes in the signal. Measured: about -130 dB (the wasm's f32 state).
* Block splits, reset, the decaying tail and hostile input: exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from tests.conftest import EngineFactory
from tests.dsp.test_peq import ALL_EIGHT, IMPULSE_ATOL, SINGLE_BANDS
from tests.jsengine.insert_checks import (
    ENGINE_AGREEMENT_DB,
    assert_clean,
    error_db,
    hostile_then_music,
    unit_rows,
)
from tests.jsengine.node_units import Call, JsRun, js_export, render_with_changes, run_js_unit
from tests.models.peq import HIGH_PASS, PEAK, Band, bands_from_params, impulse_response, params_for

F32 = npt.NDArray[np.float32]
FS = 48000.0

# A sweep and a type change while the signal runs: (frame, name, value).
CHANGES = (
    (7000, "peq_4_hz", 2500.0),
    (7000, "peq_4_gain_db", -9.0),
    (12345, "peq_3_type", float(HIGH_PASS)),
    (20000, "peq_5_q", 12.0),
    (26000, "peq_8_type", 0.0),
)


def js_peq(
    dist: Path,
    params: Mapping[str, float],
    x: npt.ArrayLike,
    *,
    fs: float = FS,
    blocks: Sequence[int] = (128,),
    changes: Sequence[tuple[int, str, float]] = (),
    calls: Sequence[Call] = (),
    probes: Sequence[str] = (),
) -> JsRun:
    """The JS unit as an insert slot runs it: ``params`` (rounded to f32)
    set, a reset, then ``x`` (``(2, frames)``) in ``blocks``."""
    rows = unit_rows(dist, "peq")
    sets = [(rows.index(k), float(np.float32(v))) for k, v in params.items()]
    later = [Call(f, "set", (rows.index(k), float(np.float32(v)))) for f, k, v in changes]
    return run_js_unit(
        "dawg-js-peq.js",
        "Peq",
        [fs, 4096],
        x,
        sets=sets,
        calls=[Call(0, "reset"), *later, *calls],
        blocks=blocks,
        probes=probes,
    )


def engine_peq(
    make_engine: EngineFactory,
    runtime: str,
    params: Mapping[str, float],
    x: F32,
    changes: Sequence[tuple[int, str, float]] = (),
) -> F32:
    """The wasm unit in insert slot 1 of a flat one-track engine, ``changes``
    landing on their frames."""
    e = make_engine(runtime, sample_rate_hz=FS, tracks=1, quantum_frames=128, max_quanta=64)
    e.set_insert(1, "peq", track=0)
    e.set_many(dict(params), 0, slot=1)
    e.reset()
    return render_with_changes(e, x, changes, slot=1)


def music(frames: int, seed: int = 11) -> F32:
    """Noise with a level that changes every 50 ms, stereo (decorrelated)."""
    rng = np.random.default_rng(seed)
    env = np.repeat(10 ** (rng.uniform(-40, 0, frames // 2400 + 1) / 20), 2400)[:frames]
    return (rng.uniform(-0.5, 0.5, (2, frames)) * env).astype(np.float32)


def test_js_peq_rows_are_the_manifests(built_dist: Path) -> None:
    import json

    manifest = json.loads((built_dist / "manifest.json").read_text())
    want = [
        (p["name"], p["min"], p["max"], p["default"], p["smoothing_ms"], p["stepped"])
        for p in manifest["params"]
        if p["owner"] == "peq"
    ]
    got = [
        (r["name"], r["min"], r["max"], r["default"], r["smoothing_ms"], r["stepped"])
        for r in js_export("dawg-js-peq.js", "PEQ_PARAMS")
    ]
    assert got == want


@pytest.mark.parametrize("fs", [22050.0, 48000.0, 192000.0])
def test_js_peq_each_band_type_matches_sosfilt(built_dist: Path, fs: float) -> None:
    n = 1 << 14
    x = np.zeros((2, n), np.float32)
    x[0, 0] = 1.0
    x[1, 0] = -1.0
    for slot, band in SINGLE_BANDS:
        params = params_for({slot: band})
        out = js_peq(built_dist, params, x, fs=fs, blocks=(4096,)).output
        ref = impulse_response(bands_from_params(params), fs, n)
        tol = IMPULSE_ATOL * max(1.0, float(np.abs(ref).max()))
        err = float(np.abs(out[0] - ref).max())
        assert err < tol, f"{band.describe()} in band {slot} at {fs:g} Hz: {err:.2e}"
        np.testing.assert_array_equal(out[1], -out[0])


def test_js_peq_all_eight_bands_match_the_sosfilt_cascade(built_dist: Path) -> None:
    n = 1 << 15
    x = np.zeros((2, n), np.float32)
    x[:, 0] = 1.0
    params = params_for(ALL_EIGHT)
    out = js_peq(built_dist, params, x, blocks=(4096,)).output
    ref = impulse_response(bands_from_params(params), FS, n)
    assert float(np.abs(out[0] - ref).max()) < IMPULSE_ATOL


@pytest.mark.parametrize("runtime", ["simd", "scalar"])
def test_js_peq_matches_the_wasm_engine(
    built_dist: Path, make_engine: EngineFactory, runtime: str
) -> None:
    x = music(36000)
    params = params_for(ALL_EIGHT)
    want = engine_peq(make_engine, runtime, params, x, CHANGES)
    got = js_peq(built_dist, params, x, changes=CHANGES).output
    assert error_db(got, want) < ENGINE_AGREEMENT_DB


def test_js_peq_every_band_off_is_a_wire(built_dist: Path) -> None:
    x = music(9000, seed=3)
    idle = {"peq_3_gain_db": 12.0, "peq_3_q": 9.0, "peq_5_hz": 90.0}
    out = js_peq(built_dist, idle, x).output
    np.testing.assert_array_equal(out, x)


def test_js_peq_output_is_independent_of_the_block_size(built_dist: Path) -> None:
    x = music(30000, seed=4)
    params = params_for(ALL_EIGHT)
    runs = [
        js_peq(built_dist, params, x, blocks=b, changes=CHANGES).output
        for b in ((128,), (1, 7, 64, 300, 2, 129), (4096,))
    ]
    assert np.any(runs[0] != 0)
    for other in runs[1:]:
        assert np.array_equal(other, runs[0])


def test_js_peq_reset_equals_a_fresh_unit(built_dist: Path) -> None:
    x = music(20000, seed=5)
    params = params_for({2: Band(PEAK, 80.0, 18.0, 12.0), 6: Band(HIGH_PASS, 200.0)})
    k = 9000
    # A ramp and a type change still running at the reset: it jumps them to their targets.
    mid = [(k - 300, "peq_2_gain_db", -6.0), (k - 200, "peq_4_type", float(PEAK))]
    after = js_peq(built_dist, params, x, changes=mid, calls=[Call(k, "reset")]).output
    settled = {**params, "peq_2_gain_db": -6.0, "peq_4_type": float(PEAK)}
    fresh = js_peq(built_dist, settled, x[:, k:]).output
    assert np.any(after[:, :k] != 0)
    assert np.array_equal(after[:, k:], fresh)


def test_js_peq_impulse_tail_ends_in_exact_zeros(built_dist: Path) -> None:
    n = 1 << 16
    x = np.zeros((2, n), np.float32)
    x[:, 0] = 1.0
    run = js_peq(
        built_dist,
        params_for(ALL_EIGHT),
        x,
        blocks=(512,),
        probes=("isQuiet", "stateIsSilent", "stateIsClean"),
    )
    nonzero = np.flatnonzero(np.any(run.output != 0, axis=0))
    assert 0 < nonzero[-1] < 32768, f"last non-zero frame {nonzero[-1]}"
    assert run.probes["stateIsSilent"][-1] is True
    assert all(run.probes["stateIsClean"])
    assert run.probes["isQuiet"][-1] is True
    assert run.probes["isQuiet"][0] is False


def test_js_peq_hostile_input_stays_finite_and_normal(built_dist: Path) -> None:
    left, right, resume = hostile_then_music(6000)
    x = np.stack([left, right])
    params = params_for({**ALL_EIGHT, 4: Band(PEAK, 1000.0, 24.0, 18.0)})
    run = js_peq(built_dist, params, x, blocks=(100,), probes=("stateIsClean",))
    assert_clean(run.output)
    assert all(run.probes["stateIsClean"])
    # The music after the hostile stretch comes through.
    assert float(np.abs(run.output[:, resume + 4800 :]).max()) > 0.05
