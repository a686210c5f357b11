"""Driving the demo page in Chromium: start it, read what it shows, and
record its levels and meters on every animation frame while something
happens (a backend switch, a control moved)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

#: Install a recorder: on every animation frame, the context time, the
#: page's output level and the engine's meter snapshot and backend.
RECORD_JS = """() => {
  window.__rec = [];
  window.__recOn = true;
  const loop = () => {
    const d = window.dawgDemo;
    const e = d.engine;
    if (e !== null) {
      const m = e.meters();
      window.__rec.push({
        t: d.context.currentTime,
        level: d.levelDb,
        backend: e.backend,
        tracks: m.tracks.map((x) => Math.max(x.peak[0], x.peak[1])),
        buses: m.buses.map((x) => Math.max(x.peak[0], x.peak[1])),
      });
    }
    if (window.__recOn) requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
}"""


def manifest(dist: Path) -> dict[str, Any]:
    return dict(json.loads((dist / "manifest.json").read_text()))


def spec(dist: Path, name: str) -> dict[str, Any]:
    return next(p for p in manifest(dist)["params"] if p["name"] == name)


def session_doc(dist: Path) -> dict[str, Any]:
    return dict(json.loads((dist / "reference-session.json").read_text()))


def track_index(dist: Path, name: str) -> int:
    return [t["name"] for t in session_doc(dist)["tracks"]].index(name)


def start(page: Page, timeout_ms: int = 30000) -> None:
    """Press Start and wait until the output is audible."""
    page.get_by_role("button", name="Start").click()
    page.wait_for_function(
        "window.dawgDemo.engine !== null && window.dawgDemo.levelDb > -50", timeout=timeout_ms
    )


def record(page: Page) -> None:
    page.evaluate(RECORD_JS)


def recorded(page: Page, since_t: float | None = None) -> list[dict[str, Any]]:
    """What the recorder saw (from context time ``since_t`` on)."""
    rows: list[dict[str, Any]] = page.evaluate("window.__rec")
    return rows if since_t is None else [r for r in rows if r["t"] >= since_t]


def now(page: Page) -> float:
    return float(page.evaluate("window.dawgDemo.context.currentTime"))


def peak_over(
    page: Page, seconds: float, *, track: int | None = None, bus: int | None = None
) -> float:
    """The largest meter peak of a track or bus over the next ``seconds`` of audio."""
    t0 = now(page)
    deadline = time.monotonic() + seconds * 4 + 10
    while now(page) < t0 + seconds:
        assert time.monotonic() < deadline, "the audio context stopped advancing"
        page.wait_for_timeout(100)
    rows = recorded(page, t0)
    assert rows, "no meter readings were recorded"
    key, index = ("tracks", track) if track is not None else ("buses", bus)
    return float(max(r[key][index] for r in rows))
