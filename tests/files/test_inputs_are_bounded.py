"""Reading an input never hangs and never grows without bound: a FIFO or a
device is refused before it is opened for reading, a folder is called a
folder, a file larger than its stated limit is refused before it is read,
and audio that decodes to more frames than allowed stops at the limit."""

from __future__ import annotations

import json
import os
import resource
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dawgwasm import AudioFileError, SessionError
from dawgwasm._audio import open_audio, read_stereo
from dawgwasm._files import open_input
from dawgwasm._limits import SAMPLE_FRAMES_MAX, SESSION_FILE_BYTES_MAX
from dawgwasm._session import load_session

DAWGWASM = str(Path(sys.executable).with_name("dawgwasm"))
MEMORY_CAP_BYTES = 2 * 1024**3


def _cap_memory() -> None:
    # A defect that reads a device whole would otherwise take the machine's
    # memory: cap the child's heap so it fails instead.
    resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))


def run_capped(*args: str) -> subprocess.CompletedProcess[str]:
    """Run dawgwasm with its heap capped and a timeout that turns a hang into a failure."""
    return subprocess.run(
        [DAWGWASM, *args],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_cap_memory,
    )


def special(tmp_path: Path, kind: str, name: str) -> Path:
    path = tmp_path / name
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "zero device":  # a copy of /dev/zero's node: endless bytes
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 5))
    elif kind == "folder":
        path.mkdir()
    return path


def one_line(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    """Exit 1 with one line; or, for what the command line itself refuses
    (a folder where a file is named), exit 2 with click's usage message."""
    assert needle in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    if proc.returncode == 2:
        return
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("kind", "needle"),
    [
        ("fifo", "is a FIFO (named pipe), not a regular file"),
        ("zero device", "is a character device, not a regular file"),
        ("folder", "is a directory"),
    ],
)
def test_a_session_that_is_not_a_regular_file_is_refused_without_reading(
    built_dist: Path, tmp_path: Path, kind: str, needle: str
) -> None:
    path = special(tmp_path, kind, "song.json")
    one_line(run_capped("session", str(path), "--dist", str(built_dist)), needle)
    out = tmp_path / "out.wav"
    one_line(run_capped("render", str(path), str(out), "--dist", str(built_dist)), needle)
    assert not out.exists()


@pytest.mark.parametrize(
    ("kind", "needle"),
    [
        ("fifo", "is a FIFO (named pipe), not a regular file"),
        ("zero device", "is a character device, not a regular file"),
    ],
)
def test_an_audio_input_that_is_not_a_regular_file_is_refused(
    built_dist: Path, tmp_path: Path, kind: str, needle: str
) -> None:
    path = special(tmp_path, kind, "in.wav")
    out = tmp_path / "out.wav"
    one_line(run_capped("render", str(path), str(out), "--dist", str(built_dist)), needle)


def test_a_missing_input_is_not_found_and_a_folder_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match="not found"):
        read_stereo(tmp_path / "nope.wav", frames_max=10)
    with pytest.raises(AudioFileError, match="is a folder"):
        read_stereo(tmp_path, frames_max=10)


def test_a_session_larger_than_its_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as f:  # sparse: no bytes are written
        f.truncate(SESSION_FILE_BYTES_MAX + 1)
    with pytest.raises(SessionError, match=f"at most {SESSION_FILE_BYTES_MAX} bytes"):
        load_session(path)


def test_open_input_never_blocks_on_a_fifo(tmp_path: Path) -> None:
    fifo = special(tmp_path, "fifo", "pipe")

    def fail(message: str) -> Exception:
        return ValueError(message)

    with pytest.raises(ValueError, match="FIFO"), open_input(fifo, "the pipe", 10, fail):
        pass


def test_audio_that_decodes_past_its_limit_stops_there(tmp_path: Path) -> None:
    """A small FLAC of silence decodes to more frames than a sample may have:
    refused from its header before decoding, and the block reader stops at
    the limit too."""
    path = tmp_path / "bomb.flac"
    with sf.SoundFile(str(path), "w", 8000, 1, "PCM_16", format="FLAC") as f:
        block = np.zeros(1 << 20, np.int16)
        for _ in range((SAMPLE_FRAMES_MAX >> 20) + 1):
            f.write(block)
    assert path.stat().st_size < 4 * 1024 * 1024
    with open_audio(path) as f:
        assert f.frames > SAMPLE_FRAMES_MAX
    with pytest.raises(AudioFileError, match="decodes to more than 1000000 frames"):
        read_stereo(path, frames_max=1_000_000)


def test_a_session_sample_that_decodes_too_long_names_its_json_path(
    built_dist: Path, tmp_path: Path
) -> None:
    path = tmp_path / "long.flac"
    with sf.SoundFile(str(path), "w", 8000, 1, "PCM_16", format="FLAC") as f:
        block = np.zeros(1 << 20, np.int16)
        for _ in range((SAMPLE_FRAMES_MAX >> 20) + 1):
            f.write(block)
    doc = {
        "format": "dawgwasm-session",
        "version": 1,
        "samples": {"pad": {"file": "long.flac"}},
        "tracks": [{"source": {"type": "sampler", "sample": "pad"}}],
    }
    session = tmp_path / "song.json"
    session.write_text(json.dumps(doc), encoding="utf-8")
    one_line(
        run_capped("session", str(session), "--dist", str(built_dist)),
        f"$.samples.pad.file: sample file {path} has {(SAMPLE_FRAMES_MAX >> 20) + 1 << 20} "
        f"frames; at most {SAMPLE_FRAMES_MAX} are loaded",
    )
