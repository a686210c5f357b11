"""Golden renders of the reference session: how they are made and summarised.

``scripts/update_golden.py`` writes ``reference.json`` with this module;
``tests/session/test_golden.py`` checks the current build against it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from dawgwasm import Engine
from dawgwasm._reference import reference_session
from dawgwasm._session import apply_session, parse_session, render_session

GOLDEN = Path(__file__).parent / "reference.json"
RATE = 48000.0
EXCERPT_FRAMES = 16
#: Excerpt starts: just after the first downbeat, bars 1 to 3, the bar 4 fill.
EXCERPT_STARTS = (1000, 40000, 100000, 150000, 200000, 400000)


def render_reference(runtime: str, dist: Path, native: Path) -> np.ndarray:
    """One pass of the reference session at 48 kHz on ``runtime``."""
    doc = reference_session()
    cfg: dict[str, Any] = {"sample_rate_hz": RATE, "tracks": len(doc["tracks"]), "max_quanta": 64}
    if runtime == "native":
        e = Engine.native(native, **cfg)
    else:
        e = Engine.from_dist(dist, runtime, **cfg)  # type: ignore[arg-type]
    with e:
        s = parse_session(doc, e.params, e.units, e.sources)
        apply_session(s, e)
        return render_session(s, e)


def digest(x: np.ndarray) -> str:
    """SHA-256 of the render's little-endian float32 bytes."""
    return hashlib.sha256(np.ascontiguousarray(x, "<f4").tobytes()).hexdigest()


def summarise(renders: dict[str, np.ndarray]) -> dict[str, Any]:
    """Hashes per runtime and excerpts of the first runtime's render."""
    first = next(iter(renders.values()))
    return {
        "session": "reference",
        "sample_rate_hz": RATE,
        "frames": int(first.shape[1]),
        "sha256": {rt: digest(x) for rt, x in renders.items()},
        "excerpts": [
            {
                "start": s,
                "left": [float(v) for v in first[0, s : s + EXCERPT_FRAMES]],
                "right": [float(v) for v in first[1, s : s + EXCERPT_FRAMES]],
            }
            for s in EXCERPT_STARTS
            if s < first.shape[1]
        ],
    }
