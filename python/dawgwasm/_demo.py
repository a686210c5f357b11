"""The built-in demo mix: six tracks synthesised deterministically in numpy
(kick, snare, hats, bass, pad, lead at 90 BPM) with strip settings that use
every stage of the channel strip."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["DemoMix", "demo_mix"]

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

BPM = 90.0


@dataclass
class DemoMix:
    """Per-track stereo inputs and the settings each track's strip gets."""

    sample_rate_hz: int
    names: list[str]
    inputs: F32  # (tracks, 2, frames)
    settings: list[dict[str, float]]
    master: dict[str, float] = field(default_factory=dict)

    @property
    def frames(self) -> int:
        return int(self.inputs.shape[2])

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate_hz


def _env(n: int, rate: int, decay_s: float) -> F64:
    t = np.arange(n) / rate
    return np.exp(-t / decay_s)


def _place(track: F64, hit: F64, at: int) -> None:
    end = min(len(track), at + len(hit))
    if at < end:
        track[at:end] += hit[: end - at]


def _saw(freq: float, n: int, rate: int, harmonics: int = 24) -> F64:
    t = np.arange(n) / rate
    out = np.zeros(n)
    for k in range(1, harmonics + 1):
        if k * freq >= rate / 2:
            break
        out += np.sin(2 * np.pi * k * freq * t) / k
    return out * (2 / np.pi)


def _square(freq: float, n: int, rate: int) -> F64:
    t = np.arange(n) / rate
    out = np.zeros(n)
    for k in range(1, 30, 2):
        if k * freq >= rate / 2:
            break
        out += np.sin(2 * np.pi * k * freq * t) / k
    return out * (4 / np.pi)


def _midi_hz(note: int) -> float:
    return float(440.0 * 2 ** ((note - 69) / 12))


def demo_mix(sample_rate_hz: int = 48000, seconds: float = 8.0, seed: int = 7) -> DemoMix:
    """Synthesise the demo mix (identical for identical arguments)."""
    rate = sample_rate_hz
    n = round(seconds * rate)
    rng = np.random.default_rng(seed)
    beat = round(60.0 / BPM * rate)
    eighth = beat // 2
    tracks: dict[str, tuple[F64, F64]] = {}

    kick = np.zeros(n)
    kn = int(0.45 * rate)
    kt = np.arange(kn) / rate
    sweep = 45 + 75 * np.exp(-kt / 0.03)
    kick_hit = np.sin(2 * np.pi * np.cumsum(sweep) / rate) * _env(kn, rate, 0.12)
    for at in range(0, n, beat):
        _place(kick, 0.9 * kick_hit, at)
    tracks["kick"] = (kick, kick)

    snare = np.zeros(n)
    sn = int(0.25 * rate)
    snare_hit = 0.6 * rng.standard_normal(sn) * _env(sn, rate, 0.05) + 0.4 * np.sin(
        2 * np.pi * 185 * np.arange(sn) / rate
    ) * _env(sn, rate, 0.03)
    for at in range(beat, n, 2 * beat):
        _place(snare, 0.7 * snare_hit, at)
    tracks["snare"] = (snare, snare)

    hats_l, hats_r = np.zeros(n), np.zeros(n)
    hn = int(0.06 * rate)
    for i, at in enumerate(range(0, n, eighth)):
        hit = np.diff(rng.standard_normal(hn + 1)) * _env(hn, rate, 0.012)
        level = 0.35 if i % 2 else 0.2
        _place(hats_l, level * hit, at)
        _place(hats_r, level * np.roll(hit, 3), at)
    tracks["hats"] = (hats_l, hats_r)

    bass = np.zeros(n)
    notes = [36, 36, 43, 41]
    bar = 4 * beat
    for i, at in enumerate(range(0, n, 2 * beat)):
        length = min(2 * beat, n - at)
        note = notes[(i // 2) % len(notes)] if i % 2 == 0 else notes[(i // 2) % len(notes)] + 12
        tone = _saw(_midi_hz(note), length, rate, 16) * np.minimum(1, np.arange(length) / 200)
        bass[at : at + length] += 0.45 * tone * _env(length, rate, 0.6)
    tracks["bass"] = (bass, bass)

    pad_l, pad_r = np.zeros(n), np.zeros(n)
    chords = [[60, 64, 67, 71], [57, 60, 64, 67], [53, 57, 60, 64], [55, 59, 62, 65]]
    t = np.arange(n) / rate
    for i, at in enumerate(range(0, n, bar)):
        length = min(bar, n - at)
        tt = t[:length]
        fade = np.minimum(1, np.minimum(tt / 0.3, (length / rate - tt) / 0.3))
        for k, note in enumerate(chords[i % len(chords)]):
            f = _midi_hz(note)
            pad_l[at : at + length] += 0.08 * np.sin(2 * np.pi * f * 1.002 * tt + k) * fade
            pad_r[at : at + length] += 0.08 * np.sin(2 * np.pi * f * 0.998 * tt + 2 * k) * fade
    tracks["pad"] = (pad_l, pad_r)

    lead = np.zeros(n)
    arp = [72, 76, 79, 83, 84, 83, 79, 76]
    for i, at in enumerate(range(0, n, eighth)):
        length = min(eighth, n - at)
        if (i // 8) % 2 == 1:
            continue
        tone = _square(_midi_hz(arp[i % len(arp)]), length, rate)
        lead[at : at + length] += 0.12 * tone * _env(length, rate, 0.15)
    tracks["lead"] = (lead, lead)

    settings: dict[str, dict[str, float]] = {
        "kick": {
            "low_hz": 80,
            "low_gain_db": 3,
            "comp_threshold_db": -12,
            "comp_ratio": 4,
            "comp_attack_ms": 5,
            "comp_release_ms": 120,
            "gain_db": -2,
        },
        "snare": {
            "mid_hz": 2000,
            "mid_gain_db": 2,
            "mid_q": 1.2,
            "comp_threshold_db": -14,
            "comp_ratio": 3,
            "gain_db": -4,
            "pan": 0.05,
        },
        "hats": {
            "high_hz": 8000,
            "high_gain_db": 3,
            "low_hz": 400,
            "low_gain_db": -12,
            "gain_db": -9,
            "pan": 0.4,
        },
        "bass": {
            "low_hz": 100,
            "low_gain_db": 2,
            "high_hz": 3000,
            "high_gain_db": -6,
            "comp_threshold_db": -18,
            "comp_ratio": 4,
            "comp_attack_ms": 10,
            "comp_release_ms": 200,
            "gain_db": -3,
        },
        "pad": {
            "high_hz": 6000,
            "high_gain_db": -6,
            "mid_hz": 400,
            "mid_gain_db": -2,
            "gain_db": -6,
            "pan": -0.3,
        },
        "lead": {"mid_hz": 1500, "mid_gain_db": 3, "mid_q": 0.9, "gain_db": -8, "pan": 0.3},
    }
    names = list(tracks)
    inputs = np.stack([np.stack(tracks[k]) for k in names]).astype(np.float32)
    return DemoMix(rate, names, inputs, [settings[k] for k in names], {"master_gain_db": -3.0})
