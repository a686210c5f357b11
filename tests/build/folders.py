"""Helpers for the build tests: what a folder holds, byte for byte, and
whether it is a complete build."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

#: The ``dawgwasm`` command of this environment.
DAWGWASM = str(Path(sys.executable).with_name("dawgwasm"))
#: The file that marks a build.
MARKER_NAME = ".dawgwasm-build"


def snapshot(folder: Path) -> dict[str, tuple[int, bytes | str]]:
    """Every entry under ``folder`` (links not followed): its mode and its
    bytes (files), its target (links) or nothing (folders)."""
    state: dict[str, tuple[int, bytes | str]] = {".": (os.lstat(folder).st_mode, "")}
    for path in sorted(folder.rglob("*")):
        st = os.lstat(path)
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            state[rel] = (st.st_mode, os.readlink(path))
        elif path.is_file():
            state[rel] = (st.st_mode, path.read_bytes())
        else:
            state[rel] = (st.st_mode, "")
    return state


def entries(folder: Path) -> list[str]:
    """Names in ``folder``, sorted."""
    return sorted(p.name for p in folder.iterdir())


def assert_complete_build(out: Path) -> None:
    """``out`` is a real folder holding exactly the files its marker lists,
    each with the listed size and SHA-256, and a manifest.json."""
    assert out.is_dir() and not out.is_symlink()
    marker = json.loads((out / MARKER_NAME).read_text())
    assert (marker["tool"], marker["format"], marker["kind"]) == ("dawgwasm", 1, "build")
    found = {
        p.relative_to(out).as_posix(): p
        for p in out.rglob("*")
        if p.name != MARKER_NAME and not p.is_dir()
    }
    assert sorted(found) == sorted(marker["files"])
    for rel, path in found.items():
        assert not path.is_symlink(), rel
        data = path.read_bytes()
        want = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        assert marker["files"][rel] == want, rel
    assert "manifest.json" in found
