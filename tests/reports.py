"""Real reports of ``dawgwasm bench`` and ``dawgwasm profile``, made by the
command line on a small workload, for the tests of the HTML report and the
comparison; and copies of them changed in one place."""

from __future__ import annotations

import copy
import json
import statistics
from pathlib import Path
from typing import Any

from tests.cli.test_cli import run

#: A bench small enough for a test: two workloads at 1 and 2 tracks, 2 repetitions.
BENCH_ARGS = (
    "--workload", "strip", "--workload", "session",
    "--tracks", "1", "--tracks", "2", "--seconds", "0.05", "--repeat", "2",
)  # fmt: skip
#: A profile small enough for a test, with 2 repetitions (so each figure has a spread):
#: two engine backends (so the reference session has speed-ups), every phase
#: (the capacity search in 1 s steps up to 32 tracks; the probes).
PROFILE_ARGS = (
    "--arm", "anchor", "--arm", "wasm-simd", "--arm", "wasm-scalar",
    "--tracks", "4", "--tracks", "8", "--seconds", "0.2", "--repeat", "2",
    "--realtime-seconds", "2", "--realtime-tracks", "4",
    "--capacity-seconds", "1", "--capacity-max-tracks", "32",
)  # fmt: skip


def _run(command: str, dist: Path, out: Path, args: tuple[str, ...]) -> dict[str, Any]:
    proc = run(command, "--dist", str(dist), "--out", str(out), *args, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def bench_report(dist: Path, out: Path) -> dict[str, Any]:
    """A report of `dawgwasm bench` (strip and session) written to ``out``."""
    return _run("bench", dist, out, BENCH_ARGS)


def profile_report(dist: Path, out: Path) -> dict[str, Any]:
    """A report of `dawgwasm profile` (anchor, wasm-simd and wasm-scalar) written to ``out``."""
    return _run("profile", dist, out, PROFILE_ARGS)


def with_bench_samples(
    report: dict[str, Any], workload: str, tracks: int, runtime: str, samples_ms: list[float]
) -> dict[str, Any]:
    """A copy of a bench report whose figure (workload, tracks, runtime) has
    the repetitions ``samples_ms`` (min, median and max to match)."""
    doc = copy.deepcopy(report)
    for w in doc["workloads"]:
        if w["workload"] == workload and w["tracks"] == tracks:
            r = w["runtimes"][runtime]
            r["samples_ms"] = samples_ms
            r["min_ms"], r["max_ms"] = min(samples_ms), max(samples_ms)
            r["median_ms"] = statistics.median(samples_ms)
            return doc
    raise AssertionError(f"no {workload} at {tracks} tracks in the report")


def bench_samples(report: dict[str, Any], workload: str, tracks: int, runtime: str) -> list[float]:
    for w in report["workloads"]:
        if w["workload"] == workload and w["tracks"] == tracks:
            return list(w["runtimes"][runtime]["samples_ms"])
    raise AssertionError(f"no {workload} at {tracks} tracks in the report")
