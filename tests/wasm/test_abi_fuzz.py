"""Property test of the ABI (FZ1): arbitrary sequences of parameter writes
(any f32 bit pattern, any id and target), resets and process calls never
trap, always leave the output finite, and never grow memory."""

from __future__ import annotations

import struct

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dawgwasm import Engine

f32_bits = st.integers(0, 2**32 - 1).map(lambda b: struct.unpack("<f", struct.pack("<I", b))[0])
op = st.one_of(
    st.tuples(st.just("set"), st.integers(0, 3), st.integers(0, 20), f32_bits),
    st.tuples(st.just("process"), st.integers(0, 6)),
    st.tuples(st.just("input"), st.integers(0, 2), f32_bits),
    st.tuples(st.just("reset")),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(op, max_size=60))
def test_random_abi_sequences_are_contained(built_dist, ops: list[tuple]) -> None:
    e = Engine.from_dist(built_dist, "simd", tracks=3, max_quanta=4)
    try:
        size = e.runtime.memory_bytes()
        for o in ops:
            if o[0] == "set":
                e.set_raw(o[1], o[2], o[3])
            elif o[0] == "process":
                status = int(e.runtime.call("dawg_process", e.handle, o[1]))
                assert status == (0 if o[1] <= 4 else -9)
                assert np.all(np.isfinite(e.output))
            elif o[0] == "input":
                e.input(o[1])[:] = o[2]
            else:
                e.reset()
        e.process(4)
        assert np.all(np.isfinite(e.output))
        assert e.runtime.memory_bytes() == size
    finally:
        e.close()
