"""One-shot samples the project synthesises itself: a drum kit and an
electric-piano note, computed with numpy at any sample rate, no files.

Every function takes the sample rate in Hz and returns a float32 array shaped
``(channels, frames)`` with ``frames = round(LENGTH_S[name] * sample_rate_hz)``
and ``channels = CHANNELS[name]``, peak-normalised to -1 dBFS. The only
randomness is noise from a numpy ``Generator`` with a fixed seed per sound,
so every call returns the same array. Each sound starts with a short linear
fade-in and its last 15 % is faded out with a half cosine, so a sample starts
and ends in silence.

Filtering is done in the frequency domain (``rfft``, multiply by a
Butterworth-shaped magnitude response, ``irfft``) on noise that is enveloped
afterwards, so nothing depends on scipy. Oscillators that must not alias
(the hi-hat's metallic cluster) are summed from their band-limited harmonics.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]

PEAK_DBFS = -1.0
"""Level every sample is normalised to."""

FADE_OUT_FRACTION = 0.15
"""Fraction of every sample, at its end, faded out so it ends in silence."""

LENGTH_S: dict[str, float] = {
    "kick": 0.5,
    "snare": 0.35,
    "clap": 0.3,
    "closed_hat": 0.12,
    "open_hat": 0.6,
    "rim": 0.08,
    "perc": 0.4,
    "bass_808": 1.2,
    "keys": 2.5,
}
"""Duration of each sample, seconds."""

CHANNELS: dict[str, int] = {name: 1 for name in LENGTH_S} | {"keys": 2}
"""Channel count of each sample: the drums are mono, the keys stereo."""

KEYS_MIDI_NOTE = 60
"""MIDI note the keys sample plays (C4, 261.63 Hz)."""

BASS_808_MIDI_NOTE = 36
"""MIDI note the 808 bass is tuned to (C2, 65.41 Hz)."""


def _midi_hz(note: int) -> float:
    return float(440.0 * 2.0 ** ((note - 69) / 12))


def _time(name: str, sample_rate_hz: float) -> F64:
    frames = round(LENGTH_S[name] * sample_rate_hz)
    return np.arange(frames, dtype=np.float64) / sample_rate_hz


def _noise(seed: int, frames: int) -> F64:
    return np.random.default_rng(seed).standard_normal(frames)


def _band(x: F64, sample_rate_hz: float, low_hz: float, high_hz: float, order: int = 4) -> F64:
    """Zero-phase band-pass by FFT: Butterworth magnitude of ``order`` at each
    edge (``low_hz <= 0`` or ``high_hz >= Nyquist`` leaves that side open)."""
    spectrum = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1.0 / sample_rate_hz)
    gain = np.ones_like(f)
    if low_hz > 0:
        with np.errstate(divide="ignore"):
            gain /= np.sqrt(1.0 + (low_hz / np.maximum(f, 1e-9)) ** (2 * order))
    if high_hz < sample_rate_hz / 2:
        gain /= np.sqrt(1.0 + (f / high_hz) ** (2 * order))
    return np.fft.irfft(spectrum * gain, n=len(x))


def _fade_in(t: F64, ms: float) -> F64:
    """Linear onset ramp over ``ms`` so no sample starts with a step."""
    return np.minimum(t / (ms * 1e-3), 1.0)


def _finish(x: F64) -> F32:
    """Fade out the last FADE_OUT_FRACTION with a half cosine, shape to
    (channels, frames), peak-normalise to PEAK_DBFS, cast to float32."""
    y = np.atleast_2d(x).copy()
    n = y.shape[1]
    fade = max(1, round(FADE_OUT_FRACTION * n))
    y[:, n - fade :] *= 0.5 * (1 + np.cos(np.pi * np.arange(1, fade + 1) / fade))
    peak = float(np.max(np.abs(y)))
    if peak > 0:
        y = y * (10 ** (PEAK_DBFS / 20) / peak)
    return np.ascontiguousarray(y, dtype=np.float32)


def kick(sample_rate_hz: float) -> F32:
    """Kick drum, 0.5 s mono: a sine swept exponentially from 150 Hz down to
    45 Hz (time constant 30 ms) under an exponential amplitude decay
    (time constant 180 ms), driven gently into tanh for punch, plus a 5 ms
    click of noise band-passed to 1-6 kHz at -14 dB."""
    t = _time("kick", sample_rate_hz)
    f_hi, f_lo, tau = 150.0, 45.0, 0.03
    phase = 2 * np.pi * (f_lo * t + (f_hi - f_lo) * tau * (1 - np.exp(-t / tau)))
    body = np.sin(phase) * np.exp(-t / 0.18)
    body = np.tanh(1.5 * body) / np.tanh(1.5)
    click = _band(_noise(1, len(t)), sample_rate_hz, 1000.0, 6000.0) * np.exp(-t / 0.005)
    click *= 0.2 / max(float(np.max(np.abs(click))), 1e-12)
    return _finish((body + click) * _fade_in(t, 0.5))


def snare(sample_rate_hz: float) -> F32:
    """Snare drum, 0.35 s mono: two drum-head modes (sines at 185 Hz and
    330 Hz, decay time constant 50 ms and 30 ms) under a rattle of noise
    band-passed to 1.5-9 kHz with a 90 ms decay, noise louder than tone."""
    t = _time("snare", sample_rate_hz)
    tone = np.sin(2 * np.pi * 185.0 * t) * np.exp(-t / 0.05)
    tone += 0.6 * np.sin(2 * np.pi * 330.0 * t) * np.exp(-t / 0.03)
    rattle = _band(_noise(2, len(t)), sample_rate_hz, 1500.0, 9000.0, order=2)
    rattle *= np.exp(-t / 0.09) / max(float(np.std(rattle)), 1e-12)
    return _finish((0.5 * tone + 0.35 * rattle) * _fade_in(t, 0.3))


def _metal(t: F64, sample_rate_hz: float) -> F64:
    """The TR-808 cymbal oscillator bank: six square waves at 205.3, 304.4,
    369.6, 522.7, 540 and 800 Hz, each summed from its odd harmonics between
    4 kHz and min(16 kHz, 0.45 x the sample rate), so nothing aliases."""
    top = min(16000.0, 0.45 * sample_rate_hz)
    out = np.zeros_like(t)
    for f in (205.3, 304.4, 369.6, 522.7, 540.0, 800.0):
        for k in range(1, int(top / f) + 1, 2):
            if k * f >= 4000.0:
                out += np.sin(2 * np.pi * k * f * t) / k
    return out


def _hat(name: str, sample_rate_hz: float, decay_s: float, seed: int) -> F32:
    t = _time(name, sample_rate_hz)
    metal = _band(_metal(t, sample_rate_hz), sample_rate_hz, 7000.0, sample_rate_hz, order=4)
    noise = _band(_noise(seed, len(t)), sample_rate_hz, 7000.0, 16000.0, order=4)
    metal /= max(float(np.std(metal)), 1e-12)
    noise /= max(float(np.std(noise)), 1e-12)
    return _finish((0.6 * metal + 0.4 * noise) * np.exp(-t / decay_s) * _fade_in(t, 0.2))


def closed_hat(sample_rate_hz: float) -> F32:
    """Closed hi-hat, 0.12 s mono: the 808 six-square metallic cluster
    (band-limited) and noise, both high-passed at 7 kHz (4th-order), under a
    15 ms exponential decay."""
    return _hat("closed_hat", sample_rate_hz, 0.015, 3)


def open_hat(sample_rate_hz: float) -> F32:
    """Open hi-hat, 0.6 s mono: the closed hat's recipe (808 metallic cluster
    plus noise, high-passed at 7 kHz) with a 150 ms exponential decay."""
    return _hat("open_hat", sample_rate_hz, 0.15, 4)


def clap(sample_rate_hz: float) -> F32:
    """Hand clap, 0.3 s mono: noise band-passed to 800 Hz-3 kHz under three
    sharp bursts 10 ms apart (3 ms decay each, like several hands) followed
    by a 60 ms reverberant tail starting with the third burst."""
    t = _time("clap", sample_rate_hz)
    noise = _band(_noise(5, len(t)), sample_rate_hz, 800.0, 3000.0, order=2)
    env = np.zeros_like(t)
    for start in (0.0, 0.010, 0.020):
        dt = t - start
        env += np.where(dt >= 0, np.exp(-np.maximum(dt, 0) / 0.003), 0.0)
    dt = t - 0.020
    env += np.where(dt >= 0, 0.7 * np.exp(-np.maximum(dt, 0) / 0.06), 0.0)
    return _finish(noise * env * _fade_in(t, 0.2))


def rim(sample_rate_hz: float) -> F32:
    """Rim shot, 80 ms mono: two resonances, sines at 1.7 kHz and 490 Hz
    decaying with 8 ms and 12 ms time constants, plus a 1 ms click of noise
    high-passed at 2 kHz."""
    t = _time("rim", sample_rate_hz)
    tone = np.sin(2 * np.pi * 1700.0 * t) * np.exp(-t / 0.008)
    tone += 0.7 * np.sin(2 * np.pi * 490.0 * t) * np.exp(-t / 0.012)
    click = _band(_noise(6, len(t)), sample_rate_hz, 2000.0, sample_rate_hz, order=2)
    click *= np.exp(-t / 0.001) * 0.5 / max(float(np.max(np.abs(click))), 1e-12)
    return _finish((tone + click) * _fade_in(t, 0.2))


def perc(sample_rate_hz: float) -> F32:
    """Tuned hand percussion (conga-like), 0.4 s mono: a sine swept from
    330 Hz to 220 Hz (time constant 15 ms) with a 120 ms decay, an inharmonic
    partial at 2.76 x the pitch with a 25 ms decay, and a 2 ms slap of noise
    band-passed to 1-5 kHz."""
    t = _time("perc", sample_rate_hz)
    f_hi, f_lo, tau = 330.0, 220.0, 0.015
    phase = 2 * np.pi * (f_lo * t + (f_hi - f_lo) * tau * (1 - np.exp(-t / tau)))
    body = np.sin(phase) * np.exp(-t / 0.12)
    body += 0.3 * np.sin(2.76 * phase) * np.exp(-t / 0.025)
    slap = _band(_noise(7, len(t)), sample_rate_hz, 1000.0, 5000.0, order=2)
    slap *= np.exp(-t / 0.002) * 0.3 / max(float(np.max(np.abs(slap))), 1e-12)
    return _finish((body + slap) * _fade_in(t, 0.3))


def bass_808(sample_rate_hz: float) -> F32:
    """808-style bass drum tone, 1.2 s mono, tuned to C2 (65.41 Hz,
    ``BASS_808_MIDI_NOTE``): a sine that starts an octave higher and falls to
    pitch with a 20 ms time constant, under a 450 ms exponential decay,
    saturated with tanh(2x) for audible upper harmonics."""
    t = _time("bass_808", sample_rate_hz)
    f0, tau = _midi_hz(BASS_808_MIDI_NOTE), 0.02
    phase = 2 * np.pi * (f0 * t + f0 * tau * (1 - np.exp(-t / tau)))
    body = np.sin(phase) * np.exp(-t / 0.45)
    return _finish(np.tanh(2.0 * body) * _fade_in(t, 1.0))


def keys(sample_rate_hz: float) -> F32:
    """Electric-piano note, 2.5 s stereo, at MIDI 60 (C4, 261.63 Hz,
    ``KEYS_MIDI_NOTE``): two-operator FM (carrier and modulator at the
    pitch, modulation index falling from 2.2 to 0.3 with a 400 ms time
    constant) for the tone, plus a tine: a carrier at the pitch modulated at
    14 x the pitch with an index decaying in 25 ms; amplitude rises in 2 ms and
    decays with a 1.1 s time constant, and a 4.5 Hz stereo tremolo (depth
    25 %, the channels in opposite phase) spreads it across the stereo field."""
    t = _time("keys", sample_rate_hz)
    f0 = _midi_hz(KEYS_MIDI_NOTE)
    w = 2 * np.pi * f0 * t
    index = 0.3 + 1.9 * np.exp(-t / 0.4)
    tone = np.sin(w + index * np.sin(w))
    tine_index = 1.5 * np.exp(-t / 0.025)
    tine = np.sin(w + tine_index * np.sin(14.0 * w)) * np.exp(-t / 0.08)
    env = _fade_in(t, 2.0) * np.exp(-t / 1.1)
    mono = (tone + 0.25 * tine) * env
    trem = 0.25 * np.sin(2 * np.pi * 4.5 * t)
    return _finish(np.stack([mono * (1 - trem), mono * (1 + trem)]))


DRUM_KIT: dict[str, Callable[[float], F32]] = {
    "kick": kick,
    "snare": snare,
    "clap": clap,
    "closed_hat": closed_hat,
    "open_hat": open_hat,
    "rim": rim,
    "perc": perc,
    "bass_808": bass_808,
}
"""The drum sounds in kit order (kick first)."""

SAMPLES: dict[str, Callable[[float], F32]] = {**DRUM_KIT, "keys": keys}
"""Every sample, the kit then the keys."""


def all_samples(sample_rate_hz: float) -> dict[str, F32]:
    """Every sample rendered at ``sample_rate_hz``, in :data:`SAMPLES` order."""
    return {name: make(sample_rate_hz) for name, make in SAMPLES.items()}
