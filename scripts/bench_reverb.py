"""Measure the reverb's two algorithms in one run: their quality figures
(tests/dsp/reverb_measures.py on the native engine's impulse response: T60,
Schroeder's modal density ratio, the time the normalized echo density
reaches 0.9, the decay-compensated tail spectrum's spread) and their cost in
ns per channel-sample, each net of the same engine without the insert,
natively and under wasmtime (SIMD and scalar builds).

Four tracks of fixed-seed noise, auto-bypass off, the reverb at size 0.9 and
mix 0.5 in insert slot 1 of every track; per runtime one warm-up and REPEAT
timed runs of SECONDS of audio, the three variants interleaved; medians
and minima (the machine's other load only ever adds time).

    .venv/bin/python scripts/bench_reverb.py [--seconds 2] [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import dawgwasm
from dawgwasm import Engine

TRACKS = 4
RATE_HZ = 48000.0
QUANTUM = 128
MAX_QUANTA = 64
VARIANTS = {"none": None, "dense": 0.0, "freeverb": 1.0}


def impulse_response(native: Any, params: dict[str, float], seconds: float) -> Any:
    e = Engine.native(native, sample_rate_hz=RATE_HZ, tracks=1, quantum_frames=QUANTUM)
    e.set_insert(1, "reverb", track=0)
    e.set_many({"reverb_mix": 1.0, "reverb_predelay_ms": 0.0, **params}, 0, slot=1)
    e.reset()
    x = np.zeros((2, int(RATE_HZ * seconds)), np.float32)
    x[0, 0] = 1.0
    x[1, 0] = 1.0
    out = e.render(x)[0]
    e.close()
    return out


def quality(native: Any) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.dsp.reverb_measures import (
        decay_time_s,
        echo_density,
        first_time_at_least_s,
        tail_spectrum_std_db,
    )

    lines_s = {"dense": 0.9635, "freeverb": 11024 / 44100.0}
    for name, algorithm in (("dense", 0.0), ("freeverb", 1.0)):
        ned = echo_density(impulse_response(native, {"reverb_algorithm": algorithm}, 0.6), RATE_HZ)
        t_ned = first_time_at_least_s(ned, 0.9, RATE_HZ)
        row = [f"{name:8s} echo density 0.9 at {t_ned * 1e3:5.0f} ms"]
        for size in (0.0, 0.5, 0.7, 1.0):
            h = impulse_response(
                native,
                {"reverb_algorithm": algorithm, "reverb_size": size, "reverb_damping": 0.0},
                12.0 if size == 1.0 else 6.0,
            )
            t60 = decay_time_s(h, RATE_HZ)
            std = tail_spectrum_std_db(h, RATE_HZ, t60, smoothing_octaves=1 / 24)
            ratio = lines_s[name] / (0.15 * t60)
            row.append(
                f"size {size}: T60 {t60:5.2f} s, density/rule {ratio:4.2f}, tail std {std:4.1f} dB"
            )
        print("\n    ".join(row))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--no-quality", action="store_true", help="time only")
    args = ap.parse_args()
    from dawgwasm._bench_core import empty_engine

    quanta = int(args.seconds * RATE_HZ / QUANTUM)
    native = dawgwasm.build_native()
    if not args.no_quality:
        quality(native)
    for runtime in ("native", "simd", "scalar"):

        def make(runtime: str = runtime, **kw: Any) -> Engine:
            if runtime == "native":
                return Engine.native(native, **kw)
            return Engine.from_dist(None, runtime, **kw)

        engines = {}
        for name, algorithm in VARIANTS.items():
            e = empty_engine(make, TRACKS)
            e.set("auto_bypass", 0.0, master=True)
            rng = np.random.default_rng(1)
            for t in range(TRACKS):
                if algorithm is not None:
                    e.set_insert(1, "reverb", track=t)
                    e.set_many(
                        {"reverb_size": 0.9, "reverb_mix": 0.5, "reverb_algorithm": algorithm},
                        t,
                        slot=1,
                    )
            for t in range(TRACKS):
                buf = e.input(t)
                buf[:] = rng.uniform(-0.5, 0.5, buf.shape).astype(np.float32)
            e.reset()
            engines[name] = e
        times: dict[str, list[float]] = {n: [] for n in VARIANTS}
        for rep in range(args.repeat + 1):
            for name, e in engines.items():
                t0 = time.perf_counter()
                done = 0
                while done < quanta:
                    n = min(MAX_QUANTA, quanta - done)
                    e.process(n)
                    done += n
                if rep:
                    times[name].append(time.perf_counter() - t0)
        samples = TRACKS * 2 * quanta * QUANTUM
        for label, pick in (("median", statistics.median), ("min", min)):
            t = {n: pick(v) for n, v in times.items()}
            ns = {n: (t[n] - t["none"]) / samples * 1e9 for n in ("dense", "freeverb")}
            print(
                f"{runtime:7s} {label:6s} dense {ns['dense']:6.1f} ns/ch-sample  "
                f"freeverb {ns['freeverb']:6.1f}  dense/freeverb {ns['dense'] / ns['freeverb']:.2f}"
            )
        for e in engines.values():
            e.close()


if __name__ == "__main__":
    main()
