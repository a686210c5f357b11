"""`Engine`: the mixer DSP, hosted by a runtime (wasmtime, native, or the
JavaScript engine under node), with
numpy views over its buffers and parameters checked against its own table.

Every engine call claims its runtime for the calling thread (a second thread
gets :class:`EngineBusyError` at once); :meth:`Engine.render` holds it across
its whole loop. Integer arguments are checked, never wrapped around."""

from __future__ import annotations

import contextlib
import functools
import math
import numbers
import operator
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from dawgwasm._abi import STATUS_CLAMPED, STATUS_OK, status_name
from dawgwasm._errors import (
    DspRuntimeError,
    EngineBusyError,
    EngineConfigError,
    LimitError,
    ParameterError,
)
from dawgwasm._events import (
    EVENT_DTYPE,
    TARGET_BUS,
    TARGET_MASTER,
    TARGET_TRACK,
    Event,
    encode_target,
)
from dawgwasm._native_runtime import load_native
from dawgwasm._node_runtime import load_node
from dawgwasm._params import ParamSpec, check_value, format_number
from dawgwasm._rules import resolve_target
from dawgwasm._runtime import F32Array, Runtime
from dawgwasm._wasm_runtime import load_wasm

__all__ = ["Engine", "Variant"]

Variant = Literal["simd", "scalar", "js", "node-simd", "node-scalar"]
F = TypeVar("F", bound=Callable[..., Any])

_BUSY = -12
_BAD_TARGET = -7
_U32_MAX = (1 << 32) - 1


def _exclusive(method: F) -> F:
    """Run ``method`` holding the engine's runtime for this thread."""

    @functools.wraps(method)
    def wrapper(self: Engine, *args: Any, **kwargs: Any) -> Any:
        with self.runtime.exclusive():
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class _HandleKeeper:
    """Owns an engine's ABI handle: frees it once the engine is closed and
    no numpy view over the engine's buffers remains (every view holds one).
    The memory under a view therefore stays the engine's while it exists."""

    __slots__ = ("handle", "runtime")

    def __init__(self, runtime: Runtime, handle: int) -> None:
        self.runtime = runtime
        self.handle = handle

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # never raise from a finaliser
            self.runtime.release_engine(self.handle)


def _whole(value: object, what: str) -> int:
    """``value`` as an int if it is an integer (not a bool), else LimitError."""
    if isinstance(value, bool):
        raise LimitError(f"{what} must be a whole number, not {value!r}")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise LimitError(f"{what} must be a whole number, not {value!r}") from None


_CONFIG_FIELDS = {
    -2: "sample_rate_hz",
    -3: "tracks",
    -4: "quantum_frames",
    -5: "max_quanta",
}


class Engine:
    """The mixer: up to ``tracks`` tracks, 8 buses and a master.

    A track is created the first time it is used (a parameter, a source, an
    insert or its input buffer). Its source is its input buffer unless
    :meth:`set_source` picks the synth or the sampler. Inputs and output
    are planar float32 arrays of shape ``(2, capacity_frames)`` that map the
    engine's own memory (no copies); ``capacity_frames`` is
    ``quantum_frames * max_quanta``. :meth:`render` drives whole signals
    through it, many quanta per call; :meth:`queue` schedules
    sample-accurate events (notes, parameter changes and ramps).

    Example, with a build in ``dist/``::

        import numpy as np
        import dawgwasm

        with dawgwasm.Engine.from_dist("dist") as e:
            e.set("gain_db", -6.0)
            out = e.render(np.zeros((2, 48000), np.float32))
    """

    def __init__(
        self,
        runtime: Runtime,
        *,
        sample_rate_hz: float = 48000.0,
        tracks: int = 1,
        quantum_frames: int = 128,
        max_quanta: int = 64,
    ) -> None:
        self._handle = 0
        self._keeper: _HandleKeeper | None = None
        #: Called once when the engine closes (ends a runtime that serves it alone).
        self._on_close: Callable[[], None] | None = None
        self.runtime = runtime
        tables = runtime.tables
        self._targets = tables.targets
        self.limits = dict(tables.limits)
        self.status_texts = dict(tables.status_texts)
        self.params = tables.params
        self.units = list(tables.units)
        self.sources = list(tables.sources)
        args = self._config_args(sample_rate_hz, tracks, quantum_frames, max_quanta)
        with runtime.exclusive():
            status = int(runtime.call("dawg_config_check", *args))
            if status != STATUS_OK:
                raise EngineConfigError(self._config_message(status, args))
            handle = int(runtime.call("dawg_engine_new", *args))
            if handle <= 0:
                raise EngineConfigError(self._config_message(handle, args))
            keeper = _HandleKeeper(runtime, handle)
            capacity = int(runtime.call("dawg_capacity_frames", handle))
        self.sample_rate_hz = float(np.float32(args[0]))
        self.tracks, self.quantum_frames, self.max_quanta = args[1], args[2], args[3]
        if capacity != self.quantum_frames * self.max_quanta:
            raise DspRuntimeError(
                f"{runtime.label}: dawg_capacity_frames returned {capacity}; the ABI promises "
                f"quantum_frames x max_quanta = {self.quantum_frames * self.max_quanta}"
            )
        self._handle = handle
        self._keeper = keeper
        self.capacity_frames = capacity
        self._views_key: tuple[int, int] | None = None
        self._inputs: dict[int, F32Array] = {}
        self._output: F32Array = np.zeros((2, 0), np.float32)
        self._meters: F32Array = np.zeros((0, 6), np.float32)
        #: Each created input's address in linear memory: an allocation never
        #: moves, so a view is re-derived from it when memory grows, with no call.
        self._input_ptrs: dict[int, int] = {}

    # ---- construction helpers ------------------------------------------------

    @classmethod
    def from_wasm(
        cls,
        wasm: Path | bytes,
        *,
        simd: bool = True,
        deadline_base_s: float | None = None,
        deadline_realtime_factor: float | None = None,
        **config: Any,
    ) -> Engine:
        """An engine from a ``.wasm`` file or its bytes, under wasmtime.

        ``simd=False`` disables wasm SIMD in wasmtime (for the scalar build).
        ``deadline_base_s`` and ``deadline_realtime_factor`` override the
        deadlines of its wasm calls (defaults in :mod:`dawgwasm._limits`).
        Other keyword arguments are the engine configuration (see the class).
        """
        runtime = load_wasm(
            wasm,
            simd=simd,
            deadline_base_s=deadline_base_s,
            deadline_realtime_factor=deadline_realtime_factor,
        )
        return cls(runtime, **config)

    @classmethod
    def from_dist(
        cls, dist: str | Path | None = None, variant: Variant = "simd", **config: Any
    ) -> Engine:
        """An engine from a folder written by ``dawgwasm build``; without one,
        from the engine bundled inside the package (keyword arguments as for
        :meth:`from_wasm`). ``variant`` picks the wasm module (``"simd"`` or
        ``"scalar"``, under wasmtime; ``"node-simd"`` or ``"node-scalar"``,
        under node's V8) or the build's JavaScript engine (``"js"``, under
        node)."""
        from dawgwasm._dist import js_dir, wasm_path

        if variant in ("js", "node-simd", "node-scalar"):
            deadlines = {
                k: config.pop(k)
                for k in ("deadline_base_s", "deadline_realtime_factor")
                if k in config
            }
            if variant == "js":
                runtime = load_node(js_dir(None if dist is None else Path(dist)), **deadlines)
            else:
                module = wasm_path(None if dist is None else Path(dist), variant.split("-")[1])
                runtime = load_node(module.parent, wasm=module, **deadlines)
            try:
                engine = cls(runtime, **config)
            except BaseException:
                runtime.close()
                raise
            # The node process serves this engine alone: it ends when the engine
            # closes (views stay readable: they map memory mirrored in Python).
            engine._on_close = runtime.close
            return engine
        path = wasm_path(None if dist is None else Path(dist), variant)
        return cls.from_wasm(path, simd=variant == "simd", **config)

    @classmethod
    def native(cls, library: Path, **config: Any) -> Engine:
        """An engine from the crate compiled for this machine (``libdawg_dsp.so``)."""
        return cls(load_native(library), **config)

    def _config_args(
        self, sample_rate_hz: object, tracks: object, quantum_frames: object, max_quanta: object
    ) -> tuple[float, int, int, int]:
        """The configuration as ABI arguments; EngineConfigError (with the
        legal values) for a non-number, a bool, a fraction or a count beyond
        ``u32`` that the ABI could only see wrapped around."""
        if isinstance(sample_rate_hz, bool) or not isinstance(sample_rate_hz, numbers.Real):
            raise EngineConfigError(
                f"sample_rate_hz must be a number, not {sample_rate_hz!r}; legal values are "
                + self._legal("sample_rate_hz")
            )
        counts: list[int] = []
        for field, value in (
            ("tracks", tracks),
            ("quantum_frames", quantum_frames),
            ("max_quanta", max_quanta),
        ):
            ok = not isinstance(value, bool)
            try:
                n = operator.index(value)  # type: ignore[arg-type]
            except TypeError:
                ok = False
            if not ok or not 0 <= n <= _U32_MAX:
                why = "not a whole number" if not ok else "beyond the ABI's u32"
                raise EngineConfigError(
                    f"engine refused {field} = {value!r}: {why}; legal values are "
                    f"{self._legal(field)}"
                )
            counts.append(n)
        return (float(sample_rate_hz), counts[0], counts[1], counts[2])

    def _legal(self, field: str) -> str:
        lim = self.limits
        return {
            "sample_rate_hz": f"{lim['sample_rate_min_hz']:g} to {lim['sample_rate_max_hz']:g} Hz",
            "tracks": f"1 to {lim['tracks_max']:g}",
            "quantum_frames": f"{lim['quantum_min_frames']:g} to {lim['quantum_max_frames']:g}",
            "max_quanta": f"1 to {lim['quanta_per_call_max']:g} (and buffers within budget)",
        }[field]

    def _config_message(self, status: int, args: tuple[float, int, int, int]) -> str:
        text = self.status_texts.get(str(status), "")
        if status not in _CONFIG_FIELDS:
            return f"cannot create an engine: {text} ({status_name(status)})"
        field = _CONFIG_FIELDS[status]
        legal = self._legal(field)
        names = ["sample_rate_hz", "tracks", "quantum_frames", "max_quanta"]
        value = dict(zip(names, args, strict=True))
        return (
            f"engine refused {field} = {value[field]:g}: {text} ({status_name(status)}); "
            f"legal values are {legal}"
        )

    # ---- lifecycle -------------------------------------------------------------

    @property
    def handle(self) -> int:
        """The engine's ABI handle (0 once closed)."""
        return self._handle

    def close(self) -> None:
        """Close the engine; the object is unusable afterwards.

        Arrays obtained from :meth:`input`, :attr:`output` and :attr:`meters`
        become read-only; they stay readable (their last contents), because
        the engine's ABI handle and its buffers are freed only once no such
        array remains. EngineBusyError if another thread is using the engine."""
        with self.runtime.exclusive():
            self._close()

    def _close(self) -> None:
        if self._handle > 0:
            for view in [*self._inputs.values(), self._output, self._meters]:
                view.flags.writeable = False
            self._handle = 0
            self._inputs = {}
            self._output = np.zeros((2, 0), np.float32)
            self._meters = np.zeros((0, 6), np.float32)
            self._keeper = None  # the handle is freed when the last view goes
            if self._on_close is not None:
                self._on_close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # never raise from a finaliser
            self._close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _live_handle(self) -> int:
        if self._handle <= 0:
            raise DspRuntimeError("this engine is closed")
        return self._handle

    def _map(self, ptr: int, count: int) -> F32Array:
        """A view of ``count`` floats at ``ptr`` that keeps this engine and its handle alive."""
        return self.runtime.f32_view(ptr, count, (self, self._keeper))

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold this engine (its runtime) for the current thread across
        several calls, so no other thread can interleave; EngineBusyError at
        once if another thread holds it."""
        with self.runtime.exclusive():
            yield

    # ---- buffers ---------------------------------------------------------------

    def _views(self) -> None:
        """(Re)map the output and meter views; input views map on demand.
        Anything that allocates in the engine may grow linear memory, so
        every view is re-derived when the memory changes."""
        key = self.runtime.memory_key()
        if key == self._views_key and self._output.size:
            return
        h = self._live_handle()
        cap = self.capacity_frames
        out_ptr = int(self.runtime.call("dawg_output_ptr", h))
        self._output = self._map(out_ptr, 2 * cap).reshape(2, cap)
        stride = int(self.limits["meter_stride"])
        rows = self.tracks + int(self.limits["buses_max"]) + 1
        m_ptr = int(self.runtime.call("dawg_meters_ptr", h))
        m_len = int(self.runtime.call("dawg_meters_len", h))
        if m_len != rows * stride:
            raise DspRuntimeError(
                f"{self.runtime.label}: dawg_meters_len returned {m_len}; the ABI promises "
                f"(tracks + buses + 1) x stride = {rows * stride}"
            )
        self._meters = self._map(m_ptr, m_len).reshape(rows, stride)
        self._inputs = {}
        for t, ptr in sorted(self._input_ptrs.items()):
            self._inputs[t] = self._map(ptr, 2 * cap).reshape(2, cap)
        self._views_key = self.runtime.memory_key()

    def _map_input(self, track: int) -> F32Array:
        cap = self.capacity_frames
        ptr = int(self.runtime.call("dawg_input_ptr", self._live_handle(), track))
        if ptr == 0:
            raise DspRuntimeError(f"engine could not create track {track}'s input (out of memory)")
        self._input_ptrs[track] = ptr
        view = self._map(ptr, 2 * cap).reshape(2, cap)
        self._inputs[track] = view
        return view

    @_exclusive
    def input(self, track: int = 0) -> F32Array:
        """Track ``track``'s input buffer, shape ``(2, capacity_frames)``, writable.

        The first call for a track creates the track and its buffer."""
        self._check_track(track)
        self._views()
        if track not in self._inputs:
            self._map_input(track)
            self._views()  # the allocation may have grown memory
        return self._inputs[track]

    @_exclusive
    def set_input_silent(self, track: int, silent: bool = True) -> None:
        """Declare ``track``'s input silent (or fed again, ``silent=False``).

        A silent input is silence whatever its buffer holds: the engine
        neither reads nor scans it, so an asleep track waiting on it costs
        next to nothing. Declare it once when the input's source goes away,
        and fed again before writing sound into :meth:`input`. Tracks start
        fed; :meth:`reset` keeps the declaration. The track must exist (a
        first :meth:`input`, :meth:`set` or :meth:`set_source` creates it)."""
        self._check_track(track)
        status = int(
            self.runtime.call("dawg_input_silent", self._live_handle(), track, int(bool(silent)))
        )
        if status == _BAD_TARGET:
            raise DspRuntimeError(
                f"track {track} does not exist yet: create it first "
                "(input(), set() or set_source())"
            )
        self._status(status, f"track {track}: input {'silent' if silent else 'fed'} refused")

    @property
    @_exclusive
    def output(self) -> F32Array:
        """The master output buffer, shape ``(2, capacity_frames)``."""
        self._views()
        return self._output

    @property
    @_exclusive
    def meters(self) -> F32Array:
        """Meters of the last :meth:`process` call, shape ``(tracks + 9, 6)``:
        rows are tracks, then the 8 buses, then the master; columns are peak
        L, peak R, RMS L, RMS R, state (0 absent, 1 active, 2 bypassed),
        reserved. A live view: copy it to keep a reading."""
        self._views()
        return self._meters

    def meter_row(self, *, track: int | None = None, bus: int | None = None) -> int:
        """Row of :attr:`meters` for a track, a bus, or (neither) the master."""
        if track is not None:
            self._check_track(track)
            return track
        if bus is not None:
            self._check_bus(bus)
            return self.tracks + bus
        return self.tracks + int(self.limits["buses_max"])

    def _check_track(self, track: int) -> None:
        if not 0 <= track < self.tracks:
            raise ParameterError(f"track {track} does not exist; tracks are 0 to {self.tracks - 1}")

    def _check_bus(self, bus: int) -> None:
        n = int(self.limits["buses_max"])
        if not 0 <= bus < n:
            raise ParameterError(f"bus {bus} does not exist; buses are 0 to {n - 1}")

    # ---- structure -------------------------------------------------------------

    def channel_target(
        self, *, track: int | None = None, bus: int | None = None, master: bool = False
    ) -> int:
        """The ABI target of one channel (exactly one of track, bus, master)."""
        if sum((track is not None, bus is not None, master)) != 1:
            raise ParameterError("name exactly one channel: track=…, bus=… or master=True")
        if track is not None:
            self._check_track(track)
            return encode_target(TARGET_TRACK, track)
        if bus is not None:
            self._check_bus(bus)
            return encode_target(TARGET_BUS, bus)
        return encode_target(TARGET_MASTER, 0)

    def _status(self, status: int, what: str) -> None:
        if status not in (STATUS_OK, STATUS_CLAMPED):
            text = self.status_texts.get(str(status), "")
            error = EngineBusyError if status == _BUSY else DspRuntimeError
            raise error(f"{what}: {text} ({status_name(status)})")

    @_exclusive
    def set_source(self, track: int, source: str) -> None:
        """Make ``source`` (one of :attr:`sources`) feed ``track``; allocates."""
        self._check_track(track)
        if source not in self.sources:
            raise ParameterError(
                f"unknown source {source!r}; sources are {', '.join(self.sources)}"
            )
        status = int(
            self.runtime.call(
                "dawg_track_source", self._live_handle(), track, self.sources.index(source)
            )
        )
        self._status(status, f"track {track}: source {source!r} refused")

    @_exclusive
    def set_insert(
        self,
        slot: int,
        unit: str | None,
        *,
        track: int | None = None,
        bus: int | None = None,
        master: bool = False,
    ) -> None:
        """Put effect ``unit`` (one of :attr:`units`; None empties the slot)
        in insert ``slot`` (1 to 8) of a track, a bus or the master; allocates."""
        channel = self.channel_target(track=track, bus=bus, master=master)
        n = int(self.limits["inserts_max"])
        if not 1 <= slot <= n:
            raise ParameterError(f"insert slot {slot} does not exist; slots are 1 to {n}")
        if unit is not None and unit not in self.units:
            raise ParameterError(f"unknown effect unit {unit!r}; units are {', '.join(self.units)}")
        kind = 0 if unit is None else self.units.index(unit) + 1
        status = int(self.runtime.call("dawg_insert_set", self._live_handle(), channel, slot, kind))
        self._status(status, f"insert {slot}: unit {unit!r} refused")

    # ---- parameters ------------------------------------------------------------

    def target(
        self,
        spec: ParamSpec,
        track: int | None = None,
        *,
        bus: int | None = None,
        master: bool = False,
        slot: int = 0,
    ) -> int:
        """The ABI target for parameter ``spec`` on a channel (and insert slot).

        Master parameters take no channel; track and channel parameters
        default to track 0; insert parameters need the ``slot`` holding
        their unit (:func:`dawgwasm._rules.resolve_target`, the rules the
        manifest publishes)."""
        where: dict[str, object] = {"track": track, "bus": bus, "master": master, "slot": slot}
        return resolve_target(
            spec, where, tracks=self.tracks, limits=self.limits, layout=self._targets
        )

    def set(
        self,
        name: str,
        value: float,
        track: int | None = None,
        *,
        bus: int | None = None,
        master: bool = False,
        slot: int = 0,
    ) -> None:
        """Set parameter ``name`` on a channel: ``track`` (default 0), ``bus``,
        or ``master=True``, with ``slot`` for insert parameters. Master
        parameters name no channel.

        Raises ParameterError for an unknown name, channel or slot and
        ParameterRangeError for a value that is not finite or out of range.
        The change ramps over the parameter's smoothing time.
        """
        spec = self.params[name]
        v = check_value(spec, value)
        target = self.target(spec, track, bus=bus, master=master, slot=slot)
        status = self.set_raw(target, spec.id, v)
        if status not in (STATUS_OK, STATUS_CLAMPED):
            where = _where(track, bus, master, slot)
            error = EngineBusyError if status == _BUSY else DspRuntimeError
            text = self.status_texts.get(str(status), "")
            raise error(
                f"engine refused {name} = {format_number(v)}{where}: {text} ({status_name(status)})"
            )

    @_exclusive
    def set_many(
        self,
        values: dict[str, float],
        track: int | None = None,
        *,
        bus: int | None = None,
        master: bool = False,
        slot: int = 0,
    ) -> None:
        """Set several parameters of one channel (or slot)."""
        for name, value in values.items():
            self.set(name, value, track, bus=bus, master=master, slot=slot)

    @_exclusive
    def set_raw(self, target: int, param_id: int, value: float) -> int:
        """Call ``dawg_set_param`` unchecked and return its status code."""
        return int(
            self.runtime.call("dawg_set_param", self._live_handle(), target, param_id, value)
        )

    @_exclusive
    def get(
        self,
        name: str,
        track: int | None = None,
        *,
        bus: int | None = None,
        master: bool = False,
        slot: int = 0,
    ) -> float:
        """The last value set for ``name`` on a channel (its target)."""
        spec = self.params[name]
        target = self.target(spec, track, bus=bus, master=master, slot=slot)
        value = float(self.runtime.call("dawg_get_param", self._live_handle(), target, spec.id))
        if math.isnan(value):
            raise ParameterError(
                f"engine has no value for {name}{_where(track, bus, master, slot)}"
            )
        return value

    @_exclusive
    def add_sample(self, data: npt.ArrayLike, sample_rate_hz: float) -> int:
        """Load a sample into the engine's bank once, before playback; returns
        its id for ``sampler_sample``. ``data`` is ``(channels, frames)`` (1 or 2
        channels) or ``(frames,)``; NaN, Inf and subnormals are zeroed. Allocates."""
        x = np.asarray(data, np.float32)
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[0] not in (1, 2) or x.shape[1] == 0:
            raise ParameterError(
                f"a sample must be (channels, frames) with 1 or 2 channels and at least one "
                f"frame; got shape {x.shape}"
            )
        h = self._live_handle()
        channels, frames = x.shape
        sid = int(self.runtime.call("dawg_sample_add", h, frames, channels, float(sample_rate_hz)))
        if sid < 0:
            self._status(sid, f"sample of {channels} x {frames} frames refused")
        ptr = int(self.runtime.call("dawg_sample_ptr", h, sid))
        view = self._map(ptr, channels * frames)
        view[:] = x.reshape(-1)
        self._status(int(self.runtime.call("dawg_sample_commit", h, sid)), "sample commit")
        self._views()  # loading may have grown memory
        return sid

    # ---- events ----------------------------------------------------------------

    @_exclusive
    def queue(self, events: list[Event] | tuple[Event, ...], *, base_frame: int = 0) -> None:
        """Queue events; each ``frame`` minus ``base_frame`` is its offset from
        the start of the next :meth:`process` call. All or nothing per
        commit of up to ``events_per_push_max`` events."""
        if not events:
            return
        h = self._live_handle()
        base = _whole(base_frame, "base_frame")
        cap = int(self.limits["events_per_push_max"])
        ptr = int(self.runtime.call("dawg_events_ptr", h))
        for start in range(0, len(events), cap):
            chunk = events[start : start + cap]
            rec = np.zeros(len(chunk), EVENT_DTYPE)
            for i, e in enumerate(chunk):
                offset = _whole(e.frame, "an event's frame") - base
                if offset < 0:
                    raise ParameterError(f"event at frame {e.frame} is before frame {base_frame}")
                words_ = (offset, e.kind, e.target, e.id)
                for what, w in zip(("frame offset", "kind", "target", "id"), words_, strict=True):
                    if not 0 <= _whole(w, f"an event's {what}") <= _U32_MAX:
                        raise LimitError(
                            f"event {start + i}: {what} {w} does not fit the ABI's u32 "
                            f"(0 to {_U32_MAX})"
                        )
                # A value beyond float32 becomes infinite, which the engine refuses.
                with np.errstate(over="ignore"):
                    rec[i] = (*words_, e.value, e.aux, (0, 0))
            words = rec.view(np.float32)
            staging = self._map(ptr, words.size)
            staging[:] = words
            status = int(self.runtime.call("dawg_events_push", h, len(chunk)))
            self._status(status, f"events {start} to {start + len(chunk) - 1} refused")

    @property
    @_exclusive
    def queued_events(self) -> int:
        """Events waiting in the engine's queue."""
        return int(self.runtime.call("dawg_events_queued", self._live_handle()))

    def describe(self, name: str) -> ParamSpec:
        """The spec of parameter ``name``."""
        return self.params[name]

    # ---- rendering -------------------------------------------------------------

    def process(self, quanta: int = 1) -> None:
        """Render ``quanta`` quanta (1 to ``max_quanta``) from the input buffers
        into the output buffer.

        LimitError (a ValueError) for a count outside 1 to ``max_quanta``, a
        fraction or a bool. Under wasmtime the call may take
        ``deadline_base_s + deadline_realtime_factor x`` the audio it renders
        (DspTimeoutError past that)."""
        n = _whole(quanta, "process(quanta): quanta")
        if not 1 <= n <= self.max_quanta:
            raise LimitError(
                f"process({n}): quanta must be 1 to {self.max_quanta} (this engine's max_quanta); "
                f"at most {self.max_quanta} quanta per call"
            )
        deadline = self.runtime.process_deadline(n * self.quantum_frames / self.sample_rate_hz)
        status = int(self.runtime.call("dawg_process", self._live_handle(), n, deadline_s=deadline))
        if status != STATUS_OK:
            error = EngineBusyError if status == _BUSY else DspRuntimeError
            raise error(
                f"process({n}) failed: {self.status_texts.get(str(status), '')} "
                f"({status_name(status)})"
            )

    @_exclusive
    def reset(self) -> None:
        """Clear all audio state and jump every parameter ramp to its target."""
        self.runtime.call("dawg_reset", self._live_handle())

    @_exclusive
    def render(self, inputs: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Run a whole signal through the engine and return the master output.

        ``inputs`` is ``(2, frames)`` for track 0, or ``(n, 2, frames)`` for
        tracks ``0..n-1``; other tracks' inputs get silence (their synths and
        samplers still play). Returns ``(2, frames)``
        float32. The engine's state carries over between calls.
        """
        x = np.asarray(inputs, dtype=np.float32)
        if x.ndim == 2:
            x = x[None]
        if x.ndim != 3 or x.shape[1] != 2 or x.shape[0] > self.tracks:
            raise ValueError(
                f"inputs must be (2, frames) or (n, 2, frames) with n <= {self.tracks}; "
                f"got shape {x.shape}"
            )
        frames = x.shape[2]
        q = self.quantum_frames
        total = -(-frames // q)
        out = np.zeros((2, total * q), np.float32)
        for t in range(x.shape[0]):
            self.input(t)
        self._views()
        for view in self._inputs.values():
            view[:] = 0.0
        done = 0
        while done < total:
            n = min(self.max_quanta, total - done)
            start, span = done * q, n * q
            avail = max(0, min(span, frames - start))
            for t in range(x.shape[0]):
                buf = self.input(t)
                buf[:, :avail] = x[t, :, start : start + avail]
                buf[:, avail:span] = 0.0
            self.process(n)
            out[:, start : start + span] = self.output[:, :span]
            done += n
        return out[:, :frames]


def _where(track: int | None, bus: int | None, master: bool, slot: int) -> str:
    where = f" on bus {bus}" if bus is not None else " on the master" if master else ""
    if not where and track is not None:
        where = f" on track {track}"
    return where + (f" insert {slot}" if slot else "")
