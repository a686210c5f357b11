"""The realtime half of ``dawgwasm profile``: each arm playing in an
AudioContext on the page (web/profile/profile-page.js), measured three ways.

* **play** (:func:`play`): the arm at a set track count for a set time.
  Every POLL_S the DevTools protocol's ``WebAudio.getRealtimeData`` gives
  the render capacity (a 0-1 ratio of the callback's time budget) and the
  callback interval's mean and variance; ``AudioContext.playbackStats``
  gives underruns and output latency; the drift of ``currentTime`` against
  the wall clock is kept; the AudioWorklet isolate's heap
  (``Runtime.getHeapUsage`` on its own DevTools target) is read after the
  first second and at the end, so its growth while playing is known. A
  Chromium trace of the play (:mod:`dawgwasm._trace`) gives the time of
  every render quantum (the load per quantum, p50/p99/max) and the
  worklet's share of it, and every garbage collection on the render thread,
  start-up apart.
* **capacity** (:func:`capacity_search`): the arm played at 16, 32, 64 …
  tracks (a short play each, readings after the first second) until its
  underruns are sustained (more than SUSTAINED_UNDERRUNS_PER_S) or
  CAPACITY_MAX_TRACKS, then bisected: the most tracks it holds under
  CAPACITY_TARGET render capacity, and the most before sustained underruns.
  The feed (one looping source per track) is part of every arm's load, as
  it would be of an app's.
* **probe** (:func:`probe`): start-up, event-to-sound latency, messages per
  second while a fader is dragged, heap after load (``probeArm`` on the page
  says how each is taken); for the engine, latency and messages again with
  its message transport in place of the ring.

Headless Chromium plays on a fake output device (10 ms callbacks): these
figures say how loaded the render thread was, not how a sound card would
fare.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from dawgwasm import _trace
from dawgwasm._profile_page import Pages, call
from dawgwasm._worklet_devtools import WorkletDevtools

__all__ = [
    "CAPACITY_MAX_TRACKS",
    "CAPACITY_TARGET",
    "capacity_search",
    "play",
    "probe",
    "realtime_table",
    "replay",
]

#: How often the render capacity is read.
POLL_S = 0.5
#: Readings (and traced quanta) of the first second of play (start-up) are left out.
SETTLE_S = 1.0
QUANTUM_FRAMES = 128
#: Two plays of the same arm whose mean render capacities differ by more
#: than this (relative to their mean) are reported as unstable.
STABLE_WITHIN = 0.25
#: The capacity search: the share of render capacity an arm may use.
CAPACITY_TARGET = 0.5
CAPACITY_START_TRACKS = 16
#: Four engine (or worklet) nodes of 256 tracks.
CAPACITY_MAX_TRACKS = 1024
#: Underruns per second of play (after the first second) that count as sustained.
SUSTAINED_UNDERRUNS_PER_S = 1.0
#: Bisection steps between the last track count under a threshold and the first over it.
CAPACITY_REFINE_STEPS = 2
#: The probe: tracks, latency trials, and the fader drag.
PROBE_TRACKS = 8
PROBE_TRIALS = 5
DRAG_MS = 2000
DRAG_STEP_MS = 16


class Realtime:
    """The page, its DevTools session (with WebAudio enabled, remembering
    every realtime context created) and the browser, for tracing."""

    def __init__(self, pages: Pages, rate_hz: int) -> None:
        self.pages = pages
        self.browser = pages.browser
        self.rate_hz = rate_hz
        self.contexts: list[str] = []
        self._attached: Any = None

    @property
    def page(self) -> Any:
        """The profile page (a new one after a crash), with a DevTools
        session on it listening for realtime contexts, and a session on its
        AudioWorklets."""
        page = self.pages.current()
        if page is not self._attached:
            self.cdp = page.context.new_cdp_session(page)
            self.cdp.on("WebAudio.contextCreated", self._created)
            self.cdp.send("WebAudio.enable")
            self.devtools = WorkletDevtools(page)
            self._attached = page
        return page

    def _created(self, event: dict[str, Any]) -> None:
        if event["context"]["contextType"] == "realtime":
            self.contexts.append(event["context"]["contextId"])

    def readings(
        self, known: int, seconds: float, settle_s: float = SETTLE_S
    ) -> list[dict[str, float]]:
        """``getRealtimeData`` every POLL_S for ``seconds`` of the newest
        context created after the first ``known``, those of its first
        ``settle_s`` left out."""
        readings: list[dict[str, float]] = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            self.page.wait_for_timeout(POLL_S * 1000)
            if len(self.contexts) <= known:
                continue
            data = self.cdp.send("WebAudio.getRealtimeData", {"contextId": self.contexts[-1]})
            if time.monotonic() - t0 >= settle_s:
                readings.append(data["realtimeData"])
        return readings


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def play(rt: Realtime, arm: str, tracks: int, seconds: float) -> dict[str, Any]:
    """Play ``arm`` at ``tracks`` tracks for ``seconds``, traced: what was measured."""
    known = len(rt.contexts)
    rt.browser.start_tracing(page=rt.page, categories=list(_trace.CATEGORIES))
    try:
        started = call(rt.page, "startArm", {"arm": arm, "tracks": tracks, "rate": rt.rate_hz})
        worklet = arm != "nodes"
        if worklet:
            rt.devtools.wait_for_audio_worklet()
        rt.readings(known, SETTLE_S)
        heap_start = rt.devtools.heap_usage() if worklet else None
        readings = rt.readings(known, seconds - SETTLE_S, settle_s=0.0)
        heap_end = rt.devtools.heap_usage() if worklet else None
        stopped = call(rt.page, "stopArm", {})
    finally:
        data = rt.browser.stop_tracing()
    traced = _trace.audio_thread_summary(
        _trace.parse_trace(data), quantum_s=QUANTUM_FRAMES / rt.rate_hz, settle_s=SETTLE_S
    )
    capacity = [float(r["renderCapacity"]) for r in readings]
    last = readings[-1] if readings else {}
    return {
        "arm": arm,
        "tracks": tracks,
        "seconds": seconds,
        "readings": len(readings),
        "render_capacity_mean": _mean(capacity),
        "render_capacity_max": max(capacity) if capacity else None,
        "callback_interval_mean_s": last.get("callbackIntervalMean"),
        "callback_interval_variance_s2": last.get("callbackIntervalVariance"),
        "base_latency_s": started.get("baseLatency"),
        "output_latency_s": started.get("outputLatency"),
        "playback_stats": stopped.get("playbackStats"),
        "wall_s": stopped["wallS"],
        "audio_s": stopped["audioS"],
        "current_time_drift_s": stopped["driftS"],
        "render_thread": traced["thread"],
        "quantum_load": traced["quantum_load"],
        "worklet_load": traced["worklet_load"],
        "gc": traced["gc"],
        "worklet_heap": _heap_change(heap_start, heap_end),
        "fatal": stopped.get("fatal"),
    }


def _heap_change(start: dict[str, int] | None, end: dict[str, int] | None) -> dict[str, Any] | None:
    """The worklet isolate's heap (``Runtime.getHeapUsage``) after the first
    second of play and at its end, and how much each figure grew."""
    if start is None or end is None:
        return None
    return {
        "after_settle": start,
        "at_end": end,
        "growth_bytes": {k: end[k] - start[k] for k in start if k in end},
    }


def _step(rt: Realtime, arm: str, tracks: int, seconds: float) -> dict[str, Any]:
    """One step of the capacity search: render capacity and underruns after
    the first SETTLE_S of ``seconds + SETTLE_S`` of play."""
    known = len(rt.contexts)
    call(rt.page, "startArm", {"arm": arm, "tracks": tracks, "rate": rt.rate_hz})
    try:
        rt.page.wait_for_timeout(SETTLE_S * 1000)
        before = call(rt.page, "armStats", {})
        readings = rt.readings(known, seconds)
        after = call(rt.page, "armStats", {})
    finally:
        stopped = call(rt.page, "stopArm", {})
    if stopped.get("fatal"):
        raise RuntimeError(stopped["fatal"])
    b, a = before["playbackStats"] or {}, after["playbackStats"] or {}
    underruns = int(a.get("underrunEvents", 0)) - int(b.get("underrunEvents", 0))
    played_s = max(after["audioS"] - before["audioS"], 1e-9)
    capacity = [float(r["renderCapacity"]) for r in readings]
    return {
        "tracks": tracks,
        "render_capacity_mean": _mean(capacity),
        "render_capacity_max": max(capacity) if capacity else None,
        "underruns": underruns,
        "played_s": played_s,
        "sustained_underruns": underruns / played_s > SUSTAINED_UNDERRUNS_PER_S,
    }


def replay(rt: Realtime, played: dict[str, Any], seconds: float) -> dict[str, Any]:
    """``played``'s arm and track count played again, untraced, for
    ``seconds`` after its first second: the render capacity of both plays
    and their relative difference, and whether it is within STABLE_WITHIN
    (headless Chromium's fake output device makes no promise of that)."""
    again = _step(rt, played["arm"], played["tracks"], seconds)
    first = played["render_capacity_mean"]
    second = again["render_capacity_mean"]
    change = None
    if first is not None and second is not None and first + second > 0:
        change = abs(second - first) / ((first + second) / 2)
    return {
        "arm": played["arm"],
        "render_capacity_mean": [first, second],
        "relative_change": change,
        "stable": change is not None and change <= STABLE_WITHIN,
        "fatal": None,
    }


def _largest(steps: list[dict[str, Any]], ok: Callable[[dict[str, Any]], bool]) -> int | None:
    """The largest track count below the smallest that failed ``ok``."""
    ordered = sorted(steps, key=lambda s: int(s["tracks"]))
    best = None
    for s in ordered:
        if not ok(s):
            break
        best = int(s["tracks"])
    return best


def _under_target(s: dict[str, Any]) -> bool:
    return s["render_capacity_mean"] is not None and s["render_capacity_mean"] < CAPACITY_TARGET


def _no_underruns(s: dict[str, Any]) -> bool:
    return not s["sustained_underruns"]


def capacity_search(
    rt: Realtime,
    arm: str,
    *,
    step_seconds: float,
    max_tracks: int = CAPACITY_MAX_TRACKS,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """The most tracks ``arm`` holds under CAPACITY_TARGET render capacity,
    and before sustained underruns, with every step measured."""
    steps: list[dict[str, Any]] = []

    def measure(n: int) -> dict[str, Any]:
        progress(f"capacity: {arm} at {n} tracks")
        s = _step(rt, arm, n, step_seconds)
        steps.append(s)
        return s

    n = min(CAPACITY_START_TRACKS, max_tracks)
    while True:
        s = measure(n)
        if s["sustained_underruns"] or n >= max_tracks:
            break
        n = min(2 * n, max_tracks)
    for ok in (_under_target, _no_underruns):
        for _ in range(CAPACITY_REFINE_STEPS):
            lo = _largest(steps, ok)
            failed = sorted(int(s["tracks"]) for s in steps if not ok(s))
            above = [f for f in failed if lo is None or f > lo]
            if lo is None or not above or above[0] - lo < 2:
                break
            measure((lo + above[0]) // 2)
    steps.sort(key=lambda s: int(s["tracks"]))
    at_target = _largest(steps, _under_target)
    before_underruns = _largest(steps, _no_underruns)
    return {
        "arm": arm,
        "tracks_at_target": at_target,
        "tracks_before_underruns": before_underruns,
        "limited_by_max": before_underruns == max_tracks,
        "steps": steps,
    }


def _probe_page(rt: Realtime, arm: str, events: str, trials: int, drag_ms: float) -> dict[str, Any]:
    """probeArm on a page of a fresh browser context (nothing cached:
    start-up includes fetching and compiling)."""
    context = rt.browser.new_context()
    try:
        page = context.new_page()
        page.goto(rt.pages.url)
        result: dict[str, Any] = call(
            page,
            "probeArm",
            {
                "arm": arm,
                "tracks": PROBE_TRACKS,
                "rate": rt.rate_hz,
                "trials": trials,
                "dragMs": drag_ms,
                "dragStepMs": DRAG_STEP_MS,
                "events": events,
            },
        )
        return result
    finally:
        context.close()


def probe(
    rt: Realtime, arm: str, *, trials: int = PROBE_TRIALS, drag_ms: float = DRAG_MS
) -> dict[str, Any]:
    """Start-up, event-to-sound latency, messages per second during a fader
    drag and heap after load of ``arm`` (probeArm on the page); for an
    engine arm, the latency and the messages again with its message
    transport in place of the ring."""
    r = _probe_page(rt, arm, "auto", trials, drag_ms)
    latency = [float(x) for x in r["latencyMs"]]
    render_latency = [float(x) for x in r["renderLatencyMs"]]
    probed: dict[str, Any] = {
        "arm": arm,
        "tracks": PROBE_TRACKS,
        "startup_ms": r["startupMs"],
        "latency_ms_median": statistics.median(latency),
        "latency_ms": latency,
        "render_latency_ms_median": statistics.median(render_latency),
        "render_latency_ms": render_latency,
        "messages_per_s": r["messagesPerS"],
        "quiet_messages_per_s": r["quietMessagesPerS"],
        "fader_changes": r["dragChanges"],
        "transport": r["transport"],
        "main_heap_bytes": r["mainHeapBytes"],
        "output_latency_s": r["outputLatencyS"],
        "fatal": r["fatal"],
        "message_transport": None,
    }
    if r["transport"] == "ring":
        m = _probe_page(rt, arm, "message", trials, drag_ms)
        latency = [float(x) for x in m["latencyMs"]]
        probed["message_transport"] = {
            "transport": m["transport"],
            "messages_per_s": m["messagesPerS"],
            "quiet_messages_per_s": m["quietMessagesPerS"],
            "latency_ms_median": statistics.median(latency),
            "latency_ms": latency,
            "render_latency_ms_median": statistics.median(float(x) for x in m["renderLatencyMs"]),
        }
        probed["fatal"] = probed["fatal"] or m["fatal"]
    return probed


def realtime_table(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the realtime play, one row per arm."""
    head = [
        "arm",
        "capacity",
        "max",
        "again",
        "load p50",
        "p99",
        "max",
        "worklet p50",
        "GCs",
        "underruns",
        "latency ms",
        "drift ms",
    ]

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{100 * v:.1f} %"

    again = {a["arm"]: a for a in report["realtime"].get("stability", [])}
    rows = []
    for r in report["realtime"]["arms"]:
        replayed = again.get(r["arm"])
        stats = r["playback_stats"] or {}
        latency = stats.get("averageLatency")
        load = r.get("quantum_load") or {}
        worklet = r.get("worklet_load") or {}
        gc = r.get("gc") or {}
        rows.append(
            [
                r["arm"],
                pct(r["render_capacity_mean"]),
                pct(r["render_capacity_max"]),
                "-"
                if replayed is None
                else pct(replayed["render_capacity_mean"][1])
                + ("" if replayed["stable"] else " (unstable)"),
                pct(load.get("p50")),
                pct(load.get("p99")),
                pct(load.get("max")),
                pct(worklet.get("p50")),
                f"{gc.get('events', '-')} (+{gc.get('startup_events', '-')} at start)",
                str(stats.get("underrunEvents", "-")),
                "-" if latency is None else f"{latency * 1e3:.1f}",
                f"{r['current_time_drift_s'] * 1e3:.0f}",
            ]
        )
    return head, rows


def capacity_table(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the capacity search, one row per arm."""
    head = [
        "arm",
        f"tracks under {100 * CAPACITY_TARGET:.0f} % capacity",
        "tracks before sustained underruns",
        "steps",
    ]
    rows = []
    for c in report["capacity"]["arms"]:
        under = c["tracks_before_underruns"]
        rows.append(
            [
                c["arm"],
                "-" if c["tracks_at_target"] is None else str(c["tracks_at_target"]),
                "-" if under is None else (f">= {under}" if c["limited_by_max"] else str(under)),
                " ".join(
                    f"{s['tracks']}:{100 * (s['render_capacity_mean'] or 0):.0f}%"
                    + ("!" if s["sustained_underruns"] else "")
                    for s in c["steps"]
                ),
            ]
        )
    return head, rows


def probe_table(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the probes, one row per arm."""
    head = [
        "arm",
        "start-up ms",
        "latency ms",
        "render side",
        "msgs/s drag (still)",
        "transport",
        "by message: msgs/s, ms",
        "heap KB",
        "buffers KB",
        "growth KB",
        "idle/active",
    ]
    idle = {r["arm"]: r for r in report.get("idle", {}).get("arms", [])}
    heaps = {r["arm"]: r.get("worklet_heap") for r in report["realtime"]["arms"]}

    def kb(heap: dict[str, Any] | None, part: str, key: str) -> str:
        return "-" if not heap else f"{heap[part][key] / 1024:.0f}"

    rows = []
    for p in report["probes"]:
        ratio = idle.get(p["arm"], {}).get("idle_to_active")
        heap = heaps.get(p["arm"])
        rows.append(
            [
                p["arm"],
                f"{p['startup_ms']:.0f}",
                f"{p['latency_ms_median']:.1f}",
                f"{p['render_latency_ms_median']:.1f}",
                f"{p['messages_per_s']:.0f} ({p['quiet_messages_per_s']:.0f})",
                p["transport"],
                "-"
                if not p.get("message_transport")
                else f"{p['message_transport']['messages_per_s']:.0f} "
                f"({p['message_transport']['quiet_messages_per_s']:.0f}), "
                f"{p['message_transport']['latency_ms_median']:.1f}",
                kb(heap, "after_settle", "usedSize"),
                kb(heap, "after_settle", "backingStorageSize"),
                kb(heap, "growth_bytes", "usedSize"),
                "-" if ratio is None else f"{ratio:.3f}",
            ]
        )
    return head, rows
