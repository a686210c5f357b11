"""The microbenchmarks of the headless benchmark (workload ``units-micro``):
each effect unit alone, and each note source, on every runtime.

* Effect units: UNIT_TRACKS tracks fed fixed-seed noise, their strips at
  defaults (the engine has no switch that bypasses a strip), auto-bypass
  off, and one unit (set as in the tail workload, the parametric EQ with all
  eight bands on as peaks) in insert slot 1 of every track. The same
  engine with that slot empty is timed in the same rounds, and each round's
  time without the unit is subtracted from that round's time with it, so
  the figure is the unit's own cost: ns per channel-sample, a channel being
  one stereo track carrying the unit, a sample one frame.
* Sources: one track playing the synth (SYNTH_VOICES notes held) or the
  sampler (SAMPLER_VOICES notes sustained, each reading a fixed-seed noise
  sample long enough for the whole run), auto-bypass off. The same track
  with no note playing is timed in the same rounds and subtracted round by
  round: ns per voice-sample.

As everywhere in the benchmark, every configuration's output is compared
across runtimes before anything is timed (bit-identical for wasm, within
JS_TOLERANCE_DB for the JavaScript engine). Switching units and starting
notes (``Engine.queue``) happen before each timed run, untimed; a timed run
is ``process`` calls alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from dawgwasm._bench_core import (
    QUANTUM_FRAMES,
    SAMPLE_RATE_HZ,
    BenchError,
    EngineMaker,
    Measured,
    check_agreement,
    empty_engine,
    process_frames,
    strip_output,
    time_interleaved,
)
from dawgwasm._bench_tail import TAIL_UNITS
from dawgwasm._engine import Engine
from dawgwasm._events import note_on

__all__ = [
    "SAMPLER_VOICES",
    "SYNTH_VOICES",
    "UNIT_SETTINGS",
    "UNIT_TRACKS",
    "NetCost",
    "SourceCost",
    "UnitCost",
    "bench_sources",
    "bench_units_micro",
]

#: Tracks carrying the unit under test (more tracks: a larger time to
#: subtract from, so less noise per channel-sample).
UNIT_TRACKS = 4
#: Notes held on the synth (its polyphony).
SYNTH_VOICES = 16
#: Notes sustained on the sampler (its polyphony).
SAMPLER_VOICES = 32
#: The sampler's root note: every note lies at or below it, so no voice
#: reads its sample faster than the sample's own rate.
_SAMPLER_ROOT = 60
#: The slot the unit under test sits in.
_SLOT = 1
#: Each unit's settings: the tail workload's, with every band of the
#: parametric EQ working (a band that is off costs nothing).
UNIT_SETTINGS: dict[str, dict[str, float]] = {
    **dict(TAIL_UNITS),
    "peq": {
        k: v
        for b in range(1, 9)
        for k, v in ((f"peq_{b}_type", 1.0), (f"peq_{b}_gain_db", 3.0 if b % 2 else -3.0))
    },
}


@dataclass(frozen=True)
class NetCost:
    """Seconds of the timed runs with and without the work under test, in
    the same rounds (round i of one paired with round i of the other)."""

    loaded: Measured
    bare: Measured
    #: What the difference is divided by: channels or voices, times frames.
    units: int

    def per_unit_ns(self) -> dict[str, float]:
        """Min, median and max over the rounds of (loaded - bare) / units,
        ns; a round where the difference is lost in the noise counts 0."""
        diffs = [
            max(a - b, 0.0) / self.units * 1e9
            for a, b in zip(self.loaded.samples, self.bare.samples, strict=True)
        ]
        return {
            "min": min(diffs),
            "median": float(np.median(diffs)),
            "max": max(diffs),
        }


@dataclass(frozen=True)
class UnitCost:
    """One effect unit on one runtime."""

    unit: str
    runtime: str
    channels: int
    frames: int
    cost: NetCost
    agreement_db: float

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "runtime": self.runtime,
            "channels": self.channels,
            "frames": self.frames,
            "ns_per_channel_sample": self.cost.per_unit_ns(),
            "with_unit": self.cost.loaded.to_json(),
            "without_unit": self.cost.bare.to_json(),
            "agreement_db_below_signal": None
            if math.isinf(self.agreement_db)
            else self.agreement_db,
        }


@dataclass(frozen=True)
class SourceCost:
    """One note source with its voices playing, on one runtime."""

    source: str
    runtime: str
    voices: int
    frames: int
    cost: NetCost
    agreement_db: float

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "runtime": self.runtime,
            "voices": self.voices,
            "frames": self.frames,
            "ns_per_voice_sample": self.cost.per_unit_ns(),
            "with_voices": self.cost.loaded.to_json(),
            "without_voices": self.cost.bare.to_json(),
            "agreement_db_below_signal": None
            if math.isinf(self.agreement_db)
            else self.agreement_db,
        }


def _unit_engine(make: EngineMaker, tracks: int, seed: int) -> Engine:
    """``tracks`` tracks at defaults, auto-bypass off, inputs filled once
    with fixed-seed noise; insert slot _SLOT empty."""
    e = empty_engine(make, tracks)
    e.set("auto_bypass", 0.0, master=True)
    rng = np.random.default_rng(seed)
    for t in range(tracks):
        buf = e.input(t)
        buf[:] = rng.uniform(-0.5, 0.5, buf.shape).astype(np.float32)
    e.reset()
    return e


def _put_unit(e: Engine, unit: str | None) -> None:
    """``unit`` (None: nothing) into slot _SLOT of every track, then reset."""
    values = UNIT_SETTINGS
    for t in range(e.tracks):
        e.set_insert(_SLOT, unit, track=t)
        if unit is not None:
            e.set_many(values[unit], t, slot=_SLOT)
    e.reset()


def bench_units_micro(
    makers: dict[str, EngineMaker], baseline: str, frames: int, repeat: int
) -> list[UnitCost]:
    """Every unit of TAIL_UNITS alone on UNIT_TRACKS tracks, net of the same
    tracks without it, on every runtime (one engine per runtime, the unit
    switched before each run)."""
    units = [u for u, _ in TAIL_UNITS]
    engines: dict[str, Engine] = {}
    try:
        for n, m in makers.items():
            engines[n] = _unit_engine(m, UNIT_TRACKS, seed=UNIT_TRACKS)
        agreement: dict[str, dict[str, float]] = {}
        for unit in units:
            outputs = {}
            for n, e in engines.items():
                _put_unit(e, unit)
                outputs[n] = strip_output(e, frames)
            agreement[unit] = check_agreement(
                f"{unit} alone on {UNIT_TRACKS} tracks", outputs, baseline
            )
        actions: dict[str, Callable[[], object]] = {}
        prepare: dict[str, Callable[[], object]] = {}
        for n, e in engines.items():
            for held in [None, *units]:
                key = f"{n}\0{held or ''}"
                actions[key] = partial(process_frames, e, frames)
                prepare[key] = partial(_put_unit, e, held)
        timed = time_interleaved(actions, repeat, prepare=prepare)
    finally:
        for e in engines.values():
            e.close()
    rendered = -(-frames // QUANTUM_FRAMES) * QUANTUM_FRAMES
    return [
        UnitCost(
            unit,
            n,
            UNIT_TRACKS,
            rendered,
            NetCost(timed[f"{n}\0{unit}"], timed[f"{n}\0"], UNIT_TRACKS * rendered),
            agreement[unit][n],
        )
        for unit in units
        for n in makers
    ]


def _sampler_data(frames: int, seed: int) -> npt.NDArray[np.float32]:
    """A mono fixed-seed noise sample longer than any render of ``frames``
    (renders run in whole calls of up to 64 quanta)."""
    call = 64 * QUANTUM_FRAMES
    length = (-(-frames // call) + 1) * call
    rng = np.random.default_rng(seed)
    return rng.uniform(-0.5, 0.5, (1, length)).astype(np.float32)


def _source_engine(make: EngineMaker, source: str, frames: int) -> Engine:
    e = empty_engine(make, 1)
    e.set("auto_bypass", 0.0, master=True)
    e.set_source(0, source)
    if source == "sampler":
        sid = e.add_sample(_sampler_data(frames, seed=7), SAMPLE_RATE_HZ)
        e.set_many(
            {
                "sampler_sample": float(sid),
                "sampler_mode": 1.0,  # sustained: each note plays until its note-off
                "sampler_root_note": float(_SAMPLER_ROOT),
                "sampler_gain_db": -24.0,
            },
            0,
        )
    e.reset()
    return e


def _notes(source: str) -> list[int]:
    if source == "synth":
        return [48 + i for i in range(SYNTH_VOICES)]
    return [_SAMPLER_ROOT - i for i in range(SAMPLER_VOICES)]


def _start_voices(e: Engine, notes: list[int]) -> None:
    """From a reset: ``notes`` start at the first frame and are held."""
    e.reset()
    e.queue([note_on(0, 0, k, 0.8) for k in notes])


def bench_sources(
    makers: dict[str, EngineMaker], baseline: str, frames: int, repeat: int
) -> list[SourceCost]:
    """The synth with SYNTH_VOICES notes held and the sampler with
    SAMPLER_VOICES notes sustained, each net of the same track with no note,
    on every runtime."""
    results: list[SourceCost] = []
    for source in ("synth", "sampler"):
        notes = _notes(source)
        engines: dict[str, Engine] = {}
        try:
            for n, m in makers.items():
                engines[n] = _source_engine(m, source, frames)
            outputs = {}
            for n, e in engines.items():
                _start_voices(e, notes)
                outputs[n] = strip_output(e, frames)
            what = f"{source} with {len(notes)} voices"
            agreement = check_agreement(what, outputs, baseline)
            quiet = [n for n, out in outputs.items() if not np.any(out[:, -QUANTUM_FRAMES:])]
            if quiet:
                raise BenchError(f"{what}: {quiet[0]}'s voices fell silent within the run")
            actions: dict[str, Callable[[], object]] = {}
            prepare: dict[str, Callable[[], object]] = {}
            for n, e in engines.items():
                for key, played in ((f"{n}\0voices", notes), (f"{n}\0none", [])):
                    actions[key] = partial(process_frames, e, frames)
                    prepare[key] = partial(_start_voices, e, played)
            timed = time_interleaved(actions, repeat, prepare=prepare)
        finally:
            for e in engines.values():
                e.close()
        rendered = -(-frames // QUANTUM_FRAMES) * QUANTUM_FRAMES
        results.extend(
            SourceCost(
                source,
                n,
                len(notes),
                rendered,
                NetCost(timed[f"{n}\0voices"], timed[f"{n}\0none"], len(notes) * rendered),
                agreement[n],
            )
            for n in makers
        )
    return results
