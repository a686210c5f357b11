"""``dawgwasm demo``: the main job."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import click

from dawgwasm.cli._options import dist_option

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
    type=click.FloatRange(0.5, 600),
    default=8.0,
    show_default=True,
    help="Length of the demo mix.",
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
def command(dist: Path, out_path: Path, seconds: float, repeat: int, native: bool) -> None:
    """Render the built-in demo mix headless and print what was measured.

    Six synthesised tracks (kick, snare, hats, bass, pad, lead) go through
    their channel strips and the master, under wasmtime with the SIMD and the
    scalar build and natively, interleaved, one warm-up and REPEAT timed runs
    each. Prints render time, real-time factor, cost per track-sample, the
    ratio to the native build, per-quantum load and the largest difference
    between runtimes; writes the SIMD render and a JSON of the numbers.
    """
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from dawgwasm._audio import write_audio
    from dawgwasm._build import build_native
    from dawgwasm._demo import demo_mix
    from dawgwasm._engine import Engine
    from dawgwasm._measure import quantum_loads, time_repeated

    mix = demo_mix(seconds=seconds)
    engines: dict[str, Engine] = {}
    cfg: dict[str, Any] = {
        "sample_rate_hz": mix.sample_rate_hz,
        "tracks": len(mix.names),
        "quantum_frames": 128,
        "max_quanta": 64,
    }
    engines["wasmtime simd"] = Engine.from_dist(dist, "simd", **cfg)
    engines["wasmtime scalar"] = Engine.from_dist(dist, "scalar", **cfg)
    if native:
        engines["native"] = Engine.native(build_native(), **cfg)

    def prepare(e: Engine) -> None:
        for t, settings in enumerate(mix.settings):
            e.set_many(settings, t)
        e.set_many(mix.master)
        e.reset()

    # Interleave the runtimes so drift in machine load hits them all alike. The
    # untimed warm-up render is also the output each runtime is judged by.
    outputs: dict[str, Any] = {}
    samples: dict[str, list[float]] = {name: [] for name in engines}
    for rep in range(repeat + 1):
        for name, e in engines.items():
            prepare(e)
            if rep == 0:
                outputs[name] = e.render(mix.inputs)
                continue
            t = time_repeated(partial(e.render, mix.inputs), warmup=0, repeat=1)
            samples[name].extend(t.samples)

    q = int(cfg["quantum_frames"])
    quanta = mix.frames // q
    loads: dict[str, dict[str, float]] = {}
    for name, e in engines.items():
        prepare(e)
        inputs = [e.input(t) for t in range(len(mix.names))]
        counter = iter(range(quanta))

        def one(e: Engine = e, inputs: list[Any] = inputs, counter: Any = counter) -> None:
            i = next(counter)
            for t, buf in enumerate(inputs):
                buf[:, :q] = mix.inputs[t, :, i * q : (i + 1) * q]
            e.runtime.call("dawg_process", e.handle, 1)

        # Copying a quantum of input costs a few µs; measure it with the empty call.
        def empty(e: Engine = e, inputs: list[Any] = inputs) -> None:
            for t, buf in enumerate(inputs):
                buf[:, :q] = mix.inputs[t, :, :q]
            e.runtime.call("dawg_process", e.handle, 0)

        loads[name] = quantum_loads(one, empty, quanta, q / mix.sample_rate_hz)

    baseline = "native" if native else "wasmtime simd"
    base_median = float(np.median(samples[baseline]))
    ref = outputs[baseline]
    track_samples = len(mix.names) * mix.frames
    results: dict[str, Any] = {
        "mix": {"tracks": mix.names, "seconds": mix.seconds, "sample_rate_hz": mix.sample_rate_hz},
        "repeat": repeat,
        "baseline": baseline,
        "runtimes": {},
    }
    table = Table(
        title=f"demo mix: {len(mix.names)} tracks, {mix.seconds:g} s at "
        f"{mix.sample_rate_hz} Hz, median of {repeat} after 1 warm-up"
    )
    for col in (
        "runtime",
        "render ms",
        "x realtime",
        "ns/track-sample",
        f"vs {baseline}",
        "quantum load p50",
        "p99",
        "max |diff|",
    ):
        table.add_column(col, justify="right")
    for name in engines:
        med = float(np.median(samples[name]))
        diff = float(np.max(np.abs(outputs[name] - ref)))
        row = {
            "render_ms_median": med * 1e3,
            "render_ms_best": min(samples[name]) * 1e3,
            "samples_ms": [s * 1e3 for s in samples[name]],
            "realtime_factor": mix.seconds / med,
            "ns_per_track_sample": med / track_samples * 1e9,
            "ratio_to_baseline": med / base_median,
            "quantum_load": loads[name],
            "max_abs_diff_to_baseline": diff,
        }
        results["runtimes"][name] = row
        table.add_row(
            name,
            f"{row['render_ms_median']:.1f}",
            f"{row['realtime_factor']:.0f}",
            f"{row['ns_per_track_sample']:.1f}",
            f"{row['ratio_to_baseline']:.2f}x",
            f"{loads[name]['p50'] * 100:.2f} %",
            f"{loads[name]['p99'] * 100:.2f} %",
            f"{diff:.1e}",
        )
    out = outputs["wasmtime simd"]
    peak = float(np.max(np.abs(out)))
    rms = float(np.sqrt(np.mean(out.astype(np.float64) ** 2)))
    results["output"] = {
        "peak_dbfs": 20 * np.log10(peak),
        "rms_dbfs": 20 * np.log10(rms),
        "file": str(out_path),
    }
    write_audio(out_path, out, mix.sample_rate_hz)
    json_path = out_path.with_suffix(".json")
    json_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for e in engines.values():
        e.close()

    console = Console(width=140)
    console.print(table)
    calls = ", ".join(f"{k} {v['call_overhead_us']:.0f} µs" for k, v in loads.items())
    console.print(
        f"quantum load = time of one 128-frame quantum / {q / mix.sample_rate_hz * 1e3:.3f} ms, "
        f"host call overhead subtracted ({calls})"
    )
    console.print(
        f"output: peak {results['output']['peak_dbfs']:.1f} dBFS, "
        f"RMS {results['output']['rms_dbfs']:.1f} dBFS → {out_path}; numbers → {json_path}"
    )
