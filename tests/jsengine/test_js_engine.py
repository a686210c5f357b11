"""The JavaScript engine behind the ABI (``dawg-js-abi.js`` under node, the
``js`` runtime) against the wasm engine under wasmtime (SIMD): the same
tables, status codes and texts; the same answer to every parameter call on
every kind of target; events on their frame and ramps on the ramp grid;
meters and auto-bypass; sends, buses and the master; the synth and the
sampler with the bank; memory that grows under live views; a deadline on
every reply; and the reference session.

Tolerance: the JavaScript engine computes in f64 where the Rust computes in
f32, so audio agrees to a stated distance (AGREE_DB below the signal)
rather than bit for bit; everything that is a decision (statuses, values
read back, the frame an event lands on, meter states, when a channel
sleeps) must be identical.
"""

from __future__ import annotations

import json
import math
import os
import struct
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dawgwasm
from dawgwasm import Engine
from dawgwasm._abi import EXPORTS
from dawgwasm._errors import DspRuntimeError, DspTimeoutError, WasmLoadError
from dawgwasm._events import TARGET_BUS, TARGET_MASTER, TARGET_TRACK, encode_target
from dawgwasm._node_runtime import NodeRuntime, load_node
from dawgwasm._reference import reference_session
from dawgwasm._session import apply_session, parse_session, render_session
from tests.agreement import JS_AGREE_DB, below_signal_db
from tests.jsengine.node_sources import JS_EVENT_ALLOWANCE_BYTES

AGREE_DB = JS_AGREE_DB


def pair(make_engine: Any, **config: Any) -> tuple[Engine, Engine]:
    """The wasm engine and the JavaScript engine, configured alike."""
    return make_engine("simd", **config), make_engine("js", **config)


def noise(frames: int, level: float = 0.3, seed: int = 5) -> npt.NDArray[np.float32]:
    return (np.random.default_rng(seed).standard_normal((2, frames)) * level).astype(np.float32)


# ---- tables, statuses and routing ------------------------------------------------------


def test_the_js_engine_reports_the_same_tables_as_the_wasm_module(make_engine: Any) -> None:
    wasm, js = pair(make_engine, tracks=2)
    a, b = wasm.runtime.tables, js.runtime.tables
    assert b.params == a.params
    assert (b.units, b.sources, b.targets) == (a.units, a.sources, a.targets)
    assert b.status_texts == a.status_texts
    assert dict(b.limits) == dict(a.limits)
    for code in range(-20, 4):  # unknown codes too
        assert js.runtime.read_bytes(
            int(js.runtime.call("dawg_status_text", code)),
            int(js.runtime.call("dawg_status_text_len", code)),
        ) == wasm.runtime.read_bytes(
            int(wasm.runtime.call("dawg_status_text", code)),
            int(wasm.runtime.call("dawg_status_text_len", code)),
        )


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_every_table_export_answers_like_the_wasm_module_for_any_argument(make_engine: Any) -> None:
    wasm, js = pair(make_engine, tracks=1)
    n = int(wasm.runtime.call("dawg_param_count"))
    ids = [*range(n + 2), 4095, (1 << 31) + 3, (1 << 32) - 1]
    for name, (params, result) in EXPORTS.items():
        if params == ("u32",) and name.startswith(("dawg_param_", "dawg_unit_", "dawg_source_")):
            for i in ids:
                got, want = js.runtime.call(name, i), wasm.runtime.call(name, i)
                if result == "ptr":
                    continue  # pointers differ; the texts behind them are compared below
                assert _same(float(got), float(want)), (name, i, got, want)
        elif not params and name.startswith("dawg_"):
            assert _same(float(js.runtime.call(name)), float(wasm.runtime.call(name))), name
    for i in ids:
        for what in ("name", "unit", "doc", "group"):
            texts = []
            for e in (wasm, js):
                length = int(e.runtime.call(f"dawg_param_{what}_len", i))
                ptr = int(e.runtime.call(f"dawg_param_{what}", i))
                texts.append(e.runtime.read_bytes(ptr, length) if length else b"")
            assert texts[0] == texts[1], (what, i)
    for kind in range(4):
        for index in (0, 1, 255, 4095, 4096):
            for slot in (0, 1, 8, 9, 65535):
                assert js.runtime.call("dawg_target", kind, index, slot) == wasm.runtime.call(
                    "dawg_target", kind, index, slot
                )


@pytest.mark.parametrize(
    "config",
    [
        (48000.0, 1, 128, 1),
        (float("nan"), 1, 128, 1),
        (7999.0, 1, 128, 1),
        (384000.0, 256, 16, 1),
        (384000.5, 1, 128, 1),
        (48000.0, 0, 128, 1),
        (48000.0, 257, 128, 1),
        (48000.0, 1, 15, 1),
        (48000.0, 1, 4097, 1),
        (48000.0, 1, 128, 0),
        (48000.0, 1, 128, 1025),
        (48000.0, 256, 4096, 1024),
        (48000.0, 1, 4096, 1024),
    ],
)
def test_configurations_get_the_same_status(make_engine: Any, config: tuple[Any, ...]) -> None:
    wasm, js = pair(make_engine, tracks=1)
    assert js.runtime.call("dawg_config_check", *config) == wasm.runtime.call(
        "dawg_config_check", *config
    )


def _structure(e: Engine) -> None:
    """Every kind of target: inserts of each unit on track 0, bus 2 and the
    master, a synth on track 1, a sampler on track 2, bus 2 created."""
    for slot, unit in enumerate(e.units, start=1):
        e.set_insert(slot, unit, track=0)
    e.set_insert(3, "delay", bus=2)
    e.set_insert(8, "limiter", master=True)
    e.set_source(1, "synth")
    e.set_source(2, "sampler")


def _values(spec: Any) -> list[float]:
    mid = spec.min + (spec.max - spec.min) * 0.375
    return [mid, spec.max + 1.0, spec.min - 1.0, 0.4999, 0.5]


def test_every_parameter_on_every_target_gets_the_wasm_status_and_value(make_engine: Any) -> None:
    wasm, js = pair(make_engine, tracks=4)
    for e in (wasm, js):
        _structure(e)
    targets = sorted(
        {
            0,
            *(encode_target(TARGET_TRACK, t, s) for t in (0, 1, 2, 3, 4) for s in (0, 2, 6, 9)),
            *(encode_target(TARGET_BUS, b, s) for b in (2, 7, 8) for s in (0, 3)),
            encode_target(TARGET_TRACK, 0, 1),
            encode_target(TARGET_TRACK, 4095, 0),
            *(encode_target(TARGET_MASTER, i, s) for i in (0, 1) for s in (0, 8)),
            encode_target(3, 0, 0),
        }
    )
    params = wasm.runtime.tables.params
    n = len(params)
    checked = 0
    for pid in [*range(n), n, 1 << 20]:
        spec = params.by_id(pid) if pid < n else None
        values = _values(spec) if spec is not None else [0.0]
        for t in targets:
            for v in [*values, float("nan")]:
                got = js.runtime.call("dawg_set_param", js.handle, t, pid, v)
                want = wasm.runtime.call("dawg_set_param", wasm.handle, t, pid, v)
                assert got == want, (pid, hex(t), v)
                g = float(js.runtime.call("dawg_get_param", js.handle, t, pid))
                w = float(wasm.runtime.call("dawg_get_param", wasm.handle, t, pid))
                assert _same(g, w), (pid, hex(t), v, g, w)
                checked += 1
    assert checked > 5000


def test_structure_calls_get_the_wasm_statuses(make_engine: Any) -> None:
    wasm, js = pair(make_engine, tracks=3)
    calls: list[tuple[Any, ...]] = [
        ("dawg_track_source", 0, 1),
        ("dawg_track_source", 0, 3),
        ("dawg_track_source", 3, 0),
        ("dawg_track_source", 1, 2),
        ("dawg_insert_set", encode_target(TARGET_TRACK, 0, 0), 1, 4),
        ("dawg_insert_set", encode_target(TARGET_TRACK, 0, 0), 0, 4),
        ("dawg_insert_set", encode_target(TARGET_TRACK, 0, 0), 9, 4),
        ("dawg_insert_set", encode_target(TARGET_TRACK, 0, 1), 1, 4),
        ("dawg_insert_set", encode_target(TARGET_TRACK, 0, 0), 1, 99),
        ("dawg_insert_set", encode_target(TARGET_TRACK, 5, 0), 1, 99),
        ("dawg_insert_set", encode_target(TARGET_TRACK, 5, 0), 1, 2),
        ("dawg_insert_set", encode_target(TARGET_BUS, 7, 0), 2, 5),
        ("dawg_insert_set", encode_target(TARGET_BUS, 8, 0), 2, 5),
        ("dawg_insert_set", encode_target(TARGET_MASTER, 0, 0), 8, 6),
        ("dawg_insert_set", encode_target(TARGET_MASTER, 1, 0), 8, 6),
        ("dawg_insert_set", encode_target(TARGET_MASTER, 0, 0), 8, 0),
        ("dawg_sample_add", 0, 1, 48000.0),
        ("dawg_sample_add", 10, 3, 48000.0),
        ("dawg_sample_add", 10, 2, 999.0),
        ("dawg_sample_add", (1 << 24) + 1, 1, 48000.0),
        ("dawg_sample_add", 10, 2, 44100.0),
        ("dawg_sample_commit", 0),
        ("dawg_sample_commit", 1),
        ("dawg_process", 2),
        ("dawg_process", 3),
        ("dawg_process", 0),
        ("dawg_events_queued",),
        ("dawg_capacity_frames",),
        ("dawg_meters_len",),
        ("dawg_reset",),
    ]
    for name, *args in calls:
        got = js.runtime.call(name, js.handle, *args)
        want = wasm.runtime.call(name, wasm.handle, *args)
        assert got == want, (name, args)
    for name in ("dawg_process", "dawg_reset", "dawg_engine_free", "dawg_events_queued"):
        for h in (0, -3, 64, 65, 12345):
            args = (1,) if name == "dawg_process" else ()
            assert js.runtime.call(name, h, *args) == wasm.runtime.call(name, h, *args)
    assert js.runtime.call("dawg_input_ptr", js.handle, 3) == 0


def test_handles_run_out_and_come_back_like_the_wasm_module(built_dist: Path) -> None:
    runtime = load_node(built_dist)
    try:
        handles = [int(runtime.call("dawg_engine_new", 48000.0, 1, 128, 1)) for _ in range(64)]
        assert sorted(handles) == list(range(1, 65))
        assert runtime.call("dawg_engine_new", 48000.0, 1, 128, 1) == -10
        assert runtime.call("dawg_engine_free", 17) == 0
        assert runtime.call("dawg_engine_free", 17) == -1
        assert runtime.call("dawg_engine_new", 48000.0, 1, 128, 1) == 17
    finally:
        runtime.close()


# ---- events, ramps, meters, auto-bypass ------------------------------------------------


@pytest.mark.parametrize("frame", [0, 1, 37, 127, 128, 129, 300, 511])
def test_a_note_lands_on_its_frame(make_engine: Any, frame: int) -> None:
    outs = []
    for e in pair(make_engine, tracks=1, quantum_frames=128, max_quanta=4):
        e.set_source(0, "synth")
        e.set_many({"synth_attack_ms": 0.5}, 0)
        e.queue([dawgwasm.note_on(frame, 0, 69, 1.0)])
        outs.append(e.render(np.zeros((0, 2, 1024), np.float32)))
    # The attack starts from zero: the first sound is on the note's frame or the next.
    starts = [int(np.flatnonzero(np.abs(o[0]) > 0)[0]) for o in outs]
    assert starts[0] == starts[1] and starts[1] - frame in (0, 1)
    assert below_signal_db(outs[0], outs[1]) >= AGREE_DB


def test_parameter_events_and_ramps_land_like_the_wasm_engine(make_engine: Any) -> None:
    x = np.full((2, 4096), 0.5, np.float32)
    outs = []
    for e in pair(make_engine, tracks=1, quantum_frames=128, max_quanta=32):
        e.input(0)
        t0 = encode_target(TARGET_TRACK, 0)
        gain, pan, mute = (e.params[n].id for n in ("gain_db", "pan", "mute"))
        e.queue(
            [
                dawgwasm.param_set(100, t0, gain, -6.0),
                dawgwasm.param_ramp(1000, t0, pan, 0.7, 12.3),
                dawgwasm.param_ramp(1003, t0, gain, -20.0, 30.0),
                dawgwasm.param_set(3001, t0, mute, 1.0),
            ]
        )
        outs.append(e.render(x).astype(np.float64))
    wasm, js = outs
    assert below_signal_db(wasm, js) >= AGREE_DB
    # The set lands on frame 100 exactly (then the fader's own 10 ms ramp).
    d = np.abs(np.diff(js[0]))
    assert d[:99].max() == 0 and d[99] > 0
    # The ramps start at frame 1000 and step on the 16-frame grid of absolute
    # frames: between grid points only the fader's own smoothing moves.
    assert np.array_equal(js[:, 999] == js[:, 998], wasm[:, 999] == wasm[:, 998])
    assert np.abs(js - wasm).max() < 1e-4


def test_meters_and_their_states_match_the_wasm_engine(make_engine: Any) -> None:
    x = noise(2048)
    results = []
    for e in pair(make_engine, tracks=4, quantum_frames=128, max_quanta=4):
        e.input(0)
        e.input(2)
        e.set("send_1_db", -3.0, track=0)
        e.set("gain_db", -4.0, bus=0)
        rows = []
        for k in range(0, 2048, 512):
            e.input(0)[:] = x[:, k : k + 512]
            e.input(2)[:] = 0.0 if k else x[:, k : k + 512] * 0.1
            e.process(4)
            rows.append(e.meters.copy())
        results.append(np.array(rows, np.float64))
    wasm, js = results
    stride = 6
    states = (slice(4, None, stride),)
    assert np.array_equal(
        js.reshape(len(js), -1)[:, states[0]], wasm.reshape(len(wasm), -1)[:, states[0]]
    )
    assert np.allclose(js, wasm, rtol=1e-5, atol=1e-9)


def test_auto_bypass_sleeps_and_wakes_on_the_same_quantum_as_the_wasm_engine(
    make_engine: Any,
) -> None:
    histories = []
    for e in pair(make_engine, tracks=2, quantum_frames=128, max_quanta=1):
        e.set_insert(1, "reverb", track=0)
        e.set_many({"reverb_size": 0.2}, 0, slot=1)
        e.set("send_2_db", 0.0, track=0)
        e.set_insert(1, "delay", bus=1)
        e.input(1)
        states = []
        for k in range(2000):
            e.input(0)[:] = 0.2 if k < 3 else 0.0
            if k == 1500:
                e.input(1)[:] = 0.5
            e.process(1)
            m = e.meters
            states.append((m[0, 4], m[1, 4], m[2 + 1, 4]))
        histories.append(states)
    assert histories[1] == histories[0]
    flat = np.array(histories[1])
    assert 2.0 in flat[:, 0] and 2.0 in flat[:, 2], "track 0 and bus 2 must fall asleep"


def test_sends_buses_and_master_match_the_wasm_engine(make_engine: Any) -> None:
    x = noise(8192, 0.25)
    outs = []
    for e in pair(make_engine, tracks=3, quantum_frames=128, max_quanta=64):
        for t in range(3):
            e.input(t)
        e.set_many({"send_1_db": -6.0, "send_2_db": -3.0, "send_2_pre": 1.0, "pan": -0.4}, 0)
        e.set_many({"send_1_db": 0.0, "gain_db": -3.0, "mid_gain_db": 6.0, "mid_hz": 2000.0}, 1)
        e.set("mute", 1.0, track=2)
        e.set_insert(1, "reverb", bus=0)
        e.set_insert(1, "delay", bus=1)
        e.set_many({"gain_db": -2.0, "pan": 0.3}, bus=1)
        e.set_insert(1, "compressor", master=True)
        e.set_insert(2, "limiter", master=True)
        e.set("master_gain_db", -1.5)
        e.reset()
        y = x.copy()
        y[:, 4000:] *= 0.1
        outs.append(e.render(np.stack([y, y[::-1], y * 2])).astype(np.float64))
    assert below_signal_db(outs[0], outs[1]) >= AGREE_DB


def test_synth_and_sampler_tracks_match_the_wasm_engine(make_engine: Any) -> None:
    rng = np.random.default_rng(2)
    sample = (rng.standard_normal((2, 6000)) * np.linspace(1, 0, 6000)).astype(np.float32)
    sample[0, 10] = np.nan
    sample[1, 20] = np.inf
    outs = []
    for e in pair(make_engine, tracks=2, quantum_frames=128, max_quanta=64):
        e.set_source(0, "synth")
        e.set_source(1, "sampler")
        sid = e.add_sample(sample, 44100.0)
        e.set_many({"sampler_sample": float(sid), "sampler_mode": 1.0}, 1)
        e.set_many({"synth_cutoff_hz": 900.0, "synth_resonance": 0.5}, 0)
        notes = []
        for k, n in enumerate((60, 64, 67, 72)):
            notes += [
                dawgwasm.note_on(300 * k + 7, 0, n, 0.8),
                dawgwasm.note_on(500 * k + 3, 1, n - 12, 1.0),
            ]
            notes += [
                dawgwasm.note_off(300 * k + 2000, 0, n),
                dawgwasm.note_off(500 * k + 2500, 1, n - 12),
            ]
        e.queue(notes)
        outs.append(e.render(np.zeros((0, 2, 16384), np.float32)).astype(np.float64))
    assert np.isfinite(outs[1]).all()
    assert below_signal_db(outs[0], outs[1]) >= AGREE_DB


def test_sample_commit_sanitises_the_data_in_memory(make_engine: Any) -> None:
    for e in pair(make_engine, tracks=1):
        sid = int(e.runtime.call("dawg_sample_add", e.handle, 4, 1, 48000.0))
        ptr = int(e.runtime.call("dawg_sample_ptr", e.handle, sid))
        view = e.runtime.f32_view(ptr, 4, e)
        view[:] = [np.nan, np.inf, 1e-40, 0.5]
        assert e.runtime.call("dawg_sample_commit", e.handle, sid) == 0
        assert e.runtime.f32_view(ptr, 4, e).tolist() == [0.0, 0.0, 0.0, 0.5]


def test_views_follow_memory_when_a_big_sample_grows_it(make_engine: Any) -> None:
    e = make_engine("js", tracks=1, quantum_frames=128, max_quanta=4)
    before = e.runtime.memory_key()
    e.add_sample(np.zeros((2, 1 << 21), np.float32), 48000.0)
    assert e.runtime.memory_key() != before, "the sample must grow the memory"
    out = e.render(np.full((2, 512), 0.25, np.float32))
    assert np.all(out == 0.25)


f32_bits = st.integers(0, 2**32 - 1).map(lambda b: struct.unpack("<f", struct.pack("<I", b))[0])
fuzz_op = st.one_of(
    st.tuples(st.just("set"), st.integers(0, 3), st.integers(0, 40), f32_bits),
    st.tuples(
        st.just("set"),
        st.sampled_from([0x1000, 0x1001, 0x2000, 0x10000]),
        st.integers(0, 40),
        f32_bits,
    ),
    st.tuples(st.just("insert"), st.integers(0, 2), st.integers(0, 9), st.integers(0, 7)),
    st.tuples(st.just("process"), st.integers(0, 6)),
    st.tuples(st.just("input"), st.integers(0, 2), f32_bits),
    st.tuples(st.just("reset")),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(fuzz_op, max_size=40))
def test_random_abi_sequences_get_the_wasm_answers(
    built_dist: Path, ops: list[tuple[Any, ...]]
) -> None:
    """Any f32 bit pattern on any id and target, inserts of any kind in any
    slot, process calls of any size, hostile inputs and resets: every status
    is the wasm engine's, the output stays finite and follows the wasm
    output."""
    engines = [Engine.from_dist(built_dist, v, tracks=3, max_quanta=4) for v in ("simd", "js")]
    try:
        for o in ops:
            got = []
            for e in engines:
                if o[0] == "set":
                    got.append(e.set_raw(o[1], o[2], o[3]))
                elif o[0] == "insert":
                    got.append(int(e.runtime.call("dawg_insert_set", e.handle, o[1], o[2], o[3])))
                elif o[0] == "process":
                    got.append(int(e.runtime.call("dawg_process", e.handle, o[1])))
                    assert np.all(np.isfinite(e.output))
                elif o[0] == "input":
                    e.input(o[1])[:] = o[2]
                else:
                    e.reset()
            assert len(set(got)) <= 1, (o, got)
        for e in engines:
            e.process(4)
        wasm, js = (np.asarray(e.output, np.float64) for e in engines)
        assert np.all(np.isfinite(js))
        assert np.allclose(js, wasm, rtol=1e-3, atol=1e-6 * max(1.0, float(np.abs(wasm).max())))
    finally:
        for e in engines:
            e.close()


def test_closing_the_engine_ends_its_node_process(make_engine: Any) -> None:
    e = make_engine("js", tracks=1)
    out, proc = e.output, e.runtime._proc
    e.render(np.full((2, 256), 0.5, np.float32))
    e.close()
    assert proc.wait(timeout=10) is not None
    assert not out.flags.writeable and float(out[0, 255]) == 0.5


# ---- the runtime: node, deadlines -----------------------------------------------------


def test_a_reply_past_its_deadline_kills_node_and_fails_the_runtime(built_dist: Path) -> None:
    runtime = NodeRuntime(built_dist, deadline_base_s=2.0, deadline_realtime_factor=0.0)
    runtime.check_abi()
    h = int(runtime.call("dawg_engine_new", 48000.0, 256, 4096, 1024))
    assert h < 0  # too big: the buffer budget refuses it
    h = int(runtime.call("dawg_engine_new", 48000.0, 64, 4096, 63))
    assert h >= 1
    for t in range(64):
        runtime.call("dawg_insert_set", h, encode_target(TARGET_TRACK, t, 0), 1, 5)
    with pytest.raises(DspTimeoutError, match="dawg_process ran past its deadline"):
        runtime.call("dawg_process", h, 63, deadline_s=0.05)
    assert not runtime.usable
    assert runtime._proc.wait(timeout=5) is not None
    with pytest.raises(DspRuntimeError, match="unusable"):
        runtime.call("dawg_abi_version")


def test_without_node_on_path_the_error_says_what_to_install(
    built_dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", os.devnull)
    with pytest.raises(WasmLoadError, match=r"install Node\.js"):
        Engine.from_dist(built_dist, "js")


# ---- the reference session ---------------------------------------------------------------


def test_the_reference_session_renders_like_wasmtime(make_engine: Any) -> None:
    doc = reference_session()
    outs = []
    for runtime in ("simd", "js"):
        e = make_engine(runtime, sample_rate_hz=48000.0, tracks=len(doc["tracks"]), max_quanta=64)
        s = parse_session(doc, e.params, e.units, e.sources)
        apply_session(s, e)
        outs.append(render_session(s, e, 6.0).astype(np.float64))
    wasm, js = outs
    assert below_signal_db(wasm, js) >= AGREE_DB
    # Every note and change applied on the same frame: the first sound is on
    # the same frame, and no 10 ms window strays further than the whole.
    first = [int(np.flatnonzero(np.abs(o).max(axis=0) > 1e-4)[0]) for o in outs]
    assert first[0] == first[1]
    w = 480
    for k in range(0, wasm.shape[1] - w, w):
        seg = wasm[:, k : k + w]
        if np.abs(seg).max() > 1e-3:
            assert below_signal_db(seg, js[:, k : k + w]) >= AGREE_DB - 20, k / 48000


# ---- real-time rules -------------------------------------------------------------------


def _probe_allocations(built_dist: Path, what: str, quanta: int) -> dict[str, dict[str, Any]]:
    probe = Path(__file__).with_name("alloc_probe.mjs")
    run = subprocess.run(
        ["node", "--expose-gc", str(probe), str(built_dist), what, str(quanta)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    phases = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    return {p["phase"]: p for p in phases}


def _report(samples: list[dict[str, Any]]) -> str:
    by_stack: dict[str, int] = {}
    for s in samples:
        key = " < ".join(s["stack"][:4])
        by_stack[key] = by_stack.get(key, 0) + s["bytes"]
    worst = sorted(by_stack.items(), key=lambda kv: -kv[1])[:5]
    return "\n".join(f"  {b} B: {k}" for k, b in worst)


@pytest.mark.parametrize(
    "what",
    [
        "none",
        "peq",
        "compressor",
        "saturator",
        "delay",
        "reverb",
        "limiter",
        "limiter-true-peak",
        "synth",
        "sampler",
    ],
)
def test_rendering_allocates_nothing(built_dist: Path, what: str) -> None:
    """Measured with V8's sampling heap profiler under node, with ``what``
    in the track (a unit in insert 1, or the track's source; the limiter
    also in true-peak mode), a strip, a
    send and a bus. Rendering with no events, after warm-up, allocates
    nothing at all in 20000 quanta (53 s of audio); rendering under dense
    automation (a note every 40 quanta, two 20 ms ramps every 100) allocates
    no more than JS_EVENT_ALLOWANCE_BYTES per event on average."""
    phases = _probe_allocations(built_dist, what, 20000)
    steady, automation = phases["steady"], phases["automation"]
    steady_bytes = sum(s["bytes"] for s in steady["samples"])
    assert steady_bytes == 0, (
        f"{steady_bytes} B allocated with no events:\n{_report(steady['samples'])}"
    )
    assert automation["events"] > 500
    per_event = sum(s["bytes"] for s in automation["samples"]) / automation["events"]
    print(f"{what}: {per_event:.0f} B per event")
    assert per_event <= JS_EVENT_ALLOWANCE_BYTES, (
        f"{per_event:.0f} B per event under automation:\n{_report(automation['samples'])}"
    )
