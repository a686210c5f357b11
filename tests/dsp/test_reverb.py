"""The reverb insert (dsp_rust/src/units/reverb.rs) with Freeverb selected
(reverb_algorithm 1; the dense default has tests/dsp/test_reverb_dense.py)
matches its float64 model (tests/models/reverb.py) and keeps its promises:
the decay lengthens with the size, width 0 makes both wet sides identical,
the predelay shifts the onset by exactly its length in frames, an impulse's
tail ends in exact zeros, mix 0 is the dry signal, and the output depends
neither on the render quantum nor the runtime.

Tolerance against the model: 1e-6 absolute on outputs peaking near 1. The
engine runs the same recursions in float32 (the model in float64): each comb
frame rounds two multiply-adds (relative error 6e-8 each), the errors decay
with the comb feedback (< 0.98 per pass), and the sum of 8 combs, 4 allpasses
and the wet gain (3) scale them by at most a few tens; the first 4000 frames
hold fewer than 4 passes through any comb. Measured: at most 1.2e-7.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import numpy.typing as npt
import pytest

from tests.models.reverb import COMB_TUNINGS, render_reverb, scaled
from tests.signals import impulse, noise

F32 = npt.NDArray[np.float32]
RenderUnit = Callable[..., tuple[F32, F32]]

SR = 48000.0
TOL = 1e-6


@pytest.mark.parametrize(
    "params",
    [
        {"reverb_algorithm": 1.0},
        {
            "reverb_algorithm": 1.0,
            "reverb_size": 1.0,
            "reverb_damping": 0.0,
            "reverb_width": 0.4,
            "reverb_predelay_ms": 0.0,
            "reverb_mix": 1.0,
        },
        {
            "reverb_algorithm": 1.0,
            "reverb_size": 0.2,
            "reverb_damping": 1.0,
            "reverb_predelay_ms": 3.33,
            "reverb_mix": 0.7,
        },
    ],
    ids=["defaults", "large-bright-narrow", "small-dark"],
)
def test_reverb_matches_reference_model(
    render_unit: RenderUnit, params: Mapping[str, float]
) -> None:
    left, right = noise(1, 4000)
    out = render_unit("reverb", params, left, right)
    want = render_reverb(params, left, right, sample_rate_hz=SR)
    for got, ref in zip(out, want, strict=True):
        assert np.max(np.abs(got - ref)) <= TOL


def decay_time_s(x: F32, sample_rate_hz: float) -> float:
    """RT60 from the Schroeder backward integral, fitted between -5 and -35 dB."""
    energy = np.cumsum(x[::-1].astype(np.float64) ** 2)[::-1]
    db = 10 * np.log10(energy / energy[0] + 1e-300)
    start = int(np.argmax(db < -5.0))
    end = int(np.argmax(db < -35.0))
    return 2.0 * (end - start) / sample_rate_hz


@pytest.mark.parametrize("algorithm", [0.0, 1.0], ids=["dense", "freeverb"])
def test_reverb_decay_grows_with_size(render_unit: RenderUnit, algorithm: float) -> None:
    x = impulse(int(SR * 6))
    times = []
    for size in (0.2, 0.5, 0.8):
        params = {"reverb_size": size, "reverb_mix": 1.0, "reverb_algorithm": algorithm}
        left, _ = render_unit("reverb", params, x)
        times.append(decay_time_s(left, SR))
    assert times[0] < times[1] < times[2]
    assert times[2] > 3 * times[0]


def test_reverb_width_zero_gives_identical_wet_sides(render_unit: RenderUnit) -> None:
    left, right = noise(2, 6000)
    params = {"reverb_width": 0.0, "reverb_mix": 1.0}
    out_l, out_r = render_unit("reverb", params, left, right)
    assert np.any(out_l)
    assert np.array_equal(out_l, out_r)
    wide_l, wide_r = render_unit("reverb", {"reverb_mix": 1.0}, left, right)
    assert not np.array_equal(wide_l, wide_r)


@pytest.mark.parametrize("sample_rate_hz", [44100.0, 48000.0])
def test_reverb_predelay_shifts_the_onset_by_its_frames(
    render_unit: RenderUnit, sample_rate_hz: float
) -> None:
    first_comb = scaled(COMB_TUNINGS[0], sample_rate_hz)
    x = impulse(int(sample_rate_hz * 0.25) + first_comb + 100)
    for ms in (0.0, 10.0, 50.0, 200.0):
        params = {"reverb_predelay_ms": ms, "reverb_mix": 1.0, "reverb_algorithm": 1.0}
        left, _ = render_unit("reverb", params, x, sample_rate_hz=sample_rate_hz)
        shift = round(ms * sample_rate_hz / 1000)
        assert np.flatnonzero(left)[0] == first_comb + shift


@pytest.mark.parametrize("sample_rate_hz", [22050.0, 48000.0, 192000.0])
def test_reverb_impulse_tail_ends_in_exact_zero(
    render_unit: RenderUnit, sample_rate_hz: float
) -> None:
    frames = int(sample_rate_hz * 10) + 1
    x = impulse(frames)
    left, right = render_unit("reverb", {}, x, x, sample_rate_hz=sample_rate_hz)
    assert np.any(left[1:])
    last_second = int(sample_rate_hz)
    assert not np.any(left[-last_second:])
    assert not np.any(right[-last_second:])


def test_reverb_mix_zero_is_the_dry_signal(render_unit: RenderUnit) -> None:
    left, right = noise(3, 3000)
    out = render_unit("reverb", {"reverb_mix": 0.0, "reverb_predelay_ms": 0.0}, left, right)
    assert np.array_equal(out[0], left) and np.array_equal(out[1], right)


def test_reverb_quantum_size_does_not_change_output(render_unit: RenderUnit) -> None:
    left, right = noise(4, 6000)
    params = {"reverb_size": 0.9, "reverb_width": 0.6, "reverb_predelay_ms": 7.7}
    ref = render_unit("reverb", params, left, right, quantum_frames=128)
    for q in (64, 512):
        out = render_unit("reverb", params, left, right, quantum_frames=q)
        assert np.array_equal(out[0], ref[0]) and np.array_equal(out[1], ref[1])


@pytest.mark.parametrize("algorithm", [0.0, 1.0], ids=["dense", "freeverb"])
def test_reverb_runtimes_agree_bit_for_bit(
    render_unit: RenderUnit, runtime: str, algorithm: float
) -> None:
    """Native, wasm SIMD, wasm scalar and the JavaScript engine give the
    same bits for the dense network (F4 lanes: lane-wise IEEE arithmetic in
    both builds; the JS twin rounds every step as the Rust). Freeverb's JS
    twin rounds each comb step once (its module doc): within 1e-6 there."""
    left, right = noise(5, 5000)
    params = {
        "reverb_size": 0.95,
        "reverb_damping": 0.2,
        "reverb_mix": 0.6,
        "reverb_algorithm": algorithm,
    }
    native = render_unit("reverb", params, left, right)
    out = render_unit("reverb", params, left, right, runtime=runtime)
    tol = 1e-6 if (runtime == "js" and algorithm == 1.0) else 0.0
    for got, ref in zip(out, native, strict=True):
        assert np.max(np.abs(got - ref)) <= tol


def test_reverb_parameter_changes_match_reference_model(render_unit: RenderUnit) -> None:
    """Size, damping, width, pre-delay and mix ramp over their smoothing
    times while the tail rings: sample for sample as the model, whose ramp
    times are stated apart from the engine's (a faster or slower ramp fails)."""
    left, right = noise(6, 24000)
    start = {
        "reverb_size": 0.5,
        "reverb_mix": 0.4,
        "reverb_predelay_ms": 10.0,
        "reverb_algorithm": 1.0,
    }
    changes = [
        (1280, "reverb_size", 0.9),
        (3840, "reverb_damping", 0.1),
        (6400, "reverb_width", 0.3),
        (8960, "reverb_predelay_ms", 60.0),
        (11520, "reverb_mix", 1.0),
        (14080, "reverb_size", 0.2),
        (16640, "reverb_predelay_ms", 0.0),
        (19200, "reverb_damping", 0.9),
    ]
    out = render_unit("reverb", start, left, right, changes=changes)
    want = render_reverb(start, left, right, sample_rate_hz=SR, changes=changes)
    for got, ref in zip(out, want, strict=True):
        assert np.max(np.abs(got - ref)) <= TOL
