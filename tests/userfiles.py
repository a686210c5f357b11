"""What a user's folder holds, to prove a command changed nothing of it:
every entry's kind, mode, size, link target and content hash (without
following symbolic links or opening devices and FIFOs)."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

Entry = tuple[str, int, int, str]


def tree_state(root: Path) -> dict[str, Entry]:
    """``relative path → (kind, mode, size, content hash or link target)`` of
    everything under ``root`` (``root`` itself included)."""
    out: dict[str, Entry] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in [".", *dirnames, *filenames]:
            path = Path(dirpath) / name
            rel = os.path.relpath(path, root)
            st = path.lstat()
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", mode, 0, os.readlink(path))
            elif stat.S_ISREG(st.st_mode):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                out[rel] = ("file", mode, st.st_size, digest)
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", mode, 0, "")
            else:
                out[rel] = (f"special {stat.S_IFMT(st.st_mode):o}", mode, 0, str(st.st_rdev))
    return out
