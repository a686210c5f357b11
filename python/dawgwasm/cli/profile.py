"""``dawgwasm profile``: the engine in real Chromium against the browser's
own nodes and a hand-optimised JavaScript worklet."""

from __future__ import annotations

import json
from pathlib import Path

import click

from dawgwasm._reportdoc import PROFILE_FORMAT
from dawgwasm.cli._options import FiniteFloatRange, engine_option
from dawgwasm.cli._report_options import finish_report, report_options

__all__ = ["command"]

ARM_NAMES = ("anchor", "nodes", "js", "wasm-scalar", "wasm-simd")
QUICK_TRACKS = (4, 8)


@click.command("profile")
@engine_option("Build folder (see `dawgwasm build`).")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("out/profile.json"),
    show_default=True,
    help="Where to write the report as JSON.",
)
@click.option(
    "--tracks",
    type=click.IntRange(1, 256),
    multiple=True,
    help="A track count; repeat for several  [default: 8 32 128 256]",
)
@click.option(
    "--seconds",
    type=FiniteFloatRange(0.1, 60),
    default=5.0,
    show_default=True,
    help="Audio rendered per timed render.",
)
@click.option(
    "--repeat",
    type=click.IntRange(1, 20),
    default=3,
    show_default=True,
    help="Timed renders per arm and track count (after one warm-up), arms interleaved.",
)
@click.option(
    "--arm",
    "arms",
    type=click.Choice(ARM_NAMES),
    multiple=True,
    help="An arm to run; repeat for several (the feed always runs)  [default: all]",
)
@click.option(
    "--realtime-seconds",
    type=FiniteFloatRange(0, 60),
    default=10.0,
    show_default=True,
    help="Seconds each arm then plays in a realtime AudioContext (0: none, else at least 2).",
)
@click.option(
    "--realtime-tracks",
    type=click.IntRange(1, 256),
    default=128,
    show_default=True,
    help="Tracks of the realtime phase.",
)
@click.option(
    "--capacity-seconds",
    type=FiniteFloatRange(0, 10),
    default=2.0,
    show_default=True,
    help="Seconds of each step of the capacity search, after 1 s of settling (0: no search).",
)
@click.option(
    "--capacity-max-tracks",
    type=click.IntRange(16, 1024),
    default=1024,
    show_default=True,
    help="Most tracks the capacity search tries (over 256: several nodes of the arm).",
)
@click.option(
    "--probes/--no-probes",
    default=True,
    show_default=True,
    help="Measure each arm's start-up, event-to-sound latency and messages per second "
    "while a fader is dragged.",
)
@click.option(
    "--chromium",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="PATH",
    help="The Chromium or Chrome binary  [default: the system Chromium, or DAWGWASM_CHROMIUM]",
)
@click.option(
    "--quick",
    is_flag=True,
    help="A smoke run: 4 and 8 tracks, 0.5 s renders, once; 2 s of realtime at 8 tracks; "
    "capacity steps of 1 s up to 32 tracks; 3 latency trials and a 1 s fader drag.",
)
@report_options(PROFILE_FORMAT)
def command(
    dist: Path | None,
    out_path: Path,
    tracks: tuple[int, ...],
    seconds: float,
    repeat: int,
    arms: tuple[str, ...],
    realtime_seconds: float,
    realtime_tracks: int,
    capacity_seconds: float,
    capacity_max_tracks: int,
    probes: bool,
    chromium: Path | None,
    quick: bool,
    html_path: Path | None,
    compare_path: Path | None,
    open_html: bool,
) -> None:
    """Time the channel strip in real Chromium, per arm, and print the tables.

    Starts a local server and Chromium (headless, through Playwright) and
    renders N tracks of looped noise through the same stereo strip (3-band
    EQ, compressor, gain, pan) in an OfflineAudioContext, on every arm: the
    engine with its js, wasm-scalar and wasm-simd backends; a hand-optimised
    JavaScript worklet (anchor); and the browser's own nodes (3 x
    BiquadFilterNode, DynamicsCompressorNode, GainNode, StereoPannerNode per
    track). The feed alone (the same sources into a worklet that does
    nothing) is timed in the same rounds and subtracted. Each engine arm's
    output is checked against the anchor's (at least 80 dB below the
    signal) and every output for being finite and not silent; a failed check
    is an error. The same tracks idle (nothing connected) are timed at the
    largest track count.

    Then, in realtime AudioContexts on headless Chromium's fake output
    device: each arm plays REALTIME_SECONDS, traced (the load of every
    render quantum and the worklet's share, p50/p99/max; garbage
    collections on the render thread), with render capacity and callback
    interval from the DevTools protocol, underruns and latency from
    AudioContext.playbackStats, and currentTime's drift; a capacity search
    finds the most tracks each arm holds under 50 % render capacity and
    before sustained underruns; and probes measure start-up in a fresh page,
    event-to-sound latency and main-thread messages per second while a fader
    is dragged. The JSON keeps every render, reading, step and probe, with
    the machine and Chromium version.
    """
    from rich.console import Console
    from rich.table import Table

    from dawgwasm._files import check_output, replacing
    from dawgwasm._profile import (
        ProfileError,
        capacity_table,
        planned_steps,
        probe_table,
        realtime_table,
        run_profile,
        session_table,
        summary_table,
    )
    from dawgwasm._profile_realtime import DRAG_MS, PROBE_TRIALS
    from dawgwasm.cli._progress import progress_bar

    check_output(out_path)
    if quick:
        tracks, seconds, repeat = tracks or QUICK_TRACKS, 0.5, 1
        realtime_seconds, realtime_tracks = min(realtime_seconds, 2.0), 8
        capacity_seconds = min(capacity_seconds, 1.0)
        capacity_max_tracks = min(capacity_max_tracks, 32)
    probe_trials, drag_ms = (3, 1000.0) if quick else (PROBE_TRIALS, DRAG_MS)
    arms = arms or ARM_NAMES
    tracks = tracks or (8, 32, 128, 256)
    planned = planned_steps(
        tracks,
        arms,
        repeat,
        realtime_seconds=realtime_seconds,
        capacity_seconds=capacity_seconds,
        probes=probes,
    )
    with progress_bar(Console(width=140, stderr=True), planned) as step:
        report = run_profile(
            dist,
            tracks=tracks,
            seconds=seconds,
            repeat=repeat,
            arms=arms,
            warmup_seconds=min(1.0, seconds),
            realtime_seconds=realtime_seconds,
            realtime_tracks=realtime_tracks,
            capacity_seconds=capacity_seconds,
            capacity_max_tracks=capacity_max_tracks,
            probes=probes,
            probe_trials=probe_trials,
            drag_ms=drag_ms,
            chromium=chromium,
            progress=step,
        )
    with replacing(out_path) as tmp:
        tmp.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    out = Console(width=180)
    machine = report["machine"]
    head, rows = summary_table(report["results"])
    table = Table(
        title=f"strip in Chromium {machine.get('chromium', '?')}: ns per track-sample, "
        f"{seconds:g} s OfflineAudioContext renders, median of {repeat}, feed subtracted"
    )
    for col in head:
        table.add_column(col, justify="right")
    for row in rows:
        table.add_row(*row)
    out.print(table)

    def show(title: str, head: list[str], rows: list[list[str]]) -> None:
        table = Table(title=title)
        for col in head:
            table.add_column(col, justify="right")
        for row in rows:
            table.add_row(*row)
        out.print(table)

    if report["session"]["arms"]:
        show(
            f"reference session ({report['session']['tracks']} tracks), {seconds:g} s "
            f"OfflineAudioContext renders, median of {repeat}",
            *session_table(report["session"]),
        )
    if report["realtime"]["arms"]:
        show(
            f"realtime, {realtime_tracks} tracks, {realtime_seconds:g} s each on Chromium's fake "
            "output (render-thread load, not a sound card's); quantum load from a trace",
            *realtime_table(report),
        )
    if report["capacity"]["arms"]:
        show(
            f"capacity search, {capacity_seconds:g} s per step (tracks:capacity, ! = sustained "
            "underruns), the feed included",
            *capacity_table(report),
        )
    if report["probes"]:
        show(
            "start-up (fresh page), event-to-sound latency (median of "
            f"{len(report['probes'][0]['latency_ms'])}), messages while a fader is dragged, "
            "the worklet's heap and array buffers after 1 s of realtime play and the heap's "
            f"growth to the end; idle at {report['idle']['tracks']} tracks",
            *probe_table(report),
        )
    out.print(f"report → {out_path}")
    finish_report(report, out_path, html_path, compare_path, open_html, out)
    bad = [c for c in report["checks"] if not c["ok"]]
    problems = list(report["errors"]) + [
        f"{c['arm']} at {c['tracks']} tracks did not do the anchor's work "
        f"(rms {c['rms']:.3g}, {c['diff_rms_db']} dB from the anchor)"
        for c in bad
    ]
    if problems:
        raise ProfileError("; ".join(problems))
