"""``dawgwasm build``: Rust crate → two wasm variants (SIMD and scalar) →
checked under wasmtime → ``manifest.json`` → generated AudioWorklet glue,
the hand-written JS modules, and what the browser needs to load sessions
exactly as Python does (``samples/``: the built-in samples at 48 kHz;
``reference-session.json``).

The build never loses anything the user owns. Its rules:

- **Every build is marked.** Its folder holds ``.dawgwasm-build``: JSON
  ``{"tool": "dawgwasm", "format": 1, "kind": "build", ...}`` listing every
  file the build wrote with its size and SHA-256.
- **Only a new folder, an empty one or an unchanged build is replaced.**
  ``--out`` may be a path that does not exist yet, an empty folder (its
  mode is kept), or a dawgwasm build whose marker is valid and in which
  nothing was added or changed since (files may be missing). Anything else
  is refused before any work starts, and again just before the swap: a
  folder without a valid marker (however much it looks like a build: a PWA
  ``manifest.json`` is not a marker), a build holding a file it did not
  write or a file changed since, a file, a device, a mount point, a
  write-protected folder, and the crate or ``web/`` (a folder inside them,
  or one holding them). A symbolic link is followed: its target obeys the
  same rules and the link is kept; a dangling link is refused.
- **Staging is per build.** The new output is assembled in
  ``.NAME.tmp-XXXXXXXX/build`` (``tempfile.mkdtemp`` next to ``--out``),
  whose ``.dawgwasm-staging`` file marks it as dawgwasm's and is held
  ``flock``-ed by the running build. The finished build is swapped into
  place with one atomic ``renameat2(RENAME_EXCHANGE)`` where the OS has it
  (readers see the old build or the new one, never none); elsewhere the old
  output is first renamed into the staging folder (``previous/``). Checks
  and swaps of one parent folder are serialised by an ``flock`` on it, so
  concurrent builds into one ``--out`` all succeed, the last swap winning.
- **Recovery touches only what is provably dawgwasm's and abandoned.** A
  build first cleans up after builds that died: a ``.NAME.tmp-*`` folder is
  removed only if it is a real folder (never a symbolic link) whose marker
  is valid, names this ``--out``, and whose lock can be taken without
  waiting (the build that held it is gone). Where ``flock`` does not work,
  the marker's process must be gone from this host instead (on Windows,
  leftovers are left alone). A stranded previous output in such a folder
  is moved back if ``--out`` is missing. Nothing else is ever deleted, and
  no deletion follows a symbolic link.
- **A failed or interrupted build changes nothing.** Any error or Ctrl-C
  before the swap leaves the previous output exactly as it was and removes
  the staging folder; after the swap the new build is complete. The few
  system calls that must run together (creating the staging folder and its
  lock, the two-rename swap, removing the staging folder) hold Ctrl-C off
  until they are done.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dawgwasm import _paths
from dawgwasm._abi import ABI_VERSION
from dawgwasm._codegen import GENERATED, render_templates
from dawgwasm._errors import BuildError, WasmNotFoundError
from dawgwasm._files import describe_kind
from dawgwasm._limits import SESSION_LIMITS
from dawgwasm._rules import host_rules
from dawgwasm._runtime import load_wasm
from dawgwasm._toolchain import WASM_TARGET, RustToolchain, find_rust_toolchain

if sys.platform != "win32":
    import fcntl

__all__ = [
    "MANIFEST_NAME",
    "MARKER_FORMAT",
    "MARKER_NAME",
    "PROCESSOR_NAME",
    "REFERENCE_SESSION_NAME",
    "SAMPLES_DIR",
    "VARIANTS",
    "WASM_FILES",
    "BuildReport",
    "build",
    "build_native",
    "build_problem",
    "build_wasm",
    "check_out_dir",
    "marker_problem",
    "native_library_name",
    "wasm_path",
]

MANIFEST_NAME = "manifest.json"
#: The file that marks a folder as a build dawgwasm wrote (see the module docs).
MARKER_NAME = ".dawgwasm-build"
#: Version of the marker's JSON format; a marker of another format is not valid.
MARKER_FORMAT = 1
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


def marker_problem(folder: Path) -> str | None:
    """Why ``folder`` carries no valid build marker (``.dawgwasm-build``),
    or None if it does. Unlike :func:`build_problem` this does not check
    the files, so a build someone added files to still counts as one."""
    found = _read_marker(folder, "build")
    return found if isinstance(found, str) else None


def wasm_path(dist: Path, variant: str) -> Path:
    """The wasm file of ``variant`` in a build folder (one with a valid
    marker), checked to exist."""
    if variant not in WASM_FILES:
        raise ValueError(f"variant must be one of {sorted(WASM_FILES)}, not {variant!r}")
    problem = marker_problem(dist)
    if problem is not None:
        raise WasmNotFoundError(
            f"{dist} holds no dawgwasm build ({problem}); run `dawgwasm build --out {dist}`"
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
            **host_rules(engine.runtime.tables),
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


# --- Ctrl-C and locks ---------------------------------------------------------


@contextlib.contextmanager
def _no_interrupt() -> Iterator[None]:
    """Hold Ctrl-C off during a few system calls that must all happen or
    none: a SIGINT that arrives meanwhile raises KeyboardInterrupt when the
    block ends. Only in the main thread with Python's own SIGINT handler
    installed; elsewhere the block runs as it is."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    caught: list[int] = []

    def defer(signum: int, _frame: object) -> None:
        caught.append(signum)

    signal.signal(signal.SIGINT, defer)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if caught:
            raise KeyboardInterrupt


def _flock(fd: int, *, wait: bool) -> bool | None:
    """Take an exclusive ``flock`` on ``fd``: True when taken, False when
    another open file holds it (only when not waiting), None where the
    platform or file system has no ``flock``."""
    if sys.platform == "win32":
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    except OSError:
        return None
    return True


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Serialise checks and swaps of the entries of ``folder`` among
    dawgwasm builds: an exclusive ``flock`` on the folder itself (no file
    is added to it). Where that is not possible the block runs unlocked."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        fd = -1
    try:
        if fd >= 0:
            _flock(fd, wait=True)
        yield
    finally:
        if fd >= 0:
            os.close(fd)


def _remove_tree(path: Path) -> None:
    """Remove a folder dawgwasm made, never following a symbolic link: a
    ``path`` that is not a real folder is left alone, and links inside are
    removed, not followed."""
    try:
        st = os.lstat(path)
    except OSError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path, ignore_errors=True)


# --- markers --------------------------------------------------------------------

_MARKER_MAX_BYTES = 1 << 20
#: Marks a staging folder and holds its lock.
_STAGING_LOCK = ".dawgwasm-staging"
#: In a staging folder: the new output, and (two-rename swap only) the old one.
_STAGING_NEW = "build"
_STAGING_PREVIOUS = "previous"


def _marker(kind: str, **fields: Any) -> bytes:
    doc = {"tool": "dawgwasm", "format": MARKER_FORMAT, "kind": kind, **fields}
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _parse_marker(data: bytes, kind: str) -> dict[str, Any] | str:
    """The marker in ``data`` if it is a valid dawgwasm marker of ``kind``,
    else why not."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return "it is not JSON"
    if not isinstance(doc, dict) or doc.get("tool") != "dawgwasm":
        return "it is not a dawgwasm marker"
    fmt = doc.get("format")
    if fmt != MARKER_FORMAT or isinstance(fmt, bool):
        return f"its format is {fmt!r}; this dawgwasm reads format {MARKER_FORMAT}"
    if doc.get("kind") != kind:
        return f"it marks a {doc.get('kind')!r}, not a {kind!r}"
    return doc


def _read_small(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _open_regular(path: Path, max_bytes: int) -> int | None:
    """A read-only descriptor of ``path`` if it is a regular file (not a
    link, FIFO or device) of at most ``max_bytes``; None otherwise."""
    flags = (
        os.O_RDONLY
        | getattr(os, "O_NOFOLLOW", 0)
        | getattr(os, "O_NONBLOCK", 0)
        | getattr(os, "O_CLOEXEC", 0)
    )
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
    except OSError:
        st = None
    if st is None or not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
        os.close(fd)
        return None
    return fd


def _read_marker(folder: Path, kind: str) -> dict[str, Any] | str:
    path = folder / MARKER_NAME
    if not os.path.lexists(path):
        return f"no {MARKER_NAME} marker"
    fd = _open_regular(path, _MARKER_MAX_BYTES)
    if fd is None:
        return f"{MARKER_NAME} is not a readable regular file of at most {_MARKER_MAX_BYTES} bytes"
    try:
        data = _read_small(fd, _MARKER_MAX_BYTES)
    except OSError as e:
        return f"{MARKER_NAME} cannot be read ({e.strerror})"
    finally:
        os.close(fd)
    doc = _parse_marker(data, kind)
    if isinstance(doc, str):
        return f"{MARKER_NAME} is not valid: {doc}"
    return doc


def _file_digest(path: Path) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def _build_files(folder: Path) -> dict[str, dict[str, Any]]:
    """Every file under ``folder`` but the marker: relative POSIX path →
    size and SHA-256."""
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if rel != MARKER_NAME and path.is_file():
            size, digest = _file_digest(path)
            files[rel] = {"bytes": size, "sha256": digest}
    return files


def _write_marker(folder: Path, **fields: Any) -> None:
    data = _marker("build", **fields, files=_build_files(folder))
    (folder / MARKER_NAME).write_bytes(data)


_UNMARKED_NAMES = re.compile(r"dawg-[a-z-]+\.js|dawg-engine\.d\.ts|reference-session\.json")


def _is_unmarked_build(folder: Path) -> bool:
    """Whether ``folder`` is, beyond doubt, a build of a dawgwasm from before
    builds were marked: a ``manifest.json`` naming the dawgwasm processor
    and both wasm files with their SHA-256, which the files match, and
    nothing else but the glue, the reference session and ``samples/``
    (``index.json`` and ``*.f32``), all regular files."""
    fd = _open_regular(folder / MANIFEST_NAME, _MARKER_MAX_BYTES)
    if fd is None:
        return False
    try:
        manifest = json.loads(_read_small(fd, _MARKER_MAX_BYTES))
    except (OSError, ValueError, RecursionError):
        return False
    finally:
        os.close(fd)
    if not isinstance(manifest, dict) or manifest.get("processor_name") != PROCESSOR_NAME:
        return False
    wasm = manifest.get("wasm")
    if not isinstance(wasm, dict) or set(wasm) != set(WASM_FILES):
        return False
    for variant, name in WASM_FILES.items():
        meta = wasm[variant]
        path = folder / name
        if not isinstance(meta, dict) or meta.get("file") != name or not path.is_file():
            return False
        if path.is_symlink() or _file_digest(path) != (meta.get("bytes"), meta.get("sha256")):
            return False
    for entry in os.scandir(folder):
        name = entry.name
        if entry.is_dir(follow_symlinks=False) and name == SAMPLES_DIR:
            for sample in os.scandir(entry.path):
                if not sample.is_file(follow_symlinks=False) or not (
                    sample.name == "index.json" or sample.name.endswith(".f32")
                ):
                    return False
            continue
        known = name == MANIFEST_NAME or name in WASM_FILES.values()
        if not entry.is_file(follow_symlinks=False) or not (
            known or _UNMARKED_NAMES.fullmatch(name)
        ):
            return False
    return True


def _inspect(folder: Path) -> tuple[bool, str] | None:
    """None if ``folder`` is exactly a build dawgwasm wrote (missing files
    allowed); else (whether it has a valid marker, what is wrong)."""
    marker = _read_marker(folder, "build")
    if isinstance(marker, str):
        if not os.path.lexists(folder / MARKER_NAME) and _is_unmarked_build(folder):
            return None
        return False, marker
    files = marker.get("files")
    if not isinstance(files, dict):
        return False, f"{MARKER_NAME} is not valid: it lists no files"
    dirs = {p.as_posix() for rel in files for p in Path(rel).parents if p != Path(".")}
    pending = [folder]
    while pending:
        current = pending.pop()
        with os.scandir(current) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                path = Path(entry.path)
                rel = path.relative_to(folder).as_posix()
                if rel == MARKER_NAME:
                    continue
                st = entry.stat(follow_symlinks=False)
                mode = st.st_mode
                if stat.S_ISDIR(mode) and rel in dirs:
                    pending.append(path)
                    continue
                listed = files.get(rel)
                if not stat.S_ISREG(mode) or not isinstance(listed, dict):
                    return (
                        True,
                        f"it holds {rel} ({describe_kind(mode)}), which dawgwasm did not write",
                    )
                if st.st_size != listed.get("bytes") or _file_digest(path) != (
                    listed.get("bytes"),
                    listed.get("sha256"),
                ):
                    return True, f"its {rel} was changed after dawgwasm wrote it"
    return None


def build_problem(folder: Path) -> str | None:
    """Why ``folder`` is not exactly a build dawgwasm wrote, or None if it
    is: it must hold a valid ``.dawgwasm-build`` marker, and every file in
    it must be one the marker lists, with the listed size and SHA-256
    (listed files may be missing; nothing may be added or changed)."""
    try:
        found = _inspect(folder)
    except OSError as e:
        return f"it cannot be read ({e.strerror}: {e.filename})"
    return None if found is None else found[1]


# --- the output folder ----------------------------------------------------------


@dataclass(frozen=True)
class _Out:
    """The folder a build writes: ``path`` resolved (what gets replaced) and
    ``shown`` as the user named it, for messages."""

    path: Path
    shown: str


def _resolve_out(given: Path) -> _Out:
    try:
        if given.is_symlink():
            target = given.resolve()
            if not os.path.lexists(target):
                raise BuildError(
                    f"--out {given} is a symbolic link to {target}, which does not exist; "
                    "create that folder or choose another --out"
                )
            return _Out(target, f"{given} (a symbolic link to {target})")
        return _Out(given.resolve(), str(given))
    except (OSError, RuntimeError) as e:
        raise BuildError(f"--out {given} cannot be resolved ({e}); choose another --out") from e


def _sources(crate: Path) -> list[tuple[str, Path]]:
    return [
        ("the crate", crate),
        ("web/", _paths.repo_root() / "web"),
        ("the templates", _paths.templates_dir()),
        ("the static JS", _paths.static_dir()),
    ]


def _check_not_sources(out: _Out, crate: Path) -> None:
    """Refuse an output folder that is, lies inside or holds the crate or
    ``web/`` (a rebuild, ``cargo clean`` or a checkout would destroy one or
    the other)."""
    for what, src in _sources(crate):
        src = src.resolve()
        if out.path == src or src in out.path.parents:
            raise BuildError(
                f"--out {out.shown} is inside {what} ({src}); choose a folder outside it"
            )
        if out.path in src.parents:
            raise BuildError(f"--out {out.shown} holds {what} ({src}); choose another folder")


def _check_target(out: _Out) -> None:
    """Check that ``out`` may be written: it does not exist, or it is an
    empty folder or an unchanged build (see the module docs)."""
    try:
        st = os.lstat(out.path)
    except FileNotFoundError:
        return
    except OSError as e:
        raise BuildError(f"--out {out.shown} cannot be used: {e.strerror}") from e
    if not stat.S_ISDIR(st.st_mode):
        raise BuildError(
            f"--out {out.shown} is {describe_kind(st.st_mode)}, not a folder; "
            "choose a new or empty folder (nothing is written over a file)"
        )
    if os.path.ismount(out.path):
        raise BuildError(
            f"--out {out.shown} is a mount point, which cannot be swapped atomically; "
            "choose a folder inside it"
        )
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise BuildError(
            f"--out {out.shown} is write-protected; make it writable (chmod u+w) "
            "or choose another folder"
        )
    try:
        with os.scandir(out.path) as entries:
            empty = next(entries, None) is None
        found = None if empty else _inspect(out.path)
    except OSError as e:
        raise BuildError(
            f"--out {out.shown} cannot be checked ({e.strerror}: {e.filename}); "
            "choose a new or empty folder"
        ) from e
    if found is None:
        return
    marked, why = found
    if marked:
        raise BuildError(
            f"--out {out.shown} is a dawgwasm build, but {why}; a build replaces the whole "
            "folder, so move what is yours out of it or choose another --out"
        )
    raise BuildError(
        f"--out {out.shown} is not empty and is not a dawgwasm build ({why}); choose a new "
        "or empty folder, or if it is an old build you no longer need, remove it yourself"
    )


class _Staging:
    """A staging folder next to the output, marked as dawgwasm's and
    ``flock``-ed for as long as this build runs."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.path: Path | None = None
        self._fd = -1

    @property
    def new(self) -> Path:
        assert self.path is not None
        return self.path / _STAGING_NEW

    @property
    def previous(self) -> Path:
        assert self.path is not None
        return self.path / _STAGING_PREVIOUS

    def create(self) -> None:
        with _no_interrupt():
            self.path = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.tmp-", dir=self.out.parent))
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            self._fd = os.open(
                self.path / _STAGING_LOCK, flags | getattr(os, "O_CLOEXEC", 0), 0o600
            )
            _flock(self._fd, wait=True)
            data = _marker("staging", out=str(self.out), pid=os.getpid(), host=socket.gethostname())
            while data:
                data = data[os.write(self._fd, data) :]
            self.new.mkdir()

    def remove(self) -> None:
        """Remove the staging folder (and whatever it holds), then release its lock."""
        with _no_interrupt():
            if self.path is not None:
                _remove_tree(self.path)
                self.path = None
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def _process_gone(pid: object) -> bool:
    """True only if ``pid`` is certainly not a running process on this host."""
    if sys.platform == "win32" or not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _abandoned(data: bytes, out: Path, locked: bool | None) -> bool:
    """Whether a staging folder whose lock file holds ``data`` was left by a
    build of ``out`` that is no longer running, given the outcome of taking
    its ``flock`` without waiting (None: no ``flock`` here)."""
    if locked is False:
        return False  # its build is running
    marker = _parse_marker(data, "staging")
    if isinstance(marker, str) or marker.get("out") != str(out):
        return False
    if locked is None:  # without flock, the process that made it must be gone
        return marker.get("host") == socket.gethostname() and _process_gone(marker.get("pid"))
    return True


def _claim_abandoned(folder: Path, out: Path) -> int | None:
    """If ``folder`` is provably a staging folder of a build of ``out`` that
    is no longer running, an open descriptor holding its lock (the caller
    closes it); else None."""
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            return None
    except OSError:
        return None
    fd = _open_regular(folder / _STAGING_LOCK, _MARKER_MAX_BYTES)
    if fd is None:
        return None
    claimed = False
    try:
        locked = _flock(fd, wait=False)
        claimed = _abandoned(_read_small(fd, _MARKER_MAX_BYTES), out, locked)
    except OSError:
        pass
    finally:
        if not claimed:
            os.close(fd)
    return fd if claimed else None


def _recover(out: Path, log: Log = _quiet) -> None:
    """Clean up after builds of ``out`` that died: in each abandoned staging
    folder (see :func:`_claim_abandoned`), put a stranded previous output
    back if ``out`` is missing, then remove the folder. The caller holds
    the lock of ``out``'s parent."""
    prefix = f".{out.name}.tmp-"
    try:
        names = sorted(e.name for e in os.scandir(out.parent) if e.name.startswith(prefix))
    except OSError:
        return
    for name in names:
        folder = out.parent / name
        fd = _claim_abandoned(folder, out)
        if fd is None:
            continue
        try:
            previous = folder / _STAGING_PREVIOUS
            if os.path.isdir(previous) and not os.path.islink(previous):
                if not os.path.lexists(out):
                    os.rename(previous, out)
                    log(f"restored {out} from {name}, left by a build that stopped mid-swap")
                elif any(previous.iterdir()) and build_problem(previous) is not None:
                    log(f"left {folder}: it holds a previous output that is not a clean build")
                    continue
            _remove_tree(folder)
            log(f"removed {name}, left by a build that stopped")
        except OSError as e:
            log(f"could not clean up {folder}: {e.strerror}")
        finally:
            os.close(fd)


def _swap(staging: _Staging, out: Path) -> None:
    """Put the staged build at ``out``; the previous output (if any) ends
    up in the staging folder. Keeps the mode of a replaced folder."""
    new = staging.new
    with _no_interrupt():
        if not os.path.lexists(out):
            os.rename(new, out)
            return
        os.chmod(new, stat.S_IMODE(os.stat(out).st_mode))
        if _exchange(new, out):
            return
        os.rename(out, staging.previous)
        try:
            os.rename(new, out)
        except BaseException:
            os.rename(staging.previous, out)
            raise


def _prepare_out(out_dir: Path, crate: Path, log: Log) -> _Out:
    out = _resolve_out(out_dir)
    _check_not_sources(out, crate)
    if out.path.parent.is_dir():
        with _folder_lock(out.path.parent):
            _recover(out.path, log)
            _check_target(out)
    return out


def check_out_dir(out_dir: Path, *, crate: Path | None = None, log: Log = _quiet) -> Path:
    """Check that a build may write ``out_dir`` (the rules are in the module
    docs), after cleaning up what builds of it that died left behind;
    returns the folder that will be replaced (a symbolic link resolved) or
    raises :class:`BuildError` saying how to proceed. :func:`build` checks
    again; this lets a caller refuse before looking for a toolchain."""
    return _prepare_out(out_dir, (crate or _paths.crate_dir()).resolve(), log).path


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
    from dawgwasm import __version__

    crate = (crate or _paths.crate_dir()).resolve()
    out = _prepare_out(Path(out_dir), crate, log)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    tc = toolchain or find_rust_toolchain()
    seconds["toolchain"] = time.perf_counter() - t0

    artifacts: dict[str, Path] = {}
    for variant in WASM_FILES:
        t0 = time.perf_counter()
        artifacts[variant] = build_wasm(tc, crate, variant, log)
        seconds[f"cargo {variant}"] = time.perf_counter() - t0

    staging = _Staging(out.path)
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
            "groups": infos[0]["groups"],
            "rules": infos[0]["rules"],
        }
        t0 = time.perf_counter()
        (new / MANIFEST_NAME).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        render_templates(manifest, _paths.templates_dir(), new)
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
        _write_marker(new, dawgwasm_version=__version__, abi_version=ABI_VERSION)
        log(f"marked it as a dawgwasm build ({MARKER_NAME})")
        with _folder_lock(out.path.parent):
            _check_target(out)  # again: the folder may have changed during the build
            _swap(staging, out.path)
        log(f"swapped the new build into {out.shown}; removing the previous one")
        staging.remove()
    except OSError as e:
        raise BuildError(f"cannot write the build into {out.shown}: {e}") from e
    finally:
        staging.remove()
    log(f"wrote {out.shown}")
    return BuildReport(out.path, manifest, seconds)
