"""What every runtime that hosts the ``dawg_dsp`` ABI shares: a wasm module
under wasmtime (:mod:`dawgwasm._wasm_runtime`, deadlines from
:mod:`dawgwasm._epoch`), the crate compiled natively and loaded with ctypes
(:mod:`dawgwasm._native_runtime`), or the build's JavaScript engine under
node (:mod:`dawgwasm._node_runtime`). Both expose the same operations (call an
export, read bytes, map float32 memory as numpy), so :class:`dawgwasm.Engine`
runs unchanged on either.

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
import numbers
import operator
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt

from dawgwasm._abi import ABI_VERSION, EXPORTS, AbiTables, read_tables
from dawgwasm._errors import (
    AbiMismatchError,
    DspRuntimeError,
    DspTimeoutError,
    EngineBusyError,
    LimitError,
)
from dawgwasm._limits import DEADLINE_BASE_S, DEADLINE_REALTIME_FACTOR

__all__ = ["F32Array", "Runtime"]

F32Array = npt.NDArray[np.float32]
T = TypeVar("T")

_INT_RANGE: Final = {
    "i32": (-(1 << 31), (1 << 31) - 1),
    "u32": (0, (1 << 32) - 1),
    "ptr": (0, (1 << 32) - 1),
}


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


#: Set when a Ctrl-C's KeyboardInterrupt was raised inside a finaliser
#: (``__del__``), where Python prints it and carries on: the next call of
#: any runtime raises it again, so an interrupted command still stops.
_swallowed_interrupt = False


def interrupt_swallowed() -> None:
    """Note that a KeyboardInterrupt was swallowed (see _swallowed_interrupt)."""
    global _swallowed_interrupt
    _swallowed_interrupt = True


def swallowed_interrupt() -> bool:
    """True once interrupt_swallowed() was called."""
    return _swallowed_interrupt


class Runtime(ABC):
    """One loaded instance of the DSP, addressed through its C ABI.

    Calls are checked (arguments, returned pointers) and exclusive to one
    thread at a time; see the module documentation for the rules."""

    #: Short label: ``wasmtime-simd``, ``wasmtime-scalar``, ``native`` or ``js-node``.
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
        if _swallowed_interrupt:
            raise KeyboardInterrupt
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
