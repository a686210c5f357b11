"""Pan follows the Web Audio StereoPannerNode law (centre is unity on both
channels, a hard pan folds the other channel in); fader and master gains are
in dB; mute is silence."""

from __future__ import annotations

import numpy as np
import pytest

from tests.reference import stereo_panner

PAN_TOL = 1e-6


def signals(n: int = 3000) -> np.ndarray:
    t = np.arange(n)
    return np.stack([np.sin(t * 0.031) * 0.5, np.sin(t * 0.077 + 1) * 0.4]).astype(np.float32)


@pytest.mark.parametrize("pan", [-1.0, -0.5, 0.0, 0.3, 1.0])
def test_pan_law(make_engine, runtime: str, pan: float) -> None:
    e = make_engine(runtime)
    e.set("pan", pan)
    e.reset()
    x = signals()
    y = e.render(x)
    want_l, want_r = stereo_panner(x[0].astype(np.float64), x[1].astype(np.float64), pan)
    assert np.max(np.abs(y[0] - want_l)) < PAN_TOL
    assert np.max(np.abs(y[1] - want_r)) < PAN_TOL


def test_pan_extremes_and_centre_exactly(make_engine, runtime: str) -> None:
    x = signals()
    out = {}
    for pan in (-1.0, 0.0, 1.0):
        e = make_engine(runtime)
        e.set("pan", pan)
        e.reset()
        out[pan] = e.render(x)
    assert np.array_equal(out[0.0], x)
    assert np.all(out[-1.0][1] == 0.0) and np.allclose(out[-1.0][0], x[0] + x[1], atol=1e-7)
    assert np.all(out[1.0][0] == 0.0) and np.allclose(out[1.0][1], x[0] + x[1], atol=1e-7)


@pytest.mark.parametrize("gain_db", [-96.0, -20.0, -6.0, 0.0, 6.0, 12.0])
@pytest.mark.parametrize("param", ["gain_db", "master_gain_db"])
def test_gain_in_db(make_engine, runtime: str, gain_db: float, param: str) -> None:
    e = make_engine(runtime)
    e.set(param, gain_db)
    e.reset()
    x = signals()
    y = e.render(x).astype(np.float64)
    want = x.astype(np.float64) * 10 ** (gain_db / 20)
    assert np.max(np.abs(y - want)) <= 1e-6 * max(1.0, 10 ** (gain_db / 20))


def test_mute_is_silence(make_engine, runtime: str) -> None:
    e = make_engine(runtime)
    e.set("mute", 1)
    e.reset()
    assert np.all(e.render(signals()) == 0.0)
