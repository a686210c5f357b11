"""``dawgwasm profile``: the engine in real Chromium, driven by Playwright,
against the browser's own nodes and a hand-optimised JavaScript worklet.

The workload is the channel strip: every track runs the same stereo strip
(low shelf 200 Hz +3 dB, peak 1 kHz -2 dB, high shelf 3 kHz +2 dB,
compressor -18 dB 4:1 3 ms/100 ms, gain -2 dB, pan 0.3) on looped noise of
its own, all tracks summed. Each arm renders in an OfflineAudioContext,
timed around ``startRendering()`` on the page; arms are interleaved (every
repetition runs every arm at every track count, in a rotated order) after
one untimed warm-up render each, and the median is taken. The feed (the N
looping sources into an N-input worklet that does nothing) is measured the
same way and subtracted, so what remains is the strip:

    ns per track-sample = (median(arm) - median(feed)) / (tracks x frames)

Arms (web/profile/): ``anchor`` (one hand-optimised JavaScript worklet, f64
state loaded into locals per block), ``nodes`` (per track 3 x
BiquadFilterNode, DynamicsCompressorNode, GainNode, StereoPannerNode: the
graph most web DAWs build), and the engine with backend ``js``,
``wasm-scalar`` and ``wasm-simd`` (strips only). Before a result counts,
every output is checked: finite, not silent, and each engine arm within
SAME_WORK_DB of the anchor's (the same strip; the browser's compressor is
not the same, so the nodes arm is only checked to be there).

Then, unless disabled, each arm plays in a realtime AudioContext for a set
time at one track count. Headless Chromium plays on a fake output device
(10 ms callbacks): the figures say how loaded the render thread was, not
how a sound card would fare. Every POLL_S the DevTools protocol's
``WebAudio.getRealtimeData`` gives the render capacity (a 0-1 ratio of the
callback's time budget) and the callback interval's mean and variance;
``AudioContext.playbackStats`` gives underruns and output latency; the drift
of ``currentTime`` against the wall clock is kept too.
"""

from __future__ import annotations

import math
import os
import statistics
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dawgwasm import _paths, _trace
from dawgwasm import _profile_realtime as _realtime
from dawgwasm._browser import launch_chromium
from dawgwasm._errors import DawgwasmError
from dawgwasm._profile_machine import machine, toolchain
from dawgwasm._profile_page import BrowserGone, Pages, call
from dawgwasm._profile_realtime import capacity_table, probe_table, realtime_table
from dawgwasm._profile_session import (
    SESSION_ARMS,
    render_session,
    session_summary,
    session_table,
)
from dawgwasm._server import Mount, make_server

__all__ = [
    "ARMS",
    "FORMAT",
    "STRIP_ARMS",
    "ProfileError",
    "capacity_table",
    "planned_steps",
    "probe_table",
    "realtime_table",
    "run_profile",
    "session_table",
    "summary_table",
]

#: Every arm; "feed" is always run (it is subtracted from the others).
ARMS = ("feed", "anchor", "nodes", "js", "wasm-scalar", "wasm-simd")
STRIP_ARMS = ARMS[1:]
ENGINE_ARMS = ("js", "wasm-scalar", "wasm-simd")
RATE_HZ = 48000
#: An engine arm's output must differ from the anchor's by less than this
#: (RMS of the difference relative to the RMS of the output), dB.
SAME_WORK_DB = -80.0
#: Limits, checked before Chromium starts.
MAX_TRACKS = 256
SECONDS_RANGE = (0.1, 60.0)
MAX_REPEAT = 20
#: Seconds of audio rendered by each untimed warm-up render.
WARMUP_SECONDS = 1.0
FORMAT = "dawgwasm-profile"
FORMAT_VERSION = 1
#: Limits of the realtime phases.
MAX_REALTIME_SECONDS = 60.0
#: Each arm is played a second time (untraced) for at most this long, to
#: see whether the fake output device gives the same load twice.
REPLAY_SECONDS_MAX = 4.0
#: The first second of play is start-up, left out of the figures.
MIN_REALTIME_SECONDS = 2.0
MAX_CAPACITY_SECONDS = 10.0
#: Limits of the probes.
MAX_PROBE_TRIALS = 50
MAX_DRAG_MS = 30000.0
#: Steps of one arm's capacity search, for the progress bar's estimate.
CAPACITY_STEPS_GUESS = 8
#: Idle tracks are rendered for at most this long (they are mostly cheap).
IDLE_SECONDS_MAX = 2.0


class ProfileError(DawgwasmError):
    """A profile could not run as asked, or its arms did not do the same work."""


def schedule(tracks: Sequence[int], arms: Sequence[str], reps: int) -> list[tuple[int, int, str]]:
    """(rep, tracks, arm) in run order: every arm at every track count in each
    repetition, the arm order rotated from one repetition to the next."""
    order: list[tuple[int, int, str]] = []
    for rep in range(reps):
        shift = rep % len(arms)
        rotated = [*arms[shift:], *arms[:shift]]
        for n in tracks:
            order.extend((rep, n, arm) for arm in rotated)
    return order


def summarise(
    runs: list[dict[str, Any]], tracks: Sequence[int], arms: Sequence[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per (tracks, arm): the median time and ns per track-sample over the feed
    (and the same from the fastest runs); per track count: each arm's time
    relative to the anchor's and to the browser's nodes."""
    results: list[dict[str, Any]] = []
    ratios: list[dict[str, Any]] = []
    for n in tracks:
        timed = {
            arm: [r["wall_ms"] for r in runs if r["tracks"] == n and r["arm"] == arm and r["timed"]]
            for arm in arms
        }
        if not timed.get("feed"):
            continue
        feed_ms = statistics.median(timed["feed"])
        frames = next(r["frames"] for r in runs if r["tracks"] == n and r["timed"])
        ns: dict[str, float] = {}
        for arm in arms:
            if not timed[arm]:
                continue  # the arm failed
            median_ms = statistics.median(timed[arm])
            row: dict[str, Any] = {"tracks": n, "arm": arm, "median_ms": median_ms}
            # Real-time factor of the whole render (the feed included).
            row["x_realtime"] = frames / RATE_HZ * 1e3 / median_ms if median_ms > 0 else None
            row["wall_ms"] = timed[arm]
            if arm != "feed":
                ns[arm] = (median_ms - feed_ms) * 1e6 / (n * frames)
                row["ns_per_track_sample"] = ns[arm]
                # The fastest runs, less disturbed by whatever else the machine runs.
                best = (min(timed[arm]) - min(timed["feed"])) * 1e6 / (n * frames)
                row["ns_per_track_sample_min"] = best
            results.append(row)
        entry: dict[str, Any] = {"tracks": n}
        for base in ("anchor", "nodes"):
            if base in ns and ns[base] > 0:
                entry.update({f"{a}/{base}": ns[a] / ns[base] for a in ns if a != base})
        ratios.append(entry)
    return results, ratios


def same_work(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every output finite, every strip arm's not silent (the feed's is), every
    engine arm within SAME_WORK_DB of the anchor: the arms did the same work."""
    checks = []
    for r in runs:
        ok = r["finite"] and (r["rms"] == 0.0 if r["arm"] == "feed" else r["rms"] > 1e-3)
        if r["arm"] in ENGINE_ARMS:
            diff = r.get("diff_rms_db")
            ok = ok and diff is not None and diff < SAME_WORK_DB
        checks.append(
            {
                "tracks": r["tracks"],
                "arm": r["arm"],
                "rep": r["rep"],
                "ok": bool(ok),
                "rms": r["rms"],
                "diff_rms_db": r.get("diff_rms_db"),
            }
        )
    return checks


def summary_table(results: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Header and rows: ns per track-sample per arm, and each arm relative
    to the anchor."""
    strip = [a for a in STRIP_ARMS if any(r["arm"] == a for r in results)]
    others = [a for a in strip if a != "anchor"] if "anchor" in strip else []
    head = ["tracks", "feed ms", *[f"{a} ns" for a in strip], *[f"{a}/anchor" for a in others]]
    rows = []
    for n in sorted({r["tracks"] for r in results}):
        by_arm = {r["arm"]: r for r in results if r["tracks"] == n}
        ns = {a: by_arm[a]["ns_per_track_sample"] for a in strip if a in by_arm}
        cells = [str(n), f"{by_arm['feed']['median_ms']:.0f}"]
        cells += [f"{ns[a]:.1f}" if a in ns else "-" for a in strip]
        cells += [
            f"{ns[a] / ns['anchor']:.2f}" if a in ns and ns.get("anchor", 0) > 0 else "-"
            for a in others
        ]
        rows.append(cells)
    return head, rows


def check_limits(tracks: Sequence[int], seconds: float, repeat: int, arms: Sequence[str]) -> None:
    """Every limit of a profile, before anything starts."""
    if not tracks or any(not 1 <= n <= MAX_TRACKS for n in tracks):
        raise ProfileError(f"track counts must be 1 to {MAX_TRACKS}, got {list(tracks) or 'none'}")
    lo, hi = SECONDS_RANGE
    if not (math.isfinite(seconds) and lo <= seconds <= hi):
        raise ProfileError(f"seconds per render must be {lo:g} to {hi:g}, got {seconds}")
    if not 1 <= repeat <= MAX_REPEAT:
        raise ProfileError(f"repetitions must be 1 to {MAX_REPEAT}, got {repeat}")
    unknown = sorted(set(arms) - set(STRIP_ARMS))
    if unknown:
        raise ProfileError(f"unknown arm {unknown[0]!r}; arms: {', '.join(STRIP_ARMS)}")
    if not arms:
        raise ProfileError(f"no arm to run; arms: {', '.join(STRIP_ARMS)}")


def planned_steps(
    tracks: Sequence[int],
    arms: Sequence[str],
    repeat: int,
    *,
    realtime_seconds: float,
    capacity_seconds: float,
    probes: bool,
) -> int:
    """About how many steps (calls of ``progress``) a run makes: exact but
    for the capacity search, counted at CAPACITY_STEPS_GUESS per arm."""
    strip = [a for a in STRIP_ARMS if a in arms]
    every = len(strip) + 1  # the feed
    engines = len([a for a in strip if a in SESSION_ARMS])
    steps = len(tracks) * every + (len(tracks) if "anchor" in strip else 0)
    steps += repeat * len(tracks) * every + repeat * every  # timed, then idle
    steps += engines * (1 + repeat)
    if realtime_seconds > 0:
        steps += 2 * every
    if capacity_seconds > 0:
        steps += CAPACITY_STEPS_GUESS * len(strip)
    return steps + (len(strip) if probes else 0)


def _check_realtime_limits(
    realtime_seconds: float, realtime_tracks: int, capacity_seconds: float, capacity_max_tracks: int
) -> None:
    if not (
        math.isfinite(realtime_seconds)
        and (
            realtime_seconds == 0
            or MIN_REALTIME_SECONDS <= realtime_seconds <= MAX_REALTIME_SECONDS
        )
    ):
        raise ProfileError(
            f"realtime seconds must be 0 (none) or {MIN_REALTIME_SECONDS:g} to "
            f"{MAX_REALTIME_SECONDS:g}, got {realtime_seconds}"
        )
    if not 1 <= realtime_tracks <= MAX_TRACKS:
        raise ProfileError(f"realtime tracks must be 1 to {MAX_TRACKS}, got {realtime_tracks}")
    if not (math.isfinite(capacity_seconds) and 0 <= capacity_seconds <= MAX_CAPACITY_SECONDS):
        raise ProfileError(
            f"capacity seconds must be 0 to {MAX_CAPACITY_SECONDS:g}, got {capacity_seconds}"
        )
    top = _realtime.CAPACITY_MAX_TRACKS
    if not _realtime.CAPACITY_START_TRACKS <= capacity_max_tracks <= top:
        raise ProfileError(
            f"capacity search tracks must be {_realtime.CAPACITY_START_TRACKS} to {top}, "
            f"got {capacity_max_tracks}"
        )


def idle_summary(
    runs: list[dict[str, Any]], results: list[dict[str, Any]], tracks: int
) -> dict[str, Any]:
    """Per arm: ns per track-sample of ``tracks`` idle tracks (nothing
    connected) over the idle feed-sink's, and against the same arm active."""
    idle_runs = [r for r in runs if r["tracks"] == tracks]
    active = {r["arm"]: r for r in results if r["tracks"] == tracks}
    feed = [r["wall_ms"] for r in idle_runs if r["arm"] == "feed"]
    arms: list[dict[str, Any]] = []
    if not feed:
        return {"tracks": tracks, "arms": arms}
    feed_ms = statistics.median(feed)
    for arm in STRIP_ARMS:
        timed = [r["wall_ms"] for r in idle_runs if r["arm"] == arm]
        if not timed:
            continue
        frames = next(r["frames"] for r in idle_runs if r["arm"] == arm)
        ns = (statistics.median(timed) - feed_ms) * 1e6 / (tracks * frames)
        base = active.get(arm, {}).get("ns_per_track_sample")
        arms.append(
            {
                "arm": arm,
                "wall_ms": timed,
                "ns_per_track_sample": ns,
                "idle_to_active": ns / base if base else None,
            }
        )
    return {"tracks": tracks, "feed_wall_ms": feed, "arms": arms}


def run_profile(
    dist: Path | None,
    *,
    tracks: Sequence[int] = (8, 32, 128, 256),
    seconds: float = 5.0,
    repeat: int = 3,
    arms: Sequence[str] = STRIP_ARMS,
    warmup_seconds: float = WARMUP_SECONDS,
    realtime_seconds: float = 10.0,
    realtime_tracks: int = 128,
    capacity_seconds: float = 2.0,
    capacity_max_tracks: int = _realtime.CAPACITY_MAX_TRACKS,
    probes: bool = True,
    probe_trials: int = _realtime.PROBE_TRIALS,
    drag_ms: float = _realtime.DRAG_MS,
    chromium: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Render every arm of ``arms`` (and the feed) at every count of
    ``tracks`` in Chromium, ``repeat`` times interleaved, and idle at the
    largest count; then play each for ``realtime_seconds`` (0: not at all)
    at ``realtime_tracks`` tracks, search its capacity with steps of
    ``capacity_seconds`` (0: no search) up to ``capacity_max_tracks``, and
    probe its start-up, latency (``probe_trials`` times) and messages
    (while a fader is dragged for ``drag_ms``) (``probes``); the report as a
    dict. ``dist`` is the build to run (default: the bundled engine). Raises
    ProfileError for a bad limit (before Chromium starts); an arm that
    failed or did not do the same work as the anchor is in the report's
    errors and checks."""
    check_limits(tracks, seconds, repeat, arms)
    _check_realtime_limits(realtime_seconds, realtime_tracks, capacity_seconds, capacity_max_tracks)
    if not 1 <= probe_trials <= MAX_PROBE_TRIALS:
        raise ProfileError(f"probe trials must be 1 to {MAX_PROBE_TRIALS}, got {probe_trials}")
    if not (math.isfinite(drag_ms) and 100 <= drag_ms <= MAX_DRAG_MS):
        raise ProfileError(f"the fader drag must last 100 to {MAX_DRAG_MS:g} ms, got {drag_ms}")
    build = dist if dist is not None else _paths.bundled_engine_dir()
    if not (build / "dawg-engine.js").is_file():
        raise ProfileError(
            f"{build} holds no dawgwasm build (no dawg-engine.js): run `dawgwasm build` "
            "or give --dist"
        )
    page_dir = _paths.profile_dir()
    if not (page_dir / "profile-page.js").is_file():
        raise ProfileError(
            f"the profile page {page_dir} is missing (no profile-page.js): install dawgwasm "
            "from a wheel built by scripts/build_wheel.py, or run it from a source checkout"
        )
    from playwright.sync_api import sync_playwright

    all_arms = ("feed", *[a for a in STRIP_ARMS if a in arms])
    server = make_server([Mount("/dist/", build), Mount("/profile/", _paths.profile_dir())], port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    info = machine()
    info["toolchain"] = toolchain(build)
    runs: list[dict[str, Any]] = []
    idle_runs: list[dict[str, Any]] = []
    realtime: list[dict[str, Any]] = []
    capacity: list[dict[str, Any]] = []
    probed: list[dict[str, Any]] = []
    stability: list[dict[str, Any]] = []
    first_plays: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    idle_tracks = max(tracks)
    idle_seconds = min(seconds, IDLE_SECONDS_MAX)
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p, executable=chromium)
            info["chromium"] = browser.version
            pages = Pages(browser, url + "/profile/index.html")
            failed: set[str] = set()

            def render(
                n: int, arm: str, secs: float, timed: bool, rep: int, fed: bool = True
            ) -> None:
                if arm in failed:
                    return
                what = f"{'rep ' + str(rep + 1) if timed else 'warm-up'}: {arm} at {n} tracks"
                progress(what if fed else what + ", idle")
                try:
                    r = call(
                        pages.current(),
                        "runArm",
                        {
                            "arm": arm,
                            "tracks": n,
                            "seconds": secs,
                            "rate": RATE_HZ,
                            "keep": True,
                            "fed": fed,
                        },
                    )
                except BrowserGone:
                    raise
                except Exception as e:  # the page's error, reported per arm
                    failed.add(arm)
                    errors.append(f"{arm} at {n} tracks: {e}".splitlines()[0])
                    return
                row = {
                    "rep": rep,
                    "tracks": n,
                    "arm": arm,
                    "timed": timed,
                    "frames": r["frames"],
                    "wall_ms": r["wallMs"],
                    "peak": r["peak"],
                    "rms": r["rms"],
                    "finite": r["finite"],
                }
                if "diffRmsDb" in r:
                    row["diff_rms_db"] = r["diffRmsDb"]
                    row["diff_peak"] = r["diffPeak"]
                if fed:
                    runs.append(row)
                elif timed:
                    idle_runs.append(row)

            session_runs: list[dict[str, Any]] = []
            try:
                for n in tracks:  # warm-up: the anchor first (the reference of the others)
                    for arm in ("anchor", *[a for a in all_arms if a != "anchor"]):
                        if arm in all_arms:
                            render(n, arm, warmup_seconds, False, -1)
                # The anchor's output of the full length is the reference, so it
                # runs once untimed at full length before the rotated order begins.
                for n in tracks:
                    if "anchor" in all_arms:
                        render(n, "anchor", seconds, False, -1)
                for rep, n, arm in schedule(tracks, all_arms, repeat):
                    render(n, arm, seconds, True, rep)
                for rep, n, arm in schedule([idle_tracks], all_arms, repeat):
                    render(n, arm, idle_seconds, True, rep, fed=False)

                session_runs = render_session(
                    pages.current,
                    all_arms,
                    seconds=seconds,
                    repeat=repeat,
                    rate_hz=RATE_HZ,
                    errors=errors,
                    progress=progress,
                )

                rt = _realtime.Realtime(pages, RATE_HZ)

                def each_arm(
                    phase: str, step: Callable[[str], dict[str, Any]], out: list[Any]
                ) -> None:
                    for arm in all_arms:
                        if arm in failed or (not phase.startswith("realtime") and arm == "feed"):
                            continue
                        if phase == "realtime again" and arm not in first_plays:
                            continue
                        try:
                            got = step(arm)
                        except BrowserGone:
                            raise
                        except Exception as e:  # the page's error, reported per arm
                            errors.append(f"{arm}, {phase}: {e}".splitlines()[0])
                            continue
                        if got.get("fatal"):
                            errors.append(f"{arm}, {phase}: {got['fatal']}")
                        out.append(got)

                if realtime_seconds > 0:

                    def played(arm: str) -> dict[str, Any]:
                        progress(f"realtime: {arm} at {realtime_tracks} tracks")
                        return _realtime.play(rt, arm, realtime_tracks, realtime_seconds)

                    each_arm("realtime", played, realtime)
                    first_plays = {r["arm"]: r for r in realtime}

                    def again(arm: str) -> dict[str, Any]:
                        progress(f"realtime, again: {arm} at {realtime_tracks} tracks")
                        return _realtime.replay(
                            rt, first_plays[arm], min(realtime_seconds, REPLAY_SECONDS_MAX) - 1.0
                        )

                    each_arm("realtime again", again, stability)
                if capacity_seconds > 0:
                    each_arm(
                        "capacity",
                        lambda arm: _realtime.capacity_search(
                            rt,
                            arm,
                            step_seconds=capacity_seconds,
                            max_tracks=capacity_max_tracks,
                            progress=progress,
                        ),
                        capacity,
                    )
                if probes:

                    def probe(arm: str) -> dict[str, Any]:
                        progress(f"probe: {arm} start-up, latency, fader drag")
                        return _realtime.probe(rt, arm, trials=probe_trials, drag_ms=drag_ms)

                    each_arm("probe", probe, probed)
            except BrowserGone as e:
                errors.append(f"{e}: the report holds what was measured before")
            if browser.is_connected():
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    info["loadavg_end"] = list(os.getloadavg())
    results, ratios = summarise(runs, tracks, all_arms)
    session = session_summary(session_runs, seconds, RATE_HZ)
    errors.extend(
        f"{a['arm']} rendered the reference session differently from {SESSION_ARMS[0]}"
        for a in session["arms"]
        if not a["agrees"]
    )
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "config": {
            "tracks": list(tracks),
            "seconds": seconds,
            "repeat": repeat,
            "warmup_seconds": warmup_seconds,
            "rate_hz": RATE_HZ,
            "arms": list(all_arms),
            "dist": str(dist) if dist is not None else None,
        },
        "machine": info,
        "runs": runs,
        "results": results,
        "ratios": ratios,
        "checks": same_work(runs),
        "session": session,
        "idle": {"seconds": idle_seconds, **idle_summary(idle_runs, results, idle_tracks)},
        "realtime": {
            "seconds": realtime_seconds,
            "tracks": realtime_tracks,
            "output": "Chromium's fake output device (headless): render-thread load, "
            "not a sound card's",
            "trace_categories": list(_trace.CATEGORIES),
            "arms": realtime,
            "stability": stability,
            "stable_within": _realtime.STABLE_WITHIN,
        },
        "capacity": {
            "target": _realtime.CAPACITY_TARGET,
            "step_seconds": capacity_seconds,
            "max_tracks": capacity_max_tracks,
            "sustained_underruns_per_s": _realtime.SUSTAINED_UNDERRUNS_PER_S,
            "arms": capacity,
        },
        "probes": probed,
        "errors": errors,
    }
