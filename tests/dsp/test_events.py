"""The sample-accurate event queue: events land on their frame whatever the
quantum and however many quanta a call renders; ramps follow their
duration; events beyond a call wait; malformed events are refused whole;
rendering with events allocates no wasm memory.

A DC input of 1.0 through a flat strip makes the output equal the fader
gain, so the frame a change starts on is read off the output exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

import dawgwasm
from dawgwasm import DspRuntimeError, param_ramp, param_set

FRAMES = 8192


def _gain_events(e: dawgwasm.Engine, frame: int) -> list[dawgwasm.Event]:
    gain = e.params["gain_db"].id
    return [param_set(frame, e.channel_target(track=0), gain, -6.0)]


def _render(e: dawgwasm.Engine, events: list[dawgwasm.Event], frames: int = FRAMES) -> np.ndarray:
    e.input(0)
    e.reset()
    e.queue(events)
    return e.render(np.ones((2, frames), np.float32))


@pytest.mark.parametrize("frame", [0, 1, 127, 128, 129, 1000, 4095])
def test_a_parameter_event_lands_on_its_frame(make_engine, runtime, frame) -> None:
    e = make_engine(runtime, tracks=1, quantum_frames=128, max_quanta=4)
    out = _render(e, _gain_events(e, frame))
    assert np.all(out[:, :frame] == 1.0), "the change started early"
    assert np.all(out[:, frame] < 1.0), "the change did not start on its frame"
    steps = np.abs(np.diff(out[0]))
    assert steps.max() < 0.5 / 400, "the change stepped instead of ramping"
    settle = frame + 480  # 10 ms fader smoothing at 48 kHz
    np.testing.assert_allclose(out[:, settle:], 10 ** (-6 / 20), rtol=1e-6)


@pytest.mark.parametrize("quantum", [64, 128, 512, 1024])
def test_event_timing_does_not_depend_on_quantum_or_call_size(make_engine, quantum) -> None:
    ref_engine = make_engine("native", tracks=1, quantum_frames=128, max_quanta=1)
    e = make_engine("native", tracks=1, quantum_frames=quantum, max_quanta=3)
    gain = e.params["gain_db"].id
    pan = e.params["pan"].id
    target = e.channel_target(track=0)
    events = [
        param_set(77, target, gain, -3.0),
        param_ramp(900, target, pan, -0.7, 40.0),
        param_set(2999, target, gain, 2.0),
        param_ramp(3001, target, gain, -20.0, 12.5),
        param_set(6000, target, pan, 0.4),
    ]
    ref = _render(ref_engine, events)
    out = _render(e, events)
    np.testing.assert_array_equal(out, ref)


def test_a_ramp_moves_linearly_to_its_target_over_its_duration(make_engine) -> None:
    e = make_engine("native", tracks=1, max_quanta=16)
    pan = e.params["pan"].id
    out = _render(e, [param_ramp(1024, e.channel_target(track=0), pan, -1.0, 100.0)], 16384)
    # Hard-left pan of a stereo DC input: L = 1 + R·(1 - cos) ... R = sin-law gain → 0.
    right = out[1]
    assert np.all(right[:1024] == 1.0)
    end = 1024 + 4800 + 480  # ramp, then the parameter's own smoothing
    assert right[end:].max() == 0.0
    assert np.all(np.diff(right[1024:end]) <= 1e-7), "a pan ramp to the left must only lower R"
    mid = right[1024 + 2400]
    assert 0.3 < mid < 0.9, "half-way through the ramp pan should be about -0.5"


def test_events_beyond_a_call_wait_for_later_calls(make_engine) -> None:
    e = make_engine("native", tracks=1, quantum_frames=128, max_quanta=2)
    e.input(0)[:] = 1.0
    e.reset()
    e.queue(_gain_events(e, 1000))
    assert e.queued_events == 1
    e.process(2)
    assert e.queued_events == 1 and np.all(e.output[:, :256] == 1.0)
    for _ in range(3):
        e.process(2)
    assert e.queued_events == 0
    assert e.output[0, 1000 - 768] < 1.0 and e.output[0, 1000 - 768 - 1] == 1.0


def test_reset_drops_queued_events(make_engine) -> None:
    e = make_engine("native", tracks=1, max_quanta=4)
    e.input(0)
    e.queue(_gain_events(e, 100))
    e.reset()
    assert e.queued_events == 0


def test_malformed_events_are_refused_whole(make_engine) -> None:
    e = make_engine("native", tracks=2)
    e.input(0)
    good = _gain_events(e, 10)[0]
    bad = [
        dawgwasm.note_on(0, 0, 200, 1.0),  # note outside 0..127
        dawgwasm.Event(0, 99, 0, 0, 0.0),  # unknown kind
        dawgwasm.note_on(0, 1, 60, 1.0),  # track 1 was never created
        param_set(0, e.channel_target(track=0), 10_000, 0.0),  # unknown parameter
        param_set(0, e.channel_target(track=0), e.params["gain_db"].id, float("nan")),
    ]
    for b in bad:
        with pytest.raises(DspRuntimeError, match="DAWG_ERR_BAD_EVENT"):
            e.queue([good, b])
        assert e.queued_events == 0


def test_a_full_queue_is_refused_with_a_status(make_engine) -> None:
    e = make_engine("native", tracks=1)
    e.input(0)
    limit = int(e.limits["events_queued_max"])
    e.queue(_gain_events(e, 5) * limit)
    with pytest.raises(DspRuntimeError, match="DAWG_ERR_EVENTS_FULL"):
        e.queue(_gain_events(e, 5))
    assert e.queued_events == limit


@pytest.mark.parametrize("runtime", ["simd", "scalar"])
def test_rendering_with_events_never_grows_wasm_memory(make_engine, runtime) -> None:
    """Every source, every unit, two buses, thousands of quanta of random notes
    and parameter ramps: linear memory keeps its size. (Native allocation is
    proven by the Rust counting-allocator test.)"""
    from dawgwasm._samples import keys, kick

    tracks = 2 * len(["input", "synth", "sampler"]) + 2
    e = make_engine(runtime, tracks=tracks, max_quanta=8)
    e.add_sample(kick(48000.0), 48000.0)
    e.add_sample(keys(48000.0), 48000.0)
    for t in range(tracks):
        e.set_source(t, e.sources[t % len(e.sources)])
        e.set_insert(1, e.units[t % len(e.units)], track=t)
        e.set("send_1_db", -6.0, t)
        e.set("send_2_db", -12.0, t)
        if e.sources[t % len(e.sources)] == "input":
            e.input(t)
    for b, unit in enumerate(("reverb", "delay")):
        e.set_insert(1, unit, bus=b)
    e.set_insert(1, "limiter", master=True)
    e.reset()
    before = e.runtime.memory_bytes()
    rng = np.random.default_rng(3)
    gain = e.params["gain_db"].id
    for k in range(1000):
        events: list[dawgwasm.Event] = []
        for _ in range(6):
            f, t = int(rng.integers(0, 1024)), int(rng.integers(0, tracks))
            if e.sources[t % len(e.sources)] == "input":
                events.append(
                    param_ramp(f, e.channel_target(track=t), gain, -30 + 36 * rng.random(), 5.0)
                )
            elif rng.random() < 0.6:
                events.append(
                    dawgwasm.note_on(f, t, int(rng.integers(30, 90)), float(rng.random()))
                )
            else:
                events.append(dawgwasm.note_off(f, t, int(rng.integers(30, 90))))
        e.queue(events)
        for t in range(0, tracks, len(e.sources)):
            e.input(t)[:] = rng.uniform(-1, 1, (2, e.capacity_frames)).astype(np.float32)
        e.process(8)
        if k % 250 == 0:
            e.reset()
    assert np.all(np.isfinite(e.output))
    assert e.runtime.memory_bytes() == before
