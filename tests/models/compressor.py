"""Reference model of the compressor (dsp_rust/src/units/compressor.rs), in
plain per-sample Python and float64, written from the unit's documented
behaviour (levels and gains in dB here; the unit works in log2 units, which
only rescales every step).

Per frame, for each channel ``c`` (both channels share one computation when
``link`` is 1):

1. detector input ``d_c = link * max(|L|, |R|) + (1 - link) * |c|``;
2. level: peak, ``20 log10 d_c``; RMS, ``10 log10 m_c`` with the mean square
   ``m_c = d^2 + b (m_c - d^2)``, ``d = min(d_c, 1e18)``,
   ``b = exp(-1 / (10 ms * fs))``, values below 1e-20 flushed to 0 (the
   mean square runs only while the ratio is above 1);
3. static curve (Giannoulis, Massberg and Reiss, JAES 2012, eq. 4) with
   ``o = level - threshold``, ``s = 1/ratio - 1``, knee width ``W``:
   target ``s o`` for ``o > W/2``, ``s (o + W/2)^2 / (2W)`` for
   ``-W/2 < o <= W/2``, 0 below;
4. ``r = t + k (r - t)``, ``k = exp(-1 / (time * fs))`` with the attack time
   while ``t < r``, else the release time; ``r`` above -1e-6 log2 units
   (-6.02e-6 dB) is set to 0;
5. output ``c * 10^((r + makeup) / 20)``.

A detector input or mean square of zero counts as 2^-126 (the unit's
``log2`` clamps there). Makeup
ramps linearly in dB over 10 ms (the crate's ``smooth::Linear``) after a
change; ``changes`` applies ``(frame, name, value)`` before that frame.
Inputs that are NaN, infinite or below 1e-20 in magnitude count as 0, and
so do such outputs. The model starts at rest with ``params``, as the
engine does after its reset.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

DEFAULTS: dict[str, float] = {
    "compressor_threshold_db": -18.0,
    "compressor_ratio": 4.0,
    "compressor_knee_db": 6.0,
    "compressor_attack_ms": 10.0,
    "compressor_release_ms": 100.0,
    "compressor_makeup_db": 0.0,
    "compressor_detector": 0.0,
    "compressor_link": 1.0,
}
MAKEUP_SMOOTHING_MS = 10.0
RMS_TIME_MS = 10.0
RMS_INPUT_MAX = 1e18
FLUSH_THRESHOLD = 1e-20
DB_PER_LOG2 = 20.0 * math.log10(2.0)
REDUCTION_FLOOR_DB = 1e-6 * DB_PER_LOG2
LEVEL_FLOOR = 2.0**-126


def flush(x: float) -> float:
    return x if math.isfinite(x) and abs(x) >= FLUSH_THRESHOLD else 0.0


def one_pole(time_ms: float, sample_rate_hz: float) -> float:
    samples = time_ms * 1e-3 * sample_rate_hz
    return math.exp(-1.0 / samples) if samples > 0 else 0.0


def static_curve_db(over_db: float, ratio: float, knee_db: float) -> float:
    """Target gain reduction (<= 0 dB) for a level ``over_db`` above the threshold."""
    slope = 1.0 / max(ratio, 1.0) - 1.0
    half = knee_db / 2.0
    if over_db > half:
        return slope * over_db
    if over_db + half > 0.0:
        return slope * (over_db + half) ** 2 / (2.0 * knee_db)
    return 0.0


def textbook_output_db(level_db: float, threshold_db: float, ratio: float, knee_db: float) -> float:
    """The soft-knee static characteristic, output level in dB (Giannoulis et al., eq. 4)."""
    x, t, w = level_db, threshold_db, knee_db
    if 2 * (x - t) < -w or (w == 0 and x <= t):
        return x
    if 2 * abs(x - t) <= w:
        return x + (1 / ratio - 1) * (x - t + w / 2) ** 2 / (2 * w)
    return t + (x - t) / ratio


class _Linear:
    """The crate's ``smooth::Linear``: ``value = target - step * remaining``."""

    def __init__(self, value: float) -> None:
        self.current = self.target = value
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


def compress(
    left: npt.ArrayLike,
    right: npt.ArrayLike,
    params: Mapping[str, float],
    *,
    sample_rate_hz: float = 48000.0,
    changes: Sequence[tuple[int, str, float]] = (),
) -> tuple[F64, F64]:
    """Run the model on a stereo signal; returns the output channels."""
    fs = sample_rate_hz
    p = dict(DEFAULTS)
    p.update(params)
    xl = [flush(float(v)) for v in np.asarray(left, np.float64)]
    xr = [flush(float(v)) for v in np.asarray(right, np.float64)]
    n = len(xl)
    out_l = np.zeros(n)
    out_r = np.zeros(n)
    beta = one_pole(RMS_TIME_MS, fs)
    makeup = _Linear(p["compressor_makeup_db"])
    makeup_steps = max(0, math.floor(MAKEUP_SMOOTHING_MS * 1e-3 * fs + 0.5))
    reduction = [0.0, 0.0]
    mean_square = [0.0, 0.0]
    pending = sorted(changes)
    ci = 0
    for i in range(n):
        while ci < len(pending) and pending[ci][0] <= i:
            _, name, value = pending[ci]
            p[name] = value
            if name == "compressor_makeup_db":
                makeup.set_target(value, makeup_steps)
            ci += 1
        ratio = p["compressor_ratio"]
        rms = p["compressor_detector"] >= 0.5 and ratio > 1.0
        link = p["compressor_link"]
        attack = one_pole(p["compressor_attack_ms"], fs)
        release = one_pole(p["compressor_release_ms"], fs)
        if not rms:
            mean_square = [0.0, 0.0]
        m = makeup.tick()
        al, ar = abs(xl[i]), abs(xr[i])
        peak = max(al, ar)
        gains = []
        for c, own in enumerate((al, ar)):
            d = link * peak + (1.0 - link) * own
            if rms:
                d = min(d, RMS_INPUT_MAX)
                mean_square[c] = flush(d * d + beta * (mean_square[c] - d * d))
                level_db = 10.0 * math.log10(max(mean_square[c], LEVEL_FLOOR))
            else:
                level_db = 20.0 * math.log10(max(d, LEVEL_FLOOR))
            over = level_db - p["compressor_threshold_db"]
            target = static_curve_db(over, ratio, p["compressor_knee_db"])
            coef = attack if target < reduction[c] else release
            r = target + coef * (reduction[c] - target)
            reduction[c] = r if r < -REDUCTION_FLOOR_DB else 0.0
            gains.append(10.0 ** ((reduction[c] + m) / 20.0))
        out_l[i] = flush(xl[i] * gains[0])
        out_r[i] = flush(xr[i] * gains[1])
    return out_l, out_r
