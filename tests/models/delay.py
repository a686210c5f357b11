"""Reference model of the stereo delay (dsp_rust/src/units/delay.rs), in plain
per-sample Python and float64.

Per frame, with ``y`` the two lines read ``d`` frames back by 4-point cubic
Hermite (Catmull-Rom) interpolation:

* ``lp += a (y - lp)`` per side, ``a = 1 - exp(-2 pi fc / fs)``;
* ``wL = inL + p (m - inL) + fb (lpL + p (lpR - lpL))`` and
  ``wR = (1 - p) inR + fb (lpR + p (lpL - lpR))`` are written to the lines,
  ``m = (inL + inR)/2``, ``p`` the ping-pong amount;
* ``out = (1 - mix) in + mix y``.

``d`` is the free time ``delay_time_ms`` or, for ``delay_sync`` 1..6, 1/4,
1/8, dotted 1/8, 1/8 triplet, 1/16 or 1/2 note at the tempo, held within
[2, line length - 3] frames of a line of ``ceil(6 s · fs) + 4`` frames. A
change of ``d`` glides: the remaining distance ``g`` loses
``clamp(g (1 - exp(-1/(0.1 s · fs))), ±0.5)`` per frame and ends below 1e-3.
Feedback, damping coefficient, ping-pong and mix ramp linearly (the crate's
``smooth::Linear``) over 20, 20, 50 and 20 ms. Recirculating values below
1e-9 become 0, outputs below 1e-20 become 0.

The model starts at rest with ``params`` (as the engine does after its
reset); ``changes`` applies ``(frame, name, value)`` before that frame.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

DEFAULTS: dict[str, float] = {
    "delay_time_ms": 375.0,
    "delay_sync": 0.0,
    "delay_feedback": 0.35,
    "delay_ping_pong": 0.0,
    "delay_damping_hz": 6000.0,
    "delay_mix": 0.25,
}
SMOOTHING_MS: dict[str, float] = {
    "delay_feedback": 20.0,
    "delay_ping_pong": 50.0,
    "delay_damping_hz": 20.0,
    "delay_mix": 20.0,
}
SYNC_BEATS = (1.0, 0.5, 0.75, 1.0 / 3.0, 0.25, 2.0)
MAX_DELAY_S = 6.0
GUARD_FRAMES = 4
MIN_DELAY_FRAMES = 2
GLIDE_MS = 100.0
GLIDE_MAX_RATE = 0.5
GLIDE_SNAP_FRAMES = 1e-3
STATE_FLOOR = 1e-9
FLUSH_THRESHOLD = 1e-20


def floor_state(x: float) -> float:
    """Values below the state floor (or not finite) become exactly 0."""
    return x if STATE_FLOOR <= abs(x) < math.inf else 0.0


def flush(x: float) -> float:
    """The crate's ``math::flush``: below 1e-20 or not finite becomes 0."""
    return x if FLUSH_THRESHOLD <= abs(x) < math.inf else 0.0


def steps_for_ms(ms: float, fs: float) -> int:
    """Ramp length in frames (``smooth::steps_for_ms``)."""
    return max(0, math.floor(ms * 1e-3 * fs + 0.5))


class Linear:
    """``smooth::Linear``: reaches the target in exactly ``steps`` ticks,
    each value computed as ``target - step · remaining``."""

    def __init__(self, value: float) -> None:
        self.current = value
        self.target = value
        self.step = 0.0
        self.remaining = 0

    def set_target(self, target: float, steps: int) -> None:
        self.target = target
        if steps == 0 or target == self.current:
            self.snap()
        else:
            self.remaining = steps
            self.step = (target - self.current) / steps

    def snap(self) -> None:
        self.current = self.target
        self.remaining = 0
        self.step = 0.0

    def tick(self) -> float:
        if self.remaining > 0:
            self.remaining -= 1
            self.current = self.target - self.step * self.remaining
        return self.current


class Linear32(Linear):
    """:class:`Linear` in float32, as the crate computes it: where a ramp's
    value is used at float32 resolution (a read position of hundreds of
    frames), its rounding is part of the result."""

    def __init__(self, value: float) -> None:
        super().__init__(_f32(value))

    def set_target(self, target: float, steps: int) -> None:
        target = _f32(target)
        self.target = target
        if steps == 0 or target == self.current:
            self.snap()
        else:
            self.remaining = steps
            self.step = _f32(_f32(target - self.current) / steps)

    def tick(self) -> float:
        if self.remaining > 0:
            self.remaining -= 1
            self.current = _f32(self.target - _f32(self.step * _f32(self.remaining)))
        return self.current


def hermite(xm1: float, x0: float, x1: float, x2: float, t: float) -> float:
    """4-point Catmull-Rom between ``x0`` (t = 0) and ``x1`` (t = 1)."""
    c1 = 0.5 * (x1 - xm1)
    c2 = xm1 - 2.5 * x0 + 2.0 * x1 - 0.5 * x2
    c3 = 0.5 * (x2 - xm1) + 1.5 * (x0 - x1)
    return ((c3 * t + c2) * t + c1) * t + x0


def line_frames(sample_rate_hz: float) -> int:
    """Frames in each delay line."""
    return math.ceil(MAX_DELAY_S * sample_rate_hz) + GUARD_FRAMES


def delay_frames(params: Mapping[str, float], sample_rate_hz: float, tempo_bpm: float) -> float:
    """The delay in frames the settings ask for (fractional)."""
    p = {**DEFAULTS, **params}
    sync = round(p["delay_sync"])
    bpm = min(max(tempo_bpm, 20.0), 300.0)
    if 1 <= sync <= len(SYNC_BEATS):
        seconds = SYNC_BEATS[sync - 1] * 60.0 / bpm
    else:
        seconds = p["delay_time_ms"] * 1e-3
    top = line_frames(sample_rate_hz) - (GUARD_FRAMES - 1)
    return min(max(seconds * sample_rate_hz, float(MIN_DELAY_FRAMES)), float(top))


def damping_coef(hz: float, sample_rate_hz: float) -> float:
    """One-pole low-pass coefficient ``1 - exp(-2 pi fc / fs)``."""
    return 1.0 - math.exp(-2.0 * math.pi * hz / sample_rate_hz)


def _f32(x: float) -> float:
    """A parameter value as the engine stores it."""
    return float(np.float32(x))


def render_delay(
    params: Mapping[str, float],
    left: npt.ArrayLike,
    right: npt.ArrayLike | None = None,
    *,
    sample_rate_hz: float = 48000.0,
    tempo_bpm: float = 120.0,
    changes: Sequence[tuple[int, str, float]] = (),
) -> tuple[F64, F64]:
    """The delay's stereo output for the input pair (right defaults to left)."""
    fs = float(sample_rate_hz)
    p = {k: _f32(v) for k, v in {**DEFAULTS, **params}.items()}
    x_l = np.asarray(left, np.float64)
    x_r = x_l if right is None else np.asarray(right, np.float64)
    n_len = line_frames(fs)
    max_k = n_len - (GUARD_FRAMES - 1)
    buf_l = [0.0] * n_len
    buf_r = [0.0] * n_len
    write = 0
    lp_l = lp_r = 0.0
    glide = 0.0
    # The glide runs in float32: its rate, remainder and read position.
    rate = _f32(1.0 - math.exp(-1.0 / (GLIDE_MS * 1e-3 * fs)))

    def target() -> tuple[int, float]:
        t = delay_frames(p, fs, tempo_bpm)
        return math.floor(t), _f32(t - math.floor(t))

    t_int, t_frac = target()
    fb = Linear(p["delay_feedback"])
    mix = Linear(p["delay_mix"])
    damp = Linear(damping_coef(p["delay_damping_hz"], fs))
    pp = Linear(p["delay_ping_pong"])
    pending = sorted(changes)
    out_l = np.zeros(len(x_l))
    out_r = np.zeros(len(x_l))
    for n in range(len(x_l)):
        while pending and pending[0][0] <= n:
            _, name, value = pending.pop(0)
            p[name] = _f32(round(value) if name in ("delay_sync", "delay_ping_pong") else value)
            steps = steps_for_ms(SMOOTHING_MS.get(name, 0.0), fs)
            if name in ("delay_time_ms", "delay_sync"):
                now = t_int + t_frac + glide
                t = delay_frames(p, fs, tempo_bpm)
                t_int, t_frac = target()
                glide = _f32(min(max(now - t, MIN_DELAY_FRAMES - t), max_k - t))
            elif name == "delay_feedback":
                fb.set_target(p[name], steps)
            elif name == "delay_ping_pong":
                pp.set_target(p[name], steps)
            elif name == "delay_damping_hz":
                damp.set_target(damping_coef(p[name], fs), steps)
            else:
                mix.set_target(p[name], steps)
        g = fb.tick()
        m = mix.tick()
        a = damp.tick()
        pg = pp.tick()
        glide = _f32(glide - min(max(_f32(glide * rate), -GLIDE_MAX_RATE), GLIDE_MAX_RATE))
        if abs(glide) < GLIDE_SNAP_FRAMES:
            glide = 0.0
        pos = _f32(t_frac + glide)
        whole = math.floor(pos)
        t = _f32(pos - whole)
        k = min(max(t_int + whole, MIN_DELAY_FRAMES), max_k)
        i0 = (write - k) % n_len
        im1 = (write - k + 1) % n_len
        i1 = (write - k - 1) % n_len
        i2 = (write - k - 2) % n_len
        yl = flush(hermite(buf_l[im1], buf_l[i0], buf_l[i1], buf_l[i2], t))
        yr = flush(hermite(buf_r[im1], buf_r[i0], buf_r[i1], buf_r[i2], t))
        lp_l = floor_state(lp_l + a * (yl - lp_l))
        lp_r = floor_state(lp_r + a * (yr - lp_r))
        il = float(x_l[n])
        ir = float(x_r[n])
        mono = 0.5 * il + 0.5 * ir
        buf_l[write] = floor_state(il + pg * (mono - il) + g * (lp_l + pg * (lp_r - lp_l)))
        buf_r[write] = floor_state((1.0 - pg) * ir + g * (lp_r + pg * (lp_l - lp_r)))
        write = (write + 1) % n_len
        out_l[n] = flush((1.0 - m) * il + m * yl)
        out_r[n] = flush((1.0 - m) * ir + m * yr)
    return out_l, out_r
