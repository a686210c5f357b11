"""Reference model of one sampler voice, in plain per-sample Python (float64).

Written from the sampler's documented behaviour:

* rate = 2^((note - root)/12 + cents/1200) * sample_rate_sample / sample_rate_engine;
  the read position is a 32.32 fixed-point frame index advanced by
  round(rate * 2^32) per output frame;
* band-limited resampling, evaluated directly from the design formula in
  float64 (no table, no fixed-point kernel positions): the prototype kernel
  h(t) = sinc(t) * kaiser(t / 36, beta 10.5); level k of a pyramid (the
  sample decimated by 2^k through the half-band filter
  sinc(n/2)/2 * kaiser(n/72), n = -71..71, applied with np.convolve) is read
  with k = max(0, floor(log2 rate)) and the kernel stretched by
  s = max(1, rate / 2^k): y = (1/s) * sum_i x_k[i] * h((i - u) / s) at
  level position u = pos / 2^k; frames outside the sample are 0, the voice
  ends when the integer position passes the last frame;
* envelope, linear in amplitude: frame k of the note plays at (k+1)/A during
  the onset of A = max(round(attack_ms), round(0.5 ms), 1) frames, then 1; a
  note-off (sustained mode only) ramps from the level then reached to 0 over
  R = max(round(release_ms), 1) frames, frame j after it at level*(R-1-j)/R,
  and ends the voice;
* velocity and 10^(gain_db/20) multiply the output.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

MIN_ONSET_MS = 0.5
FRAC_ONE = 1 << 32
ZERO_CROSSINGS = 36
KAISER_BETA = 10.5
HALFBAND_REACH = 72


def kaiser(x: npt.NDArray[np.float64]) -> F64:
    """Kaiser window of shape KAISER_BETA on [-1, 1], 0 outside."""
    inside = np.abs(x) < 1.0
    arg = KAISER_BETA * np.sqrt(np.where(inside, 1.0 - x * x, 0.0))
    return np.where(inside, np.i0(arg) / np.i0(KAISER_BETA), 0.0)


def kernel(t: npt.NDArray[np.float64]) -> F64:
    """The prototype interpolation kernel sinc(t) * kaiser(t / Z)."""
    return np.sinc(t) * kaiser(t / ZERO_CROSSINGS)


def halfband() -> F64:
    """The pyramid's half-band filter, taps -71..71."""
    n = np.arange(-HALFBAND_REACH + 1, HALFBAND_REACH, dtype=np.float64)
    return 0.5 * np.sinc(n / 2) * kaiser(n / HALFBAND_REACH)


def pyramid(x: F64, levels: int) -> list[F64]:
    """``x`` and ``levels - 1`` copies, each the previous one filtered by
    the half-band filter and decimated by 2."""
    out = [x]
    h = halfband()
    for _ in range(1, levels):
        prev = out[-1]
        full = np.convolve(prev, h)[HALFBAND_REACH - 1 : HALFBAND_REACH - 1 + len(prev)]
        out.append(full[::2])
    return out


def resample_at(x: F64, u: float, stretch: float) -> float:
    """The band-limited value of ``x`` at position ``u`` with the kernel
    stretched by ``stretch`` (frames outside ``x`` are 0)."""
    reach = ZERO_CROSSINGS * stretch
    lo = max(math.floor(u - reach), 0)
    hi = min(math.ceil(u + reach), len(x) - 1)
    if hi < lo:
        return 0.0
    i = np.arange(lo, hi + 1, dtype=np.float64)
    return float(np.dot(x[lo : hi + 1], kernel((i - u) / stretch)) / stretch)


def steps(ms: float, sample_rate_hz: float) -> int:
    """Envelope length in frames for ``ms`` (at least 1)."""
    return max(round(ms * 1e-3 * sample_rate_hz), 1)


def increment(
    note: int, root_note: int, tune_cents: float, sample_sr: float, engine_sr: float
) -> int:
    """Read-position increment per output frame, 32.32 fixed point."""
    rate = float(2.0 ** ((note - root_note) / 12 + tune_cents / 1200)) * sample_sr / engine_sr
    return max(math.floor(rate * FRAC_ONE + 0.5), 1)


def play_voice(
    sample: npt.NDArray[np.floating],
    sample_sr: float,
    frames: int,
    *,
    engine_sr: float = 48000.0,
    start: int = 0,
    note: int = 60,
    velocity: float = 1.0,
    root_note: int = 60,
    tune_cents: float = 0.0,
    attack_ms: float = 0.0,
    release_ms: float = 50.0,
    gain_db: float = 0.0,
    note_off: int | None = None,
) -> tuple[F64, F64]:
    """``frames`` frames of output (L, R) of one voice started at frame
    ``start``; ``sample`` is (channels, n) and a mono sample feeds both
    channels. ``note_off`` (an absolute frame) releases the voice, as in
    sustained mode; leave it None for one-shot playback."""
    data = np.atleast_2d(np.asarray(sample, dtype=np.float64))
    n = data.shape[1]
    inc = increment(note, root_note, tune_cents, sample_sr, engine_sr)
    rate = inc / FRAC_ONE
    level = 0 if rate < 2.0 else math.floor(math.log2(rate))
    stretch = max(1.0, rate / 2.0**level)
    chans = [pyramid(data[0], level + 1)[level], pyramid(data[-1], level + 1)[level]]
    attack = max(steps(attack_ms, engine_sr), steps(MIN_ONSET_MS, engine_sr))
    release = steps(release_ms, engine_sr)
    gain = velocity * 10.0 ** (gain_db / 20)
    out = np.zeros((2, frames))
    pos = 0
    env = 0.0
    released_at: int | None = None
    release_from = 0.0
    for t in range(start, frames):
        k = t - start
        if note_off is not None and t >= note_off and released_at is None:
            released_at, release_from = t, env
        if released_at is None:
            env = (k + 1) / attack if k < attack else 1.0
        else:
            j = t - released_at
            if j >= release:
                break
            env = release_from * (release - 1 - j) / release
        if pos >> 32 >= n:
            break
        u = pos / FRAC_ONE / 2.0**level
        for c in range(2):
            out[c, t] = resample_at(chans[c], u, stretch) * env * gain
        pos += inc
    return out[0], out[1]
