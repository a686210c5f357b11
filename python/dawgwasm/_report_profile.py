"""The HTML report of ``dawgwasm profile`` (see ``dawgwasm._report``): the
machine, browser and configuration, the reference session per engine
backend, ns per track-sample by track count per arm (offline renders), idle
tracks, the ratios to the anchor and to the browser's nodes, then the
realtime sections (``dawgwasm._report_realtime``): each arm playing, the
capacity search and the probes. A section is drawn only where the report
has its key (older reports lack some); every figure from the report."""

from __future__ import annotations

from typing import Any

from dawgwasm._profile import ARMS, summary_table
from dawgwasm._report_html import info_table, num, paragraph, section, table
from dawgwasm._report_realtime import capacity_section, probes_section, realtime_section
from dawgwasm._svgplot import bar_plot, line_plot

__all__ = ["profile_sections", "profile_subtitle"]


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


def _session(report: dict[str, Any]) -> str:
    """The reference session per engine backend, and each one's speed-up over the others."""
    session = report.get("session")
    if not isinstance(session, dict) or not session.get("arms"):
        return ""
    arms = session["arms"]
    runs = session.get("runs") or []
    reference = next((r.get("reference") for r in runs if r.get("reference")), None)
    rows = []
    disagree = []
    for a in arms:
        identical = a.get("identical")
        agreement = "identical" if identical else num(a.get("diff_rms_db"), "{:.1f} dB")
        if not a.get("agrees"):
            agreement += " (disagrees)"
            disagree.append(str(a.get("arm")))
        reps = a.get("wall_ms")
        rows.append(
            [
                str(a.get("arm")),
                num(a.get("median_ms")),
                ", ".join(num(v) for v in reps) if isinstance(reps, list) and reps else "-",
                num(a.get("x_realtime")),
                agreement,
            ]
        )
    speedup = session.get("speedup")
    pairs = speedup.items() if isinstance(speedup, dict) else []
    names = [str(a.get("arm")) for a in arms]
    warning = ""
    if disagree:
        warning = paragraph(f"Disagrees with the reference: {', '.join(disagree)}.", "error")
    return section(
        "Reference session",
        paragraph(
            f"The reference session ({session.get('tracks', '?')} tracks, "
            f"{session.get('seconds', '?')} s at {session.get('rate_hz', '?')} Hz) rendered "
            "offline by each engine backend, the median of its timed renders; agreement: the "
            f"output against {reference or 'the first backend'}'s (identical, or the "
            "difference in dB below the signal)."
        ),
        warning,
        table(["backend", "render ms", "each render ms", "x realtime", "agreement"], rows),
        table(["backends", "speed-up"], [[k, num(v, "{:.2f}x")] for k, v in pairs])
        if pairs
        else "",
        bar_plot(
            names,
            {"x realtime": [a.get("x_realtime") for a in arms]},
            title="reference session: times real time per backend (higher is faster)",
            value_label="x realtime",
            value_format="{:.1f}",
        ),
    )


def _idle(report: dict[str, Any]) -> str:
    idle = report.get("idle")
    if not isinstance(idle, dict) or not idle.get("arms"):
        return ""
    rows = [
        [
            str(a.get("arm")),
            num(a.get("ns_per_track_sample"), "{:.2f}"),
            num(a.get("idle_to_active"), "{:.3f}"),
        ]
        for a in idle["arms"]
    ]
    return section(
        "Idle tracks",
        paragraph(
            f"{idle.get('tracks', '?')} tracks with nothing connected, rendered for "
            f"{idle.get('seconds', '?')} s, the idle feed subtracted: ns per track-sample, and "
            "as a share of the same arm's active tracks (idle/active)."
        ),
        table(["arm", "idle ns per track-sample", "idle/active"], rows),
    )


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
        _session(report),
        _offline(report),
        _idle(report),
        _ratios(report),
        realtime_section(report),
        capacity_section(report),
        probes_section(report),
    ]
