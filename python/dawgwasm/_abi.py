"""The C ABI of ``dawg_dsp`` as seen from Python: the exports and their
signatures, status codes, and readers for the parameter table and limits.

This mirrors ``dsp_rust/src/abi.rs``; :data:`ABI_VERSION` must match its
``ABI_VERSION``. Types: ``i32``/``u32`` are 32-bit integers, ``f32`` a
float, ``ptr`` a pointer (a 32-bit offset into linear memory under wasm32).

Everything a module says about itself is checked before it is used, so a
hostile module fails to load with :class:`AbiMismatchError` naming the export
and the value: counts within :data:`PARAMS_MAX` and :data:`KINDS_MAX` (a
count of 4 billion never starts a loop), texts valid UTF-8 within
:data:`TEXT_BYTES_MAX` (names are lowercase identifiers, unique in their
table), scopes and unit kinds within their tables, parameter ranges finite
with ``min <= default <= max``, every limit finite and within
:data:`LIMIT_RANGES`, parameter groups named like parameters, each one
contiguous in id order with one scope and owner (a unit's or source's rows
form the group named after it, and no other group takes a unit's or source's
name), and targets encoded with :data:`TARGET_LAYOUT`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from dawgwasm._errors import AbiMismatchError
from dawgwasm._events import TARGET_LAYOUT, TargetLayout, encode_target
from dawgwasm._params import ParamSpec, ParamTable, Scope

__all__ = [
    "ABI_VERSION",
    "EXPORTS",
    "KINDS_MAX",
    "LIMIT_RANGES",
    "PARAMS_MAX",
    "STATUS_CLAMPED",
    "STATUS_OK",
    "TARGET_LAYOUT",
    "TEXT_BYTES_MAX",
    "AbiCaller",
    "AbiTables",
    "read_kinds",
    "read_limits",
    "read_param_table",
    "read_status_texts",
    "read_tables",
    "read_target_layout",
    "status_name",
]

ABI_VERSION: Final = 3

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
    "dawg_param_group": (("u32",), "ptr"),
    "dawg_param_group_len": (("u32",), "u32"),
    "dawg_target": (("u32", "u32", "u32"), "u32"),
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
    "dawg_input_silent": (("i32", "u32", "u32"), "i32"),
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


#: Most rows of the parameter table a module may declare.
PARAMS_MAX: Final = 4096

#: Most effect units, and most sources, a module may declare.
KINDS_MAX: Final = 255

#: Longest text (name, unit, doc, status text) read from a module, bytes.
TEXT_BYTES_MAX: Final = 4096

_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")

#: Legal range of each limit (inclusive). Track and bus indices live in 12
#: bits of a target, so neither may exceed 4096; meters need the state column (4).
LIMIT_RANGES: Final[dict[str, tuple[float, float]]] = {
    "sample_rate_min_hz": (1.0, 1e7),
    "sample_rate_max_hz": (1.0, 1e7),
    "tracks_max": (1, 4096),
    "quantum_min_frames": (1, 1 << 20),
    "quantum_max_frames": (1, 1 << 20),
    "quanta_per_call_max": (1, 1 << 20),
    "buses_max": (0, 4096),
    "inserts_max": (0, 255),
    "events_per_push_max": (1, 1 << 20),
    "events_queued_max": (1, 1 << 24),
    "meter_stride": (5, 64),
    "quiet": (0.0, 1.0),
    "samples_max": (0, 1 << 16),
}


def _bad(message: str) -> AbiMismatchError:
    return AbiMismatchError(f"the module breaks the dawg_dsp ABI: {message}")


def _count(abi: AbiCaller, export: str, maximum: int) -> int:
    n = int(abi.call(export))
    if not 0 <= n <= maximum:
        raise _bad(f"{export} returned {n}; at most {maximum} is allowed")
    return n


def _text(abi: AbiCaller, name: str, arg: int, *, identifier: bool = False) -> str:
    """The text export ``name(arg)`` (pointer) and ``name_len(arg)`` describe."""
    length = int(abi.call(name + "_len", arg))
    if length > TEXT_BYTES_MAX:
        raise _bad(f"{name}_len({arg}) returned {length}; texts are at most {TEXT_BYTES_MAX} bytes")
    if not length:
        text = ""
    else:
        ptr = int(abi.call(name, arg))
        raw = abi.read_bytes(ptr, length)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _bad(f"{name}({arg}) is not UTF-8 ({e.reason} at byte {e.start})") from None
    if identifier and not _NAME.fullmatch(text):
        raise _bad(
            f"{name}({arg}) is {text!r}; names are lowercase identifiers "
            "([a-z][a-z0-9_]*, at most 64 characters)"
        )
    if not text.isprintable():
        raise _bad(f"{name}({arg}) holds control characters: {text!r}")
    return text


def _finite(abi: AbiCaller, export: str, *args: int) -> float:
    v = _f32(abi.call(export, *args))
    if not math.isfinite(v):
        where = f"{export}({', '.join(map(str, args))})" if args else export
        raise _bad(f"{where} returned {v}; it must be finite")
    return v


def _f32(x: int | float) -> float:
    """The shortest decimal that round-trips to the same f32 (0.707, not 0.70700001…)."""
    import numpy as np

    return float(np.format_float_positional(np.float32(x), unique=True, trim="-"))


def _unique(names: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise _bad(f"two {what} are named {n!r}")
        seen.add(n)
    return names


def read_param_table(abi: AbiCaller) -> list[ParamSpec]:
    """Every row of the engine's parameter table, in id order (checked)."""
    specs: list[ParamSpec] = []
    units = read_kinds(abi, "unit")
    for i in range(_count(abi, "dawg_param_count", PARAMS_MAX)):
        scope_index = int(abi.call("dawg_param_scope", i))
        if not 0 <= scope_index < len(SCOPES):
            raise _bad(
                f"dawg_param_scope({i}) returned {scope_index}; scopes are 0 to "
                f"{len(SCOPES) - 1} ({', '.join(SCOPES)})"
            )
        scope = SCOPES[scope_index]
        owner: str = scope if scope in ("synth", "sampler") else ""
        if scope == "insert":
            kind = int(abi.call("dawg_param_unit_kind", i))
            if not 1 <= kind <= len(units):
                raise _bad(
                    f"dawg_param_unit_kind({i}) returned {kind}; unit kinds are 1 to {len(units)}"
                )
            owner = units[kind - 1]
        name = _text(abi, "dawg_param_name", i, identifier=True)
        lo = _finite(abi, "dawg_param_min", i)
        hi = _finite(abi, "dawg_param_max", i)
        default = _finite(abi, "dawg_param_default", i)
        smoothing = _finite(abi, "dawg_param_smoothing_ms", i)
        if not lo <= default <= hi:
            raise _bad(
                f"parameter {i} ({name}) has min {lo:g}, default {default:g}, max {hi:g}; "
                "it needs min <= default <= max"
            )
        if smoothing < 0:
            raise _bad(f"parameter {i} ({name}) has a negative smoothing time {smoothing}")
        specs.append(
            ParamSpec(
                id=i,
                name=name,
                unit=_text(abi, "dawg_param_unit", i),
                scope=scope,
                owner=owner,
                min=lo,
                max=hi,
                default=default,
                smoothing_ms=smoothing,
                stepped=bool(int(abi.call("dawg_param_flags", i)) & 1),
                doc=_text(abi, "dawg_param_doc", i),
                group=_text(abi, "dawg_param_group", i, identifier=True),
            )
        )
    _unique([p.name for p in specs], "parameters")
    _check_groups(specs, units, read_kinds(abi, "source"))
    return specs


def _check_groups(specs: list[ParamSpec], units: list[str], sources: list[str]) -> None:
    """Each group is a run of consecutive ids sharing one scope and owner; an
    owner's rows are the group named after it; no other group takes a unit's
    or source's name."""
    first: dict[str, ParamSpec] = {}
    previous = ""
    for p in specs:
        g = first.setdefault(p.group, p)
        if g is not p and previous != p.group:
            raise _bad(f"group {p.group!r} is split: parameter {p.id} ({p.name}) is not next to it")
        if (g.scope, g.owner) != (p.scope, p.owner):
            raise _bad(
                f"group {p.group!r} mixes parameters of scope {g.scope!r} and {p.scope!r} "
                f"(owners {g.owner!r} and {p.owner!r})"
            )
        if p.owner and p.group != p.owner:
            raise _bad(f"parameter {p.id} ({p.name}) of {p.owner!r} is in group {p.group!r}")
        if not p.owner and p.group in (*units, *sources):
            raise _bad(f"group {p.group!r} of parameter {p.id} ({p.name}) takes an owner's name")
        previous = p.group


def read_target_layout(abi: AbiCaller, limits: Mapping[str, float]) -> TargetLayout:
    """The target layout, checked: ``dawg_target`` must encode every kind,
    the largest track and bus index and every insert slot as
    :data:`TARGET_LAYOUT` does (which the manifest's ``rules`` publish)."""
    kinds = TARGET_LAYOUT["kinds"]
    indices = {"track": int(limits["tracks_max"]) - 1, "bus": max(0, int(limits["buses_max"]) - 1)}
    for name, kind in kinds.items():
        for index in sorted({0, 1, indices.get(name, 0)}):
            for slot in range(int(limits["inserts_max"]) + 1):
                got = int(abi.call("dawg_target", kind, index, slot))
                want = encode_target(kind, index, slot)
                if got != want:
                    raise _bad(
                        f"dawg_target({kind}, {index}, {slot}) returned {got:#x}; the layout "
                        f"slot << {TARGET_LAYOUT['slot_shift']} | kind << "
                        f"{TARGET_LAYOUT['kind_shift']} | index gives {want:#x}"
                    )
    return TARGET_LAYOUT


def read_limits(abi: AbiCaller) -> dict[str, float]:
    """The engine's configuration limits, each checked against :data:`LIMIT_RANGES`."""
    out: dict[str, float] = {}
    for key, (lo, hi) in LIMIT_RANGES.items():
        export = f"dawg_limit_{key}"
        value: float = _finite(abi, export) if isinstance(lo, float) else int(abi.call(export))
        if not lo <= value <= hi:
            raise _bad(f"{export} returned {value}; it must be {lo:g} to {hi:g}")
        out[key] = value
    for a, b in (
        ("sample_rate_min_hz", "sample_rate_max_hz"),
        ("quantum_min_frames", "quantum_max_frames"),
    ):
        if out[a] > out[b]:
            raise _bad(f"dawg_limit_{a} ({out[a]:g}) exceeds dawg_limit_{b} ({out[b]:g})")
    return out


def read_kinds(abi: AbiCaller, what: str) -> list[str]:
    """Names of the effect units (``what="unit"``; kind ``i + 1``) or the
    sources (``what="source"``; kind ``i``), in kind order (checked)."""
    first = 1 if what == "unit" else 0
    count = _count(abi, f"dawg_{what}_count", KINDS_MAX)
    names = [
        _text(abi, f"dawg_{what}_name", k, identifier=True) for k in range(first, first + count)
    ]
    return _unique(names, f"{what}s")


def read_status_texts(abi: AbiCaller) -> dict[str, str]:
    """Status code → text, as the engine describes them (checked)."""
    return {str(code): _text(abi, "dawg_status_text", code) for code in STATUS_CODES}


@dataclass(frozen=True)
class AbiTables:
    """What a module says about itself, read once and checked."""

    limits: Mapping[str, float]
    status_texts: Mapping[str, str]
    params: ParamTable
    units: tuple[str, ...]
    sources: tuple[str, ...]
    targets: TargetLayout


def read_tables(abi: AbiCaller) -> AbiTables:
    """Read and check every table of the module (AbiMismatchError if one
    breaks the rules in this module's documentation)."""
    limits = read_limits(abi)
    return AbiTables(
        limits=limits,
        status_texts=read_status_texts(abi),
        params=ParamTable(read_param_table(abi)),
        units=tuple(read_kinds(abi, "unit")),
        sources=tuple(read_kinds(abi, "source")),
        targets=read_target_layout(abi, limits),
    )
