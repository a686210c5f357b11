"""The channel strip's speed in real Chromium, per backend, against a
hand-optimised JavaScript worklet.

Every track runs the same stereo strip (low shelf 200 Hz +3 dB, peak 1 kHz
-2 dB, high shelf 3 kHz +2 dB, compressor -18 dB 4:1 3 ms/100 ms with a stereo
peak detector, gain -2 dB, equal-power pan 0.3) on looped noise of its own; all
tracks are summed. Each arm renders in an OfflineAudioContext (10 s at 48 kHz
by default), timed around ``startRendering()``; arms are interleaved (every
repetition runs every arm at every track count, in a rotated order) and the
median of the repetitions is taken, after one untimed warm-up render per arm
and track count. The feed (the N looping sources into an N-input worklet that
does nothing) is measured alone and subtracted, so what remains is the strip:

    ns per track-sample = (median(arm) - median(feed)) / (tracks x frames)

Arms (bench/web/strip-bench.js): ``anchor`` (bench/web/bench-processors.js,
one worklet, f64 state loaded into locals per block), and the dawgwasm engine
with backend ``js``, ``wasm-scalar`` and ``wasm-simd`` (strips only: no
inserts, sends or voices). Each engine arm's output is compared with the
anchor's (the same strip, so they agree to far below the signal).

    .venv/bin/python bench/browser_strip.py --out results.json
    .venv/bin/python bench/browser_strip.py --quick --out quick.json

prints a table and writes the JSON. ``--dist`` runs a given build; by default
this checkout is built into a temporary folder first. Times are wall time on
whatever else the machine is doing: read them as ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dawgwasm
from dawgwasm._browser import launch_chromium
from dawgwasm._server import Mount, make_server

HERE = Path(__file__).resolve().parent
WEB = HERE / "web"

ARMS = ("feed", "anchor", "js", "wasm-scalar", "wasm-simd")
STRIP_ARMS = ARMS[1:]
RATE_HZ = 48000


@dataclass(frozen=True)
class Preset:
    tracks: tuple[int, ...]
    seconds: float
    reps: int
    warmup_seconds: float


FULL = Preset(tracks=(8, 32, 128, 256), seconds=10.0, reps=3, warmup_seconds=1.0)
QUICK = Preset(tracks=(4, 8), seconds=0.5, reps=1, warmup_seconds=0.1)
#: An engine arm's output must differ from the anchor's by less than this
#: (RMS of the difference relative to the RMS of the output).
SAME_WORK_DB = -80.0
RUN_JS = "async (args) => (await import('/bench/strip-bench.js')).runArm(args)"
FORMAT = "dawgwasm-bench-browser-strip"
FORMAT_VERSION = 1


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    p.add_argument("--quick", action="store_true", help="a short run (4 and 8 tracks, 0.5 s, once)")
    p.add_argument("--dist", type=Path, help="a build to run (default: build this checkout)")
    p.add_argument("--tracks", type=int, nargs="+", help="track counts (default 8 32 128 256)")
    p.add_argument("--seconds", type=float, help="audio rendered per run (default 10)")
    p.add_argument("--reps", type=int, help="timed repetitions per arm (default 3)")
    p.add_argument(
        "--arms", nargs="+", choices=STRIP_ARMS, help="strip arms to run (default all; feed always)"
    )
    return p.parse_args(argv)


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "loadavg_start": list(os.getloadavg()),
    }


def serve(dist: Path) -> tuple[str, Any]:
    server = make_server([Mount("/dist/", dist), Mount("/bench/", WEB)], host="127.0.0.1", port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


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
    (and the same from the fastest runs); per track count: each strip arm's
    time relative to the anchor's."""
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
            row["wall_ms"] = timed[arm]
            if arm != "feed":
                ns[arm] = (median_ms - feed_ms) * 1e6 / (n * frames)
                row["ns_per_track_sample"] = ns[arm]
                # The fastest runs, less disturbed by whatever else the machine runs.
                best = (min(timed[arm]) - min(timed["feed"])) * 1e6 / (n * frames)
                row["ns_per_track_sample_min"] = best
            results.append(row)
        if "anchor" in ns:
            ratios.append(
                {
                    "tracks": n,
                    **{f"{arm}/anchor": ns[arm] / ns["anchor"] for arm in ns if arm != "anchor"},
                }
            )
    return results, ratios


def table(results: list[dict[str, Any]]) -> str:
    """The results as a Markdown table: ns per track-sample per arm, and each
    engine arm relative to the anchor."""
    strip = [a for a in STRIP_ARMS if any(r["arm"] == a for r in results)]
    engines = [a for a in strip if a != "anchor"] if "anchor" in strip else []
    head = ["tracks", "feed ms", *[f"{a} ns" for a in strip], *[f"{a}/anchor" for a in engines]]
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for n in sorted({r["tracks"] for r in results}):
        by_arm = {r["arm"]: r for r in results if r["tracks"] == n}
        ns = {a: by_arm[a]["ns_per_track_sample"] for a in strip if a in by_arm}
        cells = [str(n), f"{by_arm['feed']['median_ms']:.0f}"]
        cells += [f"{ns[a]:.1f}" if a in ns else "-" for a in strip]
        cells += [
            f"{ns[a] / ns['anchor']:.2f}" if a in ns and "anchor" in ns else "-" for a in engines
        ]
        lines.append(" | ".join(cells))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> dict[str, Any]:
    preset = QUICK if args.quick else FULL
    tracks: Sequence[int] = args.tracks or preset.tracks
    seconds = float(args.seconds or preset.seconds)
    reps = int(args.reps or preset.reps)
    warmup = preset.warmup_seconds
    arms = ("feed", *(args.arms or STRIP_ARMS))
    if any(n < 1 for n in tracks) or seconds <= 0 or reps < 1:
        raise SystemExit("--tracks, --seconds and --reps must be positive")

    with tempfile.TemporaryDirectory(prefix="dawgwasm-bench-") as tmp:
        dist = args.dist
        if dist is None:
            dist = Path(tmp) / "dist"
            dawgwasm.build(dist)
        url, server = serve(dist)
        from playwright.sync_api import sync_playwright

        info = machine()
        runs: list[dict[str, Any]] = []
        errors: list[str] = []
        with sync_playwright() as p:
            browser = launch_chromium(p)
            info["chromium"] = browser.version
            page = browser.new_page()
            page.goto(url + "/bench/index.html")
            if page.evaluate("crossOriginIsolated") is not True:
                raise SystemExit("the benchmark page is not cross-origin isolated")
            failed: set[str] = set()

            def render(n: int, arm: str, secs: float, timed: bool, rep: int) -> None:
                if arm in failed:
                    return
                try:
                    r = page.evaluate(
                        RUN_JS,
                        {"arm": arm, "tracks": n, "seconds": secs, "rate": RATE_HZ, "keep": True},
                    )
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
                runs.append(row)
                print(
                    f"  {'rep ' + str(rep) if timed else 'warm-up'}  {n:4d} tracks  {arm:12s}"
                    f"{r['wallMs']:9.1f} ms",
                    file=sys.stderr,
                    flush=True,
                )

            for n in tracks:  # warm-up: the anchor first (the reference of the others)
                for arm in ("anchor", *[a for a in arms if a != "anchor"]):
                    if arm in arms:
                        render(n, arm, warmup, False, -1)
            # Timed: the anchor's output of the same length is the reference, so it
            # runs once untimed at full length before the rotated order begins.
            for n in tracks:
                if "anchor" in arms:
                    render(n, "anchor", seconds, False, -1)
            for rep, n, arm in schedule(tracks, arms, reps):
                render(n, arm, seconds, True, rep)
            browser.close()
        server.shutdown()
        server.server_close()

    info["loadavg_end"] = list(os.getloadavg())
    results, ratios = summarise(runs, tracks, arms)
    checks = same_work(runs)
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "config": {
            "tracks": list(tracks),
            "seconds": seconds,
            "reps": reps,
            "warmup_seconds": warmup,
            "rate_hz": RATE_HZ,
            "arms": list(arms),
            "quick": bool(args.quick),
            "dist": str(args.dist) if args.dist else None,
        },
        "machine": info,
        "runs": runs,
        "results": results,
        "ratios": ratios,
        "checks": checks,
        "errors": errors,
    }


def same_work(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every output finite, every strip arm's not silent (the feed's is), every
    engine arm within SAME_WORK_DB of the anchor: the arms did the same work."""
    checks = []
    for r in runs:
        ok = r["finite"] and (r["rms"] == 0.0 if r["arm"] == "feed" else r["rms"] > 1e-3)
        if "diff_rms_db" in r:
            ok = ok and r["diff_rms_db"] < SAME_WORK_DB
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


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    report = run(args)
    print(
        f"strip benchmark: {report['config']['seconds']} s at {RATE_HZ} Hz, median of "
        f"{report['config']['reps']}, feed subtracted; ns per track-sample "
        f"(Chromium {report['machine'].get('chromium')}, {report['machine']['cpu']}, "
        f"{report['machine']['cores']} cores, load {report['machine']['loadavg_start'][0]:.2f}"
        f" -> {report['machine']['loadavg_end'][0]:.2f})"
    )
    if report["results"]:
        print(table(report["results"]))
    for e in report["errors"]:
        print(f"error: {e}")
    bad = [c for c in report["checks"] if not c["ok"]]
    for c in bad:
        print(
            f"check failed: {c['arm']} at {c['tracks']} tracks (rms {c['rms']:.3g}, "
            f"difference from the anchor {c['diff_rms_db']} dB)"
        )
    print(f"({time.monotonic() - started:.0f} s)")
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 1 if report["errors"] or bad else 0


if __name__ == "__main__":
    sys.exit(main())
