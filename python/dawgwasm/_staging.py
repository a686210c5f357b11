"""Where a build goes, and how it gets there without losing anything the
user owns.

- **Only a new folder, an empty one or an unchanged build is replaced.**
  ``--out`` may be a path that does not exist yet, an empty folder (its
  mode is kept), or a dawgwasm build whose marker is valid and in which
  nothing was added or changed since (files may be missing; see
  :mod:`dawgwasm._dist`). Anything else is refused before any work starts,
  and again just before the swap: a folder without a valid marker (however
  much it looks like a build: a PWA ``manifest.json`` is not a marker), a
  build holding a file it did not write or a file changed since, a file, a
  device, a mount point, a write-protected folder, and the crate or
  ``web/`` (a folder inside them, or one holding them). A symbolic link is
  followed: its target obeys the same rules and the link is kept; a
  dangling link is refused.
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
import os
import shutil
import signal
import socket
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dawgwasm import _paths
from dawgwasm._dist import (
    MARKER_MAX_BYTES,
    build_problem,
    inspect_build,
    make_marker,
    open_regular,
    parse_marker,
    read_small,
)
from dawgwasm._errors import BuildError
from dawgwasm._files import describe_kind

if sys.platform != "win32":
    import fcntl

__all__ = [
    "Out",
    "Staging",
    "check_out_dir",
    "check_target",
    "folder_lock",
    "prepare_out",
    "swap",
]

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


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
def folder_lock(folder: Path) -> Iterator[None]:
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


#: Marks a staging folder and holds its lock.
_STAGING_LOCK = ".dawgwasm-staging"
#: In a staging folder: the new output, and (two-rename swap only) the old one.
_STAGING_NEW = "build"
_STAGING_PREVIOUS = "previous"


# --- the output folder ----------------------------------------------------------


@dataclass(frozen=True)
class Out:
    """The folder a build writes: ``path`` resolved (what gets replaced) and
    ``shown`` as the user named it, for messages."""

    path: Path
    shown: str


def _resolve_out(given: Path) -> Out:
    try:
        if given.is_symlink():
            target = given.resolve()
            if not os.path.lexists(target):
                raise BuildError(
                    f"--out {given} is a symbolic link to {target}, which does not exist; "
                    "create that folder or choose another --out"
                )
            return Out(target, f"{given} (a symbolic link to {target})")
        return Out(given.resolve(), str(given))
    except (OSError, RuntimeError) as e:
        raise BuildError(f"--out {given} cannot be resolved ({e}); choose another --out") from e


def _sources(crate: Path) -> list[tuple[str, Path]]:
    return [
        ("the crate", crate),
        ("web/", _paths.repo_root() / "web"),
        ("the templates", _paths.templates_dir()),
        ("the static JS", _paths.static_dir()),
    ]


def _check_not_sources(out: Out, crate: Path) -> None:
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


def check_target(out: Out) -> None:
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
        found = None if empty else inspect_build(out.path)
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


class Staging:
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
            data = make_marker(
                "staging", out=str(self.out), pid=os.getpid(), host=socket.gethostname()
            )
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
    marker = parse_marker(data, "staging")
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
    fd = open_regular(folder / _STAGING_LOCK, MARKER_MAX_BYTES)
    if fd is None:
        return None
    claimed = False
    try:
        locked = _flock(fd, wait=False)
        claimed = _abandoned(read_small(fd, MARKER_MAX_BYTES), out, locked)
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


def swap(staging: Staging, out: Path) -> None:
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


def prepare_out(out_dir: Path, crate: Path, log: Log) -> Out:
    out = _resolve_out(out_dir)
    _check_not_sources(out, crate)
    if out.path.parent.is_dir():
        with folder_lock(out.path.parent):
            _recover(out.path, log)
            check_target(out)
    return out


def check_out_dir(out_dir: Path, *, crate: Path | None = None, log: Log = _quiet) -> Path:
    """Check that a build may write ``out_dir`` (the rules are in the module
    docs), after cleaning up what builds of it that died left behind;
    returns the folder that will be replaced (a symbolic link resolved) or
    raises :class:`BuildError` saying how to proceed. :func:`build` checks
    again; this lets a caller refuse before looking for a toolchain."""
    return prepare_out(out_dir, (crate or _paths.crate_dir()).resolve(), log).path
