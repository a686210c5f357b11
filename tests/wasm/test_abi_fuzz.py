"""Property tests of the ABI (FZ1): arbitrary sequences of parameter writes
(any f32 bit pattern, any parameter id of the table and past it, any target:
tracks, buses, the master and their insert slots, in range and out of it),
resets and process calls never trap, always leave the output finite, and
never grow memory. The engine under test has every source and every effect
unit in place, so that each parameter id reaches the code it belongs to."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dawgwasm import Engine
from dawgwasm._abi import STATUS_CLAMPED, STATUS_OK
from dawgwasm._params import ParamSpec

TRACKS = 3
#: Target kinds: track, bus, master, and one the engine does not know.
KINDS = (0, 1, 2, 3)
#: Values no parameter accepts as they are.
HOSTILE = (
    float("nan"),
    float("inf"),
    float("-inf"),
    3.4e38,
    -3.4e38,
    1e-45,
    -0.0,
    1e9,
)


def target(kind: int, index: int, slot: int) -> int:
    """The ABI's target word: ``slot << 16 | kind << 12 | index``."""
    return slot << 16 | kind << 12 | index


def equipped_engine(dist) -> Engine:
    """An engine with a synth, a sampler and the external input as sources,
    and every effect unit in the insert slots of a track, a bus and the
    master, so that every parameter id has a place to land."""
    e = Engine.from_dist(dist, "simd", tracks=TRACKS, max_quanta=4)
    e.set_source(1, "synth")
    e.set_source(2, "sampler")
    for slot, unit in enumerate(e.units, start=1):
        e.set_insert(slot, unit, track=0)
        e.set_insert(slot, unit, bus=0)
        e.set_insert(slot, unit, master=True)
    return e


def placement(e: Engine, spec: ParamSpec) -> dict[str, Any]:
    """Where ``spec`` lives on :func:`equipped_engine`."""
    if spec.scope == "master":
        return {}
    if spec.scope == "insert":
        return {"track": 0, "slot": e.units.index(spec.owner) + 1}
    if spec.scope == "synth":
        return {"track": 1}
    if spec.scope == "sampler":
        return {"track": 2}
    return {"track": 0}


def every_target(e: Engine) -> Iterator[int]:
    """Each channel kind with each of its insert slots, plus indices and
    slots past the last one and a kind that does not exist."""
    slots = int(e.limits["inserts_max"])
    for kind in KINDS:
        for index in (0, 1, TRACKS, 4095):
            for slot in range(slots + 2):
                yield target(kind, index, slot)


f32_bits = st.integers(0, 2**32 - 1).map(lambda b: struct.unpack("<f", struct.pack("<I", b))[0])


@st.composite
def ops(draw: st.DrawFn) -> list[tuple]:
    op = st.one_of(
        st.tuples(
            st.just("set"),
            st.builds(
                target,
                st.sampled_from(KINDS),
                st.sampled_from((0, 1, 2, TRACKS, 7, 8, 4095)),
                st.integers(0, 10),
            ),
            st.integers(0, 140),
            f32_bits,
        ),
        st.tuples(st.just("process"), st.integers(0, 6)),
        st.tuples(st.just("input"), st.integers(0, TRACKS - 1), f32_bits),
        st.tuples(st.just("reset")),
    )
    return draw(st.lists(op, max_size=60))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=ops())
def test_random_abi_sequences_are_contained(built_dist, sequence: list[tuple]) -> None:
    e = equipped_engine(built_dist)
    try:
        size = e.runtime.memory_bytes()
        for o in sequence:
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


def test_every_parameter_id_on_every_target_is_contained(built_dist) -> None:
    """Every id of the table (and two past it), on every kind of target and
    insert slot, with every hostile value: a write is either refused or
    applied clamped into the row's range, and the engine keeps rendering
    finite audio in the same memory."""
    e = equipped_engine(built_dist)
    try:
        count = len(e.params)
        assert count >= 100, "the table is the engine's whole table"
        size = e.runtime.memory_bytes()
        rng = np.random.default_rng(11)
        for ch in range(TRACKS):
            e.input(ch)[:] = rng.uniform(-1.0, 1.0, e.input(ch).shape).astype(np.float32)
        accepted = 0
        for param_id in range(count + 2):
            for t in every_target(e):
                for value in HOSTILE:
                    status = e.set_raw(t, param_id, value)
                    assert status <= STATUS_CLAMPED, status
                    if status in (STATUS_OK, STATUS_CLAMPED):
                        accepted += 1
            e.process(1)
            assert np.all(np.isfinite(e.output)), f"parameter id {param_id}"
        assert accepted > count, "writes to the right targets are applied"
        e.reset()
        e.process(4)
        assert np.all(np.isfinite(e.output))
        assert e.runtime.memory_bytes() == size
    finally:
        e.close()


@pytest.mark.parametrize("value", HOSTILE)
def test_an_applied_hostile_value_reads_back_inside_the_row(built_dist, value: float) -> None:
    """Each row of the table, on the channel or slot it belongs to, given a
    hostile value: a finite one is applied clamped into the row's range
    (read back inside it), a NaN or infinity is refused and changes
    nothing."""
    e = equipped_engine(built_dist)
    try:
        for spec in (e.params[name] for name in e.params):
            t = e.target(spec, **placement(e, spec))
            before = float(e.runtime.call("dawg_get_param", e.handle, t, spec.id))
            status = e.set_raw(t, spec.id, value)
            got = float(e.runtime.call("dawg_get_param", e.handle, t, spec.id))
            if np.isfinite(value):
                assert status in (STATUS_OK, STATUS_CLAMPED), (spec.name, value, status)
                assert spec.min <= got <= spec.max, (spec.name, value, got)
            else:
                assert status < 0, (spec.name, value, status)
                assert got == before, (spec.name, value, got, before)
    finally:
        e.close()
