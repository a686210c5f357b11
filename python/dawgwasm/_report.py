"""The HTML report of ``dawgwasm bench`` and ``dawgwasm profile``: one
self-contained page (inline style, plots as inline SVG, no URL of any kind)
a person reads: what was measured on what, tables of the figures and plots
of them, and where given, the comparison with an earlier report.

    html_report(report)                      # a parsed bench or profile report
    html_report(report, compare(report, old))  # with a section comparing it with ``old``

Every figure on the page comes from the report; every string from it is
escaped.
"""

from __future__ import annotations

from typing import Any

from dawgwasm._compare import MIN_RELATIVE_CHANGE, Comparison
from dawgwasm._report_bench import bench_sections, bench_subtitle
from dawgwasm._report_html import page, paragraph, section, table
from dawgwasm._report_profile import profile_sections, profile_subtitle
from dawgwasm._reportdoc import BENCH_FORMAT, report_format

__all__ = ["comparison_section", "html_report"]


def comparison_section(comparison: Comparison) -> str:
    """The comparison with an earlier report: every figure both share, old
    and new medians, their spreads and the verdict."""
    rows = [
        [
            r.figure,
            f"{r.old:.3f}",
            f"{r.new:.3f}",
            f"{r.ratio:.2f}x",
            f"{r.old_spread:.3f}",
            f"{r.new_spread:.3f}",
            r.verdict,
            r.note,
        ]
        for r in comparison.rows
    ]
    changed = comparison.changed()
    summary = (
        f"{len(changed)} of {len(comparison.rows)} figures changed beyond both runs' noise: "
        f"{sum(r.verdict == 'slower' for r in changed)} slower, "
        f"{sum(r.verdict == 'faster' for r in changed)} faster. A change counts when the "
        "medians differ by more than the spread (max - min) of the repetitions in both runs "
        f"and by more than {MIN_RELATIVE_CHANGE:.0%}."
    )
    return section(
        "Compared with an earlier report",
        paragraph(summary),
        *(paragraph(n, "caveat") for n in comparison.notes),
        table(
            ["figure", "old ms", "new ms", "new/old", "spread old", "spread new", "verdict", ""],
            rows,
        ),
        *(paragraph(f"not compared: {s}") for s in comparison.skipped),
    )


def html_report(report: dict[str, Any], compare: Comparison | None = None) -> str:
    """The page of a parsed bench or profile report (ReportError when it is
    neither), with ``compare``'s section when given."""
    fmt, version = report_format(report)
    if fmt == BENCH_FORMAT:
        title, subtitle, sections = (
            "dawgwasm bench",
            bench_subtitle(report),
            bench_sections(report),
        )
    else:
        title, subtitle, sections = (
            "dawgwasm profile",
            profile_subtitle(report),
            profile_sections(report),
        )
    if compare is not None:
        sections.insert(1, comparison_section(compare))
    return page(f"{title} report", f"{subtitle} (report format {fmt} version {version})", sections)
