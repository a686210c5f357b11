"""The HTML report of ``dawgwasm bench`` (see ``dawgwasm._report``): the
machine and configuration, the reference session, ns per track-sample by
track count for each workload, the derived figures, the load of each
quantum, the host call and the builds' sizes; every figure from the report."""

from __future__ import annotations

from typing import Any

from dawgwasm._report_html import esc, info_table, num, paragraph, section, table
from dawgwasm._svgplot import bar_plot, line_plot

__all__ = ["bench_sections", "bench_subtitle"]

#: The per-track workloads, in report order, and what each measures.
SCALING = (
    ("strip", "N tracks of fixed-seed noise through EQ, compressor, fader and pan"),
    ("idle", "the same tracks silent and asleep (auto-bypassed)"),
    ("units", "tracks with every effect unit inserted, auto-bypass off, fed noise"),
    ("tail", "the same tracks while their tails decay after a burst"),
)
BATCH_KEY = "64_quanta_per_call_us_per_quantum"


def _runtimes(report: dict[str, Any]) -> list[str]:
    """Runtime names in the order the report lists them."""
    names: list[str] = []
    for w in report.get("workloads", []):
        names.extend(n for n in w.get("runtimes", {}) if n not in names)
    for key in ("derived", "quantum_load", "host_call"):
        names.extend(n for n in report.get(key, {}) if n not in names)
    return names


def bench_subtitle(report: dict[str, Any]) -> str:
    m = report.get("machine", {})
    return (
        f"Headless benchmark on {m.get('platform', '?')} ({m.get('cpus', '?')} CPUs), "
        f"Python {m.get('python', '?')}, node {m.get('node') or 'absent'}; "
        f"baseline {report.get('baseline', '?')}; medians of {report.get('repeat', '?')} "
        "timed runs after one warm-up, runtimes interleaved."
    )


def _session(report: dict[str, Any], names: list[str]) -> str:
    sessions = [w for w in report.get("workloads", []) if w.get("workload") == "session"]
    if not sessions:
        return ""
    w = sessions[0]
    runs = w.get("runtimes", {})
    base = runs.get(report.get("baseline"), {}).get("median_ms")
    agreement = w.get("agreement_db_below_signal", {})
    rows = []
    for n in names:
        r = runs.get(n)
        if r is None:
            continue
        db = agreement.get(n)
        ratio = r["median_ms"] / base if isinstance(base, int | float) and base > 0 else None
        rows.append(
            [
                n,
                num(r.get("median_ms")),
                num(r.get("min_ms")),
                num(r.get("max_ms")),
                num(r.get("realtime_factor")),
                num(ratio, "{:.2f}x"),
                "identical" if db is None else num(db, "-{:.0f} dB"),
            ]
        )
    seconds = w.get("frames", 0) / report.get("sample_rate_hz", 48000.0)
    plot = bar_plot(
        [row[0] for row in rows],
        {"x realtime": [runs[row[0]].get("realtime_factor") for row in rows]},
        title="reference session: times real time (higher is faster)",
        value_label="x realtime",
        value_format="{:.1f}",
    )
    return section(
        "Reference session",
        paragraph(f"{w.get('tracks')} tracks, {seconds:.2f} s of audio, one pass with events."),
        table(
            [
                "runtime",
                "median ms",
                "min ms",
                "max ms",
                "x realtime",
                f"vs {report.get('baseline', 'baseline')}",
                "agreement",
            ],
            rows,
        ),
        plot,
    )


def _scaling(report: dict[str, Any], names: list[str]) -> str:
    parts = [
        paragraph(
            "Net of the same engine with no track created (timed in the same rounds), "
            "divided by tracks x frames. Lower is faster."
        )
    ]
    for kind, what in SCALING:
        rows_json = [w for w in report.get("workloads", []) if w.get("workload") == kind]
        if not rows_json:
            continue
        present = [n for n in names if any(n in w.get("runtimes", {}) for w in rows_json)]
        rows = [
            [
                str(w.get("tracks")),
                *(
                    num(w.get("runtimes", {}).get(n, {}).get("ns_per_track_sample"))
                    for n in present
                ),
            ]
            for w in rows_json
        ]
        series = {
            n: [
                (float(w["tracks"]), w["runtimes"][n].get("ns_per_track_sample"))
                for w in rows_json
                if n in w.get("runtimes", {})
            ]
            for n in present
        }
        parts.append(f"<h3>{esc(kind)}: {esc(what)}</h3>")
        parts.append(table(["tracks", *present], rows, caption=f"{kind}: ns per track-sample"))
        parts.append(
            line_plot(
                series,
                title=f"{kind}: ns per track-sample",
                x_label="tracks",
                y_label="ns per track-sample",
                log_x=True,
                log_y=True,
                x_ticks=[float(w["tracks"]) for w in rows_json],
                order=names,
            )
        )
    return section("ns per track-sample by track count", *parts) if len(parts) > 1 else ""


def _derived(report: dict[str, Any]) -> str:
    derived = report.get("derived", {})
    if not derived:
        return ""
    rows = [
        [
            n,
            num(d.get("ns_per_track_sample")),
            num(d.get("tracks_per_core_at_50_percent"), "{:.0f}"),
            num(d.get("tracks_per_core_at_90_percent"), "{:.0f}"),
            num(d.get("ratio_to_baseline"), "{:.2f}x"),
            num(d.get("ratio_to_wasmtime_scalar"), "{:.2f}x"),
            num(d.get("idle_to_active"), "{:.3f}"),
            num(d.get("tail_to_active"), "{:.2f}"),
        ]
        for n, d in derived.items()
    ]
    some = next(iter(derived.values()))
    plot = bar_plot(
        list(derived),
        {
            "at 50 % load": [d.get("tracks_per_core_at_50_percent") for d in derived.values()],
            "at 90 % load": [d.get("tracks_per_core_at_90_percent") for d in derived.values()],
        },
        title="strip tracks one core can run",
        value_label="tracks per core",
        value_format="{:.0f}",
    )
    return section(
        "Derived figures",
        paragraph(
            f"At the largest strip size ({some.get('strip_tracks', '?')} tracks); tail/active "
            "compares decaying tails with the same units fed noise."
        ),
        table(
            [
                "runtime",
                "ns per track-sample",
                "tracks per core at 50 %",
                "at 90 %",
                "vs baseline",
                "vs wasmtime scalar",
                "idle/active",
                "tail/active",
            ],
            rows,
        ),
        plot,
    )


def _percent(share: object) -> str:
    return num(100 * share, "{:.1f} %") if isinstance(share, int | float) else "-"


def _quantum_load(report: dict[str, Any]) -> str:
    load = report.get("quantum_load", {})
    if not load:
        return ""
    keys = (("load_p50", "p50"), ("load_p99", "p99"), ("load_max", "max"))
    rows = [
        [
            n,
            str(q.get("quanta", "-")),
            *(
                num(100 * q[k], "{:.1f} %") if isinstance(q.get(k), int | float) else "-"
                for k, _ in keys
            ),
        ]
        for n, q in load.items()
    ]
    some = next(iter(load.values()))
    quantum_ms = 1e3 * report.get("quantum_frames", 128) / report.get("sample_rate_hz", 48000.0)
    plot = bar_plot(
        list(load),
        {label: [q.get(k) for q in load.values()] for k, label in keys},
        title="load of each quantum (share of the quantum's duration)",
        value_label="load (1 = the whole quantum)",
        log=True,
    )
    return section(
        "Load of each quantum",
        paragraph(
            f"The strip at {some.get('tracks', '?')} tracks, one quantum per call (host call "
            f"included), each call timed, as a share of the quantum's {quantum_ms:.2f} ms."
        ),
        table(["runtime", "quanta", "p50", "p99", "max"], rows),
        plot,
    )


def _host_call(report: dict[str, Any]) -> str:
    calls = report.get("host_call", {})
    if not calls:
        return ""
    rows = [
        [
            n,
            num(c.get("per_call_us")),
            num(c.get("one_quantum_per_call_us")),
            num(c.get(BATCH_KEY), "{:.2f}"),
        ]
        for n, c in calls.items()
    ]
    plot = bar_plot(
        list(calls),
        {"µs per call": [c.get("per_call_us") for c in calls.values()]},
        title="the cost of one host call",
        value_label="µs per call",
        log=True,
    )
    return section(
        "The host call",
        paragraph("An engine with nothing to render: one quantum per call against 64 per call."),
        table(
            ["runtime", "µs per call", "1 quantum per call, µs", "64 per call, µs/quantum"], rows
        ),
        plot,
    )


def _wasm_sizes(report: dict[str, Any]) -> str:
    sizes = report.get("wasm_bytes", {})
    if not sizes:
        return ""
    plot = bar_plot(
        list(sizes),
        {"bytes": list(sizes.values())},
        title="size of each .wasm build",
        value_label="bytes",
        value_format="{:,.0f}",
    )
    return section(
        "WebAssembly builds",
        table(["build", "bytes"], [[n, num(b, "{:,.0f}")] for n, b in sizes.items()]),
        plot,
    )


def bench_sections(report: dict[str, Any]) -> list[str]:
    """Every section of a bench report, in reading order."""
    names = _runtimes(report)
    config = {
        k: report.get(k)
        for k in (
            "baseline",
            "repeat",
            "seconds_per_run",
            "sample_rate_hz",
            "quantum_frames",
            "js_tolerance_db",
        )
    }
    skipped = report.get("skipped") or {}
    return [
        section(
            "Machine and configuration",
            info_table(report.get("machine", {})),
            info_table(config),
            *(paragraph(f"{n} skipped: {why}", "caveat") for n, why in skipped.items()),
        ),
        _session(report, names),
        _scaling(report, names),
        _derived(report),
        _quantum_load(report),
        _host_call(report),
        _wasm_sizes(report),
    ]
