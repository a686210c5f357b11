"""Rendering never allocates: wasm linear memory has the same size before and
after thousands of process calls with random parameter changes (the native
build proves the same with a counting allocator in dsp_rust/tests)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("variant", ["simd", "scalar"])
def test_linear_memory_does_not_grow_while_rendering(make_engine, variant: str) -> None:
    e = make_engine(variant, tracks=8, max_quanta=1)
    size = e.runtime.memory_bytes()
    rng = np.random.default_rng(9)
    specs = e.params.specs()
    for i in range(5000):
        spec = specs[rng.integers(len(specs))]
        target = 0 if spec.scope == "master" else int(rng.integers(8))
        e.set_raw(target, spec.id, float(rng.uniform(spec.min - 10, spec.max + 10)))
        e.input(int(rng.integers(8)))[:] = rng.standard_normal(e.input(0).shape)
        e.process(1)
        if i % 1000 == 0:
            e.reset()
    assert np.all(np.isfinite(e.output))
    assert e.runtime.memory_bytes() == size
