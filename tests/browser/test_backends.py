"""The backend factory: createDawgEngine(ctx, {backend}) runs the backend it
is asked for or fails saying why; "auto" takes wasm-simd, then wasm-scalar,
then js, by what the page can run (no WebAssembly, or a Content Security
Policy that refuses to compile it, leaves js); a backend that fails after its
node was made leaves nothing behind (the node disconnected, its engine
disposed) and "auto" goes on to the next; every engine says which backend
runs. And the processor's load readout: measured over every quantum rendered,
offline and in real time, through both event transports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from dawgwasm import Engine
from dawgwasm._session import apply_session, parse_session, render_session

pytestmark = pytest.mark.browser

RATE = 48000

# A blank page of the test server's origin, with the headers a test gives it.
BLANK = "<!doctype html><html><head><meta charset='utf-8'><title>blank</title></head></html>"
ISOLATION = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
}
# Scripts from the page's origin only: no 'wasm-unsafe-eval', so WebAssembly cannot compile.
NO_WASM_CSP = {"Content-Security-Policy": "script-src 'self'"}

# Records every AudioWorkletNode made and what happened to it.
TRACK_NODES = """
(() => {
  const Base = AudioWorkletNode;
  const made = [];
  globalThis.__nodes = made;
  globalThis.AudioWorkletNode = class extends Base {
    constructor(...args) {
      super(...args);
      const rec = { disconnected: false, disposed: false };
      made.push(rec);
      const post = this.port.postMessage.bind(this.port);
      this.port.postMessage = (m, t) => {
        if (m && m.type === "dispose") rec.disposed = true;
        return t === undefined ? post(m) : post(m, t);
      };
      const disconnect = this.disconnect.bind(this);
      this.disconnect = (...a) => {
        rec.disconnected = true;
        return disconnect(...a);
      };
    }
  };
})();
"""

# A session of a few short notes: quick to render, and loud enough to compare.
NOTES: dict[str, Any] = {
    "format": "dawgwasm-session",
    "version": 1,
    "tempo_bpm": 120,
    "length_beats": 2,
    "tracks": [
        {
            "source": {"type": "synth", "params": {"synth_release_ms": 20}},
            "pattern": {"notes": [{"beat": 0, "note": 60}, {"beat": 1, "note": 64}]},
        }
    ],
}

# Create an engine offline on `backend`, render `frames`, report what ran.
RENDER = """
async ({ backend, frames, doc }) => {
  const { createDawgEngine } = await import("/dist/dawg-engine.js");
  const ctx = new OfflineAudioContext(2, frames, 48000);
  const options = { session: doc, start: 0, measureLoad: true };
  if (backend !== null) options.backend = backend;
  const engine = await createDawgEngine(ctx, options);
  engine.node.connect(ctx.destination);
  const out = await ctx.startRendering();
  await engine.sync();
  const load = engine.load();
  engine.dispose();
  return {
    backend: engine.backend,
    variant: engine.variant,
    left: Array.from(out.getChannelData(0)),
    right: Array.from(out.getChannelData(1)),
    load,
    nodes: globalThis.__nodes || null,
  };
}
"""

# Ask for `backend` and return the error's message (null if it started).
REFUSED = """
async ({ backend, variant }) => {
  const { createDawgEngine } = await import("/dist/dawg-engine.js");
  const ctx = new OfflineAudioContext(2, 128, 48000);
  const options = {};
  if (backend !== undefined) options.backend = backend;
  if (variant !== undefined) options.variant = variant;
  try {
    const engine = await createDawgEngine(ctx, options);
    engine.dispose();
    return null;
  } catch (err) {
    return err.constructor.name + ": " + err.message;
  }
}
"""


@pytest.fixture
def blank_page(browser: Browser, server_url: str) -> Iterator[Any]:
    """``open(headers, init_script)``: a blank page of the server's origin."""
    contexts: list[BrowserContext] = []

    def open_page(headers: dict[str, str], init_script: str | None = None) -> Page:
        context = browser.new_context()
        contexts.append(context)
        if init_script is not None:
            context.add_init_script(init_script)
        context.route(
            server_url + "/blank.html",
            lambda route: route.fulfill(
                status=200, body=BLANK, headers={"Content-Type": "text/html", **headers}
            ),
        )
        page = context.new_page()
        page.console_errors = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))  # type: ignore[attr-defined]
        page.goto(server_url + "/blank.html")
        return page

    yield open_page
    for context in contexts:
        context.close()


def wasmtime_notes(dist: Path, variant: str, frames: int) -> np.ndarray:
    with Engine.from_dist(dist, variant, sample_rate_hz=RATE, tracks=1, max_quanta=64) as e:  # type: ignore[arg-type]
        session = parse_session(NOTES, e.params, e.units, e.sources)
        apply_session(session, e)
        return render_session(session, e, seconds=frames / RATE)


def stereo(result: dict[str, Any]) -> np.ndarray:
    return np.array([result["left"], result["right"]], dtype=np.float32)


def test_each_backend_asked_for_is_the_one_that_runs(page: Page, built_dist: Path) -> None:
    frames = 64 * 128
    for backend, variant in (("wasm-simd", "simd"), ("wasm-scalar", "scalar"), ("js", None)):
        got = page.evaluate(RENDER, {"backend": backend, "frames": frames, "doc": NOTES})
        assert (got["backend"], got["variant"]) == (backend, variant)
        out = stereo(got)
        assert np.all(np.isfinite(out)) and np.max(np.abs(out)) > 0.05
        if variant is not None:
            assert np.array_equal(out, wasmtime_notes(built_dist, variant, frames))
    # Chromium validates WebAssembly SIMD: "auto" (the default) takes wasm-simd.
    got = page.evaluate(RENDER, {"backend": None, "frames": 128, "doc": NOTES})
    assert got["backend"] == "wasm-simd"
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_backend_options_are_checked_by_name(page: Page) -> None:
    assert page.evaluate(REFUSED, {"backend": "wasm"}) == (
        'RangeError: backend = "wasm" is not one of "auto", "wasm-simd", "wasm-scalar", "js"'
    )
    assert page.evaluate(REFUSED, {"backend": "js", "variant": "simd"}) == (
        "TypeError: give options.backend or options.variant (its older name), not both"
    )
    message = page.evaluate(REFUSED, {"variant": "fast"})
    assert message.startswith('RangeError: variant = "fast" is not one of "auto", "simd", "scalar"')
    # The older name still works.
    assert page.evaluate(REFUSED, {"variant": "scalar"}) is None


def test_auto_runs_js_where_a_content_security_policy_refuses_webassembly(
    blank_page: Any, built_dist: Path
) -> None:
    page = blank_page(NO_WASM_CSP)
    got = page.evaluate(RENDER, {"backend": "auto", "frames": 64 * 128, "doc": NOTES})
    assert got["backend"] == "js"
    out = stereo(got)
    assert np.all(np.isfinite(out)) and np.max(np.abs(out)) > 0.05
    # Asked for by name, a refused backend is an error that says why.
    message = page.evaluate(REFUSED, {"backend": "wasm-scalar"})
    assert message is not None and "could not compile" in message
    assert "dawg_dsp.scalar.wasm" in message
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_auto_runs_js_where_there_is_no_webassembly(blank_page: Any) -> None:
    page = blank_page(ISOLATION, "delete globalThis.WebAssembly;")
    assert page.evaluate("typeof WebAssembly") == "undefined"
    got = page.evaluate(RENDER, {"backend": "auto", "frames": 64 * 128, "doc": NOTES})
    assert got["backend"] == "js"
    assert np.max(np.abs(stereo(got))) > 0.05
    assert page.evaluate(REFUSED, {"backend": "wasm-simd"}) == (
        'Error: this page has no WebAssembly; use backend "js" or "auto"'
    )
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_a_backend_that_fails_after_its_node_was_made_leaves_nothing_behind(
    blank_page: Any, server_url: str, built_dist: Path
) -> None:
    page = blank_page(ISOLATION, TRACK_NODES)
    # The SIMD file is served as an empty module: it compiles, but is no engine.
    page.context.route(
        server_url + "/dist/dawg_dsp.simd.wasm",
        lambda route: route.fulfill(
            status=200, body=b"\0asm\x01\0\0\0", headers={"Content-Type": "application/wasm"}
        ),
    )
    frames = 64 * 128
    got = page.evaluate(RENDER, {"backend": "auto", "frames": frames, "doc": NOTES})
    assert got["backend"] == "wasm-scalar"
    first, second = got["nodes"]
    assert first == {"disconnected": True, "disposed": True}
    # The engine that runs is whole: it renders exactly what wasmtime does.
    assert np.array_equal(stereo(got), wasmtime_notes(built_dist, "scalar", frames))
    assert second == {"disconnected": True, "disposed": True}  # RENDER disposes it at the end
    # Asked for by name: the error names the problem, and the one node made is gone.
    page.evaluate("globalThis.__nodes.length = 0")
    message = page.evaluate(REFUSED, {"backend": "wasm-simd"})
    assert message is not None and "lacks the exports" in message
    assert page.evaluate("globalThis.__nodes") == [{"disconnected": True, "disposed": True}]


# Play the reference session in real time, read the load twice a second apart.
REALTIME_LOAD = """
async ({ backend, events, doc }) => {
  const { createDawgEngine } = await import("/dist/dawg-engine.js");
  const ctx = new AudioContext({ sampleRate: 48000 });
  const options = { backend, events, session: doc, start: 0, measureLoad: true };
  const engine = await createDawgEngine(ctx, options);
  engine.node.connect(ctx.destination);
  await ctx.resume();
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  await wait(700);
  await engine.sync();
  const first = engine.load();
  await wait(1200);
  await engine.sync();
  const second = engine.load(first);
  const total = engine.load();
  const transport = engine.transport;
  engine.dispose();
  await ctx.close();
  return { first, second, total, transport };
}
"""


@pytest.mark.parametrize("events", ["ring", "message"])
def test_load_is_measured_over_every_quantum_rendered_in_real_time(
    page: Page, built_dist: Path, events: str
) -> None:
    doc = json.loads((built_dist / "reference-session.json").read_text(encoding="utf-8"))
    got = page.evaluate(REALTIME_LOAD, {"backend": "wasm-simd", "events": events, "doc": doc})
    first, second, total = got["first"], got["second"], got["total"]
    assert got["transport"] == events
    print(
        f"{events}: load {second['load']:.3f} over {second['quanta']} quanta "
        f"({second['busyMs']} ms busy of {second['renderedMs']:.0f} ms)"
    )
    for reading in (first, second, total):
        assert reading["quanta"] > 0
        assert reading["renderedMs"] == pytest.approx(reading["quanta"] * 128 * 1000 / RATE)
        assert reading["busyMs"] >= 0 and float(reading["busyMs"]).is_integer()
        assert reading["load"] == pytest.approx(reading["busyMs"] / reading["renderedMs"])
    # The second reading is the span between the two; the spans add up.
    assert second["quanta"] + first["counters"]["quanta"] == second["counters"]["quanta"]
    assert second["busyMs"] + first["counters"]["busyMs"] == second["counters"]["busyMs"]
    assert total["quanta"] == second["counters"]["quanta"]
    # A second of 20 tracks is real work: some milliseconds of it were measured.
    assert second["busyMs"] > 0
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_load_counts_every_quantum_of_an_offline_render(page: Page) -> None:
    frames = 300 * 128
    for backend in ("wasm-simd", "js"):
        got = page.evaluate(RENDER, {"backend": backend, "frames": frames, "doc": NOTES})
        load = got["load"]
        assert load["quanta"] == 300
        assert load["renderedMs"] == pytest.approx(frames * 1000 / RATE)
        assert load["counters"] == {"busyMs": load["busyMs"], "quanta": 300}
        assert load["load"] == pytest.approx(load["busyMs"] / load["renderedMs"])


# An engine created without measureLoad: whether load() answers, and its error.
UNTIMED = """
async ({ measureLoad }) => {
  const { createDawgEngine } = await import("/dist/dawg-engine.js");
  const ctx = new OfflineAudioContext(2, 128, 48000);
  const options = { backend: "js" };
  if (measureLoad !== null) options.measureLoad = measureLoad;
  let engine;
  try {
    engine = await createDawgEngine(ctx, options);
  } catch (err) {
    return { created: false, error: err.constructor.name + ": " + err.message };
  }
  try {
    engine.load();
    return { created: true, measures: engine.measuresLoad, error: null };
  } catch (err) {
    return { created: true, measures: engine.measuresLoad, error: err.message };
  } finally {
    engine.dispose();
  }
}
"""


def test_only_an_engine_asked_to_measure_load_times_its_work(page: Page) -> None:
    """Timing a quantum reads Date.now(), which allocates on the audio thread:
    it is opt-in, load() of an engine that does not time says how to ask,
    and the option takes only a boolean."""
    assert page.evaluate(UNTIMED, {"measureLoad": None}) == {
        "created": True,
        "measures": False,
        "error": "this engine does not measure its load; "
        "create it with createDawgEngine(ctx, { measureLoad: true })",
    }
    assert page.evaluate(UNTIMED, {"measureLoad": True}) == {
        "created": True,
        "measures": True,
        "error": None,
    }
    assert page.evaluate(UNTIMED, {"measureLoad": "yes"}) == {
        "created": False,
        "error": 'TypeError: measureLoad must be true or false, got "yes"',
    }
