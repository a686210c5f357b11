"""Files the user names: read only what is a regular file of bounded size,
and replace an output only when nothing is lost.

Outputs follow four rules, checked before any work starts
(:func:`check_output`) and again just before the new file takes the old
one's place:

- an output is never one of the command's inputs (same file, by device and
  inode, whatever path names it);
- an existing output must be a regular file (a device, a FIFO, a socket or a
  folder is refused, never replaced) that the user may write and that is
  not write-protected (no write bit at all: refused even for root);
- the new content goes to a fresh hidden file next to the output (created
  exclusively, so nothing of the user's is overwritten) and is renamed over
  the output only once complete; a replaced file keeps its mode, and a new
  one gets the mode the umask gives; a symbolic link is kept and its target
  replaced;
- on any failure or interruption (Ctrl-C included) the hidden file is
  removed and the old output is left exactly as it was.

Inputs are opened only if they are regular files (a FIFO would block
forever, a device stream until memory runs out), and their size is checked
against a stated limit before they are read.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from dawgwasm._errors import OutputFileError

__all__ = [
    "Fail",
    "check_input_file",
    "check_output",
    "describe_kind",
    "open_input",
    "replacing",
]


def describe_kind(mode: int) -> str:
    """What a file of ``st_mode`` is, in words (``a file``, ``a folder``,
    ``a FIFO (named pipe)``, …)."""
    for test, words in (
        (stat.S_ISREG, "a file"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return words
    return "not a file"


def _reason(e: OSError) -> str:
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if e.errno == errno.ENOENT:
        return "not found"
    if e.errno == errno.ENOTDIR:
        return "a part of the path is not a folder"
    if e.errno == errno.ELOOP:
        return "too many levels of symbolic links"
    if e.errno == errno.ENAMETOOLONG:
        return "the name is too long"
    return e.strerror or str(e)


Fail = Callable[[str], Exception]


def check_input_file(path: Path, what: str, max_bytes: int, fail: Fail) -> os.stat_result:
    """Check that ``path`` is a readable regular file of at most
    ``max_bytes`` bytes; otherwise raise ``fail(message)``, where the
    message names ``what`` (``"the session"``, ``"the input"``) and says
    what is wrong: missing, a folder, a device or FIFO, too large,
    unreadable."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise fail(f"{what} {path} not found") from None
    except OSError as e:
        raise fail(f"{what} {path}: {_reason(e)}") from None
    if not stat.S_ISREG(st.st_mode):
        raise fail(f"{what} {path} is {describe_kind(st.st_mode)}, not a regular file")
    if st.st_size > max_bytes:
        raise fail(f"{what} {path} is {st.st_size} bytes; at most {max_bytes} bytes are read")
    if not os.access(path, os.R_OK):
        raise fail(f"{what} {path}: permission denied")
    return st


@contextlib.contextmanager
def open_input(path: Path, what: str, max_bytes: int, fail: Fail) -> Iterator[BinaryIO]:
    """Open a regular file of at most ``max_bytes`` for reading (see
    :func:`check_input_file`), without ever blocking on a FIFO or streaming
    a device: the file is opened non-blocking and checked again once open,
    in case it was swapped in between."""
    check_input_file(path, what, max_bytes, fail)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        raise fail(f"{what} {path}: {_reason(e)}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
            raise fail(f"{what} {path} changed while being opened; try again")
        os.set_blocking(fd, True)
        f = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with f:
        yield f


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def check_output(path: Path, inputs: Iterable[Path] = ()) -> Path:
    """The file to write for output ``path``, checked against the rules of
    this module; raises :class:`OutputFileError` saying what is wrong and
    what to do. A symbolic link resolves to its target (which is what gets
    replaced); missing parent folders are allowed (they will be created)."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise OutputFileError(f"cannot write {path}: {_reason(e)}") from None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise OutputFileError(
                f"will not write {path}: it is {describe_kind(st.st_mode)}, not a regular "
                "file; name a file to create or replace"
            )
        ident = (st.st_dev, st.st_ino)
        for inp in inputs:
            if _identity(inp) == ident:
                raise OutputFileError(
                    f"will not write {path}: it is the input {inp}; name a different output"
                )
        if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(
            target, os.W_OK
        ):
            raise OutputFileError(
                f"will not replace {path}: it is write-protected; make it writable "
                "(chmod u+w) or name another output"
            )
    elif path.is_symlink():
        raise OutputFileError(
            f"will not write {path}: it is a symbolic link to {target}, which does not "
            "exist; name the file itself"
        )
    parent = target.parent
    existing = parent
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise OutputFileError(f"cannot write {path}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputFileError(
            f"cannot write {path}: the folder {existing} is not writable; name an output "
            "in a folder you can write"
        )
    return target


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def replacing(path: Path, inputs: Iterable[Path] = ()) -> Iterator[Path]:
    """Write an output safely: yields a fresh hidden file next to ``path``
    to write; when the block ends without an exception it replaces ``path``
    (keeping the old file's mode); on any exception, Ctrl-C included, the
    hidden file is removed and ``path`` is left as it was."""
    inputs = list(inputs)
    target = check_output(path, inputs)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".dawgwasm-partial", dir=target.parent
        )
    except OSError as e:
        raise OutputFileError(f"cannot write {path}: {_reason(e)}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # The output may have changed while the work ran: check it again.
        target = check_output(path, inputs)
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
