"""Deadlines for wasm calls: one daemon thread advances the epoch of every
interruptible wasmtime engine every :data:`EPOCH_TICK_S`, and a SIGINT or
SIGTERM that arrives while the main thread is inside a wasm call interrupts
that call at once (see :mod:`dawgwasm._runtime` for the rules)."""

from __future__ import annotations

import contextlib
import math
import os
import select
import signal
import socket
import threading
import time
from typing import Final

import wasmtime

__all__ = ["EPOCH_TICKS_MAX", "EPOCH_TICK_S", "TICKER", "Call"]

#: Period of the epoch ticker, seconds: deadlines are enforced to within one tick.
EPOCH_TICK_S: Final = 0.05

#: Longest deadline in ticks (about 14.5 hours); longer ones are capped. It
#: also bounds the work of interrupting a call on Ctrl-C (one epoch increment
#: per tick left).
EPOCH_TICKS_MAX: Final = 1 << 20
#: Signals that interrupt a wasm call running in the main thread.
_STOP_SIGNALS: Final = frozenset({int(signal.SIGINT), int(signal.SIGTERM)})


class Call:
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
        self._main: list[Call] = []  # the main thread's calls in flight, innermost last
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

    def enter(self, ticks: int) -> Call:
        if self._thread is None:
            self._start()
        call = Call(ticks)
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

    def leave(self, call: Call) -> None:
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


TICKER = _Ticker()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=TICKER.after_fork)
