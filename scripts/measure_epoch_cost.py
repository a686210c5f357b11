#!/usr/bin/env python3
"""What the wasm deadlines cost: the same workloads rendered under wasmtime
with epoch interruption on (the default: every loop header and function
entry checks the epoch, every call sets a deadline and the signal wakeup fd)
and off (``load_wasm(..., interruptible=False)``), interleaved, one warm-up
and ``--repeat`` timed runs each. Prints min and median per configuration
and the on/off ratios; saves everything to ``out/epoch_cost.json``.

Workloads:
  strip16    16 tracks of noise through a working channel strip (EQ and
             compressor), 2 s at 48 kHz, 64 quanta per call
  reference  the built-in reference session (20 tracks, 90 BPM, 4 bars),
             one pass through the session renderer
  calls      an empty call (``dawg_process(h, 0)``) 2000 times: the host's
             per-call cost of setting the deadline

Usage: scripts/measure_epoch_cost.py [--dist dist] [--repeat 5] [--variants simd scalar]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import dawgwasm
from dawgwasm import Engine
from dawgwasm._bench import STRIP, prepare_reference
from dawgwasm._wasm_runtime import load_wasm

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_RATE = 48000.0


def maker(wasm: Path, simd: bool, interruptible: bool) -> Callable[..., Engine]:
    """Engines on a fresh instance of ``wasm`` with epoch interruption on or off."""

    def make(**config: Any) -> Engine:
        return Engine(load_wasm(wasm, simd=simd, interruptible=interruptible), **config)

    return make


def strip16(make: Callable[..., Engine]) -> Callable[[], object]:
    e = make(sample_rate_hz=SAMPLE_RATE, tracks=16, quantum_frames=128, max_quanta=64)
    rng = np.random.default_rng(11)
    for t in range(16):
        e.set_many(STRIP, t)
        buf = e.input(t)
        buf[:] = rng.uniform(-0.5, 0.5, buf.shape).astype(np.float32)
    e.reset()
    calls = int(2.0 * SAMPLE_RATE) // (128 * 64)

    def run() -> None:
        for _ in range(calls):
            e.process(64)

    return run


def reference(make: Callable[..., Engine]) -> Callable[[], object]:
    return prepare_reference(make, None, SAMPLE_RATE).render


def calls(make: Callable[..., Engine]) -> Callable[[], object]:
    e = make(sample_rate_hz=SAMPLE_RATE, tracks=1, quantum_frames=128, max_quanta=1)
    call, h = e.runtime.call, e.handle

    def run() -> None:
        for _ in range(2000):
            call("dawg_process", h, 0)

    return run


WORKLOADS: dict[str, Callable[[Callable[..., Engine]], Callable[[], object]]] = {
    "strip16": strip16,
    "reference": reference,
    "calls": calls,
}


def stats(samples: list[float]) -> dict[str, Any]:
    return {"min_s": min(samples), "median_s": statistics.median(samples), "samples_s": samples}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dist", type=Path, default=None, help="a dawgwasm build (default: build one)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per configuration")
    parser.add_argument(
        "--variants", nargs="+", default=["simd", "scalar"], choices=["simd", "scalar"]
    )
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "epoch_cost.json")
    args = parser.parse_args()
    if args.repeat < 5:
        parser.error("--repeat must be at least 5")

    with tempfile.TemporaryDirectory() as tmp:
        dist = args.dist
        if dist is None:
            dist = Path(tmp) / "dist"
            print(f"building into {dist} ...", flush=True)
            dawgwasm.build(dist)
        results: dict[str, Any] = {}
        for workload, setup in WORKLOADS.items():
            runs: dict[tuple[str, str], Callable[[], object]] = {}
            for variant in args.variants:
                wasm = dist / f"dawg_dsp.{variant}.wasm"
                for mode in ("on", "off"):
                    runs[(variant, mode)] = setup(maker(wasm, variant == "simd", mode == "on"))
            samples: dict[tuple[str, str], list[float]] = {k: [] for k in runs}
            for rep in range(1 + args.repeat):  # one warm-up, then timed; interleaved
                for key, run in runs.items():
                    t0 = time.perf_counter()
                    run()
                    if rep:
                        samples[key].append(time.perf_counter() - t0)
            results[workload] = {}
            for variant in args.variants:
                on, off = stats(samples[(variant, "on")]), stats(samples[(variant, "off")])
                results[workload][variant] = {
                    "on": on,
                    "off": off,
                    "ratio_min": on["min_s"] / off["min_s"],
                    "ratio_median": on["median_s"] / off["median_s"],
                }

    report = {
        "what": "render time with wasmtime epoch interruption on vs off (ratio = on / off)",
        "repeat": args.repeat,
        "warmup": 1,
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print(
        f"{'workload':10} {'variant':7} {'on min':>10} {'on med':>10} {'off min':>10} "
        f"{'off med':>10} {'ratio min':>10} {'ratio med':>10}"
    )
    for workload, by_variant in results.items():
        for variant, r in by_variant.items():
            print(
                f"{workload:10} {variant:7} {r['on']['min_s'] * 1e3:9.2f}ms "
                f"{r['on']['median_s'] * 1e3:9.2f}ms {r['off']['min_s'] * 1e3:9.2f}ms "
                f"{r['off']['median_s'] * 1e3:9.2f}ms {r['ratio_min']:10.3f} "
                f"{r['ratio_median']:10.3f}"
            )
    print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
