"""The HTML report of a real bench and a real profile report: one
self-contained page (no URL, no script, no outside file), every runtime or
arm named, each figure's value as the tables print it, the plots there, the
profile's realtime caveat stated, every string from the report escaped; the
profile's newer sections (the reference session per backend, idle tracks,
the load of each quantum, garbage collections, the worklet's heap, the
run-to-run stability, the capacity search, the probes) shown with each
figure as printed when the report has them, and a report without them
still drawn."""

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
    # the arms are the anchor and the engine's wasm backends: no ratio to the browser's nodes
    assert plot_titles(page) == [
        "reference session: times real time per backend (higher is faster)",
        "ns per track-sample by track count",
        "time relative to anchor (below 1: faster than anchor)",
        "render capacity in realtime (1 = the whole callback budget)",
        "underruns while playing",
        "distribution of the load of each quantum",
        "tracks each arm can play",
        "render capacity by track count",
    ]
    assert "Headline" not in page


def pct(value: float | None, pattern: str = "{:.2f} %") -> str:
    """A share as the page prints it, as a percentage."""
    return cell(None if value is None else 100 * value, pattern)


def text(value: str) -> str:
    """A right-aligned cell of text (the page's number columns)."""
    return f'<td class="n">{value}</td>'


def row(*cells: str) -> str:
    """A table row: the label cells as text, the rest as printed number cells."""
    return "<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in cells) + "</tr>"


@pytest.mark.browser
def test_the_profile_page_shows_the_reference_session(profile_report: dict[str, Any]) -> None:
    session = profile_report["session"]
    assert [a["arm"] for a in session["arms"]] == ["wasm-simd", "wasm-scalar"]
    page = html_report(profile_report)
    assert "<h2>Reference session</h2>" in page
    for a in session["arms"]:
        assert a["agrees"], a
        agreement = "identical" if a["identical"] else f"{a['diff_rms_db']:.1f} dB"
        each = ", ".join(f"{v:.1f}" for v in a["wall_ms"])
        expected = row(a["arm"], cell(a["median_ms"]), text(each), cell(a["x_realtime"]))
        assert expected[: -len("</tr>")] + text(agreement) + "</tr>" in page, a
    assert len(session["speedup"]) == 2
    for pair, factor in session["speedup"].items():
        assert row(pair, cell(factor, "{:.2f}x")) in page, pair
    assert "Disagrees with the reference" not in page
    doc = copy.deepcopy(profile_report)
    doc["session"]["arms"][1].update(agrees=False, identical=False, diff_rms_db=-12.25)
    page = html_report(doc)
    assert "Disagrees with the reference: wasm-scalar." in page
    assert '<td class="n">-12.2 dB (disagrees)</td>' in page


@pytest.mark.browser
def test_the_profile_page_shows_load_gc_heap_and_stability(
    profile_report: dict[str, Any],
) -> None:
    rt = profile_report["realtime"]
    page = html_report(profile_report)
    for heading in (
        "Run-to-run stability",
        "Load of each quantum",
        "Garbage collections on the render thread",
        "The worklet&#x27;s heap",
    ):
        assert f"<h3>{heading}</h3>" in page, heading
    for a in rt["arms"]:
        q, w, gc = a["quantum_load"], a["worklet_load"] or {}, a["gc"]
        assert q["histogram"]["counts"], a["arm"]
        load = [pct(q[k]) for k in ("p50", "p99", "max")]
        load += [pct(w.get(k)) for k in ("p50", "p99", "max")]
        assert row(a["arm"], a["render_thread"], cell(q["quanta"], "{:.0f}"), *load) in page
        events = (cell(gc[k], "{:.0f}") for k in ("events", "startup_events"))
        assert row(a["arm"], *events, cell(gc["ms"], "{:.2f}")) in page, a["arm"]
        heap = a["worklet_heap"]
        for key, grew in heap["growth_bytes"].items():
            sizes = (cell(heap[k][key], "{:,.0f}") for k in ("after_settle", "at_end"))
            assert row(a["arm"], key, *sizes, cell(grew, "{:,.0f}")) in page, (a["arm"], key)
    assert rt["stable_within"] == 0.25
    assert "stable when within 25 %" in page
    for s in rt["stability"]:
        first, second = s["render_capacity_mean"]
        verdict = "stable" if s["stable"] else "UNSTABLE"
        change = pct(s["relative_change"], "{:.1f} %")
        assert row(s["arm"], pct(first), pct(second), change, text(verdict)) in page, s
    # an unstable arm is named in a warning; with every arm stable there is none
    doc = copy.deepcopy(profile_report)
    for s in doc["realtime"]["stability"]:
        s["stable"] = s["arm"] != "wasm-simd"
    page = html_report(doc)
    assert '<p class="error">Unstable here: wasm-simd: render capacity changed' in page
    for s in doc["realtime"]["stability"]:
        s["stable"] = True
    assert "Unstable here" not in html_report(doc)


@pytest.mark.browser
def test_the_profile_page_shows_the_capacity_search(profile_report: dict[str, Any]) -> None:
    cap = profile_report["capacity"]
    assert cap["max_tracks"] == 32 and {a["arm"] for a in cap["arms"]} == {
        "anchor",
        "wasm-scalar",
        "wasm-simd",
    }
    page = html_report(profile_report)
    assert "<h2>Realtime capacity by track count</h2>" in page
    for a in cap["arms"]:
        limited = a["limited_by_max"]
        at_target = a["tracks_at_target"]
        before = a["tracks_before_underruns"]
        shown = [
            "-" if n is None else ("&gt;= " if bound else "") + str(n)
            for n, bound in ((at_target, limited and at_target == 32), (before, limited))
        ]
        assert row(a["arm"], *map(text, shown), text("yes" if limited else "no")) in page, a
        assert [s["tracks"] for s in a["steps"]][:2] == [16, 32]
        for s in a["steps"]:
            assert (
                row(
                    a["arm"],
                    cell(s["tracks"], "{:.0f}"),
                    cell(s["render_capacity_mean"], "{:.3f}"),
                    cell(s["render_capacity_max"], "{:.3f}"),
                    cell(s["underruns"], "{:.0f}"),
                    cell(s["played_s"], "{:.2f}"),
                    text("yes" if s["sustained_underruns"] else "no"),
                )
                in page
            ), s
    assert ">target 0.5</text>" in page
    # a step with sustained underruns is ringed and named in the legend; a
    # search that stopped below the most tracks tried shows its count bare
    doc = copy.deepcopy(profile_report)
    arm = doc["capacity"]["arms"][0]
    arm["steps"][-1]["sustained_underruns"] = True
    arm.update(tracks_at_target=24, tracks_before_underruns=24, limited_by_max=False)
    page = html_report(doc)
    assert ">sustained underruns</text>" in page
    assert row(arm["arm"], text("24"), text("24"), text("no")) in page
    sustained = any(s["sustained_underruns"] for a in cap["arms"] for s in a["steps"])
    assert (">sustained underruns</text>" in html_report(profile_report)) == sustained


@pytest.mark.browser
def test_the_profile_page_shows_the_probes_and_idle_tracks(
    profile_report: dict[str, Any],
) -> None:
    probes, idle = profile_report["probes"], profile_report["idle"]
    assert [p["arm"] for p in probes] == ["anchor", "wasm-scalar", "wasm-simd"]
    page = html_report(profile_report)
    assert "<h2>Start-up, latency and messages</h2>" in page
    assert "<h3>Each trial</h3>" in page
    for p in probes:
        assert p["fatal"] is None and len(p["latency_ms"]) == 5, p
        assert (
            row(
                p["arm"],
                cell(p["startup_ms"]),
                cell(p["latency_ms_median"]),
                cell(p["render_latency_ms_median"], "{:.2f}"),
                cell(p["messages_per_s"]),
                cell(p["quiet_messages_per_s"]),
                cell(p["fader_changes"], "{:.0f}"),
                text(p["transport"]),
                cell(p["main_heap_bytes"], "{:,.0f}"),
            )
            in page
        ), p
        trials = ", ".join(f"{v:.1f}" for v in p["latency_ms"])
        render = ", ".join(f"{v:.2f}" for v in p["render_latency_ms"])
        assert row(p["arm"], text(trials), text(render)) in page
        m = p["message_transport"]
        if p["arm"] == "anchor":
            assert m is None
        else:
            assert (
                row(
                    p["arm"],
                    cell(m["messages_per_s"]),
                    cell(m["quiet_messages_per_s"]),
                    cell(m["latency_ms_median"]),
                    cell(m["render_latency_ms_median"], "{:.2f}"),
                )
                in page
            ), m
    assert "<h3>The engine over its message transport (no ring)</h3>" in page
    doc = copy.deepcopy(profile_report)
    doc["probes"][0]["transport"] = "<b>ring</b>"
    doc["probes"][0]["fatal"] = 'worklet "died" & <stopped>'
    page_escaped = html_report(doc)
    assert_self_contained(page_escaped)
    assert text("&lt;b&gt;ring&lt;/b&gt;") in page_escaped
    assert "anchor: worklet &quot;died&quot; &amp; &lt;stopped&gt;</p>" in page_escaped
    assert "<h2>Idle tracks</h2>" in page
    assert f"{idle['tracks']} tracks with nothing connected" in page
    assert [a["arm"] for a in idle["arms"]] == ["anchor", "wasm-scalar", "wasm-simd"]
    for a in idle["arms"]:
        expected = row(
            a["arm"], cell(a["ns_per_track_sample"], "{:.2f}"), cell(a["idle_to_active"], "{:.3f}")
        )
        assert expected in page, a


@pytest.mark.browser
def test_a_profile_report_without_the_new_sections_still_renders(
    profile_report: dict[str, Any],
) -> None:
    bare = copy.deepcopy(profile_report)
    for key in ("session", "idle", "capacity", "probes"):
        del bare[key]
    del bare["realtime"]["stability"]
    for arm in bare["realtime"]["arms"]:
        for key in ("quantum_load", "worklet_load", "gc", "worklet_heap", "render_thread"):
            del arm[key]
    page = html_report(bare)
    assert_self_contained(page)
    assert plot_titles(page) == [
        "ns per track-sample by track count",
        "time relative to anchor (below 1: faster than anchor)",
        "render capacity in realtime (1 = the whole callback budget)",
        "underruns while playing",
    ]
    for heading in (
        "Reference session",
        "Idle tracks",
        "Run-to-run stability",
        "Load of each quantum",
        "Garbage collections",
        "heap",
        "Realtime capacity",
        "Start-up, latency",
    ):
        assert heading not in page, heading
