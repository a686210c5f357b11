"""The AudioWorklet's DevTools session (dawgwasm._worklet_devtools) in real
Chromium: one page playing one AudioContext after another, each with its own
AudioWorklet isolate, and every read going to the newest one.

Each context's module marks its global scope with its number and keeps an
array of that many times 2**20 doubles (8 MiB each) on its heap, so which
isolate answered shows in what it answers."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from dawgwasm._errors import BrowserError, LimitError
from dawgwasm._worklet_devtools import (
    WorkletDevtools,
    WorkletDevtoolsError,
    attributed_allocations,
)

pytestmark = pytest.mark.browser

MIB = 1 << 20
#: Bytes of one kept array block: 2**20 doubles.
BLOCK_BYTES = 8 * MIB

START_CONTEXT_JS = """async (mark) => {
  const source = `
    globalThis.dawgMark = ${mark};
    globalThis.dawgKept = new Array(${mark} * 1048576).fill(0.5);
    globalThis.dawgAllocate = function dawgAllocate(n) {
      const out = [];
      for (let i = 0; i < n; i++) out.push({ i });
      globalThis.dawgHeld = out;
      return out.length;
    };
    class Quiet extends AudioWorkletProcessor {
      process() { return true; }
    }
    registerProcessor("quiet", Quiet);
  `;
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const ctx = new AudioContext({ sampleRate: 48000 });
  await ctx.audioWorklet.addModule(url);
  new AudioWorkletNode(ctx, "quiet").connect(ctx.destination);
  await ctx.resume();
  (window.dawgContexts ||= []).push(ctx);
  return ctx.state;
}"""


def start_context(page: Page, mark: int) -> None:
    assert page.evaluate(START_CONTEXT_JS, mark) == "running"


def test_each_new_audio_context_is_read_from_its_own_isolate(page: Page) -> None:
    devtools = WorkletDevtools(page)
    try:
        assert devtools.target_id is None
        start_context(page, 1)
        first_id = devtools.wait_for_audio_worklet()
        assert devtools.target_id == first_id
        assert devtools.evaluate("dawgMark") == 1
        first = devtools.heap_usage()

        # The first context keeps playing: the newest isolate is chosen, not the only one.
        start_context(page, 2)
        second_id = devtools.wait_for_audio_worklet()
        assert second_id != first_id
        assert devtools.evaluate("dawgMark") == 2
        second = devtools.heap_usage()
    finally:
        devtools.close()
    assert {"usedSize", "totalSize"} <= set(first) and set(first) == set(second)
    assert all(isinstance(v, int) and v >= 0 for v in (*first.values(), *second.values()))
    # Each isolate holds its own array: 8 MiB in the first, 16 MiB in the second.
    assert first["usedSize"] >= BLOCK_BYTES, first
    assert second["usedSize"] - first["usedSize"] >= BLOCK_BYTES * 3 // 4, (first, second)
    assert page.evaluate("window.dawgContexts.map((c) => c.state)") == ["running", "running"]


def test_a_closed_context_s_worklet_is_gone_and_the_next_one_is_found(page: Page) -> None:
    """The way ``dawgwasm profile`` plays its arms: each in its own
    AudioContext, closed before the next one starts."""
    devtools = WorkletDevtools(page)
    try:
        start_context(page, 1)
        first_id = devtools.wait_for_audio_worklet()
        devtools.heap_usage()
        page.evaluate("window.dawgContexts[0].close()")
        gone: WorkletDevtoolsError | None = None
        for _ in range(200):  # its thread ends soon after close() resolves (10 s at most)
            try:
                devtools.heap_usage()
            except WorkletDevtoolsError as e:
                gone = e
                break
            page.wait_for_timeout(50)
        assert gone is not None and "has gone (its AudioContext closed?)" in str(gone), gone
        start_context(page, 2)
        assert devtools.wait_for_audio_worklet() != first_id
        assert devtools.evaluate("dawgMark") == 2
        assert devtools.heap_usage()["usedSize"] >= 2 * BLOCK_BYTES
    finally:
        devtools.close()


def test_sampling_sees_what_the_worklets_code_allocates(page: Page) -> None:
    devtools = WorkletDevtools(page)
    try:
        start_context(page, 1)
        devtools.wait_for_audio_worklet()
        devtools.start_sampling(64)
        assert devtools.evaluate("dawgAllocate(20000)") == 20000
        profile: dict[str, Any] = devtools.stop_sampling()
    finally:
        devtools.close()
    assert {"head", "samples"} <= set(profile)
    seen = attributed_allocations(profile)
    ours = {name: n for name, n in seen.by_function.items() if name.startswith("dawgAllocate (")}
    # 20000 objects of 16 bytes and more, one sample per 64 bytes on average.
    assert sum(ours.values()) > 100, seen.by_function
    assert seen.samples >= sum(ours.values()) and seen.estimated_bytes > 0


def test_waiting_without_an_audio_worklet_fails_clearly(page: Page) -> None:
    devtools = WorkletDevtools(page)
    try:
        with pytest.raises(WorkletDevtoolsError, match="call wait_for_audio_worklet"):
            devtools.heap_usage()
        with pytest.raises(WorkletDevtoolsError, match="no AudioWorklet attached to the page in"):
            devtools.wait_for_audio_worklet(timeout_s=0.5)
        start_context(page, 1)
        devtools.wait_for_audio_worklet()
        # Only one context: no newer AudioWorklet comes.
        with pytest.raises(WorkletDevtoolsError, match="since the last one"):
            devtools.wait_for_audio_worklet(timeout_s=0.5)
        with pytest.raises(WorkletDevtoolsError, match="threw in the AudioWorklet"):
            devtools.evaluate("noSuchName")
        for bad in (0, -1.0, float("nan"), float("inf"), 601.0):
            with pytest.raises(LimitError, match="wait for an AudioWorklet"):
                devtools.wait_for_audio_worklet(timeout_s=bad)
        for interval in (0, -16, 1 << 31):
            with pytest.raises(LimitError, match="sampling interval"):
                devtools.start_sampling(interval)
    finally:
        devtools.close()
    assert issubclass(WorkletDevtoolsError, BrowserError)
    with pytest.raises(WorkletDevtoolsError, match="session is closed"):
        devtools.heap_usage()
    with pytest.raises(LimitError, match="call timeout"):
        WorkletDevtools(page, call_timeout_s=0)
