"""Reference model of the reverb (dsp_rust/src/units/reverb.rs), in plain
per-sample Python and float64: Jezar's Freeverb with a predelay.

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

F64 = npt.NDArray[np.float64]

DEFAULTS: dict[str, float] = {
    "reverb_size": 0.7,
    "reverb_damping": 0.5,
    "reverb_width": 1.0,
    "reverb_predelay_ms": 10.0,
    "reverb_mix": 0.3,
}
SMOOTHING_MS: dict[str, float] = {
    "reverb_size": 50.0,
    "reverb_damping": 50.0,
    "reverb_width": 20.0,
    "reverb_predelay_ms": 100.0,
    "reverb_mix": 20.0,
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
        for side in (0, 1):
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
        g = wet.tick()
        h = dry.tick()
        w = width.tick()
        wet1 = g * (0.5 + 0.5 * w)
        wet2 = g * (0.5 - 0.5 * w)
        out_l[n] = flush(sides[0] * wet1 + sides[1] * wet2 + il * h)
        out_r[n] = flush(sides[1] * wet1 + sides[0] * wet2 + ir * h)
    return out_l, out_r
