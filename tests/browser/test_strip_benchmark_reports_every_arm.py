"""The strip benchmark (bench/browser_strip.py) runs in real Chromium: its
quick mode renders every arm (feed, the hand-optimised JavaScript anchor, and
the engine on the js, wasm-scalar and wasm-simd backends) at every track
count, every engine arm's output matches the anchor's (the same strip, far
below the signal), and it prints the table and writes the JSON the README
describes. Times are only checked to be numbers: never how large they are."""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "browser_strip.py"
ARMS = ["feed", "anchor", "js", "wasm-scalar", "wasm-simd"]
STRIP_ARMS = ARMS[1:]
QUICK_TRACKS = [4, 8]


def test_quick_mode_reports_every_arm_at_every_track_count(
    built_dist: Path, tmp_path: Path
) -> None:
    out = tmp_path / "quick.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--dist", str(built_dist), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text(encoding="utf-8"))

    assert report["format"] == "dawgwasm-bench-browser-strip"
    assert report["version"] == 1
    config = report["config"]
    assert config["quick"] is True
    assert config["tracks"] == QUICK_TRACKS
    assert config["arms"] == ARMS
    assert config["rate_hz"] == 48000
    assert report["errors"] == []
    for key in ("cpu", "cores", "chromium", "loadavg_start", "loadavg_end"):
        assert key in report["machine"], key

    # Every arm at every track count, timed `reps` times, on output that is there.
    for n in QUICK_TRACKS:
        for arm in ARMS:
            timed = [
                r for r in report["runs"] if r["tracks"] == n and r["arm"] == arm and r["timed"]
            ]
            assert len(timed) == config["reps"], (n, arm)
            for r in timed:
                assert r["frames"] == round(config["seconds"] * 48000)
                assert r["finite"] is True
                assert math.isfinite(r["wall_ms"]) and r["wall_ms"] >= 0
                if arm == "feed":
                    assert r["rms"] == 0.0
                else:
                    assert r["rms"] > 1e-3
                if arm in ("js", "wasm-scalar", "wasm-simd"):
                    assert r["diff_rms_db"] < -80.0, (n, arm, r["diff_rms_db"])
    assert report["checks"] and all(c["ok"] for c in report["checks"]), report["checks"]

    # One result per arm and track count, ns per track-sample for the strip arms.
    results = {(r["tracks"], r["arm"]): r for r in report["results"]}
    assert set(results) == {(n, a) for n in QUICK_TRACKS for a in ARMS}
    frames = round(config["seconds"] * 48000)
    for (n, arm), r in results.items():
        timed = [
            x["wall_ms"]
            for x in report["runs"]
            if x["tracks"] == n and x["arm"] == arm and x["timed"]
        ]
        assert r["median_ms"] == statistics.median(timed)
        if arm != "feed":
            # ns per track-sample: the feed's median subtracted, over the timed frames.
            feed_ms = results[(n, "feed")]["median_ms"]
            expected = (r["median_ms"] - feed_ms) * 1e6 / (n * frames)
            assert math.isclose(r["ns_per_track_sample"], expected, rel_tol=1e-12), (n, arm)
            assert math.isfinite(r["ns_per_track_sample_min"])
    ratios = {r["tracks"]: r for r in report["ratios"]}
    assert sorted(ratios) == QUICK_TRACKS
    for r in ratios.values():
        assert sorted(k for k in r if k != "tracks") == sorted(
            f"{a}/anchor" for a in STRIP_ARMS if a != "anchor"
        )

    # The table: a header naming every arm and a row per track count.
    lines = proc.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("tracks | feed ms"))
    for arm in STRIP_ARMS:
        assert f"{arm} ns" in lines[header]
    assert "js/anchor" in lines[header]
    rows = [line.split(" | ")[0] for line in lines[header + 2 : header + 2 + len(QUICK_TRACKS)]]
    assert rows == [str(n) for n in QUICK_TRACKS]
