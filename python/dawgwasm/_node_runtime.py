"""The JavaScript engine of a build (``dawg-js-abi.js``) run under Node.js:
one ``node`` process serving the ABI's calls over stdin/stdout (see
``_node_host.mjs`` for the messages), so :class:`dawgwasm.Engine` drives it
exactly as it drives the wasm module.

Linear memory is mirrored here as a numpy buffer: each call sends the pages
written on this side since the last reply (only numpy views write here, so
only the pages under views are compared), and each reply brings back the
pages the call changed and the memory's size when it grew (views are made
again then, as after a wasm memory grows). Every reply has a deadline, as a
wasm call has (see :mod:`dawgwasm._runtime`): past it the node process is
killed, :class:`DspTimeoutError` names the export and the deadline, and the
runtime refuses every later call.
"""

from __future__ import annotations

import ctypes
import os
import select
import shutil
import struct
import subprocess
import tempfile
import time
import weakref
from pathlib import Path
from typing import IO, Any

import numpy as np

from dawgwasm._dist import JS_ENTRY
from dawgwasm._errors import (
    AbiMismatchError,
    DspRuntimeError,
    DspTimeoutError,
    WasmLoadError,
    WasmNotFoundError,
)
from dawgwasm._runtime import F32Array, Runtime

__all__ = ["NODE_HOST", "PAGE_BYTES", "NodeRuntime", "find_node", "load_node"]
#: The node program that serves it.
NODE_HOST = Path(__file__).with_name("_node_host.mjs")
#: Granularity of memory synchronisation, bytes.
PAGE_BYTES = 4096

_OP_CALL = 1
_OP_QUIT = 2
_REPLY_HEAD = struct.Struct("<dII")


def find_node() -> str:
    """The ``node`` executable on PATH, or WasmLoadError saying what to install."""
    node = shutil.which("node")
    if node is None:
        raise WasmLoadError(
            "the JavaScript engine runs under Node.js, and no `node` is on PATH; install "
            "Node.js 18 or newer (Debian/Ubuntu: `apt-get install nodejs`; elsewhere "
            "https://nodejs.org) or put its folder on PATH"
        )
    return node


def _stop(proc: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
    """End the node process (finaliser: never raises)."""
    try:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=5)
    except Exception:  # noqa: S110 - a finaliser must not raise
        pass
    for f in (proc.stdin, proc.stdout, stderr):
        try:
            if f is not None:
                f.close()
        except Exception:  # noqa: S110
            pass


class NodeRuntime(Runtime):
    """The JavaScript engine of build folder ``dist`` in a node process, or
    with ``wasm``, that wasm module run by node's V8."""

    def __init__(
        self,
        dist: Path,
        *,
        wasm: Path | None = None,
        deadline_base_s: float | None = None,
        deadline_realtime_factor: float | None = None,
    ) -> None:
        super().__init__()
        self.label = "js-node" if wasm is None else f"v8-{wasm.name}"
        if deadline_base_s is not None:
            self.deadline_base_s = float(deadline_base_s)
        if deadline_realtime_factor is not None:
            self.deadline_realtime_factor = float(deadline_realtime_factor)
        if wasm is not None and not wasm.is_file():
            raise WasmNotFoundError(f"{wasm} not found (run `dawgwasm build --out {dist}`)")
        for name in (JS_ENTRY, "manifest.json") if wasm is None else ():
            if not (dist / name).is_file():
                raise WasmNotFoundError(
                    f"{dist / name} not found; the JavaScript engine needs a build made by "
                    f"this dawgwasm (run `dawgwasm build --out {dist}`)"
                )
        node = find_node()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the finaliser
        self._proc = subprocess.Popen(
            [node, str(NODE_HOST), str(dist), *([] if wasm is None else [str(wasm)])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self._finalizer = weakref.finalize(self, _stop, self._proc, self._stderr)
        self._raw = bytearray()
        self._mem = np.zeros(0, np.uint8)
        self._shadow = np.zeros(0, np.uint8)
        self._generation = 0
        #: Page ranges (first, last) covered by the views handed out, merged.
        self._view_pages: list[tuple[int, int]] = []
        try:
            self._receive("start-up", self.deadline_base_s)
        except DspRuntimeError as e:
            self.close()
            reason = str(e).removeprefix(f"{self.label}: ")
            raise WasmLoadError(
                f"{self.label}: cannot start the JavaScript engine: {reason}"
            ) from e

    def close(self) -> None:
        """End the node process; later calls raise DspRuntimeError."""
        if self._failed is None:
            self._failed = "it was closed"
        self._finalizer()

    # ---- the wire -------------------------------------------------------------------

    def _changed_pages(self) -> list[int]:
        """Pages written on this side since the last reply. Only views
        (:meth:`_view`) can write here, so only the pages they cover are compared."""
        changed: list[int] = []
        words = PAGE_BYTES // 8
        for first, last in self._view_pages:
            lo, hi = first * PAGE_BYTES, (last + 1) * PAGE_BYTES
            cur = self._mem[lo:hi].view(np.uint64).reshape(-1, words)
            old = self._shadow[lo:hi].view(np.uint64).reshape(-1, words)
            changed.extend(first + int(p) for p in np.flatnonzero((cur != old).any(axis=1)))
        return changed

    def _send(self, name: str, args: list[int | float]) -> None:
        pages = self._changed_pages()
        raw = name.encode("utf-8")
        parts = [
            struct.pack("<BH", _OP_CALL, len(raw)),
            raw,
            struct.pack(f"<B{len(args)}d", len(args), *(float(a) for a in args)),
            struct.pack("<I", len(pages)),
        ]
        for p in pages:
            lo = p * PAGE_BYTES
            parts.append(struct.pack("<I", p))
            parts.append(self._mem[lo : lo + PAGE_BYTES].tobytes())
            self._shadow[lo : lo + PAGE_BYTES] = self._mem[lo : lo + PAGE_BYTES]
        body = b"".join(parts)
        stdin = self._proc.stdin
        assert stdin is not None
        stdin.write(struct.pack("<I", len(body)) + body)
        stdin.flush()

    def _read_exactly(self, n: int, what: str, deadline: float, until: float) -> bytes:
        stdout = self._proc.stdout
        assert stdout is not None
        fd = stdout.fileno()
        chunks: list[bytes] = []
        got = 0
        while got < n:
            left = until - time.monotonic()
            if left <= 0:
                self._fail_timeout(what, deadline)
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                self._fail(f"the node process ended during {what}{self._stderr_tail()}")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _receive(self, what: str, deadline: float) -> float:
        until = time.monotonic() + deadline
        try:
            (length,) = struct.unpack("<I", self._read_exactly(4, what, deadline, until))
            body = self._read_exactly(length, what, deadline, until)
        except BaseException:
            if self._failed is None:
                self._failed = f"{what} was interrupted"
                self._finalizer()
            raise
        if body[:1] == b"\x01":
            self._fail(f"{what} failed: {body[1:].decode('utf-8', 'replace')}")
        result, size, count = _REPLY_HEAD.unpack_from(body, 1)
        if size != self._mem.size:
            self._grow(size)
        at = 1 + _REPLY_HEAD.size
        step = 4 + PAGE_BYTES
        for _ in range(count):
            (page,) = struct.unpack_from("<I", body, at)
            lo = page * PAGE_BYTES
            data = np.frombuffer(body, np.uint8, PAGE_BYTES, at + 4)
            self._mem[lo : lo + PAGE_BYTES] = data
            self._shadow[lo : lo + PAGE_BYTES] = data
            at += step
        return float(result)

    def _grow(self, size: int) -> None:
        """Mirror a memory that grew to ``size`` bytes: a new buffer, so views
        made before it are stale (as after a wasm memory grows)."""
        raw = bytearray(size)
        keep = min(size, self._mem.size)
        mem = np.frombuffer(raw, np.uint8)
        mem[:keep] = self._mem[:keep]
        shadow = np.zeros(size, np.uint8)
        shadow[:keep] = self._shadow[:keep]
        self._raw, self._mem, self._shadow = raw, mem, shadow
        self._generation += 1

    def _fail(self, reason: str) -> None:
        self._failed = reason
        self._finalizer()
        raise DspRuntimeError(f"{self.label}: {reason}")

    def _fail_timeout(self, what: str, deadline: float) -> None:
        self._failed = f"{what} ran past its deadline of {deadline:.3g} s"
        self._finalizer()
        raise DspTimeoutError(
            f"{self.label}: {what} ran past its deadline of {deadline:.3g} s; the node process "
            "was killed and this engine is unusable now (load it again)"
        )

    def _stderr_tail(self) -> str:
        try:
            self._stderr.seek(0)
            text = self._stderr.read()[-2000:].decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""
        return f": {text}" if text else ""

    # ---- Runtime ----------------------------------------------------------------------

    def _invoke(
        self, name: str, args: list[int | float], result: str, deadline_s: float | None
    ) -> int | float:
        deadline = self.deadline_base_s if deadline_s is None else deadline_s
        try:
            self._send(name, args)
        except OSError as e:
            self._fail(f"cannot reach the node process ({e}){self._stderr_tail()}")
        value = self._receive(name, deadline)
        if result == "f32":
            return value
        if value != value or value in (float("inf"), float("-inf")):
            raise AbiMismatchError(f"{self.label}: {name} returned {value}, not an integer")
        n = int(value)
        if result in ("u32", "ptr"):
            return n & 0xFFFF_FFFF
        return n

    def _read(self, ptr: int, length: int) -> bytes:
        return bytes(self._mem[ptr : ptr + length])

    def _view(self, ptr: int, count: int, owner: object) -> F32Array:
        if count:
            self._cover(ptr // PAGE_BYTES, (ptr + 4 * count - 1) // PAGE_BYTES)
        arr: Any = (ctypes.c_float * count).from_buffer(self._raw, ptr)
        arr.dawgwasm_owner = (owner, self)
        view: F32Array = np.ctypeslib.as_array(arr)
        return view

    def _cover(self, first: int, last: int) -> None:
        """Add pages ``first..=last`` to the ranges compared before each call."""
        spans = sorted([*self._view_pages, (first, last)])
        merged: list[tuple[int, int]] = []
        for a, b in spans:
            if merged and a <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        self._view_pages = merged

    def memory_key(self) -> tuple[int, int]:
        return (self._generation, int(self._mem.size))

    def memory_bytes(self) -> int:
        return int(self._mem.size)


def load_node(
    dist: Path,
    *,
    wasm: Path | None = None,
    deadline_base_s: float | None = None,
    deadline_realtime_factor: float | None = None,
) -> NodeRuntime:
    """Start the JavaScript engine of build folder ``dist`` under node (or,
    with ``wasm``, that module under node's V8) and check its ABI."""
    runtime = NodeRuntime(
        dist,
        wasm=wasm,
        deadline_base_s=deadline_base_s,
        deadline_realtime_factor=deadline_realtime_factor,
    )
    runtime.check_abi()
    _ = runtime.tables
    return runtime
