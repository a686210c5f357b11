"""The delay insert (dsp_rust/src/units/delay.rs) matches its float64 model
(tests/models/delay.py) and keeps its promises: the first echo lands exactly
the delay time after the input, tempo sync gives the note length in frames,
each repeat is the feedback factor quieter, ping-pong alternates sides, the
damping filter darkens every further repeat, an impulse's tail ends in exact
zeros, and the output depends neither on the render quantum nor the runtime.

Tolerance against the model: 1e-6 absolute on signals peaking near 1. At a
whole-frame delay the line only stores samples and reads them back exactly,
so the engine differs from the float64 model only by the float32 rounding of
the few multiply-adds per frame (low-pass, feedback sum, wet/dry mix), each
within 6e-8 of values below 1, carried into later repeats at most times the
feedback (< 1); at a fractional delay the cubic interpolation adds a few more
of the same roundings. Measured: at most 1.5e-7.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping

import numpy as np
import numpy.typing as npt
import pytest

from tests.models.delay import render_delay
from tests.signals import impulse, noise

F32 = npt.NDArray[np.float32]
RenderUnit = Callable[..., tuple[F32, F32]]

SR = 48000.0
TOL = 1e-6


def echoes(x: F32, period: int, count: int) -> list[F32]:
    """Windows of ``period`` frames starting at each repeat k = 1..count."""
    return [x[k * period : (k + 1) * period] for k in range(1, count + 1)]


@pytest.mark.parametrize(
    "params",
    [
        {"delay_time_ms": 20.0, "delay_feedback": 0.8, "delay_mix": 0.5},
        {
            "delay_time_ms": 13.37,
            "delay_feedback": 0.95,
            "delay_ping_pong": 1,
            "delay_damping_hz": 2500.0,
            "delay_mix": 1.0,
        },
        {"delay_time_ms": 7.0, "delay_feedback": 0.5, "delay_damping_hz": 20000.0},
    ],
    ids=["plain", "ping-pong-fractional", "bright"],
)
def test_delay_matches_reference_model(
    render_unit: RenderUnit, params: Mapping[str, float]
) -> None:
    left, right = noise(1, 4000)
    out = render_unit("delay", params, left, right)
    want = render_delay(params, left, right, sample_rate_hz=SR)
    for got, ref in zip(out, want, strict=True):
        assert np.max(np.abs(got - ref)) <= TOL


@pytest.mark.parametrize(("sample_rate_hz", "frames"), [(48000.0, 12000), (44100.0, 11025)])
def test_delay_echo_lands_at_exactly_the_delay_time(
    render_unit: RenderUnit, sample_rate_hz: float, frames: int
) -> None:
    params = {"delay_time_ms": 250.0, "delay_mix": 1.0}
    left, _ = render_unit("delay", params, impulse(frames + 100), sample_rate_hz=sample_rate_hz)
    assert np.flatnonzero(left)[0] == frames
    assert left[frames] == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize(
    ("tempo_bpm", "sync", "frames"),
    [
        (120.0, 1, 24000),  # 1/4
        (120.0, 2, 12000),  # 1/8
        (120.0, 3, 18000),  # dotted 1/8
        (120.0, 4, 8000),  # 1/8 triplet
        (120.0, 5, 6000),  # 1/16
        (120.0, 6, 48000),  # 1/2
        (90.0, 1, 32000),
        (90.0, 2, 16000),
        (90.0, 3, 24000),
        (90.0, 5, 8000),
    ],
)
def test_delay_tempo_sync_gives_the_note_length(
    render_unit: RenderUnit, tempo_bpm: float, sync: int, frames: int
) -> None:
    params = {"delay_sync": sync, "delay_time_ms": 10.0, "delay_mix": 1.0}
    left, _ = render_unit("delay", params, impulse(frames + 100), tempo_bpm=tempo_bpm)
    assert np.flatnonzero(left)[0] == frames


@pytest.mark.parametrize("feedback", [0.3, 0.6, 0.95])
def test_delay_feedback_decays_by_the_factor_per_repeat(
    render_unit: RenderUnit, feedback: float
) -> None:
    period = 4800
    params = {"delay_time_ms": 100.0, "delay_feedback": feedback, "delay_mix": 1.0}
    left, _ = render_unit("delay", params, impulse(6 * period))
    # The low-pass smears each repeat over a few frames but has unity DC gain:
    # each repeat's sum is exactly the previous one's times the feedback.
    sums = [float(np.sum(w, dtype=np.float64)) for w in echoes(left, period, 5)]
    assert sums[0] == pytest.approx(1.0, abs=1e-6)
    for a, b in itertools.pairwise(sums):
        assert b / a == pytest.approx(feedback, rel=1e-5)


def test_delay_ping_pong_alternates_sides(render_unit: RenderUnit) -> None:
    period = 4800
    params = {
        "delay_time_ms": 100.0,
        "delay_ping_pong": 1,
        "delay_feedback": 0.7,
        "delay_mix": 1.0,
    }
    x = impulse(6 * period)
    left, right = render_unit("delay", params, x, x)
    pairs = zip(echoes(left, period, 5), echoes(right, period, 5), strict=True)
    for k, (wl, wr) in enumerate(pairs, 1):
        loud, silent = (wl, wr) if k % 2 == 1 else (wr, wl)
        assert np.sum(loud.astype(np.float64)) == pytest.approx(0.7 ** (k - 1), rel=1e-5)
        assert not np.any(silent)


def high_share(x: F32, cutoff_hz: float) -> float:
    """Share of the energy above ``cutoff_hz``."""
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / SR)
    return float(spectrum[freqs >= cutoff_hz].sum() / spectrum.sum())


def test_delay_damping_darkens_later_echoes(render_unit: RenderUnit) -> None:
    period = 4800
    burst = np.zeros(6 * period, np.float32)
    burst[:1000] = noise(2, 1000)[0]
    params = {
        "delay_time_ms": 100.0,
        "delay_feedback": 0.9,
        "delay_damping_hz": 2000.0,
        "delay_mix": 1.0,
    }
    left, _ = render_unit("delay", params, burst)
    share = [high_share(w, 4000.0) for w in echoes(left, period, 4)]
    assert share[0] == pytest.approx(high_share(burst[:period], 4000.0), rel=1e-3)
    for a, b in itertools.pairwise(share):
        assert b < 0.5 * a
    bright, _ = render_unit("delay", {**params, "delay_damping_hz": 20000.0}, burst)
    assert high_share(echoes(bright, period, 4)[3], 4000.0) > 5 * share[3]


@pytest.mark.parametrize("sample_rate_hz", [22050.0, 48000.0, 192000.0])
def test_delay_impulse_tail_ends_in_exact_zero(
    render_unit: RenderUnit, sample_rate_hz: float
) -> None:
    frames = int(sample_rate_hz * 10) + 1
    left, right = render_unit("delay", {}, impulse(frames), sample_rate_hz=sample_rate_hz)
    assert np.any(left[1:])
    last_second = int(sample_rate_hz)
    assert not np.any(left[-last_second:])
    assert not np.any(right[-last_second:])


def test_delay_quantum_size_does_not_change_output(render_unit: RenderUnit) -> None:
    left, right = noise(3, 6000)
    params = {
        "delay_time_ms": 17.3,
        "delay_feedback": 0.8,
        "delay_ping_pong": 1,
        "delay_damping_hz": 3000.0,
    }
    ref = render_unit("delay", params, left, right, quantum_frames=128)
    for q in (64, 512):
        out = render_unit("delay", params, left, right, quantum_frames=q)
        assert np.array_equal(out[0], ref[0]) and np.array_equal(out[1], ref[1])


def test_delay_mix_zero_is_the_dry_signal(render_unit: RenderUnit) -> None:
    left, right = noise(4, 3000)
    out = render_unit("delay", {"delay_mix": 0.0, "delay_time_ms": 5.0}, left, right)
    assert np.array_equal(out[0], left) and np.array_equal(out[1], right)


def test_delay_runtimes_agree(render_unit: RenderUnit, runtime: str) -> None:
    left, right = noise(5, 5000)
    params = {"delay_time_ms": 11.1, "delay_feedback": 0.9, "delay_ping_pong": 1}
    native = render_unit("delay", params, left, right)
    out = render_unit("delay", params, left, right, runtime=runtime)
    for got, ref in zip(out, native, strict=True):
        assert np.max(np.abs(got - ref)) <= 1e-6


def test_delay_parameter_changes_match_reference_model(render_unit: RenderUnit) -> None:
    """Time changes glide (both ways, and a jump past the glide's rate
    limit), feedback, mix, damping and ping-pong ramp over their smoothing
    times: sample for sample as the model, whose ramp times are stated apart
    from the engine's (a faster or slower ramp fails)."""
    left, right = noise(5, 24000)
    start = {"delay_time_ms": 40.0, "delay_feedback": 0.4, "delay_mix": 0.5}
    changes = [
        (1280, "delay_time_ms", 55.0),
        (3840, "delay_feedback", 0.8),
        (5120, "delay_mix", 0.9),
        (7680, "delay_damping_hz", 2000.0),
        (8960, "delay_time_ms", 12.5),
        (11520, "delay_ping_pong", 1.0),
        (14080, "delay_time_ms", 300.0),
        (17920, "delay_feedback", 0.1),
        (19200, "delay_mix", 0.2),
    ]
    out = render_unit("delay", start, left, right, changes=changes)
    want = render_delay(start, left, right, sample_rate_hz=SR, changes=changes)
    for got, ref in zip(out, want, strict=True):
        assert np.max(np.abs(got - ref)) <= TOL
