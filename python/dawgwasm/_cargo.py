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

__all__ = ["VARIANTS", "build_native", "build_wasm", "crate_package", "native_library_name"]

#: variant → RUSTFLAGS.
VARIANTS = {"simd": "-C target-feature=+simd128", "scalar": ""}

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


_NPM_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,213}$")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


def crate_package(crate: Path) -> dict[str, str]:
    """The crate's ``[package]`` name and version, and the npm package name
    its build goes by (lower case, ``_`` as ``-``); BuildError if either is
    missing or unusable as an npm name or version."""
    cargo_toml = crate / "Cargo.toml"
    text = cargo_toml.read_text(encoding="utf-8")
    section = re.search(r"^\[package\]([^\[]*)", text, re.M | re.S)
    body = section.group(1) if section else ""
    name = re.search(r'^name\s*=\s*"([^"]+)"', body, re.M)
    version = re.search(r'^version\s*=\s*"([^"]+)"', body, re.M)
    if not name or not version:
        raise BuildError(f"{cargo_toml} needs a [package] name and version")
    npm_name = name.group(1).lower().replace("_", "-")
    if not _NPM_NAME.fullmatch(npm_name):
        raise BuildError(
            f"{cargo_toml}: package name {name.group(1)!r} cannot name an npm package "
            "(letters, digits, '.', '_' and '-', at most 214 characters)"
        )
    if not _SEMVER.fullmatch(version.group(1)):
        raise BuildError(
            f"{cargo_toml}: version {version.group(1)!r} is not a semantic version (e.g. 0.1.0)"
        )
    return {"name": name.group(1), "version": version.group(1), "npm_name": npm_name}


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
