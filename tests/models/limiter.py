"""Reference model of the lookahead limiter (dsp_rust/src/units/limiter.rs),
in plain per-sample Python and float64.

Per frame ``n``, with ``L`` the lookahead in frames (``round(ms fs/1000)``,
at most ``Lmax = round(5 ms fs)``) and ``c`` the ceiling ramp (the crate's
``smooth::Linear`` over 20 ms, in amplitude):

* ``c_det = min(c[n], c[n + Lmax])`` on the current ramp;
* required gain ``q[n] = min(1, c_det (1 - 2^-20) / max|x[n]|)``, truncated
  to a multiple of 2^-40 (the gain computer works in integers of 2^-40);
* ``h[n] = min(q[n-L..n])``;
* ``e[n] = h[n]`` if ``h[n] <= e[n-1]``, else ``e[n-1]`` plus
  ``max(2^-40, trunc((h[n] - e[n-1]) b))`` with
  ``b = 1 - exp(-1/max(1, release_ms fs/1000))``;
* ``g[n] = mean(e[n-L..n])`` (exact integer sum);
* ``y[n] = clip(x[n-L] g[n], ±c[n])``.

True-peak mode (``lim_true_peak`` = 1), written from the BS.1770-4
description and the meter's interpolators (``dawgwasm._truepeak``, rounded
to float32): ``tp[m]`` is the largest magnitude of frame ``m`` and of the three
interpolated points after it in either channel; it is known at frame
``m + 16``, when the required gain is ``min(q[n], c_det (1 - 2^-20) 0.9977 /
tp[n - 16])``; the latency is ``max(L, 48)``; the sliding minimum spans
``L' + 32`` frames and the attack mean ``L' + 1`` with ``L' = latency - 32``.

A lookahead change starts a second gain computer (its history: the last
``L'`` required gains, and every earlier gain in its window set to their
minimum, capped by the running computer's last ``e``) and crossfades the
outputs linearly over 5 ms; a further change waits for the crossfade to end.
NaN, infinities and magnitudes below 1e-20 count as 0, in and out.

The model starts at rest with ``params`` (as the engine does after its
reset); ``changes`` applies ``(frame, name, value)`` before that frame.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from dawgwasm._truepeak import _WEIGHTS
from tests.models.saturator import Linear, steps_for_ms

F64 = npt.NDArray[np.float64]

DEFAULTS: dict[str, float] = {
    "lim_ceiling_db": -0.3,
    "lim_release_ms": 100.0,
    "lim_lookahead_ms": 2.0,
    "lim_true_peak": 0.0,
}
CEILING_SMOOTHING_MS = 20.0
LOOKAHEAD_MAX_MS = 5.0
LOOKAHEAD_CROSSFADE_MS = 5.0
GAIN_ONE = 1 << 40
MARGIN = 1.0 - 2.0**-20
FLUSH_THRESHOLD = 1e-20
TRUE_PEAK_MARGIN = MARGIN * 0.9977
TRUE_PEAK_DELAY = 16
TRUE_PEAK_HOLD = 16
TRUE_PEAK_MIN_LATENCY = 48
#: The interpolators as the engine holds them, float32.
TRUE_PEAK_WEIGHTS = _WEIGHTS.astype(np.float32).astype(np.float64)


def frames_for_ms(ms: float, sample_rate_hz: float) -> int:
    return max(0, math.floor(ms * 1e-3 * sample_rate_hz + 0.5))


def latency_frames(
    lookahead_ms: float = 2.0, sample_rate_hz: float = 48000.0, true_peak: bool = False
) -> int:
    """The limiter's latency for a lookahead: its length in frames, in
    true-peak mode at least 48."""
    lmax = frames_for_ms(LOOKAHEAD_MAX_MS, sample_rate_hz)
    frames = min(frames_for_ms(lookahead_ms, sample_rate_hz), lmax)
    return max(frames, TRUE_PEAK_MIN_LATENCY) if true_peak else frames


def _true_peak(window_l: Sequence[float], window_r: Sequence[float]) -> float:
    """The true peak of the frame at tap 15 of two 32-frame windows."""
    peak = max(abs(window_l[15]), abs(window_r[15]))
    for w in window_l, window_r:
        for row in TRUE_PEAK_WEIGHTS:
            peak = max(peak, abs(float(np.dot(row, w))))
    return peak


def _flush(v: float) -> float:
    return v if math.isfinite(v) and abs(v) >= FLUSH_THRESHOLD else 0.0


def _release_coef(ms: float, sample_rate_hz: float) -> float:
    return 1.0 - math.exp(-1.0 / max(1.0, ms * 1e-3 * sample_rate_hz))


class GainComputer:
    """Sliding minimum, release and attack mean for one latency and mode."""

    def __init__(self, latency: int, true_peak: bool = False) -> None:
        self.latency = latency
        self.true_peak = true_peak
        self.hold = 2 * TRUE_PEAK_HOLD if true_peak else 0
        lookahead = latency - TRUE_PEAK_DELAY - TRUE_PEAK_HOLD if true_peak else latency
        self.lookahead = lookahead
        self.window: deque[tuple[int, int]] = deque()
        self.held: deque[int] = deque([GAIN_ONE] * (lookahead + 1))
        self.total = (lookahead + 1) * GAIN_ONE
        self.last = GAIN_ONE

    @classmethod
    def started(
        cls, latency: int, true_peak: bool, frame: int, history: Sequence[int], cap: int
    ) -> GainComputer:
        """A computer set up just before ``frame`` from the previous required
        gains ``history`` (oldest first)."""
        gc = cls(latency, true_peak)
        lookahead = gc.lookahead
        span = lookahead + gc.hold
        floor = cap
        recent = list(history)[len(history) - span :] if span else []
        for i, q in enumerate(recent):
            floor = min(floor, q)
            gc._push(frame - span + i, q)
        gc.held = deque([floor] * (lookahead + 1))
        gc.total = (lookahead + 1) * floor
        gc.last = floor
        return gc

    def _push(self, frame: int, q: int) -> None:
        while self.window and self.window[-1][1] >= q:
            self.window.pop()
        self.window.append((frame, q))

    def tick(self, frame: int, q: int, release: float) -> float:
        self._push(frame, q)
        while len(self.window) > 1 and frame - self.window[0][0] > self.lookahead + self.hold:
            self.window.popleft()
        h = self.window[0][1]
        e = h if h <= self.last else self.last + max(1, int((h - self.last) * release))
        self.last = e
        self.total += e - self.held.popleft()
        self.held.append(e)
        return self.total / ((self.lookahead + 1) * GAIN_ONE)


def limit(
    left: npt.ArrayLike,
    right: npt.ArrayLike | None = None,
    params: Mapping[str, float] | None = None,
    *,
    sample_rate_hz: float = 48000.0,
    changes: Sequence[tuple[int, str, float]] = (),
) -> tuple[F64, F64]:
    """The limiter's stereo output for ``left``/``right`` (``right``
    defaults to ``left``)."""
    xl = [_flush(float(v)) for v in np.asarray(left, dtype=np.float64)]
    xr = xl if right is None else [_flush(float(v)) for v in np.asarray(right, dtype=np.float64)]
    n = len(xl)
    values = {**DEFAULTS, **(params or {})}
    lmax = max(frames_for_ms(LOOKAHEAD_MAX_MS, sample_rate_hz), TRUE_PEAK_MIN_LATENCY)
    ceiling = Linear(10.0 ** (values["lim_ceiling_db"] / 20.0))
    ceiling_steps = steps_for_ms(CEILING_SMOOTHING_MS, sample_rate_hz)
    fade_frames = max(1, steps_for_ms(LOOKAHEAD_CROSSFADE_MS, sample_rate_hz))
    release = _release_coef(values["lim_release_ms"], sample_rate_hz)
    lookahead_ms = values["lim_lookahead_ms"]
    true_peak = values["lim_true_peak"] >= 0.5
    requested = latency_frames(lookahead_ms, sample_rate_hz, true_peak)
    current = GainComputer(requested, true_peak)
    old: GainComputer | None = None
    fade_pos = 0
    history: deque[int] = deque([GAIN_ONE] * lmax, maxlen=lmax)
    delay_l: deque[float] = deque([0.0] * lmax, maxlen=lmax + 1)
    delay_r: deque[float] = deque([0.0] * lmax, maxlen=lmax + 1)
    out_l, out_r = np.zeros(n), np.zeros(n)
    pending = sorted(changes, key=lambda c: c[0])
    k = 0
    for i in range(n):
        while k < len(pending) and pending[k][0] == i:
            _, name, v = pending[k]
            if name == "lim_ceiling_db":
                ceiling.set_target(10.0 ** (v / 20.0), ceiling_steps)
            elif name == "lim_release_ms":
                release = _release_coef(v, sample_rate_hz)
            elif name == "lim_lookahead_ms":
                lookahead_ms = v
            elif name == "lim_true_peak":
                true_peak = v >= 0.5
            requested = latency_frames(lookahead_ms, sample_rate_hz, true_peak)
            k += 1
        if old is None and (requested, true_peak) != (current.latency, current.true_peak):
            old = current
            current = GainComputer.started(requested, true_peak, i, list(history), old.last)
            fade_pos = 0
        c = ceiling.tick()
        ahead = (
            ceiling.target
            if lmax >= ceiling.remaining
            else ceiling.target - ceiling.step * (ceiling.remaining - lmax)
        )
        c_det = min(c, ahead)
        peak = max(abs(xl[i]), abs(xr[i]))
        q = GAIN_ONE if peak == 0.0 else min(GAIN_ONE, int(c_det * MARGIN * GAIN_ONE / peak))
        delay_l.append(xl[i])
        delay_r.append(xr[i])
        if current.true_peak or (old is not None and old.true_peak):
            window_l = list(delay_l)[lmax - 31 :]
            window_r = list(delay_r)[lmax - 31 :]
            tp = _true_peak(window_l, window_r)
            if tp > 0.0:
                q = min(q, min(GAIN_ONE, int(c_det * TRUE_PEAK_MARGIN * GAIN_ONE / tp)))
        g = current.tick(i, q, release)
        yl = delay_l[lmax - current.latency] * g
        yr = delay_r[lmax - current.latency] * g
        if old is not None:
            g_old = old.tick(i, q, release)
            fade_pos += 1
            a = fade_pos / fade_frames
            yl = (1 - a) * delay_l[lmax - old.latency] * g_old + a * yl
            yr = (1 - a) * delay_r[lmax - old.latency] * g_old + a * yr
            if fade_pos >= fade_frames:
                old = None
        history.append(q)
        out_l[i] = _flush(min(max(yl, -c), c))
        out_r[i] = _flush(min(max(yr, -c), c))
    return out_l, out_r
