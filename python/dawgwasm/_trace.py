"""What a Chromium trace says about the audio render thread: the time of
every render quantum, the worklet's share of it, and garbage collections.

Recorded with :data:`CATEGORIES` while a realtime AudioContext plays:

* ``webaudio`` gives ``RealtimeAudioDestinationHandler::Render`` for every
  render quantum, on the thread that renders the graph (the AudioWorklet's
  thread when the context has a worklet, the output device's thread when
  not): the whole graph's time for that quantum, what a DAW's CPU meter
  shows as load when divided by the quantum's duration;
* ``v8`` gives ``v8.callFunction`` for every call into JavaScript; the calls
  on the render thread inside a quantum's render are the worklet's
  ``process()`` (and what it calls, wasm included);
* ``disabled-by-default-v8.gc`` (with ``v8``) gives ``MinorGC`` and
  ``MajorGC`` for every collection, on the thread whose isolate collected.

``disabled-by-default-webaudio.audionode`` would also give
``AudioWorkletHandler::Process`` per quantum, but it adds two events per
node per quantum: at 128 fed tracks that is about 100,000 events a second,
57 MB of trace in 3 s, and the graph's measured time per quantum doubles
(335 to 647 µs, wasm-simd at 128 tracks, on this kind of machine). The
``v8.callFunction`` inside each quantum brackets the same ``process()``
call without that cost, so that category is left out.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

__all__ = [
    "CATEGORIES",
    "HISTOGRAM_EDGES",
    "MAX_TRACE_BYTES",
    "TraceError",
    "audio_thread_summary",
    "load_stats",
    "parse_trace",
]

CATEGORIES = ("webaudio", "v8", "disabled-by-default-v8.gc", "__metadata")
RENDER_EVENT = "RealtimeAudioDestinationHandler::Render"
CALL_EVENT = "v8.callFunction"
GC_EVENTS = ("MinorGC", "MajorGC")
#: A trace larger than this is refused rather than parsed (about 500 KB
#: per second of play at 256 tracks with these categories).
MAX_TRACE_BYTES = 256 * 1024 * 1024
#: Bin edges of the load histogram, as a share of the quantum's duration:
#: 1 % bins up to a full quantum, then coarser past it.
HISTOGRAM_EDGES = (*(round(0.01 * i, 2) for i in range(101)), 1.25, 1.5, 2.0, 4.0, math.inf)


class TraceError(ValueError):
    """A trace that is not one, or holds no render quanta."""


def parse_trace(data: bytes) -> list[dict[str, Any]]:
    """The events of a trace as Chromium writes it (an object with
    ``traceEvents``, or a bare list)."""
    if len(data) > MAX_TRACE_BYTES:
        raise TraceError(f"trace of {len(data)} bytes is over the {MAX_TRACE_BYTES} byte limit")
    try:
        doc = json.loads(data)
    except ValueError as e:
        raise TraceError(f"trace is not JSON: {e}") from e
    events = doc.get("traceEvents") if isinstance(doc, dict) else doc
    if not isinstance(events, list):
        raise TraceError("trace holds no traceEvents list")
    return [e for e in events if isinstance(e, dict)]


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0-1) by linear interpolation of sorted values."""
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def load_stats(loads: Sequence[float], *, histogram: bool = True) -> dict[str, Any]:
    """p50, p99, max (and a histogram over HISTOGRAM_EDGES) of per-quantum loads."""
    values = sorted(loads)
    if not values:
        return {"quanta": 0, "p50": None, "p99": None, "max": None}
    stats: dict[str, Any] = {
        "quanta": len(values),
        "mean": math.fsum(values) / len(values),
        "p50": _percentile(values, 0.5),
        "p99": _percentile(values, 0.99),
        "max": values[-1],
    }
    if histogram:
        counts = [0] * (len(HISTOGRAM_EDGES) - 1)
        for v in values:
            for i in range(len(counts)):
                if v < HISTOGRAM_EDGES[i + 1]:
                    counts[i] += 1
                    break
        stats["histogram"] = {
            "edges": [e if math.isfinite(e) else None for e in HISTOGRAM_EDGES],
            "counts": counts,
        }
    return stats


def audio_thread_summary(
    events: list[dict[str, Any]], *, quantum_s: float, settle_s: float
) -> dict[str, Any]:
    """Per-quantum load of the graph and of the worklet, and the garbage
    collections on the render thread, from the events of one context's play.

    The render thread is the one with the most quantum renders. Quanta (and
    collections) in the first ``settle_s`` after its first render are
    start-up: collections there are counted apart, quanta left out."""
    threads = {
        (e.get("pid"), e.get("tid")): e.get("args", {}).get("name", "")
        for e in events
        if e.get("ph") == "M" and e.get("name") == "thread_name"
    }
    renders_per_thread = Counter(
        (e.get("pid"), e.get("tid"))
        for e in events
        if e.get("name") == RENDER_EVENT and e.get("ph") == "X"
    )
    if not renders_per_thread:
        raise TraceError(f"trace holds no {RENDER_EVENT} events: nothing was rendered")
    thread = renders_per_thread.most_common(1)[0][0]
    on_thread = sorted(
        (e for e in events if (e.get("pid"), e.get("tid")) == thread and "ts" in e),
        key=lambda e: float(e["ts"]),
    )
    renders = [e for e in on_thread if e["name"] == RENDER_EVENT and e.get("ph") == "X"]
    first_us = float(renders[0]["ts"])
    settled_us = first_us + settle_s * 1e6
    quantum_us = quantum_s * 1e6

    graph: list[float] = []
    worklet: list[float] = []
    calls = [e for e in on_thread if e["name"] == CALL_EVENT and e.get("ph") == "X"]
    ci = 0
    for r in renders:
        start = float(r["ts"])
        end = start + float(r.get("dur", 0))
        inside = 0.0
        while ci < len(calls) and float(calls[ci]["ts"]) < start:
            ci += 1  # a call outside any render: a message handler, not process()
        while ci < len(calls) and float(calls[ci]["ts"]) + float(calls[ci].get("dur", 0)) <= end:
            inside += float(calls[ci].get("dur", 0))
            ci += 1
        if start >= settled_us:
            graph.append(float(r.get("dur", 0)) / quantum_us)
            worklet.append(inside / quantum_us)
    has_worklet = bool(calls)

    startup_gc = played_gc = 0
    gc_ms = 0.0
    for e in on_thread:
        if e["name"] in GC_EVENTS and e.get("ph") == "X":
            if float(e["ts"]) < settled_us:
                startup_gc += 1
            else:
                played_gc += 1
                gc_ms += float(e.get("dur", 0)) / 1e3
    last = renders[-1]
    return {
        "thread": threads.get(thread, ""),
        "traced_s": (float(last["ts"]) + float(last.get("dur", 0)) - first_us) / 1e6,
        "quantum_load": load_stats(graph),
        "worklet_load": load_stats(worklet, histogram=False) if has_worklet else None,
        "gc": {"startup_events": startup_gc, "events": played_gc, "ms": gc_ms},
    }
