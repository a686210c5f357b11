"""The parametric EQ insert (dsp_rust/src/units/peq/) is the RBJ cookbook
biquad cascade of its float64 model (tests/models/peq.py, scipy.signal):
each band type alone and all eight bands together match ``sosfilt``'s
impulse response at 22050, 48000 and 192000 Hz and ``sosfreqz``'s magnitude;
with every band off it is a bit-exact wire; sweeps and type changes never
step; the output depends neither on the render quantum nor on the runtime.

Tolerances, float32 engine against the float64 model:

* impulse response: 1e-6 absolute, scaled by the response's peak when that
  exceeds 1. The engine runs each band as a trapezoidal state-variable
  filter, whose coefficients are well conditioned even for a 20 Hz band at
  192 kHz, so the error is the float32 rounding of the coefficients (6e-8
  relative) and of a dozen operations per sample, accumulated along the
  decay. Measured: at most 1.8e-7 over these cases.
* magnitude: 0.05 dB at frequencies where the response is above -40 dB,
  measured by a DFT of a 2^16-frame (2^18 at 192 kHz) impulse response that
  has decayed to below 1e-7. Measured: at most 3e-4 dB.
* runtimes (wasm SIMD, wasm scalar, native): 1e-6; they run the same f32
  operations (no fused multiply-add), so they agree bit for bit in practice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import numpy.typing as npt
import pytest

from dawgwasm import Engine
from tests.models.peq import (
    DEFAULT_GAIN_DB,
    DEFAULT_HZ,
    DEFAULT_Q,
    HIGH_PASS,
    HIGH_SHELF,
    LOW_PASS,
    LOW_SHELF,
    PEAK,
    Band,
    bands_from_params,
    impulse_response,
    magnitude_db,
    params_for,
    process,
    process_with_changes,
)
from tests.signals import impulse, noise

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
RenderUnit = Callable[..., tuple[F32, F32]]
EngineFactory = Callable[..., Engine]

RATES = [22050.0, 48000.0, 192000.0]
IMPULSE_ATOL = 1e-6
MAGNITUDE_TOL_DB = 0.05
RUNTIME_ATOL = 1e-6

# (band slot, settings): every type, in every slot, at extreme and ordinary
# frequencies, gains and Qs (20 kHz is held at 0.45 x the rate).
SINGLE_BANDS = [
    (1, Band(PEAK, 1000.0, 9.0, 2.0)),
    (2, Band(PEAK, 60.0, 24.0, 18.0)),
    (3, Band(PEAK, 5000.0, -18.0, 0.5)),
    (4, Band(LOW_SHELF, 200.0, -12.0, 0.707)),
    (5, Band(LOW_SHELF, 80.0, 12.0, 2.0)),
    (6, Band(HIGH_SHELF, 6000.0, 6.0, 0.707)),
    (7, Band(HIGH_SHELF, 12000.0, -24.0, 0.3)),
    (8, Band(LOW_PASS, 800.0, 0.0, 0.707)),
    (1, Band(LOW_PASS, 20000.0, 0.0, 5.0)),
    (2, Band(HIGH_PASS, 40.0, 0.0, 10.0)),
    (3, Band(HIGH_PASS, 3000.0, 0.0, 0.1)),
]

ALL_EIGHT = {
    1: Band(HIGH_PASS, 30.0, 0.0, 0.707),
    2: Band(LOW_SHELF, 120.0, 4.0, 0.9),
    3: Band(PEAK, 350.0, -6.0, 3.0),
    4: Band(PEAK, 1000.0, 5.0, 1.0),
    5: Band(PEAK, 2800.0, -3.0, 8.0),
    6: Band(HIGH_SHELF, 6000.0, 3.0, 0.707),
    7: Band(PEAK, 11000.0, 2.0, 2.0),
    8: Band(LOW_PASS, 18000.0, 0.0, 0.707),
}


def engine_impulse(
    render_unit: RenderUnit, params: Mapping[str, float], fs: float, frames: int
) -> tuple[F32, F32]:
    x = impulse(frames)
    return render_unit("peq", params, x, -x, sample_rate_hz=fs)


def dft_magnitude_db(h: F32, fs: float, freqs: F64) -> F64:
    n = np.arange(h.size)
    basis = np.exp(-2j * np.pi * np.outer(freqs, n) / fs)
    return np.asarray(20 * np.log10(np.abs(basis @ h.astype(np.float64))))


@pytest.mark.parametrize("fs", RATES)
@pytest.mark.parametrize(
    ("slot", "band"), SINGLE_BANDS, ids=[f"band{s}-{b.describe()}" for s, b in SINGLE_BANDS]
)
def test_each_band_type_matches_sosfilt(
    render_unit: RenderUnit, fs: float, slot: int, band: Band
) -> None:
    params = params_for({slot: band})
    n = 1 << 14
    left, right = engine_impulse(render_unit, params, fs, n)
    ref = impulse_response(bands_from_params(params), fs, n)
    tol = IMPULSE_ATOL * max(1.0, float(np.abs(ref).max()))
    err = float(np.abs(left - ref).max())
    assert err < tol, f"{band.describe()} in band {slot} at {fs:g} Hz: {err:.2e}"
    np.testing.assert_array_equal(right, -left)  # both channels, same filter


@pytest.mark.parametrize("fs", RATES)
def test_all_eight_bands_match_the_sosfilt_cascade(render_unit: RenderUnit, fs: float) -> None:
    params = params_for(ALL_EIGHT)
    n = 1 << 15
    left, _ = engine_impulse(render_unit, params, fs, n)
    ref = impulse_response(bands_from_params(params), fs, n)
    err = float(np.abs(left - ref).max())
    assert err < IMPULSE_ATOL, f"{err:.2e} at {fs:g} Hz"


@pytest.mark.parametrize("fs", RATES)
def test_magnitude_response_matches_sosfreqz(render_unit: RenderUnit, fs: float) -> None:
    params = params_for(ALL_EIGHT)
    n = 1 << 16 if fs < 100000 else 1 << 18
    left, _ = engine_impulse(render_unit, params, fs, n)
    assert float(np.abs(left[-1000:]).max()) < 1e-7, "impulse response not decayed"
    freqs = np.array([25.0, 60.0, 120.0, 350.0, 1000.0, 2800.0, 6000.0, 9000.0, 11000.0])
    freqs = freqs[freqs < 0.45 * fs]
    want = magnitude_db(bands_from_params(params), fs, freqs)
    got = dft_magnitude_db(left, fs, freqs)
    assert np.all(want > -40.0)
    err = np.abs(got - want)
    assert err.max() < MAGNITUDE_TOL_DB, dict(
        zip(freqs.tolist(), err.round(4).tolist(), strict=True)
    )


def test_each_band_lands_its_gain_at_its_frequency(render_unit: RenderUnit) -> None:
    """On the engine's own output: a peak's gain at its centre, a shelf's
    plateau, a pass filter's -3 dB corner (Q 0.707)."""
    fs = 48000.0
    cases = [
        (Band(PEAK, 1000.0, 9.0, 2.0), 1000.0, 9.0),
        (Band(PEAK, 3000.0, -12.0, 4.0), 3000.0, -12.0),
        (Band(LOW_SHELF, 200.0, 6.0, 0.707), 20.0, 6.0),
        (Band(HIGH_SHELF, 4000.0, -6.0, 0.707), 20000.0, -6.0),
        (Band(LOW_PASS, 2000.0, 0.0, 0.7071068), 2000.0, -3.0103),
        (Band(HIGH_PASS, 500.0, 0.0, 0.7071068), 500.0, -3.0103),
    ]
    for band, at_hz, want_db in cases:
        left, _ = engine_impulse(render_unit, params_for({4: band}), fs, 1 << 16)
        got = float(dft_magnitude_db(left, fs, np.array([at_hz]))[0])
        assert abs(got - want_db) < 0.1, f"{band.describe()}: {got:.3f} dB at {at_hz:g} Hz"


def test_every_band_off_is_a_bit_exact_wire(render_unit: RenderUnit) -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (2, 9000)).astype(np.float32)
    left, right = render_unit("peq", {}, x[0], x[1])
    np.testing.assert_array_equal(left, x[0])
    np.testing.assert_array_equal(right, x[1])
    # Frequency, gain and Q of bands that are off change nothing either.
    idle = {"peq_3_gain_db": 12.0, "peq_3_q": 9.0, "peq_5_hz": 90.0, "peq_8_gain_db": -24.0}
    left, right = render_unit("peq", idle, x[0], x[1])
    np.testing.assert_array_equal(left, x[0])
    np.testing.assert_array_equal(right, x[1])


def peq_engine(make_engine: EngineFactory, runtime: str, fs: float, quantum: int) -> Engine:
    e = make_engine(runtime, sample_rate_hz=fs, tracks=1, quantum_frames=quantum, max_quanta=64)
    e.set_insert(1, "peq", track=0)
    return e


def test_band_sweep_has_no_discontinuity(make_engine: EngineFactory, runtime: str) -> None:
    """A peak swept from 1 kHz/0 dB/Q 1 to 100 Hz/+18 dB/Q 4 over a 100 Hz
    sine: no sample step exceeds the sine's steepest slope at its final
    level (a coefficient jump would add a step of its own)."""
    fs = 48000.0
    e = peq_engine(make_engine, runtime, fs, 128)
    e.set_many(params_for({1: Band(PEAK, 1000.0, 0.0, 1.0)}), 0, slot=1)
    e.reset()
    t = np.arange(int(fs)) / fs
    x = np.tile((0.25 * np.sin(2 * np.pi * 100 * t)).astype(np.float32), (2, 1))
    first = e.render(x[:, :9600])
    e.set_many({"peq_1_hz": 100.0, "peq_1_gain_db": 18.0, "peq_1_q": 4.0}, 0, slot=1)
    rest = e.render(x[:, 9600:])
    y = np.concatenate([first[0], rest[0]]).astype(np.float64)
    peak = float(np.abs(y[-4800:]).max())
    assert peak > 0.25 * 10 ** (17 / 20), "the boost never arrived"
    bound = 2 * np.pi * 100 / fs * peak
    assert float(np.abs(np.diff(y)).max()) <= bound * 1.05


def test_type_changes_fade_instead_of_clicking(make_engine: EngineFactory, runtime: str) -> None:
    """Switching a 100 Hz band between types, on and off, over a 100 Hz
    sine: the largest sample step stays within the sine's slope at its
    largest level plus the fade's own slope (the largest wet/dry difference
    over the 5 ms fade). Restarting the filter without a fade steps by up to
    the signal's full level, and a fade of 16 frames by 15 times the bound's
    fade term."""
    fs = 48000.0
    e = peq_engine(make_engine, runtime, fs, 128)
    e.set_many(params_for({1: Band(PEAK, 100.0, 12.0, 2.0)}), 0, slot=1)
    e.reset()
    w = 2 * np.pi * 100 / fs
    x = np.tile((0.25 * np.sin(w * np.arange(48000))).astype(np.float32), (2, 1))
    out = []
    switches = [(4864, HIGH_PASS), (9728, LOW_PASS), (14592, 0), (19456, LOW_SHELF), (19584, 3)]
    pos = 0
    for at, kind in switches:
        out.append(e.render(x[:, pos:at])[0])
        e.set("peq_1_type", float(kind), 0, slot=1)
        pos = at
    out.append(e.render(x[:, pos:])[0])
    y = np.concatenate(out).astype(np.float64)
    peak = float(np.abs(y).max())
    fade_frames = 0.005 * fs
    bound = w * peak + 2 * peak / fade_frames
    jump = float(np.abs(np.diff(y)).max())
    assert jump <= bound, f"step {jump:.4f} > {bound:.4f}"
    assert peak > 0.9, "the +12 dB peak never sounded"
    # Off for a while: the dry sine, bit for bit.
    dry = slice(14592 + 1024, 19456)
    np.testing.assert_array_equal(y[dry], x[0, dry].astype(np.float64))


def render_with_changes(make_engine: EngineFactory, runtime: str, quantum: int, x: F32) -> F32:
    """All eight bands on, then sweeps and type changes every 1536 frames
    (a multiple of every quantum tried)."""
    e = peq_engine(make_engine, runtime, 48000.0, quantum)
    e.set_many(params_for(ALL_EIGHT), 0, slot=1)
    e.reset()
    changes = [
        {"peq_1_hz": 200.0, "peq_4_gain_db": -9.0},
        {"peq_3_type": 3.0, "peq_5_q": 0.5},
        {"peq_8_type": 0.0, "peq_6_hz": 900.0, "peq_2_gain_db": 12.0},
        {"peq_8_type": 1.0, "peq_8_gain_db": 24.0, "peq_8_q": 18.0},
    ]
    step = 1536
    out = []
    for k, change in enumerate(changes):
        out.append(e.render(x[:, k * step : (k + 1) * step]))
        e.set_many(change, 0, slot=1)
    out.append(e.render(x[:, len(changes) * step :]))
    return np.concatenate(out, axis=1)


def test_output_is_bit_identical_for_every_render_quantum(
    render_unit: RenderUnit, make_engine: EngineFactory
) -> None:
    rng = np.random.default_rng(11)
    x = (rng.standard_normal((2, 12288)) * 0.3).astype(np.float32)
    params = params_for(ALL_EIGHT)
    ref = render_unit("peq", params, x[0], x[1], quantum_frames=128)
    for q in (64, 512):
        got = render_unit("peq", params, x[0], x[1], quantum_frames=q)
        np.testing.assert_array_equal(got[0], ref[0], err_msg=f"quantum {q}")
        np.testing.assert_array_equal(got[1], ref[1], err_msg=f"quantum {q}")
    ramped = render_with_changes(make_engine, "native", 128, x)
    for q in (64, 512):
        np.testing.assert_array_equal(
            render_with_changes(make_engine, "native", q, x), ramped, err_msg=f"quantum {q}"
        )


def test_runtimes_agree(render_unit: RenderUnit, make_engine: EngineFactory, runtime: str) -> None:
    rng = np.random.default_rng(12)
    x = (rng.standard_normal((2, 12288)) * 0.3).astype(np.float32)
    params = params_for(ALL_EIGHT)
    got = render_unit("peq", params, x[0], x[1], runtime=runtime)
    want = render_unit("peq", params, x[0], x[1], runtime="native")
    for ch in range(2):
        assert float(np.abs(got[ch] - want[ch]).max()) <= RUNTIME_ATOL
    ramped = render_with_changes(make_engine, runtime, 128, x)
    native = render_with_changes(make_engine, "native", 128, x)
    assert float(np.abs(ramped - native).max()) <= RUNTIME_ATOL


def test_model_defaults_are_the_engines(make_engine: EngineFactory) -> None:
    """Tests leave parameters unset and trust the model's defaults: every
    band off, frequencies spread from 60 Hz to 16 kHz, 0 dB, Q 0.707."""
    e = make_engine("native", tracks=1)
    for b in range(1, 9):
        assert e.describe(f"peq_{b}_type").default == 0.0
        assert e.describe(f"peq_{b}_hz").default == DEFAULT_HZ[b - 1]
        assert e.describe(f"peq_{b}_gain_db").default == DEFAULT_GAIN_DB
        assert e.describe(f"peq_{b}_q").default == pytest.approx(DEFAULT_Q)


def test_peq_parameter_changes_match_reference_model(render_unit: RenderUnit) -> None:
    """Frequency, gain and Q changes ramp over the model's 20 ms (frequency
    in log2 Hz), the coefficients following every 16 frames from the start:
    a sweep up, a cut, a Q change and a second sweep down begun mid-ramp, in
    two bands at once. The model's ramp time is stated apart from the
    engine's table, so a faster or slower ramp fails here."""
    fs = 48000.0
    bands = {2: Band(PEAK, 500.0, 12.0, 2.0), 6: Band(LOW_PASS, 9000.0, 0.0, 0.707)}
    left, right = noise(11, 14080, peak=0.25)
    changes = [
        (1024, "peq_2_hz", 4000.0),
        (1024, "peq_6_hz", 2000.0),
        (3072, "peq_2_gain_db", -9.0),
        (4992, "peq_2_q", 0.5),
        (5376, "peq_2_hz", 300.0),
        (5632, "peq_6_q", 3.0),
        (8960, "peq_2_gain_db", 6.0),
    ]
    got = render_unit("peq", params_for(bands), left, right, changes=changes)
    want = process_with_changes(bands, fs, left, right, changes)
    for ch in range(2):
        err = float(np.abs(got[ch] - want[ch]).max())
        assert err < 2e-5, f"channel {ch}: {err:.2e}"
    # The changes are audible: the static EQ of the first settings is far off.
    static = process(list(bands.values()), fs, left)
    assert float(np.abs(got[0] - static).max()) > 0.05
