"""``dawgwasm profile`` runs in real Chromium: its quick mode renders every
arm (the feed, the hand-optimised JavaScript anchor, the browser's own nodes,
and the engine on the js, wasm-scalar and wasm-simd backends) at every track
count, every engine arm's output matches the anchor's (the same strip, far
below the signal), every output is finite and not silent, every arm then
plays in realtime with render capacity, underruns and latency read, and it
prints the tables and writes the JSON the README describes. Bad limits and a Chromium
that is not there are refused before anything starts. Times are only checked
to be numbers: never how large they are."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest

from dawgwasm._profile import ProfileError, run_profile
from tests.cli.test_cli import run

pytestmark = pytest.mark.browser

ARMS = ["feed", "anchor", "nodes", "js", "wasm-scalar", "wasm-simd"]
STRIP_ARMS = ARMS[1:]
ENGINE_ARMS = ["js", "wasm-scalar", "wasm-simd"]
QUICK_TRACKS = [4, 8]


def test_profile_quick_reports_every_arm_at_every_track_count(
    built_dist: Path, tmp_path: Path
) -> None:
    out = tmp_path / "profile.json"
    proc = run("profile", "--quick", "--dist", str(built_dist), "--out", str(out), timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text(encoding="utf-8"))

    assert report["format"] == "dawgwasm-profile"
    assert report["version"] == 1
    config = report["config"]
    assert config["tracks"] == QUICK_TRACKS
    assert config["arms"] == ARMS
    assert config["rate_hz"] == 48000 and config["repeat"] == 1
    assert report["errors"] == []
    for key in ("cpu", "cores", "chromium", "loadavg_start", "loadavg_end"):
        assert key in report["machine"], key

    # Every arm at every track count, timed `repeat` times, on output that is there.
    for n in QUICK_TRACKS:
        for arm in ARMS:
            timed = [
                r for r in report["runs"] if r["tracks"] == n and r["arm"] == arm and r["timed"]
            ]
            assert len(timed) == config["repeat"], (n, arm)
            for r in timed:
                assert r["frames"] == round(config["seconds"] * 48000)
                assert r["finite"] is True
                assert math.isfinite(r["wall_ms"]) and r["wall_ms"] >= 0
                if arm == "feed":
                    assert r["rms"] == 0.0
                else:
                    assert r["rms"] > 1e-3
                if arm in ENGINE_ARMS:
                    assert r["diff_rms_db"] < -80.0, (n, arm, r["diff_rms_db"])
                else:
                    assert "diff_rms_db" not in r
    assert report["checks"] and all(c["ok"] for c in report["checks"]), report["checks"]

    # One result per arm and track count, ns per track-sample for the strip arms.
    results = {(r["tracks"], r["arm"]): r for r in report["results"]}
    assert set(results) == {(n, a) for n in QUICK_TRACKS for a in ARMS}
    frames = round(config["seconds"] * 48000)
    for (n, arm), r in results.items():
        timed_ms = [
            x["wall_ms"]
            for x in report["runs"]
            if x["tracks"] == n and x["arm"] == arm and x["timed"]
        ]
        assert r["median_ms"] == statistics.median(timed_ms)
        if arm != "feed":
            # ns per track-sample: the feed's median subtracted, over the timed frames.
            feed_ms = results[(n, "feed")]["median_ms"]
            expected = (r["median_ms"] - feed_ms) * 1e6 / (n * frames)
            assert math.isclose(r["ns_per_track_sample"], expected, rel_tol=1e-12), (n, arm)
            assert math.isfinite(r["ns_per_track_sample_min"])
    ratios = {r["tracks"]: r for r in report["ratios"]}
    assert sorted(ratios) == QUICK_TRACKS
    for n, r in ratios.items():
        ns = {a: results[(n, a)]["ns_per_track_sample"] for a in STRIP_ARMS}
        for base in ("anchor", "nodes"):
            if ns[base] > 0:
                for a in STRIP_ARMS:
                    if a != base:
                        assert math.isclose(r[f"{a}/{base}"], ns[a] / ns[base]), (n, a, base)

    # The realtime phase: every arm played, with readings after its start-up.
    realtime = report["realtime"]
    assert realtime["seconds"] == 2.0 and realtime["tracks"] == 8
    assert "fake output" in realtime["output"]
    assert [r["arm"] for r in realtime["arms"]] == ARMS
    for r in realtime["arms"]:
        assert r["fatal"] is None
        assert r["readings"] >= 1, r
        # getRealtimeData's render capacity is a 0-1 ratio of the callback's budget
        assert 0.0 < r["render_capacity_mean"] <= r["render_capacity_max"] <= 1.0, r
        assert 0.001 < r["callback_interval_mean_s"] < 0.1, r
        stats = r["playback_stats"]
        assert stats["underrunEvents"] >= 0 and stats["underrunDuration"] >= 0
        assert stats["averageLatency"] > 0
        assert r["wall_s"] >= 2.0 and math.isfinite(r["current_time_drift_s"])
    assert "render capacity mean" in proc.stdout

    # The table: a column per arm and a row per track count.
    for arm in STRIP_ARMS:
        assert f"{arm} ns" in proc.stdout
    assert "js/anchor" in proc.stdout and "nodes/anchor" in proc.stdout
    assert f"report → {out}" in proc.stdout.replace("\n", "")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tracks": (0,)}, "track counts must be 1 to 256"),
        ({"tracks": ()}, "track counts must be 1 to 256"),
        ({"seconds": 0.0}, "seconds per render must be 0.1 to 60"),
        ({"seconds": math.inf}, "seconds per render must be 0.1 to 60"),
        ({"repeat": 21}, "repetitions must be 1 to 20"),
        ({"arms": ("faust",)}, "unknown arm 'faust'"),
        ({"arms": ()}, "no arm to run"),
        ({"realtime_seconds": 61.0}, "realtime seconds must be 0 to 60"),
        ({"realtime_seconds": math.nan}, "realtime seconds must be 0 to 60"),
        ({"realtime_tracks": 0}, "realtime tracks must be 1 to 256"),
    ],
)
def test_profile_refuses_bad_limits_before_starting_anything(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ProfileError, match=message):
        run_profile(Path("/nonexistent-build"), **kwargs)  # type: ignore[arg-type]


def test_profile_names_a_chromium_that_is_not_there(built_dist: Path, tmp_path: Path) -> None:
    out = tmp_path / "profile.json"
    missing = tmp_path / "no-chromium"
    proc = run(
        "profile",
        "--quick",
        "--dist",
        str(built_dist),
        "--chromium",
        str(missing),
        "--out",
        str(out),
    )
    assert proc.returncode == 1
    assert f"{missing} is not an executable file" in proc.stderr
    assert not out.exists()


def test_profile_refuses_a_folder_that_is_not_a_build(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="holds no dawgwasm build"):
        run_profile(tmp_path, tracks=(1,), seconds=0.1, repeat=1)
