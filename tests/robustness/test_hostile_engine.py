"""A Hypothesis campaign against the Python ``Engine``.

Hostile modules: a module that speaks the ABI but answers anything (pointers
past its memory, absurd counts and lengths, NaN, traps, endless loops, a
start function that traps or loops) is loaded and driven through the whole
API in a child process. The child must end on its own, with every step
either working or raising one of dawgwasm's errors: no traceback, no crash
(a signal), no hang.

Hostile calls: the real engine gets random sequences of calls with hostile
arguments (counts of 0 or 2**40, NaN and 3e38 values, unknown names, tracks,
slots and units, odd sample shapes, events far in the future, use after
close). Each call either works or raises a DawgwasmError (or the ValueError,
KeyError and TypeError its subclasses and Python's argument checks are);
afterwards the engine still renders finite audio, or says it is closed.

``CAMPAIGN_EXAMPLES`` sets the number of examples (default 30);
``scripts/hostile_campaign.py`` runs more.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dawgwasm import DawgwasmError, Engine, note_off, note_on, param_ramp, param_set
from tests.hostile_modules import (
    EXPORT_NAMES,
    LOOP_FOREVER,
    PAST_MEMORY,
    TRAP,
    hostile_module,
    result_type,
)

EXAMPLES = int(os.environ.get("CAMPAIGN_EXAMPLES", "30"))
CHILD = Path(__file__).with_name("engine_child.py")
#: A child that has not finished by then hangs: with 1 s deadlines on every
#: wasm call it needs a few seconds at most.
CHILD_TIMEOUT_S = 120.0

I32_VALUES = [0, 1, 3, 7, -1, -(2**31), 2**31 - 1, 0xFFFF_FFFF, PAST_MEMORY, 0x10, 4096]
F32_VALUES = [0.0, -1.0, 1.0, 48000.0, math.nan, math.inf, -math.inf, 3e38, 1e-45]


@st.composite
def hostile_bodies(draw: st.DrawFn) -> dict[str, Any]:
    exports = draw(st.lists(st.sampled_from(EXPORT_NAMES), min_size=1, max_size=5, unique=True))
    bodies: dict[str, Any] = {}
    for name in exports:
        plain = I32_VALUES if result_type(name) == "i32" else F32_VALUES
        bodies[name] = draw(st.sampled_from([*plain, TRAP, LOOP_FOREVER]))
    return bodies


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    bodies=hostile_bodies(),
    start=st.sampled_from([None, None, None, TRAP, LOOP_FOREVER]),
    pages=st.sampled_from([32, 32, 8, 1]),
)
def test_a_hostile_module_never_crashes_hangs_or_tracebacks(
    tmp_path_factory: pytest.TempPathFactory, bodies: dict[str, Any], start: str | None, pages: int
) -> None:
    folder = tmp_path_factory.mktemp("module")
    path = folder / "hostile.wasm"
    path.write_bytes(hostile_module(bodies=bodies, start=start, memory_pages=pages))
    proc = subprocess.run(
        [sys.executable, str(CHILD), str(path)],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )
    context = f"bodies={bodies} start={start} pages={pages}\n{proc.stdout}\n{proc.stderr}"
    assert proc.returncode == 0, context
    assert "Traceback" not in proc.stderr, context
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith(("load:", "close:")), context
    event(last.split(" ", 1)[0] + " " + last.split(" ")[-1])


# ---- hostile calls on the real engine ---------------------------------------------

ALLOWED = (DawgwasmError, ValueError, KeyError, TypeError, IndexError)

ints = st.one_of(
    st.integers(-3, 12), st.sampled_from([2**31, 2**32 + 1, 2**40, -(2**63), 255, 256, 65536])
)
floats = st.one_of(
    st.floats(-100, 100),
    st.sampled_from([math.nan, math.inf, -math.inf, 3e38, -3e38, 1e-45, 1e300, 0.0]),
)
names = st.sampled_from(
    [
        "gain_db",
        "pan",
        "mute",
        "solo",
        "low_gain_db",
        "comp_ratio",
        "send_1_db",
        "tempo_bpm",
        "master_gain_db",
        "delay_feedback",
        "reverb_mix",
        "lim_ceiling_db",
        "synth_cutoff_hz",
        "sampler_sample",
        "nope",
        "",
    ]
)
units = st.sampled_from(["peq", "compressor", "saturator", "delay", "reverb", "limiter", "x", None])
sources = st.sampled_from(["input", "synth", "sampler", "organ"])
channel = st.one_of(
    st.fixed_dictionaries({"track": ints}),
    st.fixed_dictionaries({"bus": ints}),
    st.just({"master": True}),
    st.just({}),
)
events = st.lists(
    st.one_of(
        st.builds(note_on, ints, ints, ints, floats),
        st.builds(note_off, ints, ints, ints),
        st.builds(param_set, ints, ints, ints, floats),
        st.builds(param_ramp, ints, ints, ints, floats, floats),
    ),
    max_size=5,
)
operations = st.one_of(
    st.tuples(st.just("process"), ints),
    st.tuples(st.just("set"), names, floats, channel, st.integers(0, 9)),
    st.tuples(st.just("get"), names, channel, st.integers(0, 9)),
    st.tuples(st.just("insert"), ints, units, channel),
    st.tuples(st.just("source"), ints, sources),
    st.tuples(st.just("input"), ints, floats),
    st.tuples(st.just("queue"), events, ints),
    st.tuples(
        st.just("sample"),
        st.sampled_from([(0,), (1, 0), (3, 10), (2, 64), (64,), (1, 1, 1)]),
        floats,
    ),
    st.tuples(
        st.just("render"), st.sampled_from([(2, 0), (2, 300), (1, 2, 129), (5, 2, 10), (3,)])
    ),
    st.tuples(st.just("reset")),
    st.tuples(st.just("meters")),
    st.tuples(st.just("close")),
)


def apply(e: Engine, op: tuple[Any, ...]) -> None:
    kind = op[0]
    if kind == "process":
        e.process(op[1])
    elif kind == "set":
        e.set(op[1], op[2], **op[3], slot=op[4])
    elif kind == "get":
        e.get(op[1], **op[2], slot=op[3])
    elif kind == "insert":
        e.set_insert(op[1], op[2], **(op[3] or {"track": 0}))
    elif kind == "source":
        e.set_source(op[1], op[2])
    elif kind == "input":
        with np.errstate(over="ignore"):  # 1e300 as float32 is inf: hostile input on purpose
            e.input(op[1])[:] = op[2]
    elif kind == "queue":
        e.queue(op[1], base_frame=op[2])
    elif kind == "sample":
        with np.errstate(over="ignore"):  # 1e300 as float32 is inf, which the engine zeroes
            data = np.full(op[1], op[2], np.float32)
        e.add_sample(data, 48000.0)
    elif kind == "render":
        out = e.render(np.zeros(op[1], np.float32))
        assert np.all(np.isfinite(out))
    elif kind == "reset":
        e.reset()
    elif kind == "meters":
        assert np.all(np.isfinite(e.meters))
    elif kind == "close":
        e.close()


@pytest.fixture(scope="module")
def wasm_bytes(built_dist: Path) -> bytes:
    return (built_dist / "dawg_dsp.simd.wasm").read_bytes()


@settings(
    max_examples=EXAMPLES * 4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operations, min_size=1, max_size=12))
def test_hostile_calls_are_errors_and_the_engine_keeps_working(
    wasm_bytes: bytes, ops: list[tuple[Any, ...]]
) -> None:
    e = Engine.from_wasm(wasm_bytes, tracks=4, max_quanta=4)
    try:
        for op in ops:
            try:
                apply(e, op)
            except ALLOWED as err:
                event(f"{op[0]}: {type(err).__name__}")
        if e.handle:
            e.input(0)[:] = 0.1
            e.process(1)
            assert np.all(np.isfinite(e.output))
        else:
            with pytest.raises(DawgwasmError, match="closed"):
                e.process(1)
    finally:
        e.close()
