"""The realtime sections of the HTML report of ``dawgwasm profile`` (see
``dawgwasm._report_profile``): each arm playing (render capacity,
underruns, the load of each quantum and the worklet's share, garbage
collections, the worklet's heap, the run-to-run stability of two plays),
the capacity search and the probes (start-up, event-to-sound latency,
messages while a fader is dragged). Each part is drawn only where the
report has it; every figure from the report."""

from __future__ import annotations

import math
from typing import Any

from dawgwasm._profile import ARMS, realtime_table
from dawgwasm._report_html import esc, num, paragraph, section, table
from dawgwasm._svgplot import bar_plot, line_plot

__all__ = ["FAKE_OUTPUT", "capacity_section", "is_num", "probes_section", "realtime_section"]

FAKE_OUTPUT = (
    "Headless Chromium plays on a fake output device: realtime figures say how loaded the "
    "render thread was, not how a given sound card would fare."
)
#: The figures of the worklet's heap, in the order the table lists them.
HEAP_KEYS = ("usedSize", "totalSize", "embedderHeapUsedSize", "backingStorageSize")


def is_num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def pct(v: object, pattern: str = "{:.2f} %") -> str:
    """A share (1: all of it) as a percentage, "-" where the report has none."""
    return num(100 * v if is_num(v) else None, pattern)  # type: ignore[operator]


def _h3(title: str) -> str:
    return f"<h3>{esc(title)}</h3>"


def _dict(v: object) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def realtime_section(report: dict[str, Any]) -> str:
    rt = _dict(report.get("realtime"))
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
        {"underruns": [_dict(a.get("playback_stats")).get("underrunEvents") for a in arms]},
        title="underruns while playing",
        value_label="underrun events",
        value_format="{:.0f}",
    )
    return section(
        "Realtime",
        paragraph(
            f"Each arm plays for {rt.get('seconds', '?')} s at {rt.get('tracks', '?')} tracks in "
            "a realtime AudioContext; render capacity is read from the DevTools protocol "
            "after the first second, underruns and latency from playbackStats."
        ),
        paragraph(f"Played on: {rt.get('output', 'not recorded')}. {FAKE_OUTPUT}", "caveat"),
        table(head, rows),
        capacity,
        underruns,
        _stability(rt),
        _quantum_load(arms),
        _gc(arms),
        _worklet_heap(arms),
    )


def _stability(rt: dict[str, Any]) -> str:
    """Each arm's render capacity in two plays, and whether they agree within
    ``stable_within``; the arms that did not are named in a warning."""
    stability = rt.get("stability")
    if not isinstance(stability, list) or not stability:
        return ""
    within = rt.get("stable_within")
    rows = []
    unstable = []
    for s in stability:
        caps = s.get("render_capacity_mean") or []
        first, second = [*caps, None, None][:2] if isinstance(caps, list) else (None, None)
        if s.get("fatal"):
            verdict = f"failed: {s['fatal']}"
        else:
            verdict = "stable" if s.get("stable") else "UNSTABLE"
        if not s.get("stable"):
            unstable.append(str(s.get("arm")))
        rows.append(
            [
                str(s.get("arm")),
                pct(first),
                pct(second),
                pct(s.get("relative_change"), "{:.1f} %"),
                verdict,
            ]
        )
    parts = [
        _h3("Run-to-run stability"),
        paragraph(
            "Each arm played a second time, untraced, at the same track count: its render "
            "capacity in both plays and their difference relative to their mean; stable "
            f"when within {pct(within, '{:.0f} %')}."
        ),
        table(["arm", "first play", "second play", "relative change", "verdict"], rows),
    ]
    if unstable:
        parts.append(
            paragraph(
                f"Unstable here: {', '.join(unstable)}: render capacity changed by more than "
                f"{pct(within, '{:.0f} %')} between two plays of the same work, so these arms' "
                "realtime figures do not repeat on this machine.",
                "error",
            )
        )
    return "".join(parts)


def _at_least(edges: list[Any], counts: list[Any]) -> list[tuple[float, float | None]]:
    """(load, share of the quanta whose load was at least that) at each
    histogram edge: where the tail of slow quanta shows on a log axis."""
    total = sum(c for c in counts if is_num(c))
    if len(edges) != len(counts) + 1 or total <= 0:
        return []
    points: list[tuple[float, float | None]] = []
    for i, lo in enumerate(edges[:-1]):
        if is_num(lo):
            points.append((float(lo), sum(c for c in counts[i:] if is_num(c)) / total))
    return points


def _quantum_load(arms: list[dict[str, Any]]) -> str:
    """The load of each quantum and the worklet's own share, per arm."""
    loaded = [a for a in arms if isinstance(a.get("quantum_load"), dict)]
    if not loaded:
        return ""
    rows = []
    series: dict[str, list[tuple[float, float | None]]] = {}
    for a in loaded:
        q = a["quantum_load"]
        w = _dict(a.get("worklet_load"))
        rows.append(
            [
                str(a.get("arm")),
                str(a.get("render_thread") or "-"),
                num(q.get("quanta"), "{:.0f}"),
                *(pct(q.get(k)) for k in ("p50", "p99", "max")),
                *(pct(w.get(k)) for k in ("p50", "p99", "max")),
            ]
        )
        hist = _dict(q.get("histogram"))
        series[str(a.get("arm"))] = _at_least(hist.get("edges") or [], hist.get("counts") or [])
    head = ["arm", "render thread", "quanta", "load p50", "load p99", "load max"]
    head += ["worklet p50", "worklet p99", "worklet max"]
    return (
        _h3("Load of each quantum")
        + paragraph(
            "The time a quantum's processing took on the render thread as a share of the "
            "quantum's duration (100 %: the whole quantum), and the share the worklet's own "
            "process() took (none for the browser's nodes); the plot shows, at each load, the "
            "share of quanta that took at least that long (log scale: the rare slow quanta show)."
        )
        + table(head, rows, label_columns=2)
        + line_plot(
            series,
            title="distribution of the load of each quantum",
            x_label="load (share of the quantum's duration)",
            y_label="share of quanta at least this loaded",
            log_y=True,
            order=ARMS,
        )
    )


def _gc(arms: list[dict[str, Any]]) -> str:
    traced = [a for a in arms if isinstance(a.get("gc"), dict)]
    if not traced:
        return ""
    rows = [
        [
            str(a.get("arm")),
            num(a["gc"].get("events"), "{:.0f}"),
            num(a["gc"].get("startup_events"), "{:.0f}"),
            num(a["gc"].get("ms"), "{:.2f}"),
        ]
        for a in traced
    ]
    return (
        _h3("Garbage collections on the render thread")
        + paragraph(
            "Collections traced while playing, after the first second and during it "
            "(start-up), and the time those after the first second took."
        )
        + table(["arm", "GCs after 1 s", "GCs at start-up", "GC ms"], rows)
    )


def _worklet_heap(arms: list[dict[str, Any]]) -> str:
    with_heap = [a for a in arms if "worklet_heap" in a]
    if not with_heap:
        return ""
    rows = []
    for a in with_heap:
        heap = a.get("worklet_heap")
        if not isinstance(heap, dict):
            rows.append([str(a.get("arm")), "no worklet", "-", "-", "-"])
            continue
        settled, end, growth = (
            _dict(heap.get(k)) for k in ("after_settle", "at_end", "growth_bytes")
        )
        keys = [k for k in HEAP_KEYS if k in settled or k in end or k in growth]
        keys += [k for k in (*settled, *end, *growth) if k not in keys]
        for k in dict.fromkeys(keys):
            rows.append(
                [
                    str(a.get("arm")),
                    k,
                    *(num(d.get(k), "{:,.0f}") for d in (settled, end, growth)),
                ]
            )
    return (
        _h3("The worklet's heap")
        + paragraph(
            "The worklet isolate's heap (Runtime.getHeapUsage, bytes) after the first second "
            "of play and at its end, and how much each figure grew in between."
        )
        + table(["arm", "figure", "after 1 s", "at end", "growth bytes"], rows, label_columns=2)
    )


def _at_least_tracks(value: object, limited: bool) -> str:
    text = num(value, "{:.0f}")
    return f">= {text}" if limited and text != "-" else text


def _pow2_ticks(tracks: list[float]) -> list[float]:
    """Ticks at the powers of two around ``tracks`` (the search doubles)."""
    if not tracks:
        return []
    lo = math.floor(math.log2(min(tracks)))
    hi = math.ceil(math.log2(max(tracks)))
    # one power beyond each end: the axis is padded, and ticks outside it are dropped
    return [float(2**k) for k in range(lo - 1, hi + 2)]


def capacity_section(report: dict[str, Any]) -> str:
    cap = report.get("capacity")
    if not isinstance(cap, dict) or not cap.get("arms"):
        return ""
    arms = cap["arms"]
    target = cap.get("target")
    max_tracks = cap.get("max_tracks")
    rows = [
        [
            str(a.get("arm")),
            _at_least_tracks(
                a.get("tracks_at_target"),
                bool(a.get("limited_by_max"))
                and is_num(max_tracks)
                and a.get("tracks_at_target") == max_tracks,
            ),
            _at_least_tracks(a.get("tracks_before_underruns"), bool(a.get("limited_by_max"))),
            "yes" if a.get("limited_by_max") else "no",
        ]
        for a in arms
    ]
    steps = [
        [
            str(a.get("arm")),
            num(s.get("tracks"), "{:.0f}"),
            num(s.get("render_capacity_mean"), "{:.3f}"),
            num(s.get("render_capacity_max"), "{:.3f}"),
            num(s.get("underruns"), "{:.0f}"),
            num(s.get("played_s"), "{:.2f}"),
            "yes" if s.get("sustained_underruns") else "no",
        ]
        for a in arms
        for s in a.get("steps", [])
    ]
    series = {
        str(a.get("arm")): [
            (float(s["tracks"]), s.get("render_capacity_mean"))
            for s in a.get("steps", [])
            if is_num(s.get("tracks"))
        ]
        for a in arms
    }
    marked = [
        (float(s["tracks"]), float(s["render_capacity_mean"]))
        for a in arms
        for s in a.get("steps", [])
        if s.get("sustained_underruns")
        and is_num(s.get("tracks"))
        and is_num(s.get("render_capacity_mean"))
    ]
    names = [str(a.get("arm")) for a in arms]
    return section(
        "Realtime capacity by track count",
        paragraph(
            f"Each arm played at doubling track counts (then halfway between the last good and "
            f"the first bad), {num(cap.get('step_seconds'), '{:g}')} s per step after 1 s of "
            f"settling, up to {num(max_tracks, '{:.0f}')} tracks: the most tracks under "
            f"{pct(target, '{:.0f} %')} render capacity, and before sustained underruns (more "
            f"than {num(cap.get('sustained_underruns_per_s'), '{:g}')} per second). "
            "\u2265 N: still fine at the largest count tried. " + FAKE_OUTPUT,
            "caveat",
        ),
        table(
            ["arm", "tracks at target", "tracks before underruns", "limited by the most tried"],
            rows,
        ),
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
            x_ticks=_pow2_ticks([x for pts in series.values() for x, _ in pts]),
            order=ARMS,
            h_line=(f"target {num(target, '{:g}')}", float(target))
            if isinstance(target, int | float)
            else None,
            marked=marked,
            marked_label="sustained underruns",
        ),
        table(
            [
                "arm",
                "tracks",
                "render capacity mean",
                "max",
                "underruns",
                "played s",
                "sustained underruns",
            ],
            steps,
        ),
    )


def _trials(values: object, pattern: str) -> str:
    if not isinstance(values, list) or not values:
        return "-"
    return ", ".join(num(v, pattern) for v in values)


def probes_section(report: dict[str, Any]) -> str:
    probes = report.get("probes")
    if not isinstance(probes, list) or not probes:
        return ""
    rows = [
        [
            str(p.get("arm")),
            num(p.get("startup_ms"), "{:.1f}"),
            num(p.get("latency_ms_median"), "{:.1f}"),
            num(p.get("render_latency_ms_median"), "{:.2f}"),
            num(p.get("messages_per_s"), "{:.1f}"),
            num(p.get("quiet_messages_per_s"), "{:.1f}"),
            num(p.get("fader_changes"), "{:.0f}"),
            str(p.get("transport") or "-"),
            num(p.get("main_heap_bytes"), "{:,.0f}"),
        ]
        for p in probes
    ]
    by_message = [
        [
            str(p.get("arm")),
            num(m.get("messages_per_s"), "{:.1f}"),
            num(m.get("quiet_messages_per_s"), "{:.1f}"),
            num(m.get("latency_ms_median"), "{:.1f}"),
            num(m.get("render_latency_ms_median"), "{:.2f}"),
        ]
        for p in probes
        if isinstance(m := p.get("message_transport"), dict)
    ]
    trials = [
        [
            str(p.get("arm")),
            _trials(p.get("latency_ms"), "{:.1f}"),
            _trials(p.get("render_latency_ms"), "{:.2f}"),
        ]
        for p in probes
    ]
    fatal = [paragraph(f"{p.get('arm')}: {p['fatal']}", "error") for p in probes if p.get("fatal")]
    tracks = probes[0].get("tracks", "?")
    return section(
        "Start-up, latency and messages",
        paragraph(
            f"Each arm at {tracks} tracks, in a fresh page: start-up from the call that builds "
            "the arm to the main thread hearing that a quantum sounded; event-to-sound from "
            "unmuting a track on the main thread to the output time of the first sounding "
            "frame (median of the trials), and its render side (the same frame against "
            "currentTime at the call, without the output's own latency); the main thread's "
            "messages per second while a fader is dragged and over as long with nothing "
            "changing, and how the changes travel (transport; the engine is probed again "
            "over its message transport); the page's used JS heap after load. " + FAKE_OUTPUT
        ),
        *fatal,
        table(
            [
                "arm",
                "start-up ms",
                "event-to-sound ms",
                "render side ms",
                "messages/s dragging",
                "messages/s still",
                "fader changes",
                "transport",
                "main heap bytes",
            ],
            rows,
        ),
        _h3("Each trial"),
        table(["arm", "event-to-sound ms", "render side ms"], trials),
        *(
            [
                _h3("The engine over its message transport (no ring)"),
                table(
                    [
                        "arm",
                        "messages/s dragging",
                        "messages/s still",
                        "event-to-sound ms",
                        "render side ms",
                    ],
                    by_message,
                ),
            ]
            if by_message
            else []
        ),
    )
