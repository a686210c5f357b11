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

from tests.models.saturator import Linear, steps_for_ms

F64 = npt.NDArray[np.float64]

DEFAULTS: dict[str, float] = {
    "lim_ceiling_db": -0.3,
    "lim_release_ms": 100.0,
    "lim_lookahead_ms": 2.0,
}
CEILING_SMOOTHING_MS = 20.0
LOOKAHEAD_MAX_MS = 5.0
LOOKAHEAD_CROSSFADE_MS = 5.0
GAIN_ONE = 1 << 40
MARGIN = 1.0 - 2.0**-20
FLUSH_THRESHOLD = 1e-20


def frames_for_ms(ms: float, sample_rate_hz: float) -> int:
    return max(0, math.floor(ms * 1e-3 * sample_rate_hz + 0.5))


def latency_frames(lookahead_ms: float = 2.0, sample_rate_hz: float = 48000.0) -> int:
    """The limiter's latency for a lookahead: its length in frames."""
    lmax = frames_for_ms(LOOKAHEAD_MAX_MS, sample_rate_hz)
    return min(frames_for_ms(lookahead_ms, sample_rate_hz), lmax)


def _flush(v: float) -> float:
    return v if math.isfinite(v) and abs(v) >= FLUSH_THRESHOLD else 0.0


def _release_coef(ms: float, sample_rate_hz: float) -> float:
    return 1.0 - math.exp(-1.0 / max(1.0, ms * 1e-3 * sample_rate_hz))


class GainComputer:
    """Sliding minimum, release and attack mean for one lookahead."""

    def __init__(self, lookahead: int) -> None:
        self.lookahead = lookahead
        self.window: deque[tuple[int, int]] = deque()
        self.held: deque[int] = deque([GAIN_ONE] * (lookahead + 1))
        self.total = (lookahead + 1) * GAIN_ONE
        self.last = GAIN_ONE

    @classmethod
    def started(cls, lookahead: int, frame: int, history: Sequence[int], cap: int) -> GainComputer:
        """A computer set up just before ``frame`` from the previous required
        gains ``history`` (oldest first)."""
        gc = cls(lookahead)
        floor = cap
        recent = list(history)[len(history) - lookahead :] if lookahead else []
        for i, q in enumerate(recent):
            floor = min(floor, q)
            gc._push(frame - lookahead + i, q)
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
        while len(self.window) > 1 and frame - self.window[0][0] > self.lookahead:
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
    lmax = frames_for_ms(LOOKAHEAD_MAX_MS, sample_rate_hz)
    ceiling = Linear(10.0 ** (values["lim_ceiling_db"] / 20.0))
    ceiling_steps = steps_for_ms(CEILING_SMOOTHING_MS, sample_rate_hz)
    fade_frames = max(1, steps_for_ms(LOOKAHEAD_CROSSFADE_MS, sample_rate_hz))
    release = _release_coef(values["lim_release_ms"], sample_rate_hz)
    requested = latency_frames(values["lim_lookahead_ms"], sample_rate_hz)
    current = GainComputer(requested)
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
                requested = latency_frames(v, sample_rate_hz)
            k += 1
        if old is None and requested != current.lookahead:
            old = current
            current = GainComputer.started(requested, i, list(history), old.last)
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
        g = current.tick(i, q, release)
        yl = delay_l[lmax - current.lookahead] * g
        yr = delay_r[lmax - current.lookahead] * g
        if old is not None:
            g_old = old.tick(i, q, release)
            fade_pos += 1
            a = fade_pos / fade_frames
            yl = (1 - a) * delay_l[lmax - old.lookahead] * g_old + a * yl
            yr = (1 - a) * delay_r[lmax - old.lookahead] * g_old + a * yr
            if fade_pos >= fade_frames:
                old = None
        history.append(q)
        out_l[i] = _flush(min(max(yl, -c), c))
        out_r[i] = _flush(min(max(yr, -c), c))
    return out_l, out_r
