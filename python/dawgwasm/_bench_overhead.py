"""Python's overhead on a render (workload ``render-overhead``): the public
session render (:func:`dawgwasm._session.render_session`: scheduling the
events lazily, ``Engine.queue``, ``Engine.process``, copying the output
out) of the reference session under wasmtime, against the time the same
render spends inside the wasm exports.

The in-wasm time comes from a replay of the render's calls straight into
wasmtime's exported functions (``dawg_events_push`` with the same event
records, ``dawg_process`` with the same quanta), each call timed on its
own and summed: the records are copied into the engine's staging area
between the timed calls. The replay must give the render's output bit for
bit, or the benchmark stops before timing. Render and replay take turns in
each round (one warm-up round first), each from a reset of the same engine;
the overhead of a round is (render - in wasm) / in wasm.

As a check that needs no second run (so that a change in the machine's load
between render and replay cannot move it), each timed render also times its
own export calls (every one of them, through a timer around wasmtime's
function objects for the duration of the render): ``overhead_in_render``
is (render - its calls) / its calls.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from dawgwasm._abi import STATUS_OK
from dawgwasm._bench_core import SAMPLE_RATE_HZ, BenchError, EngineMaker, Measured
from dawgwasm._engine import Engine
from dawgwasm._epoch import TICKER
from dawgwasm._events import EVENT_DTYPE, Event
from dawgwasm._reference import reference_session
from dawgwasm._session import (
    apply_session,
    nearest_frame,
    parse_session,
    render_session,
    schedule,
)
from dawgwasm._wasm_runtime import WasmRuntime

__all__ = ["OVERHEAD_RUNTIMES", "RenderOverhead", "bench_render_overhead"]

#: The runtimes whose overhead is measured (those running the wasm in-process).
OVERHEAD_RUNTIMES = ("wasmtime simd", "wasmtime scalar")


@dataclass(frozen=True)
class RenderOverhead:
    """One runtime's render through the Python API against its time in wasm."""

    frames: int
    calls: int
    events: int
    api: Measured
    in_wasm: Measured
    #: Seconds inside the exports during each timed render.
    in_render: Measured

    def overheads(self) -> list[float]:
        """(render - in wasm) / in wasm of each round."""
        return _relative(self.api, self.in_wasm)

    def to_json(self) -> dict[str, Any]:
        o = self.overheads()
        return {
            "frames": self.frames,
            "calls": self.calls,
            "events": self.events,
            "api_render_ms": self.api.to_json(),
            "in_wasm_ms": self.in_wasm.to_json(),
            "python_overhead": _spread(o),
            "in_render_calls_ms": self.in_render.to_json(),
            "overhead_in_render": _spread(_relative(self.api, self.in_render)),
        }


def _relative(total: Measured, part: Measured) -> list[float]:
    return [(a - w) / w for a, w in zip(total.samples, part.samples, strict=True)]


def _spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": float(np.median(values)), "max": max(values)}


class _TimedExport:
    """A wasmtime function object that adds the seconds of every call to ``spent``."""

    def __init__(self, func: Any) -> None:
        self.func = func
        self.spent = 0.0

    def __call__(self, *args: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return self.func(*args)
        finally:
            self.spent += time.perf_counter() - t0


@contextlib.contextmanager
def _timing_exports(rt: WasmRuntime) -> Iterator[list[_TimedExport]]:
    """Every export of ``rt`` timed while the block runs (then restored)."""
    saved = dict(rt._funcs)
    timers = [_TimedExport(f) for f in saved.values()]
    rt._funcs.update(zip(saved, timers, strict=True))  # type: ignore[arg-type]
    try:
        yield timers
    finally:
        rt._funcs.clear()
        rt._funcs.update(saved)


@dataclass(frozen=True)
class _Call:
    words: npt.NDArray[np.float32]
    quanta: int


def _records(events: list[Event], base: int) -> npt.NDArray[np.float32]:
    rec = np.zeros(len(events), EVENT_DTYPE)
    for i, e in enumerate(events):
        rec[i] = (e.frame - base, e.kind, e.target, e.id, e.value, e.aux, (0, 0))
    return rec.view(np.float32)


def _calls(engine: Engine, events: list[Event], frames: int) -> list[_Call]:
    """The calls a render of ``frames`` makes when every call's events fit
    the engine's queue and a push (the replay is checked against the render)."""
    q, most = engine.quantum_frames, engine.max_quanta
    calls: list[_Call] = []
    at = done = 0
    while done < frames:
        n = min(most, -(-(frames - done) // q))
        end = done + n * q
        first = at
        while at < len(events) and events[at].frame < end:
            at += 1
        if at - first > int(engine.limits["events_per_push_max"]):
            raise BenchError("the reference session has more events per call than one push takes")
        calls.append(_Call(_records(events[first:at], done), n))
        done = end
    return calls


def _replay(
    engine: Engine, calls: list[_Call], frames: int, collect: bool
) -> tuple[float, npt.NDArray[np.float32] | None]:
    """The calls straight into wasmtime: seconds inside the exports, and
    with ``collect`` the output."""
    rt = engine.runtime
    if not isinstance(rt, WasmRuntime):
        raise BenchError(f"{rt.label}: the in-wasm time is measured under wasmtime only")
    h = engine.handle
    store = rt._store  # the exports themselves, under the runtime's own store
    push, process = rt._funcs["dawg_events_push"], rt._funcs["dawg_process"]
    staging = rt.f32_view(int(rt.call("dawg_events_ptr", h)), 8 * 1024, engine)
    out = np.zeros((2, frames), np.float32) if collect else None
    q = engine.quantum_frames
    store.set_epoch_deadline(TICKER.ticks(600.0))
    spent = 0.0
    done = 0
    for c in calls:
        staging[: c.words.size] = c.words
        t0 = time.perf_counter()
        pushed = push(store, h, c.words.size // 8)
        t1 = time.perf_counter()
        status = process(store, h, c.quanta)
        t2 = time.perf_counter()
        spent += t2 - t0 if c.words.size else t2 - t1
        if pushed != STATUS_OK or status != STATUS_OK:
            raise BenchError(f"{rt.label}: the replay's call failed ({pushed}, {status})")
        if out is not None:
            keep = min(c.quanta * q, frames - done)
            out[:, done : done + keep] = engine.output[:, :keep]
        done += c.quanta * q
    return spent, out


def bench_render_overhead(makers: dict[str, EngineMaker], repeat: int) -> dict[str, RenderOverhead]:
    """Python's overhead on one pass of the reference session on each of
    OVERHEAD_RUNTIMES that is in ``makers``."""
    found: dict[str, RenderOverhead] = {}
    for name in OVERHEAD_RUNTIMES:
        if name not in makers:
            continue
        doc = reference_session()
        engine = makers[name](
            sample_rate_hz=SAMPLE_RATE_HZ,
            tracks=len(doc["tracks"]),
            quantum_frames=128,
            max_quanta=64,
        )
        try:
            session = parse_session(doc, engine.params, engine.units, engine.sources)
            apply_session(session, engine)
            frames = nearest_frame(session.length_seconds() * SAMPLE_RATE_HZ)
            events = schedule(session, engine.params, SAMPLE_RATE_HZ, frames)
            calls = _calls(engine, events, frames)
            engine.reset()
            rendered = render_session(session, engine)
            engine.reset()
            _, replayed = _replay(engine, calls, frames, collect=True)
            if replayed is None or not np.array_equal(rendered, replayed):
                raise BenchError(
                    f"{name}: the replay of the render's calls does not give its output; "
                    "the in-wasm time would be of other work"
                )
            rt = engine.runtime
            assert isinstance(rt, WasmRuntime)  # checked by the replay above
            api: list[float] = []
            wasm: list[float] = []
            inside: list[float] = []
            for rep in range(repeat + 1):
                for turn in (0, 1) if rep % 2 else (1, 0):
                    engine.reset()
                    if turn == 0:
                        with _timing_exports(rt) as timers:
                            t0 = time.perf_counter()
                            render_session(session, engine)
                            spent = time.perf_counter() - t0
                        if rep:
                            api.append(spent)
                            inside.append(sum(t.spent for t in timers))
                    else:
                        spent, _ = _replay(engine, calls, frames, collect=False)
                        if rep:
                            wasm.append(spent)
        finally:
            engine.close()
        found[name] = RenderOverhead(
            frames,
            len(calls),
            len(events),
            Measured(tuple(api)),
            Measured(tuple(wasm)),
            Measured(tuple(inside)),
        )
    return found
