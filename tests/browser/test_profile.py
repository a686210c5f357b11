"""``dawgwasm profile`` runs in real Chromium: its quick mode renders every
arm (the feed, the hand-optimised JavaScript anchor, the browser's own nodes,
and the engine on the js, wasm-scalar and wasm-simd backends) at every track
count, every engine arm's output matches the anchor's (the same strip, far
below the signal), every output is finite and not silent, every arm then
plays in realtime with render capacity, underruns and latency read and a
trace giving the load of every quantum and the collections on the render
thread, every arm's capacity is searched, start-up, event-to-sound latency
and messages during a fader drag are probed, idle tracks are timed, and it
prints the tables and writes the JSON the README describes. The trace's
count of garbage collections is checked against a worklet that allocates
and one that does not. Bad limits and a Chromium that is not there are
refused before anything starts. Times are only checked to be numbers: never
how large they are."""

from __future__ import annotations

import json
import math
import shutil
import statistics
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from dawgwasm import _trace
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
    tools = report["machine"]["toolchain"]
    assert tools["dawgwasm"] and tools["python"] and tools["playwright"]
    assert tools["build"]["abi_version"] >= 2
    assert set(tools["build"]["wasm"]) == {"simd", "scalar"}

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
        assert math.isclose(r["x_realtime"], frames / 48000 * 1e3 / r["median_ms"])
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
        # The trace: every quantum after the first second, on the thread that rendered.
        load = r["quantum_load"]
        assert r["render_thread"] in ("Realtime AudioWorklet thread", "AudioOutputDevice"), r
        assert load["quanta"] > 0.5 * (r["wall_s"] - 1.0) * 48000 / 128, r
        assert 0 < load["p50"] <= load["p99"] <= load["max"], r
        assert sum(load["histogram"]["counts"]) == load["quanta"]
        worklet = r["worklet_load"]
        if r["arm"] == "nodes":
            assert worklet is None and r["render_thread"] == "AudioOutputDevice"
        else:
            assert worklet["quanta"] == load["quanta"]
            assert 0 <= worklet["p50"] <= load["max"], r
        assert r["gc"]["events"] >= 0 and r["gc"]["startup_events"] >= 0
        # The worklet isolate's heap, read from its own DevTools target.
        heap = r["worklet_heap"]
        if r["arm"] == "nodes":
            assert heap is None
        else:
            assert heap["after_settle"]["usedSize"] > 0, heap
            assert heap["growth_bytes"]["usedSize"] == (
                heap["at_end"]["usedSize"] - heap["after_settle"]["usedSize"]
            )
    assert "capacity" in proc.stdout and "load p50" in proc.stdout and "worklet p50" in proc.stdout
    # Every arm played a second time: the two loads and how far apart they are.
    assert [a["arm"] for a in realtime["stability"]] == ARMS
    for a, first in zip(realtime["stability"], realtime["arms"], strict=True):
        one, two = a["render_capacity_mean"]
        assert one == first["render_capacity_mean"] and 0 < two <= 1.0, a
        assert math.isclose(a["relative_change"], abs(two - one) / ((one + two) / 2))
        assert a["stable"] == (a["relative_change"] <= realtime["stable_within"])

    # The capacity search: 16 and 32 tracks (the quick limit) for every strip
    # arm, and its answers are what its steps say.
    capacity = report["capacity"]
    assert capacity["target"] == 0.5 and capacity["max_tracks"] == 32
    assert [c["arm"] for c in capacity["arms"]] == STRIP_ARMS
    for c in capacity["arms"]:
        steps = c["steps"]
        assert [s["tracks"] for s in steps] == sorted(s["tracks"] for s in steps)
        assert {16}.issubset(s["tracks"] for s in steps), c
        under = None
        for s in steps:
            assert 0 < s["render_capacity_mean"] <= 1.0 and s["underruns"] >= 0, s
            if s["render_capacity_mean"] >= 0.5:
                break
            under = s["tracks"]
        assert c["tracks_at_target"] == under, c
        if not any(s["sustained_underruns"] for s in steps):
            assert c["tracks_before_underruns"] == steps[-1]["tracks"] == 32
    assert "capacity search" in proc.stdout
    assert "heap KB" in proc.stdout and "msgs/s drag (still)" in proc.stdout

    # The probes: start-up, three latency trials (quick), and a fader drag whose
    # messages are counted (the anchor takes one per change; the nodes'
    # AudioParams none; the engine's ring none).
    probes = {p["arm"]: p for p in report["probes"]}
    assert list(probes) == STRIP_ARMS
    for p in probes.values():
        assert p["fatal"] is None
        assert p["startup_ms"] > 0, p
        assert len(p["latency_ms"]) == 3 and all(x > 0 for x in p["latency_ms"]), p
        assert p["latency_ms_median"] == statistics.median(p["latency_ms"])
        assert all(x >= 0 for x in p["render_latency_ms"]), p
        assert p["fader_changes"] > 50 / 2
    assert probes["anchor"]["transport"] == "message"
    assert probes["anchor"]["messages_per_s"] > 10
    assert probes["anchor"]["quiet_messages_per_s"] == 0
    assert probes["nodes"]["transport"] == "AudioParam"
    assert probes["nodes"]["messages_per_s"] == 0
    for arm in ENGINE_ARMS:
        assert probes[arm]["transport"] == "ring", probes[arm]
        assert probes[arm]["messages_per_s"] == 0, probes[arm]
        # The same engine with its message transport: at most one message
        # per animation frame while dragging, and a latency measured.
        by_message = probes[arm]["message_transport"]
        assert by_message["transport"] == "message"
        # (at most one flush per animation frame, besides what it posts
        # anyway: its meter buffers, returned)
        assert by_message["messages_per_s"] > 0, by_message
        assert by_message["messages_per_s"] - by_message["quiet_messages_per_s"] <= 75
        assert by_message["latency_ms_median"] > 0
    assert probes["anchor"]["message_transport"] is None

    # The reference session on every engine backend: the wasm builds
    # bit-identical, the JavaScript engine far below the signal, and each
    # backend's speed against the others from the medians.
    session = report["session"]
    assert session["tracks"] >= 8 and session["seconds"] == config["seconds"]
    assert [a["arm"] for a in session["arms"]] == ["wasm-simd", "wasm-scalar", "js"]
    for a in session["arms"]:
        timed = [r for r in session["runs"] if r["arm"] == a["arm"] and r["timed"]]
        assert len(timed) == config["repeat"]
        assert a["median_ms"] == statistics.median(r["wall_ms"] for r in timed)
        assert a["agrees"] is True, a
        assert all(r["finite"] and r["rms"] > 1e-4 for r in timed)
    by_arm = {a["arm"]: a for a in session["arms"]}
    assert by_arm["wasm-scalar"]["identical"] is True
    assert by_arm["js"]["diff_rms_db"] < -80.0
    assert math.isclose(
        session["speedup"]["wasm-simd over js"],
        by_arm["js"]["median_ms"] / by_arm["wasm-simd"]["median_ms"],
    )
    assert "reference session" in proc.stdout

    # Idle tracks at the largest count, against the same arm active.
    idle = report["idle"]
    assert idle["tracks"] == max(QUICK_TRACKS)
    for r in idle["arms"]:
        active = results[(idle["tracks"], r["arm"])]["ns_per_track_sample"]
        assert len(r["wall_ms"]) == config["repeat"]
        if active > 0:
            assert math.isclose(r["idle_to_active"], r["ns_per_track_sample"] / active)
    assert [r["arm"] for r in idle["arms"]] == STRIP_ARMS

    # The table: a column per arm and a row per track count.
    for arm in STRIP_ARMS:
        assert f"{arm} ns" in proc.stdout
    assert "js/anchor" in proc.stdout and "nodes/anchor" in proc.stdout
    assert f"report → {out}" in proc.stdout.replace("\n", "")
    # The HTML page beside the JSON, self-contained, naming every arm.
    page = out.with_suffix(".html").read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
    for arm in ARMS:
        assert arm in page


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
        ({"realtime_seconds": 61.0}, "realtime seconds must be 0 \\(none\\) or 2 to 60"),
        ({"realtime_seconds": 1.0}, "realtime seconds must be 0 \\(none\\) or 2 to 60"),
        ({"realtime_seconds": math.nan}, "realtime seconds must be 0 \\(none\\) or 2 to 60"),
        ({"realtime_tracks": 0}, "realtime tracks must be 1 to 256"),
        ({"capacity_seconds": 11.0}, "capacity seconds must be 0 to 10"),
        ({"capacity_max_tracks": 2048}, "capacity search tracks must be 16 to 1024"),
        ({"probe_trials": 0}, "probe trials must be 1 to 50"),
        ({"drag_ms": 50.0}, "the fader drag must last 100 to 30000 ms"),
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


ALLOCATING = """
class Churn extends AudioWorkletProcessor {
  process(inputs, outputs) {
    // about 8 KB of garbage a quantum, 3 MB a second: the young generation fills often
    this.kept = new Array(1000).fill(currentFrame);
    outputs[0][0][0] = this.kept.length * 0;
    return true;
  }
}
registerProcessor("churn", Churn);
"""

QUIET = ALLOCATING.replace("this.kept = new Array(1000).fill(currentFrame);", "")

PLAY = """async ({code, name}) => {
  const url = URL.createObjectURL(new Blob([code], {type: "text/javascript"}));
  const ctx = new AudioContext({sampleRate: 48000});
  await ctx.audioWorklet.addModule(url);
  new AudioWorkletNode(ctx, name).connect(ctx.destination);
  await ctx.resume();
  await new Promise((r) => setTimeout(r, 3000));
  await ctx.close();
}"""


@pytest.mark.parametrize(("code", "collects"), [(ALLOCATING, True), (QUIET, False)])
def test_trace_counts_collections_on_the_render_thread(
    browser: Browser, page: Page, code: str, collects: bool
) -> None:
    browser.start_tracing(page=page, categories=list(_trace.CATEGORIES))
    try:
        page.evaluate(PLAY, {"code": code, "name": "churn"})
    finally:
        data = browser.stop_tracing()
    summary = _trace.audio_thread_summary(
        _trace.parse_trace(data), quantum_s=128 / 48000, settle_s=1.0
    )
    assert summary["thread"] == "Realtime AudioWorklet thread"
    assert summary["quantum_load"]["quanta"] > 300
    assert summary["worklet_load"]["quanta"] == summary["quantum_load"]["quanta"]
    if collects:
        assert summary["gc"]["events"] > 0 and summary["gc"]["ms"] > 0, summary["gc"]
    else:
        assert summary["gc"]["events"] == 0, summary["gc"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "trace is not JSON"),
        (b'{"other": []}', "no traceEvents list"),
        (b'{"traceEvents": []}', "no RealtimeAudioDestinationHandler::Render events"),
    ],
)
def test_a_trace_without_render_quanta_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(_trace.TraceError, match=message):
        _trace.audio_thread_summary(_trace.parse_trace(data), quantum_s=0.001, settle_s=0.0)


def test_profile_reports_the_other_arms_when_a_backend_fails_to_load(
    built_dist: Path, tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    shutil.copytree(built_dist, dist)
    (dist / "dawg_dsp.simd.wasm").write_bytes(b"\0asm not a module")
    out = tmp_path / "profile.json"
    # The command line, in a process of its own (Playwright's sync API does
    # not nest in the session's browser).
    proc = run(
        "profile",
        "--dist",
        str(dist),
        "--tracks",
        "4",
        "--seconds",
        "0.2",
        "--repeat",
        "1",
        *("--arm", "anchor", "--arm", "wasm-simd", "--arm", "wasm-scalar"),
        *("--realtime-seconds", "2", "--realtime-tracks", "4"),
        *("--capacity-seconds", "0", "--no-probes", "--out", str(out)),
        timeout=600,
    )
    assert proc.returncode == 1 and "wasm-simd" in proc.stderr, proc.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["errors"], report["errors"]
    assert all("wasm-simd" in e for e in report["errors"]), report["errors"]
    # The other arms rendered, were checked, and played.
    for arm in ("feed", "anchor", "wasm-scalar"):
        assert any(r["arm"] == arm and r["timed"] for r in report["runs"]), arm
    assert not any(r["arm"] == "wasm-simd" for r in report["runs"])
    assert all(c["ok"] for c in report["checks"]), report["checks"]
    assert [a["arm"] for a in report["session"]["arms"]] == ["wasm-scalar"]
    assert [r["arm"] for r in report["realtime"]["arms"]] == ["feed", "anchor", "wasm-scalar"]


def test_profile_keeps_what_it_measured_when_chromium_dies(
    built_dist: Path, tmp_path: Path
) -> None:
    # A Chromium that is killed 12 s after Playwright starts it (the version
    # query that comes first is left alone).
    chromium = tmp_path / "chromium-that-dies"
    chromium.write_text(
        "#!/bin/sh\n"
        'case "$*" in *--remote-debugging-pipe*) ( sleep 12; kill -KILL $$ ) & ;; esac\n'
        'exec /usr/bin/chromium "$@"\n',
        encoding="utf-8",
    )
    chromium.chmod(0o755)
    out = tmp_path / "profile.json"
    proc = run(
        "profile",
        "--dist",
        str(built_dist),
        "--chromium",
        str(chromium),
        "--tracks",
        "4",
        "--seconds",
        "1",
        "--repeat",
        "20",
        "--realtime-seconds",
        "0",
        "--capacity-seconds",
        "0",
        "--no-probes",
        "--out",
        str(out),
        timeout=600,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Chromium closed or crashed" in proc.stderr
    assert "Traceback" not in proc.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert any("Chromium closed or crashed" in e for e in report["errors"])
    # What was rendered before is there, whole.
    timed = [r for r in report["runs"] if r["timed"]]
    assert timed and all(r["finite"] for r in timed)


def test_a_crashed_profile_page_is_replaced_by_a_working_one(browser: Browser) -> None:
    from dawgwasm._profile_page import Pages

    pages = Pages(browser, "about:blank")
    first = pages.current()
    assert first.evaluate("1 + 1") == 2
    with pytest.raises(Exception, match=r"(?i)crash"):
        first.goto("chrome://crash")
    second = pages.current()
    assert second is not first and pages.crashes == 1
    assert second.evaluate("2 + 2") == 4
    second.close()
