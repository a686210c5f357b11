"""``dawgwasm bench``: the headless benchmark."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dawgwasm._reportdoc import BENCH_FORMAT
from dawgwasm.cli._options import FiniteFloatRange, engine_option
from dawgwasm.cli._report_options import finish_report, report_options

if TYPE_CHECKING:
    from rich.console import Console

    from dawgwasm._bench import BenchResult

__all__ = ["command"]

QUICK_TRACKS = (1, 8)


def _print_micro(out: Console, result: BenchResult) -> None:
    """The units-micro and render-overhead tables (where measured)."""
    from rich.table import Table

    if result.units:
        some = result.units[0]
        table = Table(
            title=f"each effect unit alone: ns per channel-sample (median over {result.repeat} "
            f"rounds, {some.channels} tracks, net of the same tracks without it)"
        )
        names = list(dict.fromkeys(u.runtime for u in result.units))
        table.add_column("unit", justify="right")
        for n in names:
            table.add_column(n, justify="right")
        cost = {(u.unit, u.runtime): u.cost.per_unit_ns()["median"] for u in result.units}
        for unit in dict.fromkeys(u.unit for u in result.units):
            table.add_row(unit, *(f"{cost[unit, n]:.1f}" for n in names))
        out.print(table)
    if result.sources:
        table = Table(
            title="note sources: ns per voice-sample (median, net of the same track silent)"
        )
        names = list(dict.fromkeys(s.runtime for s in result.sources))
        table.add_column("source", justify="right")
        for n in names:
            table.add_column(n, justify="right")
        voices: dict[tuple[str, int], dict[str, float]] = {}
        for s in result.sources:
            voices.setdefault((s.source, s.voices), {})[s.runtime] = s.cost.per_unit_ns()["median"]
        for (source, count), by in voices.items():
            table.add_row(f"{source}, {count} voices", *(f"{by[n]:.2f}" for n in names))
        out.print(table)
    if result.render_overhead:
        table = Table(title="Python's overhead on the session render (reference session, one pass)")
        for col in (
            "runtime",
            "render ms",
            "in wasm ms",
            "overhead min",
            "median",
            "max",
            "in-render calls: median",
        ):
            table.add_column(col, justify="right")
        for n, o in result.render_overhead.items():
            j = o.to_json()
            p, r = j["python_overhead"], j["overhead_in_render"]
            table.add_row(
                n,
                f"{o.api.median * 1e3:.1f}",
                f"{o.in_wasm.median * 1e3:.1f}",
                *(f"{100 * p[k]:.1f} %" for k in ("min", "median", "max")),
                f"{100 * r['median']:.1f} %",
            )
        out.print(table)


def _fmt(value: float | None, pattern: str) -> str:
    """``value`` formatted, or "-" where it could not be derived."""
    return "-" if value is None else pattern.format(value)


@click.command("bench")
@engine_option("Build folder (see `dawgwasm build`).")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("out/bench.json"),
    show_default=True,
    help="Where to write the results as JSON.",
)
@click.option(
    "--tracks",
    type=click.IntRange(1, 256),
    multiple=True,
    help="A track count of the strip, idle, tail and automation workloads (tail: up to "
    "32; automation: up to 32, at most 3 of them); "
    "repeat for several  "
    "[default: 1 2 4 … 256]",
)
@click.option(
    "--seconds",
    type=FiniteFloatRange(0.05, 60),
    default=1.0,
    show_default=True,
    help="Audio rendered per timed run of every workload but the reference session's "
    "(session, render-overhead).",
)
@click.option(
    "--repeat",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Timed repetitions per measurement (after one warm-up), runtimes interleaved.",
)
@click.option(
    "--workload",
    "workloads",
    type=click.Choice(
        ["session", "strip", "idle", "tail", "automation", "units-micro", "render-overhead"]
    ),
    multiple=True,
    help="A workload to run; repeat for several  [default: all]",
)
@click.option(
    "--native/--no-native",
    default=True,
    show_default=True,
    help="Include the natively compiled crate (the baseline).",
)
@click.option(
    "--quick",
    is_flag=True,
    help="A smoke run: 1 and 8 tracks, 0.1 s per run, 2 repetitions.",
)
@report_options(BENCH_FORMAT)
def command(
    dist: Path | None,
    out_path: Path,
    tracks: tuple[int, ...],
    seconds: float,
    repeat: int,
    workloads: tuple[str, ...],
    native: bool,
    quick: bool,
    html_path: Path | None,
    compare_path: Path | None,
    open_html: bool,
) -> None:
    """Time the engine headless on every runtime and print what was measured.

    Runtimes: the crate compiled natively (where a Rust toolchain and the
    crate are here), wasmtime with the SIMD and the scalar build, and where
    node is on PATH, node's V8 with both builds and the build's JavaScript
    engine.
    Workloads: the reference session; the strip (N tracks of noise through EQ,
    compressor, fader and pan); idle (the same tracks with nothing connected,
    their inputs declared silent, and asleep); tail (the same tracks with
    every effect unit inserted and auto-bypass off, decaying after a burst,
    timed against noise through the same units); automation (the strip's
    tracks with fader, pan, an EQ gain and the compressor threshold ramped
    every quantum, timed against the same tracks held still); units-micro
    (each effect unit alone, ns per channel-sample, and the synth's and the
    sampler's voices, ns per voice-sample, each net of the same engine without
    it); render-overhead (Python's overhead on the session render under
    wasmtime against the time inside the wasm exports). Also: the load of each
    quantum at the largest strip size (p50, p99, max), the cost of one host
    call with nothing to render, and the size of each .wasm build. Every
    runtime's output is checked against the baseline's before anything is
    timed: bit-identical for wasm, at least 80 dB below the signal for the
    JavaScript engine. Each measurement gets one warm-up and REPEAT timed runs
    with the runtimes interleaved; the tables show medians, the JSON keeps
    min, median and max with machine information.
    """
    from rich.console import Console
    from rich.table import Table

    from dawgwasm._bench import REPORTED, WORKLOADS, run_bench
    from dawgwasm._bench_core import SAMPLE_RATE_HZ
    from dawgwasm._files import check_output, replacing
    from dawgwasm.cli._progress import progress_bar

    check_output(out_path)
    if quick:
        tracks, seconds, repeat = tracks or QUICK_TRACKS, 0.1, min(repeat, 2)
    console = Console(width=140, stderr=True)
    with progress_bar(console, None) as step:
        result = run_bench(
            dist,
            tracks=tracks or (1, 2, 4, 8, 16, 32, 64, 128, 256),
            seconds=seconds,
            repeat=repeat,
            workloads=workloads or WORKLOADS,
            native=native,
            progress=lambda what: step(f"measuring {what}"),
        )
    for name, why in result.skipped.items():
        click.echo(f"note: {name} skipped: {why}", err=True)
    out = Console(width=140)
    names = list(result.workloads[0].runs) if result.workloads else []
    session = [w for w in result.workloads if w.workload == "session"]
    if session:
        w = session[0]
        table = Table(
            title=f"reference session: {w.tracks} tracks, {w.frames / SAMPLE_RATE_HZ:.2f} s, "
            f"median of {repeat} after 1 warm-up"
        )
        for col in ("runtime", "render ms", "x realtime", f"vs {result.baseline}", "agreement"):
            table.add_column(col, justify="right")
        base = w.runs[result.baseline].median
        for n in names:
            m = w.runs[n]
            db = w.agreement_db[n]
            table.add_row(
                n,
                f"{m.median * 1e3:.1f}",
                f"{w.frames / SAMPLE_RATE_HZ / m.median:.1f}",
                f"{m.median / base:.2f}x",
                "identical" if db == float("inf") else f"-{db:.0f} dB",
            )
        out.print(table)
    for kind in REPORTED[1:]:
        rows = result.scaling(kind)
        if not rows:
            continue
        table = Table(
            title=f"{kind}: ns per track-sample (median of {repeat}, {seconds:g} s per run)"
        )
        table.add_column("tracks", justify="right")
        for n in names:
            table.add_column(n, justify="right")
        for w in rows:
            table.add_row(str(w.tracks), *(f"{w.ns_per_track_sample(n):.1f}" for n in names))
        out.print(table)
    derived = result.derived()
    if derived:
        table = Table(title="derived, at the largest strip size")
        for col in (
            "runtime",
            "tracks per core at 50 %",
            "at 90 %",
            "vs baseline",
            "vs scalar",
            "idle/active",
            "tail/active",
            "automation/static",
        ):
            table.add_column(col, justify="right")
        for n, d in derived.items():
            table.add_row(
                n,
                _fmt(d.get("tracks_per_core_at_50_percent"), "{:.0f}"),
                _fmt(d.get("tracks_per_core_at_90_percent"), "{:.0f}"),
                _fmt(d.get("ratio_to_baseline"), "{:.2f}x"),
                _fmt(d.get("ratio_to_wasmtime_scalar"), "{:.2f}x"),
                _fmt(d.get("idle_to_active"), "{:.3f}"),
                _fmt(d.get("tail_to_active"), "{:.2f}"),
                _fmt(d.get("automation_to_active"), "{:.2f}"),
            )
        out.print(table)
    _print_micro(out, result)
    if result.quantum_load:
        some = next(iter(result.quantum_load.values()))
        table = Table(
            title=f"load of each quantum, strip at {some.tracks} tracks, one quantum per call "
            "(host call included), share of 2.67 ms"
        )
        for col in ("runtime", "p50", "p99", "max"):
            table.add_column(col, justify="right")
        for n, q in result.quantum_load.items():
            j = q.to_json()
            table.add_row(n, *(f"{100 * j[k]:.1f} %" for k in ("load_p50", "load_p99", "load_max")))
        out.print(table)
    if result.calls:
        table = Table(title="the host call, an engine with nothing to render (median)")
        for col in ("runtime", "µs per call", "1 quantum per call, µs", "64 per call, µs/quantum"):
            table.add_column(col, justify="right")
        for n, c in result.calls.items():
            table.add_row(
                n,
                f"{c.per_call_us:.1f}",
                f"{c.single.median * 1e6:.1f}",
                f"{c.batched.median * 1e6:.2f}",
            )
        out.print(table)
    for name, size in result.wasm_bytes.items():
        out.print(f"{name}: {size} bytes")
    report = result.to_json()
    with replacing(out_path) as tmp:
        tmp.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    out.print(f"results → {out_path}")
    finish_report(report, out_path, html_path, compare_path, open_html, out)
