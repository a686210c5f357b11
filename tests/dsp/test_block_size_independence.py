"""The render quantum is a parameter: 64, 128 and 512 frames per quantum (and
any number of quanta per call) give bit-identical output."""

from __future__ import annotations

import numpy as np
import pytest


def render(make_engine, runtime: str, quantum: int, max_quanta: int) -> np.ndarray:
    e = make_engine(runtime, tracks=2, quantum_frames=quantum, max_quanta=max_quanta)
    e.set_many({"low_gain_db": 6, "comp_threshold_db": -20, "comp_ratio": 4, "pan": 0.2}, 0)
    e.set_many({"high_gain_db": -6, "gain_db": -3}, 1)
    e.reset()
    x = (np.random.default_rng(5).standard_normal((2, 2, 6144)) * 0.4).astype(np.float32)
    a = e.render(x[:, :, :3072])
    e.set("mid_gain_db", 9, 0)  # a change at frame 3072, a boundary of every quantum size
    e.set("gain_db", -12, 1)
    b = e.render(x[:, :, 3072:])
    return np.concatenate([a, b], axis=1)


@pytest.mark.parametrize(("quantum", "max_quanta"), [(64, 3), (512, 1), (128, 64), (16, 7)])
def test_quantum_size_does_not_change_output(
    make_engine, runtime: str, quantum: int, max_quanta: int
) -> None:
    ref = render(make_engine, runtime, 128, 1)
    assert np.array_equal(render(make_engine, runtime, quantum, max_quanta), ref)


def test_reset_reproduces_output(make_engine, runtime: str) -> None:
    e = make_engine(runtime)
    e.set_many({"low_gain_db": 6, "comp_threshold_db": -20, "comp_ratio": 4})
    e.reset()
    x = (np.random.default_rng(6).standard_normal((2, 5000)) * 0.4).astype(np.float32)
    first = e.render(x)
    e.reset()
    assert np.array_equal(e.render(x), first)
