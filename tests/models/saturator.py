"""Reference model of the saturator (dsp_rust/src/units/saturator.rs), in
float64 numpy.

Per channel: ``d = clip(x * drive, ±65536)``; 4x oversampling through two
linear-phase halfband FIR stages (the taps below are copies of
``TAPS_2X``/``TAPS_4X`` in dsp_rust/src/dsp/halfband.rs); on every 4x
sample the curve, ``(1 - a) soft(w) + a cubic(w)`` with ``a`` the curve
crossfade (0 or 1 at rest); back down through the same two stages with one
2x sample of delay between them; ``out = output ((1 - mix) dry + mix wet)``
with ``dry`` the input delayed by ``LATENCY_FRAMES`` (27) frames.

* soft: ``t (27 + t^2) / (27 + 9 t^2)``, ``t = clip(w, ±3)``;
* cubic: ``t - (4/27) t^3``, ``t = clip(w, ±1.5)``.

Drive and output ramp linearly as amplitude gains, mix linearly, over 20 ms
(the crate's ``smooth::Linear``: value ``target - step * remaining``); the
curve crossfades over 10 ms. Inputs that are NaN, infinite or below 1e-20
in magnitude count as 0, and so do such outputs.

The model starts at rest with ``params`` (as the engine does after its
reset); ``changes`` applies ``(frame, name, value)`` before that frame.
``oversample=False`` runs the same curve at the sample rate with no filters
and no delay: the aliasing baseline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

DEFAULTS: dict[str, float] = {
    "sat_drive_db": 0.0,
    "sat_curve": 0.0,
    "sat_mix": 1.0,
    "sat_output_db": 0.0,
}
PARAM_SMOOTHING_MS = 20.0
CURVE_CROSSFADE_MS = 10.0
LATENCY_FRAMES = 27
DRIVEN_LIMIT = 65536.0
FLUSH_THRESHOLD = 1e-20

# Copies of TAPS_2X and TAPS_4X in dsp_rust/src/dsp/halfband.rs (f32 values):
# the first K taps of each stage's symmetric 2K-tap branch G.
TAPS_2X = (
    -0.0003957823,
    0.0011534513,
    -0.0027042245,
    0.0054583782,
    -0.00997657,
    0.016999302,
    -0.027577516,
    0.043426882,
    -0.06796051,
    0.10988999,
    -0.2013149,
    0.6329148,
)
TAPS_4X = (-0.0049406122, 0.033909142, -0.13533002, 0.6063281)


def halfband(taps: Sequence[float]) -> F64:
    """The full halfband filter: ``h[2i] = G[i]/2``, centre ``h[2K-1] = 1/2``."""
    g32 = np.asarray(taps, dtype=np.float32).astype(np.float64)
    g = np.concatenate([g32, g32[::-1]])
    k = len(g32)
    h = np.zeros(4 * k - 1)
    h[0::2] = g / 2
    h[2 * k - 1] = 0.5
    return h


H_2X = halfband(TAPS_2X)
H_4X = halfband(TAPS_4X)


def upsample(x: F64, h: F64) -> F64:
    """Zero-stuff to twice the rate and filter with ``2 h`` (causal)."""
    u = np.zeros(2 * len(x))
    u[0::2] = x
    return np.convolve(u, 2 * h)[: len(u)]


def downsample(u: F64, h: F64) -> F64:
    """Filter with ``h`` (causal) and keep the even samples."""
    return np.convolve(u, h)[: len(u)][0::2]


def soft_clip(w: F64) -> F64:
    t = np.clip(w, -3.0, 3.0)
    out: F64 = t * (27.0 + t * t) / (27.0 + 9.0 * t * t)
    return out


def cubic_clip(w: F64) -> F64:
    t = np.clip(w, -1.5, 1.5)
    out: F64 = t - (4.0 / 27.0) * t**3
    return out


def steps_for_ms(ms: float, sample_rate_hz: float) -> int:
    return max(0, math.floor(ms * 1e-3 * sample_rate_hz + 0.5))


class Linear:
    """The crate's ``smooth::Linear`` in float64."""

    def __init__(self, value: float) -> None:
        self.current = value
        self.target = value
        self.step = 0.0
        self.remaining = 0

    def set_target(self, target: float, steps: int) -> None:
        self.target = target
        if steps == 0 or target == self.current:
            self.current, self.remaining, self.step = target, 0, 0.0
        else:
            self.remaining = steps
            self.step = (target - self.current) / steps

    def tick(self) -> float:
        if self.remaining > 0:
            self.remaining -= 1
            self.current = self.target - self.step * self.remaining
        return self.current


def _flush(x: F64) -> F64:
    x = np.where(np.isfinite(x), x, 0.0)
    return np.where(np.abs(x) < FLUSH_THRESHOLD, 0.0, x)


def _target(name: str, value: float) -> float:
    if name in ("sat_drive_db", "sat_output_db"):
        return float(10.0 ** (value / 20.0))
    if name == "sat_curve":
        return 1.0 if value >= 0.5 else 0.0
    return float(value)


def ramps(
    frames: int,
    params: Mapping[str, float],
    changes: Sequence[tuple[int, str, float]],
    sample_rate_hz: float,
) -> dict[str, F64]:
    """Per-frame values of drive gain, curve crossfade, mix and output gain."""
    values = {**DEFAULTS, **params}
    smoothers = {name: Linear(_target(name, v)) for name, v in values.items()}
    steps = {
        name: steps_for_ms(
            CURVE_CROSSFADE_MS if name == "sat_curve" else PARAM_SMOOTHING_MS, sample_rate_hz
        )
        for name in values
    }
    out = {name: np.empty(frames) for name in values}
    pending = sorted(changes, key=lambda c: c[0])
    k = 0
    for n in range(frames):
        while k < len(pending) and pending[k][0] == n:
            _, name, v = pending[k]
            smoothers[name].set_target(_target(name, v), steps[name])
            k += 1
        for name, s in smoothers.items():
            out[name][n] = s.tick()
    return out


def saturate(
    left: npt.ArrayLike,
    right: npt.ArrayLike | None = None,
    params: Mapping[str, float] | None = None,
    *,
    sample_rate_hz: float = 48000.0,
    changes: Sequence[tuple[int, str, float]] = (),
    oversample: bool = True,
) -> tuple[F64, F64]:
    """The saturator's stereo output for ``left``/``right`` (``right``
    defaults to ``left``)."""
    xl = _flush(np.asarray(left, dtype=np.float64))
    xr = xl if right is None else _flush(np.asarray(right, dtype=np.float64))
    n = len(xl)
    r = ramps(n, params or {}, changes, sample_rate_hz)
    drive, a, mix, gain = r["sat_drive_db"], r["sat_curve"], r["sat_mix"], r["sat_output_db"]

    def channel(x: F64) -> F64:
        d = np.clip(x * drive, -DRIVEN_LIMIT, DRIVEN_LIMIT)
        if not oversample:
            wet: F64 = (1 - a) * soft_clip(d) + a * cubic_clip(d)
            return _flush(gain * ((1 - mix) * x + mix * wet))
        w = upsample(upsample(d, H_2X), H_4X)
        a4 = np.repeat(a, 4)
        s = (1 - a4) * soft_clip(w) + a4 * cubic_clip(w)
        z = downsample(s, H_4X)
        z = np.concatenate([[0.0], z[:-1]])
        wet = downsample(z, H_2X)
        dry = np.concatenate([np.zeros(LATENCY_FRAMES), x])[:n]
        return _flush(gain * ((1 - mix) * dry + mix * wet))

    return channel(xl), channel(xr)
