"""Loading a .wasm fails with a clear, specific error for every kind of bad
module (MW1 to MW4), and the scalar build runs where wasm SIMD is disabled while
the SIMD build is refused there (BF2a)."""

from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime

from dawgwasm import AbiMismatchError, Engine, InvalidWasmError, WasmNotFoundError
from dawgwasm._abi import ABI_VERSION
from tests.hostile_modules import hostile_module


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WasmNotFoundError, match="run `dawgwasm build"):
        Engine.from_wasm(tmp_path / "nope.wasm")
    with pytest.raises(WasmNotFoundError, match="holds no dawgwasm build"):
        Engine.from_dist(tmp_path)


@pytest.mark.parametrize(
    "data", [b"", b"\x00asm", b"\x00asm\x01\x00\x00\x00\xff", b"hello world\n"]
)
def test_not_wasm(data: bytes) -> None:
    with pytest.raises(InvalidWasmError, match="not a usable wasm module"):
        Engine.from_wasm(data)


def test_text_is_not_taken_for_a_path() -> None:
    with pytest.raises(TypeError, match="Path or bytes"):
        Engine.from_wasm("dist/dawg_dsp.simd.wasm")  # type: ignore[arg-type]


def test_wrong_abi_version_names_both_versions() -> None:
    with pytest.raises(
        AbiMismatchError, match=rf"ABI v{ABI_VERSION + 1} .* expects v{ABI_VERSION}"
    ):
        Engine.from_wasm(hostile_module(bodies={"dawg_abi_version": ABI_VERSION + 1}))


def test_missing_export_is_named() -> None:
    with pytest.raises(AbiMismatchError, match="missing dawg_process"):
        Engine.from_wasm(hostile_module(omit={"dawg_process"}))


def test_wrong_signature_is_named() -> None:
    wat = (
        '(module (memory (export "memory") 1) '
        '(func (export "dawg_abi_version") (param i32) (result i32) i32.const 1))'
    )
    with pytest.raises(AbiMismatchError, match=r"dawg_abi_version is \(i32\)"):
        Engine.from_wasm(wasmtime.wat2wasm(wat))


def test_scalar_build_runs_without_simd_and_simd_build_is_refused(built_dist: Path) -> None:
    scalar = Engine.from_wasm(built_dist / "dawg_dsp.scalar.wasm", simd=False)
    scalar.process(1)
    scalar.close()
    with pytest.raises(InvalidWasmError, match="uses SIMD, which is disabled"):
        Engine.from_wasm(built_dist / "dawg_dsp.simd.wasm", simd=False)
