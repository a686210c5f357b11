"""Runtimes that host the ``dawg_dsp`` ABI: a wasm module under wasmtime, or
the crate compiled natively and loaded with ctypes. Both expose the same
operations (call an export, read bytes, map float32 memory as numpy), so
:class:`dawgwasm.Engine` runs unchanged on either.

A wasm module is untrusted. The rules every runtime keeps:

- **Arguments** are checked against their ABI type before anything is called:
  an integer outside ``i32``/``u32`` is a :class:`LimitError`, never wrapped
  around.
- **Pointers and lengths** the module returns are checked against its linear
  memory (and float alignment) each time memory is read or mapped, so a view
  or a read never reaches outside the sandbox (:class:`DspRuntimeError`
  naming the pointer, the length and the memory size).
- **Deadlines**: every wasm call, and instantiation (the start function), runs
  under wasmtime's epoch interruption. A call may take
  :data:`~dawgwasm._limits.DEADLINE_BASE_S` seconds, ``dawg_process`` that plus
  :data:`~dawgwasm._limits.DEADLINE_REALTIME_FACTOR` times the audio it
  renders (the engine passes ``deadline_s``). Past it the call traps,
  :class:`DspTimeoutError` names the export and the deadline, and the runtime
  refuses every later call. A SIGINT or SIGTERM (Ctrl-C) that arrives while the
  main thread is inside a wasm call interrupts the call at once; Python then
  raises the signal's exception (``KeyboardInterrupt``) as usual.
- **One thread at a time**: a runtime serves one thread at a time (the
  wasmtime store is not thread-safe). A call from a second thread while one
  is running raises :class:`EngineBusyError` at once, without blocking;
  :meth:`Runtime.exclusive` holds the runtime across several calls.
- **Failed instance**: after a trap or an interrupted call the instance's
  state is whatever the call left; every later call raises
  :class:`DspRuntimeError`.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import math
import numbers
import operator
import os
import select
import signal
import socket
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar

import numpy as np
import numpy.typing as npt
import wasmtime

from dawgwasm._abi import ABI_VERSION, EXPORTS, AbiTables, read_tables
from dawgwasm._errors import (
    AbiMismatchError,
    DspRuntimeError,
    DspTimeoutError,
    EngineBusyError,
    InvalidWasmError,
    LimitError,
    WasmLoadError,
    WasmNotFoundError,
)
from dawgwasm._limits import DEADLINE_BASE_S, DEADLINE_REALTIME_FACTOR

__all__ = [
    "EPOCH_TICK_S",
    "MEMORY_LIMIT_BYTES",
    "NativeRuntime",
    "Runtime",
    "WasmRuntime",
    "load_native",
    "load_wasm",
]

F32Array = npt.NDArray[np.float32]
T = TypeVar("T")

#: Linear memory an engine instance may use (its largest configuration needs ~130 MiB).
MEMORY_LIMIT_BYTES = 512 * 1024 * 1024

#: Period of the epoch ticker, seconds: deadlines are enforced to within one tick.
EPOCH_TICK_S: Final = 0.05

#: Longest deadline in ticks (about 14.5 hours); longer ones are capped. It
#: also bounds the work of interrupting a call on Ctrl-C (one epoch increment
#: per tick left).
EPOCH_TICKS_MAX: Final = 1 << 20

_WASM_TYPE = {"i32": "i32", "u32": "i32", "ptr": "i32", "f32": "f32"}
_INT_RANGE: Final = {
    "i32": (-(1 << 31), (1 << 31) - 1),
    "u32": (0, (1 << 32) - 1),
    "ptr": (0, (1 << 32) - 1),
}
#: Signals that interrupt a wasm call running in the main thread.
_STOP_SIGNALS: Final = frozenset({int(signal.SIGINT), int(signal.SIGTERM)})


def _check_args(name: str, kinds: Sequence[str], args: Sequence[object]) -> list[int | float]:
    """``args`` as Python ints and floats of the export's parameter types;
    LimitError for an integer outside its type or a value of the wrong kind."""
    if len(args) != len(kinds):
        raise TypeError(f"{name} takes {len(kinds)} arguments, not {len(args)}")
    out: list[int | float] = []
    for i, (kind, a) in enumerate(zip(kinds, args, strict=True)):
        if kind == "f32":
            if not isinstance(a, numbers.Real):
                raise LimitError(
                    f"argument {i + 1} of {name} must be a number (f32), not {type(a).__name__}"
                )
            out.append(float(a))
            continue
        try:
            v = operator.index(a)  # type: ignore[arg-type]
        except TypeError:
            raise LimitError(
                f"argument {i + 1} of {name} must be an integer ({kind}), not {a!r}"
            ) from None
        lo, hi = _INT_RANGE[kind]
        if not lo <= v <= hi:
            raise LimitError(
                f"argument {i + 1} of {name} is {v}, outside the ABI's {kind} range "
                f"{lo} to {hi}; nothing was called"
            )
        out.append(v)
    return out


class Runtime(ABC):
    """One loaded instance of the DSP, addressed through its C ABI.

    Calls are checked (arguments, returned pointers) and exclusive to one
    thread at a time; see the module documentation for the rules."""

    #: Short label: ``wasmtime-simd``, ``wasmtime-scalar`` or ``native``.
    label: str
    #: Seconds any call may take (wasm only; the native build cannot be interrupted).
    deadline_base_s: float = DEADLINE_BASE_S
    #: ``dawg_process`` may take this many times the audio it renders, on top.
    deadline_realtime_factor: float = DEADLINE_REALTIME_FACTOR

    def __init__(self) -> None:
        self._guard = threading.RLock()
        self._calling = False  # inside call(): a finaliser must not call in again
        self._failed: str | None = None
        self._deferred_frees: list[int] = []
        self._tables: AbiTables | None = None

    # ---- calls ---------------------------------------------------------------

    def call(self, name: str, *args: int | float, deadline_s: float | None = None) -> int | float:
        """Call ABI export ``name``; unsigned results come back non-negative.

        ``deadline_s`` (wasm) overrides :attr:`deadline_base_s` for this call.
        Raises LimitError for an argument outside its ABI type,
        EngineBusyError if another thread is using this runtime,
        DspTimeoutError past the deadline and DspRuntimeError for a trap or a
        runtime that failed before."""
        try:
            params, result = EXPORTS[name]
        except KeyError:
            raise AbiMismatchError(f"{name} is not an export of the dawg_dsp ABI") from None
        values = _check_args(name, params, args)
        if not self._guard.acquire(blocking=False):
            raise self._busy()
        try:
            self._check_usable()
            self._calling = True
            if self._deferred_frees:
                self._free_deferred()
            return self._invoke(name, values, result, deadline_s)
        finally:
            self._calling = False
            self._guard.release()

    @abstractmethod
    def _invoke(
        self, name: str, args: list[int | float], result: str, deadline_s: float | None
    ) -> int | float:
        """Call the export (arguments already checked, guard held)."""

    def process_deadline(self, audio_seconds: float) -> float:
        """Deadline of a ``dawg_process`` call that renders ``audio_seconds``."""
        return self.deadline_base_s + self.deadline_realtime_factor * audio_seconds

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold this runtime for the current thread across several calls
        (re-entrant); EngineBusyError at once if another thread holds it."""
        if not self._guard.acquire(blocking=False):
            raise self._busy()
        try:
            yield
        finally:
            self._guard.release()

    def _busy(self) -> EngineBusyError:
        return EngineBusyError(
            f"{self.label}: another thread is using this engine; use one engine (and "
            "its runtime) from one thread at a time"
        )

    def _check_usable(self) -> None:
        if self._failed is not None:
            raise DspRuntimeError(
                f"{self.label}: this instance is unusable since {self._failed}; load the "
                "module again for a fresh one"
            )

    @property
    def usable(self) -> bool:
        """False once a call trapped or was interrupted."""
        return self._failed is None

    # ---- engines ---------------------------------------------------------------

    def release_engine(self, handle: int) -> None:
        """Free engine ``handle`` now, or at this runtime's next call if
        another thread holds it or a call is under way (a finaliser may run
        in the middle of one). Never raises: finalisers call it."""
        if self._failed is not None:
            return
        self._deferred_frees.append(handle)
        if not self._guard.acquire(blocking=False):
            return
        try:
            if not self._calling:
                self._calling = True
                try:
                    self._free_deferred()
                finally:
                    self._calling = False
        except Exception:  # noqa: S110 - a failed free leaves the handle to the instance
            pass
        finally:
            self._guard.release()

    def _free_deferred(self) -> None:
        while self._deferred_frees:
            handle = self._deferred_frees.pop()
            self._invoke("dawg_engine_free", [handle], "i32", None)

    # ---- memory ----------------------------------------------------------------

    def read_bytes(self, ptr: int, length: int) -> bytes:
        """Copy ``length`` bytes at ``ptr`` (checked against memory)."""
        with self.exclusive():
            self._check_span(ptr, length, 1)
            return self._read(ptr, length)

    def f32_view(self, ptr: int, count: int, owner: object) -> F32Array:
        """A writable numpy view (no copy) of ``count`` float32s at ``ptr``,
        checked against memory and alignment first.

        The view keeps ``owner`` (and this runtime) alive for as long as it
        exists, so the memory under it cannot be freed by garbage collection."""
        with self.exclusive():
            self._check_span(ptr, 4 * count, 4)
            return self._view(ptr, count, owner)

    def _check_span(self, ptr: int, nbytes: int, align: int) -> None:
        if ptr < 0 or nbytes < 0:
            raise DspRuntimeError(
                f"{self.label}: the module returned pointer {ptr} and length {nbytes}"
            )
        if nbytes and ptr == 0:
            raise DspRuntimeError(
                f"{self.label}: the module returned a null pointer for {nbytes} bytes"
            )
        if ptr % align:
            raise DspRuntimeError(
                f"{self.label}: the module returned pointer {ptr:#x}, not aligned to {align} bytes"
            )
        size = self.memory_bytes()
        if size is not None and ptr + nbytes > size:
            raise DspRuntimeError(
                f"{self.label}: the module returned pointer {ptr:#x} + {nbytes} bytes, "
                f"past its memory of {size} bytes"
            )

    @abstractmethod
    def _read(self, ptr: int, length: int) -> bytes: ...

    @abstractmethod
    def _view(self, ptr: int, count: int, owner: object) -> F32Array: ...

    @abstractmethod
    def memory_key(self) -> tuple[int, int]:
        """Identifies the current memory mapping; views are stale once it changes."""

    def memory_bytes(self) -> int | None:
        """Size of linear memory (wasm only)."""
        return None

    # ---- the module's tables ------------------------------------------------------

    @property
    def tables(self) -> AbiTables:
        """The module's parameter table, kinds, limits and status texts, read
        and checked once (AbiMismatchError for anything out of its rules)."""
        if self._tables is None:
            try:
                self._tables = read_tables(self)
            except AbiMismatchError as e:
                raise AbiMismatchError(f"{self.label}: {e}") from None
            except (DspTimeoutError, EngineBusyError):
                raise
            except DspRuntimeError as e:
                reason = str(e).removeprefix(f"{self.label}: ")
                raise AbiMismatchError(
                    f"{self.label}: cannot read the module's tables: {reason}"
                ) from e
        return self._tables

    def check_abi(self) -> None:
        """Raise AbiMismatchError unless the module speaks :data:`ABI_VERSION`."""
        try:
            version = int(self.call("dawg_abi_version"))
        except (DspTimeoutError, EngineBusyError):
            raise
        except DspRuntimeError as e:
            reason = str(e).removeprefix(f"{self.label}: ")
            raise AbiMismatchError(f"{self.label}: cannot read the ABI version: {reason}") from e
        if version != ABI_VERSION:
            raise AbiMismatchError(
                f"{self.label} module speaks ABI v{version} but this dawgwasm expects "
                f"v{ABI_VERSION}; rebuild it with `dawgwasm build`"
            )


# ---- deadlines: the epoch ticker ----------------------------------------------------


class _Call:
    """One wasm call in flight (for the ticker)."""

    __slots__ = ("previous_fd", "signalled", "ticks")

    def __init__(self, ticks: int) -> None:
        self.ticks = ticks
        self.signalled = False
        self.previous_fd: int | None = None


class _Ticker:
    """Advances the epoch of every interruptible wasmtime engine every
    :data:`EPOCH_TICK_S` from a daemon thread, and interrupts the main
    thread's wasm call when a stop signal arrives.

    While the main thread is in a wasm call, Python's signal wakeup fd points
    at this ticker's socket: the C-level signal handler writes the signal
    number there, the ticker wakes, forwards the byte to the wakeup fd that
    was set before (asyncio's, say) and, for SIGINT or SIGTERM, advances the
    epoch past the call's deadline so the call traps now."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engines: list[wasmtime.Engine] = []
        self._thread: threading.Thread | None = None
        self._main: list[_Call] = []  # the main thread's calls in flight, innermost last
        self._forward = -1
        self._recv, self._send = socket.socketpair()
        self._recv.setblocking(False)
        self._send.setblocking(False)

    def register(self, engine: wasmtime.Engine) -> None:
        with self._lock:
            self._engines.append(engine)

    @staticmethod
    def ticks(deadline_s: float) -> int:
        if not deadline_s > 0:  # also NaN
            return 1
        return min(EPOCH_TICKS_MAX, math.ceil(deadline_s / EPOCH_TICK_S) + 1)

    def enter(self, ticks: int) -> _Call:
        if self._thread is None:
            self._start()
        call = _Call(ticks)
        if threading.current_thread() is threading.main_thread():
            self._main.append(call)  # first: a signal from now on finds the call
            try:
                previous = signal.set_wakeup_fd(self._send.fileno(), warn_on_full_buffer=False)
            except ValueError:  # not the main interpreter
                self._main.remove(call)
                return call
            call.previous_fd = previous
            if previous != self._send.fileno():  # not a call nested in another
                self._forward = previous
        return call

    def leave(self, call: _Call) -> None:
        if call.previous_fd is not None:
            self._main.remove(call)
            signal.set_wakeup_fd(call.previous_fd)
            if not self._main:
                self._forward = -1

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="dawgwasm-epoch-ticker", daemon=True
                )
                self._thread.start()

    def _advance(self, n: int) -> None:
        with self._lock:
            engines = list(self._engines)
        for engine in engines:
            for _ in range(n):
                engine.increment_epoch()

    def _run(self) -> None:
        next_tick = time.monotonic() + EPOCH_TICK_S
        while True:
            timeout = max(0.0, next_tick - time.monotonic())
            ready, _, _ = select.select([self._recv], [], [], timeout)
            if ready:
                self._on_signal()
            now = time.monotonic()
            if now >= next_tick:
                self._advance(1)
                next_tick = now + EPOCH_TICK_S

    def _on_signal(self) -> None:
        try:
            data = self._recv.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        forward = self._forward
        if forward >= 0:
            with contextlib.suppress(OSError):
                os.write(forward, data)
        calls = [c for c in list(self._main) if not c.signalled]
        if calls and _STOP_SIGNALS.intersection(data):
            for c in calls:
                c.signalled = True
            self._advance(max(c.ticks for c in calls) + 2)

    def after_fork(self) -> None:
        """In a forked child: no ticker thread yet, a fresh socket pair."""
        self._lock = threading.Lock()
        self._thread = None
        self._main = []
        self._forward = -1
        self._recv, self._send = socket.socketpair()
        self._recv.setblocking(False)
        self._send.setblocking(False)


_TICKER = _Ticker()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_TICKER.after_fork)


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
        call: _Call | None = None
        if self._interruptible:
            ticks = _TICKER.ticks(deadline)
            self._store.set_epoch_deadline(ticks)
            call = _TICKER.enter(ticks)
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
                _TICKER.leave(call)
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
                _TICKER.register(_ENGINES[key])
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


# ---- native ---------------------------------------------------------------------------

_CTYPES: dict[str, Any] = {
    "i32": ctypes.c_int32,
    "u32": ctypes.c_uint32,
    "f32": ctypes.c_float,
    "ptr": ctypes.c_void_p,
}


class NativeRuntime(Runtime):
    """The crate compiled for the host and loaded with ctypes.

    Native code cannot be sandboxed or interrupted: pointers are checked for
    null and alignment only, and calls have no deadline."""

    def __init__(self, path: Path) -> None:
        super().__init__()
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

    def _invoke(
        self, name: str, args: list[int | float], result: str, deadline_s: float | None
    ) -> int | float:
        value: int | float | None = self._funcs[name](*args)
        return 0 if value is None else value

    def _read(self, ptr: int, length: int) -> bytes:
        return ctypes.string_at(ptr, length)

    def _view(self, ptr: int, count: int, owner: object) -> F32Array:
        arr: Any = (ctypes.c_float * count).from_address(ptr)
        arr.dawgwasm_owner = (owner, self)
        view: F32Array = np.ctypeslib.as_array(arr)
        return view

    def memory_key(self) -> tuple[int, int]:
        return (0, 0)


def load_native(path: Path) -> NativeRuntime:
    """Load the natively compiled crate (``libdawg_dsp.so``) and check it."""
    runtime = NativeRuntime(path)
    runtime.check_abi()
    _ = runtime.tables
    return runtime
