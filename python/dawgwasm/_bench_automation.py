"""The automation workload of the headless benchmark: the strip workload's
tracks with their parameters moving all the time.

Every quantum, each of N tracks (fixed-seed noise through the strip) gets
a ramp event per automated parameter (fader ``gain_db``, ``pan``, the mid
EQ band's ``mid_gain_db`` and ``comp_threshold_db``) to a new fixed-seed
target, over one quantum: the parameters never stop moving. The same
engine with its parameters held (``static``) and an engine with no track
(``empty``) are timed in the same rounds, so automation/static is the cost
of automation at that size.

What is timed is what a host pays per call: copying the call's event
records (already encoded) into the engine's staging area, committing them
(``dawg_events_push``, in chunks of ``events_per_push_max``) and
``dawg_process``. Building the records is not timed (a worklet receives
them encoded; in Python, ``Engine.queue`` encodes each event). Each call
renders as many quanta as the engine takes, or fewer where their events
would not fit its queue; the static run makes the same calls without
events.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import numpy.typing as npt

from dawgwasm._abi import STATUS_OK
from dawgwasm._bench_core import (
    QUANTUM_FRAMES,
    BenchError,
    EngineMaker,
    WorkloadResult,
    check_agreement,
    empty_engine,
    strip_engine,
    time_interleaved,
    timed_part,
)
from dawgwasm._engine import Engine
from dawgwasm._events import EVENT_DTYPE, PARAM_RAMP, TARGET_TRACK, encode_target

__all__ = [
    "AUTOMATED",
    "AUTOMATION_MAX_TRACKS",
    "EventCalls",
    "automation_calls",
    "automation_counts",
    "bench_automation",
    "push_and_process",
]

#: The automated parameters and the range their targets are drawn from.
AUTOMATED: dict[str, tuple[float, float]] = {
    "gain_db": (-12.0, 0.0),
    "pan": (-1.0, 1.0),
    "mid_gain_db": (-6.0, 6.0),
    "comp_threshold_db": (-30.0, -6.0),
}
#: The automation workload runs at the track counts up to this one (the
#: engine ramps at most 256 parameters at once: 4 per track).
AUTOMATION_MAX_TRACKS = 32
#: Ramps the engine runs at once (``RAMPS_MAX`` in the crate); a further
#: ramp would jump to its target.
_RAMPS_MAX = 256


@dataclass(frozen=True)
class EventCalls:
    """The calls of one run: for each, the quanta it renders and its event
    records (frame offsets from the call's start) as float32 words."""

    quanta: tuple[int, ...]
    words: tuple[npt.NDArray[np.float32], ...]


def automation_counts(tracks: Sequence[int]) -> list[int]:
    """The automation workload's track counts: those of ``tracks`` up to
    AUTOMATION_MAX_TRACKS; of more than three, the smallest, the middle one
    and the largest."""
    counts = sorted({t for t in tracks if 1 <= t <= AUTOMATION_MAX_TRACKS})
    if len(counts) > 3:
        counts = [counts[0], counts[len(counts) // 2], counts[-1]]
    return counts


def automation_calls(e: Engine, frames: int, seed: int) -> EventCalls:
    """The calls that render ``frames`` (whole quanta) of ``e``'s tracks with
    a ramp of every AUTOMATED parameter of every track each quantum."""
    q = e.quantum_frames
    total = -(-frames // q)
    names = list(AUTOMATED)
    per_quantum = e.tracks * len(names)
    room = int(e.limits["events_queued_max"])
    if per_quantum > min(room, _RAMPS_MAX):
        raise BenchError(
            f"automation at {e.tracks} tracks: {per_quantum} ramps per quantum do not fit the "
            f"engine (use at most {AUTOMATION_MAX_TRACKS} tracks)"
        )
    per_call = min(e.max_quanta, room // per_quantum)
    rng = np.random.default_rng(seed)
    lows = np.array([AUTOMATED[n][0] for n in names], np.float32)
    highs = np.array([AUTOMATED[n][1] for n in names], np.float32)
    ids = np.array([e.params[n].id for n in names], np.uint32)
    targets = np.array([encode_target(TARGET_TRACK, t) for t in range(e.tracks)], np.uint32)
    ramp_ms = np.float32(q / e.sample_rate_hz * 1e3)
    quanta: list[int] = []
    words: list[npt.NDArray[np.float32]] = []
    for start in range(0, total, per_call):
        n = min(per_call, total - start)
        rec = np.zeros((n, e.tracks, len(names)), EVENT_DTYPE)
        rec["offset_frames"] = (np.arange(n, dtype=np.uint32) * q)[:, None, None]
        rec["kind"] = PARAM_RAMP
        rec["target"] = targets[None, :, None]
        rec["id"] = ids[None, None, :]
        u = rng.random((n, e.tracks, len(names)), np.float32)
        rec["value"] = lows + (highs - lows) * u
        rec["aux"] = ramp_ms
        quanta.append(n)
        words.append(rec.reshape(-1).view(np.float32).copy())
    return EventCalls(tuple(quanta), tuple(words))


def push_and_process(
    e: Engine, calls: EventCalls, collect: bool = False
) -> list[npt.NDArray[np.float32]]:
    """Make ``calls`` on ``e``: each call's records into the staging area
    and committed, then the call's quanta processed; with ``collect``, the
    output of each call (copies)."""
    h = e.handle
    rt = e.runtime
    chunk = int(e.limits["events_per_push_max"]) * 8  # eight words an event
    staging = rt.f32_view(int(rt.call("dawg_events_ptr", h)), chunk, e)
    out: list[npt.NDArray[np.float32]] = []
    for n, words in zip(calls.quanta, calls.words, strict=True):
        for at in range(0, words.size, chunk):
            part = words[at : at + chunk]
            staging[: part.size] = part
            status = int(rt.call("dawg_events_push", h, part.size // 8))
            if status != STATUS_OK:
                raise BenchError(f"the engine refused the automation's events ({status})")
        e.process(n)
        if collect:
            out.append(e.output[:, : n * e.quantum_frames].copy())
    return out


def _process_calls(
    e: Engine, quanta: tuple[int, ...], collect: bool = False
) -> list[npt.NDArray[np.float32]]:
    """``process`` calls of ``quanta`` each; with ``collect``, each call's output."""
    out = []
    for n in quanta:
        e.process(n)
        if collect:
            out.append(e.output[:, : n * e.quantum_frames].copy())
    return out


def bench_automation(
    makers: dict[str, EngineMaker], baseline: str, tracks: int, frames: int, repeat: int
) -> list[WorkloadResult]:
    """The static and automation workloads at ``tracks`` tracks, timed in
    the same rounds with the empty engine; each timed run starts from a
    reset and renders ``frames`` (whole quanta)."""
    engines: dict[str, Engine] = {}
    try:
        for n, m in makers.items():
            engines[n] = strip_engine(m, tracks, 0.5, seed=tracks)
        first = next(iter(engines.values()))
        calls = automation_calls(first, frames, seed=tracks)
        outputs = {}
        for n, e in engines.items():
            e.reset()
            outputs[n] = np.concatenate(push_and_process(e, calls, collect=True), axis=1)
        agreement = check_agreement(f"automation at {tracks} tracks", outputs, baseline)
        held = {}
        for n, e in engines.items():
            e.reset()
            held[n] = np.concatenate(_process_calls(e, calls.quanta, collect=True), axis=1)
        static_agreement = check_agreement(f"static at {tracks} tracks", held, baseline)
        if np.array_equal(held[baseline], outputs[baseline]):
            raise BenchError(
                f"automation at {tracks} tracks: the ramps changed nothing in the output; "
                "the measurement would time no automation"
            )
        actions: dict[str, Callable[[], object]] = {}
        prepare: dict[str, Callable[[], object]] = {}
        for n, m in makers.items():
            e = engines[n]
            actions[f"{n}\0automation"] = partial(push_and_process, e, calls)
            prepare[f"{n}\0automation"] = e.reset
            actions[f"{n}\0static"] = partial(_process_calls, e, calls.quanta)
            prepare[f"{n}\0static"] = e.reset
            engines[f"{n}\0empty"] = empty_engine(m, tracks)
            actions[f"{n}\0empty"] = partial(_process_calls, engines[f"{n}\0empty"], calls.quanta)
        timed = time_interleaved(actions, repeat, prepare=prepare)
    finally:
        for e in engines.values():
            e.close()

    rendered = sum(calls.quanta) * QUANTUM_FRAMES
    empty = timed_part(timed, "empty")
    return [
        WorkloadResult(
            "static", tracks, rendered, timed_part(timed, "static"), static_agreement, empty
        ),
        WorkloadResult(
            "automation", tracks, rendered, timed_part(timed, "automation"), agreement, empty
        ),
    ]
