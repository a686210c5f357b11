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
    """A mixer of ``tracks`` channel strips summed into a stereo master.

    Inputs and output are planar float32 arrays of shape ``(2, capacity_frames)``
    that map the engine's own memory (no copies); ``capacity_frames`` is
    ``quantum_frames * max_quanta``. :meth:`render` drives whole signals
    through it, many quanta per call.

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
        self._inputs: list[F32Array] = []
        self._output: F32Array = np.zeros((2, 0), np.float32)

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
            for view in [*self._inputs, self._output]:
                view.flags.writeable = False
            self.runtime.call("dawg_engine_free", self._handle)
            self._handle = 0
            self._inputs = []
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
        key = self.runtime.memory_key()
        if key == self._views_key and self._inputs:
            return
        h = self._live_handle()
        cap = self.capacity_frames
        self._inputs = []
        for t in range(self.tracks):
            ptr = int(self.runtime.call("dawg_input_ptr", h, t))
            self._inputs.append(self.runtime.f32_view(ptr, 2 * cap, self).reshape(2, cap))
        out_ptr = int(self.runtime.call("dawg_output_ptr", h))
        self._output = self.runtime.f32_view(out_ptr, 2 * cap, self).reshape(2, cap)
        self._views_key = key

    def input(self, track: int = 0) -> F32Array:
        """Track ``track``'s input buffer, shape ``(2, capacity_frames)``, writable."""
        if not 0 <= track < self.tracks:
            raise ParameterError(f"track {track} does not exist; tracks are 0 to {self.tracks - 1}")
        self._views()
        return self._inputs[track]

    @property
    def output(self) -> F32Array:
        """The master output buffer, shape ``(2, capacity_frames)``."""
        self._views()
        return self._output

    # ---- parameters ------------------------------------------------------------

    def _target(self, spec: ParamSpec, track: int) -> int:
        if spec.scope == "master":
            if track != 0:
                raise ParameterError(f"{spec.name} is a master parameter; leave track at 0")
            return 0
        if not 0 <= track < self.tracks:
            raise ParameterError(
                f"{spec.name}: track {track} does not exist; tracks are 0 to {self.tracks - 1}"
            )
        return track

    def set(self, name: str, value: float, track: int = 0) -> None:
        """Set parameter ``name`` of ``track`` (leave ``track`` at 0 for master parameters).

        Raises ParameterError for an unknown name or track and
        ParameterRangeError for a value that is not finite or out of range.
        The change ramps over the parameter's smoothing time.
        """
        spec = self.params[name]
        v = spec.validate(value)
        target = self._target(spec, track)
        status = self.set_raw(target, spec.id, v)
        if status not in (STATUS_OK, STATUS_CLAMPED):
            raise DspRuntimeError(
                f"engine refused {name} = {v:g}: {self.status_texts.get(str(status), '')} "
                f"({status_name(status)})"
            )

    def set_many(self, values: dict[str, float], track: int = 0) -> None:
        """Set several parameters of one track."""
        for name, value in values.items():
            self.set(name, value, track)

    def set_raw(self, target: int, param_id: int, value: float) -> int:
        """Call ``dawg_set_param`` unchecked and return its status code."""
        return int(
            self.runtime.call("dawg_set_param", self._live_handle(), target, param_id, value)
        )

    def get(self, name: str, track: int = 0) -> float:
        """The last value set for ``name`` on ``track`` (its target)."""
        spec = self.params[name]
        value = float(
            self.runtime.call(
                "dawg_get_param", self._live_handle(), self._target(spec, track), spec.id
            )
        )
        if math.isnan(value):
            raise ParameterError(f"engine has no value for {name} on track {track}")
        return value

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
        tracks ``0..n-1``; other tracks get silence. Returns ``(2, frames)``
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
        self._views()
        for t in range(self.tracks):
            self._inputs[t][:] = 0.0
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
