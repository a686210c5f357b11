"""``dawgwasm build``: Rust crate → two wasm variants (SIMD and scalar) →
checked under wasmtime → ``manifest.json`` → generated AudioWorklet glue,
the hand-written JS modules, and what the browser needs to load sessions
exactly as Python does (``samples/``: the built-in samples at 48 kHz;
``reference-session.json``).

The output folder is assembled in a temporary sibling folder and swapped
into place only when every step has succeeded, so a failed build leaves the
previous output exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dawgwasm import _paths
from dawgwasm._abi import ABI_VERSION
from dawgwasm._codegen import GENERATED, render_templates
from dawgwasm._errors import BuildError, WasmNotFoundError
from dawgwasm._limits import SESSION_LIMITS
from dawgwasm._runtime import load_wasm
from dawgwasm._toolchain import WASM_TARGET, RustToolchain, find_rust_toolchain

__all__ = [
    "MANIFEST_NAME",
    "PROCESSOR_NAME",
    "REFERENCE_SESSION_NAME",
    "SAMPLES_DIR",
    "VARIANTS",
    "WASM_FILES",
    "BuildReport",
    "build",
    "build_native",
    "build_wasm",
    "native_library_name",
    "wasm_path",
]

MANIFEST_NAME = "manifest.json"
PROCESSOR_NAME = "dawgwasm-mixer"
#: variant → RUSTFLAGS.
VARIANTS = {"simd": "-C target-feature=+simd128", "scalar": ""}
WASM_FILES = {"simd": "dawg_dsp.simd.wasm", "scalar": "dawg_dsp.scalar.wasm"}

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class BuildReport:
    """What a build produced and how long each step took."""

    out_dir: Path
    manifest: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)


def wasm_path(dist: Path, variant: str) -> Path:
    """The wasm file of ``variant`` in a build folder, checked to exist."""
    if variant not in WASM_FILES:
        raise ValueError(f"variant must be one of {sorted(WASM_FILES)}, not {variant!r}")
    if not (dist / MANIFEST_NAME).is_file():
        raise WasmNotFoundError(
            f"{dist} holds no dawgwasm build; run `dawgwasm build --out {dist}`"
        )
    path = dist / WASM_FILES[variant]
    if not path.is_file():
        raise WasmNotFoundError(f"{path} not found; run `dawgwasm build --out {dist}`")
    return path


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


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_variant(path: Path, variant: str, quantum_frames: int) -> dict[str, Any]:
    """Load a built variant under wasmtime (SIMD off for the scalar one), read its
    tables and render one quantum of silence. Returns what the manifest needs."""
    from dawgwasm._engine import Engine

    runtime = load_wasm(path, simd=variant == "simd")
    with Engine(runtime, tracks=1, quantum_frames=quantum_frames, max_quanta=1) as engine:
        engine.process(1)
        if not np.all(engine.output == 0.0):
            raise BuildError(f"{path.name}: silence in did not give silence out")
        return {
            "params": [p.to_json() for p in engine.params.values()],
            "limits": engine.limits,
            "units": engine.units,
            "sources": engine.sources,
            "status": engine.status_texts,
        }


SAMPLES_DIR = "samples"
SAMPLES_RATE_HZ = 48000.0
REFERENCE_SESSION_NAME = "reference-session.json"


def _write_session_data(out: Path) -> None:
    """What the browser needs to load sessions like Python does: every built-in
    sample at 48 kHz as ``samples/<name>.f32`` (planar float32, little-endian:
    all of channel 0, then channel 1), ``samples/index.json`` (name → channels,
    frames, sample_rate_hz) and the reference session document."""
    from dawgwasm._reference import reference_session
    from dawgwasm._samples import SAMPLES

    folder = out / SAMPLES_DIR
    folder.mkdir()
    index: dict[str, dict[str, Any]] = {}
    for name, make in SAMPLES.items():
        data = np.ascontiguousarray(make(SAMPLES_RATE_HZ), dtype="<f4")
        (folder / f"{name}.f32").write_bytes(data.tobytes())
        index[name] = {
            "channels": int(data.shape[0]),
            "frames": int(data.shape[1]),
            "sample_rate_hz": SAMPLES_RATE_HZ,
        }
    (folder / "index.json").write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    (out / REFERENCE_SESSION_NAME).write_text(
        json.dumps(reference_session(), indent=2) + "\n", encoding="utf-8"
    )


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2(RENAME_EXCHANGE)``).
    False where the platform or file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (38, 22, 95):  # ENOSYS, EINVAL, EOPNOTSUPP: fall back to two renames
        return False
    raise OSError(errno, os.strerror(errno), str(b))


def _replace_dir(staging: Path, out_dir: Path) -> None:
    """Swap ``staging`` into ``out_dir``.

    Where the OS can (Linux), the two folders are exchanged in one atomic
    step, so ``out_dir`` never stops existing (a running ``dawgwasm serve``
    sees the old build or the new one, never none). Elsewhere the old folder
    is renamed aside first; if the process dies in between,
    :func:`_recover` restores it on the next build."""
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    if _exchange(staging, out_dir):
        shutil.rmtree(staging, ignore_errors=True)
        return
    backup = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
    if backup.exists():
        shutil.rmtree(backup)
    os.replace(out_dir, backup)
    try:
        os.replace(staging, out_dir)
    except OSError:
        os.replace(backup, out_dir)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def _recover(out_dir: Path) -> None:
    """Clean up after a build that died mid-way: put a stranded previous
    output back if ``out_dir`` is missing, and remove temporary folders."""
    if not out_dir.parent.is_dir():
        return
    backups = sorted(out_dir.parent.glob(f".{out_dir.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if backups and not out_dir.exists():
        os.replace(backups.pop(), out_dir)
    for leftover in [*backups, *out_dir.parent.glob(f".{out_dir.name}.tmp-*")]:
        shutil.rmtree(leftover, ignore_errors=True)


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise BuildError(f"--out {out_dir} is a file; choose a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MANIFEST_NAME).is_file():
        raise BuildError(
            f"--out {out_dir} is not empty and holds no dawgwasm build ({MANIFEST_NAME}); "
            "choose a new or empty folder so nothing of yours is replaced"
        )


def build(
    out_dir: Path,
    *,
    crate: Path | None = None,
    toolchain: RustToolchain | None = None,
    quantum_frames: int = 128,
    log: Log = _quiet,
) -> BuildReport:
    """Build both wasm variants and the glue into ``out_dir`` (atomically)."""
    from dawgwasm import __version__

    out_dir = out_dir.resolve()
    crate = (crate or _paths.crate_dir()).resolve()
    _recover(out_dir)
    _check_out_dir(out_dir)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    tc = toolchain or find_rust_toolchain()
    seconds["toolchain"] = time.perf_counter() - t0

    artifacts: dict[str, Path] = {}
    for variant in WASM_FILES:
        t0 = time.perf_counter()
        artifacts[variant] = build_wasm(tc, crate, variant, log)
        seconds[f"cargo {variant}"] = time.perf_counter() - t0

    staging = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir()
    except OSError as e:
        raise BuildError(f"cannot write next to {out_dir}: {e}") from e
    try:
        t0 = time.perf_counter()
        wasm_meta: dict[str, Any] = {}
        infos = []
        for variant, artifact in artifacts.items():
            dest = staging / WASM_FILES[variant]
            shutil.copyfile(artifact, dest)
            infos.append(_check_variant(dest, variant, quantum_frames))
            wasm_meta[variant] = {
                "file": dest.name,
                "sha256": _sha256(dest),
                "bytes": dest.stat().st_size,
            }
        if any(i != infos[0] for i in infos[1:]):
            raise BuildError("the SIMD and scalar builds disagree on the parameter table")
        seconds["check under wasmtime"] = time.perf_counter() - t0
        log("checked both variants under wasmtime")

        manifest: dict[str, Any] = {
            "abi_version": ABI_VERSION,
            "dawgwasm_version": __version__,
            "processor_name": PROCESSOR_NAME,
            "quantum_frames": quantum_frames,
            "limits": infos[0]["limits"],
            "units": infos[0]["units"],
            "sources": infos[0]["sources"],
            "status": infos[0]["status"],
            "session_limits": SESSION_LIMITS,
            "wasm": wasm_meta,
            "params": infos[0]["params"],
        }
        t0 = time.perf_counter()
        (staging / MANIFEST_NAME).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        render_templates(manifest, _paths.templates_dir(), staging)
        static = _paths.static_dir()
        for src in sorted(static.glob("*.js")):
            if src.name in GENERATED.values():
                raise BuildError(f"{src} would overwrite a generated file")
            shutil.copyfile(src, staging / src.name)
        seconds["generate glue"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        _write_session_data(staging)
        seconds["samples"] = time.perf_counter() - t0
        _replace_dir(staging, out_dir)
    except OSError as e:
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildError(f"cannot write the build into {out_dir}: {e}") from e
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log(f"wrote {out_dir}")
    return BuildReport(out_dir, manifest, seconds)
