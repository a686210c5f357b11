"""Hostile ``dawg_dsp`` modules, built from WebAssembly text.

:func:`hostile_module` returns the bytes of a module that exports every
function of :data:`dawgwasm._abi.EXPORTS` with its ABI signature, and a
linear memory named ``memory``. Left alone it behaves like a tiny,
well-formed engine (:data:`DEFAULT_BODIES`): one parameter (``gain_db``), one
effect unit (``peq``), one source (``input``), sane limits (up to
:data:`TRACKS_MAX` tracks, quanta of 16 to 128 frames, up to 64 per call),
and engine handle 1, whose buffers lie inside memory at the addresses in
:class:`Layout`. ``Engine.from_wasm(hostile_module())`` loads and renders
(silence).

A test makes it hostile by replacing single exports' bodies::

    hostile_module(bodies={"dawg_output_ptr": PAST_MEMORY})     # a pointer past memory
    hostile_module(bodies={"dawg_process": LOOP_FOREVER})        # never returns
    hostile_module(bodies={"dawg_param_count": 0xFFFF_FFFF})     # an absurd count
    hostile_module(start=TRAP)                                   # the start function traps
    hostile_module(data={0x800: b"\\xff\\xfe"},                   # a name that is not UTF-8
                   bodies={"dawg_param_name": 0x800, "dawg_param_name_len": 2})

A body is either WebAssembly text — instructions that leave the export's
result on the stack; the parameters are ``local.get 0``, ``local.get 1``, …;
the other exports can be called as ``call $<export name>``; the globals
``$tracks``, ``$capacity`` and ``$quanta_max`` hold the configuration of the
last ``dawg_engine_new`` — or a Python number, which becomes a constant of
the export's result type (``float("nan")`` and infinities work for ``f32``
results; an ``i32`` constant may be given signed or unsigned).

Everything is data (:data:`EXPORT_NAMES`, :func:`result_type`,
:data:`DEFAULT_BODIES`, :data:`DEFAULT_DATA`), so a property-based test can
draw the bodies, data segments and start function it overrides.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Final

import wasmtime

from dawgwasm._abi import ABI_VERSION, EXPORTS

__all__ = [
    "DEFAULT_BODIES",
    "DEFAULT_DATA",
    "EXPORT_NAMES",
    "LOOP_FOREVER",
    "MEMORY_BYTES",
    "MEMORY_PAGES",
    "PAST_MEMORY",
    "TRACKS_MAX",
    "TRAP",
    "Body",
    "Layout",
    "hostile_module",
    "hostile_wat",
    "result_type",
]

#: A body: WebAssembly text, or a number that becomes a constant.
Body = str | int | float

#: Every export of the ABI, in table order.
EXPORT_NAMES: Final = tuple(EXPORTS)

#: Linear memory of the module, 64 KiB pages (2 MiB).
MEMORY_PAGES: Final = 32
MEMORY_BYTES: Final = MEMORY_PAGES * 65536

#: An address 16 bytes before the end of memory: any buffer there runs past it.
PAST_MEMORY: Final = MEMORY_BYTES - 16

#: A body that never returns (a loop with no exit; epoch checks interrupt it).
LOOP_FOREVER: Final = "(loop $forever (br $forever)) unreachable"

#: A body that traps at once.
TRAP: Final = "unreachable"

#: Most tracks the default engine accepts.
TRACKS_MAX: Final = 4

_WAT: Final = {"i32": "i32", "u32": "i32", "ptr": "i32", "f32": "f32"}


class Layout:
    """Addresses of the default engine's buffers and texts in linear memory."""

    TEXTS = 0x100  #: texts of the tables (see DEFAULT_DATA)
    OUTPUT = 0x1_0000  #: master output, 2 x capacity floats (at most 64 KiB)
    INPUTS = 0x2_0000  #: track t's input at INPUTS + t * INPUT_STRIDE
    INPUT_STRIDE = 0x1_0000
    METERS = 0x6_0000  #: (tracks + 9) x 6 floats
    EVENTS = 0x6_1000  #: event staging, 64 records of 8 words
    SAMPLES = 0x7_0000  #: every sample's data (up to the end of memory)


def _texts() -> dict[str, tuple[int, bytes]]:
    out: dict[str, tuple[int, bytes]] = {}
    at = Layout.TEXTS
    for key, text in (
        ("status", b"status text"),
        ("param_name", b"gain_db"),
        ("param_unit", b"dB"),
        ("param_doc", b"fader gain"),
        ("param_group", b"fader"),
        ("unit_name", b"peq"),
        ("source_name", b"input"),
    ):
        out[key] = (at, text)
        at += 0x40
    return out


_TEXT: Final = _texts()

#: Data segments of the default module: address -> bytes.
DEFAULT_DATA: Final[Mapping[int, bytes]] = {at: text for at, text in _TEXT.values()}


def _ptr(key: str) -> str:
    return f"i32.const {_TEXT[key][0]}"


def _len(key: str) -> str:
    return f"i32.const {len(_TEXT[key][1])}"


_CONFIG_CHECK: Final = f"""
    (if (i32.eqz (i32.and (f32.ge (local.get 0) (f32.const 8000))
                          (f32.le (local.get 0) (f32.const 384000))))
      (then (return (i32.const -2))))
    (if (i32.or (i32.lt_u (local.get 1) (i32.const 1))
                (i32.gt_u (local.get 1) (i32.const {TRACKS_MAX})))
      (then (return (i32.const -3))))
    (if (i32.or (i32.lt_u (local.get 2) (i32.const 16)) (i32.gt_u (local.get 2) (i32.const 128)))
      (then (return (i32.const -4))))
    (if (i32.or (i32.lt_u (local.get 3) (i32.const 1)) (i32.gt_u (local.get 3) (i32.const 64)))
      (then (return (i32.const -5))))
    i32.const 0"""

_ENGINE_NEW: Final = """
    (call $dawg_config_check (local.get 0) (local.get 1) (local.get 2) (local.get 3))
    (if (i32.ne (i32.const 0)) (then
      (return (call $dawg_config_check (local.get 0) (local.get 1) (local.get 2) (local.get 3)))))
    (global.set $tracks (local.get 1))
    (global.set $capacity (i32.mul (local.get 2) (local.get 3)))
    (global.set $quanta_max (local.get 3))
    i32.const 1"""

#: The body of every export in the default (well-formed) module.
DEFAULT_BODIES: Final[Mapping[str, Body]] = {
    "dawg_abi_version": ABI_VERSION,
    "dawg_status_text": _ptr("status"),
    "dawg_status_text_len": _len("status"),
    "dawg_param_count": 1,
    "dawg_param_name": _ptr("param_name"),
    "dawg_param_name_len": _len("param_name"),
    "dawg_param_unit": _ptr("param_unit"),
    "dawg_param_unit_len": _len("param_unit"),
    "dawg_param_doc": _ptr("param_doc"),
    "dawg_param_doc_len": _len("param_doc"),
    "dawg_param_scope": 0,
    "dawg_param_unit_kind": 0,
    "dawg_param_flags": 0,
    "dawg_param_group": _ptr("param_group"),
    "dawg_param_group_len": _len("param_group"),
    "dawg_target": (
        "(i32.or (i32.or (i32.shl (local.get 2) (i32.const 16))"
        " (i32.shl (local.get 0) (i32.const 12))) (local.get 1))"
    ),
    "dawg_param_min": -96.0,
    "dawg_param_max": 12.0,
    "dawg_param_default": 0.0,
    "dawg_param_smoothing_ms": 20.0,
    "dawg_limit_sample_rate_min_hz": 8000.0,
    "dawg_limit_sample_rate_max_hz": 384000.0,
    "dawg_limit_tracks_max": TRACKS_MAX,
    "dawg_limit_quantum_min_frames": 16,
    "dawg_limit_quantum_max_frames": 128,
    "dawg_limit_quanta_per_call_max": 64,
    "dawg_limit_buses_max": 8,
    "dawg_limit_inserts_max": 8,
    "dawg_limit_events_per_push_max": 64,
    "dawg_limit_events_queued_max": 256,
    "dawg_limit_meter_stride": 6,
    "dawg_limit_quiet": 1e-6,
    "dawg_unit_count": 1,
    "dawg_unit_name": _ptr("unit_name"),
    "dawg_unit_name_len": _len("unit_name"),
    "dawg_source_count": 1,
    "dawg_source_name": _ptr("source_name"),
    "dawg_source_name_len": _len("source_name"),
    "dawg_config_check": _CONFIG_CHECK,
    "dawg_engine_new": _ENGINE_NEW,
    "dawg_engine_free": 0,
    "dawg_capacity_frames": "global.get $capacity",
    "dawg_input_ptr": (
        f"(i32.add (i32.const {Layout.INPUTS}) "
        f"(i32.mul (local.get 1) (i32.const {Layout.INPUT_STRIDE})))"
    ),
    "dawg_input_silent": 0,
    "dawg_output_ptr": Layout.OUTPUT,
    "dawg_set_param": 0,
    "dawg_get_param": 0.0,
    "dawg_process": (
        "(if (result i32) (i32.gt_u (local.get 1) (global.get $quanta_max))"
        " (then (i32.const -9)) (else (i32.const 0)))"
    ),
    "dawg_reset": 0,
    "dawg_track_source": 0,
    "dawg_insert_set": 0,
    "dawg_events_ptr": Layout.EVENTS,
    "dawg_events_push": 0,
    "dawg_events_queued": 0,
    "dawg_meters_ptr": Layout.METERS,
    "dawg_meters_len": "(i32.mul (i32.add (global.get $tracks) (i32.const 9)) (i32.const 6))",
    "dawg_sample_add": 0,
    "dawg_sample_ptr": Layout.SAMPLES,
    "dawg_sample_commit": 0,
    "dawg_limit_samples_max": 4,
}
assert set(DEFAULT_BODIES) == set(EXPORTS), "every export needs a default body"


def result_type(export: str) -> str:
    """The WebAssembly result type of ``export`` (``i32`` or ``f32``)."""
    return _WAT[EXPORTS[export][1]]


def _constant(wasm_type: str, value: int | float) -> str:
    if wasm_type == "f32":
        v = float(value)
        if math.isnan(v):
            return "f32.const nan"
        if math.isinf(v):
            return f"f32.const {'-' if v < 0 else ''}inf"
        return f"f32.const {v!r}"
    if isinstance(value, float):
        raise TypeError(f"an i32 result needs an integer, not {value!r}")
    if not -(1 << 31) <= value < 1 << 32:
        raise ValueError(f"{value} does not fit in an i32")
    return f"i32.const {value}"


def _body(export: str, body: Body) -> str:
    if isinstance(body, str):
        return body
    return _constant(result_type(export), body)


def _data(address: int, data: bytes) -> str:
    escaped = "".join(f"\\{b:02x}" for b in data)
    return f'(data (i32.const {address}) "{escaped}")'


def hostile_wat(
    *,
    bodies: Mapping[str, Body] | None = None,
    start: str | None = None,
    data: Mapping[int, bytes] | None = None,
    omit: Iterable[str] = (),
    memory_pages: int = MEMORY_PAGES,
    extra: str = "",
) -> str:
    """The WebAssembly text of a module (see :func:`hostile_module`)."""
    overrides = dict(bodies or {})
    unknown = set(overrides) - set(EXPORTS)
    if unknown:
        raise KeyError(f"not ABI exports: {', '.join(sorted(unknown))}")
    skip = set(omit)
    fields = [
        f'(memory (export "memory") {memory_pages})',
        "(global $tracks (mut i32) (i32.const 1))",
        "(global $capacity (mut i32) (i32.const 128))",
        "(global $quanta_max (mut i32) (i32.const 1))",
    ]
    for name, (params, result) in EXPORTS.items():
        ps = " ".join(f"(param {_WAT[p]})" for p in params)
        body = _body(name, overrides.get(name, DEFAULT_BODIES[name]))
        export = "" if name in skip else f'(export "{name}")'
        fields.append(f"(func ${name} {export} {ps} (result {_WAT[result]})\n    {body})")
    segments = {**DEFAULT_DATA, **(data or {})}
    fields.extend(_data(at, raw) for at, raw in sorted(segments.items()))
    if start is not None:
        fields.append(f"(func $start {start})")
        fields.append("(start $start)")
    if extra:
        fields.append(extra)
    return "(module\n  " + "\n  ".join(fields) + ")\n"


def hostile_module(
    *,
    bodies: Mapping[str, Body] | None = None,
    start: str | None = None,
    data: Mapping[int, bytes] | None = None,
    omit: Iterable[str] = (),
    memory_pages: int = MEMORY_PAGES,
    extra: str = "",
) -> bytes:
    """The binary of a module with every ABI export.

    ``bodies`` replaces the bodies of single exports (WebAssembly text or a
    number, see the module documentation); ``start`` is the body of a start
    function (run at instantiation); ``data`` adds data segments (address ->
    bytes) over :data:`DEFAULT_DATA`; ``omit`` leaves exports out (the
    function stays, unexported); ``memory_pages`` sizes linear memory;
    ``extra`` is appended to the module's fields verbatim.
    """
    wat = hostile_wat(
        bodies=bodies,
        start=start,
        data=data,
        omit=omit,
        memory_pages=memory_pages,
        extra=extra,
    )
    return bytes(wasmtime.wat2wasm(wat))
