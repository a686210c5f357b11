"""The compressor insert (dsp_rust/src/units/compressor.rs) against its
float64 model (tests/models/compressor.py) and the textbook soft knee.

Tolerances, and why:

* Static curve: 0.05 dB from the textbook formula (Giannoulis, Massberg and
  Reiss 2012, eq. 4) at steady state on DC. The unit's fast ``log2``/``exp2``
  are good to about 1e-5 dB; the rest is headroom.
* Against the model, sample by sample: the output's gain, ``20 log10
  |out/in|``, within 0.01 dB, on samples above -60 dBFS. The unit runs the
  same recursion in float32 with approximate ``log2``/``exp2`` (1.2e-6 dB +
  7e-7 |level dB|, and 1.3e-5 dB): with time constants up to 2 s the
  one-pole filters accumulate rounding of the order of 1e-4 dB at most.
* Link 0 on a hard-panned signal: the quiet channel is untouched, bit for bit
  (its reduction is exactly zero, so its gain is exactly 1).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pytest

from tests.agreement import assert_agrees
from tests.conftest import EngineFactory, UnitRenderer
from tests.models.compressor import compress, textbook_output_db

FS = 48000.0
CURVE_TOL_DB = 0.05
MODEL_TOL_DB = 0.01

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]


def gain_db(out: npt.ArrayLike, x: npt.ArrayLike, floor: float = 1e-3) -> F64:
    """Per-sample gain in dB where ``|x| > floor``, NaN elsewhere."""
    o = np.asarray(out, np.float64)
    i = np.asarray(x, np.float64)
    g = np.full(i.shape, np.nan)
    keep = np.abs(i) > floor
    g[keep] = 20 * np.log10(np.abs(o[keep]) / np.abs(i[keep]))
    return g


@pytest.mark.parametrize(
    ("threshold_db", "ratio", "knee_db"),
    [(-20.0, 4.0, 0.0), (-20.0, 4.0, 12.0), (-30.0, 10.0, 24.0), (-6.0, 2.0, 6.0)],
)
def test_static_curve_with_knee_matches_the_textbook_formula(
    render_unit: UnitRenderer, runtime: str, threshold_db: float, ratio: float, knee_db: float
) -> None:
    levels_db = np.arange(-48.0, 0.1, 3.0)
    step = 9600  # 200 ms per level: 10 release time constants
    x = np.repeat(10 ** (levels_db / 20), step).astype(np.float32)
    params = {
        "compressor_threshold_db": threshold_db,
        "compressor_ratio": ratio,
        "compressor_knee_db": knee_db,
        "compressor_attack_ms": 1.0,
        "compressor_release_ms": 20.0,
    }
    out_l, out_r = render_unit("compressor", params, x, x, runtime=runtime)
    assert np.array_equal(out_l, out_r)
    for k, level in enumerate(levels_db):
        got = 20 * np.log10(float(out_l[(k + 1) * step - 1]))
        want = textbook_output_db(float(level), threshold_db, ratio, knee_db)
        assert abs(got - want) < CURVE_TOL_DB, f"{level} dB in: {got:.4f}, want {want:.4f}"


def bursts(frames: int, seed: int) -> tuple[F32, F32]:
    """Noise whose level jumps every 100 ms between -50 and 0 dBFS."""
    rng = np.random.default_rng(seed)
    levels = 10 ** (rng.uniform(-50, 0, frames // 4800 + 1) / 20)
    env = np.repeat(levels, 4800)[:frames]
    left = rng.uniform(-1, 1, frames) * env
    right = rng.uniform(-1, 1, frames) * env * 0.5
    return left.astype(np.float32), right.astype(np.float32)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"compressor_knee_db": 0.0, "compressor_attack_ms": 0.1, "compressor_release_ms": 5.0},
        {"compressor_threshold_db": -40.0, "compressor_ratio": 20.0, "compressor_makeup_db": 12.0},
        {"compressor_attack_ms": 50.0, "compressor_release_ms": 2000.0, "compressor_knee_db": 24.0},
        {"compressor_link": 0.0, "compressor_threshold_db": -30.0},
        {"compressor_link": 0.35, "compressor_detector": 1.0, "compressor_ratio": 6.0},
    ],
)
def test_attack_release_knee_link_match_the_model(
    render_unit: UnitRenderer, runtime: str, params: Mapping[str, float]
) -> None:
    left, right = bursts(14400, seed=3)
    out_l, out_r = render_unit("compressor", params, left, right, runtime=runtime)
    ref_l, ref_r = compress(left, right, params, sample_rate_hz=FS)
    for out, ref, x in ((out_l, ref_l, left), (out_r, ref_r, right)):
        diff = np.abs(gain_db(out, x) - gain_db(ref, x))
        assert np.nanmax(diff) < MODEL_TOL_DB


def test_rms_detector_on_a_sine_matches_the_model(render_unit: UnitRenderer, runtime: str) -> None:
    t = np.arange(24000) / FS
    amp = np.where(t < 0.25, 0.05, 0.7)  # a 23 dB step halfway
    x = (amp * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    params = {
        "compressor_detector": 1.0,
        "compressor_threshold_db": -30.0,
        "compressor_ratio": 5.0,
        "compressor_knee_db": 0.0,
        "compressor_attack_ms": 5.0,
        "compressor_release_ms": 80.0,
    }
    out_l, _ = render_unit("compressor", params, x, x, runtime=runtime)
    ref_l, _ = compress(x, x, params, sample_rate_hz=FS)
    diff = np.abs(gain_db(out_l, x) - gain_db(ref_l, x))
    assert np.nanmax(diff) < MODEL_TOL_DB
    # The RMS level of a sine is 3 dB below its peak: over the last 100 ms
    # the output power sits on the static curve at that level (the mean
    # square's ripple at 880 Hz averages out).
    tail = slice(-4800, None)
    power_db = 10 * np.log10(np.mean(out_l[tail].astype(np.float64) ** 2))
    rms_in_db = 20 * np.log10(0.7) - 10 * np.log10(2)
    want = textbook_output_db(rms_in_db, -30.0, 5.0, 0.0)
    assert abs(power_db - want) < 0.1


def test_link_zero_leaves_the_quiet_channel_alone(render_unit: UnitRenderer, runtime: str) -> None:
    t = np.arange(9600) / FS
    loud = (0.9 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    quiet = (0.01 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    params = {"compressor_threshold_db": -20.0, "compressor_ratio": 8.0, "compressor_knee_db": 0.0}
    unlinked_l, unlinked_r = render_unit(
        "compressor", {**params, "compressor_link": 0.0}, loud, quiet, runtime=runtime
    )
    assert np.array_equal(unlinked_r, quiet)
    linked_l, linked_r = render_unit(
        "compressor", {**params, "compressor_link": 1.0}, loud, quiet, runtime=runtime
    )
    # The loud channel leads either way (on the JavaScript engine the linked
    # path's f64 arithmetic rounds apart from the unlinked one's, within its
    # stated distance).
    assert_agrees(unlinked_l, linked_l, runtime)
    # Linked, the quiet channel follows the loud one's gain.
    g_loud = gain_db(linked_l, loud)
    g_quiet = gain_db(linked_r, quiet, floor=1e-4)
    both = ~np.isnan(g_loud) & ~np.isnan(g_quiet)
    assert np.nanmin(g_quiet) < -15.0
    assert np.max(np.abs(g_loud[both] - g_quiet[both])) < 1e-4


def test_makeup_gain_applies_from_the_first_sample(render_unit: UnitRenderer, runtime: str) -> None:
    x = np.random.default_rng(9).uniform(-0.01, 0.01, 4800).astype(np.float32)
    params = {"compressor_ratio": 1.0, "compressor_makeup_db": 9.0}
    out_l, _ = render_unit("compressor", params, x, x, runtime=runtime)
    g = gain_db(out_l, x, floor=1e-4)
    assert np.nanmax(np.abs(g - 9.0)) < 1e-4


def test_makeup_change_ramps_over_ten_ms_like_the_model(
    make_engine: EngineFactory, runtime: str
) -> None:
    e = make_engine(runtime, tracks=1, max_quanta=8)
    e.set_insert(1, "compressor", track=0)
    e.set_many({"compressor_ratio": 1.0}, 0, slot=1)
    e.reset()
    x = np.full(2048, 0.1, np.float32)
    first = e.render(np.stack([x[:1024], x[:1024]]))
    e.set("compressor_makeup_db", 12.0, 0, slot=1)
    second = e.render(np.stack([x[1024:], x[1024:]]))
    out = np.concatenate([first[0], second[0]])
    ref, _ = compress(
        x,
        x,
        {"compressor_ratio": 1.0},
        sample_rate_hz=FS,
        changes=[(1024, "compressor_makeup_db", 12.0)],
    )
    assert np.max(np.abs(gain_db(out, x) - gain_db(ref, x))) < MODEL_TOL_DB
    assert abs(gain_db(out, x)[1024 + 479] - 12.0) < 1e-4  # 480 steps at 48 kHz
    assert gain_db(out, x)[1024 + 240] == pytest.approx(6.0, abs=0.05)
