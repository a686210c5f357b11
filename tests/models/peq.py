"""Reference model of the parametric EQ (dsp_rust/src/units/peq/) in
float64: eight bands in series, band 1 first, each an RBJ Audio EQ Cookbook
biquad (Robert Bristow-Johnson; W3C "Audio EQ Cookbook" note) evaluated with
scipy.signal (``sosfilt``, ``sosfreqz``).

Band types, the value of ``peq_<b>_type``: 0 off (skipped), 1 peaking EQ,
2 low shelf, 3 high shelf, 4 low pass, 5 high pass. With ``A = 10^(gain/40)``,
``w0 = 2 pi f0 / fs`` and ``alpha = sin(w0) / (2 Q)``, the cookbook's
formulas for each; shelves take its Q form (``Q = 1/sqrt(2)`` is its shelf
slope ``S = 1``), low and high pass ignore the gain. ``f0`` is held within
10 Hz and ``0.45 fs``, as the engine does.

The engine realises these transfer functions as trapezoidal state-variable
filters in float32; this model is the plain biquad form in float64.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import signal

F64 = npt.NDArray[np.float64]

BANDS = 8
OFF, PEAK, LOW_SHELF, HIGH_SHELF, LOW_PASS, HIGH_PASS = range(6)
TYPE_NAMES = {
    OFF: "off",
    PEAK: "peak",
    LOW_SHELF: "low shelf",
    HIGH_SHELF: "high shelf",
    LOW_PASS: "low pass",
    HIGH_PASS: "high pass",
}
DEFAULT_HZ = (60.0, 150.0, 400.0, 1000.0, 2500.0, 5000.0, 10000.0, 16000.0)
DEFAULT_GAIN_DB = 0.0
DEFAULT_Q = 0.707
MIN_FREQ_HZ = 10.0
MAX_FREQ_RATIO = 0.45


@dataclass(frozen=True)
class Band:
    """One band's settings: its type (``PEAK`` ...), frequency, gain and Q."""

    kind: int
    hz: float
    gain_db: float = DEFAULT_GAIN_DB
    q: float = DEFAULT_Q

    def describe(self) -> str:
        return f"{TYPE_NAMES[self.kind]} {self.hz:g} Hz {self.gain_db:+g} dB Q {self.q:g}"


def param_names(band: int) -> tuple[str, str, str, str]:
    """The four parameter names of band ``band`` (1 to 8)."""
    p = f"peq_{band}_"
    return p + "type", p + "hz", p + "gain_db", p + "q"


def params_for(bands: Mapping[int, Band]) -> dict[str, float]:
    """Engine parameters that put ``bands`` (band number 1..8 -> settings)
    in place; bands not named keep their defaults (off)."""
    out: dict[str, float] = {}
    for b, band in bands.items():
        t, hz, gain, q = param_names(b)
        out |= {t: float(band.kind), hz: band.hz, gain: band.gain_db, q: band.q}
    return out


def bands_from_params(params: Mapping[str, float]) -> list[Band]:
    """The eight bands, in series order, that engine ``params`` describe
    (unset parameters at their defaults)."""
    bands = []
    for b in range(1, BANDS + 1):
        t, hz, gain, q = param_names(b)
        bands.append(
            Band(
                kind=round(params.get(t, OFF)),
                hz=params.get(hz, DEFAULT_HZ[b - 1]),
                gain_db=params.get(gain, DEFAULT_GAIN_DB),
                q=params.get(q, DEFAULT_Q),
            )
        )
    return bands


def rbj_sos(band: Band, fs: float) -> F64:
    """The cookbook biquad of ``band`` at sample rate ``fs`` as one
    second-order section ``[b0, b1, b2, 1, a1, a2]``."""
    f0 = min(max(band.hz, MIN_FREQ_HZ), MAX_FREQ_RATIO * fs)
    w0 = 2 * math.pi * f0 / fs
    c, s = math.cos(w0), math.sin(w0)
    a = 10 ** (band.gain_db / 40)
    alpha = s / (2 * band.q)
    k = 2 * math.sqrt(a) * alpha
    if band.kind == PEAK:
        b = [1 + alpha * a, -2 * c, 1 - alpha * a]
        d = [1 + alpha / a, -2 * c, 1 - alpha / a]
    elif band.kind == LOW_SHELF:
        b = [
            a * ((a + 1) - (a - 1) * c + k),
            2 * a * ((a - 1) - (a + 1) * c),
            a * ((a + 1) - (a - 1) * c - k),
        ]
        d = [(a + 1) + (a - 1) * c + k, -2 * ((a - 1) + (a + 1) * c), (a + 1) + (a - 1) * c - k]
    elif band.kind == HIGH_SHELF:
        b = [
            a * ((a + 1) + (a - 1) * c + k),
            -2 * a * ((a - 1) + (a + 1) * c),
            a * ((a + 1) + (a - 1) * c - k),
        ]
        d = [(a + 1) - (a - 1) * c + k, 2 * ((a - 1) - (a + 1) * c), (a + 1) - (a - 1) * c - k]
    elif band.kind == LOW_PASS:
        b = [(1 - c) / 2, 1 - c, (1 - c) / 2]
        d = [1 + alpha, -2 * c, 1 - alpha]
    elif band.kind == HIGH_PASS:
        b = [(1 + c) / 2, -(1 + c), (1 + c) / 2]
        d = [1 + alpha, -2 * c, 1 - alpha]
    else:
        b, d = [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]
    return np.array(b + d, dtype=np.float64) / d[0]


def cascade_sos(bands: Iterable[Band], fs: float) -> F64:
    """The bands that are on, in series, as an ``(n, 6)`` SOS array (one
    identity section when every band is off)."""
    rows = [rbj_sos(b, fs) for b in bands if b.kind != OFF]
    if not rows:
        rows = [np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0])]
    return np.vstack(rows)


def process(bands: Sequence[Band], fs: float, x: npt.ArrayLike) -> F64:
    """``x`` through the cascade (float64, zero initial state)."""
    return np.asarray(signal.sosfilt(cascade_sos(bands, fs), np.asarray(x, np.float64)))


def impulse_response(bands: Sequence[Band], fs: float, n: int) -> F64:
    """The first ``n`` samples of the cascade's impulse response."""
    x = np.zeros(n)
    x[0] = 1.0
    return process(bands, fs, x)


def magnitude_db(bands: Sequence[Band], fs: float, freqs_hz: npt.ArrayLike) -> F64:
    """The cascade's magnitude response in dB at ``freqs_hz``."""
    _, h = signal.sosfreqz(cascade_sos(bands, fs), worN=np.asarray(freqs_hz, float), fs=fs)
    return np.asarray(20 * np.log10(np.abs(h)))
