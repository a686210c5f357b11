"""Reference model of the reverb (dsp_rust/src/units/reverb.rs), in plain
per-sample Python and float64: a dense feedback delay network
(``reverb_algorithm`` 0, the default) or Jezar's Freeverb (1), with a
predelay.

Dense (written from the design, not from the engine's code):

* input ``u = 3.75 x`` through 8 series allpasses (4.771, 3.595, 12.735,
  9.307, 2.1, 7.3, 5.9, 1.3 ms, rounded; gains 0.75, 0.75, then 0.625):
  ``d = buf[i]; w = u - g d; buf[i] = w; u = d + g w``;
* 16 delay lines, line ``i`` the smallest prime not below
  ``round(ms_i fs / 1000)`` above the previous line (ms_i geometric from 32
  to 100 ms); per line a one-pole absorption ``s = b y + a s`` with gain
  ``g = 10^(-3 n/(fs T60))`` at DC and ``10^(-3 n/(fs T60_hf))`` at Nyquist,
  ``T60 = 0.25 · 24^size`` s and ``T60_hf = T60 (1 - 0.85 damping)``;
* feedback ``z = M s`` with ``M[4j+k, 4k'+j'] = h[j,j'] h[k,k'] / 4`` (h the
  4 x 4 Sylvester Hadamard matrix; M is orthogonal); the line input is
  ``z + sigma u`` with fixed signs ``sigma``;
* wet pair ``L = lambda . y``, ``R = rho . y`` from the line outputs ``y``
  (lambda = + for lines 0-7, - for 8-15; rho = + for lines 0-3 and 8-11);
* the coefficients ``a`` and ``b`` ramp linearly over the size and damping
  rows' 50 ms.

Freeverb:

* input ``x = 0.015 (inL + inR)``, delayed by the predelay
  (``round(ms · fs / 1000)`` frames, linear interpolation, 200 ms line);
* per side 8 parallel combs (1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617
  frames at 44.1 kHz, scaled to fs and rounded; right side +23):
  ``y = buf[i]; s = y (1 - damp) + s damp; buf[i] = x + s room``, with
  ``room = 0.28 size + 0.7`` and ``damp = 0.4 damping``; the comb outputs are
  summed in order;
* then 4 series allpasses (556, 441, 341, 225 frames, right +23):
  ``b = buf[i]; buf[i] = x + 0.5 b; out = b - x``;
* ``outL = wet1 combL + wet2 combR + dry inL`` (and mirrored), with
  ``wet1 = wet (1/2 + width/2)``, ``wet2 = wet (1/2 - width/2)``,
  ``wet = 3 sin(mix pi/2)``, ``dry = sin((1 - mix) pi/2)``.

Every control ramps linearly (the crate's ``smooth::Linear``): room and damp
coefficients over 50 ms, width, wet and dry gains over 20 ms, predelay frames
over 100 ms. Recirculating values below 1e-9 become 0 (the comb state and
every line write), outputs below 1e-20 become 0.

The model starts at rest with ``params`` (as the engine does after its
reset); ``changes`` applies ``(frame, name, value)`` before that frame.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from tests.models.delay import Linear, Linear32, floor_state, flush, steps_for_ms

ALGORITHM_DENSE = 0
ALGORITHM_FREEVERB = 1
DENSE_LINE_MS = (
    32.0, 34.5, 37.3, 40.2, 43.4, 46.8, 50.5, 54.5,
    58.8, 63.4, 68.4, 73.8, 79.6, 85.9, 92.7, 100.0,
)  # fmt: skip
DENSE_DIFFUSER_MS = (4.771, 3.595, 12.735, 9.307, 2.1, 7.3, 5.9, 1.3)
DENSE_DIFFUSER_GAINS = (0.75, 0.75, 0.625, 0.625, 0.625, 0.625, 0.625, 0.625)
DENSE_INPUT_GAIN = 3.75
DENSE_T60_MIN_S = 0.25
DENSE_T60_RATIO = 24.0
DENSE_HF_SPREAD = 0.85
_H4 = np.array([[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]], np.float64)
DENSE_MATRIX = np.zeros((16, 16))
for _j in range(4):
    for _k in range(4):
        for _j2 in range(4):
            for _k2 in range(4):
                DENSE_MATRIX[4 * _j + _k, 4 * _k2 + _j2] = _H4[_j, _j2] * _H4[_k, _k2] / 4.0
assert np.allclose(DENSE_MATRIX @ DENSE_MATRIX.T, np.eye(16))
DENSE_INPUT_SIGNS = np.array([1, -1, 1, -1, 1, 1, -1, -1, 1, -1, -1, 1, -1, 1, 1, -1], np.float64)
DENSE_TAPS_L = np.repeat([1.0, 1.0, -1.0, -1.0], 4)
DENSE_TAPS_R = np.repeat([1.0, -1.0, 1.0, -1.0], 4)

F64 = npt.NDArray[np.float64]

DEFAULTS: dict[str, float] = {
    "reverb_size": 0.7,
    "reverb_damping": 0.5,
    "reverb_width": 1.0,
    "reverb_predelay_ms": 10.0,
    "reverb_mix": 0.3,
    "reverb_algorithm": 0.0,
}
SMOOTHING_MS: dict[str, float] = {
    "reverb_size": 50.0,
    "reverb_damping": 50.0,
    "reverb_width": 20.0,
    "reverb_predelay_ms": 100.0,
    "reverb_mix": 20.0,
    "reverb_algorithm": 50.0,
}
COMB_TUNINGS = (1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617)
ALLPASS_TUNINGS = (556, 441, 341, 225)
STEREO_SPREAD = 23
FIXED_GAIN = 0.015
SCALE_WET = 3.0
SCALE_DAMP = 0.4
SCALE_ROOM = 0.28
OFFSET_ROOM = 0.7
ALLPASS_FEEDBACK = 0.5
MAX_PREDELAY_MS = 200.0


def scaled(tuning: int, sample_rate_hz: float) -> int:
    """A 44.1 kHz length in frames at ``sample_rate_hz`` (rounded, at least 1)."""
    return max(1, math.floor(tuning * sample_rate_hz / 44100.0 + 0.5))


def predelay_line_frames(sample_rate_hz: float) -> int:
    """Frames in the predelay line."""
    return math.ceil(MAX_PREDELAY_MS * 1e-3 * sample_rate_hz) + 2


def predelay_frames(ms: float, sample_rate_hz: float) -> int:
    """The predelay in whole frames."""
    top = predelay_line_frames(sample_rate_hz) - 2
    return min(math.floor(ms * 1e-3 * sample_rate_hz + 0.5), top)


def mix_gains(mix: float) -> tuple[float, float]:
    """Equal-power ``(wet, dry)`` gains; wet includes Freeverb's scale 3."""
    return SCALE_WET * math.sin(mix * math.pi / 2), math.sin((1.0 - mix) * math.pi / 2)


def _f32(x: float) -> float:
    return float(np.float32(x))


def _is_prime(n: int) -> bool:
    return n >= 2 and all(n % d for d in range(2, math.isqrt(n) + 1))


def dense_line_frames(sample_rate_hz: float) -> list[int]:
    """The dense lines' lengths in frames: distinct primes."""
    out: list[int] = []
    for ms in DENSE_LINE_MS:
        n = max(math.floor(ms * 1e-3 * sample_rate_hz + 0.5), (out[-1] if out else 0) + 1)
        while not _is_prime(n):
            n += 1
        out.append(n)
    return out


def dense_t60_s(size: float, damping: float) -> tuple[float, float]:
    """The dense decay times ``(T60 at DC, T60 at Nyquist)`` in seconds."""
    t60 = DENSE_T60_MIN_S * DENSE_T60_RATIO**size
    return t60, t60 * (1.0 - DENSE_HF_SPREAD * damping)


class _Dense:
    """The dense network, one frame at a time."""

    def __init__(self, fs: float, size: float, damping: float) -> None:
        self.fs = fs
        self.lens = np.array(dense_line_frames(fs))
        self.starts = np.concatenate([[0], np.cumsum(self.lens)[:-1]])
        self.lines = np.zeros(int(self.lens.sum()))
        self.pos = np.zeros(16, np.int64)
        self.store = np.zeros(16)
        self.diffusers = [
            _Line(max(1, math.floor(ms * 1e-3 * fs + 0.5))) for ms in DENSE_DIFFUSER_MS
        ]
        a, b = self.coefs(size, damping)
        self.a = [Linear(v) for v in a]
        self.b = [Linear(v) for v in b]

    def coefs(self, size: float, damping: float) -> tuple[F64, F64]:
        t60, t60_hf = dense_t60_s(size, damping)
        g = 10.0 ** (-3.0 * self.lens / (self.fs * t60))
        h = 10.0 ** (-3.0 * self.lens / (self.fs * t60_hf))
        a = (g - h) / (g + h)
        return a, g * (1.0 - a)

    def retarget(self, size: float, damping: float, steps: int) -> None:
        a, b = self.coefs(size, damping)
        for r, v in zip(self.a + self.b, np.concatenate([a, b]), strict=True):
            r.set_target(float(v), steps)

    def frame(self, x: float) -> tuple[float, float]:
        a = np.array([r.tick() for r in self.a])
        b = np.array([r.tick() for r in self.b])
        u = x * DENSE_INPUT_GAIN
        for ap, g in zip(self.diffusers, DENSE_DIFFUSER_GAINS, strict=True):
            d = ap.buf[ap.i]
            w = floor_state(u - g * d)
            ap.buf[ap.i] = w
            ap.i = (ap.i + 1) % len(ap.buf)
            u = d + g * w
        at = self.starts + self.pos
        y = self.lines[at]
        s = b * y + a * self.store
        s[np.abs(s) < 4e-9] = 0.0
        self.store = s
        w = DENSE_MATRIX @ s + DENSE_INPUT_SIGNS * u
        w[np.abs(w) < 1e-9] = 0.0
        self.lines[at] = w
        self.pos = (self.pos + 1) % self.lens
        return float(DENSE_TAPS_L @ y), float(DENSE_TAPS_R @ y)


class _Line:
    def __init__(self, frames: int) -> None:
        self.buf = [0.0] * frames
        self.i = 0
        self.store = 0.0


def render_reverb(
    params: Mapping[str, float],
    left: npt.ArrayLike,
    right: npt.ArrayLike | None = None,
    *,
    sample_rate_hz: float = 48000.0,
    changes: Sequence[tuple[int, str, float]] = (),
) -> tuple[F64, F64]:
    """The reverb's stereo output for the input pair (right defaults to left)."""
    fs = float(sample_rate_hz)
    p = {k: _f32(v) for k, v in {**DEFAULTS, **params}.items()}
    x_l = np.asarray(left, np.float64)
    x_r = x_l if right is None else np.asarray(right, np.float64)
    combs = [[_Line(scaled(t + s, fs)) for t in COMB_TUNINGS] for s in (0, STEREO_SPREAD)]
    allpasses = [[_Line(scaled(t + s, fs)) for t in ALLPASS_TUNINGS] for s in (0, STEREO_SPREAD)]
    pd_len = predelay_line_frames(fs)
    pd = [0.0] * pd_len
    pd_w = 0

    room = Linear(p["reverb_size"] * SCALE_ROOM + OFFSET_ROOM)
    damp = Linear(p["reverb_damping"] * SCALE_DAMP)
    width = Linear(p["reverb_width"])
    pre = Linear32(float(predelay_frames(p["reverb_predelay_ms"], fs)))
    algorithm = round(p["reverb_algorithm"])
    dense = (
        _Dense(fs, p["reverb_size"], p["reverb_damping"]) if algorithm == ALGORITHM_DENSE else None
    )
    wet0, dry0 = mix_gains(p["reverb_mix"])
    wet = Linear(wet0)
    dry = Linear(dry0)
    pending = sorted(changes)
    out_l = np.zeros(len(x_l))
    out_r = np.zeros(len(x_l))
    for n in range(len(x_l)):
        while pending and pending[0][0] <= n:
            _, name, value = pending.pop(0)
            v = _f32(value)
            steps = steps_for_ms(SMOOTHING_MS[name], fs)
            if name == "reverb_algorithm":
                raise ValueError("the model runs one algorithm; switching is not modelled")
            if name in ("reverb_size", "reverb_damping"):
                p[name] = v
                if dense is not None:
                    dense.retarget(p["reverb_size"], p["reverb_damping"], steps)
            if name == "reverb_size":
                room.set_target(v * SCALE_ROOM + OFFSET_ROOM, steps)
            elif name == "reverb_damping":
                damp.set_target(v * SCALE_DAMP, steps)
            elif name == "reverb_width":
                width.set_target(v, steps)
            elif name == "reverb_predelay_ms":
                pre.set_target(float(predelay_frames(v, fs)), steps)
            else:
                w_g, d_g = mix_gains(v)
                wet.set_target(w_g, steps)
                dry.set_target(d_g, steps)
        il = float(x_l[n])
        ir = float(x_r[n])
        pd[pd_w] = floor_state((il + ir) * FIXED_GAIN)
        d = pre.tick()
        whole = math.floor(d)
        frac = _f32(d - whole)
        k = min(whole, pd_len - 2)
        a = pd[(pd_w - k) % pd_len]
        b = pd[(pd_w - k - 1) % pd_len]
        x = a + frac * (b - a)
        pd_w = (pd_w + 1) % pd_len
        fb = room.tick()
        dm = damp.tick()
        sides = []
        for side in (0, 1) if dense is None else ():
            acc = 0.0
            for c in combs[side]:
                y = c.buf[c.i]
                c.store = floor_state(y * (1.0 - dm) + c.store * dm)
                c.buf[c.i] = floor_state(x + c.store * fb)
                c.i = (c.i + 1) % len(c.buf)
                acc += y
            for ap in allpasses[side]:
                bo = ap.buf[ap.i]
                ap.buf[ap.i] = floor_state(acc + bo * ALLPASS_FEEDBACK)
                ap.i = (ap.i + 1) % len(ap.buf)
                acc = -acc + bo
            sides.append(acc)
        if dense is not None:
            sides = list(dense.frame(x))
        g = wet.tick()
        h = dry.tick()
        w = width.tick()
        wet1 = g * (0.5 + 0.5 * w)
        wet2 = g * (0.5 - 0.5 * w)
        out_l[n] = flush(sides[0] * wet1 + sides[1] * wet2 + il * h)
        out_r[n] = flush(sides[1] * wet1 + sides[0] * wet2 + ir * h)
    return out_l, out_r
