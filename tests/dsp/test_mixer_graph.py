"""The mixer graph: sends (pre and post fader) into buses, bus faders, mute,
solo, meters, tracks created on first use, and auto-bypass.

Signals are DC or noise through a flat strip, so expected values follow from
the routing alone: the StereoPannerNode law for a stereo input panned hard
left is ``L' = L + R, R' = 0``. Exact equality is asserted where the path is
a product of exact gains; ramps are checked once they have settled.
"""

from __future__ import annotations

import numpy as np
import pytest

from dawgwasm import DspRuntimeError, ParameterError

FRAMES = 4096
SETTLED = slice(2048, None)  # well past every 10 ms ramp


def dc(level: float, frames: int = FRAMES) -> np.ndarray:
    return np.full((2, frames), level, np.float32)


@pytest.mark.parametrize(("pre", "expected"), [(0.0, (2.0, 0.0)), (1.0, (1.5, 0.5))])
def test_sends_feed_buses_pre_and_post_fader(make_engine, runtime, pre, expected) -> None:
    e = make_engine(runtime, tracks=1)
    e.set("gain_db", 0.0, bus=0)  # creates bus 0
    e.set("pan", -1.0, 0)
    e.set("send_1_db", 0.0, 0)
    e.set("send_1_pre", pre, 0)
    e.reset()
    out = e.render(dc(0.5))
    np.testing.assert_allclose(out[0, SETTLED], expected[0], rtol=1e-6)
    np.testing.assert_allclose(out[1, SETTLED], expected[1], atol=1e-6)


def test_a_send_to_a_bus_that_does_not_exist_sends_nothing(make_engine) -> None:
    e = make_engine("native", tracks=1)
    e.set("send_3_db", 0.0, 0)
    e.reset()
    out = e.render(dc(0.5))
    np.testing.assert_array_equal(out, dc(0.5))


def test_send_level_and_bus_fader_scale_the_bus(make_engine, runtime) -> None:
    e = make_engine(runtime, tracks=1)
    e.set("gain_db", -6.0, bus=1)
    e.set("mute", 1.0, 0)  # the track's own path and its sends are silenced ...
    e.set("send_2_db", -6.0, 0)
    e.reset()
    assert np.all(e.render(dc(0.5))[:, SETTLED] == 0.0)
    e.set("mute", 0.0, 0)
    e.set("gain_db", -96.0, 0)  # ... the fader only the post-fader path
    e.set("send_2_pre", 1.0, 0)
    e.reset()
    out = e.render(dc(0.5))
    expected = 0.5 * 10 ** (-12 / 20) + 0.5 * 10 ** (-96 / 20)
    np.testing.assert_allclose(out[:, SETTLED], expected, rtol=1e-5)


def test_solo_silences_the_other_tracks_and_their_sends(make_engine, runtime) -> None:
    e = make_engine(runtime, tracks=3)
    e.set("gain_db", 0.0, bus=0)
    for t in range(3):
        e.set("send_1_db", 0.0, t)
    e.set("solo", 1.0, 1)
    e.reset()
    x = np.stack([dc(0.1), dc(0.2), dc(0.4)])
    out = e.render(x)
    np.testing.assert_allclose(out[:, SETTLED], 2 * 0.2, rtol=1e-6)  # direct + post send
    e.set("solo", 0.0, 1)
    e.reset()
    out = e.render(x)
    np.testing.assert_allclose(out[:, SETTLED], 2 * 0.7, rtol=1e-6)


def test_mute_and_solo_fade_instead_of_stepping(make_engine) -> None:
    e = make_engine("native", tracks=2)
    e.reset()
    e.input(0)[:] = 0.5
    e.process(1)
    e.set("mute", 1.0, 0)
    e.process(8)
    out = e.output[0, : 8 * 128]
    steps = np.abs(np.diff(out))
    assert out[0] > 0.49 and out[-1] == 0.0
    assert steps.max() < 0.5 / 400  # a 10 ms fade at 48 kHz: 480 steps


def test_meters_report_peak_and_rms_of_every_channel(make_engine, runtime) -> None:
    e = make_engine(runtime, tracks=4, max_quanta=8)
    e.set("gain_db", 0.0, bus=0)
    e.set("send_1_db", -96.0, 2)
    e.reset()
    x = np.zeros((3, 2, 8 * 128), np.float32)
    x[0] = 0.25
    x[2, 0] = np.where(np.arange(8 * 128) % 2 == 0, 0.5, -0.5)
    e.render(x)
    m = e.meters.copy()
    np.testing.assert_allclose(m[e.meter_row(track=0), :4], [0.25, 0.25, 0.25, 0.25], rtol=1e-6)
    np.testing.assert_allclose(m[e.meter_row(track=2), :4], [0.5, 0.0, 0.5, 0.0], rtol=1e-6)
    assert m[e.meter_row(track=0), 4] == 1.0  # active
    assert m[e.meter_row(track=3), 4] == 0.0  # never used: absent
    assert m[e.meter_row(bus=0), 4] == 1.0
    assert m[e.meter_row(bus=5), 4] == 0.0
    master = m[e.meter_row()]
    assert master[0] == pytest.approx(0.75, rel=1e-3)


def test_track_slots_are_created_on_first_use_and_cost_no_memory(make_engine) -> None:
    small = make_engine("simd", tracks=1, max_quanta=64)
    big = make_engine("simd", tracks=256, max_quanta=64)
    before = big.runtime.memory_bytes()
    big.process(1)
    assert big.meters[:256, 4].max() == 0.0  # no track exists yet
    big.input(200)[:] = 0.5
    big.process(1)
    assert big.meters[200, 4] == 1.0 and big.meters[:200, 4].max() == 0.0
    # 255 unused track slots add no buffers: both engines share one instance's
    # memory budget shape, and the big one grew by at most one track's buffers.
    per_track = 2 * 4 * 128 * 64 + 64 * 1024
    assert big.runtime.memory_bytes() - before <= 2 * per_track
    assert small.runtime.memory_bytes() > 0


def test_unknown_units_sources_and_slots_are_refused(make_engine) -> None:
    e = make_engine("native", tracks=2)
    with pytest.raises(ParameterError, match="unknown effect unit 'fuzz'"):
        e.set_insert(1, "fuzz", track=0)
    with pytest.raises(ParameterError, match="slots are 1 to 8"):
        e.set_insert(9, None, track=0)
    with pytest.raises(ParameterError, match="unknown source 'theremin'"):
        e.set_source(0, "theremin")
    with pytest.raises(ParameterError, match="name exactly one channel"):
        e.set_insert(1, None, track=0, bus=1)
    with pytest.raises(ParameterError, match=r"there are 8 buses \(0\.\.7\)"):
        e.set("gain_db", 0.0, bus=8)
    assert e.set_raw(0x0003_0000, 0, 1.0) < 0  # insert slot 3 of track 0 is empty


def _bypass_pair(make_engine, runtime):
    engines = []
    for auto in (1.0, 0.0):
        e = make_engine(runtime, tracks=2, max_quanta=16)
        e.set("auto_bypass", auto)
        e.set_many({"low_gain_db": 9.0, "mid_gain_db": -6.0, "mid_q": 4.0, "high_gain_db": 6.0}, 0)
        e.set_many({"comp_threshold_db": -20.0, "comp_ratio": 4.0}, 0)
        e.reset()
        engines.append(e)
    return engines


def test_silent_track_is_bypassed_and_wakes_on_input(make_engine, runtime) -> None:
    on, off = _bypass_pair(make_engine, runtime)
    rng = np.random.default_rng(7)
    total = 5 * 48000  # the compressor's release needs ~1.5 s to leave no state
    burst = np.zeros((2, 2, total), np.float32)
    burst[0, :, :4800] = rng.uniform(-0.5, 0.5, (2, 4800))
    burst[0, :, 120000:122000] = rng.uniform(-0.5, 0.5, (2, 2000))
    quiet = on.limits["quiet"]
    outs = []
    states = []
    for e in (on, off):
        out = np.zeros((2, total), np.float32)
        st = []
        for k in range(0, total, 2048):
            n = min(2048, total - k)
            e.input(0)[:, :n] = burst[0, :, k : k + n]
            e.input(1)[:, :n] = 0.0
            e.process(-(-n // 128))
            out[:, k : k + n] = e.output[:, :n]
            st.append(e.meters[e.meter_row(track=0), 4])
        outs.append(out)
        states.append(st)
    assert 2.0 in states[0], "the track never went to sleep"
    assert states[0][-1] == 2.0
    assert 2.0 not in states[1], "auto_bypass=0 still bypassed"
    assert 2.0 in states[0][: 120000 // 2048], "the track never went to sleep before the 2nd burst"
    assert states[0][120000 // 2048 + 1] == 1.0, "input did not wake the track"
    diff = np.abs(outs[0] - outs[1]).max()
    assert diff < quiet, f"bypass changed the output by {diff:g} (threshold {quiet:g})"


def test_parameter_changes_wake_a_bypassed_track(make_engine) -> None:
    e = make_engine("native", tracks=1, max_quanta=64)
    e.input(0)[:] = 0.0
    e.process(64)
    assert e.meters[0, 4] == 2.0
    e.set("gain_db", -3.0, 0)
    e.process(1)
    assert e.meters[0, 4] == 1.0


def test_track_parameters_are_refused_on_buses(make_engine) -> None:
    e = make_engine("native", tracks=1)
    with pytest.raises(ParameterError, match="cannot be set on a bus; it lives on tracks"):
        e.set("send_1_db", 0.0, bus=0)
    target = e.channel_target(bus=0)
    assert e.set_raw(target, e.params["send_1_db"].id, 0.0) == -7  # DAWG_ERR_BAD_TARGET


def test_engine_refuses_insert_parameters_without_their_unit(make_engine) -> None:
    e = make_engine("native", tracks=1)
    units = [s for s in e.params.values() if s.scope == "insert"]
    if not units:
        pytest.fail("the engine has no effect units")
    with pytest.raises(DspRuntimeError, match="DAWG_ERR_BAD_TARGET"):
        e.set(units[0].name, units[0].default, 0, slot=1)


def test_a_silent_input_is_silence_whatever_its_buffer_holds(make_engine, runtime) -> None:
    """Declared silent, an input is never read: loud noise (and NaN) in its
    buffer changes nothing, and its track goes to sleep as on silence."""
    rng = np.random.default_rng(11)
    declared = make_engine(runtime, tracks=2, max_quanta=16)
    zeros = make_engine(runtime, tracks=2, max_quanta=16)
    for e in (declared, zeros):
        e.set_many({"low_gain_db": 6.0, "comp_threshold_db": -20.0, "comp_ratio": 4.0}, 0)
        e.input(1)[:] = dc(0.25, e.capacity_frames)
    declared.set_input_silent(0)
    noise = rng.uniform(-1.0, 1.0, declared.input(0).shape).astype(np.float32)
    noise[0, 5] = np.nan
    declared.input(0)[:] = noise
    zeros.input(0)[:] = 0.0
    for _ in range(40):  # 40 x 16 quanta: well past the 50 ms bypass hold
        declared.process(16)
        zeros.process(16)
        assert np.array_equal(declared.output, zeros.output)
    assert declared.meters[declared.meter_row(track=0), 4] == 2.0, "never went to sleep"


def test_an_input_declared_fed_again_wakes_its_track(make_engine, runtime) -> None:
    e = make_engine(runtime, tracks=1, max_quanta=16)
    e.input(0)[:] = 0.0
    e.set_input_silent(0)
    for _ in range(40):
        e.process(16)
    assert e.meters[0, 4] == 2.0
    e.input(0)[:] = dc(0.5, e.capacity_frames)
    e.process(1)
    assert e.meters[0, 4] == 2.0, "a silent input woke its track"
    e.reset()  # the declaration is the host's wiring: a reset keeps it
    e.process(1)
    assert not e.output[:, :128].any(), "a reset undid the declaration"
    e.set_input_silent(0, False)
    e.process(1)
    assert e.meters[0, 4] == 1.0, "sound in a fed input did not wake the track"
    assert np.abs(e.output[:, :128]).max() > 0.1


def test_only_a_created_track_can_have_its_input_declared_silent(make_engine, runtime) -> None:
    e = make_engine(runtime, tracks=2)
    with pytest.raises(DspRuntimeError, match="does not exist yet"):
        e.set_input_silent(1)
    with pytest.raises(ParameterError):
        e.set_input_silent(2)
