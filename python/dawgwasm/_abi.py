"""The C ABI of ``dawg_dsp`` as seen from Python: the exports and their
signatures, status codes, and readers for the parameter table and limits.

This mirrors ``dsp_rust/src/abi.rs``; :data:`ABI_VERSION` must match its
``ABI_VERSION``. Types: ``i32``/``u32`` are 32-bit integers, ``f32`` a
float, ``ptr`` a pointer (a 32-bit offset into linear memory under wasm32).
"""

from __future__ import annotations

from typing import Final, Protocol

from dawgwasm._params import ParamSpec, Scope

__all__ = [
    "ABI_VERSION",
    "EXPORTS",
    "STATUS_CLAMPED",
    "STATUS_OK",
    "AbiCaller",
    "read_kinds",
    "read_limits",
    "read_param_table",
    "read_status_texts",
    "status_name",
]

ABI_VERSION: Final = 2

Signature = tuple[tuple[str, ...], str]

EXPORTS: Final[dict[str, Signature]] = {
    "dawg_abi_version": ((), "u32"),
    "dawg_status_text": (("i32",), "ptr"),
    "dawg_status_text_len": (("i32",), "u32"),
    "dawg_param_count": ((), "u32"),
    "dawg_param_name": (("u32",), "ptr"),
    "dawg_param_name_len": (("u32",), "u32"),
    "dawg_param_unit": (("u32",), "ptr"),
    "dawg_param_unit_len": (("u32",), "u32"),
    "dawg_param_doc": (("u32",), "ptr"),
    "dawg_param_doc_len": (("u32",), "u32"),
    "dawg_param_scope": (("u32",), "u32"),
    "dawg_param_unit_kind": (("u32",), "u32"),
    "dawg_param_flags": (("u32",), "u32"),
    "dawg_param_min": (("u32",), "f32"),
    "dawg_param_max": (("u32",), "f32"),
    "dawg_param_default": (("u32",), "f32"),
    "dawg_param_smoothing_ms": (("u32",), "f32"),
    "dawg_limit_sample_rate_min_hz": ((), "f32"),
    "dawg_limit_sample_rate_max_hz": ((), "f32"),
    "dawg_limit_tracks_max": ((), "u32"),
    "dawg_limit_quantum_min_frames": ((), "u32"),
    "dawg_limit_quantum_max_frames": ((), "u32"),
    "dawg_limit_quanta_per_call_max": ((), "u32"),
    "dawg_limit_buses_max": ((), "u32"),
    "dawg_limit_inserts_max": ((), "u32"),
    "dawg_limit_events_per_push_max": ((), "u32"),
    "dawg_limit_events_queued_max": ((), "u32"),
    "dawg_limit_meter_stride": ((), "u32"),
    "dawg_limit_quiet": ((), "f32"),
    "dawg_unit_count": ((), "u32"),
    "dawg_unit_name": (("u32",), "ptr"),
    "dawg_unit_name_len": (("u32",), "u32"),
    "dawg_source_count": ((), "u32"),
    "dawg_source_name": (("u32",), "ptr"),
    "dawg_source_name_len": (("u32",), "u32"),
    "dawg_config_check": (("f32", "u32", "u32", "u32"), "i32"),
    "dawg_engine_new": (("f32", "u32", "u32", "u32"), "i32"),
    "dawg_engine_free": (("i32",), "i32"),
    "dawg_capacity_frames": (("i32",), "u32"),
    "dawg_input_ptr": (("i32", "u32"), "ptr"),
    "dawg_output_ptr": (("i32",), "ptr"),
    "dawg_set_param": (("i32", "u32", "u32", "f32"), "i32"),
    "dawg_get_param": (("i32", "u32", "u32"), "f32"),
    "dawg_process": (("i32", "u32"), "i32"),
    "dawg_reset": (("i32",), "i32"),
    "dawg_track_source": (("i32", "u32", "u32"), "i32"),
    "dawg_insert_set": (("i32", "u32", "u32", "u32"), "i32"),
    "dawg_events_ptr": (("i32",), "ptr"),
    "dawg_events_push": (("i32", "u32"), "i32"),
    "dawg_events_queued": (("i32",), "i32"),
    "dawg_meters_ptr": (("i32",), "ptr"),
    "dawg_meters_len": (("i32",), "u32"),
    "dawg_sample_add": (("i32", "u32", "u32", "f32"), "i32"),
    "dawg_sample_ptr": (("i32", "u32"), "ptr"),
    "dawg_sample_commit": (("i32", "u32"), "i32"),
    "dawg_limit_samples_max": ((), "u32"),
}

STATUS_OK: Final = 0
STATUS_CLAMPED: Final = 1
_STATUS_NAMES: Final = {
    0: "DAWG_OK",
    1: "DAWG_CLAMPED",
    -1: "DAWG_ERR_BAD_HANDLE",
    -2: "DAWG_ERR_SAMPLE_RATE",
    -3: "DAWG_ERR_TRACKS",
    -4: "DAWG_ERR_QUANTUM",
    -5: "DAWG_ERR_QUANTA",
    -6: "DAWG_ERR_UNKNOWN_PARAM",
    -7: "DAWG_ERR_BAD_TARGET",
    -8: "DAWG_ERR_NOT_FINITE",
    -9: "DAWG_ERR_TOO_MANY_QUANTA",
    -10: "DAWG_ERR_NO_FREE_HANDLE",
    -11: "DAWG_ERR_NO_MEMORY",
    -12: "DAWG_ERR_BUSY",
    -13: "DAWG_ERR_UNKNOWN_KIND",
    -14: "DAWG_ERR_EVENTS_FULL",
    -15: "DAWG_ERR_BAD_EVENT",
    -16: "DAWG_ERR_BAD_SAMPLE",
}
SCOPES: Final[tuple[Scope, ...]] = ("track", "master", "channel", "insert", "synth", "sampler")
STATUS_CODES: Final = tuple(sorted(_STATUS_NAMES))


def status_name(code: int) -> str:
    """Symbolic name of a status code (``DAWG_ERR_…``)."""
    return _STATUS_NAMES.get(code, f"status {code}")


class AbiCaller(Protocol):
    """Anything that can call the ABI's exports and read its memory."""

    def call(self, name: str, *args: int | float) -> int | float: ...

    def read_bytes(self, ptr: int, length: int) -> bytes: ...


def _text(abi: AbiCaller, name: str, arg: int) -> str:
    ptr = int(abi.call(name, arg))
    length = int(abi.call(name + "_len", arg))
    return abi.read_bytes(ptr, length).decode("utf-8") if length else ""


def _f32(x: int | float) -> float:
    """The shortest decimal that round-trips to the same f32 (0.707, not 0.70700001…)."""
    import numpy as np

    return float(np.format_float_positional(np.float32(x), unique=True, trim="-"))


def read_param_table(abi: AbiCaller) -> list[ParamSpec]:
    """Every row of the engine's parameter table, in id order."""
    specs: list[ParamSpec] = []
    units = read_kinds(abi, "unit")
    for i in range(int(abi.call("dawg_param_count"))):
        scope = SCOPES[int(abi.call("dawg_param_scope", i))]
        owner: str = scope if scope in ("synth", "sampler") else ""
        if scope == "insert":
            owner = units[int(abi.call("dawg_param_unit_kind", i)) - 1]
        specs.append(
            ParamSpec(
                id=i,
                name=_text(abi, "dawg_param_name", i),
                unit=_text(abi, "dawg_param_unit", i),
                scope=scope,
                owner=owner,
                min=_f32(abi.call("dawg_param_min", i)),
                max=_f32(abi.call("dawg_param_max", i)),
                default=_f32(abi.call("dawg_param_default", i)),
                smoothing_ms=_f32(abi.call("dawg_param_smoothing_ms", i)),
                stepped=bool(int(abi.call("dawg_param_flags", i)) & 1),
                doc=_text(abi, "dawg_param_doc", i),
            )
        )
    return specs


def read_limits(abi: AbiCaller) -> dict[str, float]:
    """The engine's configuration limits."""
    return {
        "sample_rate_min_hz": _f32(abi.call("dawg_limit_sample_rate_min_hz")),
        "sample_rate_max_hz": _f32(abi.call("dawg_limit_sample_rate_max_hz")),
        "tracks_max": int(abi.call("dawg_limit_tracks_max")),
        "quantum_min_frames": int(abi.call("dawg_limit_quantum_min_frames")),
        "quantum_max_frames": int(abi.call("dawg_limit_quantum_max_frames")),
        "quanta_per_call_max": int(abi.call("dawg_limit_quanta_per_call_max")),
        "buses_max": int(abi.call("dawg_limit_buses_max")),
        "inserts_max": int(abi.call("dawg_limit_inserts_max")),
        "events_per_push_max": int(abi.call("dawg_limit_events_per_push_max")),
        "events_queued_max": int(abi.call("dawg_limit_events_queued_max")),
        "meter_stride": int(abi.call("dawg_limit_meter_stride")),
        "quiet": _f32(abi.call("dawg_limit_quiet")),
        "samples_max": int(abi.call("dawg_limit_samples_max")),
    }


def read_kinds(abi: AbiCaller, what: str) -> list[str]:
    """Names of the effect units (``what="unit"``; kind ``i + 1``) or the
    sources (``what="source"``; kind ``i``), in kind order."""
    first = 1 if what == "unit" else 0
    count = int(abi.call(f"dawg_{what}_count"))
    return [_text(abi, f"dawg_{what}_name", k) for k in range(first, first + count)]


def read_status_texts(abi: AbiCaller) -> dict[str, str]:
    """Status code → text, as the engine describes them."""
    out: dict[str, str] = {}
    for code in STATUS_CODES:
        ptr = int(abi.call("dawg_status_text", code))
        length = int(abi.call("dawg_status_text_len", code))
        out[str(code)] = abi.read_bytes(ptr, length).decode("utf-8")
    return out
