"""The JavaScript channel strip (web/static/dawg-js-strip.js, class Strip:
one track's EQ and compressor) and fader/pan (dawg-js-gainpan.js) run under
real node, against the float64 references that test the wasm strip (RBJ
biquads from tests/reference.py, the textbook compressor curve, the Web
Audio panner) and against the wasm engine itself.

Tolerances, and why:

* EQ impulse response against scipy's lfilter of the RBJ coefficients:
  1e-5 absolute (the wasm strip's bound: the coefficients' f32 rounding).
* Compressor static curve: 0.05 dB from the textbook formula at steady state.
* Against the wasm engine (one track fed by its input, unity fader and
  centre pan, which pass a sample through unchanged, so the master output is
  the strip's): the largest difference at least 80 dB below the output's
  peak, with parameter ramps in the signal. The wasm EQ runs in f32, the JS
  one with f64 state; measured about -95 dB (the f32 rounding noise of the
  wasm's shelves).
* Block splits, reset, pause and resume, the decaying tail, hostile input:
  exact.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from scipy import signal

from tests.conftest import EngineFactory
from tests.jsengine.insert_checks import ENGINE_AGREEMENT_DB, assert_clean, error_db
from tests.jsengine.insert_checks import hostile_then_music as hostile_music
from tests.jsengine.node_units import Call, JsRun, js_export, render_with_changes, run_js_unit
from tests.models.compressor import textbook_output_db
from tests.reference import high_shelf, low_shelf, peaking, stereo_panner

F32 = npt.NDArray[np.float32]
FS = 48000.0

# The reference strip of the JS-vs-WASM benchmark (/work/shared/MEASURING.md).
BENCH = {
    "low_hz": 200.0,
    "low_gain_db": 3.0,
    "mid_hz": 1000.0,
    "mid_gain_db": -2.0,
    "high_hz": 3000.0,
    "high_gain_db": 2.0,
    "comp_threshold_db": -18.0,
    "comp_ratio": 4.0,
    "comp_attack_ms": 3.0,
    "comp_release_ms": 100.0,
}

SETTINGS = [
    BENCH,
    {"low_hz": 40.0, "low_gain_db": -12.0, "mid_q": 6.0, "mid_gain_db": 9.0, "high_hz": 16000.0},
    {
        "comp_threshold_db": -40.0,
        "comp_ratio": 20.0,
        "comp_knee_db": 12.0,
        "comp_makeup_db": 12.0,
        "comp_detector": 1.0,
        "comp_link": 0.3,
        "comp_attack_ms": 0.1,
        "comp_release_ms": 2000.0,
    },
]

# Changes while the signal runs (each ramps over its row's smoothing time).
CHANGES = (
    (1000, "low_gain_db", -9.0),
    (1000, "mid_hz", 350.0),
    (4567, "high_gain_db", 6.0),
    (4567, "mid_q", 3.0),
    (6000, "comp_makeup_db", 6.0),
    (9001, "comp_detector", 1.0),
    (12000, "high_hz", 1500.0),
    (13333, "comp_link", 0.0),
)


def manifest_rows(dist: Path) -> list[dict[str, Any]]:
    rows = json.loads((dist / "manifest.json").read_text())["params"]
    return [p for p in rows if p["name"] in STRIP_NAMES]


STRIP_NAMES = tuple(js_export("dawg-js-strip.js", "STRIP_PARAM_NAMES"))


def smoothing(dist: Path) -> dict[str, float]:
    return {str(p["name"]): float(p["smoothing_ms"]) for p in manifest_rows(dist)}


def js_strip(
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
    """The JS strip as the engine drives it: ``params`` set (rounded to f32,
    with their rows' smoothing times), a reset, then ``x`` in ``blocks``."""
    ms = smoothing(dist)
    sets = [(STRIP_NAMES.index(k), float(np.float32(v)), ms[k]) for k, v in params.items()]
    later = [
        Call(f, "set", (STRIP_NAMES.index(k), float(np.float32(v)), ms[k])) for f, k, v in changes
    ]
    return run_js_unit(
        "dawg-js-strip.js",
        "Strip",
        [fs],
        x,
        sets=sets,
        calls=[Call(0, "resetLane"), *later, *calls],
        blocks=blocks,
        probes=probes,
    )


def engine_strip(
    make_engine: EngineFactory,
    runtime: str,
    params: Mapping[str, float],
    x: F32,
    changes: Sequence[tuple[int, str, float]] = (),
) -> F32:
    e = make_engine(runtime, sample_rate_hz=FS, tracks=1, quantum_frames=128, max_quanta=64)
    e.set_many(dict(params), 0)
    e.reset()
    return render_with_changes(e, x, changes)


def music(frames: int, seed: int = 21) -> F32:
    """Noise whose level jumps every 50 ms between -40 and 0 dBFS."""
    rng = np.random.default_rng(seed)
    env = np.repeat(10 ** (rng.uniform(-40, 0, frames // 2400 + 1) / 20), 2400)[:frames]
    return (rng.uniform(-1, 1, (2, frames)) * env).astype(np.float32)


def test_js_strip_rows_are_the_manifests(built_dist: Path) -> None:
    rows = json.loads((built_dist / "manifest.json").read_text())["params"]
    strip = [p for p in rows if p["owner"] == "" and p["id"] < 15]
    assert list(STRIP_NAMES) == [p["name"] for p in strip]
    defaults = js_export("dawg-js-strip.js", "STRIP_DEFAULTS")
    assert [float(np.float32(d)) for d in defaults] == [
        float(np.float32(p["default"])) for p in strip
    ]


@pytest.mark.parametrize("fs", [22050.0, 44100.0, 48000.0, 96000.0])
def test_js_strip_eq_impulse_response_matches_lfilter(built_dist: Path, fs: float) -> None:
    s = {
        "low_hz": 150.0,
        "low_gain_db": 6.0,
        "mid_hz": 1000.0,
        "mid_gain_db": -4.0,
        "mid_q": 1.5,
        "high_hz": 5000.0,
        "high_gain_db": 3.0,
    }
    n = 1 << 15
    x = np.zeros((2, n), np.float32)
    x[0, 0] = 1.0
    y = js_strip(built_dist, s, x, fs=fs, blocks=(4096,)).output[0].astype(np.float64)
    ref = np.zeros(n)
    ref[0] = 1.0
    for b, a in (
        low_shelf(fs, s["low_hz"], s["low_gain_db"]),
        peaking(fs, s["mid_hz"], s["mid_q"], s["mid_gain_db"]),
        high_shelf(fs, s["high_hz"], s["high_gain_db"]),
    ):
        ref = signal.lfilter(b, a, ref)
    assert float(np.max(np.abs(y - ref))) < 1e-5


def test_js_strip_flat_is_a_bit_exact_wire(built_dist: Path) -> None:
    x = np.random.default_rng(3).uniform(-1, 1, (2, 9000)).astype(np.float32)
    np.testing.assert_array_equal(js_strip(built_dist, {}, x).output, x)


@pytest.mark.parametrize(
    ("threshold_db", "ratio", "knee_db"), [(-20.0, 4.0, 0.0), (-30.0, 10.0, 24.0)]
)
def test_js_strip_compressor_static_curve_matches_the_textbook_formula(
    built_dist: Path, threshold_db: float, ratio: float, knee_db: float
) -> None:
    levels_db = np.arange(-48.0, 0.1, 3.0)
    step = 9600
    x = np.repeat(10 ** (levels_db / 20), step).astype(np.float32)
    params = {
        "comp_threshold_db": threshold_db,
        "comp_ratio": ratio,
        "comp_knee_db": knee_db,
        "comp_attack_ms": 1.0,
        "comp_release_ms": 20.0,
    }
    out = js_strip(built_dist, params, np.stack([x, x])).output
    for k, level in enumerate(levels_db):
        got = 20 * np.log10(float(out[0, (k + 1) * step - 1]))
        want = textbook_output_db(float(level), threshold_db, ratio, knee_db)
        assert abs(got - want) < 0.05, f"{level} dB in: {got:.4f}, want {want:.4f}"


@pytest.mark.parametrize("runtime", ["simd", "scalar"])
@pytest.mark.parametrize("params", SETTINGS)
def test_js_strip_matches_the_wasm_engine(
    built_dist: Path, make_engine: EngineFactory, runtime: str, params: Mapping[str, float]
) -> None:
    x = music(24000)
    want = engine_strip(make_engine, runtime, params, x, CHANGES)
    got = js_strip(built_dist, params, x, changes=CHANGES).output
    assert error_db(got, want) < ENGINE_AGREEMENT_DB


def test_js_strip_and_fader_match_the_wasm_engine_and_the_panner(
    built_dist: Path, make_engine: EngineFactory
) -> None:
    """The benchmark's strip with its fader (-2 dB) and pan (0.3), a pan
    change ramping over 10 ms on the way: strip then GainPan in JS against
    the engine; and at rest, the Web Audio panner law on the strip's output."""
    x = music(12000, seed=4)
    params = {**BENCH, "gain_db": -2.0, "pan": 0.3}
    want = engine_strip(make_engine, "simd", params, x, [(6000, "pan", -0.6)])
    strip = js_strip(built_dist, BENCH, x).output
    steps = round(10.0 * 1e-3 * FS)
    got = run_js_unit(
        "dawg-js-gainpan.js",
        "GainPan",
        [-2.0, float(np.float32(0.3)), False],
        strip,
        calls=[Call(6000, "setPan", (float(np.float32(-0.6)), steps))],
    ).output
    assert error_db(got, want) < ENGINE_AGREEMENT_DB
    g = 10 ** (-2.0 / 20)
    wet = strip[:, :6000].astype(np.float64) * g
    ref_l, ref_r = stereo_panner(wet[0], wet[1], 0.3)
    np.testing.assert_allclose(got[0, :6000], ref_l, atol=1e-6)
    np.testing.assert_allclose(got[1, :6000], ref_r, atol=1e-6)


def test_js_strip_output_is_independent_of_the_block_size(built_dist: Path) -> None:
    x = music(20000, seed=5)
    params = SETTINGS[2] | BENCH
    runs = [
        js_strip(built_dist, params, x, blocks=b, changes=CHANGES).output
        for b in ((128,), (1, 7, 64, 300, 2, 129), (4096,))
    ]
    assert not np.array_equal(runs[0], x)
    for other in runs[1:]:
        assert np.array_equal(other, runs[0])


def test_js_strip_reset_equals_a_fresh_strip(built_dist: Path) -> None:
    x = music(16000, seed=6)
    k = 7003  # off the 16-frame update grid: the reset restarts it
    mid = [(k - 200, "low_gain_db", -6.0), (k - 100, "comp_makeup_db", 4.0)]
    after = js_strip(built_dist, BENCH, x, changes=mid, calls=[Call(k, "resetLane")]).output
    settled = {**BENCH, "low_gain_db": -6.0, "comp_makeup_db": 4.0}
    fresh = js_strip(built_dist, settled, x[:, k:]).output
    assert not np.array_equal(after[:, :k], x[:, :k])
    assert np.array_equal(after[:, k:], fresh)


def test_js_strip_pause_stands_still_and_resumes_where_it_stopped(built_dist: Path) -> None:
    """Paused for 1000 frames (mid-ramp, off the update grid): exact zeros
    out, then the strip carries on as if those frames had never been."""
    x = music(12000, seed=7)
    a, b = 5003, 6003
    changes = [(4990, "mid_gain_db", 8.0), (4990, "comp_makeup_db", 5.0)]
    paused = js_strip(
        built_dist,
        BENCH,
        x,
        changes=changes,
        calls=[Call(a, "setPaused", (True,)), Call(b, "setPaused", (False,))],
    ).output
    assert np.all(paused[:, a:b] == 0.0)
    skipped = np.concatenate([x[:, :a], x[:, b:]], axis=1)
    straight = js_strip(built_dist, BENCH, skipped, changes=changes).output
    assert np.array_equal(paused[:, :a], straight[:, :a])
    assert np.array_equal(paused[:, b:], straight[:, a:])


def test_js_strip_impulse_tail_ends_in_exact_zeros_and_goes_quiet(built_dist: Path) -> None:
    n = 96000
    x = np.zeros((2, n), np.float32)
    x[:, 0] = 1.0
    run = js_strip(built_dist, BENCH, x, probes=("isQuiet",))
    nonzero = np.flatnonzero(np.any(run.output != 0, axis=0))
    assert 0 < nonzero[-1] < 8192, f"last non-zero frame {nonzero[-1]}"
    quiet = run.probes["isQuiet"]
    assert quiet[0] is False
    assert quiet[-1] is True


def test_js_strip_hostile_input_stays_finite_and_normal(
    built_dist: Path, make_engine: EngineFactory
) -> None:
    """NaN, infinities, the f32 extremes and subnormals mixed into music,
    with +24 dB shelves: every output sample is finite and zero or normal.
    Without compression the music after them comes out as the wasm engine's
    does (sections that overflow f32 restart from silence in both); with it,
    the huge levels leave a reduction behind that takes seconds to release."""
    left, right, resume = hostile_music(6000)
    x = np.stack([left, right])
    for params in SETTINGS:
        loud = {**params, "low_gain_db": 24.0, "high_gain_db": 24.0}
        got = js_strip(built_dist, loud, x, blocks=(100,)).output
        assert_clean(got)
        if "comp_ratio" not in params:
            want = engine_strip(make_engine, "simd", loud, x)
            assert error_db(got[:, resume:], want[:, resume:]) < ENGINE_AGREEMENT_DB


@pytest.mark.parametrize("params", [BENCH, {**BENCH, "comp_knee_db": 6.0, "comp_makeup_db": 3.0}])
def test_js_strip_fused_pass_gives_the_bits_of_three_passes(
    built_dist: Path, params: Mapping[str, float]
) -> None:
    """``process`` runs flush, EQ and a linked peak compressor in one pass
    per frame; ``processPasses`` one after another: the same bits, through
    ramps, a link change (which leaves the fused pass) and back."""
    x = music(20000, seed=8)
    changes = [*CHANGES[:5], (9000, "comp_link", 0.5), (15000, "comp_link", 1.0)]
    fused = js_strip(built_dist, params, x, changes=changes).output
    passes = run_js_unit(
        "dawg-js-strip.js",
        "Strip",
        [FS],
        x,
        sets=[
            (STRIP_NAMES.index(k), float(np.float32(v)), smoothing(built_dist)[k])
            for k, v in params.items()
        ],
        calls=[
            Call(0, "resetLane"),
            *[
                Call(
                    f, "set", (STRIP_NAMES.index(k), float(np.float32(v)), smoothing(built_dist)[k])
                )
                for f, k, v in changes
            ],
        ],
        process="processPasses",
    ).output
    assert not np.array_equal(fused, x)
    assert np.array_equal(fused, passes)


def test_js_strip_fused_pass_overflows_as_three_passes(built_dist: Path) -> None:
    """Hostile input (NaN, infinities, the f32 extremes, subnormals) through
    +24 dB shelves and the compressor: the sections that overflow, and when
    they come back, are the same in the fused pass as in three passes."""
    left, right, _ = hostile_music(6000)
    x = np.stack([left, right])
    params = {**BENCH, "low_gain_db": 24.0, "high_gain_db": 24.0}
    sets = [(STRIP_NAMES.index(k), float(np.float32(v)), 0.0) for k, v in params.items()]
    runs = [
        run_js_unit(
            "dawg-js-strip.js", "Strip", [FS], x, sets=sets, blocks=(100, 37), process=process
        ).output
        for process in ("process", "processPasses")
    ]
    assert np.count_nonzero(runs[0]) > x.size // 2
    assert np.array_equal(runs[0], runs[1])
