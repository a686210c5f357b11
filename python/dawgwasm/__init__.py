"""dawgwasm: Rust DSP for AudioWorklets, built to WebAssembly, proven under
wasmtime and in Chromium, shipped as generated AudioWorklet glue.

Public API: :class:`Engine` (render audio through the DSP), events for its
queue (:func:`note_on`, :func:`note_off`, :func:`param_set`,
:func:`param_ramp`), :func:`build` (crate → ``dist/``), :class:`ParamSpec`,
and the exception tree rooted at :class:`DawgwasmError`.
"""

from __future__ import annotations

from dawgwasm._build import BuildReport, build
from dawgwasm._cargo import build_native
from dawgwasm._engine import Engine, Variant
from dawgwasm._errors import (
    AbiMismatchError,
    AudioFileError,
    BrowserError,
    BuildError,
    DawgwasmError,
    DspRuntimeError,
    DspTimeoutError,
    EngineBusyError,
    EngineConfigError,
    InvalidWasmError,
    LimitError,
    OutputFileError,
    ParameterError,
    ParameterRangeError,
    ServeError,
    SessionError,
    ToolchainMissingError,
    WasmLoadError,
    WasmNotFoundError,
)
from dawgwasm._events import Event, all_notes_off, note_off, note_on, param_ramp, param_set
from dawgwasm._params import ParamSpec, ParamTable
from dawgwasm._version import __version__

__all__ = [
    "AbiMismatchError",
    "AudioFileError",
    "BrowserError",
    "BuildError",
    "BuildReport",
    "DawgwasmError",
    "DspRuntimeError",
    "DspTimeoutError",
    "Engine",
    "EngineBusyError",
    "EngineConfigError",
    "Event",
    "InvalidWasmError",
    "LimitError",
    "OutputFileError",
    "ParamSpec",
    "ParamTable",
    "ParameterError",
    "ParameterRangeError",
    "ServeError",
    "SessionError",
    "ToolchainMissingError",
    "Variant",
    "WasmLoadError",
    "WasmNotFoundError",
    "__version__",
    "all_notes_off",
    "build",
    "build_native",
    "note_off",
    "note_on",
    "param_ramp",
    "param_set",
]
