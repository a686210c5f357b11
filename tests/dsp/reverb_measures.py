"""Measurements of a reverb's impulse response shared by the reverb tests:
decay time from the Schroeder backward integral, the normalized echo
density of Abel and Huang, and the spread of the decay-compensated tail
spectrum."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

#: erfc(1/sqrt(2)): the share of a Gaussian's samples beyond one standard deviation.
GAUSS_OUTSIDE = math.erfc(1.0 / math.sqrt(2.0))


def decay_time_s(x: npt.ArrayLike, sample_rate_hz: float) -> float:
    """T60 from the Schroeder backward integral, fitted (least squares) between -5 and -35 dB."""
    h = np.asarray(x, np.float64)
    energy = np.cumsum(h[::-1] ** 2)[::-1]
    db = 10 * np.log10(energy / energy[0] + 1e-300)
    start = int(np.argmax(db < -5.0))
    end = int(np.argmax(db < -35.0))
    t = np.arange(start, end) / sample_rate_hz
    slope = np.polyfit(t, db[start:end], 1)[0]
    return -60.0 / slope


def echo_density(x: npt.ArrayLike, sample_rate_hz: float, window_ms: float = 20.0) -> F64:
    """Normalized echo density (Abel and Huang 2006) per frame: in a Hann
    window of ``window_ms`` centred on the frame, the weighted share of
    samples beyond the window's weighted standard deviation, over the
    Gaussian's share (1 for Gaussian noise, near 0 for sparse echoes)."""
    h = np.asarray(x, np.float64)
    n = round(window_ms * 1e-3 * sample_rate_hz) | 1
    w = np.hanning(n + 2)[1:-1]
    w /= w.sum()
    half = n // 2
    padded = np.concatenate([np.zeros(half), h, np.zeros(half)])
    frames = np.lib.stride_tricks.sliding_window_view(padded, n)
    sigma = np.sqrt(frames**2 @ w)
    outside = (np.abs(frames) > sigma[:, None]) @ w
    return np.asarray(outside / GAUSS_OUTSIDE, np.float64)


def first_time_at_least_s(ned: F64, level: float, sample_rate_hz: float) -> float:
    """The first time the echo density reaches ``level`` (inf if never)."""
    hits = np.flatnonzero(ned >= level)
    return float(hits[0] / sample_rate_hz) if len(hits) else math.inf


def tail_spectrum_std_db(
    x: npt.ArrayLike,
    sample_rate_hz: float,
    t60_s: float,
    start_s: float = 0.1,
    length_s: float = 1.0,
    lo_hz: float = 200.0,
    hi_hz: float = 8000.0,
    smoothing_octaves: float = 1.0 / 3.0,
) -> float:
    """Standard deviation in dB of the tail's magnitude spectrum: the frames
    from ``start_s`` for ``length_s``, multiplied by ``10^(3t/T60)`` (undoing
    the decay), power spectrum smoothed over ``smoothing_octaves`` (the mean
    power of the bins within half of it either side, at least the nearest
    bin), read at 200 log-spaced frequencies from ``lo_hz`` to ``hi_hz``."""
    h = np.asarray(x, np.float64)
    a = int(start_s * sample_rate_hz)
    seg = h[a : a + int(length_s * sample_rate_hz)]
    t = np.arange(len(seg)) / sample_rate_hz
    seg = seg * 10.0 ** (3.0 * t / t60_s)
    power = np.abs(np.fft.rfft(seg)) ** 2
    freqs = np.fft.rfftfreq(len(seg), 1.0 / sample_rate_hz)
    cum = np.concatenate([[0.0], np.cumsum(power)])
    points = np.geomspace(lo_hz, hi_hz, 200)
    lo = np.searchsorted(freqs, points * 2 ** (-smoothing_octaves / 2))
    hi = np.maximum(np.searchsorted(freqs, points * 2 ** (smoothing_octaves / 2)), lo + 1)
    smoothed = (cum[hi] - cum[lo]) / (hi - lo)
    return float(np.std(10 * np.log10(smoothed)))
