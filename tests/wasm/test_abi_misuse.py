"""Misusing the ABI gets a status code, never a trap or a crash; the Python
API turns each misuse into a clear exception before it reaches the DSP."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dawgwasm import (
    DspRuntimeError,
    EngineConfigError,
    LimitError,
    ParameterError,
    ParameterRangeError,
)
from dawgwasm._abi import status_name


def test_unknown_parameter_id(make_engine, runtime: str) -> None:
    e = make_engine(runtime)
    assert status_name(e.set_raw(0, 9999, 1.0)) == "DAWG_ERR_UNKNOWN_PARAM"
    assert status_name(e.set_raw(0, len(e.params), 1.0)) == "DAWG_ERR_UNKNOWN_PARAM"
    with pytest.raises(ParameterError, match=r"unknown parameter 'gain'.*gain_db"):
        e.set("gain", 1.0)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_value_is_refused_and_last_value_kept(
    make_engine, runtime: str, bad: float
) -> None:
    e = make_engine(runtime)
    gain = e.params["gain_db"]
    e.set("gain_db", -3.0)
    assert status_name(e.set_raw(0, gain.id, bad)) == "DAWG_ERR_NOT_FINITE"
    assert e.get("gain_db") == -3.0
    with pytest.raises(
        ParameterRangeError, match=r"gain_db = .* not a finite number.*-96 to 12 dB"
    ):
        e.set("gain_db", bad)


def test_out_of_range_value_is_clamped_by_abi_and_refused_by_python(
    make_engine, runtime: str
) -> None:
    e = make_engine(runtime)
    gain = e.params["gain_db"]
    assert status_name(e.set_raw(0, gain.id, 500.0)) == "DAWG_CLAMPED"
    assert e.get("gain_db") == 12.0
    assert status_name(e.set_raw(0, gain.id, -1e30)) == "DAWG_CLAMPED"
    assert e.get("gain_db") == -96.0
    with pytest.raises(ParameterRangeError, match=r"gain_db = 99 is out of range.*-96 to 12 dB"):
        e.set("gain_db", 99)
    with pytest.raises(ParameterRangeError, match=r"mute = 0.5 must be a whole number"):
        e.set("mute", 0.5)
    with pytest.raises(ParameterRangeError, match=r"must be a number"):
        e.set("pan", "left")  # type: ignore[arg-type]


def test_bad_targets(make_engine, runtime: str) -> None:
    e = make_engine(runtime, tracks=2)
    assert status_name(e.set_raw(2, e.params["pan"].id, 0.0)) == "DAWG_ERR_BAD_TARGET"
    assert status_name(e.set_raw(1, e.params["master_gain_db"].id, 0.0)) == "DAWG_ERR_BAD_TARGET"
    with pytest.raises(
        ParameterError, match=r"track = 5 is out of range for pan: this engine has 2 tracks"
    ):
        e.set("pan", 0.0, track=5)
    with pytest.raises(ParameterError, match="master parameter"):
        e.set("master_gain_db", 0.0, track=1)


def test_too_many_quanta_renders_nothing(make_engine, runtime: str) -> None:
    e = make_engine(runtime, max_quanta=4)
    e.input(0)[:] = 0.5
    e.output[:] = 7.0  # a canary: a refused call must not touch the output
    status = int(e.runtime.call("dawg_process", e.handle, 5))
    assert status_name(status) == "DAWG_ERR_TOO_MANY_QUANTA"
    assert np.all(e.output == 7.0)
    with pytest.raises(LimitError, match="at most 4 quanta per call"):
        e.process(5)
    with pytest.raises(LimitError, match="quanta must be 1 to 4"):
        e.process(0)
    assert np.all(e.output == 7.0)
    e.process(4)
    assert np.all(e.output == 0.5)


def test_bad_handles(make_engine, runtime: str) -> None:
    e = make_engine(runtime)
    call = e.runtime.call
    for h in (0, -1, 65, 1 << 30):
        assert status_name(int(call("dawg_process", h, 1))) == "DAWG_ERR_BAD_HANDLE"
        assert status_name(int(call("dawg_set_param", h, 0, 0, 0.0))) == "DAWG_ERR_BAD_HANDLE"
        assert int(call("dawg_input_ptr", h, 0)) == 0
    e.close()
    with pytest.raises(DspRuntimeError, match="closed"):
        e.process(1)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"sample_rate_hz": 1000.0}, r"sample_rate_hz = 1000.*8000 to 384000 Hz"),
        ({"sample_rate_hz": math.nan}, r"sample_rate_hz = nan"),
        ({"tracks": 0}, r"tracks = 0.*1 to 256"),
        ({"tracks": 257}, r"tracks = 257"),
        ({"quantum_frames": 8}, r"quantum_frames = 8.*16 to 4096"),
        ({"max_quanta": 0}, r"max_quanta = 0"),
    ],
)
def test_bad_engine_configuration(
    make_engine, runtime: str, config: dict[str, float], message: str
) -> None:
    with pytest.raises(EngineConfigError, match=message):
        make_engine(runtime, **config)


HOSTILE_STRIP = {"low_gain_db": 12, "comp_threshold_db": -30, "comp_ratio": 8}


def test_nan_inf_subnormal_input_counts_as_silence(make_engine, runtime: str) -> None:
    """NaN, ±Inf and subnormal samples are silence: the mix equals a clean run."""
    x = np.zeros((2, 2, 4096), np.float32)
    x[1] = np.sin(np.arange(4096) * 0.02) * 0.5
    clean = make_engine(runtime, tracks=2)
    clean.set_many(HOSTILE_STRIP, 0)
    want = clean.render(x)
    x[0, :, ::4] = np.nan
    x[0, :, 1::4] = np.inf
    x[0, :, 2::4] = -np.inf
    x[0, :, 3::4] = 1e-40
    e = make_engine(runtime, tracks=2)
    e.set_many(HOSTILE_STRIP, 0)
    assert np.array_equal(e.render(x), want)


def test_overflowing_input_stays_finite_and_recovers(make_engine, runtime: str) -> None:
    e = make_engine(runtime, tracks=2)
    e.set_many(HOSTILE_STRIP, 0)
    x = np.zeros((2, 2, 4096), np.float32)
    x[0, :, ::3] = 3e38
    x[0, :, 1::3] = -3e38
    x[1] = np.sin(np.arange(4096) * 0.02) * 0.5
    assert np.all(np.isfinite(e.render(x)))
    # Afterwards the track recovers: silence in gives exact silence out.
    y = e.render(np.zeros((2, 2, 48000), np.float32))
    assert np.all(y[:, -1000:] == 0.0)
