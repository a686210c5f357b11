"""Parameter changes ramp instead of stepping (no zipper noise), reach their
target in exactly the smoothing time, and are heard within the next quantum."""

from __future__ import annotations

import numpy as np
import pytest

#: The faders' ramp time, ms: the contract the parameter table publishes as
#: the rows' ``smoothing_ms``, stated here so that a change to the engine's
#: table cannot also change what is tested.
FADER_RAMP_MS = 10.0


@pytest.mark.parametrize("fs", [44100, 48000])
def test_gain_step_ramps_linearly_in_exactly_n_samples(make_engine, runtime: str, fs: int) -> None:
    e = make_engine(runtime, sample_rate_hz=float(fs), max_quanta=8)
    for name in ("gain_db", "master_gain_db"):
        assert e.describe(name).smoothing_ms == FADER_RAMP_MS, name
    steps = round(FADER_RAMP_MS * 1e-3 * fs)
    dc = np.full((2, 1024), 0.5, np.float32)
    e.render(dc)
    e.set("gain_db", -20.0)
    y = e.render(np.full((2, 4096), 0.5, np.float32))[0].astype(np.float64)
    final = 0.5 * 10 ** (-20 / 20)
    jumps = np.abs(np.diff(np.concatenate([[0.5], y])))
    # A step would jump by 0.45 at once; the ramp spreads it over `steps` samples.
    assert jumps.max() <= (0.5 - final) / steps * 1.001
    assert y[steps - 2] != np.float32(final)
    assert np.all(y[steps - 1 :] == np.float32(final))


@pytest.mark.parametrize(
    ("name", "value", "starts_by"),
    [
        ("gain_db", -6.0, 0),
        ("pan", 0.5, 0),
        ("mute", 1.0, 0),
        ("master_gain_db", -6.0, 0),
        # EQ coefficients follow their ramps every 16 frames (COEF_UPDATE_FRAMES).
        ("low_gain_db", 12.0, 15),
        ("mid_gain_db", 9.0, 15),
    ],
)
def test_change_is_heard_within_the_next_quantum(
    make_engine, runtime: str, name: str, value: float, starts_by: int
) -> None:
    """A change made between quanta alters the very next quantum, starting at
    its first frame (faders) or within the first 16 frames (EQ)."""
    x = np.tile(np.sin(np.arange(512) * 0.05).astype(np.float32) * 0.5, (2, 1))
    e = make_engine(runtime, max_quanta=4)
    before = e.render(x)
    e.reset()
    e.render(x[:, :256])
    e.set(name, value)
    after = e.render(x[:, 256:384])
    differs = np.flatnonzero(np.any(after != before[:, 256:384], axis=0))
    assert differs.size > 0, name
    assert differs[0] <= starts_by, f"{name}: first change at frame {differs[0]}"


def test_eq_sweep_has_no_discontinuity(make_engine, runtime: str) -> None:
    fs = 48000
    e = make_engine(runtime, sample_rate_hz=fs)
    t = np.arange(fs) / fs
    x = np.tile((0.5 * np.sin(2 * np.pi * 100 * t)).astype(np.float32), (2, 1))
    e.render(x[:, :9600])
    e.set("low_gain_db", 18.0)
    e.set("low_hz", 1000.0)
    y = e.render(x[:, 9600:])[0].astype(np.float64)
    # The slope of a 100 Hz sine at the new level bounds every sample step.
    peak = np.abs(y[-4800:]).max()
    bound = 2 * np.pi * 100 / fs * peak
    assert np.abs(np.diff(y)).max() <= bound * 1.05
