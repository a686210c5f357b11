"""Left and right have separate filter state: what goes into one channel
never appears in the other (the origin's EQ shared one state between them)."""

from __future__ import annotations

import numpy as np

EQ = {"low_gain_db": 9.0, "mid_gain_db": -6.0, "high_gain_db": 6.0, "low_hz": 300.0}


def test_signal_in_left_only_leaves_right_silent(make_engine, runtime: str) -> None:
    e = make_engine(runtime)
    e.set_many(EQ)
    e.reset()
    x = np.zeros((2, 4096), np.float32)
    x[0] = np.random.default_rng(1).standard_normal(4096) * 0.3
    y = e.render(x)
    assert np.any(y[0] != 0.0)
    assert np.all(y[1] == 0.0)


def test_each_channel_equals_its_own_mono_render(make_engine, runtime: str) -> None:
    rng = np.random.default_rng(2)
    left = (rng.standard_normal(4096) * 0.3).astype(np.float32)
    right = np.sin(np.arange(4096) * 0.05).astype(np.float32) * 0.5

    def run(x: np.ndarray) -> np.ndarray:
        e = make_engine(runtime)
        e.set_many(EQ)
        e.reset()
        return e.render(x)

    both = run(np.stack([left, right]))
    only_left = run(np.stack([left, np.zeros_like(right)]))
    only_right = run(np.stack([np.zeros_like(left), right]))
    assert np.array_equal(both[0], only_left[0])
    assert np.array_equal(both[1], only_right[1])
