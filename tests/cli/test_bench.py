"""``dawgwasm bench``: a quick run writes a report of every workload on
every runtime (with the host call's cost and the builds' sizes, each effect
unit and note source alone, Python's overhead on a render), with the
equality checks it made before timing, and derived ratios that follow from
the medians it reports; a runtime whose output disagrees stops it before
anything is timed; bad limits and bad workload names are refused before
anything is built. Nothing here asserts on a time."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from dawgwasm._bench import JS_TOLERANCE_DB, BenchError, run_bench
from dawgwasm._bench_tail import TAIL_UNITS
from tests.cli.test_cli import run

RUNTIMES = {
    "native",
    "wasmtime simd",
    "wasmtime scalar",
    "v8 simd under node",
    "v8 scalar under node",
    "js under node",
}


def test_bench_quick_reports_every_workload_on_every_runtime(
    built_dist: Path, tmp_path: Path
) -> None:
    out = tmp_path / "bench.json"
    proc = run("bench", "--dist", str(built_dist), "--quick", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    for needle in (
        "reference session: 20 tracks",
        "strip: ns per track-sample",
        "idle:",
        "units:",
        "tail:",
        "static:",
        "automation:",
        "automation/static",
        "each effect unit alone: ns per channel-sample",
        "note sources: ns per voice-sample",
        "synth, 16 voices",
        "sampler, 32 voices",
        "Python's overhead on the session render",
        "derived",
        "the host call",
        "load of each quantum",
        "dawg_dsp.simd.wasm:",
    ):
        assert needle in proc.stdout
    doc = json.loads(out.read_text())
    assert doc["baseline"] == "native" and doc["skipped"] == {}
    # The HTML page beside the JSON, self-contained, naming every runtime.
    page = out.with_suffix(".html").read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
    for name in doc["workloads"][0]["runtimes"]:
        assert name in page, name
    assert doc["machine"]["cpus"] >= 1 and doc["machine"]["node"].startswith("v")
    kinds = [(w["workload"], w["tracks"]) for w in doc["workloads"]]
    assert kinds == [
        ("session", 20),
        ("strip", 1),
        ("strip", 8),
        ("idle", 1),
        ("idle", 8),
        # the decaying tails, each with the same units fed noise, timed in the same rounds
        ("units", 1),
        ("tail", 1),
        ("units", 8),
        ("tail", 8),
        # automation, each with the same tracks held still, timed in the same rounds
        ("static", 1),
        ("automation", 1),
        ("static", 8),
        ("automation", 8),
    ]
    for w in doc["workloads"]:
        assert set(w["runtimes"]) == RUNTIMES
        for r in w["runtimes"].values():
            assert len(r["samples_ms"]) == 2 and all(s > 0 for s in r["samples_ms"])
            assert r["min_ms"] <= r["median_ms"] <= r["max_ms"]
            if w["workload"] == "session":
                assert r["ns_per_track_sample"] > 0
            else:
                # net of the same engine with no track (timed in the same rounds)
                assert r["empty_engine_median_ms"] > 0
                assert r["ns_per_track_sample"] >= 0
        if w["workload"] != "idle":
            agreement = w["agreement_db_below_signal"]
            # wasm runtimes bit-identical to native (null: no difference at all)
            for name in RUNTIMES - {"native", "js under node"}:
                assert agreement[name] is None, name
            assert agreement["js under node"] >= JS_TOLERANCE_DB
    derived = doc["derived"]
    assert set(derived) == RUNTIMES
    for d in derived.values():
        assert d["strip_tracks"] == 8
        # None only where a net time was lost in the noise of a 0.1 s run
        if d["tracks_per_core_at_50_percent"] is not None:
            assert math.isclose(
                d["tracks_per_core_at_90_percent"] / d["tracks_per_core_at_50_percent"], 1.8
            )
        assert d["idle_to_active"] is None or d["idle_to_active"] >= 0
        assert d["tail_to_active"] is None or d["tail_to_active"] > 0
    # automation/static at the largest automation size, from the medians reported
    by_kind = {(w["workload"], w["tracks"]): w["runtimes"] for w in doc["workloads"]}
    for name, d in derived.items():
        assert d["automation_tracks"] == 8
        auto = by_kind["automation", 8][name]["ns_per_track_sample"]
        static = by_kind["static", 8][name]["ns_per_track_sample"]
        if static > 0:
            assert math.isclose(d["automation_to_active"], auto / static)
        else:
            assert d["automation_to_active"] is None
    assert derived["native"]["ratio_to_baseline"] in (1.0, None)
    # the cost of a call with nothing to render, apart, on every runtime
    assert set(doc["host_call"]) == RUNTIMES
    for c in doc["host_call"].values():
        assert c["one_quantum_per_call_us"] > 0 and c["per_call_us"] >= 0
    assert doc["wasm_bytes"] == {
        p.name: p.stat().st_size for p in sorted(built_dist.glob("*.wasm"))
    }
    assert set(doc["wasm_bytes"]) == {"dawg_dsp.simd.wasm", "dawg_dsp.scalar.wasm"}
    _check_micro(doc)
    # the load of each quantum at the largest strip size, one quantum per call
    assert set(doc["quantum_load"]) == RUNTIMES
    for q in doc["quantum_load"].values():
        assert q["tracks"] == 8 and q["quanta"] == round(0.1 * 48000) // 128
        assert 0 < q["load_p50"] <= q["load_p99"] <= q["load_max"]


def _net_ns(loaded: dict[str, list[float]], bare: dict[str, list[float]], count: int) -> float:
    """The median over the rounds of (loaded - bare) / count, ns (a round
    lost in the noise counts 0)."""
    diffs = [
        max(a - b, 0.0) / count * 1e6
        for a, b in zip(loaded["samples_ms"], bare["samples_ms"], strict=True)
    ]
    return float(np.median(diffs))


def _check_agreement(agreement: float | None, runtime: str) -> None:
    if runtime == "js under node":
        # within the tolerance, or identical (None) where it computes alike
        assert agreement is None or agreement >= JS_TOLERANCE_DB
    else:
        assert agreement is None, runtime  # bit-identical to native


def _check_micro(doc: dict[str, object]) -> None:
    """The units-micro and render-overhead parts of a quick run's report."""
    units = doc["units"]
    assert isinstance(units, list)
    assert [(u["unit"], u["runtime"]) for u in units] == [
        (unit, r) for unit, _ in TAIL_UNITS for r in sorted(RUNTIMES, key=_order)
    ]
    for u in units:
        assert u["channels"] == 4 and u["frames"] == 38 * 128  # 0.1 s in whole quanta
        ns = u["ns_per_channel_sample"]
        assert 0 <= ns["min"] <= ns["median"] <= ns["max"]
        assert len(u["with_unit"]["samples_ms"]) == len(u["without_unit"]["samples_ms"]) == 2
        assert math.isclose(
            ns["median"], _net_ns(u["with_unit"], u["without_unit"], 4 * u["frames"])
        )
        _check_agreement(u["agreement_db_below_signal"], u["runtime"])
    sources = doc["sources"]
    assert isinstance(sources, list)
    assert [(s["source"], s["voices"]) for s in sources] == [("synth", 16)] * 6 + [
        ("sampler", 32)
    ] * 6
    assert {s["runtime"] for s in sources} == RUNTIMES
    for s in sources:
        ns = s["ns_per_voice_sample"]
        assert 0 <= ns["min"] <= ns["median"] <= ns["max"]
        assert math.isclose(
            ns["median"],
            _net_ns(s["with_voices"], s["without_voices"], s["voices"] * s["frames"]),
        )
        _check_agreement(s["agreement_db_below_signal"], s["runtime"])
    overhead = doc["python_overhead"]
    assert isinstance(overhead, dict)
    assert set(overhead) == {"wasmtime simd", "wasmtime scalar"}
    for o in overhead.values():
        assert o["frames"] == 512000 and o["calls"] == 63 and o["events"] > 0
        api, wasm = o["api_render_ms"]["samples_ms"], o["in_wasm_ms"]["samples_ms"]
        assert len(api) == len(wasm) == 2
        rounds = [(a - w) / w for a, w in zip(api, wasm, strict=True)]
        p = o["python_overhead"]
        assert math.isclose(p["median"], float(np.median(rounds)))
        assert (p["min"], p["max"]) == (min(rounds), max(rounds))
        inside = o["in_render_calls_ms"]["samples_ms"]
        # the render's own calls into wasm take part of the render's time
        assert all(0 < w < a for w, a in zip(inside, api, strict=True))
        assert o["overhead_in_render"]["min"] > 0


def _order(runtime: str) -> int:
    return [
        "native",
        "wasmtime simd",
        "wasmtime scalar",
        "v8 simd under node",
        "v8 scalar under node",
        "js under node",
    ].index(runtime)


def test_bench_stops_before_timing_when_a_runtime_disagrees(
    built_dist: Path, tmp_path: Path
) -> None:
    """A build whose JavaScript engine mixes every track 1 dB too loud: the
    benchmark refuses to time it and says which runtime and by how much."""
    dist = tmp_path / "dist"
    shutil.copytree(built_dist, dist)
    render = dist / "dawg-js-render.js"
    text = render.read_text(encoding="utf-8")
    needle = "    mixL[i] += x;\n    mixR[i] += y;\n"
    assert needle in text
    render.write_text(
        text.replace(needle, "    mixL[i] += x * 1.122;\n    mixR[i] += y * 1.122;\n"),
        encoding="utf-8",
    )
    for workload, what in (
        ("strip", "strip at 2 tracks"),
        ("automation", "automation at 2 tracks"),
        ("units-micro", "peq alone on 4 tracks"),
    ):
        with pytest.raises(
            BenchError, match=rf"^{what}: the JavaScript engine's output differs .* nothing was"
        ):
            run_bench(dist, tracks=(2,), seconds=0.05, repeat=1, workloads=(workload,))
    out = tmp_path / "bench.json"
    proc = run("bench", "--dist", str(dist), "--quick", "--workload", "strip", "--out", str(out))
    assert proc.returncode == 1
    assert re.match(
        r"error: strip at 1 tracks: the JavaScript engine's output differs", proc.stderr
    )
    assert not out.exists() and not out.with_suffix(".html").exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tracks": (0,)}, "track counts must be 1 to 256"),
        ({"tracks": (257,)}, "track counts must be 1 to 256"),
        ({"seconds": 0.0}, "seconds per run must be 0.05 to 60"),
        ({"seconds": math.nan}, "seconds per run must be 0.05 to 60"),
        ({"repeat": 0}, "repetitions must be 1 to 100"),
        ({"workloads": ("warp",)}, "unknown workload 'warp'"),
        (
            {"tracks": (64, 128), "workloads": ("automation",)},
            "the automation workload runs at 1 to 32 tracks",
        ),
        ({"runtimes": ("v8",)}, "unknown runtime 'v8'"),
    ],
)
def test_bench_refuses_bad_limits_before_building_anything(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(BenchError, match=re.escape(message)):
        run_bench(Path("/nonexistent-build"), **kwargs)  # type: ignore[arg-type]


def test_bench_refuses_an_output_it_may_not_write(built_dist: Path, tmp_path: Path) -> None:
    """The output is checked before anything is measured: a write-protected
    file is refused and left as it was."""
    out = tmp_path / "bench.json"
    out.write_text("keep\n")
    out.chmod(0o444)
    proc = run("bench", "--dist", str(built_dist), "--quick", "--out", str(out))
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    assert "measuring" not in proc.stderr
    assert out.read_text() == "keep\n"


def test_bench_refuses_an_unknown_workload_name(tmp_path: Path) -> None:
    """click refuses a workload it does not know, naming the choices, before
    anything runs or is written."""
    out = tmp_path / "bench.json"
    proc = run("bench", "--workload", "units", "--out", str(out))
    assert proc.returncode == 2
    assert "Invalid value for '--workload'" in proc.stderr
    assert "'automation', 'units-micro', 'render-overhead'" in proc.stderr
    assert not out.exists()
