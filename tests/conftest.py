"""Shared fixtures: one real build of the crate per test session (both wasm
variants, the JavaScript engine and the native library), and engines on
every runtime."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pytest

import dawgwasm
from dawgwasm import Engine

RUNTIMES = ("simd", "scalar", "native", "js")


@pytest.fixture(scope="session")
def built_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh `dawgwasm build` of the bundled crate."""
    out = tmp_path_factory.mktemp("build") / "dist"
    dawgwasm.build(out)
    return out


@pytest.fixture(scope="session")
def native_lib() -> Path:
    """The bundled crate compiled for this machine."""
    return dawgwasm.build_native()


EngineFactory = Callable[..., Engine]


@pytest.fixture
def make_engine(built_dist: Path, native_lib: Path) -> Iterator[EngineFactory]:
    """``make_engine(runtime, **config)`` for runtime in simd, scalar, native,
    js (the build's JavaScript engine under node); every engine made is
    closed when the test ends."""
    made: list[Engine] = []

    def make(runtime: str = "simd", **config: Any) -> Engine:
        if runtime == "native":
            e = Engine.native(native_lib, **config)
        else:
            e = Engine.from_dist(built_dist, runtime, **config)
        made.append(e)
        return e

    yield make
    for e in made:
        e.close()


@pytest.fixture(params=RUNTIMES)
def runtime(request: pytest.FixtureRequest) -> str:
    """Each runtime in turn: wasmtime SIMD, wasmtime scalar, native, the
    JavaScript engine under node."""
    return str(request.param)


Stereo = tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]
Note = tuple[int, str, int, float]


class UnitRenderer(Protocol):
    def __call__(
        self,
        unit: str,
        params: Mapping[str, float],
        left: npt.ArrayLike,
        right: npt.ArrayLike | None = None,
        *,
        runtime: str = "native",
        sample_rate_hz: float = 48000.0,
        quantum_frames: int = 128,
        tempo_bpm: float = 120.0,
        changes: Sequence[tuple[int, str, float]] = (),
    ) -> Stereo: ...


class SourceRenderer(Protocol):
    def __call__(
        self,
        source: str,
        params: Mapping[str, float],
        notes: Sequence[Note],
        frames: int,
        *,
        samples: Sequence[tuple[npt.ArrayLike, float]] = (),
        runtime: str = "native",
        sample_rate_hz: float = 48000.0,
        quantum_frames: int = 128,
    ) -> Stereo: ...


def _one_track(make_engine: EngineFactory, runtime: str, rate: float, quantum: int) -> Engine:
    """A one-track engine rendering up to 8192 frames per call."""
    return make_engine(
        runtime,
        sample_rate_hz=rate,
        tracks=1,
        quantum_frames=quantum,
        max_quanta=max(1, 8192 // quantum),
    )


@pytest.fixture
def render_unit(make_engine: EngineFactory) -> UnitRenderer:
    """``render_unit(unit, params, left, right=None, ...)``: one track fed by
    its input, a flat strip, ``unit`` in insert slot 1 with ``params`` (set
    before the first sample: no ramps), unity fader, centre pan; returns the
    master output ``(L, R)`` as float32, as long as the input. ``changes``
    are ``(frame, name, value)`` parameter sets made between renders, so they
    apply from that frame (ramping as the engine ramps them); each frame is
    a whole number of quanta."""

    def render(
        unit: str,
        params: Mapping[str, float],
        left: npt.ArrayLike,
        right: npt.ArrayLike | None = None,
        *,
        runtime: str = "native",
        sample_rate_hz: float = 48000.0,
        quantum_frames: int = 128,
        tempo_bpm: float = 120.0,
        changes: Sequence[tuple[int, str, float]] = (),
    ) -> Stereo:
        e = _one_track(make_engine, runtime, sample_rate_hz, quantum_frames)
        e.set_insert(1, unit, track=0)
        e.set("tempo_bpm", tempo_bpm)
        e.set_many(dict(params), 0, slot=1)
        e.reset()  # parameters start at their values, not ramping towards them
        x = np.asarray(left, np.float32)
        y = x if right is None else np.asarray(right, np.float32)
        xy = np.stack([x, y])
        misaligned = [c for c in changes if c[0] % quantum_frames]
        if misaligned:
            # A render pads its input to whole quanta, so a change between
            # renders lands on a quantum boundary or not at all where meant.
            raise ValueError(f"changes must fall on {quantum_frames}-frame quanta: {misaligned}")
        pieces, done = [], 0
        for at, name, value in [*sorted(changes, key=lambda c: c[0]), (len(x), "", 0.0)]:
            if at > done:
                pieces.append(e.render(xy[:, done:at]))
                done = at
            if name:
                e.set(name, value, 0, slot=1)
        out = np.concatenate(pieces, axis=1)
        e.close()  # engines are a bounded resource (64 handles per module)
        return out[0].copy(), out[1].copy()

    return render


@pytest.fixture
def render_source(make_engine: EngineFactory) -> SourceRenderer:
    """``render_source(source, params, notes, frames, samples=(), ...)``: one
    track playing ``source`` ("synth" or "sampler") with ``params`` (set
    before the first sample), ``notes`` as ``(frame, "on"|"off", note,
    velocity)`` applied sample-accurately, ``samples`` loaded into the bank
    in order (ids 0, 1, ...); returns the master output ``(L, R)``."""

    def render(
        source: str,
        params: Mapping[str, float],
        notes: Sequence[Note],
        frames: int,
        *,
        samples: Sequence[tuple[npt.ArrayLike, float]] = (),
        runtime: str = "native",
        sample_rate_hz: float = 48000.0,
        quantum_frames: int = 128,
    ) -> Stereo:
        e = _one_track(make_engine, runtime, sample_rate_hz, quantum_frames)
        e.set_source(0, source)
        for data, sr in samples:
            e.add_sample(np.asarray(data, np.float32), sr)
        e.set_many(dict(params), 0)
        e.reset()
        events = [
            dawgwasm.note_on(f, 0, n, v) if kind == "on" else dawgwasm.note_off(f, 0, n)
            for f, kind, n, v in notes
        ]
        e.queue(events)
        out = e.render(np.zeros((0, 2, frames), np.float32))
        e.close()
        return out[0].copy(), out[1].copy()

    return render
