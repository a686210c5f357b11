"""``dawgwasm demo``: the main job."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import click

from dawgwasm.cli._options import FiniteFloatRange, dist_option

__all__ = ["command"]


@click.command("demo")
@dist_option("Build folder (see `dawgwasm build`).")
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
def command(dist: Path, out_path: Path, seconds: float | None, repeat: int, native: bool) -> None:
    """Render the built-in reference session headless and print what was measured.

    The reference session (`dawgwasm session --write-reference`) is 20
    tracks at 90 BPM: eight sampled drums, sampled keys, ten synths and a
    line input, with inserts, reverb and delay buses fed by sends, and a
    limiter on the master. It is rendered under wasmtime with the SIMD and
    the scalar build and natively, interleaved, one warm-up and REPEAT timed
    runs each. Prints render time, real-time factor, the ratio to the native
    build, per-quantum load and the largest difference between runtimes,
    then the cost of an idle (auto-bypassed) track against an active one;
    writes the SIMD render and a JSON of the numbers.
    """
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from dawgwasm._audio import plan_output, write_audio
    from dawgwasm._cargo import build_native
    from dawgwasm._demo import SessionRun, prepare_reference, track_costs
    from dawgwasm._engine import Engine
    from dawgwasm._files import check_output, replacing
    from dawgwasm._measure import quantum_loads, time_repeated

    sr = 48000.0
    # Both outputs are checked before minutes of rendering, not after.
    json_path = out_path.with_suffix(".json")
    if json_path == out_path:
        raise click.BadParameter(
            "needs a file name with an audio suffix, e.g. out/demo.wav", param_hint="--out"
        )
    for path in (out_path, json_path):
        check_output(path)
    plan_output(out_path, int((seconds or 60.0) * sr), int(sr), "FLOAT")
    makers: dict[str, Any] = {
        "wasmtime simd": partial(Engine.from_dist, dist, "simd"),
        "wasmtime scalar": partial(Engine.from_dist, dist, "scalar"),
    }
    if native:
        makers["native"] = partial(Engine.native, build_native())
    runs: dict[str, SessionRun] = {
        name: prepare_reference(make, seconds, sr) for name, make in makers.items()
    }
    first = next(iter(runs.values()))
    session, frames = first.session, first.frames
    length_s = frames / sr

    # Interleave the runtimes so drift in machine load hits them all alike. The
    # untimed warm-up render is also the output each runtime is judged by.
    outputs: dict[str, Any] = {}
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for rep in range(repeat + 1):
        for name, run in runs.items():
            if rep == 0:
                outputs[name] = run.render()
                continue
            samples[name].extend(time_repeated(run.render, warmup=0, repeat=1).samples)

    q = 128
    quanta = frames // q
    loads: dict[str, dict[str, float]] = {}
    for name, run in runs.items():
        e = run.engine
        e.reset()
        e.queue(run.events)
        loads[name] = quantum_loads(
            partial(e.runtime.call, "dawg_process", e.handle, 1),
            partial(e.runtime.call, "dawg_process", e.handle, 0),
            quanta,
            q / sr,
        )
    costs = {name: track_costs(make, repeat=repeat) for name, make in makers.items()}
    for run in runs.values():
        run.engine.close()

    baseline = "native" if native else "wasmtime simd"
    base_median = float(np.median(samples[baseline]))
    ref = outputs[baseline]
    results: dict[str, Any] = {
        "session": {
            "name": session.name,
            "tracks": [t.name for t in session.tracks],
            "seconds": length_s,
            "sample_rate_hz": sr,
            "events": len(first.events),
        },
        "repeat": repeat,
        "baseline": baseline,
        "runtimes": {},
    }
    table = Table(
        title=f"reference session: {len(session.tracks)} tracks, {len(session.buses)} buses, "
        f"{length_s:.2f} s at {sr:g} Hz, median of {repeat} after 1 warm-up"
    )
    for col in (
        "runtime",
        "render ms",
        "x realtime",
        f"vs {baseline}",
        "quantum load p50",
        "p99",
        "max |diff|",
        "active ns/track-sample",
        "idle",
        "idle/active",
    ):
        table.add_column(col, justify="right")
    for name in runs:
        med = float(np.median(samples[name]))
        diff = float(np.max(np.abs(outputs[name] - ref)))
        cost = costs[name]
        row = {
            "render_ms_median": med * 1e3,
            "render_ms_best": min(samples[name]) * 1e3,
            "samples_ms": [s * 1e3 for s in samples[name]],
            "realtime_factor": length_s / med,
            "ratio_to_baseline": med / base_median,
            "quantum_load": loads[name],
            "max_abs_diff_to_baseline": diff,
            "track_cost_ns_per_track_sample": {
                "active": cost.active_ns,
                "idle": cost.idle_ns,
                "idle_to_active": cost.idle_to_active,
            },
        }
        results["runtimes"][name] = row
        table.add_row(
            name,
            f"{row['render_ms_median']:.1f}",
            f"{row['realtime_factor']:.1f}",
            f"{row['ratio_to_baseline']:.2f}x",
            f"{loads[name]['p50'] * 100:.2f} %",
            f"{loads[name]['p99'] * 100:.2f} %",
            f"{diff:.1e}",
            f"{cost.active_ns:.1f}",
            f"{cost.idle_ns:.2f}",
            f"{cost.idle_to_active:.3f}",
        )
    out = outputs["wasmtime simd"]
    peak = float(np.max(np.abs(out)))
    rms = float(np.sqrt(np.mean(out.astype(np.float64) ** 2)))
    results["output"] = {
        "peak_dbfs": 20 * np.log10(peak),
        "rms_dbfs": 20 * np.log10(rms),
        "file": str(out_path),
    }
    write_audio(out_path, out, int(sr))
    with replacing(json_path) as tmp:
        tmp.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")

    console = Console(width=160)
    console.print(table)
    calls = ", ".join(f"{k} {v['call_overhead_us']:.0f} µs" for k, v in loads.items())
    console.print(
        f"quantum load = time of one 128-frame quantum / {q / sr * 1e3:.3f} ms, host call "
        f"overhead subtracted ({calls}); track cost: 16 tracks with EQ and compressor fed "
        "noise (active) or silent and auto-bypassed (idle), minus an engine with no tracks"
    )
    console.print(
        f"output: peak {results['output']['peak_dbfs']:.1f} dBFS, "
        f"RMS {results['output']['rms_dbfs']:.1f} dBFS → {out_path}; numbers → {json_path}"
    )
