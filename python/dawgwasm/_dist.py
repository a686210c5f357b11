"""A folder ``dawgwasm build`` wrote, as the rest of dawgwasm reads it: its
marker, the check that it is exactly what dawgwasm wrote, the wasm file of
each variant, and the engine bundled inside the package.

- **Every build is marked.** Its folder holds ``.dawgwasm-build``: JSON
  ``{"tool": "dawgwasm", "format": 1, "kind": "build", ...}`` listing every
  file the build wrote with its size and SHA-256. A ``manifest.json`` alone
  (a PWA has one too) marks nothing.
- **A build is what dawgwasm wrote, nothing more.** :func:`build_problem`
  accepts a folder only if its marker is valid and every file in it is one
  the marker lists, with the listed size and SHA-256 (listed files may be
  missing). A build from before markers is recognised by its
  ``manifest.json`` naming the dawgwasm processor and both wasm files'
  hashes, with nothing else in it. Files are opened only if they are
  regular files (never through a link, never a FIFO or device).
- **The bundled engine** is a whole build in ``dawgwasm/engine/``, shipped
  in the wheel (``scripts/bootstrap.sh`` builds it in a source checkout).
  It is what :func:`engine_dir` gives when no build folder is named.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from dawgwasm import _paths
from dawgwasm._errors import WasmNotFoundError
from dawgwasm._files import describe_kind

__all__ = [
    "JS_ENTRY",
    "MANIFEST_NAME",
    "MARKER_FORMAT",
    "MARKER_MAX_BYTES",
    "MARKER_NAME",
    "PROCESSOR_NAME",
    "REFERENCE_SESSION_NAME",
    "SAMPLES_DIR",
    "WASM_FILES",
    "build_problem",
    "engine_dir",
    "file_digest",
    "inspect_build",
    "js_dir",
    "make_marker",
    "marker_problem",
    "open_regular",
    "parse_marker",
    "read_small",
    "wasm_path",
    "write_marker",
]

MANIFEST_NAME = "manifest.json"
#: The file that marks a folder as a build dawgwasm wrote (see the module docs).
MARKER_NAME = ".dawgwasm-build"
#: Version of the marker's JSON format; a marker of another format is not valid.
MARKER_FORMAT = 1
#: Largest marker (or lock file, or unmarked manifest) dawgwasm reads.
MARKER_MAX_BYTES = 1 << 20
PROCESSOR_NAME = "dawgwasm-mixer"
WASM_FILES = {"simd": "dawg_dsp.simd.wasm", "scalar": "dawg_dsp.scalar.wasm"}
#: The module of a build that holds the JavaScript engine's ABI (``createJsExports``).
JS_ENTRY = "dawg-js-abi.js"
SAMPLES_DIR = "samples"
REFERENCE_SESSION_NAME = "reference-session.json"


def marker_problem(folder: Path) -> str | None:
    """Why ``folder`` carries no valid build marker (``.dawgwasm-build``),
    or None if it does. Unlike :func:`build_problem` this does not check
    the files, so a build someone added files to still counts as one."""
    found = _read_marker(folder, "build")
    return found if isinstance(found, str) else None


def engine_dir(dist: Path | None) -> Path:
    """The build folder to load: ``dist`` when one is named, else the engine
    bundled inside the package, which must carry a valid marker (if it does
    not, the error says what to run)."""
    if dist is not None:
        return dist
    bundled = _paths.bundled_engine_dir()
    problem = marker_problem(bundled)
    if problem is None:
        return bundled
    if (_paths.repo_root() / "scripts" / "bootstrap.sh").is_file():
        build_it = (
            f"run {_paths.repo_root() / 'scripts' / 'bootstrap.sh'} (it builds the bundled "
            f"engine), or `dawgwasm build --out {bundled}`"
        )
    else:
        build_it = "reinstall dawgwasm from its wheel, which holds the engine"
    raise WasmNotFoundError(
        f"this dawgwasm has no bundled engine ({bundled}: {problem}); {build_it}; "
        "or name a build folder with --dist DIR (Python: Engine.from_dist(DIR))"
    )


def wasm_path(dist: Path | None, variant: str) -> Path:
    """The wasm file of ``variant`` in a build folder (one with a valid
    marker; None: the bundled engine), checked to exist."""
    if variant not in WASM_FILES:
        raise ValueError(f"variant must be one of {sorted(WASM_FILES)}, not {variant!r}")
    dist = engine_dir(dist)
    problem = marker_problem(dist)
    if problem is not None:
        raise WasmNotFoundError(
            f"{dist} holds no dawgwasm build ({problem}); run `dawgwasm build --out {dist}`"
        )
    path = dist / WASM_FILES[variant]
    if not path.is_file():
        raise WasmNotFoundError(f"{path} not found; run `dawgwasm build --out {dist}`")
    return path


def js_dir(dist: Path | None) -> Path:
    """A build folder (one with a valid marker; None: the bundled engine)
    checked to hold the JavaScript engine (:data:`JS_ENTRY`)."""
    dist = engine_dir(dist)
    problem = marker_problem(dist)
    if problem is not None:
        raise WasmNotFoundError(
            f"{dist} holds no dawgwasm build ({problem}); run `dawgwasm build --out {dist}`"
        )
    if not (dist / JS_ENTRY).is_file():
        raise WasmNotFoundError(
            f"{dist / JS_ENTRY} not found: the build predates the JavaScript engine; "
            f"run `dawgwasm build --out {dist}`"
        )
    return dist


def make_marker(kind: str, **fields: Any) -> bytes:
    doc = {"tool": "dawgwasm", "format": MARKER_FORMAT, "kind": kind, **fields}
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def parse_marker(data: bytes, kind: str) -> dict[str, Any] | str:
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


def read_small(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def open_regular(path: Path, max_bytes: int) -> int | None:
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
    fd = open_regular(path, MARKER_MAX_BYTES)
    if fd is None:
        return f"{MARKER_NAME} is not a readable regular file of at most {MARKER_MAX_BYTES} bytes"
    try:
        data = read_small(fd, MARKER_MAX_BYTES)
    except OSError as e:
        return f"{MARKER_NAME} cannot be read ({e.strerror})"
    finally:
        os.close(fd)
    doc = parse_marker(data, kind)
    if isinstance(doc, str):
        return f"{MARKER_NAME} is not valid: {doc}"
    return doc


def file_digest(path: Path) -> tuple[int, str]:
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
            size, digest = file_digest(path)
            files[rel] = {"bytes": size, "sha256": digest}
    return files


def write_marker(folder: Path, **fields: Any) -> None:
    data = make_marker("build", **fields, files=_build_files(folder))
    (folder / MARKER_NAME).write_bytes(data)


_UNMARKED_NAMES = re.compile(r"dawg-[a-z-]+\.js|dawg-engine\.d\.ts|reference-session\.json")


def _is_unmarked_build(folder: Path) -> bool:
    """Whether ``folder`` is, beyond doubt, a build of a dawgwasm from before
    builds were marked: a ``manifest.json`` naming the dawgwasm processor
    and both wasm files with their SHA-256, which the files match, and
    nothing else but the glue, the reference session and ``samples/``
    (``index.json`` and ``*.f32``), all regular files."""
    fd = open_regular(folder / MANIFEST_NAME, MARKER_MAX_BYTES)
    if fd is None:
        return False
    try:
        manifest = json.loads(read_small(fd, MARKER_MAX_BYTES))
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
        if path.is_symlink() or file_digest(path) != (meta.get("bytes"), meta.get("sha256")):
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


def inspect_build(folder: Path) -> tuple[bool, str] | None:
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
                if st.st_size != listed.get("bytes") or file_digest(path) != (
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
        found = inspect_build(folder)
    except OSError as e:
        return f"it cannot be read ({e.strerror}: {e.filename})"
    return None if found is None else found[1]
