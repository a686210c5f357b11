"""How closely the JavaScript engine must follow the wasm engine: its
arithmetic is f64 where the Rust's is f32, so audio that other runtimes
match bit for bit it matches to within :data:`JS_AGREE_DB` below the signal
(RMS of the difference against RMS of the reference). Decisions (status
codes, values read back, the frame an event lands on, meter states, when a
channel sleeps) stay exact."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

#: The JavaScript engine's difference from the wasm engine lies at least this far
#: below the signal, dB.
JS_AGREE_DB = 80.0


def below_signal_db(reference: npt.ArrayLike, other: npt.ArrayLike) -> float:
    """How far the RMS of ``other - reference`` lies below the RMS of
    ``reference``, in dB (infinity when they are identical)."""
    a = np.asarray(reference, np.float64)
    b = np.asarray(other, np.float64)
    signal = math.sqrt(float(np.mean(a**2)))
    error = math.sqrt(float(np.mean((a - b) ** 2)))
    assert signal > 0, "the reference is silent: nothing to compare"
    return math.inf if error == 0 else 20 * math.log10(signal / error)


def assert_agrees(reference: npt.ArrayLike, other: npt.ArrayLike, runtime: str) -> None:
    """``other`` (rendered on ``runtime``) equals ``reference`` bit for bit,
    or, on the JavaScript engine, lies within :data:`JS_AGREE_DB` of it."""
    if runtime == "js":
        db = below_signal_db(reference, other)
        assert db >= JS_AGREE_DB, f"js differs by {db:.1f} dB below the signal (< {JS_AGREE_DB})"
    else:
        assert np.array_equal(np.asarray(other), np.asarray(reference))
