"""The EQ is three biquads, the RBJ cookbook's shelves around a bell matched
to its analog prototype: its impulse response matches scipy.signal.lfilter
and its magnitude response matches scipy.signal.freqz of the same
coefficients, computed independently in float64 (tests/reference.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from tests.reference import high_shelf, low_shelf, peaking

# float32 processing against a float64 reference: coefficient rounding to
# f32 plus per-sample rounding, over a 2^15-sample response.
IMPULSE_ATOL = 1e-5
MAGNITUDE_TOL_DB = 0.01

SETTINGS = {
    "low_hz": 150.0,
    "low_gain_db": 6.0,
    "mid_hz": 1000.0,
    "mid_gain_db": -4.0,
    "mid_q": 1.5,
    "high_hz": 5000.0,
    "high_gain_db": 3.0,
}


def reference_cascade(fs: float) -> list[tuple[np.ndarray, np.ndarray]]:
    s = SETTINGS
    return [
        low_shelf(fs, s["low_hz"], s["low_gain_db"]),
        peaking(fs, s["mid_hz"], s["mid_q"], s["mid_gain_db"]),
        high_shelf(fs, s["high_hz"], s["high_gain_db"]),
    ]


def impulse_response(make_engine, runtime: str, fs: float, n: int) -> np.ndarray:
    e = make_engine(runtime, sample_rate_hz=fs)
    e.set_many(SETTINGS)
    e.reset()
    x = np.zeros((2, n), np.float32)
    x[0, 0] = 1.0
    return e.render(x)


@pytest.mark.parametrize("fs", [22050.0, 44100.0, 48000.0, 96000.0])
def test_impulse_response_matches_lfilter(make_engine, runtime: str, fs: float) -> None:
    n = 1 << 15
    y = impulse_response(make_engine, runtime, fs, n)[0].astype(np.float64)
    ref = np.zeros(n)
    ref[0] = 1.0
    for b, a in reference_cascade(fs):
        ref = signal.lfilter(b, a, ref)
    err = np.max(np.abs(y - ref))
    assert err < IMPULSE_ATOL, f"max |wasm - lfilter| = {err:.2e}"


@pytest.mark.parametrize("fs", [44100.0, 48000.0])
def test_magnitude_response_matches_freqz(make_engine, runtime: str, fs: float) -> None:
    n = 1 << 16
    y = impulse_response(make_engine, runtime, fs, n)[0].astype(np.float64)
    spectrum = np.fft.rfft(y)
    freqs = np.fft.rfftfreq(n, 1 / fs)
    band = (freqs >= 20) & (freqs <= min(20000, 0.45 * fs))
    h = np.ones(band.sum(), dtype=complex)
    for b, a in reference_cascade(fs):
        h *= signal.freqz(b, a, worN=freqs[band], fs=fs)[1]
    err_db = np.abs(20 * np.log10(np.abs(spectrum[band])) - 20 * np.log10(np.abs(h)))
    assert err_db.max() < MAGNITUDE_TOL_DB, f"worst {err_db.max():.4f} dB"


@pytest.mark.parametrize(
    ("freq_hz", "want_db"),
    [
        (20.0, SETTINGS["low_gain_db"]),
        (1000.0, SETTINGS["mid_gain_db"]),
        (18000.0, SETTINGS["high_gain_db"]),
    ],
)
def test_band_gains_land_where_set(
    make_engine, runtime: str, freq_hz: float, want_db: float
) -> None:
    """Measured on the engine's own output: each band's gain at its frequency
    (the other bands add at most a few tenths of a dB there)."""
    fs, n = 48000.0, 1 << 16
    y = impulse_response(make_engine, runtime, fs, n)[0].astype(np.float64)
    spectrum = np.abs(np.fft.rfft(y))
    freqs = np.fft.rfftfreq(n, 1 / fs)
    got_db = 20 * np.log10(spectrum[np.argmin(np.abs(freqs - freq_hz))])
    assert abs(got_db - want_db) < 0.6, f"{got_db:.2f} dB at {freq_hz} Hz"


def test_flat_eq_is_bit_exact_passthrough(make_engine, runtime: str) -> None:
    e = make_engine(runtime)
    x = np.random.default_rng(3).uniform(-1, 1, (2, 9000)).astype(np.float32)
    assert np.array_equal(e.render(x), x)
