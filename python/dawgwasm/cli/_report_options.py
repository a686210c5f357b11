"""The HTML report and the comparison options of ``bench`` and ``profile``.

A command that writes a JSON report to its ``--out`` (parameter
``out_path``) takes them with::

    @click.command("bench")
    ...                                   # its --out option, parameter out_path
    @report_options(BENCH_FORMAT)         # or PROFILE_FORMAT (dawgwasm._reportdoc)
    def command(..., out_path: Path, html_path: Path | None,
                compare_path: Path | None, open_html: bool) -> None:
        ...                               # run, print, write the JSON to out_path
        finish_report(report, out_path, html_path, compare_path, open_html, console)

Options: ``--html PATH`` (default: ``--out`` with the suffix ``.html``),
``--no-html``, ``--open`` (open the written page in the default browser),
``--compare OLD.json`` (an earlier report of the same command: a table of
the figures that changed beyond both runs' noise, printed and added to the
page). Before the command's body runs (so before anything is measured),
the decorator checks the HTML path as every output is checked
(``dawgwasm._files``; never the ``--out`` file nor the ``--compare`` file)
and reads ``--compare`` (:func:`check_compare`): a bad path fails at once.
The command then receives ``html_path`` (None with ``--no-html``),
``compare_path`` and ``open_html``.
"""

from __future__ import annotations

import functools
import os
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from dawgwasm._files import check_output, replacing
from dawgwasm._reportdoc import (
    COMMANDS,
    CURRENT_VERSIONS,
    ReportError,
    load_report,
    report_format,
)

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["check_compare", "finish_report", "report_options"]

F = TypeVar("F", bound=Callable[..., Any])


def check_compare(path: Path, expected_format: str) -> dict[str, Any]:
    """The report at ``path``, read and checked to be one the coming run can
    be compared with: a JSON report of ``expected_format`` in the version
    this dawgwasm writes. ReportError (saying what to pass instead) otherwise."""
    doc = load_report(path, "--compare")
    fmt, version = report_format(doc)
    command = COMMANDS[expected_format]
    if fmt != expected_format:
        raise ReportError(
            f"--compare {path} is a report of `{COMMANDS[fmt]}`, not of `{command}`; pass "
            f"an earlier report of `{command}` (its --out file)"
        )
    current = CURRENT_VERSIONS[expected_format]
    if version != current:
        raise ReportError(
            f"--compare {path} is a {fmt} report of format version {version}, and this "
            f"dawgwasm writes version {current}; run `{command}` with this dawgwasm to make "
            "a report to compare with"
        )
    return doc


def _same_path(a: Path, b: Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def report_options(expected_format: str) -> Callable[[F], F]:
    """Adds ``--html``, ``--no-html``, ``--open`` and ``--compare`` to a
    command with an ``out_path`` parameter, and checks them before the
    command runs (see the module docstring)."""
    if expected_format not in CURRENT_VERSIONS:
        raise ValueError(f"unknown report format {expected_format!r}")

    def decorate(f: F) -> F:
        @functools.wraps(f)
        def run(
            *args: Any,
            html: Path | None,
            no_html: bool,
            open_html: bool,
            compare_path: Path | None,
            **kwargs: Any,
        ) -> Any:
            out_path = Path(kwargs["out_path"])
            if no_html and (html is not None or open_html):
                raise click.UsageError("--no-html cannot be combined with --html or --open")
            html_path = None if no_html else (html or out_path.with_suffix(".html"))
            if html_path is not None:
                if _same_path(html_path, out_path):
                    raise click.UsageError(
                        f"the HTML report {html_path} would replace the JSON report (--out); "
                        "give --html another path"
                    )
                if compare_path is not None and _same_path(html_path, compare_path):
                    raise click.UsageError(
                        f"the HTML report {html_path} would replace the --compare report; "
                        "give --html another path"
                    )
                check_output(html_path, [out_path, *([compare_path] if compare_path else [])])
            if compare_path is not None:
                check_compare(compare_path, expected_format)
            return f(
                *args,
                html_path=html_path,
                compare_path=compare_path,
                open_html=open_html,
                **kwargs,
            )

        options = [
            click.option(
                "--html",
                type=click.Path(dir_okay=False, path_type=Path),
                default=None,
                metavar="PATH",
                help="Where to write the report as one self-contained HTML page  "
                "[default: --out with the suffix .html]",
            ),
            click.option("--no-html", is_flag=True, help="Write no HTML page."),
            click.option(
                "--open",
                "open_html",
                is_flag=True,
                help="Open the HTML page in the default browser once written.",
            ),
            click.option(
                "--compare",
                "compare_path",
                type=click.Path(dir_okay=False, path_type=Path),
                default=None,
                metavar="OLD.json",
                help="An earlier report of this command: show which figures changed beyond "
                "both runs' noise (checked before anything runs).",
            ),
        ]
        decorated: Any = run
        for option in reversed(options):
            decorated = option(decorated)
        return decorated  # type: ignore[no-any-return]

    return decorate


def finish_report(
    report: dict[str, Any],
    out_path: Path,
    html_path: Path | None,
    compare_path: Path | None,
    open_html: bool,
    console: Console,
) -> None:
    """After the command has written ``report`` to ``out_path``: compare it
    with ``compare_path``'s report (printing the table) if given, write the
    HTML page to ``html_path`` (atomically, by the rules of every output) if
    given, print its path, and open it in the default browser if
    ``open_html``."""
    from dawgwasm._compare import compare, comparison_table
    from dawgwasm._report import html_report

    comparison = None
    if compare_path is not None:
        comparison = compare(report, load_report(compare_path, "--compare"))
        console.print(comparison_table(comparison))
        changed = comparison.changed()
        console.print(
            f"{len(changed)} of {len(comparison.rows)} figures changed beyond the noise "
            f"against {compare_path}"
        )
        for note in comparison.notes:
            console.print(f"note: {note}")
    if html_path is None:
        return
    page = html_report(report, comparison)
    with replacing(html_path, [out_path, *([compare_path] if compare_path else [])]) as tmp:
        tmp.write_text(page, encoding="utf-8")
    console.print(f"HTML report → {html_path}")
    if open_html:
        webbrowser.open(html_path.resolve().as_uri())
