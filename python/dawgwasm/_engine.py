"""`Engine`: the mixer DSP, hosted by a runtime (wasmtime or native), with
numpy views over its buffers and parameters checked against its own table."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from dawgwasm._abi import (
    STATUS_CLAMPED,
    STATUS_OK,
    read_kinds,
    read_limits,
    read_param_table,
    read_status_texts,
    status_name,
)
from dawgwasm._errors import (
    DspRuntimeError,
    EngineConfigError,
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
from dawgwasm._params import ParamSpec, ParamTable
from dawgwasm._runtime import F32Array, Runtime, load_native, load_wasm

__all__ = ["Engine", "Variant"]

Variant = Literal["simd", "scalar"]

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
        self.runtime = runtime
        self.limits = read_limits(runtime)
        self.status_texts = read_status_texts(runtime)
        self.params = ParamTable(read_param_table(runtime))
        self.units = read_kinds(runtime, "unit")
        self.sources = read_kinds(runtime, "source")
        args = (float(sample_rate_hz), int(tracks), int(quantum_frames), int(max_quanta))
        status = int(runtime.call("dawg_config_check", *args))
        if status != STATUS_OK:
            raise EngineConfigError(self._config_message(status, args))
        handle = int(runtime.call("dawg_engine_new", *args))
        if handle <= 0:
            raise EngineConfigError(self._config_message(handle, args))
        self._handle = handle
        self.sample_rate_hz = float(np.float32(sample_rate_hz))
        self.tracks = int(tracks)
        self.quantum_frames = int(quantum_frames)
        self.max_quanta = int(max_quanta)
        self.capacity_frames = int(runtime.call("dawg_capacity_frames", handle))
        self._views_key: tuple[int, int] | None = None
        self._inputs: dict[int, F32Array] = {}
        self._output: F32Array = np.zeros((2, 0), np.float32)
        self._meters: F32Array = np.zeros((0, 6), np.float32)
        self._used_inputs: set[int] = set()

    # ---- construction helpers ------------------------------------------------

    @classmethod
    def from_wasm(cls, wasm: Path | bytes, *, simd: bool = True, **config: Any) -> Engine:
        """An engine from a ``.wasm`` file or its bytes, under wasmtime.

        ``simd=False`` disables wasm SIMD in wasmtime (for the scalar build).
        Keyword arguments are the engine configuration (see the class).
        """
        return cls(load_wasm(wasm, simd=simd), **config)

    @classmethod
    def from_dist(
        cls, dist: str | Path = "dist", variant: Variant = "simd", **config: Any
    ) -> Engine:
        """An engine from a folder written by ``dawgwasm build``."""
        from dawgwasm._build import wasm_path

        path = wasm_path(Path(dist), variant)
        return cls.from_wasm(path, simd=variant == "simd", **config)

    @classmethod
    def native(cls, library: Path, **config: Any) -> Engine:
        """An engine from the crate compiled for this machine (``libdawg_dsp.so``)."""
        return cls(load_native(library), **config)

    def _config_message(self, status: int, args: tuple[float, int, int, int]) -> str:
        lim = self.limits
        text = self.status_texts.get(str(status), "")
        if status not in _CONFIG_FIELDS:
            return f"cannot create an engine: {text} ({status_name(status)})"
        field = _CONFIG_FIELDS[status]
        legal = {
            "sample_rate_hz": f"{lim['sample_rate_min_hz']:g} to {lim['sample_rate_max_hz']:g} Hz",
            "tracks": f"1 to {lim['tracks_max']:g}",
            "quantum_frames": f"{lim['quantum_min_frames']:g} to {lim['quantum_max_frames']:g}",
            "max_quanta": f"1 to {lim['quanta_per_call_max']:g} (and buffers within budget)",
        }[field]
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
        """Free the engine; the object is unusable afterwards.

        Arrays obtained from :meth:`input` and :attr:`output` become read-only
        and must not be used after this: they map memory that is released.
        (Views keep the engine alive, so it is never freed under them by
        garbage collection; only an explicit close frees it.)"""
        if self._handle > 0:
            for view in [*self._inputs.values(), self._output, self._meters]:
                view.flags.writeable = False
            self.runtime.call("dawg_engine_free", self._handle)
            self._handle = 0
            self._inputs = {}
            self._output = np.zeros((2, 0), np.float32)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # never raise from a finaliser
            self.close()

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
        self._output = self.runtime.f32_view(out_ptr, 2 * cap, self).reshape(2, cap)
        stride = int(self.limits["meter_stride"])
        m_ptr = int(self.runtime.call("dawg_meters_ptr", h))
        m_len = int(self.runtime.call("dawg_meters_len", h))
        self._meters = self.runtime.f32_view(m_ptr, m_len, self).reshape(-1, stride)
        self._inputs = {}
        for t in sorted(self._used_inputs):
            self._map_input(t)
        self._views_key = self.runtime.memory_key()

    def _map_input(self, track: int) -> F32Array:
        cap = self.capacity_frames
        ptr = int(self.runtime.call("dawg_input_ptr", self._live_handle(), track))
        if ptr == 0:
            raise DspRuntimeError(f"engine could not create track {track}'s input (out of memory)")
        view = self.runtime.f32_view(ptr, 2 * cap, self).reshape(2, cap)
        self._inputs[track] = view
        return view

    def input(self, track: int = 0) -> F32Array:
        """Track ``track``'s input buffer, shape ``(2, capacity_frames)``, writable.

        The first call for a track creates the track and its buffer."""
        self._check_track(track)
        self._views()
        if track not in self._inputs:
            self._used_inputs.add(track)
            self._map_input(track)
            self._views()  # the allocation may have grown memory
        return self._inputs[track]

    @property
    def output(self) -> F32Array:
        """The master output buffer, shape ``(2, capacity_frames)``."""
        self._views()
        return self._output

    @property
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
            raise DspRuntimeError(f"{what}: {text} ({status_name(status)})")

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
        their unit."""
        if spec.scope == "master":
            if track not in (None, 0) or bus is not None or slot:
                raise ParameterError(f"{spec.name} is a master parameter; name no channel or slot")
            return 0
        if track is None and bus is None and not master:
            track = 0
        if spec.scope == "insert":
            n = int(self.limits["inserts_max"])
            if not 1 <= slot <= n:
                raise ParameterError(
                    f"{spec.name} belongs to the {spec.owner} unit; name the insert slot "
                    f"(1 to {n}) that holds it"
                )
            return self.channel_target(track=track, bus=bus, master=master) | slot << 16
        if slot:
            raise ParameterError(f"{spec.name} is not an insert parameter; leave slot at 0")
        if spec.scope in ("track", "synth", "sampler") and (bus is not None or master):
            raise ParameterError(f"{spec.name} is a track parameter; name a track")
        if spec.scope == "channel" and master:
            raise ParameterError(f"{spec.name} is set on tracks and buses; use master_gain_db")
        return self.channel_target(track=track, bus=bus)

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
        v = spec.validate(value)
        target = self.target(spec, track, bus=bus, master=master, slot=slot)
        status = self.set_raw(target, spec.id, v)
        if status not in (STATUS_OK, STATUS_CLAMPED):
            where = _where(track, bus, master, slot)
            raise DspRuntimeError(
                f"engine refused {name} = {v:g}{where}: {self.status_texts.get(str(status), '')} "
                f"({status_name(status)})"
            )

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

    def set_raw(self, target: int, param_id: int, value: float) -> int:
        """Call ``dawg_set_param`` unchecked and return its status code."""
        return int(
            self.runtime.call("dawg_set_param", self._live_handle(), target, param_id, value)
        )

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
        view = self.runtime.f32_view(ptr, channels * frames, self)
        view[:] = x.reshape(-1)
        self._status(int(self.runtime.call("dawg_sample_commit", h, sid)), "sample commit")
        self._views()  # loading may have grown memory
        return sid

    # ---- events ----------------------------------------------------------------

    def queue(self, events: list[Event] | tuple[Event, ...], *, base_frame: int = 0) -> None:
        """Queue events; each ``frame`` minus ``base_frame`` is its offset from
        the start of the next :meth:`process` call. All or nothing per
        commit of up to ``events_per_push_max`` events."""
        if not events:
            return
        h = self._live_handle()
        cap = int(self.limits["events_per_push_max"])
        ptr = int(self.runtime.call("dawg_events_ptr", h))
        for start in range(0, len(events), cap):
            chunk = events[start : start + cap]
            rec = np.zeros(len(chunk), EVENT_DTYPE)
            for i, e in enumerate(chunk):
                offset = e.frame - base_frame
                if offset < 0:
                    raise ParameterError(f"event at frame {e.frame} is before frame {base_frame}")
                rec[i] = (offset, e.kind, e.target, e.id, e.value, e.aux, (0, 0))
            words = rec.view(np.float32)
            staging = self.runtime.f32_view(ptr, words.size, self)
            staging[:] = words
            status = int(self.runtime.call("dawg_events_push", h, len(chunk)))
            self._status(status, f"events {start} to {start + len(chunk) - 1} refused")

    @property
    def queued_events(self) -> int:
        """Events waiting in the engine's queue."""
        return int(self.runtime.call("dawg_events_queued", self._live_handle()))

    def describe(self, name: str) -> ParamSpec:
        """The spec of parameter ``name``."""
        return self.params[name]

    # ---- rendering -------------------------------------------------------------

    def process(self, quanta: int = 1) -> None:
        """Render ``quanta`` quanta from the input buffers into the output buffer."""
        status = int(self.runtime.call("dawg_process", self._live_handle(), int(quanta)))
        if status != STATUS_OK:
            raise DspRuntimeError(
                f"process({quanta}) failed: {self.status_texts.get(str(status), '')} "
                f"({status_name(status)}); at most {self.max_quanta} quanta per call"
            )

    def reset(self) -> None:
        """Clear all audio state and jump every parameter ramp to its target."""
        self.runtime.call("dawg_reset", self._live_handle())

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
