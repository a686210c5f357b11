"""Out-of-range integers are errors, never wrapped around: ``Engine.process``
takes 1 to ``max_quanta`` quanta (a whole number, not a bool), the engine's
configuration and events must fit the ABI's ``u32``, and at the root
``Runtime.call`` refuses any integer outside its parameter's ABI type
(``i32``, ``u32``) before anything is called. Every refusal is a LimitError
or an EngineConfigError (both ValueErrors) and renders nothing."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import dawgwasm
from dawgwasm import EngineConfigError, LimitError


@pytest.mark.parametrize("quanta", [0, -1, 5, 2**32 + 1, 2**40, -(2**63)])
def test_process_refuses_counts_outside_one_to_max_quanta(
    make_engine, runtime: str, quanta: int
) -> None:
    e = make_engine(runtime, max_quanta=4)
    e.input(0)[:] = 0.5
    e.output[:] = 7.0  # a canary: a refused call renders nothing
    with pytest.raises(LimitError, match=rf"process\({quanta}\): quanta must be 1 to 4") as info:
        e.process(quanta)
    assert isinstance(info.value, ValueError)
    assert np.all(e.output == 7.0)


@pytest.mark.parametrize("quanta", [True, 1.0, 2.5, "2", None, np.float64(2.0)])
def test_process_refuses_anything_but_a_whole_number(
    make_engine, runtime: str, quanta: object
) -> None:
    e = make_engine(runtime, max_quanta=4)
    e.output[:] = 7.0
    with pytest.raises(LimitError, match=r"quanta must be a whole number"):
        e.process(quanta)  # type: ignore[arg-type]
    assert np.all(e.output == 7.0)
    e.process(np.int64(2))  # numpy integers are whole numbers


CALLS: dict[str, tuple[str, Callable[[int], tuple[object, ...]], str]] = {
    "u32 past 2**32": (
        "dawg_process",
        lambda h: (h, 2**32),
        r"argument 2 of dawg_process is 4294967296, outside .* u32",
    ),
    "negative u32": (
        "dawg_process",
        lambda h: (h, -1),
        r"argument 2 of dawg_process is -1, outside .* u32",
    ),
    "i32 past 2**31": (
        "dawg_process",
        lambda h: (2**31, 1),
        r"argument 1 of dawg_process is 2147483648, outside .* i32",
    ),
    "target past 2**32": (
        "dawg_set_param",
        lambda h: (h, 2**32, 0, 0.0),
        r"argument 2 of dawg_set_param .* u32 range",
    ),
    "id below 0": (
        "dawg_get_param",
        lambda h: (h, 0, -(2**40)),
        r"argument 3 of dawg_get_param .* u32 range",
    ),
    "fraction": ("dawg_process", lambda h: (h, 1.5), r"argument 2 of .* must be an integer"),
    "text for f32": (
        "dawg_set_param",
        lambda h: (h, 0, 0, "loud"),
        r"argument 4 of dawg_set_param must be a number",
    ),
}


@pytest.mark.parametrize("case", sorted(CALLS))
def test_runtime_call_refuses_integers_outside_their_abi_type(
    make_engine, runtime: str, case: str
) -> None:
    export, args, message = CALLS[case]
    e = make_engine(runtime, max_quanta=4)
    e.output[:] = 7.0
    with pytest.raises(LimitError, match=message):
        e.runtime.call(export, *args(e.handle))  # type: ignore[arg-type]
    assert np.all(e.output == 7.0)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"tracks": 2**32 + 1},
            r"tracks = 4294967297: beyond the ABI's u32; legal values are 1 to 256",
        ),
        ({"tracks": 1.5}, r"tracks = 1.5: not a whole number"),
        ({"quantum_frames": 2**32 + 128}, r"quantum_frames = 4294967424.*16 to 4096"),
        ({"max_quanta": True}, r"max_quanta = True"),
        ({"sample_rate_hz": "48000"}, r"sample_rate_hz must be a number"),
    ],
)
def test_engine_configuration_that_would_wrap_is_refused(
    make_engine, runtime: str, config: dict[str, object], message: str
) -> None:
    with pytest.raises(EngineConfigError, match=message):
        make_engine(runtime, **config)


@pytest.mark.parametrize(
    "event",
    [
        dawgwasm.note_on(2**32, 0, 60, 1.0),
        dawgwasm.note_on(0, 0, 2**32 + 60, 1.0),
        dawgwasm.Event(0, -1, 0, 60, 1.0),
    ],
    ids=["frame", "note", "kind"],
)
def test_event_fields_beyond_u32_are_refused(make_engine, event: dawgwasm.Event) -> None:
    e = make_engine("simd")
    e.set_source(0, "synth")
    with pytest.raises(LimitError, match=r"event 0: .* does not fit the ABI's u32"):
        e.queue([event])
    assert e.queued_events == 0
