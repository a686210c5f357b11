"""What the tests of the JavaScript insert units share: running a unit the
way an insert slot drives it (parameters set by their row in the build's
manifest, tempo, reset, then blocks), the distance of its output from the
wasm engine's in dB, and the checks every unit must pass: output independent
of the block size, reset equal to a fresh unit, an impulse's tail ending in
exact zeros, and hostile input leaving only finite, normal (or zero) samples.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dawgwasm import Engine
from tests.jsengine.node_units import Call, JsRun, run_js_unit

F32 = npt.NDArray[np.float32]

# The JavaScript module and class of each insert unit.
MODULES = {
    "saturator": ("dawg-js-saturator.js", "Saturator"),
    "delay": ("dawg-js-delay.js", "Delay"),
    "reverb": ("dawg-js-reverb.js", "Reverb"),
    "limiter": ("dawg-js-limiter.js", "Limiter"),
}

# Agreement with the wasm engine: the largest difference at least this far
# below the engine's peak output.
ENGINE_AGREEMENT_DB = -80.0

# Values no unit may pass on: NaN, infinities, the float32 extremes, values
# that overflow once gained up, and subnormals (as the Rust tests' HOSTILE).
HOSTILE = np.array(
    [np.nan, np.inf, -np.inf, 3.4028235e38, -3.4028235e38, 3e38, -3e38, 1e30, 1e-40, -1e-39],
    np.float32,
)

SMALLEST_NORMAL = float(np.finfo(np.float32).tiny)


def unit_rows(dist: Path, unit: str) -> list[str]:
    """The unit's parameter names in row order: its rows of the build's
    manifest, in id order (the index ``set`` takes)."""
    manifest = json.loads((dist / "manifest.json").read_text())
    return [p["name"] for p in manifest["params"] if p["scope"] == "insert" and p["owner"] == unit]


def js_run(
    dist: Path,
    unit: str,
    params: Mapping[str, float],
    left: npt.ArrayLike,
    right: npt.ArrayLike | None = None,
    *,
    sample_rate_hz: float = 48000.0,
    tempo_bpm: float = 120.0,
    blocks: Sequence[int] = (128,),
    changes: Sequence[tuple[int, str, float]] = (),
    calls: Sequence[Call] = (),
    probes: Sequence[str] = (),
) -> JsRun:
    """The JS unit as an insert slot runs it: made at ``sample_rate_hz``,
    ``params`` set (rounded to float32, as the engine hands them over), the
    tempo set and a reset (no ramps at the start), then the signal in
    ``blocks``; ``changes`` are ``(frame, name, value)`` settings made before
    that frame is processed."""
    module, cls = MODULES[unit]
    rows = unit_rows(dist, unit)
    x = np.asarray(left, np.float32)
    y = x if right is None else np.asarray(right, np.float32)
    sets = [(rows.index(name), float(np.float32(v))) for name, v in params.items()]
    later = [Call(f, "set", (rows.index(name), float(np.float32(v)))) for f, name, v in changes]
    return run_js_unit(
        module,
        cls,
        [sample_rate_hz, 128],
        np.stack([x, y]),
        sets=sets,
        calls=[Call(0, "setTempoBpm", (tempo_bpm,)), Call(0, "reset"), *later, *calls],
        blocks=blocks,
        probes=probes,
    )


def js_render(
    dist: Path,
    unit: str,
    params: Mapping[str, float],
    left: npt.ArrayLike,
    right: npt.ArrayLike | None = None,
    **options: Any,
) -> tuple[F32, F32]:
    """:func:`js_run`'s output as ``(L, R)``."""
    out = js_run(dist, unit, params, left, right, **options).output
    return out[0], out[1]


def error_db(got: npt.ArrayLike, want: npt.ArrayLike) -> float:
    """The largest difference relative to the peak of ``want``, in dB
    (-inf when they are identical)."""
    g = np.asarray(got, np.float64)
    w = np.asarray(want, np.float64)
    diff = float(np.max(np.abs(g - w)))
    peak = float(np.max(np.abs(w)))
    assert peak > 0, "the reference output is silent: nothing to compare"
    return -np.inf if diff == 0 else 20.0 * float(np.log10(diff / peak))


def assert_block_size_independent(
    dist: Path,
    unit: str,
    params: Mapping[str, float],
    left: F32,
    right: F32,
    **options: Any,
) -> None:
    """Blocks of 128, of one frame at a time mixed with odd sizes, and of
    4096 give bit-identical output."""
    runs = [
        js_run(dist, unit, params, left, right, blocks=b, **options).output
        for b in ((128,), (1, 7, 64, 300, 2, 129), (4096,))
    ]
    assert np.any(runs[0] != 0)
    for other in runs[1:]:
        assert np.array_equal(other, runs[0])


def assert_reset_matches_fresh(
    dist: Path,
    unit: str,
    params: Mapping[str, float],
    first: tuple[F32, F32],
    second: tuple[F32, F32],
    **options: Any,
) -> None:
    """``first`` then a reset then ``second`` gives, after the reset, exactly
    what a fresh unit gives for ``second``."""
    k = len(first[0])
    joined = np.concatenate([first[0], second[0]]), np.concatenate([first[1], second[1]])
    after = js_run(dist, unit, params, *joined, calls=[Call(k, "reset")], **options).output
    fresh = js_run(dist, unit, params, *second, **options).output
    assert np.any(after[:, :k] != 0)
    assert np.any(fresh != 0)
    assert np.array_equal(after[:, k:], fresh)


def assert_impulse_tail_is_exact_zero(
    dist: Path,
    unit: str,
    params: Mapping[str, float],
    frames: int,
    within: int,
    **options: Any,
) -> JsRun:
    """An impulse on both channels: the output is exactly zero from frame
    ``within`` on, the unit reports itself quiet at the end, and its tail
    length is at most ``within``. Returns the run."""
    x = np.zeros(frames, np.float32)
    x[0] = 1.0
    run = js_run(dist, unit, params, x, x, probes=("isQuiet", "tailFrames"), **options)
    out = run.output
    assert np.any(out[:, :within] != 0)
    nonzero = np.flatnonzero(np.any(out != 0, axis=0))
    assert nonzero[-1] < within, f"last non-zero frame {nonzero[-1]}, expected below {within}"
    assert run.probes["isQuiet"][-1] is True
    assert run.probes["tailFrames"][-1] <= within
    return run


def hostile_stereo(frames: int) -> tuple[F32, F32]:
    """``frames`` of :data:`HOSTILE` values, cycled differently on each channel."""
    i = np.arange(frames)
    return HOSTILE[i % len(HOSTILE)], HOSTILE[(3 * i + 1) % len(HOSTILE)]


def assert_clean(out: npt.ArrayLike) -> None:
    """Every sample is finite and either exactly zero or a normal float32."""
    y = np.asarray(out, np.float32)
    assert np.all(np.isfinite(y))
    mags = np.abs(y[y != 0])
    assert mags.size == 0 or float(mags.min()) >= SMALLEST_NORMAL


def hostile_then_music(frames: int, seed: int = 5) -> tuple[F32, F32, int]:
    """Noise, then ``frames`` of hostile values mixed into the same noise,
    then noise again; returns the pair and the frame where the last noise
    starts."""
    rng = np.random.default_rng(seed)
    left = rng.uniform(-0.5, 0.5, 3 * frames).astype(np.float32)
    right = rng.uniform(-0.5, 0.5, 3 * frames).astype(np.float32)
    hl, hr = hostile_stereo(frames)
    left[frames : 2 * frames : 2] = hl[::2]
    right[frames : 2 * frames : 3] = hr[::3]
    return left, right, 2 * frames


def engine_render(
    make_engine: Callable[..., Engine],
    unit: str,
    params: Mapping[str, float],
    left: F32,
    right: F32,
    *,
    changes: Sequence[tuple[int, str, float]] = (),
    runtime: str = "simd",
    sample_rate_hz: float = 48000.0,
    tempo_bpm: float = 120.0,
) -> F32:
    """The engine's output for the unit as ``render_unit`` sets it up (one
    track, flat strip, the unit in slot 1, unity fader, centre pan), with
    ``changes`` set between render calls: their frames must be multiples of
    the 128-frame quantum so that each lands before exactly that frame."""
    e = make_engine(
        runtime, sample_rate_hz=sample_rate_hz, tracks=1, quantum_frames=128, max_quanta=64
    )
    e.set_insert(1, unit, track=0)
    e.set("tempo_bpm", tempo_bpm)
    e.set_many(dict(params), 0, slot=1)
    e.reset()
    parts = []
    pos = 0
    for frame, name, value in [*sorted(changes), (len(left), "", 0.0)]:
        assert frame % 128 == 0 or frame == len(left), (
            f"change at frame {frame} is not on a quantum"
        )
        for a in range(pos, frame, 8192):
            b = min(frame, a + 8192)
            parts.append(e.render(np.stack([left[a:b], right[a:b]])).copy())
        pos = frame
        if name:
            e.set(name, value, 0, slot=1)
    e.close()
    out: F32 = np.concatenate(parts, axis=1)
    return out


def engine_input(x: npt.ArrayLike) -> F32:
    """``x`` as the engine's units receive it: the engine flushes its inputs
    (NaN, infinities and magnitudes below 1e-20 become 0) before the strip,
    which at its defaults passes the signal on unchanged."""
    v = np.asarray(x, np.float32)
    keep = np.isfinite(v) & (np.abs(v) >= np.float32(1e-20))
    out: F32 = np.where(keep, v, np.float32(0)).astype(np.float32)
    return out
