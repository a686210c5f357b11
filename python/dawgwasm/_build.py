"""``dawgwasm build``: Rust crate → two wasm variants (SIMD and scalar) →
checked under wasmtime → ``manifest.json`` → generated AudioWorklet glue,
the hand-written JS modules, and what the browser needs to load sessions
exactly as Python does (``samples/``: the built-in samples at 48 kHz;
``reference-session.json``).

The steps live in their own modules: cargo in :mod:`dawgwasm._cargo`, the
marker and what a build folder must hold in :mod:`dawgwasm._dist`, and
where a build may go, its staging folder, the atomic swap and the recovery
after builds that died in :mod:`dawgwasm._staging`. A build never loses
anything the user owns: ``--out`` is replaced only if it is new, empty or
an unchanged build, and only once every step succeeded.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dawgwasm import _paths
from dawgwasm._abi import ABI_VERSION
from dawgwasm._cargo import build_wasm, crate_package
from dawgwasm._codegen import GENERATED, render_templates
from dawgwasm._dist import (
    MANIFEST_NAME,
    MARKER_NAME,
    PROCESSOR_NAME,
    REFERENCE_SESSION_NAME,
    SAMPLES_DIR,
    WASM_FILES,
    write_marker,
)
from dawgwasm._engine import Engine
from dawgwasm._errors import BuildError
from dawgwasm._limits import SESSION_LIMITS
from dawgwasm._reference import reference_session
from dawgwasm._rules import host_rules
from dawgwasm._samples import SAMPLES
from dawgwasm._staging import Staging, check_target, folder_lock, prepare_out, swap
from dawgwasm._toolchain import RustToolchain, find_rust_toolchain
from dawgwasm._version import __version__
from dawgwasm._wasm_runtime import load_wasm

__all__ = ["BuildReport", "assemble_manifest", "build"]

SAMPLES_RATE_HZ = 48000.0

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class BuildReport:
    """What a build produced and how long each step took."""

    out_dir: Path
    manifest: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_variant(path: Path, variant: str, quantum_frames: int) -> dict[str, Any]:
    """Load a built variant under wasmtime (SIMD off for the scalar one), read its
    tables and render one quantum of silence. Returns what the manifest needs."""
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
            **host_rules(engine.runtime.tables),
        }


def _write_session_data(out: Path) -> None:
    """What the browser needs to load sessions like Python does: every built-in
    sample at 48 kHz as ``samples/<name>.f32`` (planar float32, little-endian:
    all of channel 0, then channel 1), ``samples/index.json`` (name → channels,
    frames, sample_rate_hz) and the reference session document."""
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


def assemble_manifest(
    table: dict[str, Any],
    wasm: dict[str, Any],
    *,
    quantum_frames: int,
    crate: dict[str, str],
) -> dict[str, Any]:
    """``manifest.json``: what the browser glue and any host need to know
    about a build. ``table`` is what :func:`_check_variant` read from the
    engine (parameters, limits, units, sources, status texts, groups, host
    rules), ``wasm`` the file, size and SHA-256 of each variant, ``crate`` the
    crate's name and version and the npm name its build goes by."""
    return {
        "abi_version": ABI_VERSION,
        "dawgwasm_version": __version__,
        "processor_name": PROCESSOR_NAME,
        "crate": crate,
        "quantum_frames": quantum_frames,
        "limits": table["limits"],
        "units": table["units"],
        "sources": table["sources"],
        "status": table["status"],
        "session_limits": SESSION_LIMITS,
        "wasm": wasm,
        "params": table["params"],
        "groups": table["groups"],
        "rules": table["rules"],
    }


def build(
    out_dir: Path,
    *,
    crate: Path | None = None,
    toolchain: RustToolchain | None = None,
    quantum_frames: int = 128,
    log: Log = _quiet,
) -> BuildReport:
    """Build both wasm variants and the glue into ``out_dir``, atomically.

    ``out_dir`` may be a new path, an empty folder (its mode is kept) or a
    dawgwasm build nothing was added to or changed in; anything else is
    refused with a :class:`BuildError` saying how to proceed (the rules are
    in the module docs). ``log`` is called with a line at each step; an
    exception it raises (Ctrl-C included) stops the build with the previous
    output intact before the swap, or the new one complete after it, and no
    staging folder left behind."""
    crate = (crate or _paths.crate_dir()).resolve()
    out = prepare_out(Path(out_dir), crate, log)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    package = crate_package(crate)
    tc = toolchain or find_rust_toolchain()
    seconds["toolchain"] = time.perf_counter() - t0

    artifacts: dict[str, Path] = {}
    for variant in WASM_FILES:
        t0 = time.perf_counter()
        artifacts[variant] = build_wasm(tc, crate, variant, log)
        seconds[f"cargo {variant}"] = time.perf_counter() - t0

    staging = Staging(out.path)
    try:
        try:
            out.path.parent.mkdir(parents=True, exist_ok=True)
            staging.create()
        except OSError as e:
            raise BuildError(f"cannot write next to {out.shown}: {e}") from e
        log(f"assembling the build in {staging.path}")
        new = staging.new
        t0 = time.perf_counter()
        wasm_meta: dict[str, Any] = {}
        infos = []
        for variant, artifact in artifacts.items():
            dest = new / WASM_FILES[variant]
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

        manifest_doc = assemble_manifest(
            infos[0], wasm_meta, quantum_frames=quantum_frames, crate=package
        )
        t0 = time.perf_counter()
        (new / MANIFEST_NAME).write_text(
            json.dumps(manifest_doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        render_templates(manifest_doc, _paths.templates_dir(), new)
        static = _paths.static_dir()
        for src in sorted(static.glob("*.js")):
            if src.name in GENERATED.values():
                raise BuildError(f"{src} would overwrite a generated file")
            shutil.copyfile(src, new / src.name)
        seconds["generate glue"] = time.perf_counter() - t0
        log("wrote manifest.json and the JavaScript glue")
        t0 = time.perf_counter()
        _write_session_data(new)
        seconds["samples"] = time.perf_counter() - t0
        log("wrote the built-in samples and the reference session")
        write_marker(new, dawgwasm_version=__version__, abi_version=ABI_VERSION)
        log(f"marked it as a dawgwasm build ({MARKER_NAME})")
        with folder_lock(out.path.parent):
            check_target(out)  # again: the folder may have changed during the build
            swap(staging, out.path)
        log(f"swapped the new build into {out.shown}; removing the previous one")
        staging.remove()
    except OSError as e:
        raise BuildError(f"cannot write the build into {out.shown}: {e}") from e
    finally:
        staging.remove()
    log(f"wrote {out.shown}")
    return BuildReport(out.path, manifest_doc, seconds)
