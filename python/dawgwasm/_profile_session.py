"""The reference session in Chromium, for ``dawgwasm profile``: the build's
reference session (tracks, buses, inserts, synth and sampler voices,
automation) rendered in an OfflineAudioContext by each engine backend.

Each backend renders it once untimed at full length (wasm-simd first: its
output is the reference the others are compared with), then ``repeat``
times timed, the backends taking turns in a rotated order; the median
counts. Before a time counts, the outputs must agree: bit-identical for the
wasm builds, at least SAME_SESSION_DB below the signal for the JavaScript
engine.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from typing import Any

from dawgwasm._profile_page import BrowserGone, call

__all__ = [
    "SAME_SESSION_DB",
    "SESSION_ARMS",
    "render_session",
    "session_summary",
    "session_table",
]

SESSION_ARMS = ("wasm-simd", "wasm-scalar", "js")
#: The JavaScript engine's output must differ from the wasm's by less than this, dB.
SAME_SESSION_DB = -80.0


def _row(r: dict[str, Any], rep: int, timed: bool) -> dict[str, Any]:
    diff_peak = r.get("diffPeak")
    db = r.get("diffRmsDb")
    return {
        "rep": rep,
        "arm": r["arm"],
        "timed": timed,
        "frames": r["frames"],
        "tracks": r["tracks"],
        "wall_ms": r["wallMs"],
        "rms": r["rms"],
        "finite": r["finite"],
        "reference": r["reference"],
        "identical": diff_peak == 0.0 if diff_peak is not None else None,
        "diff_rms_db": db if db is not None and math.isfinite(db) else None,
    }


def render_session(
    page: Callable[[], Any],
    arms: Sequence[str],
    *,
    seconds: float,
    repeat: int,
    rate_hz: int,
    errors: list[str],
    progress: Callable[[str], None] = lambda _: None,
) -> list[dict[str, Any]]:
    """Every render of the reference session: the untimed reference renders
    and ``repeat`` rounds of timed ones, each on ``page()`` (the page as it
    is then). A backend that fails is reported in ``errors`` and left out
    of the rounds after."""
    order = [a for a in SESSION_ARMS if a in arms]
    failed: set[str] = set()
    runs: list[dict[str, Any]] = []

    def render(arm: str, rep: int, timed: bool) -> None:
        if arm in failed:
            return
        progress(f"session: {arm}, {'rep ' + str(rep + 1) if timed else 'reference'}")
        try:
            r = call(page(), "runSession", {"arm": arm, "seconds": seconds, "rate": rate_hz})
        except BrowserGone:
            raise
        except Exception as e:  # the page's error, reported per arm
            failed.add(arm)
            errors.append(f"{arm}, reference session: {e}".splitlines()[0])
            return
        runs.append(_row(r, rep, timed))

    for arm in order:
        render(arm, -1, False)
    for rep in range(repeat):
        shift = rep % max(1, len(order))
        for arm in [*order[shift:], *order[:shift]]:
            render(arm, rep, True)
    return runs


def _agrees(r: dict[str, Any]) -> bool:
    if not r["finite"] or r["rms"] <= 1e-4:
        return False
    if r["reference"] == r["arm"]:
        return True
    if r["arm"] == "js" or r["reference"] == "js":
        return r["identical"] is True or (
            r["diff_rms_db"] is not None and r["diff_rms_db"] < SAME_SESSION_DB
        )
    return r["identical"] is True


def session_summary(runs: list[dict[str, Any]], seconds: float, rate_hz: int) -> dict[str, Any]:
    """Per backend: the median render time, times realtime, and whether its
    output agreed with the reference; each backend's speed against the others."""
    arms = []
    median: dict[str, float] = {}
    for arm in SESSION_ARMS:
        timed = [r for r in runs if r["arm"] == arm and r["timed"]]
        if not timed:
            continue
        ms = statistics.median(r["wall_ms"] for r in timed)
        median[arm] = ms
        arms.append(
            {
                "arm": arm,
                "median_ms": ms,
                "wall_ms": [r["wall_ms"] for r in timed],
                "x_realtime": seconds * 1e3 / ms if ms > 0 else None,
                "agrees": all(_agrees(r) for r in runs if r["arm"] == arm),
                "diff_rms_db": max(
                    (r["diff_rms_db"] for r in runs if r["arm"] == arm and r["diff_rms_db"]),
                    default=None,
                ),
                "identical": all(r["identical"] in (True, None) for r in runs if r["arm"] == arm),
            }
        )
    speedups = {
        f"{fast} over {slow}": median[slow] / median[fast]
        for fast in median
        for slow in median
        if fast != slow and median[fast] > 0
    }
    tracks = runs[0]["tracks"] if runs else None
    return {
        "seconds": seconds,
        "rate_hz": rate_hz,
        "tracks": tracks,
        "runs": runs,
        "arms": arms,
        "speedup": speedups,
    }


def session_table(session: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows: each backend's render of the reference session."""
    head = ["backend", "render ms", "x realtime", "agreement", *[f"over {a}" for a in SESSION_ARMS]]
    rows = []
    for a in session["arms"]:
        if a["identical"]:
            agreement = "identical"
        else:
            agreement = "-" if a["diff_rms_db"] is None else f"{a['diff_rms_db']:.0f} dB"
        if not a["agrees"]:
            agreement += " (disagrees)"
        rows.append(
            [
                a["arm"],
                f"{a['median_ms']:.0f}",
                "-" if a["x_realtime"] is None else f"{a['x_realtime']:.1f}",
                agreement,
                *[
                    f"{session['speedup'][k]:.2f}x"
                    if (k := f"{a['arm']} over {other}") in session["speedup"]
                    else "-"
                    for other in SESSION_ARMS
                ],
            ]
        )
    return head, rows
