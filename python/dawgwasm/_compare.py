"""Two reports of the same command compared, figure by figure, against
their own noise (``--compare OLD.json``).

Figures: for a bench report, every workload x track count x runtime (the
times of its timed repetitions, ``samples_ms``); for a profile report,
every track count x arm of the offline renders (the timed repetitions'
``wall_ms`` in ``runs``, with the arm's ns per track-sample shown beside it)
and each backend's render of the reference session (``session.arms``: its
``wall_ms``, with times realtime beside it).

A figure changed only when the change of its median is larger than the
spread (max - min) of its repetitions in BOTH runs, and larger than
:data:`MIN_RELATIVE_CHANGE` of the old median; otherwise it is "within
noise". With fewer than :data:`MIN_REPETITIONS` repetitions on either side
the spread says nothing: such a figure is "too few runs" (run with
``--repeat 2`` or more). A figure measured over a different length of audio
in the two runs (another ``--seconds``) is not compared, nor is one that
only one report has: both are listed in ``Comparison.skipped``.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from dawgwasm._reportdoc import BENCH_FORMAT, COMMANDS, ReportError, report_format

if TYPE_CHECKING:
    from rich.table import Table

__all__ = [
    "MIN_RELATIVE_CHANGE",
    "MIN_REPETITIONS",
    "Comparison",
    "ComparisonRow",
    "compare",
    "comparison_table",
]

#: The smallest change of a median reported as faster or slower, relative to the old median.
MIN_RELATIVE_CHANGE = 0.05
#: Repetitions a figure needs on each side for its spread to say anything.
MIN_REPETITIONS = 2

Verdict = Literal["faster", "slower", "within noise", "too few runs"]


@dataclass(frozen=True)
class ComparisonRow:
    """One figure in both reports: medians and spreads in ``unit``; ratio
    new/old (below 1: faster)."""

    figure: str
    unit: str
    old: float
    new: float
    old_spread: float
    new_spread: float
    ratio: float
    verdict: Verdict
    #: A related figure of both reports, for the reader (not judged).
    note: str = ""


@dataclass(frozen=True)
class Comparison:
    """Every figure two reports of ``format`` share, and what could not be compared."""

    format: str
    rows: list[ComparisonRow]
    skipped: list[str] = field(default_factory=list)
    #: Differences between the runs that a reader should weigh (machine, configuration).
    notes: list[str] = field(default_factory=list)

    def changed(self) -> list[ComparisonRow]:
        return [r for r in self.rows if r.verdict in ("faster", "slower")]


def _verdict(old: Sequence[float], new: Sequence[float]) -> Verdict:
    if len(old) < MIN_REPETITIONS or len(new) < MIN_REPETITIONS:
        return "too few runs"
    m_old, m_new = statistics.median(old), statistics.median(new)
    change = abs(m_new - m_old)
    noisy = change <= max(old) - min(old) or change <= max(new) - min(new)
    if noisy or m_old <= 0 or change <= MIN_RELATIVE_CHANGE * m_old:
        return "within noise"
    return "slower" if m_new > m_old else "faster"


def _row(figure: str, old: Sequence[float], new: Sequence[float], note: str = "") -> ComparisonRow:
    m_old, m_new = statistics.median(old), statistics.median(new)
    return ComparisonRow(
        figure=figure,
        unit="ms",
        old=m_old,
        new=m_new,
        old_spread=max(old) - min(old),
        new_spread=max(new) - min(new),
        ratio=m_new / m_old if m_old > 0 else float("inf"),
        verdict=_verdict(old, new),
        note=note,
    )


def _floats(values: object) -> list[float] | None:
    if not isinstance(values, list) or not values:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return None
    return [float(v) for v in values]


def _bench_figures(doc: dict[str, Any]) -> dict[str, tuple[int, list[float], str]]:
    """Figure name → (frames, repetitions in ms, note) of a bench report."""
    found: dict[str, tuple[int, list[float], str]] = {}
    for w in doc.get("workloads", []):
        for runtime, r in w.get("runtimes", {}).items():
            samples = _floats(r.get("samples_ms"))
            if samples is None:
                continue
            name = f"{w.get('workload')} at {w.get('tracks')} tracks, {runtime}"
            ns = r.get("ns_per_track_sample")
            note = f"{ns:.1f} ns per track-sample" if isinstance(ns, int | float) else ""
            found[name] = (int(w.get("frames", 0)), samples, note)
    return found


def _profile_figures(doc: dict[str, Any]) -> dict[str, tuple[int, list[float], str]]:
    """Figure name → (frames, timed repetitions' wall ms, note) of a profile report."""
    ns = {
        (r.get("tracks"), r.get("arm")): r.get("ns_per_track_sample")
        for r in doc.get("results", [])
    }
    found: dict[str, tuple[int, list[float], str]] = {}
    for r in doc.get("runs", []):
        if not r.get("timed") or not isinstance(r.get("wall_ms"), int | float):
            continue
        name = f"{r.get('arm')} at {r.get('tracks')} tracks"
        frames, samples, _ = found.get(name, (int(r.get("frames", 0)), [], ""))
        samples.append(float(r["wall_ms"]))
        value = ns.get((r.get("tracks"), r.get("arm")))
        note = f"{value:.1f} ns per track-sample" if isinstance(value, int | float) else ""
        found[name] = (frames, samples, note)
    session = doc.get("session")
    if isinstance(session, dict):
        seconds, rate_hz = session.get("seconds"), session.get("rate_hz")
        length = 0
        if isinstance(seconds, int | float) and isinstance(rate_hz, int | float):
            length = round(seconds * rate_hz)
        for a in session.get("arms", []):
            times = _floats(a.get("wall_ms"))
            if times is None:
                continue
            x = a.get("x_realtime")
            note = f"{x:.1f}x realtime" if isinstance(x, int | float) else ""
            found[f"reference session, {a.get('arm')}"] = (length, times, note)
    return found


def _machine_notes(new: dict[str, Any], old: dict[str, Any]) -> list[str]:
    notes = []
    m_new, m_old = new.get("machine", {}), old.get("machine", {})
    for key in ("cpu", "platform", "cpus", "cores", "chromium", "node", "python"):
        if key in m_new and key in m_old and m_new[key] != m_old[key]:
            notes.append(f"{key} differs: {m_old[key]} (old) against {m_new[key]} (new)")
    return notes


def compare(new: dict[str, Any], old: dict[str, Any]) -> Comparison:
    """Every figure ``new`` and ``old`` (two parsed reports of the same
    command and format version) share, judged against both runs' noise;
    ReportError when they cannot be compared."""
    fmt_new, version_new = report_format(new, "the new report")
    fmt_old, version_old = report_format(old, "the report to compare with")
    if fmt_new != fmt_old:
        raise ReportError(
            f"cannot compare a {fmt_new} report with a {fmt_old} report; pass an earlier "
            f"report of `{COMMANDS[fmt_new]}` (its --out file)"
        )
    if version_new != version_old:
        raise ReportError(
            f"cannot compare {fmt_new} reports of format version {version_new} and "
            f"{version_old}; run `{COMMANDS[fmt_new]}` again with this dawgwasm to make a "
            "report to compare with"
        )
    figures = _bench_figures if fmt_new == BENCH_FORMAT else _profile_figures
    f_new, f_old = figures(new), figures(old)
    rows: list[ComparisonRow] = []
    skipped: list[str] = []
    for name, (frames, samples, note) in f_new.items():
        if name not in f_old:
            skipped.append(f"{name}: only in the new report")
            continue
        frames_old, samples_old, note_old = f_old[name]
        if frames != frames_old:
            skipped.append(f"{name}: {frames_old} frames (old) against {frames} (new)")
            continue
        both = f"{note_old} → {note}" if note and note_old else ""
        rows.append(_row(name, samples_old, samples, both))
    skipped.extend(f"{name}: only in the old report" for name in f_old if name not in f_new)
    return Comparison(fmt_new, rows, skipped, _machine_notes(new, old))


def comparison_table(comparison: Comparison, title: str = "") -> Table:
    """A rich Table of the comparison's rows (changed figures in colour)."""
    from rich.table import Table

    table = Table(
        title=title
        or f"against the earlier report: a change counts beyond both runs' spread and "
        f"{MIN_RELATIVE_CHANGE:.0%}"
    )
    for col in ("figure", "old ms", "new ms", "new/old", "spread old", "spread new", "verdict"):
        table.add_column(col, justify="left" if col in ("figure", "verdict") else "right")
    styles = {"slower": "bold red", "faster": "bold green"}
    for r in comparison.rows:
        table.add_row(
            r.figure,
            f"{r.old:.3f}",
            f"{r.new:.3f}",
            f"{r.ratio:.2f}x",
            f"{r.old_spread:.3f}",
            f"{r.new_spread:.3f}",
            r.verdict,
            style=styles.get(r.verdict),
        )
    return table
