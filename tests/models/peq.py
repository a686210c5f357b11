"""Reference model of the parametric EQ (dsp_rust/src/units/peq/) in
float64: eight bands in series, band 1 first, evaluated with scipy.signal
(``sosfilt``, ``sosfreqz``).

Band types, the value of ``peq_<b>_type``: 0 off (skipped), 1 peaking EQ,
2 low shelf, 3 high shelf, 4 low pass, 5 high pass. Shelves are RBJ Audio EQ
Cookbook biquads (Robert Bristow-Johnson; W3C "Audio EQ Cookbook" note):
with ``A = 10^(gain/40)``, ``w0 = 2 pi f0 / fs`` and ``alpha = sin(w0) /
(2 Q)``, the cookbook's formulas in its Q form (``Q = 1/sqrt(2)`` is its
shelf slope ``S = 1``). Peaks and passes are matched to the cookbook's
analog prototypes (:func:`tests.reference.peaking`, ``low_pass``,
``high_pass``); low and high pass ignore the gain. ``f0`` is held within
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

from tests.models.delay import Linear32
from tests.reference import high_pass, low_pass, peaking

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


def band_sos(band: Band, fs: float) -> F64:
    """The biquad of ``band`` at sample rate ``fs`` as one second-order
    section ``[b0, b1, b2, 1, a1, a2]``: the cookbook's shelves, the matched
    bell and passes of :mod:`tests.reference`."""
    matched = {
        PEAK: lambda: peaking(fs, band.hz, band.q, band.gain_db),
        LOW_PASS: lambda: low_pass(fs, band.hz, band.q),
        HIGH_PASS: lambda: high_pass(fs, band.hz, band.q),
    }
    if band.kind in matched:
        b, d = matched[band.kind]()
        return np.concatenate([b, d]).astype(np.float64)
    f0 = min(max(band.hz, MIN_FREQ_HZ), MAX_FREQ_RATIO * fs)
    w0 = 2 * math.pi * f0 / fs
    c, s = math.cos(w0), math.sin(w0)
    a = 10 ** (band.gain_db / 40)
    alpha = s / (2 * band.q)
    k = 2 * math.sqrt(a) * alpha
    if band.kind == LOW_SHELF:
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
    else:
        b, d = [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]
    return np.array(b + d, dtype=np.float64) / d[0]


def cascade_sos(bands: Iterable[Band], fs: float) -> F64:
    """The bands that are on, in series, as an ``(n, 6)`` SOS array (one
    identity section when every band is off)."""
    rows = [band_sos(b, fs) for b in bands if b.kind != OFF]
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


# ---- parameter changes ------------------------------------------------------------

#: Coefficients are recomputed every this many frames while a ramp runs,
#: counted from the reset.
COEF_UPDATE_FRAMES = 16
#: Frequency (in log2 Hz), gain (dB) and Q ramp linearly over this time.
RAMP_MS = 20.0


def svf_of(sos_row: F64) -> tuple[float, float, float, float, float]:
    """``(g, k, m0, m1, m2)`` of the trapezoidal SVF whose response is the
    biquad ``[b0, b1, b2, 1, a1, a2]``: substitute ``z^-1 = (1 - s)/(1 + s)``
    and read the analog section in units of ``g``."""
    b0, b1, b2, _, a1, a2 = (float(v) for v in sos_row)
    den = np.polynomial.Polynomial([1 + a1 + a2, 2 * (1 - a2), 1 - a1 + a2])  # in s
    num = np.polynomial.Polynomial([b0 + b1 + b2, 2 * (b0 - b2), b0 - b1 + b2])
    g = math.sqrt(den.coef[0] / den.coef[2])
    # In u = s/g: den ∝ u² + k·u + 1, num/den = (m0·u² + (m0·k + m1)·u + m0 + m2)/(…).
    d2 = den.coef[2] * g * g
    k = den.coef[1] * g / d2
    m0 = num.coef[2] * g * g / d2
    m1 = num.coef[1] * g / d2 - m0 * k
    m2 = num.coef[0] / d2 - m0
    return g, k, m0, m1, m2


class _RampedBand:
    """One band of the model with its three ramps (float32, as the crate
    holds them) and its two float64 SVF states."""

    def __init__(self, band: Band, fs: float) -> None:
        self.kind, self.fs, self.set_hz = band.kind, fs, band.hz
        self.log2_hz = Linear32(float(np.log2(np.float32(band.hz))))
        self.gain_db = Linear32(band.gain_db)
        self.q = Linear32(band.q)
        self.state = np.zeros((2, 2))  # [channel][ic1, ic2]
        self.redesign()

    def ramps(self) -> list[Linear32]:
        return [self.log2_hz, self.gain_db, self.q]

    def redesign(self) -> None:
        hz = 2.0**self.log2_hz.current if self.log2_hz.remaining else self.set_hz
        band = Band(self.kind, hz, self.gain_db.current, self.q.current)
        self.g, self.k, self.m0, self.m1, self.m2 = svf_of(band_sos(band, self.fs))

    def tick(self, ch: int, v0: float) -> float:
        """Andrew Simper's trapezoidal SVF (Cytomic, 2013), one sample."""
        a1 = 1 / (1 + self.g * (self.g + self.k))
        a2, ic = self.g * a1, self.state[ch]
        a3 = self.g * a2
        v3 = v0 - ic[1]
        v1 = a1 * ic[0] + a2 * v3
        v2 = ic[1] + a2 * ic[0] + a3 * v3
        ic[0], ic[1] = 2 * v1 - ic[0], 2 * v2 - ic[1]
        return self.m0 * v0 + self.m1 * v1 + self.m2 * v2


def process_with_changes(
    bands: Mapping[int, Band],
    fs: float,
    left: npt.ArrayLike,
    right: npt.ArrayLike,
    changes: Sequence[tuple[int, str, float]],
) -> tuple[F64, F64]:
    """The EQ (bands that are on, by slot) with parameter changes
    ``(frame, "peq_<b>_hz|gain_db|q", value)`` made before ``frame``: each
    ramps over :data:`RAMP_MS` (frequency in log2 Hz), and while any ramp
    runs, every :data:`COEF_UPDATE_FRAMES` frames from the start the ramps
    advance that many steps and the moved bands are redesigned. Type changes
    (which fade) are not modelled."""
    steps = round(RAMP_MS * 1e-3 * fs)
    order = sorted(bands)
    model = {b: _RampedBand(bands[b], fs) for b in order}
    x = np.stack([np.asarray(left, np.float64), np.asarray(right, np.float64)])
    out = np.empty_like(x)
    pending = sorted(changes, key=lambda c: c[0])
    dirty = busy = False
    for i in range(x.shape[1]):
        while pending and pending[0][0] == i:
            _, name, value = pending.pop(0)
            slot, row = int(name.split("_")[1]), name.split("_", 2)[2]
            band = model[slot]
            v = float(np.float32(value))
            if row == "hz":
                band.set_hz = v
                band.log2_hz.set_target(float(np.log2(np.float32(v))), steps)
            elif row == "gain_db":
                band.gain_db.set_target(v, steps)
            elif row == "q":
                band.q.set_target(v, steps)
            else:
                raise ValueError(f"{name}: only frequency, gain and Q changes are modelled")
            dirty = True
        if i % COEF_UPDATE_FRAMES == 0 and (dirty or busy):
            for band in model.values():
                moved = [r for r in band.ramps() if r.remaining]
                for r in moved:
                    for _ in range(COEF_UPDATE_FRAMES):
                        r.tick()
                if moved:
                    band.redesign()
            busy = any(r.remaining for band in model.values() for r in band.ramps())
            dirty = False
        for ch in range(2):
            v = x[ch, i]
            for b in order:
                v = model[b].tick(ch, v)
            out[ch, i] = v
    return out[0], out[1]
