"""Reference model of ONE synth voice, in plain per-sample Python.

Written from the synth's documented behaviour (dsp_rust/src/sources/synth/):

* oscillator 1: saw ``2t - 1`` band-limited at every wrap by the integral of
  a Kaiser-windowed sinc (cutoff 0.45 fs, beta 9, +-8 samples): with T(x)
  the step's tail (T(0) = 1/2, T(8) = 0), the saw is
  ``2t - 1 + 2 sum T(a) - 2 sum T(b)`` over the wraps a samples past and b
  samples ahead (here T by numpy's sinc and i0 at 256 points per sample,
  linearly interpolated, in float64); the square is
  ``saw(t + 1/2) - saw(t)``; waveform weight w1 gives
  ``(1 - 2 w1) saw(t) + w1 saw(t + 1/2)``;
* oscillator 2 at ``note · 2^((semitones + cents/100)/12)``: with u its phase
  (starting at 0.25), the naive triangle ``1 - |4u - 2|``, the sine
  ``sin(pi/2 · triangle)`` (here ``math.sin``), and the triangle with
  2-sample polyBLAMP corners; weight w2 blends sine → triangle;
* mix m: ``(1 - m) osc1 + m osc2``;
* Simper/Cytomic trapezoidal SVF low-pass, g = tan(pi fc / fs), k = 2 · 20^-r,
  fc = cutoff · 2^(env_octaves · filter_env) held in [10 Hz, 0.45 fs]; the
  coefficients a1..a3 for the filter envelope's level are computed when the
  note starts (and used at once) and on every 16th frame counted from frame
  0 (the engine's reset), where they become a ramp's target: from the
  previous target the coefficients move by (target - previous) / 16 per
  sample (float32), reaching the target on the segment's last sample. A
  retrigger leaves the ramp running. With ``exact_filter=True`` the
  coefficients are instead float64 and computed every sample from the
  filter envelope's level 16 frames earlier (the ramp's lag): the filter the
  ramp approximates, without its 16-frame pattern;
* ADSR ``level <- base + level·coef``: attack towards 1.3·peak, stopping at
  the peak, ``coef = 2^(-log2(1.3/0.3)/frames)``; decay/sustain glide to
  sustain·peak with ``coef = 2^(-log2(1000)/frames)``; release towards
  -0.001·peak, ending at exactly 0, ``coef = 2^(-log2(1001)/frames)``; a held
  note whose decay target is 0 ends below 1e-9; base/coef are refreshed on
  the same 16-frame grid; the amplitude peak is velocity², the filter
  envelope's peak 1;
* output = filter · amplitude envelope · 10^(gain_db/20).

Float32 where the engine stores float32 and the value shapes the waveform
rather than just its rounding: phases, phase increments, filter coefficients
a1..a3 and their ramp, the cutoff in log2, velocity. Everything else is
float64 (as the engine's envelopes are), so the difference to the engine is its float32
oscillator/filter arithmetic and its polynomial sine/tan/exp2.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
f32 = np.float32

CONTROL_FRAMES = 16
MAX_PHASE_INC = 0.45
ATTACK_OVERSHOOT = 0.3
RELEASE_UNDERSHOOT = 0.001
SILENT_LEVEL = 1e-9

DEFAULTS: dict[str, float] = {
    "synth_osc1_wave": 0.0,
    "synth_osc2_wave": 0.0,
    "synth_osc2_semitones": 0.0,
    "synth_osc2_detune_cents": 0.0,
    "synth_osc_mix": 0.0,
    "synth_cutoff_hz": 2000.0,
    "synth_resonance": 0.0,
    "synth_filter_env_octaves": 0.0,
    "synth_fenv_attack_ms": 1.0,
    "synth_fenv_decay_ms": 300.0,
    "synth_fenv_sustain": 0.0,
    "synth_fenv_release_ms": 300.0,
    "synth_attack_ms": 5.0,
    "synth_decay_ms": 300.0,
    "synth_sustain": 0.7,
    "synth_release_ms": 300.0,
    "synth_gain_db": -12.0,
}

IDLE, ATTACK, DECAY, RELEASE = range(4)


def note_hz(note: float) -> float:
    """Equal temperament, A4 = note 69 = 440 Hz."""
    return float(440.0 * 2.0 ** ((note - 69) / 12))


def _rate(span_log2: float, ms: float, fs: float) -> float:
    return float(2.0 ** (-span_log2 / max(ms * 1e-3 * fs, 1.0)))


class Env:
    """One ADSR; ``peak`` scales the attack target, sustain and release."""

    def __init__(
        self, attack_ms: float, decay_ms: float, sustain: float, release_ms: float, fs: float
    ) -> None:
        self.rates = (
            _rate(math.log2(1.3 / 0.3), attack_ms, fs),
            _rate(math.log2(1000.0), decay_ms, fs),
            _rate(math.log2(1.001 / 0.001), release_ms, fs),
        )
        self.sustain = float(f32(sustain))
        self.level = 0.0
        self.peak = 1.0
        self.stage = IDLE
        self.base = 0.0
        self.coef = 0.0
        self.lo = -math.inf
        self.hi = math.inf

    def configure(self) -> None:
        a, d, r = self.rates
        p = self.peak
        if self.stage == IDLE:
            base, coef, self.lo, self.hi = 0.0, 0.0, -math.inf, math.inf
        elif self.stage == ATTACK:
            base, coef, self.lo, self.hi = p * (1 + ATTACK_OVERSHOOT) * (1 - a), a, -math.inf, p
        elif self.stage == DECAY:
            s = self.sustain * p
            base, coef, self.hi = s * (1 - d), d, math.inf
            self.lo = SILENT_LEVEL if s == 0 else -math.inf
        else:
            base, coef, self.lo, self.hi = -RELEASE_UNDERSHOOT * p * (1 - r), r, 0.0, math.inf
        self.base = base
        self.coef = coef

    def trigger(self, peak: float) -> None:
        self.peak = peak
        self.stage = DECAY if self.level >= peak else ATTACK
        self.configure()

    def release(self) -> None:
        if self.stage != IDLE:
            self.stage = RELEASE
            self.configure()

    def tick(self) -> None:
        self.level = self.base + self.level * self.coef
        if not (self.lo < self.level < self.hi):
            if self.stage == ATTACK:
                self.level = self.peak
                self.stage = DECAY
            else:
                self.level = 0.0
                self.stage = IDLE
            self.configure()


BLEP_HALF_WIDTH = 8
BLEP_STEPS = 256


def _blep_tail_table() -> F64:
    x = np.arange(BLEP_HALF_WIDTH * BLEP_STEPS + 1) / BLEP_STEPS
    h = 0.9 * np.sinc(0.9 * x) * np.i0(9.0 * np.sqrt(1.0 - (x / BLEP_HALF_WIDTH) ** 2)) / np.i0(9.0)
    pieces = (h[:-1] + h[1:]) * (0.5 / BLEP_STEPS)
    tail = np.concatenate([np.cumsum(pieces[::-1])[::-1], [0.0]])
    return np.asarray(tail * (0.5 / tail[0]), np.float64)


BLEP_TAIL = _blep_tail_table()


def _tail(x: float) -> float:
    return float(np.interp(x * BLEP_STEPS, np.arange(len(BLEP_TAIL)), BLEP_TAIL))


def _saw(t: float, inv: float) -> float:
    """The band-limited saw at phase ``t``, ``inv`` samples per cycle."""
    total = 0.0
    a = t * inv
    while a < BLEP_HALF_WIDTH:
        total += _tail(a)
        a += inv
    b = (1.0 - t) * inv
    while b < BLEP_HALF_WIDTH:
        total -= _tail(b)
        b += inv
    return t + t - 1.0 + 2.0 * total


def _blamp(t: float, dt: float, om: float, inv: float) -> float:
    if t < dt:
        x = t * inv - 1.0
        return -x * x * x / 3.0
    if t > om:
        x = (t - 1.0) * inv + 1.0
        return x * x * x / 3.0
    return 0.0


def _wrap(t: np.float32) -> np.float32:
    return t - f32(1.0) if t >= 1.0 else t


def render_voice(
    params: Mapping[str, float],
    events: Sequence[tuple[int, str, int, float]],
    frames: int,
    *,
    sample_rate_hz: float = 48000.0,
    exact_filter: bool = False,
) -> F64:
    """Mono output of one voice over ``frames`` frames; ``events`` are
    ``(frame, "on" | "off", note, velocity)`` all for the SAME note (a second
    "on" retriggers), sorted by frame. Parameters are constant from frame 0.
    The synth writes the same signal to both channels. ``exact_filter``:
    per-sample float64 filter coefficients (see the module docstring)."""
    p = {**DEFAULTS, **params}
    fs = sample_rate_hz
    w1, w2, m = p["synth_osc1_wave"], p["synth_osc2_wave"], p["synth_osc_mix"]
    wa, wb = (1 - m) * (1 - 2 * w1), (1 - m) * w1
    wc, wd = m * (1 - w2), m * w2
    gain = float(f32(2.0 ** (p["synth_gain_db"] * math.log2(10) / 20)))
    ratio = 2.0 ** (
        (p["synth_osc2_semitones"] + float(f32(p["synth_osc2_detune_cents"])) / 100) / 12
    )
    cutoff_log2 = float(f32(math.log2(p["synth_cutoff_hz"])))
    env_oct = float(f32(p["synth_filter_env_octaves"]))
    k = 2.0 * 2.0 ** (-math.log2(20.0) * float(f32(p["synth_resonance"])))
    lo_log2, hi_log2 = math.log2(10.0), math.log2(0.45 * fs)

    amp = Env(
        p["synth_attack_ms"], p["synth_decay_ms"], p["synth_sustain"], p["synth_release_ms"], fs
    )
    fenv = Env(
        p["synth_fenv_attack_ms"],
        p["synth_fenv_decay_ms"],
        p["synth_fenv_sustain"],
        p["synth_fenv_release_ms"],
        fs,
    )

    note_inc = 0.0
    p1 = f32(0.0)
    p2 = f32(0.25)
    dt1 = dt2 = f32(0.0)
    inv1 = inv2 = 0.0
    a1 = a2 = a3 = f32(0.0)
    t1 = t2 = t3 = f32(0.0)
    da1 = da2 = da3 = f32(0.0)
    ic1 = ic2 = 0.0
    step = f32(1.0 / CONTROL_FRAMES)
    # Filter envelope levels of the last CONTROL_FRAMES + 1 samples (exact_filter).
    fenv_levels: list[float] = []

    def coefficients(level: float) -> tuple[float, float, float]:
        lg = min(max(cutoff_log2 + env_oct * level, lo_log2), hi_log2)
        g = math.tan(math.pi * 2.0**lg / fs)
        c1 = 1.0 / (1.0 + g * (g + k))
        return c1, g * c1, g * g * c1

    def control(ramp: bool) -> None:
        nonlocal dt2, inv2, a1, a2, a3, t1, t2, t3, da1, da2, da3
        amp.configure()
        fenv.configure()
        dt2 = f32(min(note_inc * ratio, MAX_PHASE_INC))
        inv2 = float(f32(1.0 / float(dt2)))
        n1, n2, n3 = (f32(c) for c in coefficients(fenv.level))
        if ramp:
            a1, a2, a3 = t1, t2, t3
            da1, da2, da3 = (n1 - t1) * step, (n2 - t2) * step, (n3 - t3) * step
        else:
            a1, a2, a3 = n1, n2, n3
            da1 = da2 = da3 = f32(0.0)
        t1, t2, t3 = n1, n2, n3

    out = np.zeros(frames)
    ev = 0
    for n in range(frames):
        while ev < len(events) and events[ev][0] <= n:
            _, kind, note, vel = events[ev]
            ev += 1
            v = min(max(vel, 0.0), 1.0)
            if kind == "off" or v == 0.0:
                amp.release()
                fenv.release()
                continue
            fresh = amp.stage == IDLE
            if fresh:
                note_inc = note_hz(note) / fs
                dt1 = f32(min(note_inc, MAX_PHASE_INC))
                inv1 = float(f32(1.0 / float(dt1)))
                p1, p2, ic1, ic2 = f32(0.0), f32(0.25), 0.0, 0.0
                amp.level = fenv.level = 0.0
                fenv_levels = [0.0] * (CONTROL_FRAMES + 1)
            amp.trigger(float(f32(v)) ** 2)
            fenv.trigger(1.0)
            if fresh:
                control(ramp=False)
        if n % CONTROL_FRAMES == 0 and amp.stage != IDLE:
            control(ramp=True)
        if amp.stage == IDLE:
            continue
        amp.tick()
        if amp.stage == IDLE:
            ic1 = ic2 = 0.0
            continue
        fenv.tick()
        if exact_filter:
            fenv_levels = [*fenv_levels[1:], fenv.level]
            c1, c2, c3 = coefficients(fenv_levels[0])
        else:
            a1, a2, a3 = a1 + da1, a2 + da2, a3 + da3
            c1, c2, c3 = float(a1), float(a2), float(a3)

        d2 = float(dt2)
        om2 = float(f32(1.0) - dt2)
        t, h = float(p1), float(_wrap(p1 + f32(0.5)))
        saw = _saw(t, inv1)
        saw_h = _saw(h, inv1)
        u, uh = float(p2), float(_wrap(p2 + f32(0.5)))
        tri = 1.0 - abs(4.0 * u - 2.0)
        sine = math.sin(math.pi / 2 * tri)
        tri_bl = tri + 4.0 * d2 * (_blamp(u, d2, om2, inv2) - _blamp(uh, d2, om2, inv2))
        x = wa * saw + wb * saw_h + wc * sine + wd * tri_bl
        p1 = _wrap(p1 + dt1)
        p2 = _wrap(p2 + dt2)

        v3 = x - ic2
        v1 = c1 * ic1 + c2 * v3
        v2 = ic2 + c2 * ic1 + c3 * v3
        ic1 = 2 * v1 - ic1
        ic2 = 2 * v2 - ic2
        out[n] = v2 * amp.level * gain
    return out


def naive_saw(hz: float, frames: int, sample_rate_hz: float = 48000.0) -> F64:
    """The aliasing saw ``2t - 1`` (phase from 0) for comparison."""
    t: F64 = np.mod(np.arange(frames) * (hz / sample_rate_hz), 1.0)
    return 2.0 * t - 1.0
