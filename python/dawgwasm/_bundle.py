"""The engine bundled inside the package: a whole ``dawgwasm build`` output
in ``dawgwasm/engine/`` that the wheel ships, so an installed dawgwasm
renders with no Rust toolchain and no build folder of its own.

In a source checkout ``python -m dawgwasm._bundle`` (run by
``scripts/bootstrap.sh``) builds it when it is missing, is not exactly what
dawgwasm wrote, or was built from other sources: the SHA-256 of every file
it is made from (the crate's manifest, lock file and sources, the templates,
the static JS and the package's Python) is kept beside it in
``dawgwasm/.engine-sources``, and a build runs only when that changes.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from dawgwasm import _paths
from dawgwasm._build import build
from dawgwasm._dist import build_problem
from dawgwasm._errors import DawgwasmError

__all__ = ["bundled_is_current", "ensure_bundled", "main", "source_files", "sources_digest"]

Log = Callable[[str], None]

_STAMP_NAME = ".engine-sources"


def _quiet(_: str) -> None:
    pass


def source_files() -> list[Path]:
    """Every file the bundled engine is made from, in a fixed order."""
    crate = _paths.crate_dir()
    package = Path(__file__).resolve().parent
    files = [crate / "Cargo.toml", crate / "Cargo.lock"]
    for folder, pattern in (
        (crate / "src", "*"),
        (_paths.templates_dir(), "*"),
        (_paths.static_dir(), "*"),
        (package, "*.py"),
    ):
        files += sorted(
            p for p in folder.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts
        )
    return [p for p in files if p.is_file()]


def sources_digest() -> str:
    """SHA-256 over the path (relative to the source tree) and SHA-256 of
    every file in :func:`source_files`."""
    root = _paths.repo_root()
    h = hashlib.sha256()
    for path in source_files():
        h.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).hexdigest().encode("ascii") + b"\n")
    return h.hexdigest()


def _stamp() -> Path:
    return _paths.bundled_engine_dir().with_name(_STAMP_NAME)


def bundled_is_current(digest: str | None = None) -> bool:
    """Whether the bundled engine is exactly a build dawgwasm wrote, from
    the sources as they are now."""
    engine = _paths.bundled_engine_dir()
    if not engine.is_dir() or build_problem(engine) is not None:
        return False
    try:
        recorded = _stamp().read_text(encoding="utf-8").strip()
    except OSError:
        return False
    return recorded == (digest or sources_digest())


def ensure_bundled(log: Log = _quiet) -> bool:
    """Build the bundled engine unless it is current; True if it was built."""
    if not (_paths.crate_dir() / "Cargo.toml").is_file():
        raise DawgwasmError(
            f"no crate at {_paths.crate_dir()}: the bundled engine is built from a source checkout"
        )
    digest = sources_digest()
    if bundled_is_current(digest):
        return False
    _stamp().unlink(missing_ok=True)
    build(_paths.bundled_engine_dir(), log=log)
    _stamp().write_text(digest + "\n", encoding="utf-8")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Build the bundled engine if it is not current; one line per step on stderr."""
    del argv

    def log(message: str) -> None:
        print(f"  {message}", file=sys.stderr)

    engine = _paths.bundled_engine_dir()
    try:
        if ensure_bundled(log):
            print(f"built the bundled engine in {engine}", file=sys.stderr)
    except DawgwasmError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
