"""An output never costs the user anything: it is never the input, never
replaces a device, a FIFO, a folder or a write-protected file, keeps the mode
of the file it replaces, keeps a symbolic link, leaves no hidden file behind
when interrupted, is checked before the work starts, and holds renders of any
length (a WAV over 4 GiB becomes RF64) while memory stays small."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dawgwasm import LimitError, OutputFileError
from dawgwasm._audio import plan_output, writing_audio
from dawgwasm._files import check_output, replacing
from dawgwasm._limits import WAV_BYTES_MAX
from tests.cli.test_cli import run
from tests.userfiles import tree_state

SESSION = {"format": "dawgwasm-session", "version": 1, "tracks": [{}]}


def write_input(folder: Path) -> Path:
    path = folder / "in.wav"
    t = np.arange(4800) / 48000
    sf.write(str(path), (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 48000)
    return path


def write_session(folder: Path) -> Path:
    path = folder / "song.json"
    path.write_text(json.dumps(SESSION), encoding="utf-8")
    return path


def refused(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert needle in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("alias", ["same path", "hard link", "symbolic link", "dotted path"])
def test_an_output_that_is_the_input_is_refused(
    built_dist: Path, tmp_path: Path, alias: str
) -> None:
    inp = write_input(tmp_path)
    out = {
        "same path": inp,
        "hard link": tmp_path / "link.wav",
        "symbolic link": tmp_path / "sym.wav",
        "dotted path": tmp_path / "." / "in.wav",
    }[alias]
    if alias == "hard link":
        os.link(inp, out)
    elif alias == "symbolic link":
        out.symlink_to(inp)
    before = tree_state(tmp_path)
    proc = run("render", str(inp), str(out), "--dist", str(built_dist))
    refused(proc, "is the input")
    assert tree_state(tmp_path) == before


def test_a_session_render_never_writes_over_its_session_or_samples(
    built_dist: Path, tmp_path: Path
) -> None:
    session = write_session(tmp_path)
    sample = tmp_path / "hit.wav"
    sf.write(str(sample), np.full(480, 0.5, np.float32), 48000)
    doc = {
        **SESSION,
        "samples": {"hit": {"file": "hit.wav"}},
        "tracks": [{"source": {"type": "sampler", "sample": "hit"}}],
    }
    session.write_text(json.dumps(doc), encoding="utf-8")
    before = tree_state(tmp_path)
    for out in (session, sample):
        proc = run("render", str(session), str(out), "--dist", str(built_dist))
        refused(proc, "is the input")
    assert tree_state(tmp_path) == before


def make_special(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.wav"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "character device":  # a copy of /dev/null's node
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    elif kind == "folder":
        path.mkdir()
    return path


@pytest.mark.parametrize("kind", ["fifo", "character device"])
def test_a_device_or_fifo_output_is_refused_never_replaced(
    built_dist: Path, tmp_path: Path, kind: str
) -> None:
    inp = write_input(tmp_path)
    out = make_special(tmp_path, kind)
    before = tree_state(tmp_path)
    for args in (
        ("render", str(inp), str(out)),
        ("render", str(write_session(tmp_path)), str(out)),
        ("demo", "--out", str(out)),
    ):
        before = tree_state(tmp_path)
        proc = run(*args, "--dist", str(built_dist))
        refused(proc, "not a regular file")
        assert tree_state(tmp_path) == before


def test_a_write_protected_output_is_refused_even_for_root(
    built_dist: Path, tmp_path: Path
) -> None:
    inp = write_input(tmp_path)
    out = tmp_path / "keep.wav"
    out.write_bytes(b"precious")
    out.chmod(0o444)
    before = tree_state(tmp_path)
    proc = run("render", str(inp), str(out), "--dist", str(built_dist))
    refused(proc, "write-protected")
    assert tree_state(tmp_path) == before


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o600])
def test_a_replaced_output_keeps_its_mode(built_dist: Path, tmp_path: Path, mode: int) -> None:
    inp = write_input(tmp_path)
    out = tmp_path / "out.wav"
    out.write_bytes(b"old")
    out.chmod(mode)
    proc = run("render", str(inp), str(out), "--dist", str(built_dist))
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(out.stat().st_mode) == mode
    assert sf.info(str(out)).frames == 4800


def test_a_new_output_gets_the_mode_the_umask_gives(built_dist: Path, tmp_path: Path) -> None:
    inp = write_input(tmp_path)
    out = tmp_path / "new.wav"
    code = (
        "import os, sys; os.umask(0o027); from dawgwasm.cli import main; "
        f"main(['render', {str(inp)!r}, {str(out)!r}, '--dist', {str(built_dist)!r}])"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def test_a_symlinked_output_replaces_its_target_and_keeps_the_link(
    built_dist: Path, tmp_path: Path
) -> None:
    inp = write_input(tmp_path)
    (tmp_path / "renders").mkdir()
    target = tmp_path / "renders" / "take1.wav"
    target.write_bytes(b"old take")
    link = tmp_path / "latest.wav"
    link.symlink_to(target)
    proc = run("render", str(inp), str(link), "--dist", str(built_dist))
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert sf.info(str(target)).frames == 4800


def test_a_dangling_symlink_output_is_refused(built_dist: Path, tmp_path: Path) -> None:
    inp = write_input(tmp_path)
    link = tmp_path / "out.wav"
    link.symlink_to(tmp_path / "elsewhere" / "missing.wav")
    before = tree_state(tmp_path)
    refused(run("render", str(inp), str(link), "--dist", str(built_dist)), "does not exist")
    assert tree_state(tmp_path) == before


def test_ctrl_c_inside_a_write_leaves_the_old_output_and_no_hidden_file(tmp_path: Path) -> None:
    out = tmp_path / "out.wav"
    out.write_bytes(b"the old render")
    before = tree_state(tmp_path)
    plan = plan_output(out, 48000, 48000, "FLOAT")

    def audio_interrupted() -> None:
        with writing_audio(plan, 48000) as w:
            w.write(np.zeros((2, 4800), np.float32))
            raise KeyboardInterrupt

    def json_interrupted() -> None:
        with replacing(tmp_path / "notes.json") as tmp:
            tmp.write_text("{}")
            raise KeyboardInterrupt

    for interrupted in (audio_interrupted, json_interrupted):
        with pytest.raises(KeyboardInterrupt):
            interrupted()
        assert tree_state(tmp_path) == before


def test_sigint_during_a_render_leaves_the_old_output_and_no_hidden_file(
    built_dist: Path, tmp_path: Path
) -> None:
    """A real Ctrl-C to a real render, while its hidden file is being written."""
    session = write_session(tmp_path)
    out = tmp_path / "out.wav"
    out.write_bytes(b"the old render")
    before = {k: v for k, v in tree_state(tmp_path).items() if k != "."}
    child = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("dawgwasm")),
            "render",
            str(session),
            str(out),
            "--seconds",
            "3600",
            "--dist",
            str(built_dist),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as a terminal delivers it, even when this test run was
        # started in the background (SIGINT ignored, and inherited).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(".out.wav.*")):
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the render never started writing"
            time.sleep(0.01)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert {k: v for k, v in tree_state(tmp_path).items() if k != "."} == before


def test_outputs_are_checked_before_anything_else(tmp_path: Path) -> None:
    """`demo` and `render` look at their outputs first: a bad output is
    reported even when the build folder is missing, so no render can run
    for minutes and then fail to write."""
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "demo.wav"
    no_build = tmp_path / "no-build"
    refused(run("demo", "--out", str(out), "--dist", str(no_build)), "is not a folder")
    session = write_session(tmp_path)
    refused(run("render", str(session), str(out), "--dist", str(no_build)), "is not a folder")
    blocker = tmp_path / "demo.json"
    os.mkfifo(blocker)
    refused(
        run("demo", "--out", str(tmp_path / "demo.wav"), "--dist", str(no_build)),
        "not a regular file",
    )


def test_check_output_rules(tmp_path: Path) -> None:
    free = tmp_path / "new" / "deeper" / "out.wav"
    assert check_output(free) == free
    inp = tmp_path / "in.wav"
    inp.write_bytes(b"x")
    with pytest.raises(OutputFileError, match="is the input"):
        check_output(inp, [inp])
    with pytest.raises(OutputFileError, match="a folder, not a regular file"):
        check_output(tmp_path)
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputFileError, match="is not a folder"):
        check_output(tmp_path / "f" / "out.wav")


def test_a_wav_over_4_gib_is_written_as_rf64_in_bounded_memory(
    built_dist: Path, tmp_path: Path
) -> None:
    """A real render of 4.3 GB: the size fields of a plain WAV would
    saturate, so it is written as RF64 and reads back whole; the render
    streams, so the process stays far below the size of its output."""
    session = write_session(tmp_path)
    out = tmp_path / "long.wav"
    code = (
        "import resource, sys\n"
        "from dawgwasm.cli import main\n"
        "try:\n"
        f"    main(['render', {str(session)!r}, {str(out)!r}, '--seconds', '1400', "
        f"'--sample-rate', '192000', '--subtype', 'DOUBLE', '--dist', {str(built_dist)!r}])\n"
        "finally:\n"
        "    print('maxrss_kib', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=900
        )
        assert proc.returncode == 0, proc.stderr
        assert "written as RF64" in proc.stderr or "writing it as RF64" in proc.stderr
        info = sf.info(str(out))
        assert info.format == "RF64"
        assert info.frames == 1400 * 192000
        assert out.stat().st_size > WAV_BYTES_MAX
        maxrss_kib = int(proc.stdout.split("maxrss_kib")[1])
        assert maxrss_kib < 512 * 1024, f"{maxrss_kib} KiB for a 4.3 GB render"
    finally:
        out.unlink(missing_ok=True)


def test_formats_with_32_bit_sizes_are_refused_beyond_them(tmp_path: Path) -> None:
    frames = WAV_BYTES_MAX // 8 + 1
    assert plan_output(tmp_path / "x.wav", frames, 48000, "FLOAT").format == "RF64"
    assert plan_output(tmp_path / "x.w64", frames, 48000, "FLOAT").format == "W64"
    with pytest.raises(LimitError, match="AIFF files hold at most 4 GiB"):
        plan_output(tmp_path / "x.aiff", frames, 48000, "FLOAT")
    with pytest.raises(LimitError, match="its disk has"):
        plan_output(tmp_path / "x.wav", 10**15, 48000, "FLOAT")
    with pytest.raises(Exception, match="FLAC files cannot hold FLOAT"):
        plan_output(tmp_path / "x.flac", 10, 48000, "FLOAT")


def test_a_ctrl_c_swallowed_by_a_finaliser_still_stops_the_command(tmp_path: Path) -> None:
    """Python prints a KeyboardInterrupt raised inside ``__del__`` and carries
    on; the CLI's hook notes it, and the next engine call raises it again."""
    code = (
        "import sys\n"
        "from dawgwasm import Engine\n"
        "from dawgwasm.cli import _unraisable\n"
        "previous = sys.unraisablehook\n"
        "sys.unraisablehook = lambda a: _unraisable(previous, a)\n"
        "class Finalised:\n"
        "    def __del__(self):\n"
        "        raise KeyboardInterrupt\n"
        "Finalised()\n"
        "print('carried on')\n"
        "try:\n"
        "    Engine.from_dist(None, 'simd')\n"
        "except KeyboardInterrupt:\n"
        "    print('raised again')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["carried", "on", "raised", "again"]
    assert "Exception ignored" not in proc.stderr
