"""How closely the JavaScript engine must follow the wasm engine: its
arithmetic is f64 where the Rust's is f32, so audio that other runtimes
match bit for bit it matches to within :data:`JS_AGREE_DB` below the signal
(RMS of the difference against RMS of the reference). Decisions (status
codes, values read back, the frame an event lands on, meter states, when a
channel sleeps) stay exact."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from dawgwasm._bench import JS_TOLERANCE_DB, below_signal_db

__all__ = ["JS_AGREE_DB", "assert_agrees", "below_signal_db"]

#: The JavaScript engine's difference from the wasm engine lies at least this far
#: below the signal, dB (the figure `dawgwasm bench` holds it to).
JS_AGREE_DB = JS_TOLERANCE_DB


def assert_agrees(reference: npt.ArrayLike, other: npt.ArrayLike, runtime: str) -> None:
    """``other`` (rendered on ``runtime``) equals ``reference`` bit for bit,
    or, on the JavaScript engine, lies within :data:`JS_AGREE_DB` of it."""
    if runtime == "js":
        db = below_signal_db(reference, other)
        assert db >= JS_AGREE_DB, f"js differs by {db:.1f} dB below the signal (< {JS_AGREE_DB})"
    else:
        assert np.array_equal(np.asarray(other), np.asarray(reference))
