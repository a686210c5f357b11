"""Tracks share SIMD lanes but never each other's sound.

The channel strips (3-band EQ and compressor) run four tracks at a time:
in the SIMD build each strip operation is one f32x4 instruction with one
track per lane (``dsp_rust/src/simd/``, ``dsp_rust/src/strip.rs``); the
scalar and native builds run the same lane code on ``[f32; 4]``. Each
lane must behave exactly like a strip of its own, so here every track of a
six-track mix (two groups: four lanes and two) with its own EQ, compressor
(knee, makeup, RMS or peak detector, stereo link) and its own signal, with
silent gaps long enough for auto-bypass to send it to sleep and wake it
again, comes out of the mix bit-identical to the same track rendered alone
in a one-track engine, on every runtime. Each track is isolated in the mix
by soloing it: the other tracks keep running their strips, and so keep
their lanes busy; the solo only silences them afterwards.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tests.conftest import EngineFactory

FS = 48000
FRAMES = 57600  # 1.2 s

STRIPS: list[dict[str, float]] = [
    {
        "low_gain_db": 6,
        "mid_gain_db": -4,
        "comp_threshold_db": -24,
        "comp_ratio": 4,
        "comp_release_ms": 10,
    },
    {
        "high_hz": 5000,
        "high_gain_db": -8,
        "comp_threshold_db": -30,
        "comp_ratio": 8,
        "comp_knee_db": 12,
        "comp_makeup_db": 6,
        "comp_release_ms": 5,
    },
    {"mid_hz": 400, "mid_q": 4, "mid_gain_db": 10, "comp_detector": 1, "comp_release_ms": 20},
    {"comp_threshold_db": -40, "comp_ratio": 20, "comp_link": 0, "comp_attack_ms": 0.5},
    {
        "low_hz": 80,
        "low_gain_db": -12,
        "comp_link": 0.5,
        "comp_detector": 1,
        "comp_ratio": 5,
        "comp_release_ms": 15,
    },
    {"mid_gain_db": 3, "comp_threshold_db": -12, "comp_ratio": 2, "comp_release_ms": 900},
]

F32 = npt.NDArray[np.float32]


def track_signal(k: int) -> F32:
    """Noise bursts of track-specific levels, with a 450 ms silence at a
    different time per track (auto-bypass puts most tracks to sleep in it)."""
    rng = np.random.default_rng(100 + k)
    env = np.repeat(10 ** (rng.uniform(-40, 0, FRAMES // 2400 + 1) / 20), 2400)[:FRAMES]
    x = rng.uniform(-1, 1, (2, FRAMES)) * env
    gap = 6000 + 2400 * k
    x[:, gap : gap + 21600] = 0.0
    x[1] *= 0.3 + 0.1 * k  # different channel balances exercise the link
    return x.astype(np.float32)


def test_each_track_in_a_lane_sounds_as_if_alone(make_engine: EngineFactory, runtime: str) -> None:
    signals = np.stack([track_signal(k) for k in range(len(STRIPS))])
    for k, strip in enumerate(STRIPS):
        mix = make_engine(runtime, tracks=len(STRIPS), max_quanta=64)
        for t, s in enumerate(STRIPS):
            mix.set_many(s, t)
        mix.set("solo", 1, k)
        mix.reset()
        together = mix.render(signals)

        alone = make_engine(runtime, tracks=1, max_quanta=64)
        alone.set_many(strip, 0)
        alone.reset()
        by_itself = alone.render(signals[k])

        assert np.max(np.abs(by_itself)) > 0.05
        assert np.array_equal(together, by_itself), f"track {k} on {runtime}"
