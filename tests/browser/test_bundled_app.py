"""A web app that installs a build and is bundled by Vite plays on every
backend: a fresh app installs the build folder (`npm install`, offline, from
the local folder), its TypeScript type-checks against the package under
--strict, `vite build` bundles it (copying and renaming the wasm, the worklet
and the built-in samples it finds through `new URL("./file", import.meta.url)`),
and the bundled app, served on its own, renders the reference session in
Chromium on wasm-simd, wasm-scalar and js with no failed request and audible,
finite output. The same app also plays unbundled under Vite's dev server."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from dawgwasm._server import Mount, make_server
from tests.typescript import WEB_BIN, tsc_strict

pytestmark = pytest.mark.browser

BACKENDS = ("wasm-simd", "wasm-scalar", "js")
SECONDS = 3.0

INDEX_HTML = """\
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><link rel="icon" href="data:,"><title>dawg-dsp app</title></head>
<body><script type="module" src="./main.ts"></script></body>
</html>
"""

# The app: renders a session offline on a named backend and sums up what came out.
MAIN_TS = """\
import {
  createDawgEngine, MANIFEST, type Backend, type LoadReading, type SessionDocument,
} from "dawg-dsp";

export interface Played {
  backend: Backend;
  processor: string;
  frames: number;
  peak: number;
  rms: number;
  finite: boolean;
  load: LoadReading;
  errors: string[];
}

async function play(
  doc: SessionDocument, backend: Backend | "auto", seconds: number,
): Promise<Played> {
  const rate = 48000;
  const frames = Math.round(seconds * rate);
  const context = new OfflineAudioContext(2, frames, rate);
  const options = { backend, session: doc, start: 0, measureLoad: true };
  const engine = await createDawgEngine(context, options);
  const errors: string[] = [];
  engine.onError((e) => errors.push(e.message));
  engine.node.connect(context.destination);
  const out = await context.startRendering();
  await engine.sync();
  let peak = 0;
  let sum = 0;
  let finite = true;
  for (let c = 0; c < out.numberOfChannels; c++) {
    for (const x of out.getChannelData(c)) {
      if (!Number.isFinite(x)) finite = false;
      peak = Math.max(peak, Math.abs(x));
      sum += x * x;
    }
  }
  const load = engine.load();
  engine.dispose();
  return {
    backend: engine.backend,
    processor: MANIFEST.processor_name,
    frames: out.length,
    peak,
    rms: Math.sqrt(sum / (out.length * out.numberOfChannels)),
    finite,
    load,
    errors,
  };
}

declare global {
  interface Window {
    dawgPlay: typeof play;
  }
}
window.dawgPlay = play;
"""


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def app(built_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app's folder, the build installed in it and its TypeScript type-checked."""
    root = tmp_path_factory.mktemp("bundled")
    dist = root / "dist"
    shutil.copytree(built_dist, dist)
    app = root / "app"
    app.mkdir()
    (app / "package.json").write_text(
        json.dumps(
            {
                "name": "app",
                "private": True,
                "type": "module",
                "dependencies": {"dawg-dsp": "file:../dist"},
            }
        ),
        encoding="utf-8",
    )
    (app / "index.html").write_text(INDEX_HTML, encoding="utf-8")
    (app / "main.ts").write_text(MAIN_TS, encoding="utf-8")
    # A copy, as from a registry tarball (only the package's `files`), with no network.
    _run(["npm", "install", "--offline", "--install-links", "--no-audit", "--no-fund"], app)
    assert not (app / "node_modules" / "dawg-dsp").is_symlink()
    _run(tsc_strict("main.ts"), app)
    return app


@pytest.fixture(scope="module")
def bundled_app(app: Path) -> Path:
    """The app bundled: its `vite build` output folder."""
    _run([str(WEB_BIN / "vite"), "build", "--outDir", "out", "--emptyOutDir"], app)
    return app / "out"


@pytest.fixture(scope="module")
def app_url(bundled_app: Path) -> Iterator[str]:
    server = make_server([Mount("/", bundled_app)], host="127.0.0.1", port=0, isolation=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}"
    server.shutdown()
    server.server_close()


def test_the_bundle_holds_every_file_the_engine_loads_under_new_names(
    bundled_app: Path, built_dist: Path
) -> None:
    assets = {p.name: p for p in (bundled_app / "assets").iterdir()}
    manifest = json.loads((built_dist / "manifest.json").read_text(encoding="utf-8"))
    wanted = {
        "dawg-processor.js": built_dist / "dawg-processor.js",
        **{w["file"]: built_dist / w["file"] for w in manifest["wasm"].values()},
        **{p.name: p for p in (built_dist / "samples").glob("*.f32")},
    }
    for name, source in wanted.items():
        stem, dot, ext = name.rpartition(".")
        copies = [
            p for n, p in assets.items() if n.startswith(f"{stem}-") and n.endswith(dot + ext)
        ]
        assert len(copies) == 1, f"{name}: no renamed copy among {sorted(assets)}"
        assert copies[0].read_bytes() == source.read_bytes()
    # The worklet was copied as it is, so it must import nothing.
    processor = next(p for n, p in assets.items() if n.startswith("dawg-processor-"))
    assert "\nimport " not in processor.read_text(encoding="utf-8")


def play_everywhere(
    browser: Browser, url: str, doc: dict[str, Any], backends: tuple[str, ...]
) -> tuple[dict[str, Any], list[str], list[str], list[str]]:
    """Open the app at ``url`` and play ``doc`` on each backend: what each
    returned, the URLs fetched, failed requests and page errors."""
    context = browser.new_context()
    page = context.new_page()
    failed: list[str] = []
    fetched: list[str] = []

    def on_response(response: Any) -> None:
        fetched.append(response.url)
        if response.status >= 400:
            failed.append(f"{response.status} {response.url}")

    page.on("response", on_response)
    page.on("requestfailed", lambda r: failed.append(f"failed {r.url}: {r.failure}"))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(url)
        page.wait_for_function("typeof window.dawgPlay === 'function'", timeout=30000)
        played: dict[str, Any] = {}
        for backend in backends:
            got = page.evaluate(
                "([doc, backend, seconds]) => window.dawgPlay(doc, backend, seconds)",
                [doc, backend, SECONDS],
            )
            played[backend] = got
            print(
                f"{backend:>11} -> {got['backend']}: peak {got['peak']:.3f}, rms {got['rms']:.4f}, "
                f"load {got['load']['load']:.3f} over {got['load']['quanta']} quanta"
            )
    finally:
        context.close()
    return played, fetched, failed, errors


def check_played(got: dict[str, Any], backend: str) -> None:
    assert got["backend"] == backend
    assert got["processor"] == "dawgwasm-mixer"
    assert got["errors"] == []
    assert got["frames"] == round(SECONDS * 48000)
    assert got["finite"], f"{backend}: non-finite output"
    assert got["peak"] > 0.05 and got["rms"] > 0.005, f"{backend}: (nearly) silent: {got}"
    assert got["peak"] <= 4.0
    # Every quantum rendered was measured.
    assert got["load"]["quanta"] == got["frames"] // 128


def test_the_bundled_app_plays_the_reference_session_on_every_backend(
    browser: Browser, app_url: str, built_dist: Path
) -> None:
    doc = json.loads((built_dist / "reference-session.json").read_text(encoding="utf-8"))
    played, fetched, failed, errors = play_everywhere(
        browser, app_url + "/", doc, (*BACKENDS, "auto")
    )
    assert failed == []
    assert errors == []
    for backend in BACKENDS:
        check_played(played[backend], backend)
    # Chromium runs WebAssembly SIMD: "auto" picks wasm-simd.
    assert played["auto"]["backend"] == "wasm-simd"
    # The page fetched the renamed copies of the bundle (the worklet's own
    # fetch is not a page request: that it ran shows it loaded).
    assert any("/assets/dawg_dsp.simd-" in u for u in fetched)
    assert any("/assets/dawg_dsp.scalar-" in u for u in fetched)
    assert any("/assets/keys-" in u for u in fetched)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_app_plays_under_the_vite_dev_server_too(
    browser: Browser, app: Path, built_dist: Path
) -> None:
    """Unbundled, as `vite` serves it while developing (its dependency
    optimiser and all): the same files load from the installed package."""
    port = free_port()
    server = subprocess.Popen(
        [str(WEB_BIN / "vite"), "--host", "127.0.0.1", "--port", str(port), "--strictPort"],
        cwd=app,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        doc = json.loads((built_dist / "reference-session.json").read_text(encoding="utf-8"))
        played, fetched, failed, errors = play_everywhere(browser, url, doc, BACKENDS)
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert failed == [], out
    assert errors == [], out
    for backend in BACKENDS:
        check_played(played[backend], backend)
    assert any(u.endswith("/dawg_dsp.simd.wasm") for u in fetched)
