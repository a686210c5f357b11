"""Exceptions raised by dawgwasm.

Every error dawgwasm raises on purpose derives from :class:`DawgwasmError`
and says what is wrong and how to fix it::

    DawgwasmError
    ├── BuildError                  a build step failed (cargo, codegen, output)
    │   └── ToolchainMissingError   no usable Rust toolchain for wasm32
    ├── WasmLoadError               a .wasm could not be used
    │   ├── WasmNotFoundError       the file is not there
    │   ├── InvalidWasmError        not valid WebAssembly (or needs SIMD that is off)
    │   └── AbiMismatchError        valid, but not the ABI this dawgwasm speaks
    ├── EngineConfigError           sample rate, tracks or quantum refused (also ValueError)
    ├── ParameterError              unknown parameter or bad target (also KeyError)
    ├── ParameterRangeError         value NaN, infinite or out of range (also ValueError)
    ├── DspRuntimeError             the DSP failed while rendering
    │   ├── DspTimeoutError         a wasm call ran past its deadline (the instance is discarded)
    │   └── EngineBusyError         the engine is in use by another thread
    ├── AudioFileError              an audio file could not be read or written
    ├── OutputFileError             an output path cannot be written without losing something
    ├── LimitError                  a request exceeds a stated limit (also ValueError)
    ├── SessionError                a session document is invalid (names its JSON path)
    ├── ServeError                  the dev server could not start
    └── BrowserError                Chromium could not be found or driven
"""

from __future__ import annotations

__all__ = [
    "AbiMismatchError",
    "AudioFileError",
    "BrowserError",
    "BuildError",
    "DawgwasmError",
    "DspRuntimeError",
    "DspTimeoutError",
    "EngineBusyError",
    "EngineConfigError",
    "InvalidWasmError",
    "LimitError",
    "OutputFileError",
    "ParameterError",
    "ParameterRangeError",
    "ServeError",
    "SessionError",
    "ToolchainMissingError",
    "WasmLoadError",
    "WasmNotFoundError",
]


class DawgwasmError(Exception):
    """Base of every error dawgwasm raises on purpose."""


class BuildError(DawgwasmError):
    """A build step failed; the previous output folder is left as it was."""


class ToolchainMissingError(BuildError):
    """No Rust toolchain that can build ``wasm32-unknown-unknown`` was found."""


class WasmLoadError(DawgwasmError):
    """A ``.wasm`` file could not be loaded as a dawgwasm engine."""


class WasmNotFoundError(WasmLoadError, FileNotFoundError):
    """The ``.wasm`` file (or the build folder holding it) does not exist."""


class InvalidWasmError(WasmLoadError):
    """The bytes are not a WebAssembly module this runtime accepts."""


class AbiMismatchError(WasmLoadError):
    """The module lacks required exports or speaks another ABI version."""


class EngineConfigError(DawgwasmError, ValueError):
    """The engine refused its configuration (sample rate, tracks, quantum)."""


class ParameterError(DawgwasmError, KeyError):
    """Unknown parameter name or id, or a target that does not exist."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class ParameterRangeError(DawgwasmError, ValueError):
    """A parameter value is NaN, infinite or outside its legal range."""


class DspRuntimeError(DawgwasmError):
    """The DSP returned an error or trapped while rendering."""


class DspTimeoutError(DspRuntimeError):
    """A wasm call ran past its deadline and was interrupted; the instance
    is unusable afterwards (its state is whatever the call left)."""


class EngineBusyError(DspRuntimeError):
    """The engine was called from a second thread while a call was running;
    one engine serves one thread at a time."""


class AudioFileError(DawgwasmError):
    """An audio file could not be read or written."""


class OutputFileError(DawgwasmError):
    """An output path cannot be written without losing something: it is the
    input, not a regular file, write-protected, or in a folder that cannot be
    written. Nothing was written."""


class LimitError(DawgwasmError, ValueError):
    """A request exceeds one of dawgwasm's stated limits (the message names
    it); checked before the work starts."""


class SessionError(DawgwasmError, ValueError):
    """A session document is invalid; ``path`` is the JSON path of the bad
    field (``$.tracks[3].inserts[0].unit``) and the message says what is allowed."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


class ServeError(DawgwasmError):
    """The development server could not start."""


class BrowserError(DawgwasmError):
    """Chromium could not be found, launched or driven."""
