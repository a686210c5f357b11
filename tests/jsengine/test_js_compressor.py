"""The JavaScript compressor (web/static/dawg-js-compressor.js, class
Compressor) run under real node, against the float64 model that tests the
wasm unit (tests/models/compressor.py), the textbook soft knee, and the wasm
engine itself.

Tolerances, and why:

* Static curve: 0.05 dB from the textbook formula at steady state on DC
  (the wasm unit's bound; the fast log2/exp2 are good to about 1e-5 dB).
* Against the model, sample by sample: the output's gain within 0.01 dB on
  samples above -60 dBFS (the wasm unit's bound: approximate log2/exp2 and
  the one-pole recursions' rounding).
* Against the wasm engine (the unit in insert slot 1 of a flat one-track
  engine, whose strip, unity fader and centre pan pass a sample through
  unchanged): the largest difference at least 80 dB below the output's
  peak. The JS unit runs the same fast log2/exp2 in f64 arithmetic on the
  same f32 inputs; measured about -120 dB.
* Block splits, reset and hostile input: exact.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from tests.conftest import EngineFactory
from tests.dsp.test_compressor_unit import CURVE_TOL_DB, MODEL_TOL_DB, bursts, gain_db
from tests.jsengine.insert_checks import (
    ENGINE_AGREEMENT_DB,
    assert_clean,
    error_db,
    hostile_then_music,
    unit_rows,
)
from tests.jsengine.node_units import Call, JsRun, js_export, render_with_changes, run_js_unit
from tests.models.compressor import compress, textbook_output_db

F32 = npt.NDArray[np.float32]
FS = 48000.0

SETTINGS = [
    {},
    {"compressor_knee_db": 0.0, "compressor_attack_ms": 0.1, "compressor_release_ms": 5.0},
    {"compressor_threshold_db": -40.0, "compressor_ratio": 20.0, "compressor_makeup_db": 12.0},
    {"compressor_attack_ms": 50.0, "compressor_release_ms": 2000.0, "compressor_knee_db": 24.0},
    {"compressor_link": 0.0, "compressor_threshold_db": -30.0},
    {"compressor_link": 0.35, "compressor_detector": 1.0, "compressor_ratio": 6.0},
]

# Changes while the signal runs: a makeup ramp, detector and link switches.
CHANGES = (
    (3001, "compressor_makeup_db", 9.0),
    (5000, "compressor_detector", 1.0),
    (7777, "compressor_link", 0.2),
    (9000, "compressor_threshold_db", -36.0),
    (11111, "compressor_ratio", 1.0),
)


def js_comp(
    dist: Path,
    params: Mapping[str, float],
    x: npt.ArrayLike,
    *,
    blocks: Sequence[int] = (128,),
    changes: Sequence[tuple[int, str, float]] = (),
    calls: Sequence[Call] = (),
    probes: Sequence[str] = (),
) -> JsRun:
    """The JS unit as an insert slot runs it: ``params`` (rounded to f32)
    set, a reset, then ``x`` (``(2, frames)``) in ``blocks``."""
    rows = unit_rows(dist, "compressor")
    sets = [(rows.index(k), float(np.float32(v))) for k, v in params.items()]
    later = [Call(f, "set", (rows.index(k), float(np.float32(v)))) for f, k, v in changes]
    return run_js_unit(
        "dawg-js-compressor.js",
        "Compressor",
        [FS, 4096],
        x,
        sets=sets,
        calls=[Call(0, "reset"), *later, *calls],
        blocks=blocks,
        probes=probes,
    )


def test_js_compressor_rows_are_the_manifests(built_dist: Path) -> None:
    manifest = json.loads((built_dist / "manifest.json").read_text())
    want = [
        (p["name"], p["min"], p["max"], p["default"], p["smoothing_ms"], p["stepped"])
        for p in manifest["params"]
        if p["owner"] == "compressor"
    ]
    got = [
        (r["name"], r["min"], r["max"], r["default"], r["smoothing_ms"], r["stepped"])
        for r in js_export("dawg-js-compressor.js", "COMPRESSOR_PARAMS")
    ]
    assert got == want


@pytest.mark.parametrize(
    ("threshold_db", "ratio", "knee_db"),
    [(-20.0, 4.0, 0.0), (-20.0, 4.0, 12.0), (-30.0, 10.0, 24.0), (-6.0, 2.0, 6.0)],
)
def test_js_compressor_static_curve_matches_the_textbook_formula(
    built_dist: Path, threshold_db: float, ratio: float, knee_db: float
) -> None:
    levels_db = np.arange(-48.0, 0.1, 3.0)
    step = 9600
    x = np.repeat(10 ** (levels_db / 20), step).astype(np.float32)
    params = {
        "compressor_threshold_db": threshold_db,
        "compressor_ratio": ratio,
        "compressor_knee_db": knee_db,
        "compressor_attack_ms": 1.0,
        "compressor_release_ms": 20.0,
    }
    out = js_comp(built_dist, params, np.stack([x, x])).output
    assert np.array_equal(out[0], out[1])
    for k, level in enumerate(levels_db):
        got = 20 * np.log10(float(out[0, (k + 1) * step - 1]))
        want = textbook_output_db(float(level), threshold_db, ratio, knee_db)
        assert abs(got - want) < CURVE_TOL_DB, f"{level} dB in: {got:.4f}, want {want:.4f}"


@pytest.mark.parametrize("params", SETTINGS)
def test_js_compressor_matches_the_model(built_dist: Path, params: Mapping[str, float]) -> None:
    left, right = bursts(14400, seed=3)
    out = js_comp(built_dist, params, np.stack([left, right])).output
    ref_l, ref_r = compress(left, right, params, sample_rate_hz=FS)
    for got, ref, x in ((out[0], ref_l, left), (out[1], ref_r, right)):
        diff = np.abs(gain_db(got, x) - gain_db(ref, x))
        assert np.nanmax(diff) < MODEL_TOL_DB


def test_js_compressor_makeup_ramp_matches_the_model(built_dist: Path) -> None:
    x = np.full(2048, 0.1, np.float32)
    params = {"compressor_ratio": 1.0}
    change = [(1024, "compressor_makeup_db", 12.0)]
    out = js_comp(built_dist, params, np.stack([x, x]), changes=change).output
    ref, _ = compress(x, x, params, sample_rate_hz=FS, changes=change)
    assert np.max(np.abs(gain_db(out[0], x) - gain_db(ref, x))) < MODEL_TOL_DB
    assert abs(gain_db(out[0], x)[1024 + 479] - 12.0) < 1e-4  # 480 steps at 48 kHz


@pytest.mark.parametrize("runtime", ["simd", "scalar"])
@pytest.mark.parametrize("params", SETTINGS)
def test_js_compressor_matches_the_wasm_engine(
    built_dist: Path, make_engine: EngineFactory, runtime: str, params: Mapping[str, float]
) -> None:
    left, right = bursts(14400, seed=7)
    x = np.stack([left, right])
    e = make_engine(runtime, sample_rate_hz=FS, tracks=1, quantum_frames=128, max_quanta=64)
    e.set_insert(1, "compressor", track=0)
    e.set_many(dict(params), 0, slot=1)
    e.reset()
    want = render_with_changes(e, x, CHANGES, slot=1)
    got = js_comp(built_dist, params, x, changes=CHANGES).output
    assert error_db(got, want) < ENGINE_AGREEMENT_DB


def test_js_compressor_output_is_independent_of_the_block_size(built_dist: Path) -> None:
    left, right = bursts(14400, seed=8)
    x = np.stack([left, right])
    params = {"compressor_link": 0.5, "compressor_threshold_db": -30.0}
    runs = [
        js_comp(built_dist, params, x, blocks=b, changes=CHANGES).output
        for b in ((128,), (1, 7, 64, 300, 2, 129), (4096,))
    ]
    assert not np.array_equal(runs[0], x)
    for other in runs[1:]:
        assert np.array_equal(other, runs[0])


def test_js_compressor_reset_equals_a_fresh_unit(built_dist: Path) -> None:
    left, right = bursts(14400, seed=9)
    x = np.stack([left, right])
    params = {"compressor_detector": 1.0, "compressor_link": 0.0, "compressor_ratio": 8.0}
    k = 7000
    mid = [(k - 100, "compressor_makeup_db", 6.0)]  # still ramping at the reset
    after = js_comp(built_dist, params, x, changes=mid, calls=[Call(k, "reset")]).output
    fresh = js_comp(built_dist, {**params, "compressor_makeup_db": 6.0}, x[:, k:]).output
    assert not np.array_equal(after[:, :k], x[:, :k])
    assert np.array_equal(after[:, k:], fresh)


def test_js_compressor_impulse_leaves_exact_zeros_and_goes_quiet(built_dist: Path) -> None:
    x = np.zeros((2, 96000), np.float32)
    x[:, 0] = 1.0
    params = {"compressor_release_ms": 50.0}
    run = js_comp(built_dist, params, x, blocks=(1024,), probes=("isQuiet",))
    assert run.output[0, 0] != 0.0
    assert np.all(run.output[:, 1:] == 0.0)
    quiet = run.probes["isQuiet"]
    assert quiet[0] is False  # the reduction the impulse caused is still held
    assert quiet[-1] is True


@pytest.mark.parametrize("params", SETTINGS)
def test_js_compressor_hostile_input_stays_finite_and_normal(
    built_dist: Path, make_engine: EngineFactory, params: Mapping[str, float]
) -> None:
    """NaN, infinities, the f32 extremes and subnormals mixed into music:
    every output sample is finite and zero or normal, and the music after
    them comes out as the wasm engine's does (huge levels leave a long
    release behind them in both)."""
    left, right, resume = hostile_then_music(6000)
    x = np.stack([left, right])
    loud = {**params, "compressor_makeup_db": 24.0}
    got = js_comp(built_dist, loud, x, blocks=(100,)).output
    assert_clean(got)
    e = make_engine("simd", sample_rate_hz=FS, tracks=1, quantum_frames=128, max_quanta=64)
    e.set_insert(1, "compressor", track=0)
    e.set_many(loud, 0, slot=1)
    e.reset()
    want = render_with_changes(e, x, slot=1)
    assert error_db(got[:, resume:], want[:, resume:]) < ENGINE_AGREEMENT_DB
