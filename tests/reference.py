"""Reference models in float64, written from the papers and specs the DSP
cites, independently of the Rust code: RBJ cookbook biquads, the Web Audio
StereoPannerNode law, a hard-knee compressor's static curve."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Coefs = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]


def _w0(fs: float, f0: float) -> tuple[float, float]:
    f = min(max(f0, 10.0), 0.45 * fs)
    w0 = 2 * np.pi * f / fs
    return float(np.cos(w0)), float(np.sin(w0))


def low_shelf(fs: float, f0: float, gain_db: float) -> Coefs:
    """RBJ Audio EQ Cookbook low shelf, shelf slope S = 1."""
    a = 10 ** (gain_db / 40)
    c, s = _w0(fs, f0)
    alpha = s / 2 * np.sqrt((a + 1 / a) * (1 / 1.0 - 1) + 2)
    k = 2 * np.sqrt(a) * alpha
    b = [
        a * ((a + 1) - (a - 1) * c + k),
        2 * a * ((a - 1) - (a + 1) * c),
        a * ((a + 1) - (a - 1) * c - k),
    ]
    den = [(a + 1) + (a - 1) * c + k, -2 * ((a - 1) + (a + 1) * c), (a + 1) + (a - 1) * c - k]
    return np.array(b) / den[0], np.array(den) / den[0]


def high_shelf(fs: float, f0: float, gain_db: float) -> Coefs:
    """RBJ Audio EQ Cookbook high shelf, shelf slope S = 1."""
    a = 10 ** (gain_db / 40)
    c, s = _w0(fs, f0)
    alpha = s / 2 * np.sqrt((a + 1 / a) * (1 / 1.0 - 1) + 2)
    k = 2 * np.sqrt(a) * alpha
    b = [
        a * ((a + 1) + (a - 1) * c + k),
        -2 * a * ((a - 1) + (a + 1) * c),
        a * ((a + 1) + (a - 1) * c - k),
    ]
    den = [(a + 1) - (a - 1) * c + k, 2 * ((a - 1) - (a + 1) * c), (a + 1) - (a - 1) * c - k]
    return np.array(b) / den[0], np.array(den) / den[0]


def peaking(fs: float, f0: float, q: float, gain_db: float) -> Coefs:
    """RBJ Audio EQ Cookbook peaking EQ."""
    a = 10 ** (gain_db / 40)
    c, s = _w0(fs, f0)
    alpha = s / (2 * q)
    b = [1 + alpha * a, -2 * c, 1 - alpha * a]
    den = [1 + alpha / a, -2 * c, 1 - alpha / a]
    return np.array(b) / den[0], np.array(den) / den[0]


def stereo_panner(
    left: npt.NDArray[np.float64], right: npt.NDArray[np.float64], pan: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """W3C Web Audio API, StereoPannerNode panning algorithm, stereo input."""
    x = pan + 1 if pan <= 0 else pan
    gl, gr = np.cos(x * np.pi / 2), np.sin(x * np.pi / 2)
    if pan <= 0:
        return left + right * gl, right * gr
    return left * gl, right + left * gr


def compressor_static_db(level_db: float, threshold_db: float, ratio: float) -> float:
    """Hard-knee static curve: output level in dB for a steady input level."""
    if level_db <= threshold_db:
        return level_db
    return threshold_db + (level_db - threshold_db) / ratio


def db(x: float) -> float:
    return float(20 * np.log10(x))
