"""Reference models in float64, written from the papers and specs the DSP
cites, independently of the Rust code: RBJ cookbook shelves, bells and
passes matched to their analog prototypes (Vicanek 2016), the Web Audio
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


def _radians(fs: float, f0: float) -> float:
    return float(2 * np.pi * min(max(f0, 10.0), 0.45 * fs) / fs)


def _impulse_invariant_poles(w0: float, q: float) -> npt.NDArray[np.float64]:
    """``[1, a1, a2]``: the poles of ``s² + s·ω0/q + ω0²`` mapped by ``z = e^{sT}``."""
    poles = np.roots([1.0, w0 / q, w0 * w0]).astype(complex)
    return np.real(np.poly(np.exp(poles)))


def _power_basis(w: float) -> npt.NDArray[np.float64]:
    """``[φ0, φ1, φ2]`` at ``w`` and their derivatives in ``w`` (rows)."""
    p1 = np.sin(w / 2) ** 2
    p0 = 1 - p1
    d1 = np.sin(w) / 2
    return np.array([[p0, p1, 4 * p0 * p1], [-d1, d1, 4 * d1 * (p0 - p1)]])


def _squares(c: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``[C0, C1, C2]`` of a quadratic ``c``: its squared magnitude is ``C·φ``."""
    return np.array([c.sum() ** 2, (c[0] - c[1] + c[2]) ** 2, -4 * c[0] * c[2]])


def _minimum_phase(big: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The minimum-phase quadratic whose squared magnitude is ``big·φ``,
    by spectral factorisation of its autocorrelation."""
    r2 = -big[2] / 4
    r1 = (big[0] - big[1]) / 4
    r0 = (big[0] + big[1]) / 2 - 2 * r2
    if abs(r2) < 1e-300:
        if abs(r1) < 1e-300:
            return np.array([np.sqrt(r0), 0.0, 0.0])
        roots = np.roots([r1, r0, r1])
        z = roots[np.argmin(np.abs(roots))]
        c = np.real(np.poly([z]))
        c = np.append(c, 0.0)
    else:
        roots = np.roots([r2, r1, r0, r1, r2])
        inside = roots[np.argsort(np.abs(roots))[:2]]
        c = np.real(np.poly(inside))
    return c * np.sqrt(r0 / np.sum(c * c))


def peaking(fs: float, f0: float, q: float, gain_db: float) -> Coefs:
    """Peaking EQ matched to the RBJ cookbook's analog prototype
    ``(s² + s·A/q + 1)/(s² + s/(A·q) + 1)``: impulse-invariant poles, and a
    numerator whose squared magnitude is 1 at DC and ``A⁴`` with zero slope at
    the centre (M. Vicanek, Matched Second Order Digital Filters, 2016); a
    cut is the reciprocal of the boost by as many dB, as its prototype is."""
    if gain_db < 0:
        num, den = peaking(fs, f0, q, -gain_db)
        return den / num[0], num / num[0]
    a = 10 ** (gain_db / 40)
    w0 = _radians(fs, f0)
    den = _impulse_invariant_poles(w0, a * q)
    big_a = _squares(den)
    basis = _power_basis(w0)
    rows = np.array([[1.0, 0.0, 0.0], basis[0], basis[1]])
    rhs = np.array([big_a[0], a**4 * (big_a @ basis[0]), a**4 * (big_a @ basis[1])])
    return _minimum_phase(np.linalg.solve(rows, rhs)), den


def low_pass(fs: float, f0: float, q: float) -> Coefs:
    """Low-pass matched to ``1/(s² + s/q + 1)``: 1 at DC and ``q`` at the corner,
    no zero at Nyquist (``b2 = 0``)."""
    w0 = _radians(fs, f0)
    den = _impulse_invariant_poles(w0, q)
    big_a = _squares(den)
    basis = _power_basis(w0)[0]
    rows = np.array([[1.0, 0.0, 0.0], basis, [0.0, 0.0, 1.0]])
    rhs = np.array([big_a[0], q * q * (big_a @ basis), 0.0])
    return _minimum_phase(np.linalg.solve(rows, rhs)), den


def high_pass(fs: float, f0: float, q: float) -> Coefs:
    """High-pass matched to ``s²/(s² + s/q + 1)``: a double zero at DC and
    ``q`` at the corner."""
    w0 = _radians(fs, f0)
    den = _impulse_invariant_poles(w0, q)
    basis = _power_basis(w0)[0]
    zeros = np.array([1.0, -2.0, 1.0])
    gain = np.sqrt(q * q * (_squares(den) @ basis) / (_squares(zeros) @ basis))
    return gain * zeros, den


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
