"""``dawgwasm demo``: the main job."""

from __future__ import annotations

from pathlib import Path

import click

from dawgwasm.cli._options import FiniteFloatRange, engine_option

__all__ = ["command"]


@click.command("demo")
@engine_option("Build folder (see `dawgwasm build`).")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("out/demo.wav"),
    show_default=True,
    help="Where to write the SIMD render; results go next to it as .json.",
)
@click.option(
    "--seconds",
    type=FiniteFloatRange(0.5, 600),
    default=None,
    help="Length of the render  [default: one pass of the reference session, 4 bars]",
)
@click.option(
    "--repeat",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Timed repetitions per runtime (after one warm-up).",
)
@click.option(
    "--native/--no-native",
    default=True,
    show_default=True,
    help="Include the natively compiled crate as the baseline.",
)
def command(
    dist: Path | None, out_path: Path, seconds: float | None, repeat: int, native: bool
) -> None:
    """Render the built-in reference session headless and print what was measured.

    The reference session (`dawgwasm session --write-reference`) is 20
    tracks at 90 BPM: eight sampled drums, sampled keys, ten synths and a
    line input, with inserts, reverb and delay buses fed by sends, and a
    limiter on the master. It is rendered under wasmtime with the SIMD and
    the scalar build, by the build's JavaScript engine under node, and
    natively (where a Rust toolchain and the crate are here, else it is
    skipped with a note), interleaved, one warm-up and
    REPEAT timed runs each. Prints render time, real-time factor, the ratio
    to the native build, per-quantum load and the largest difference
    between runtimes, then the cost of an idle (auto-bypassed) track against
    an active one; writes the SIMD render and a JSON of the numbers.
    """
    from rich.console import Console
    from rich.table import Table

    from dawgwasm._demo import run_demo

    # Both outputs are checked before minutes of rendering, not after.
    json_path = out_path.with_suffix(".json")
    if json_path == out_path:
        raise click.BadParameter(
            "needs a file name with an audio suffix, e.g. out/demo.wav", param_hint="--out"
        )
    result = run_demo(dist, out_path, json_path, seconds=seconds, repeat=repeat, native=native)
    if result.native_skipped:
        click.echo(f"note: native baseline skipped: {result.native_skipped}", err=True)
    if result.js_skipped:
        click.echo(f"note: JavaScript engine skipped: {result.js_skipped}", err=True)
    table = Table(
        title=f"reference session: {len(result.session.tracks)} tracks, "
        f"{len(result.session.buses)} buses, {result.seconds:.2f} s at "
        f"{result.sample_rate_hz:g} Hz, median of {repeat} after 1 warm-up"
    )
    for col in (
        "runtime",
        "render ms",
        "x realtime",
        f"vs {result.baseline}",
        "quantum load p50",
        "p99",
        "max |diff|",
        "active ns/track-sample",
        "idle",
        "idle/active",
    ):
        table.add_column(col, justify="right")
    for name, r in result.runtimes.items():
        cost = r.track_cost
        table.add_row(
            name,
            f"{r.median_s * 1e3:.1f}",
            f"{r.realtime_factor:.1f}",
            f"{r.ratio_to_baseline:.2f}x",
            f"{r.quantum_load['p50'] * 100:.2f} %",
            f"{r.quantum_load['p99'] * 100:.2f} %",
            f"{r.max_abs_diff_to_baseline:.1e}",
            f"{cost.active_ns:.1f}",
            f"{cost.idle_ns:.2f}",
            f"{cost.idle_to_active:.3f}",
        )
    console = Console(width=160)
    console.print(table)
    q = result.quantum_frames
    calls = ", ".join(
        f"{k} {r.quantum_load['call_overhead_us']:.0f} µs" for k, r in result.runtimes.items()
    )
    console.print(
        f"quantum load = time of one {q}-frame quantum / "
        f"{q / result.sample_rate_hz * 1e3:.3f} ms, host call "
        f"overhead subtracted ({calls}); track cost: 16 tracks with EQ and compressor fed "
        "noise (active) or silent and auto-bypassed (idle), minus an engine with no tracks"
    )
    console.print(
        f"output: peak {result.peak_dbfs:.1f} dBFS, RMS {result.rms_dbfs:.1f} dBFS → "
        f"{result.out_path}; numbers → {result.json_path}"
    )
