"""The HTML report of a real bench and a real profile report: one
self-contained page (no URL, no script, no outside file), every runtime or
arm named, each figure's value as the tables print it, the plots there, the
profile's realtime caveat stated, every string from the report escaped; the
optional profile sections (the load of each quantum, the capacity sweep,
the headline) drawn when the report has them and left out when not."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from dawgwasm._compare import compare
from dawgwasm._report import html_report
from dawgwasm._reportdoc import ReportError

EXTERNAL = ("http://", "https://", 'src="', "src='", "<link", "<script", "url(", "@import")


def assert_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<html") == 1 and page.rstrip().endswith("</html>")
    for needle in EXTERNAL:
        assert needle not in page.lower(), needle


def cell(value: float | None, pattern: str = "{:.1f}") -> str:
    """A number cell as the page prints it ("-" where the report has none)."""
    return f'<td class="n">{"-" if value is None else pattern.format(value)}</td>'


def plot_titles(page: str) -> list[str]:
    return re.findall(r"<svg [^>]*><title>([^<]*)</title>", page)


def test_the_bench_page_shows_every_runtime_and_figure(bench_report: dict[str, Any]) -> None:
    page = html_report(bench_report)
    assert_self_contained(page)
    assert "dawgwasm bench report" in page
    for key in ("platform", "python", "node"):
        assert str(bench_report["machine"][key]) in page
    workloads = {(w["workload"], w["tracks"]): w for w in bench_report["workloads"]}
    assert set(workloads) == {("session", 20), ("strip", 1), ("strip", 2)}
    session = workloads["session", 20]["runtimes"]
    assert set(session) >= {"wasmtime simd", "wasmtime scalar"}
    for name, r in session.items():
        assert f"<td>{name}</td>" in page
        for key in ("median_ms", "min_ms", "max_ms", "realtime_factor"):
            assert cell(r[key]) in page, (name, key)
    for tracks in (1, 2):
        row = "".join(
            cell(r["ns_per_track_sample"]) for r in workloads["strip", tracks]["runtimes"].values()
        )
        assert f"<td>{tracks}</td>{row}</tr>" in page
    for name, d in bench_report["derived"].items():
        assert cell(d["tracks_per_core_at_50_percent"], "{:.0f}") in page, name
        assert cell(d["ratio_to_baseline"], "{:.2f}x") in page, name
    for name, q in bench_report["quantum_load"].items():
        assert cell(100 * q["load_p99"], "{:.1f} %") in page, name
    for name, c in bench_report["host_call"].items():
        assert cell(c["per_call_us"]) in page, name
    for name, size in bench_report["wasm_bytes"].items():
        assert f'<td>{name}</td><td class="n">{size:,}</td>' in page
    assert plot_titles(page) == [
        "reference session: times real time (higher is faster)",
        "strip: ns per track-sample",
        "strip tracks one core can run",
        "load of each quantum (share of the quantum&#x27;s duration)",
        "the cost of one host call",
        "size of each .wasm build",
    ]


def test_strings_from_the_report_are_escaped(bench_report: dict[str, Any]) -> None:
    doc = copy.deepcopy(bench_report)
    doc["machine"]["platform"] = '<script>alert("x")</script>'
    doc["skipped"] = {"<b>native</b>": "no <toolchain> & no crate"}
    page = html_report(doc)
    assert_self_contained(page)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;b&gt;native&lt;/b&gt; skipped: no &lt;toolchain&gt; &amp; no crate" in page


def test_a_file_that_is_no_report_is_refused() -> None:
    with pytest.raises(ReportError, match="not a dawgwasm bench or profile report"):
        html_report({"format": "something-else"})


def test_the_comparison_adds_a_section(bench_report: dict[str, Any]) -> None:
    page = html_report(bench_report, compare(bench_report, bench_report))
    assert_self_contained(page)
    assert "Compared with an earlier report" in page
    assert "0 of " in page and "within noise" in page


@pytest.mark.browser
def test_the_profile_page_shows_every_arm_and_figure(profile_report: dict[str, Any]) -> None:
    page = html_report(profile_report)
    assert_self_contained(page)
    assert "dawgwasm profile report" in page
    assert str(profile_report["machine"]["chromium"]) in page
    # the headless caveat, from the report itself
    assert profile_report["realtime"]["output"].replace("'", "&#x27;") in page
    assert "fake output device" in page
    for r in profile_report["results"]:
        if r["arm"] != "feed":
            assert cell(r["ns_per_track_sample"]) in page, r
    for entry in profile_report["ratios"]:
        for key, value in entry.items():
            if key != "tracks":
                assert f"<th>{key}</th>" in page
                assert cell(value, "{:.2f}") in page, key
    for arm in profile_report["realtime"]["arms"]:
        assert f"<td>{arm['arm']}</td>" in page
        assert cell(100 * arm["render_capacity_mean"], "{:.1f} %") in page
    titles = plot_titles(page)
    # the arms are the anchor and wasm-simd: no ratio to the browser's nodes
    assert titles[:4] == [
        "ns per track-sample by track count",
        "time relative to anchor (below 1: faster than anchor)",
        "render capacity in realtime (1 = the whole callback budget)",
        "underruns while playing",
    ]
    has_quantum_load = any("quantum_load" in a for a in profile_report["realtime"]["arms"])
    has_capacity = "capacity" in profile_report
    assert ("distribution of the load of each quantum" in titles) == has_quantum_load
    assert ("render capacity by track count" in titles) == has_capacity
    assert ("Headline figures" in page) == ("headline" in profile_report)


def _with_new_sections(report: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(report)
    for i, arm in enumerate(doc["realtime"]["arms"]):
        arm["quantum_load"] = {
            "quanta": 750,
            "p50": 0.125 + i,
            "p99": 0.375,
            "max": 0.8125,
            "histogram": {"edges": [0.0, 0.25, 0.5, 1.0, None], "counts": [10, 700, 39, 1]},
        }
    doc["capacity"] = {
        "target": 0.5,
        "arms": [
            {
                "arm": "wasm-simd",
                "tracks_at_target": 192,
                "tracks_before_underruns": None,
                "steps": [
                    {"tracks": 64, "render_capacity_mean": 0.1875, "underruns": 0},
                    {"tracks": 256, "render_capacity_mean": 0.6875, "underruns": 3},
                ],
            }
        ],
    }
    doc["headline"] = {"arms": [{"arm": "wasm-simd", "ns_at_256": 43.25, "label": "x"}]}
    return doc


@pytest.mark.browser
def test_the_profile_page_draws_the_sections_a_report_has(
    profile_report: dict[str, Any],
) -> None:
    page = html_report(_with_new_sections(profile_report))
    assert_self_contained(page)
    titles = plot_titles(page)
    for title in (
        "distribution of the load of each quantum",
        "tracks each arm can play",
        "render capacity by track count",
    ):
        assert title in titles
    for text in ("0.125", "1.125", "0.375", "0.812", "192", "0.688", "43.25", "<th>ns_at_256</th>"):
        assert text in page, text
    assert "<th>label</th>" not in page  # only numeric headline keys are tabled
    bare = copy.deepcopy(profile_report)
    for key in ("capacity", "headline"):
        bare.pop(key, None)
    for arm in bare["realtime"]["arms"]:
        arm.pop("quantum_load", None)
    titles = plot_titles(html_report(bare))
    assert "distribution of the load of each quantum" not in titles
    assert "render capacity by track count" not in titles
