"""A wasm module instantiated under wasmtime: one instance, one store, every
call under an epoch deadline (see :mod:`dawgwasm._runtime` for the rules)."""

from __future__ import annotations

import ctypes
import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import wasmtime

from dawgwasm._abi import ABI_VERSION, EXPORTS
from dawgwasm._epoch import TICKER, Call
from dawgwasm._errors import (
    AbiMismatchError,
    DspRuntimeError,
    DspTimeoutError,
    InvalidWasmError,
    WasmLoadError,
    WasmNotFoundError,
)
from dawgwasm._runtime import F32Array, Runtime

__all__ = ["MEMORY_LIMIT_BYTES", "WasmRuntime", "load_wasm"]

T = TypeVar("T")

#: Linear memory an engine instance may use (its largest configuration needs ~130 MiB).
MEMORY_LIMIT_BYTES = 512 * 1024 * 1024

_WASM_TYPE = {"i32": "i32", "u32": "i32", "ptr": "i32", "f32": "f32"}


def _trap_reason(e: BaseException) -> str:
    lines = [ln.strip() for ln in str(e).strip().splitlines() if ln.strip()]
    return lines[-1] if lines else type(e).__name__


# ---- wasmtime -------------------------------------------------------------------------


class WasmRuntime(Runtime):
    """A wasm module instantiated under wasmtime (one instance, one store)."""

    def __init__(
        self,
        module: wasmtime.Module,
        engine: wasmtime.Engine,
        label: str,
        *,
        interruptible: bool = True,
        deadline_base_s: float | None = None,
        deadline_realtime_factor: float | None = None,
    ) -> None:
        super().__init__()
        self.label = label
        if deadline_base_s is not None:
            self.deadline_base_s = float(deadline_base_s)
        if deadline_realtime_factor is not None:
            self.deadline_realtime_factor = float(deadline_realtime_factor)
        self._interruptible = interruptible
        self._store = wasmtime.Store(engine)
        self._store.set_limits(memory_size=MEMORY_LIMIT_BYTES)
        try:
            self._instance = self._run(
                "the start function",
                lambda: wasmtime.Instance(self._store, module, []),
                None,
            )
        except DspTimeoutError:
            raise
        except DspRuntimeError as e:
            reason = str(e).removeprefix(f"{label}: ")
            raise WasmLoadError(f"{label}: cannot instantiate the module: {reason}") from e
        exports = self._instance.exports(self._store)
        self._funcs: dict[str, wasmtime.Func] = {}
        for name in EXPORTS:
            func = exports.get(name)
            if isinstance(func, wasmtime.Func):
                self._funcs[name] = func
        memory = exports.get("memory")
        if not isinstance(memory, wasmtime.Memory):
            raise AbiMismatchError(f"{label}: the module exports no memory named 'memory'")
        self._memory = memory

    def _invoke(
        self, name: str, args: list[int | float], result: str, deadline_s: float | None
    ) -> int | float:
        func = self._funcs.get(name)
        if func is None:
            raise AbiMismatchError(f"{self.label}: the module does not export {name}")
        params = EXPORTS[name][0]
        conv = [
            a - (1 << 32) if p in ("u32", "ptr") and isinstance(a, int) and a >= 1 << 31 else a
            for a, p in zip(args, params, strict=True)
        ]
        value: int | float = self._run(name, lambda: func(self._store, *conv), deadline_s)
        if result in ("u32", "ptr") and isinstance(value, int):
            return value & 0xFFFF_FFFF  # wasm has no unsigned types: reinterpret
        return value

    def _run(self, what: str, action: Callable[[], T], deadline_s: float | None) -> T:
        """Run ``action`` (which enters wasm) under a deadline; turn traps
        and interruptions into DawgwasmErrors and mark the instance failed."""
        deadline = self.deadline_base_s if deadline_s is None else deadline_s
        call: Call | None = None
        if self._interruptible:
            ticks = TICKER.ticks(deadline)
            self._store.set_epoch_deadline(ticks)
            call = TICKER.enter(ticks)
        done = False
        try:
            value = action()
            done = True
            return value
        except wasmtime.Trap as e:
            if call is not None and e.trap_code == wasmtime.TrapCode.INTERRUPT:
                if call.signalled:
                    self._failed = f"{what} was interrupted by a signal"
                    raise DspRuntimeError(f"{self.label}: {self._failed}") from None
                self._failed = f"{what} ran past its deadline of {deadline:.3g} s"
                raise DspTimeoutError(
                    f"{self.label}: {what} ran past its deadline of {deadline:.3g} s and was "
                    "interrupted; this instance is unusable now (load the module again)"
                ) from None
            self._failed = f"{what} trapped ({_trap_reason(e)})"
            raise DspRuntimeError(f"{self.label}: {what} trapped: {_trap_reason(e)}") from None
        except wasmtime.WasmtimeError as e:
            raise DspRuntimeError(f"{self.label}: {what} failed: {_trap_reason(e)}") from None
        finally:
            if call is not None:
                TICKER.leave(call)
                if call.signalled and not done and self._failed is None:
                    self._failed = f"{what} was interrupted by a signal"

    def _read(self, ptr: int, length: int) -> bytes:
        return bytes(self._memory.read(self._store, ptr, ptr + length))

    def _view(self, ptr: int, count: int, owner: object) -> F32Array:
        buf: Any = self._memory.get_buffer_ptr(self._store, count * 4, ptr)
        buf.dawgwasm_owner = (owner, self)
        view: F32Array = np.frombuffer(buf, dtype=np.float32)
        return view

    def memory_key(self) -> tuple[int, int]:
        with self.exclusive():
            addr = ctypes.cast(self._memory.data_ptr(self._store), ctypes.c_void_p).value or 0
            return (addr, self._memory.data_len(self._store))

    def memory_bytes(self) -> int:
        with self.exclusive():
            return int(self._memory.data_len(self._store))


def _wasm_config(simd: bool, interruptible: bool) -> wasmtime.Config:
    cfg = wasmtime.Config()
    cfg.cranelift_opt_level = "speed"
    cfg.epoch_interruption = interruptible
    if not simd:
        # Both must be off: relaxed SIMD depends on SIMD, and wasmtime aborts
        # the process when only wasm_simd is disabled.
        cfg.wasm_relaxed_simd = False
        cfg.wasm_simd = False
    return cfg


_ENGINES: dict[tuple[bool, bool], wasmtime.Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _wasm_engine(simd: bool, interruptible: bool = True) -> wasmtime.Engine:
    with _ENGINES_LOCK:
        key = (simd, interruptible)
        if key not in _ENGINES:
            _ENGINES[key] = wasmtime.Engine(_wasm_config(simd, interruptible))
            if interruptible:
                TICKER.register(_ENGINES[key])
        return _ENGINES[key]


_MODULES: dict[tuple[str, bool, bool], wasmtime.Module] = {}


def load_wasm(
    source: Path | bytes,
    *,
    simd: bool = True,
    label: str | None = None,
    interruptible: bool = True,
    deadline_base_s: float | None = None,
    deadline_realtime_factor: float | None = None,
) -> WasmRuntime:
    """Compile (cached by content), instantiate and check a dawg_dsp wasm module.

    ``simd=False`` runs wasmtime with SIMD disabled, as a browser without
    wasm SIMD would: a module that uses SIMD then fails with InvalidWasmError.
    ``deadline_base_s`` and ``deadline_realtime_factor`` override the
    deadlines of this instance (defaults in :mod:`dawgwasm._limits`);
    ``interruptible=False`` compiles without epoch checks and enforces no
    deadline (only for measuring what the checks cost).

    Everything wrong with the module while loading is a WasmLoadError (a
    deadline is a DspTimeoutError): bad bytes, missing exports, a trapping
    start function, a table that breaks the ABI's rules.
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
    engine = _wasm_engine(simd, interruptible)
    key = (hashlib.sha256(data).hexdigest(), simd, interruptible)
    module = _MODULES.get(key)
    if module is None:
        try:
            module = wasmtime.Module(engine, data)
        except wasmtime.WasmtimeError as e:
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            hint = (
                " (it uses SIMD, which is disabled here)" if not simd and "SIMD" in str(e) else ""
            )
            raise InvalidWasmError(f"{where} is not a usable wasm module{hint}: {reason}") from e
        _check_exports(module, where)
        _MODULES[key] = module
    runtime = WasmRuntime(
        module,
        engine,
        name,
        interruptible=interruptible,
        deadline_base_s=deadline_base_s,
        deadline_realtime_factor=deadline_realtime_factor,
    )
    runtime.check_abi()
    _ = runtime.tables
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
    if not isinstance(found.get("memory"), wasmtime.MemoryType):
        problems.append("missing memory")
    if problems:
        raise AbiMismatchError(
            f"{where} is not a dawg_dsp ABI v{ABI_VERSION} module: " + "; ".join(problems)
        )
