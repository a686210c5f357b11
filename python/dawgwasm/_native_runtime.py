"""The crate compiled for the host and loaded with ctypes: the baseline the
wasm runtimes are measured against (see :mod:`dawgwasm._runtime`)."""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Any

import numpy as np

from dawgwasm._abi import EXPORTS
from dawgwasm._errors import AbiMismatchError, WasmLoadError, WasmNotFoundError
from dawgwasm._runtime import F32Array, Runtime

__all__ = ["NativeRuntime", "load_native"]

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
