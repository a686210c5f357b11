"""Promises every effect unit keeps, checked on each unit the engine lists:
an impulse followed by 10 s of silence ends in exact zeros (feedback units
included, at the lowest and highest sample rates); the output does not
depend on the render quantum; reset reproduces the output; hostile input
(NaN, infinities, 3e38, subnormals) never produces a non-finite sample; and,
by Hypothesis, any legal parameter values keep the output finite, bounded
and deterministic.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dawgwasm import Engine, build_native

TAIL = {  # the longest tails that still decay to exact zero within 10 s at every rate
    "delay": {"delay_feedback": 0.35, "delay_time_ms": 375.0, "delay_mix": 1.0},
    "reverb": {"reverb_size": 0.8, "reverb_damping": 0.0, "reverb_mix": 1.0},
}
LOUD = {  # settings that make each unit do the most (longest tails, most gain)
    "delay": {"delay_feedback": 0.95, "delay_time_ms": 700.0, "delay_mix": 1.0},
    "reverb": {"reverb_size": 1.0, "reverb_damping": 0.0, "reverb_mix": 1.0},
    "saturator": {"sat_drive_db": 36.0},
    "compressor": {"compressor_ratio": 20.0, "compressor_makeup_db": 24.0},
    "limiter": {"lim_ceiling_db": -6.0},
}


def _units() -> list[str]:
    with Engine.native(build_native()) as e:
        return list(e.units)


UNITS = _units()


def _loud(e: Engine, unit: str, table: dict[str, dict[str, float]] = LOUD) -> dict[str, float]:
    params = dict(table.get(unit, LOUD.get(unit, {})))
    if unit == "peq":
        for b in range(1, 9):
            params[f"peq_{b}_type"] = 1.0
            params[f"peq_{b}_gain_db"] = 18.0
            params[f"peq_{b}_q"] = 18.0
    return {k: v for k, v in params.items() if k in e.params}


def test_the_engine_has_every_effect_unit() -> None:
    assert sorted(UNITS) == sorted(["peq", "compressor", "saturator", "delay", "reverb", "limiter"])


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("rate", [22050.0, 48000.0, 192000.0])
def test_impulse_then_ten_seconds_of_silence_ends_in_exact_zeros(
    render_unit, make_engine, unit: str, rate: float
) -> None:
    with Engine.native(build_native()) as probe:
        params = _loud(probe, unit, TAIL)
    frames = int(rate * 10.5)
    x = np.zeros(frames, np.float32)
    x[0] = 1.0
    left, right = render_unit(unit, params, x, sample_rate_hz=rate, quantum_frames=512)
    assert np.all(np.isfinite(left)) and np.all(np.isfinite(right))
    assert np.max(np.abs(left[: int(rate * 0.5)])) > 0.0, "the impulse never came through"
    tail = slice(frames - int(rate * 0.5), None)
    assert np.all(left[tail] == 0.0) and np.all(right[tail] == 0.0), (
        f"{unit} still outputs {np.max(np.abs(left[tail])):.3g} after 10 s of silence"
    )


@pytest.mark.parametrize("unit", UNITS)
def test_output_does_not_depend_on_the_render_quantum(render_unit, unit: str) -> None:
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((2, 9000)) * 0.3).astype(np.float32)
    with Engine.native(build_native()) as probe:
        params = _loud(probe, unit)
    ref = render_unit(unit, params, x[0], x[1], quantum_frames=128)
    for q in (64, 512, 1024):
        got = render_unit(unit, params, x[0], x[1], quantum_frames=q)
        np.testing.assert_array_equal(got[0], ref[0], err_msg=f"{unit} quantum {q}")
        np.testing.assert_array_equal(got[1], ref[1], err_msg=f"{unit} quantum {q}")


@pytest.mark.parametrize("unit", UNITS)
def test_reset_reproduces_the_output(make_engine, unit: str) -> None:
    e = make_engine("native", tracks=1, max_quanta=32)
    e.set_insert(1, unit, track=0)
    e.set_many(_loud(e, unit), 0, slot=1)
    e.reset()
    rng = np.random.default_rng(6)
    x = (rng.standard_normal((2, 20000)) * 0.4).astype(np.float32)
    first = e.render(x)
    e.reset()
    np.testing.assert_array_equal(e.render(x), first)


@pytest.mark.parametrize("unit", UNITS)
def test_hostile_input_never_produces_non_finite_output(make_engine, runtime, unit: str) -> None:
    e = make_engine(runtime, tracks=1, max_quanta=32)
    e.set_insert(1, unit, track=0)
    e.set_many(_loud(e, unit), 0, slot=1)
    e.reset()
    x = np.zeros((2, 12000), np.float32)
    x[:, 10] = np.nan
    x[:, 20] = np.inf
    x[0, 30] = -np.inf
    x[:, 100:200] = 3e38
    x[:, 300:400] = 1e-39  # subnormal
    x[:, 1000:1200] = np.float32(-3e38)
    out = e.render(x)
    assert np.all(np.isfinite(out))


def _unit_params(unit: str) -> dict[str, tuple[float, float, bool]]:
    with Engine.native(build_native()) as e:
        return {
            s.name: (s.min, s.max, s.stepped)
            for s in e.params.values()
            if s.scope == "insert" and s.owner == unit
        }


@st.composite
def unit_settings(draw: st.DrawFn) -> tuple[str, dict[str, float]]:
    unit = draw(st.sampled_from(UNITS))
    values: dict[str, float] = {}
    for name, (lo, hi, stepped) in _unit_params(unit).items():
        if draw(st.booleans()):
            if stepped:
                values[name] = float(draw(st.integers(int(lo), int(hi))))
            else:
                values[name] = draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False))
    return unit, values


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(setting=unit_settings(), seed=st.integers(0, 2**32 - 1))
def test_any_legal_parameters_keep_the_output_finite_bounded_and_deterministic(
    render_unit, setting: tuple[str, dict[str, float]], seed: int
) -> None:
    unit, params = setting
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((2, 4096)) * 0.5).astype(np.float32)
    a = render_unit(unit, params, x[0], x[1])
    b = render_unit(unit, params, x[0], x[1])
    for ch in range(2):
        assert np.all(np.isfinite(a[ch]))
        np.testing.assert_array_equal(a[ch], b[ch])
    # Bounded: the hottest legal settings (+24 dB makeup, 8 bands of +24 dB,
    # 36 dB of drive before the curve) stay far below this.
    assert max(float(np.max(np.abs(a[0]))), float(np.max(np.abs(a[1])))) < 1e4
