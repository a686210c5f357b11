"""Shared fixtures: one real build of the crate per test session (both wasm
variants and the native library), and engines on every runtime."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import dawgwasm
from dawgwasm import Engine

RUNTIMES = ("simd", "scalar", "native")


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
    """``make_engine(runtime, **config)`` for runtime in simd, scalar, native;
    every engine made is closed when the test ends."""
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
    """Each runtime in turn: wasmtime SIMD, wasmtime scalar, native."""
    return str(request.param)
