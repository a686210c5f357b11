"""Runtimes that host the ``dawg_dsp`` ABI: a wasm module under wasmtime, or
the crate compiled natively and loaded with ctypes. Both expose the same
three operations (call an export, read bytes, map float32 memory as numpy),
so :class:`dawgwasm.Engine` runs unchanged on either.
"""

from __future__ import annotations

import ctypes
import hashlib
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import wasmtime

from dawgwasm._abi import ABI_VERSION, EXPORTS
from dawgwasm._errors import (
    AbiMismatchError,
    DspRuntimeError,
    InvalidWasmError,
    WasmLoadError,
    WasmNotFoundError,
)

__all__ = ["NativeRuntime", "Runtime", "WasmRuntime", "load_native", "load_wasm"]

F32Array = npt.NDArray[np.float32]

#: Linear memory an engine instance may use (its largest configuration needs ~130 MiB).
MEMORY_LIMIT_BYTES = 512 * 1024 * 1024

_WASM_TYPE = {"i32": "i32", "u32": "i32", "ptr": "i32", "f32": "f32"}


class Runtime(ABC):
    """One loaded instance of the DSP, addressed through its C ABI."""

    #: Short label: ``wasmtime-simd``, ``wasmtime-scalar`` or ``native``.
    label: str

    @abstractmethod
    def call(self, name: str, *args: int | float) -> int | float:
        """Call ABI export ``name``; unsigned results come back non-negative."""

    @abstractmethod
    def read_bytes(self, ptr: int, length: int) -> bytes:
        """Copy ``length`` bytes at ``ptr``."""

    @abstractmethod
    def f32_view(self, ptr: int, count: int, owner: object) -> F32Array:
        """A writable numpy view (no copy) of ``count`` float32s at ``ptr``.

        The view keeps ``owner`` (and this runtime) alive for as long as it
        exists, so the memory under it cannot be freed by garbage collection."""

    @abstractmethod
    def memory_key(self) -> tuple[int, int]:
        """Identifies the current memory mapping; views are stale once it changes."""

    def memory_bytes(self) -> int | None:
        """Size of linear memory (wasm only)."""
        return None

    def check_abi(self) -> None:
        """Raise AbiMismatchError unless the module speaks :data:`ABI_VERSION`."""
        version = int(self.call("dawg_abi_version"))
        if version != ABI_VERSION:
            raise AbiMismatchError(
                f"{self.label} module speaks ABI v{version} but this dawgwasm expects "
                f"v{ABI_VERSION}; rebuild it with `dawgwasm build`"
            )


def _u32(result: Any, kind: str) -> int | float:
    if kind in ("u32", "ptr") and isinstance(result, int):
        return result & 0xFFFF_FFFF
    return result  # type: ignore[no-any-return]


class WasmRuntime(Runtime):
    """A wasm module instantiated under wasmtime (one instance, one store)."""

    def __init__(self, module: wasmtime.Module, engine: wasmtime.Engine, label: str) -> None:
        self.label = label
        self._store = wasmtime.Store(engine)
        self._store.set_limits(memory_size=MEMORY_LIMIT_BYTES)
        try:
            self._instance = wasmtime.Instance(self._store, module, [])
        except wasmtime.WasmtimeError as e:
            raise WasmLoadError(f"{label}: cannot instantiate the module: {e}") from e
        exports = self._instance.exports(self._store)
        self._funcs: dict[str, tuple[wasmtime.Func, tuple[str, ...], str]] = {}
        for name, (params, result) in EXPORTS.items():
            func = exports.get(name)
            if not isinstance(func, wasmtime.Func):
                continue
            self._funcs[name] = (func, params, result)
        memory = exports.get("memory")
        if not isinstance(memory, wasmtime.Memory):
            raise AbiMismatchError(f"{label}: the module exports no memory named 'memory'")
        self._memory = memory

    def call(self, name: str, *args: int | float) -> int | float:
        func, params, result = self._funcs[name]
        conv = [
            (a - (1 << 32) if a >= (1 << 31) else a) if p == "u32" and isinstance(a, int) else a
            for a, p in zip(args, params, strict=True)
        ]
        try:
            value = func(self._store, *conv)
        except wasmtime.Trap as e:
            raise DspRuntimeError(f"{self.label}: {name} trapped: {e}") from e
        return _u32(value, result)

    def read_bytes(self, ptr: int, length: int) -> bytes:
        return bytes(self._memory.read(self._store, ptr, ptr + length))

    def f32_view(self, ptr: int, count: int, owner: object) -> F32Array:
        buf: Any = self._memory.get_buffer_ptr(self._store, count * 4, ptr)
        buf.dawgwasm_owner = (owner, self)
        view: F32Array = np.frombuffer(buf, dtype=np.float32)
        return view

    def memory_key(self) -> tuple[int, int]:
        addr = ctypes.cast(self._memory.data_ptr(self._store), ctypes.c_void_p).value or 0
        return (addr, self._memory.data_len(self._store))

    def memory_bytes(self) -> int:
        return int(self._memory.data_len(self._store))


def _wasm_config(simd: bool) -> wasmtime.Config:
    cfg = wasmtime.Config()
    cfg.cranelift_opt_level = "speed"
    if not simd:
        # Both must be off: relaxed SIMD depends on SIMD, and wasmtime aborts
        # the process when only wasm_simd is disabled.
        cfg.wasm_relaxed_simd = False
        cfg.wasm_simd = False
    return cfg


_ENGINES: dict[bool, wasmtime.Engine] = {}


def _wasm_engine(simd: bool) -> wasmtime.Engine:
    if simd not in _ENGINES:
        _ENGINES[simd] = wasmtime.Engine(_wasm_config(simd))
    return _ENGINES[simd]


_MODULES: dict[tuple[str, bool], wasmtime.Module] = {}


def load_wasm(source: Path | bytes, *, simd: bool = True, label: str | None = None) -> WasmRuntime:
    """Compile (cached by content) and instantiate a dawg_dsp wasm module.

    ``simd=False`` runs wasmtime with SIMD disabled, as a browser without
    wasm SIMD would: a module that uses SIMD then fails with InvalidWasmError.
    """
    if isinstance(source, Path):
        if not source.is_file():
            raise WasmNotFoundError(f"{source} not found; run `dawgwasm build` first")
        data = source.read_bytes()
        where = str(source)
    elif isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        where = "<bytes>"
    else:  # a str would be parsed as WebAssembly text: refuse it
        raise TypeError(f"expected a Path or bytes, not {type(source).__name__}")
    name = label or ("wasmtime-simd" if simd else "wasmtime-scalar")
    key = (hashlib.sha256(data).hexdigest(), simd)
    module = _MODULES.get(key)
    if module is None:
        try:
            module = wasmtime.Module(_wasm_engine(simd), data)
        except wasmtime.WasmtimeError as e:
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            hint = (
                " (it uses SIMD, which is disabled here)" if not simd and "SIMD" in str(e) else ""
            )
            raise InvalidWasmError(f"{where} is not a usable wasm module{hint}: {reason}") from e
        _check_exports(module, where)
        _MODULES[key] = module
    runtime = WasmRuntime(module, _wasm_engine(simd), name)
    runtime.check_abi()
    return runtime


def _check_exports(module: wasmtime.Module, where: str) -> None:
    found = {e.name: e.type for e in module.exports}
    problems: list[str] = []
    for name, (params, result) in EXPORTS.items():
        t = found.get(name)
        if not isinstance(t, wasmtime.FuncType):
            problems.append(f"missing {name}")
            continue
        want_p = [_WASM_TYPE[p] for p in params]
        got_p = [str(v) for v in t.params]
        got_r = [str(v) for v in t.results]
        if got_p != want_p or got_r != [_WASM_TYPE[result]]:
            problems.append(f"{name} is ({', '.join(got_p)}) -> {got_r}, expected {want_p}")
    if "memory" not in found:
        problems.append("missing memory")
    if problems:
        raise AbiMismatchError(
            f"{where} is not a dawg_dsp ABI v{ABI_VERSION} module: " + "; ".join(problems)
        )


_CTYPES: dict[str, Any] = {
    "i32": ctypes.c_int32,
    "u32": ctypes.c_uint32,
    "f32": ctypes.c_float,
    "ptr": ctypes.c_void_p,
}


class NativeRuntime(Runtime):
    """The crate compiled for the host and loaded with ctypes."""

    def __init__(self, path: Path) -> None:
        self.label = "native"
        if not path.is_file():
            raise WasmNotFoundError(f"{path} not found; run `dawgwasm build --native`")
        try:
            self._lib = ctypes.CDLL(str(path))
        except OSError as e:
            raise WasmLoadError(f"cannot load native library {path}: {e}") from e
        self._funcs: dict[str, Any] = {}
        missing = []
        for name, (params, result) in EXPORTS.items():
            try:
                f = getattr(self._lib, name)
            except AttributeError:
                missing.append(name)
                continue
            f.argtypes = [_CTYPES[p] for p in params]
            f.restype = _CTYPES[result]
            self._funcs[name] = f
        if missing:
            raise AbiMismatchError(f"{path} lacks exports: {', '.join(missing)}")

    def call(self, name: str, *args: int | float) -> int | float:
        value: int | float | None = self._funcs[name](*args)
        return 0 if value is None else value

    def read_bytes(self, ptr: int, length: int) -> bytes:
        return ctypes.string_at(ptr, length)

    def f32_view(self, ptr: int, count: int, owner: object) -> F32Array:
        arr: Any = (ctypes.c_float * count).from_address(ptr)
        arr.dawgwasm_owner = (owner, self)
        view: F32Array = np.ctypeslib.as_array(arr)
        return view

    def memory_key(self) -> tuple[int, int]:
        return (0, 0)


def load_native(path: Path) -> NativeRuntime:
    """Load the natively compiled crate (``libdawg_dsp.so``)."""
    runtime = NativeRuntime(path)
    runtime.check_abi()
    return runtime
