"""The build's wasm modules run by node's V8 (variants ``node-simd`` and
``node-scalar``, what ``dawgwasm bench`` times as V8) render the reference
session bit for bit as wasmtime does; a build without the module says what
to do."""

from __future__ import annotations

import shutil
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from dawgwasm import Engine
from dawgwasm._bench import prepare_reference
from dawgwasm._errors import WasmLoadError


@pytest.mark.parametrize(
    ("variant", "wasmtime"), [("node-simd", "simd"), ("node-scalar", "scalar")]
)
def test_v8_under_node_renders_the_reference_session_like_wasmtime(
    built_dist: Path, variant: str, wasmtime: str
) -> None:
    outs = []
    for v in (wasmtime, variant):
        run = prepare_reference(partial(Engine.from_dist, built_dist, v), 4.0, 48000.0)
        try:
            outs.append(run.render())
        finally:
            run.engine.close()
    assert np.max(np.abs(outs[0])) > 0.05
    assert np.array_equal(outs[1], outs[0])


def test_a_build_without_the_module_is_a_clear_error(built_dist: Path, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    shutil.copytree(built_dist, dist)
    (dist / "dawg_dsp.simd.wasm").unlink()
    with pytest.raises(WasmLoadError, match=r"dawg_dsp\.simd\.wasm"):
        Engine.from_dist(dist, "node-simd")
