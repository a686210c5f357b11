"""The crate through cargo: one wasm variant (SIMD or scalar) for
``wasm32-unknown-unknown``, or the shared library for this machine (the
native baseline of tests and benchmarks). Builds are offline and release,
each kind in its own folder under the crate's ``target/dawgwasm/``."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from dawgwasm import _paths
from dawgwasm._errors import BuildError
from dawgwasm._toolchain import WASM_TARGET, RustToolchain, find_rust_toolchain

__all__ = ["VARIANTS", "build_native", "build_wasm", "native_library_name"]

#: variant → RUSTFLAGS.
VARIANTS = {"simd": "-C target-feature=+simd128", "scalar": ""}

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def _lib_name(crate: Path) -> str:
    text = (crate / "Cargo.toml").read_text(encoding="utf-8")
    lib = re.search(r"^\[lib\][^\[]*?^name\s*=\s*\"([^\"]+)\"", text, re.M | re.S)
    pkg = re.search(r"^\[package\][^\[]*?^name\s*=\s*\"([^\"]+)\"", text, re.M | re.S)
    m = lib or pkg
    if not m:
        raise BuildError(f"{crate / 'Cargo.toml'} names no package")
    return m.group(1).replace("-", "_")


def native_library_name(lib: str) -> str:
    """File name of a cdylib called ``lib`` on this platform."""
    if sys.platform == "darwin":
        return f"lib{lib}.dylib"
    if sys.platform == "win32":
        return f"{lib}.dll"
    return f"lib{lib}.so"


def _cargo(
    tc: RustToolchain,
    crate: Path,
    *,
    target: str | None,
    rustflags: str,
    target_dir: Path,
    what: str,
    log: Log,
) -> None:
    if not (crate / "Cargo.toml").is_file():
        raise BuildError(f"{crate} is not a Rust crate (no Cargo.toml); pass --crate DIR")
    argv = [
        str(tc.cargo),
        "build",
        "--release",
        "--offline",
        "--manifest-path",
        str(crate / "Cargo.toml"),
    ]
    if target:
        argv += ["--target", target]
    env = tc.env(rustflags)
    env["CARGO_TARGET_DIR"] = str(target_dir)
    log(f"cargo build ({what})")
    try:
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise BuildError(f"cargo build ({what}) could not run: {e}") from e
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-40:])
        raise BuildError(f"cargo build ({what}) failed with exit code {proc.returncode}:\n{tail}")


def build_wasm(tc: RustToolchain, crate: Path, variant: str, log: Log = _quiet) -> Path:
    """Build one wasm variant of the crate; returns the artifact in cargo's target dir."""
    target_dir = crate / "target" / "dawgwasm" / f"wasm-{variant}"
    _cargo(
        tc,
        crate,
        target=WASM_TARGET,
        rustflags=VARIANTS[variant],
        target_dir=target_dir,
        what=f"wasm {variant}",
        log=log,
    )
    artifact = target_dir / WASM_TARGET / "release" / f"{_lib_name(crate)}.wasm"
    if not artifact.is_file():
        raise BuildError(f"cargo succeeded but {artifact} is missing: is the crate a cdylib?")
    return artifact


def build_native(
    tc: RustToolchain | None = None, crate: Path | None = None, log: Log = _quiet
) -> Path:
    """Build the crate for this machine; returns the shared library's path."""
    tc = tc or find_rust_toolchain()
    crate = (crate or _paths.crate_dir()).resolve()
    target_dir = crate / "target" / "dawgwasm" / "native"
    _cargo(tc, crate, target=None, rustflags="", target_dir=target_dir, what="native", log=log)
    artifact = target_dir / "release" / native_library_name(_lib_name(crate))
    if not artifact.is_file():
        raise BuildError(f"cargo succeeded but {artifact} is missing: is the crate a cdylib?")
    return artifact
