"""process() allocates nothing on the audio thread, on every backend, measured
in real Chromium rather than read from the code.

Chromium exposes each AudioWorklet's V8 isolate as a DevTools target of type
"worklet" (``Target.setAutoAttach`` on the page). Attached to it, the test
runs V8's sampling heap profiler (``HeapProfiler.startSampling`` with a
16-byte mean interval, keeping objects that garbage collections have already
freed) in consecutive 5-second windows while the reference session plays in
realtime, and reads ``Runtime.getHeapUsage`` at each window's edges. Every
sampled allocation comes with the JavaScript (and wasm) stack that made it;
an allocation is the worklet's when any frame of that stack is code the
worklet loaded (process(), what it calls, message handlers). Allocations with
no such frame (the isolate idle, serving the inspector) are not.

Each WebAssembly backend must play 30 consecutive seconds in which nothing is
allocated by the worklet's code, and in which the isolate's array-buffer
backing stores do not grow (a collection may free those made while loading)
and neither does its used heap. The JavaScript engine renders without
allocating (tests/jsengine hold that per unit and source under node), but
what runs per event or per coefficient redesign (a note, a parameter change,
a band's ramp) still passes numbers through calls V8 does not inline and
boxes them: it must play 30 seconds in which the worklet allocates no more
than JS_EVENT_ALLOWANCE_BYTES_PER_S on average. That is under 1 % of what
one boxed number per frame costs (12 bytes x 48000 per second), and a young
generation of one megabyte takes minutes to fill at that rate, so no
collection happens in those 30 s.

The first seconds of a worklet are not allocation-free whatever its code:
the JIT tiers functions up, and a deoptimisation (a branch first taken at a
pattern's loop point) runs code unoptimised for a while, where numbers are
boxed. So the test plays
for up to 150 s and looks for the first clean 30 seconds; an engine that
allocates per quantum, per event or per pattern pass (the reference session
loops every 10.7 s, so any 30 seconds hold two loop points and hundreds of
events) never has one.

The positive control runs in the same browser, in the same windows, through
the same measurement: a processor that allocates one small array per second
of audio from process(). It must show allocations in every window, so a
measurement that could not see them would fail the test.

What this finds is boxed numbers, mostly: a call that returns a double
(``Date.now()``, a function that is not inlined) or a double stored where V8
keeps tagged values allocates a HeapNumber each time, with no literal in
sight. The report names the functions on the stack of what was sampled.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from dawgwasm._worklet_devtools import WorkletDevtools, attributed_allocations
from tests.browser.harness import harness

pytestmark = pytest.mark.browser

HERE = Path(__file__).parent
PLAY_JS = harness("play_realtime.js")
CONTROL_SOURCE = (HERE / "allocating_processor.js").read_text(encoding="utf-8")

BACKENDS = ("wasm-simd", "wasm-scalar", "js")
WINDOW_S = 5.0
CLEAN_WINDOWS = 6  # 30 s
MAX_WINDOWS = 30  # 150 s of play at most
SAMPLING_INTERVAL_BYTES = 16
#: The JavaScript engine's allowance for what it allocates per event and per
#: coefficient redesign (see the module docs), bytes per second of play.
JS_EVENT_ALLOWANCE_BYTES_PER_S = 4096
WASM_BACKENDS = ("wasm-simd", "wasm-scalar")
#: Used-heap growth allowed over the clean 30 s, with nothing sampled: V8's
#: own bookkeeping (the inspector's requests, tens of bytes; the JIT's, up to
#: about 800 bytes at once, seen without any JavaScript on the stack). One
#: 12-byte number boxed per quantum is 135 KiB in 30 s, if nothing collects it
#: (what a collection frees, the sampler has seen).
UNSAMPLED_GROWTH_MAX_BYTES = 4096


@dataclass
class Window:
    """One measurement window of one run."""

    end_s: float  # the context's currentTime at its end
    samples: int  # allocations sampled with worklet code on the stack
    bytes_estimate: int  # V8's estimate of the bytes they stand for
    by_function: dict[str, int]  # sampled allocations by innermost worklet function
    used_before: int
    used_after: int
    backing_before: int
    backing_after: int

    @property
    def clean(self) -> bool:
        # A garbage collection may free array buffers made while loading; none may appear.
        return self.samples == 0 and self.backing_after <= self.backing_before


@dataclass
class Run:
    """One page playing one backend (or the control), measured window by window."""

    name: str
    context: BrowserContext
    page: Page
    heap: WorkletDevtools
    started: dict[str, Any]
    windows: list[Window] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)

    def begin(self) -> None:
        self.heap.wait_for_audio_worklet()
        self.usage = self.heap.heap_usage()
        self.heap.start_sampling(SAMPLING_INTERVAL_BYTES)

    def close_window(self) -> None:
        profile = self.heap.stop_sampling()
        after = self.heap.heap_usage()
        self.heap.start_sampling(SAMPLING_INTERVAL_BYTES)
        seen = attributed_allocations(profile)
        self.windows.append(
            Window(
                end_s=float(self.page.evaluate("window.dawgPlay.ctx.currentTime")),
                samples=seen.samples,
                bytes_estimate=seen.estimated_bytes,
                by_function=seen.by_function,
                used_before=self.usage["usedSize"],
                used_after=after["usedSize"],
                backing_before=self.usage["backingStorageSize"],
                backing_after=after["backingStorageSize"],
            )
        )
        self.usage = after

    def clean_stretch(self) -> list[Window] | None:
        """The first CLEAN_WINDOWS consecutive clean windows, if any."""
        for i in range(len(self.windows) - CLEAN_WINDOWS + 1):
            stretch = self.windows[i : i + CLEAN_WINDOWS]
            if all(w.clean for w in stretch):
                return stretch
        return None

    def quietest_rate(self) -> float:
        """The lowest average of the worklet's allocations over CLEAN_WINDOWS
        consecutive windows, bytes per second of play (infinity before there
        are that many). Windows last a little longer than WINDOW_S, so this
        errs high."""
        best = float("inf")
        for i in range(len(self.windows) - CLEAN_WINDOWS + 1):
            stretch = self.windows[i : i + CLEAN_WINDOWS]
            best = min(best, sum(w.bytes_estimate for w in stretch) / (CLEAN_WINDOWS * WINDOW_S))
        return best

    def settled(self) -> bool:
        """Whether this backend has met its criterion (see the module docs)."""
        if self.name in WASM_BACKENDS:
            return self.clean_stretch() is not None
        return self.quietest_rate() <= JS_EVENT_ALLOWANCE_BYTES_PER_S

    def report(self) -> str:
        rows = [
            f"  t={w.end_s:6.1f} s  sampled={w.samples:5d} (~{w.bytes_estimate} B)  "
            f"used {w.used_before}->{w.used_after}  backing {w.backing_before}->{w.backing_after}  "
            f"{dict(sorted(w.by_function.items(), key=lambda kv: -kv[1])[:4])}"
            for w in self.windows
        ]
        return f"{self.name}:\n" + "\n".join(rows)


@pytest.fixture
def runs(browser: Browser, server_url: str) -> Iterator[list[Run]]:
    made: list[Run] = []
    try:
        for backend in (*BACKENDS, None):
            context = browser.new_context()
            page = context.new_page()
            heap = WorkletDevtools(page)
            page.goto(server_url + "/")
            args: dict[str, Any] = {"backend": backend}
            if backend is None:
                args["controlSource"] = CONTROL_SOURCE
            started = page.evaluate(PLAY_JS, args)
            made.append(Run(backend or "control", context, page, heap, started))
        yield made
    finally:
        for run in made:
            run.context.close()


def test_process_allocates_nothing_on_any_backend(runs: list[Run]) -> None:
    for run in runs:
        if run.name != "control":
            assert run.started["backend"] == run.name, run.started
            assert run.started["transport"] == "ring", run.started
        run.begin()
    backends = [r for r in runs if r.name != "control"]
    control = runs[-1]
    for _ in range(MAX_WINDOWS):
        runs[0].page.wait_for_timeout(WINDOW_S * 1000)
        for run in runs:
            run.close_window()
        if len(control.windows) >= CLEAN_WINDOWS and all(r.settled() for r in backends):
            break
    report = "\n".join(r.report() for r in runs)

    # The measurement sees one small allocation per second of audio.
    assert all(w.samples > 0 for w in control.windows), (
        "the control's allocations were not seen in every window:\n" + report
    )
    assert all(
        any(name.startswith("process (") for name in w.by_function) for w in control.windows
    ), report

    for run in backends:
        if run.name not in WASM_BACKENDS:
            rate = run.quietest_rate()
            span_s = CLEAN_WINDOWS * WINDOW_S
            print(f"{run.name}: at best {rate:.0f} B/s allocated over {span_s:.0f} s")
            assert rate <= JS_EVENT_ALLOWANCE_BYTES_PER_S, (
                f"{run.name}: no {CLEAN_WINDOWS * WINDOW_S:.0f} s of realtime play with the "
                f"worklet allocating at most {JS_EVENT_ALLOWANCE_BYTES_PER_S} B/s "
                f"(at best {rate:.0f} B/s) in {len(run.windows) * WINDOW_S:.0f} s:\n{report}"
            )
            stretch = run.windows[-CLEAN_WINDOWS:]
        else:
            clean = run.clean_stretch()
            assert clean is not None, (
                f"{run.name}: no {CLEAN_WINDOWS * WINDOW_S:.0f} s of realtime play without "
                f"allocation by the worklet's code in {len(run.windows) * WINDOW_S:.0f} s:\n"
                + report
            )
            stretch = clean
            growth = stretch[-1].used_after - stretch[0].used_before
            assert growth <= UNSAMPLED_GROWTH_MAX_BYTES, (
                f"{run.name}: the worklet's heap grew {growth} bytes in its clean stretch:\n"
                + report
            )
        # It was really playing: the clock ran and the master carried the session.
        assert stretch[-1].end_s - stretch[0].end_s >= (CLEAN_WINDOWS - 1) * WINDOW_S * 0.9
        state = run.page.evaluate(
            "(() => { const m = window.dawgPlay.engine.meters(); "
            "return {peak: Math.max(...m.master.peak), errors: window.dawgPlay.errors}; })()"
        )
        assert state["errors"] == [], f"{run.name}: {state['errors']}"
        assert state["peak"] > 1e-3, f"{run.name}: the master is silent ({state})"
