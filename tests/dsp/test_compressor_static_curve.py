"""The compressor's steady-state gain follows the hard-knee formula
out = thr + (in - thr)/ratio above the threshold, and its attack and release
are one-pole time constants."""

from __future__ import annotations

import numpy as np
import pytest

from tests.reference import compressor_static_db, db

CURVE_TOL_DB = 0.01  # fast log2/exp2 approximations are good to ~1e-5 dB


@pytest.mark.parametrize(("threshold_db", "ratio"), [(-20.0, 4.0), (-30.0, 2.0), (-6.0, 20.0)])
@pytest.mark.parametrize("level_db", [-40.0, -25.0, -20.0, -12.0, -3.0, 0.0])
def test_steady_state_gain_matches_formula(
    make_engine, runtime: str, threshold_db: float, ratio: float, level_db: float
) -> None:
    e = make_engine(runtime)
    e.set_many(
        {
            "comp_threshold_db": threshold_db,
            "comp_ratio": ratio,
            "comp_attack_ms": 1.0,
            "comp_release_ms": 20.0,
        }
    )
    e.reset()
    level = 10 ** (level_db / 20)
    x = np.full((2, 24000), level, np.float32)  # DC: the detector sees a constant peak
    y = e.render(x)
    got = db(float(y[0, -1]))
    want = compressor_static_db(level_db, threshold_db, ratio)
    assert abs(got - want) < CURVE_TOL_DB, f"{level_db} dB in: got {got:.4f}, want {want:.4f}"
    assert y[0, -1] == y[1, -1]  # one gain for both channels


def test_ratio_one_is_transparent(make_engine, runtime: str) -> None:
    e = make_engine(runtime)
    e.set_many({"comp_threshold_db": -60.0, "comp_ratio": 1.0})
    e.reset()
    x = np.random.default_rng(4).uniform(-1, 1, (2, 5000)).astype(np.float32)
    assert np.array_equal(e.render(x), x)


@pytest.mark.parametrize(("phase", "time_ms"), [("attack", 10.0), ("release", 80.0)])
def test_time_constants(make_engine, runtime: str, phase: str, time_ms: float) -> None:
    fs = 48000
    e = make_engine(runtime, sample_rate_hz=fs)
    e.set_many(
        {
            "comp_threshold_db": -40.0,
            "comp_ratio": 10.0,
            "comp_attack_ms": 10.0,
            "comp_release_ms": 80.0,
        }
    )
    e.reset()
    quiet, loud = 10 ** (-60 / 20), 1.0
    n = fs  # 1 s per segment
    first, second = (quiet, loud) if phase == "attack" else (loud, quiet)
    x = np.concatenate([np.full(n, first), np.full(n, second)]).astype(np.float32)
    y = e.render(np.stack([x, x]))[0].astype(np.float64)
    gain_db = 20 * np.log10(np.abs(y[n:]) / second)
    start, final = 20 * np.log10(np.abs(y[n - 1]) / first), gain_db[-1]
    # One time constant: 1 - 1/e of the way from start to final reduction.
    target = final + (start - final) / np.e
    crossed = (
        int(np.argmax(gain_db <= target))
        if phase == "attack"
        else int(np.argmax(gain_db >= target))
    )
    assert abs(crossed / fs * 1e3 - time_ms) < 0.05 * time_ms
