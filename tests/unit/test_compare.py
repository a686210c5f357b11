"""Comparing two reports of the same command against their own noise: a
real report against itself changes nothing; one figure moved by more than
both runs' spread (and the minimum change) is slower (or faster, the other
way round) and no other figure is; a move within the spread is noise; and
reports that cannot be compared are refused saying what to pass instead.
Also --html, --no-html and --compare through a small real command."""

from __future__ import annotations

import copy
import io
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from rich.console import Console

from dawgwasm._compare import MIN_RELATIVE_CHANGE, compare, comparison_table
from dawgwasm._errors import OutputFileError
from dawgwasm._files import replacing
from dawgwasm._reportdoc import BENCH_FORMAT, ReportError, load_report
from dawgwasm.cli._report_options import check_compare, finish_report, report_options
from tests.reports import bench_samples, with_bench_samples

RUNTIME = "wasmtime simd"


def steadiest(report: dict[str, Any]) -> tuple[str, int, str, list[float]]:
    """The strip figure whose repetitions spread least, relative to their median."""
    found = []
    for w in report["workloads"]:
        if w["workload"] != "strip":
            continue
        for name, r in w["runtimes"].items():
            s = r["samples_ms"]
            found.append(((max(s) - min(s)) / statistics.median(s), w["tracks"], name, s))
    _, tracks, name, samples = min(found)
    return "strip", tracks, name, samples


def verdicts(report_new: dict[str, Any], report_old: dict[str, Any]) -> dict[str, str]:
    return {r.figure: r.verdict for r in compare(report_new, report_old).rows}


def test_a_report_against_itself_is_all_within_noise(bench_report: dict[str, Any]) -> None:
    c = compare(bench_report, bench_report)
    assert c.format == BENCH_FORMAT and c.skipped == [] and c.notes == []
    runtimes = {n for w in bench_report["workloads"] for n in w["runtimes"]}
    assert len(c.rows) == len(bench_report["workloads"]) * len(runtimes)
    assert {r.verdict for r in c.rows} == {"within noise"}
    assert all(r.ratio == 1.0 for r in c.rows)
    assert "within noise" in _printed(comparison_table(c))


def test_one_figure_twice_as_slow_is_slower_and_nothing_else(
    bench_report: dict[str, Any],
) -> None:
    workload, tracks, runtime, samples = steadiest(bench_report)
    median = statistics.median(samples)
    # The spread stays below the median's own size: doubling it is beyond the noise.
    assert max(samples) - min(samples) < median
    slower = with_bench_samples(
        bench_report, workload, tracks, runtime, [s + median for s in samples]
    )
    figure = f"{workload} at {tracks} tracks, {runtime}"
    found = verdicts(slower, bench_report)
    assert found.pop(figure) == "slower"
    assert set(found.values()) == {"within noise"}
    row = next(r for r in compare(slower, bench_report).rows if r.figure == figure)
    assert row.old == pytest.approx(median) and row.new == pytest.approx(2 * median)
    assert row.ratio == pytest.approx(2.0)
    # and the other way round
    assert verdicts(bench_report, slower)[figure] == "faster"


def test_a_change_within_the_spread_is_noise(bench_report: dict[str, Any]) -> None:
    samples = bench_samples(bench_report, "strip", 1, RUNTIME)
    spread = max(samples) - min(samples)
    assert spread > 0
    shifted = with_bench_samples(
        bench_report, "strip", 1, RUNTIME, [s + spread / 2 for s in samples]
    )
    assert verdicts(shifted, bench_report)[f"strip at 1 tracks, {RUNTIME}"] == "within noise"


def test_a_change_beyond_the_spread_but_below_the_minimum_is_noise(
    bench_report: dict[str, Any],
) -> None:
    tight = [1.0, 1.001]
    base = with_bench_samples(bench_report, "strip", 2, RUNTIME, tight)
    moved = with_bench_samples(
        bench_report, "strip", 2, RUNTIME, [s * (1 + MIN_RELATIVE_CHANGE / 2) for s in tight]
    )
    assert verdicts(moved, base)[f"strip at 2 tracks, {RUNTIME}"] == "within noise"
    far = with_bench_samples(bench_report, "strip", 2, RUNTIME, [s * 1.5 for s in tight])
    assert verdicts(far, base)[f"strip at 2 tracks, {RUNTIME}"] == "slower"


def test_one_repetition_says_nothing_about_noise(bench_report: dict[str, Any]) -> None:
    one = with_bench_samples(bench_report, "strip", 1, RUNTIME, [5.0])
    assert verdicts(one, bench_report)[f"strip at 1 tracks, {RUNTIME}"] == "too few runs"


def test_figures_of_another_length_or_only_in_one_report_are_not_compared(
    bench_report: dict[str, Any],
) -> None:
    other = copy.deepcopy(bench_report)
    other["workloads"] = [w for w in other["workloads"] if w["workload"] != "session"]
    for w in other["workloads"]:
        if w["tracks"] == 2:
            w["frames"] *= 2
    c = compare(other, bench_report)
    assert {r.figure.split(" at ")[0] for r in c.rows} == {"strip"}
    assert all(" at 1 tracks" in r.figure for r in c.rows)
    assert any("only in the old report" in s and s.startswith("session") for s in c.skipped)
    assert any("frames (old) against" in s for s in c.skipped)


@pytest.mark.browser
def test_profile_reports_compare_per_arm_and_track_count(
    profile_report: dict[str, Any],
) -> None:
    c = compare(profile_report, profile_report)
    arms, tracks = profile_report["config"]["arms"], profile_report["config"]["tracks"]
    backends = [a["arm"] for a in profile_report["session"]["arms"]]
    assert backends == ["wasm-simd", "wasm-scalar"]
    assert len(c.rows) == len(arms) * len(tracks) + len(backends)
    assert {r.figure for r in c.rows} >= {f"reference session, {b}" for b in backends}
    assert {r.verdict for r in c.rows} == {"within noise"}
    slower = copy.deepcopy(profile_report)
    target = ("wasm-simd", tracks[-1])
    timed = [r for r in slower["runs"] if r["timed"] and (r["arm"], r["tracks"]) == target]
    spread = max(r["wall_ms"] for r in timed) - min(r["wall_ms"] for r in timed)
    shift = statistics.median(r["wall_ms"] for r in timed) + 2 * spread
    for r in timed:
        r["wall_ms"] += shift
    found = verdicts(slower, profile_report)
    assert found.pop(f"wasm-simd at {tracks[-1]} tracks") == "slower"
    assert set(found.values()) == {"within noise"}


@pytest.mark.browser
def test_profile_reports_compare_the_reference_session_per_backend(
    profile_report: dict[str, Any],
) -> None:
    slower = copy.deepcopy(profile_report)
    arm = next(a for a in slower["session"]["arms"] if a["arm"] == "wasm-scalar")
    times = arm["wall_ms"]
    assert len(times) == 2
    # beyond the spread of both runs and the minimum change
    shift = statistics.median(times) + 2 * (max(times) - min(times))
    arm["wall_ms"] = [t + shift for t in times]
    arm["median_ms"] = statistics.median(arm["wall_ms"])
    c = compare(slower, profile_report)
    rows = {r.figure: r for r in c.rows}
    moved = rows.pop("reference session, wasm-scalar")
    assert moved.verdict == "slower"
    assert moved.old == statistics.median(times) and moved.new == arm["median_ms"]
    assert moved.old_spread == max(times) - min(times)
    assert "x realtime" in moved.note
    assert {r.verdict for r in rows.values()} == {"within noise"}
    # a session of another length is not compared
    longer = copy.deepcopy(profile_report)
    longer["session"]["seconds"] *= 2
    c = compare(longer, profile_report)
    assert not any(r.figure.startswith("reference session") for r in c.rows)
    assert sum(s.startswith("reference session, ") for s in c.skipped) == 2


def test_reports_that_cannot_be_compared_are_refused(
    bench_report: dict[str, Any], tmp_path: Path
) -> None:
    profile_like = {"format": "dawgwasm-profile", "version": 1, "runs": []}
    with pytest.raises(
        ReportError,
        match="cannot compare a dawgwasm-bench report with a "
        "dawgwasm-profile report; pass an earlier report of `dawgwasm bench`",
    ):
        compare(bench_report, profile_like)
    newer = {**profile_like, "version": 2}
    with pytest.raises(ReportError, match="format version 2 and 1; run `dawgwasm profile`"):
        compare(newer, profile_like)
    with pytest.raises(ReportError, match="not a dawgwasm bench or profile report"):
        compare(bench_report, {"results": []})

    missing = tmp_path / "nowhere.json"
    with pytest.raises(ReportError, match=re.escape(f"the report {missing} not found; pass a")):
        load_report(missing)
    text = tmp_path / "notes.txt"
    text.write_text("strip 40 ns\n", encoding="utf-8")
    with pytest.raises(
        ReportError, match=r"notes.txt is not JSON \(line 1, column 1.*dawgwasm bench --out"
    ):
        load_report(text)
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ReportError, match="is JSON but not a dawgwasm report"):
        load_report(listed)
    with pytest.raises(ReportError, match="is a folder, not a regular file"):
        load_report(tmp_path)


# --html, --no-html, --compare through a small real command -------------------------


@click.command()
@click.option("--out", "out_path", type=click.Path(path_type=Path), required=True)
@report_options(BENCH_FORMAT)
@click.pass_obj
def tiny(
    report: dict[str, Any],
    out_path: Path,
    html_path: Path | None,
    compare_path: Path | None,
    open_html: bool,
) -> None:
    """Writes ``report`` as a bench command would, then finishes it."""
    with replacing(out_path) as tmp:
        tmp.write_text(json.dumps(report), encoding="utf-8")
    console = Console(file=io.StringIO(), width=200)
    finish_report(report, out_path, html_path, compare_path, open_html, console)
    click.echo(console.file.getvalue())  # type: ignore[attr-defined]


def _invoke(report: dict[str, Any], *args: str) -> Any:
    return CliRunner().invoke(tiny, list(args), obj=report)


def test_the_html_goes_beside_the_json_unless_told(
    bench_report: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "run" / "bench.json"
    result = _invoke(bench_report, "--out", str(out))
    assert result.exit_code == 0, result.output
    page = (tmp_path / "run" / "bench.html").read_text(encoding="utf-8")
    assert "dawgwasm bench report" in page and "Compared with" not in page
    assert f"HTML report → {tmp_path / 'run' / 'bench.html'}" in result.output

    other = tmp_path / "page.html"
    result = _invoke(bench_report, "--out", str(out), "--html", str(other))
    assert result.exit_code == 0, result.output
    assert other.is_file()

    bare = tmp_path / "bare.json"
    result = _invoke(bench_report, "--out", str(bare), "--no-html")
    assert result.exit_code == 0 and bare.is_file() and not bare.with_suffix(".html").exists()
    assert "HTML report" not in result.output


def test_compare_prints_the_table_and_adds_the_section(
    bench_report: dict[str, Any], tmp_path: Path
) -> None:
    old = tmp_path / "old.json"
    old.write_text(json.dumps(bench_report), encoding="utf-8")
    out = tmp_path / "new.json"
    result = _invoke(bench_report, "--out", str(out), "--compare", str(old))
    assert result.exit_code == 0, result.output
    assert "within noise" in result.output
    assert f"0 of {len(compare(bench_report, bench_report).rows)} figures changed" in result.output
    assert "Compared with an earlier report" in out.with_suffix(".html").read_text("utf-8")
    assert check_compare(old, BENCH_FORMAT) == bench_report


def test_bad_report_options_fail_before_the_command_runs(
    bench_report: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "bench.json"
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps({"format": "dawgwasm-profile", "version": 1}), "utf-8")
    old_version = tmp_path / "old-profile.json"
    old_version.write_text(json.dumps({"format": "dawgwasm-profile", "version": 0}), "utf-8")
    locked = tmp_path / "locked.html"
    locked.write_text("kept", "utf-8")
    locked.chmod(0o444)
    refusals: list[tuple[list[str], type[BaseException], str]] = [
        (["--compare", str(tmp_path / "gone.json")], ReportError, "not found"),
        (
            ["--compare", str(profile)],
            ReportError,
            "is a report of `dawgwasm profile`, not of "
            "`dawgwasm bench`; pass an earlier report of `dawgwasm bench`",
        ),
        (["--html", str(locked)], OutputFileError, "it is write-protected"),
        (["--html", str(out)], SystemExit, ""),
        (["--no-html", "--open"], SystemExit, ""),
    ]
    for args, kind, message in refusals:
        result = _invoke(bench_report, "--out", str(out), *args)
        assert result.exit_code != 0, args
        assert isinstance(result.exception, kind), (args, result.exception)
        assert message in str(result.exception), (args, result.exception)
        assert not out.exists(), args  # the command itself never ran
    assert locked.read_text("utf-8") == "kept"
    result = _invoke(bench_report, "--out", str(out), "--html", str(out))
    assert result.exit_code == 2 and "would replace the JSON report" in result.output
    result = _invoke(bench_report, "--out", str(out), "--html", str(tmp_path))
    assert result.exit_code == 2 and "is a directory" in result.output
    with pytest.raises(
        ReportError, match="of format version 0, and this dawgwasm writes version 1"
    ):
        check_compare(old_version, "dawgwasm-profile")


def _printed(renderable: object) -> str:
    console = Console(file=io.StringIO(), width=200)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


def test_open_hands_the_page_to_the_default_browser(
    bench_report: dict[str, Any], tmp_path: Path
) -> None:
    """--open through Python's webbrowser, with $BROWSER a script that
    writes down the address it was given (in a fresh process, where
    webbrowser reads $BROWSER)."""
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.py"
    browser.write_text(
        f"import sys, pathlib\npathlib.Path({str(opened)!r}).write_text(sys.argv[1])\n", "utf-8"
    )
    report = tmp_path / "report.json"
    report.write_text(json.dumps(bench_report), "utf-8")
    out = tmp_path / "run" / "bench.json"
    code = (
        "import json, sys\n"
        "from click.testing import CliRunner\n"
        "from tests.unit.test_compare import tiny\n"
        "doc = json.load(open(sys.argv[1]))\n"
        "r = CliRunner().invoke(tiny, ['--out', sys.argv[2], '--open'], obj=doc)\n"
        "sys.exit(r.exit_code)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(report), str(out)],
        env={**os.environ, "BROWSER": f"{sys.executable} {browser} %s"},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert opened.read_text("utf-8") == out.with_suffix(".html").resolve().as_uri()
