"""Bells and passes keep their analog shape up to 20 kHz: the strip's mid
band and the peq's peaks, low and high passes are matched to the cookbook's
analog prototypes (M. Vicanek, Matched Second Order Digital Filters, 2016)
instead of bilinear-transformed, so a band high in the spectrum is no
longer narrowed and pulled down towards Nyquist.

The engine's own impulse response (wasm under wasmtime) is compared with
the analog prototype's magnitude, written here from its s-domain formula;
the cookbook design of the same settings is the baseline it must never
fall behind."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

from dawgwasm import Engine
from tests.models.peq import HIGH_PASS, LOW_PASS, PEAK, Band, band_sos, params_for
from tests.signals import impulse

F64 = npt.NDArray[np.float64]
RenderUnit = Callable[..., tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]]

#: Largest departure from the analog prototype, 20 Hz to 20 kHz, for the
#: settings below (where the analog response is above -30 dB).
TOLERANCE_DB = 0.5
FLOOR_DB = -30.0


def analog_db(band: Band, freqs: F64) -> F64:
    """|H(jΩ)| in dB of the cookbook's analog prototypes, Ω = f / f0."""
    s = 1j * freqs / band.hz
    if band.kind == PEAK:
        a = 10 ** (band.gain_db / 40)
        h = (s * s + s * a / band.q + 1) / (s * s + s / (a * band.q) + 1)
    elif band.kind == LOW_PASS:
        h = 1 / (s * s + s / band.q + 1)
    else:
        h = s * s / (s * s + s / band.q + 1)
    return np.asarray(20 * np.log10(np.abs(h)))


def cookbook_db(band: Band, fs: float, freqs: F64) -> F64:
    """The bilinear-transformed RBJ cookbook biquad of the same band, in dB."""
    w0 = 2 * np.pi * band.hz / fs
    c, alpha = np.cos(w0), np.sin(w0) / (2 * band.q)
    a = 10 ** (band.gain_db / 40)
    if band.kind == PEAK:
        b, d = [1 + alpha * a, -2 * c, 1 - alpha * a], [1 + alpha / a, -2 * c, 1 - alpha / a]
    elif band.kind == LOW_PASS:
        b, d = [(1 - c) / 2, 1 - c, (1 - c) / 2], [1 + alpha, -2 * c, 1 - alpha]
    else:
        b, d = [(1 + c) / 2, -(1 + c), (1 + c) / 2], [1 + alpha, -2 * c, 1 - alpha]
    z = np.exp(-2j * np.pi * freqs / fs)
    h = np.polyval(b[::-1], z) / np.polyval(d[::-1], z)
    return np.asarray(20 * np.log10(np.abs(h)))


def response_db(h: npt.NDArray[np.float32], fs: float, freqs: F64) -> F64:
    n = np.arange(h.size)
    basis = np.exp(-2j * np.pi * np.outer(freqs, n) / fs)
    return np.asarray(20 * np.log10(np.abs(basis @ h.astype(np.float64))))


FREQS = np.geomspace(20.0, 20000.0, 400)

# Bells and corners in the top octaves, where the cookbook departs by 1.5 to
# 9 dB. Not every setting is within 0.5 dB: over bells of ±3…12 dB, Q 0.5…4
# from 1 kHz up, 83 % (44.1 kHz) and 90 % (48 kHz) are, the worst 1.4 dB;
# low-passes with their corner above 10 kHz reach 1.4 dB at 20 kHz (44.1 kHz).
BANDS = [
    Band(PEAK, 16000.0, 6.0, 1.0),
    Band(PEAK, 16000.0, -6.0, 1.0),
    Band(PEAK, 12000.0, 3.0, 2.0),
    Band(PEAK, 18000.0, 4.0, 0.707),
    Band(LOW_PASS, 18000.0, 0.0, 0.707),
    Band(HIGH_PASS, 16000.0, 0.0, 0.707),
]


def _departure(band: Band, got_db: F64) -> tuple[float, float]:
    want = analog_db(band, FREQS)
    audible = want >= FLOOR_DB
    return float(np.abs(got_db - want)[audible].max()), float(want[audible].size)


@pytest.mark.parametrize("fs", [44100.0, 48000.0])
@pytest.mark.parametrize("band", BANDS, ids=[b.describe() for b in BANDS])
def test_peq_bells_and_passes_follow_the_analog_prototype_to_20_khz(
    render_unit: RenderUnit, fs: float, band: Band
) -> None:
    x = impulse(1 << 13)
    left, _ = render_unit("peq", params_for({3: band}), x, x, sample_rate_hz=fs)
    got = response_db(left, fs, FREQS)
    err, points = _departure(band, got)
    before, _ = _departure(band, cookbook_db(band, fs, FREQS))
    assert points > 100
    assert err < TOLERANCE_DB, (
        f"{band.describe()} at {fs:g} Hz: {err:.2f} dB (cookbook {before:.2f})"
    )
    assert err < before, f"no better than the cookbook's {before:.2f} dB"


@pytest.mark.parametrize("fs", [44100.0, 48000.0])
def test_strip_mid_bell_follows_the_analog_prototype_to_20_khz(
    make_engine: Callable[..., Engine], runtime: str, fs: float
) -> None:
    band = Band(PEAK, 10000.0, 6.0, 1.0)  # mid_hz goes up to 10 kHz
    e = make_engine(runtime, sample_rate_hz=fs)
    e.set_many({"mid_hz": band.hz, "mid_gain_db": band.gain_db, "mid_q": band.q})
    e.reset()
    x = np.zeros((2, 1 << 13), np.float32)
    x[0, 0] = 1.0
    got = response_db(e.render(x)[0], fs, FREQS)
    err, _ = _departure(band, got)
    before, _ = _departure(band, cookbook_db(band, fs, FREQS))
    assert err < TOLERANCE_DB and err < before, f"{err:.2f} dB (cookbook {before:.2f} dB)"


def test_the_matched_designs_are_never_behind_the_cookbook() -> None:
    """Over bells of ±3…12 dB, Q 0.5…4 and corners from 1 kHz to 0.45 fs,
    the matched designs (the independent float64 models of tests/reference)
    depart from the analog prototype no more than the cookbook does."""
    worse = []
    for fs in (44100.0, 48000.0):
        z = np.exp(-2j * np.pi * FREQS / fs)
        for hz in np.geomspace(1000.0, 0.45 * fs, 8):
            for q in (0.5, 0.707, 1.0, 2.0, 4.0):
                for kind, gain in [(PEAK, g) for g in (-12, -3, 3, 12)] + [
                    (LOW_PASS, 0),
                    (HIGH_PASS, 0),
                ]:
                    band = Band(kind, float(hz), float(gain), q)
                    sos = band_sos(band, fs)
                    h = np.polyval(sos[2::-1], z) / np.polyval(sos[:2:-1], z)
                    err, _ = _departure(band, 20 * np.log10(np.abs(h)))
                    before, _ = _departure(band, cookbook_db(band, fs, FREQS))
                    if err > before + 0.01:
                        worse.append((band.describe(), fs, round(err, 2), round(before, 2)))
    assert worse == []
