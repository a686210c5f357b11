"""Without -v, no traceback ever: hostile documents and files the user cannot
read or write end in one line that names the file (and the JSON path) and
says what is wrong; with -v the traceback is there too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

DAWGWASM = str(Path(sys.executable).with_name("dawgwasm"))
#: Runs a command as root without the capabilities that bypass file
#: permissions, so "permission denied" is real even in a root container.
NO_DAC_OVERRIDE = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]


def dawgwasm(*args: str, as_user: bool = False) -> subprocess.CompletedProcess[str]:
    argv = [*(NO_DAC_OVERRIDE if as_user else []), DAWGWASM, *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=300)


def one_line(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def usage_error(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    """What the command line refuses itself: exit 2, click's usage message."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and needle in proc.stderr, proc.stderr


SESSION_HEAD = b'{"format": "dawgwasm-session", "version": 1, "tracks": [{}], "name": '


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        (b"[" * 200_000, ("$: ", "nested too deeply")),
        (SESSION_HEAD + b'"caf\xe9"}', ("$: ", "is not UTF-8 text")),
        (SESSION_HEAD + b"1" + b"0" * 4400 + b"}", ("$: ", "a number of 4401 characters")),
        (SESSION_HEAD + b"NaN}", ("$: ", "NaN is not JSON")),
        (
            b'{"format": "dawgwasm-session", "version": 1, "tracks": [], "samples": 7}',
            ("$.samples",),
        ),
        (b"\xef\xbb\xbf{}", ("$: ", "not valid JSON")),
    ],
)
def test_a_hostile_session_document_is_one_line(
    built_dist: Path, tmp_path: Path, content: bytes, needles: tuple[str, ...]
) -> None:
    path = tmp_path / "hostile.json"
    path.write_bytes(content)
    out = tmp_path / "out.wav"
    for args in (("session", str(path)), ("render", str(path), str(out))):
        one_line(dawgwasm(*args, "--dist", str(built_dist)), *needles)
    assert not out.exists()


def test_verbose_shows_the_traceback(built_dist: Path, tmp_path: Path) -> None:
    path = tmp_path / "hostile.json"
    path.write_bytes(b"[" * 1000)
    proc = dawgwasm("-v", "session", str(path), "--dist", str(built_dist))
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "nested too deeply" in proc.stderr


def test_an_unreadable_input_is_named_not_a_system_error(built_dist: Path, tmp_path: Path) -> None:
    inp = tmp_path / "in.wav"
    sf.write(str(inp), np.zeros(480, np.float32), 48000)
    inp.chmod(0o000)
    proc = dawgwasm(
        "render", str(inp), str(tmp_path / "o.wav"), "--dist", str(built_dist), as_user=True
    )
    usage_error(proc, f"'IN': File '{inp}' is not readable")


def test_an_unreadable_session_is_named_not_a_system_error(
    built_dist: Path, tmp_path: Path
) -> None:
    session = tmp_path / "s.json"
    session.write_text(json.dumps({"format": "dawgwasm-session", "version": 1, "tracks": [{}]}))
    session.chmod(0o000)
    proc = dawgwasm("session", str(session), "--dist", str(built_dist), as_user=True)
    usage_error(proc, f"'PATH': File '{session}' is not readable")


def test_an_unreadable_sample_names_its_json_path(built_dist: Path, tmp_path: Path) -> None:
    sf.write(str(tmp_path / "hit.wav"), np.zeros(480, np.float32), 48000)
    (tmp_path / "hit.wav").chmod(0o000)
    session = tmp_path / "s.json"
    doc = {
        "format": "dawgwasm-session",
        "version": 1,
        "samples": {"hit": {"file": "hit.wav"}},
        "tracks": [{"source": {"type": "sampler", "sample": "hit"}}],
    }
    session.write_text(json.dumps(doc))
    proc = dawgwasm("session", str(session), "--dist", str(built_dist), as_user=True)
    one_line(proc, f"$.samples.hit.file: sample file {tmp_path}/hit.wav: permission denied")


def test_an_output_folder_that_cannot_be_written_is_named(built_dist: Path, tmp_path: Path) -> None:
    inp = tmp_path / "in.wav"
    sf.write(str(inp), np.zeros(480, np.float32), 48000)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    proc = dawgwasm(
        "render", str(inp), str(locked / "o.wav"), "--dist", str(built_dist), as_user=True
    )
    one_line(proc, f"the folder {locked} is not writable")
    assert list(locked.iterdir()) == []
