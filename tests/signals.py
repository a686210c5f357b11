"""Test signals shared by the unit tests: float32, deterministic."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]


def noise(seed: int, frames: int, peak: float = 0.5) -> tuple[F32, F32]:
    """Left and right uniform noise in ±``peak`` from one seeded generator."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-peak, peak, (2, frames)).astype(np.float32)
    return x[0], x[1]


def impulse(frames: int) -> F32:
    """A unit impulse at frame 0, then ``frames - 1`` zeros."""
    x = np.zeros(frames, np.float32)
    x[0] = 1.0
    return x
