"""The saturator (dsp_rust/src/units/saturator.rs) against its float64 model
(tests/models/saturator.py), and the promises of its design.

Tolerance against the model: 2e-6 absolute, on outputs up to about 3. The
engine runs the same algorithm in float32; each filter stage and the curve
add rounding of about 1e-7 of full scale (measured: at most 4.5e-7 on these
signals, including ramps and a curve crossfade), and the curves' slope is at
most 1, so errors are not amplified.

Aliasing (15 kHz sine at -6 dBFS, 48 kHz): the power of everything below
10 kHz (all of it aliases: no harmonic of 15 kHz lies there) relative to the
tone, oversampled (the engine) against the same curve run at the sample
rate (the model with ``oversample=False``). Measured improvements: 73.9 /
62.6 dB (curve 0 / 1) at 12 dB drive, 19.6 / 17.8 dB at 24 dB, 12.8 dB at
36 dB, where the curve is a near-hard clip whose 13th harmonic (195 kHz)
folds to 3 kHz even at 4x. Asserted: at least 55, 15 and 10 dB.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pytest
from scipy.signal import windows

from tests.conftest import UnitRenderer
from tests.models.saturator import LATENCY_FRAMES, saturate

FS = 48000.0
TOLERANCE = 2e-6

F32 = npt.NDArray[np.float32]


def make_signal(frames: int = 9600) -> tuple[F32, F32]:
    t = np.arange(frames) / FS
    left = 0.8 * np.sin(2 * np.pi * 220 * t) + 0.3 * np.sin(2 * np.pi * 5000 * t)
    right = np.random.default_rng(7).standard_normal(frames) * 0.5
    return left.astype(np.float32), right.astype(np.float32)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sat_drive_db": 12.0},
        {"sat_drive_db": 24.0, "sat_curve": 1.0},
        {"sat_drive_db": 36.0, "sat_mix": 0.5, "sat_output_db": -6.0},
        {"sat_drive_db": 6.0, "sat_curve": 1.0, "sat_mix": 0.25, "sat_output_db": 12.0},
    ],
)
def test_saturator_matches_reference(
    render_unit: UnitRenderer, params: Mapping[str, float]
) -> None:
    left, right = make_signal()
    out_l, out_r = render_unit("saturator", params, left, right)
    ref_l, ref_r = saturate(left, right, params)
    assert np.max(np.abs(out_l - ref_l)) < TOLERANCE
    assert np.max(np.abs(out_r - ref_r)) < TOLERANCE


def test_saturator_matches_reference_on_every_runtime(
    render_unit: UnitRenderer, runtime: str
) -> None:
    left, right = make_signal(4800)
    params = {"sat_drive_db": 18.0, "sat_curve": 1.0, "sat_mix": 0.8}
    out_l, out_r = render_unit("saturator", params, left, right, runtime=runtime)
    ref_l, ref_r = saturate(left, right, params)
    assert np.max(np.abs(out_l - ref_l)) < TOLERANCE
    assert np.max(np.abs(out_r - ref_r)) < TOLERANCE


def test_saturator_parameter_changes_match_reference(
    render_unit: UnitRenderer, runtime: str
) -> None:
    """Drive, mix and output ramp and a curve change crossfades: sample for
    sample as the model, whose ramp and crossfade times are stated apart from
    the engine's (a faster or slower ramp fails)."""
    left, right = make_signal(19200)
    start = {"sat_drive_db": 6.0, "sat_mix": 0.5}
    changes = [
        (1280, "sat_drive_db", 30.0),
        (3840, "sat_curve", 1.0),
        (5120, "sat_mix", 1.0),
        (7680, "sat_output_db", -12.0),
        (10240, "sat_curve", 0.0),
        (12800, "sat_drive_db", 0.0),
        (15360, "sat_mix", 0.1),
    ]
    out_l, out_r = render_unit("saturator", start, left, right, runtime=runtime, changes=changes)
    ref_l, ref_r = saturate(left, right, start, changes=changes)
    assert np.max(np.abs(out_l - ref_l)) < TOLERANCE
    assert np.max(np.abs(out_r - ref_r)) < TOLERANCE


ALIAS_FRAMES = 16384  # 15 kHz is exactly bin 5120


def alias_db(y: npt.ArrayLike) -> float:
    """Power below 10 kHz (20 Hz up) relative to the strongest bin, in dB."""
    seg = np.asarray(y, np.float64)[-ALIAS_FRAMES:]
    spec = np.abs(np.fft.rfft(seg * windows.blackmanharris(ALIAS_FRAMES))) ** 2
    freqs = np.fft.rfftfreq(ALIAS_FRAMES, 1 / FS)
    band = (freqs >= 20) & (freqs <= 10000)
    return float(10 * np.log10(spec[band].sum() / spec.max()))


@pytest.mark.parametrize("curve", [0.0, 1.0])
@pytest.mark.parametrize(
    ("drive_db", "min_improvement_db"), [(12.0, 55.0), (24.0, 15.0), (36.0, 10.0)]
)
def test_saturator_oversampling_cuts_aliasing(
    render_unit: UnitRenderer, curve: float, drive_db: float, min_improvement_db: float
) -> None:
    t = np.arange(ALIAS_FRAMES + 1024) / FS
    x = (0.5 * np.sin(2 * np.pi * 15000 * t)).astype(np.float32)
    params = {"sat_drive_db": drive_db, "sat_curve": curve}
    out, _ = render_unit("saturator", params, x)
    naive, _ = saturate(x, x, params, oversample=False)
    oversampled, baseline = alias_db(out), alias_db(naive)
    assert baseline - oversampled >= min_improvement_db, (oversampled, baseline)
    if drive_db == 12.0:
        assert oversampled < -70.0


def test_saturator_mix_is_phase_aligned(render_unit: UnitRenderer) -> None:
    """At a level where both curves are linear to 3e-7, wet equals dry
    delayed: a half mix of them reproduces the input delayed by the latency
    (a one-frame misalignment would notch 12 kHz by 6 dB); mix 0 is exactly
    the delayed input."""
    frames = 9600
    t = np.arange(frames) / FS
    x = 1e-3 * (np.sin(2 * np.pi * 997 * t) + np.sin(2 * np.pi * 12000 * t))
    x32 = x.astype(np.float32)
    for curve in (0.0, 1.0):
        half, _ = render_unit("saturator", {"sat_mix": 0.5, "sat_curve": curve}, x32)
        err = np.abs(half[LATENCY_FRAMES + 200 :] - x32[200 : frames - LATENCY_FRAMES])
        assert err.max() < 2e-6  # passband ripple (<0.005 dB) of 2e-3 peaks, plus rounding
    dry, _ = render_unit("saturator", {"sat_mix": 0.0, "sat_drive_db": 30.0}, x32)
    assert np.array_equal(dry[LATENCY_FRAMES:], x32[: frames - LATENCY_FRAMES])
    assert not dry[:LATENCY_FRAMES].any()


def test_saturator_block_size_does_not_change_output(
    render_unit: UnitRenderer, runtime: str
) -> None:
    left, right = make_signal(6000)
    params = {"sat_drive_db": 20.0, "sat_mix": 0.7, "sat_output_db": -3.0}
    outs = [
        render_unit("saturator", params, left, right, runtime=runtime, quantum_frames=q)
        for q in (64, 128, 512)
    ]
    for other in outs[1:]:
        assert np.array_equal(other[0], outs[0][0])
        assert np.array_equal(other[1], outs[0][1])


def test_saturator_hostile_input_stays_finite_and_bounded(render_unit: UnitRenderer) -> None:
    hostile = np.array([np.nan, np.inf, -np.inf, 3e38, -3e38, 1e-40, 1.0, -1.0, 0.0], np.float32)
    x = np.tile(hostile, 500)
    params = {"sat_drive_db": 36.0, "sat_output_db": 12.0}
    left, right = render_unit("saturator", params, x, np.roll(x, 3))
    both = np.concatenate([left, right])
    assert np.all(np.isfinite(both))
    # Curves within ±1, the decimation chain's L1 norm 1.758, output +12 dB.
    assert np.max(np.abs(both)) < 1.758 * 10 ** (12 / 20)
