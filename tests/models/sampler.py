"""Reference model of one sampler voice, in plain per-sample Python (float64).

Written from the sampler's documented behaviour:

* rate = 2^((note - root)/12 + cents/1200) * sample_rate_sample / sample_rate_engine;
  the read position is a 32.32 fixed-point frame index advanced by
  round(rate * 2^32) per output frame;
* output = s[i] + (s[i+1] - s[i]) * frac, frames past the end read as 0, the
  voice ends when the integer position passes the last frame;
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
    chans = [list(data[0]), list(data[-1])]
    n = len(chans[0])
    inc = increment(note, root_note, tune_cents, sample_sr, engine_sr)
    attack = max(steps(attack_ms, engine_sr), steps(MIN_ONSET_MS, engine_sr))
    release = steps(release_ms, engine_sr)
    gain = velocity * 10.0 ** (gain_db / 20)
    out = np.zeros((2, frames))
    pos = 0
    level = 0.0
    released_at: int | None = None
    release_from = 0.0
    for t in range(start, frames):
        k = t - start
        if note_off is not None and t >= note_off and released_at is None:
            released_at, release_from = t, level
        if released_at is None:
            level = (k + 1) / attack if k < attack else 1.0
        else:
            j = t - released_at
            if j >= release:
                break
            level = release_from * (release - 1 - j) / release
        i, frac = pos >> 32, (pos & (FRAC_ONE - 1)) / FRAC_ONE
        if i >= n:
            break
        for c in range(2):
            a = chans[c][i]
            b = chans[c][i + 1] if i + 1 < n else 0.0
            out[c, t] = (a + (b - a) * frac) * level * gain
        pos += inc
    return out[0], out[1]
