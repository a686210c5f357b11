"""Builds that overlap, die or are interrupted never lose an output: each
build stages in its own locked folder, leftovers are removed only when they
are provably dawgwasm's and abandoned, and Ctrl-C at any step leaves the
previous output or the complete new one, with no staging folder behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import dawgwasm
from tests.build.folders import DAWGWASM, assert_complete_build, entries, snapshot

#: A build process, as it looks on disk: a staging folder of argv[1] made
#: next to it with mkdtemp, marked by `.dawgwasm-staging` (JSON naming the
#: output, the process and the host) which the process holds flock-ed, and
#: a half-written build in it. With argv[2] == "mid-swap" it also moves the
#: current output into the folder, as the two-rename swap does first. It
#: prints the folder and dies without cleaning up when its stdin closes.
STAGING_CHILD = """
import fcntl, json, os, socket, sys, tempfile
from pathlib import Path

out = Path(sys.argv[1])
path = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
fd = os.open(path / ".dawgwasm-staging", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
marker = {"tool": "dawgwasm", "format": 1, "kind": "staging", "out": str(out),
          "pid": os.getpid(), "host": socket.gethostname()}
os.write(fd, json.dumps(marker).encode())
(path / "build").mkdir()
(path / "build" / "dawg-engine.js").write_text("// half written")
if sys.argv[2] == "mid-swap":
    os.rename(out, path / "previous")
print(path, flush=True)
sys.stdin.read()
os._exit(0)
"""


class StagingChild:
    """A real process holding a staging folder of ``out`` until it dies."""

    def __init__(self, out: Path, mode: str = "staging") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", STAGING_CHILD, str(out), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.path = Path(self.proc.stdout.readline().strip())
        assert self.path.name.startswith(f".{out.name}.tmp-"), self.path

    def die(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        assert self.proc.wait(timeout=60) == 0


def test_a_dead_builds_staging_folder_is_removed_but_a_live_ones_is_not(
    built_dist: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dist"
    shutil.copytree(built_dist, out)
    dead = StagingChild(out)
    dead.die()
    live = StagingChild(out)
    try:
        dawgwasm.build(out)
        assert (live.path / "build" / "dawg-engine.js").read_text() == "// half written"
        assert entries(tmp_path) == sorted(["dist", live.path.name])
        assert_complete_build(out)
    finally:
        live.die()
    from dawgwasm._staging import _recover

    _recover(out)
    assert entries(tmp_path) == ["dist"]


def test_a_build_that_died_mid_swap_is_recovered(built_dist: Path, tmp_path: Path) -> None:
    """Where the swap takes two renames, a build that died between them
    left ``--out`` missing and the previous output in its staging folder:
    the next build puts it back, exactly as it was, before anything else."""
    out = tmp_path / "dist"
    shutil.copytree(built_dist, out)
    before = snapshot(out)
    inode = out.stat().st_ino
    StagingChild(out, "mid-swap").die()
    assert not out.exists()
    from dawgwasm._staging import _recover

    _recover(out)
    assert out.stat().st_ino == inode
    assert snapshot(out) == before
    assert entries(tmp_path) == ["dist"]


def test_folders_named_like_staging_or_backups_that_are_not_dawgwasms_are_never_deleted(
    tmp_path: Path,
) -> None:
    """Only a real folder whose lock file is a valid dawgwasm staging
    marker for this ``--out``, held by no one, is ever removed: not a
    folder without one, not one with a marker for another output, a broken
    one, a linked one or a FIFO, not a symbolic link, not an old-style
    ``.dist.old-*`` backup, and nothing a link points to."""
    out = tmp_path / "dist"
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "thesis.tex").write_text("years of work")
    valid = {
        "tool": "dawgwasm",
        "format": 1,
        "kind": "staging",
        "out": str(out),
        "pid": 2**22 + 12345,  # above Linux's pid_max: no such process
        "host": socket.gethostname(),
    }
    lookalikes: dict[str, object] = {
        ".dist.tmp-4242": None,
        ".dist.tmp-notjson": "{not json",
        ".dist.tmp-other": {**valid, "out": str(tmp_path / "other")},
        ".dist.tmp-tool": {**valid, "tool": "not-dawgwasm"},
        ".dist.tmp-lockdir": "dir",
        ".dist.tmp-locklink": "link",
        ".dist.tmp-fifo": "fifo",
        ".dist.old-4242": None,
    }
    for name, lock in lookalikes.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "notes.txt").write_text(f"mine: {name}")
        path = folder / ".dawgwasm-staging"
        if isinstance(lock, dict):
            path.write_text(json.dumps(lock))
        elif lock == "dir":
            path.mkdir()
        elif lock == "link":
            (victim / "lock").write_text(json.dumps(valid))
            path.symlink_to(victim / "lock")
        elif lock == "fifo":
            os.mkfifo(path)
        elif isinstance(lock, str):
            path.write_text(lock)
    (tmp_path / ".dist.tmp-link").symlink_to(victim)
    (tmp_path / ".dist.tmp-file").write_text("a file")
    before = snapshot(tmp_path)
    dawgwasm.build(out)
    assert_complete_build(out)
    after = snapshot(tmp_path)
    assert {k: v for k, v in after.items() if k != "dist" and not k.startswith("dist/")} == before


def test_without_flock_a_staging_folder_is_abandoned_only_when_its_process_is_gone(
    tmp_path: Path,
) -> None:
    """Where ``flock`` does not work, a staging folder counts as abandoned
    only if it was made on this host by a process that no longer exists."""
    from dawgwasm._staging import _abandoned

    out = tmp_path / "dist"
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(gone.stdout)

    def lock(**fields: object) -> bytes:
        marker = {
            "tool": "dawgwasm",
            "format": 1,
            "kind": "staging",
            "out": str(out),
            "pid": dead_pid,
            "host": socket.gethostname(),
        }
        return json.dumps({**marker, **fields}).encode()

    assert _abandoned(lock(), out, None)
    assert not _abandoned(lock(pid=os.getpid()), out, None)
    assert not _abandoned(lock(host="another-host"), out, None)
    assert not _abandoned(lock(pid="1"), out, None)
    # With flock, the lock decides: held means running, whatever the pid.
    assert not _abandoned(lock(), out, False)
    assert _abandoned(lock(pid=os.getpid()), out, True)
    assert not _abandoned(lock(out=str(tmp_path / "other")), out, True)


def test_a_build_started_while_another_is_staging_leaves_it_alone_and_both_succeed(
    built_dist: Path, tmp_path: Path
) -> None:
    """A second real build process runs from start to end while this
    build's staging folder exists (started from the log hook): it must not
    touch that folder, and both builds succeed, the last swap winning."""
    out = tmp_path / "dist"
    shutil.copytree(built_dist, out)
    other: list[subprocess.CompletedProcess[str]] = []

    def start_other(step: str) -> None:
        if step.startswith("checked both variants") and not other:
            assert any(name.startswith(".dist.tmp-") for name in entries(tmp_path))
            other.append(
                subprocess.run(
                    [DAWGWASM, "build", "--out", str(out)],
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
            )

    dawgwasm.build(out, log=start_other)
    assert other[0].returncode == 0, other[0].stderr
    assert_complete_build(out)
    assert entries(tmp_path) == ["dist"]


def test_two_build_processes_at_once_both_succeed_and_leave_a_valid_build(
    built_dist: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dist"
    shutil.copytree(built_dist, out)
    procs = [
        subprocess.Popen(
            [DAWGWASM, "build", "--out", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for proc in procs:
        _, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr
    assert_complete_build(out)
    assert entries(tmp_path) == ["dist"]


def test_ctrl_c_at_every_logged_step_leaves_the_previous_output_or_the_complete_new_one(
    built_dist: Path, tmp_path: Path
) -> None:
    """KeyboardInterrupt raised from the ``log`` hook at each step in turn:
    before the swap the previous output is untouched (same folder, same
    bytes), after it the new build is complete; never a staging folder."""
    out = tmp_path / "dist"
    shutil.copytree(built_dist, out)
    steps: list[str] = []
    dawgwasm.build(out, log=steps.append)
    assert steps[0].startswith("cargo build")

    outcomes = []
    for at in range(len(steps)):
        inode = out.stat().st_ino
        before = snapshot(out)
        calls = 0

        def interrupt(step: str, at: int = at) -> None:
            nonlocal calls
            calls += 1
            if calls == at + 1:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            dawgwasm.build(out, log=interrupt)
        assert entries(tmp_path) == ["dist"], steps[at]
        if out.stat().st_ino == inode:
            assert snapshot(out) == before, steps[at]
            outcomes.append("previous")
        else:
            assert_complete_build(out)
            outcomes.append("new")
    # The swap is one moment: every step before it leaves the previous
    # output, every step after it the new one.
    assert outcomes[0] == "previous" and outcomes[-1] == "new"
    assert outcomes == sorted(outcomes, key=["previous", "new"].index), list(
        zip(steps, outcomes, strict=True)
    )


def test_sigint_to_a_build_process_leaves_the_previous_output_or_the_complete_new_one(
    built_dist: Path, tmp_path: Path
) -> None:
    """A real Ctrl-C (SIGINT) sent to `dawgwasm build` as soon as its
    staging folder appears: exit 130 with the previous output intact, or
    (if the swap was already done) the complete new build; no staging
    folder, no traceback."""
    out = tmp_path / "dist"
    shutil.copytree(built_dist, out)
    inode = out.stat().st_ino
    before = snapshot(out)
    proc = subprocess.Popen(
        [DAWGWASM, "build", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while proc.poll() is None and not any(n.startswith(".dist.tmp-") for n in entries(tmp_path)):
        time.sleep(0.002)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=600)
    assert "Traceback" not in stderr
    assert entries(tmp_path) == ["dist"]
    if out.stat().st_ino == inode:
        assert snapshot(out) == before
        assert proc.returncode == 130, stderr
        assert stderr.strip().endswith("interrupted")
    else:
        assert proc.returncode in (0, 130), stderr
        assert_complete_build(out)
