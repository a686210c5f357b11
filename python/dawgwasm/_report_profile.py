"""The HTML report of ``dawgwasm profile`` (see ``dawgwasm._report``): the
machine, browser and configuration, ns per track-sample by track count per
arm (offline renders), the ratios to the anchor and to the browser's nodes,
the realtime phase (render capacity, underruns; the load of each quantum
where the report has it), the capacity sweep and the headline figures where
the report has them; every figure from the report."""

from __future__ import annotations

from typing import Any

from dawgwasm._profile import ARMS, realtime_table, summary_table
from dawgwasm._report_html import info_table, num, paragraph, section, table
from dawgwasm._svgplot import bar_plot, line_plot

__all__ = ["profile_sections", "profile_subtitle"]

FAKE_OUTPUT = (
    "Headless Chromium plays on a fake output device: realtime figures say how loaded the "
    "render thread was, not how a given sound card would fare."
)


def profile_subtitle(report: dict[str, Any]) -> str:
    m = report.get("machine", {})
    return (
        f"The channel strip in Chromium {m.get('chromium', '?')} on {m.get('cpu', '?')} "
        f"({m.get('cores', '?')} cores, {m.get('platform', '?')}): offline renders, "
        "the feed subtracted, arms interleaved; then each arm playing in realtime."
    )


def _offline(report: dict[str, Any]) -> str:
    results = report.get("results", [])
    if not results:
        return ""
    head, rows = summary_table(results)
    arms = [a for a in dict.fromkeys(r["arm"] for r in results) if a != "feed"]
    tracks = sorted({r["tracks"] for r in results})
    series = {
        a: [(float(r["tracks"]), r.get("ns_per_track_sample")) for r in results if r["arm"] == a]
        for a in arms
    }
    config = report.get("config", {})
    return section(
        "Offline renders: ns per track-sample",
        paragraph(
            f"OfflineAudioContext renders of {config.get('seconds', '?')} s, median of "
            f"{config.get('repeat', '?')} after one warm-up; the feed (the same sources into a "
            "worklet that does nothing) subtracted. Lower is faster."
        ),
        table(head, rows),
        line_plot(
            series,
            title="ns per track-sample by track count",
            x_label="tracks",
            y_label="ns per track-sample",
            log_x=True,
            log_y=True,
            x_ticks=[float(n) for n in tracks],
            order=ARMS,
        ),
    )


def _ratios(report: dict[str, Any]) -> str:
    ratios = report.get("ratios", [])
    keys = list(dict.fromkeys(k for r in ratios for k in r if k != "tracks"))
    if not keys:
        return ""
    rows = [[str(r.get("tracks")), *(num(r.get(k), "{:.2f}") for k in keys)] for r in ratios]
    plots = []
    for base in ("anchor", "nodes"):
        mine = [k for k in keys if k.endswith(f"/{base}")]
        series = {
            k.split("/")[0]: [(float(r["tracks"]), r.get(k)) for r in ratios if k in r]
            for k in mine
        }
        plots.append(
            line_plot(
                series,
                title=f"time relative to {base} (below 1: faster than {base})",
                x_label="tracks",
                y_label=f"ratio to {base}",
                log_x=True,
                log_y=True,
                x_ticks=[float(r["tracks"]) for r in ratios],
                order=ARMS,
            )
        )
    return section(
        "Ratios to the anchor and to the browser's nodes",
        table(["tracks", *keys], rows),
        *plots,
    )


def _realtime(report: dict[str, Any]) -> str:
    rt = report.get("realtime", {})
    arms = rt.get("arms", [])
    if not arms:
        return ""
    head, rows = realtime_table(report)
    names = [str(a.get("arm")) for a in arms]
    capacity = bar_plot(
        names,
        {
            "mean": [a.get("render_capacity_mean") for a in arms],
            "max": [a.get("render_capacity_max") for a in arms],
        },
        title="render capacity in realtime (1 = the whole callback budget)",
        value_label="render capacity",
        value_format="{:.3f}",
    )
    underruns = bar_plot(
        names,
        {"underruns": [(a.get("playback_stats") or {}).get("underrunEvents") for a in arms]},
        title="underruns while playing",
        value_label="underrun events",
        value_format="{:.0f}",
    )
    parts = [
        paragraph(
            f"Each arm plays for {rt.get('seconds', '?')} s at {rt.get('tracks', '?')} tracks in "
            "a realtime AudioContext; render capacity is read from the DevTools protocol "
            "after the first second, underruns and latency from playbackStats."
        ),
        paragraph(f"Played on: {rt.get('output', 'not recorded')}. {FAKE_OUTPUT}", "caveat"),
        table(head, rows),
        capacity,
        underruns,
        _quantum_load(arms),
    ]
    return section("Realtime", *parts)


def _is_num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _at_least(edges: list[Any], counts: list[Any]) -> list[tuple[float, float | None]]:
    """(load, share of the quanta whose load was at least that) at each
    histogram edge: where the tail of slow quanta shows on a log axis."""
    total = sum(c for c in counts if _is_num(c))
    if len(edges) != len(counts) + 1 or total <= 0:
        return []
    points: list[tuple[float, float | None]] = []
    for i, lo in enumerate(edges[:-1]):
        if _is_num(lo):
            points.append((float(lo), sum(c for c in counts[i:] if _is_num(c)) / total))
    return points


def _quantum_load(arms: list[dict[str, Any]]) -> str:
    """The load of each quantum per arm, where the report has it."""
    loaded = [a for a in arms if isinstance(a.get("quantum_load"), dict)]
    if not loaded:
        return ""
    rows = []
    series: dict[str, list[tuple[float, float | None]]] = {}
    for a in loaded:
        q = a["quantum_load"]
        rows.append(
            [
                str(a.get("arm")),
                num(q.get("quanta"), "{:.0f}"),
                *(num(q.get(k), "{:.3f}") for k in ("p50", "p99", "max")),
            ]
        )
        hist = q.get("histogram") or {}
        series[str(a.get("arm"))] = _at_least(hist.get("edges") or [], hist.get("counts") or [])
    return (
        "<h3>Load of each quantum</h3>"
        + paragraph(
            "The time a quantum's processing took as a share of the quantum's duration "
            "(1: the whole quantum); the plot shows, at each load, the share of quanta "
            "that took at least that long (log scale: the rare slow quanta show)."
        )
        + table(["arm", "quanta", "p50", "p99", "max"], rows)
        + line_plot(
            series,
            title="distribution of the load of each quantum",
            x_label="load (share of the quantum's duration)",
            y_label="share of quanta at least this loaded",
            log_y=True,
            order=ARMS,
        )
    )


def _capacity(report: dict[str, Any]) -> str:
    cap = report.get("capacity")
    if not isinstance(cap, dict) or not cap.get("arms"):
        return ""
    arms = cap["arms"]
    target = cap.get("target")
    rows = [
        [
            str(a.get("arm")),
            num(a.get("tracks_at_target"), "{:.0f}"),
            num(a.get("tracks_before_underruns"), "{:.0f}"),
        ]
        for a in arms
    ]
    steps = [
        [
            str(a.get("arm")),
            num(s.get("tracks"), "{:.0f}"),
            num(s.get("render_capacity_mean"), "{:.3f}"),
            num(s.get("underruns"), "{:.0f}"),
        ]
        for a in arms
        for s in a.get("steps", [])
    ]
    series = {
        str(a.get("arm")): [
            (float(s["tracks"]), s.get("render_capacity_mean")) for s in a.get("steps", [])
        ]
        for a in arms
    }
    names = [str(a.get("arm")) for a in arms]
    return section(
        "Realtime capacity by track count",
        paragraph(
            f"Each arm played at growing track counts; target render capacity "
            f"{num(target, '{:g}')}. {FAKE_OUTPUT}",
            "caveat",
        ),
        table(["arm", "tracks at target", "tracks before underruns"], rows),
        bar_plot(
            names,
            {
                "tracks at target": [a.get("tracks_at_target") for a in arms],
                "tracks before underruns": [a.get("tracks_before_underruns") for a in arms],
            },
            title="tracks each arm can play",
            value_label="tracks",
            value_format="{:.0f}",
        ),
        line_plot(
            series,
            title="render capacity by track count",
            x_label="tracks",
            y_label="render capacity (mean)",
            log_x=True,
            order=ARMS,
        ),
        table(["arm", "tracks", "render capacity mean", "underruns"], steps),
    )


def _headline(report: dict[str, Any]) -> str:
    head = report.get("headline")
    if not isinstance(head, dict) or not head.get("arms"):
        return ""
    arms = head["arms"]
    keys = list(
        dict.fromkeys(
            k
            for a in arms
            for k, v in a.items()
            if k != "arm" and isinstance(v, int | float) and not isinstance(v, bool)
        )
    )
    rows = [[str(a.get("arm")), *(num(a.get(k), "{:.4g}") for k in keys)] for a in arms]
    return section("Headline figures", table(["arm", *keys], rows))


def profile_sections(report: dict[str, Any]) -> list[str]:
    """Every section of a profile report, in reading order."""
    errors = report.get("errors") or []
    checks = report.get("checks") or []
    failed = [c for c in checks if not c.get("ok")]
    notes = [paragraph(e, "error") for e in errors]
    if checks:
        notes.append(
            paragraph(
                f"{len(checks) - len(failed)} of {len(checks)} outputs passed the same-work check "
                "(finite, not silent, engine arms far below the signal from the anchor's).",
                "error" if failed else "",
            )
        )
    return [
        section(
            "Machine, browser and configuration",
            info_table(report.get("machine", {})),
            info_table(report.get("config", {})),
            *notes,
        ),
        _headline(report),
        _offline(report),
        _ratios(report),
        _realtime(report),
        _capacity(report),
    ]
