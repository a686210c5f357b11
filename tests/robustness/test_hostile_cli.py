"""A Hypothesis campaign against the command line: hostile session documents,
hostile paths (the input itself, FIFOs, devices, folders, links, protected
files, someone's web app) for every argument that names a file. Whatever it
is given, dawgwasm answers with exit 0, 1 or 2, never a traceback, never a
crash, never a hang, and nothing of the user's changes except an output it
was asked to write and was allowed to replace.

Each example runs the real ``dawgwasm`` in a child process (a crash there is
a failure here, not the end of the test run). The suite runs
``CAMPAIGN_EXAMPLES`` examples (default 30); ``scripts/hostile_campaign.py``
runs the same campaign for longer.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dawgwasm._reference import reference_session
from tests.userfiles import tree_state

DAWGWASM = str(Path(sys.executable).with_name("dawgwasm"))
EXAMPLES = int(os.environ.get("CAMPAIGN_EXAMPLES", "30"))
#: A hang is a failure: no example may take this long.
EXAMPLE_TIMEOUT_S = 120.0

#: The user's files: name → what it is.
USER_FILES = {
    "song.json": "a valid session",
    "in.wav": "audio",
    "render.wav": "an earlier render",
    "protected.wav": "a write-protected file",
    "pipe": "a FIFO",
    "null": "a character device",
    "folder": "a folder",
    "webapp": "a web app folder with a PWA manifest.json",
    "link-to-in.wav": "a symbolic link to the input",
    "dangling": "a dangling symbolic link",
    "hit.wav": "a sample",
}


def make_home(home: Path) -> None:
    """A user's folder with every kind of thing a careless command could damage."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "song.json").write_text(json.dumps(reference_session()), encoding="utf-8")
    t = np.arange(2400) / 48000
    tone = (0.25 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    sf.write(str(home / "in.wav"), tone, 48000)
    sf.write(str(home / "render.wav"), tone, 48000)
    sf.write(str(home / "hit.wav"), tone[:480], 48000)
    (home / "protected.wav").write_bytes(b"keep me")
    (home / "protected.wav").chmod(0o444)
    os.mkfifo(home / "pipe")
    os.mknod(home / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    (home / "folder").mkdir()
    (home / "folder" / "notes.txt").write_text("mine")
    (home / "webapp").mkdir()
    (home / "webapp" / "manifest.json").write_text('{"name": "My PWA"}')
    (home / "webapp" / "index.html").write_text("<!doctype html>")
    (home / "link-to-in.wav").symlink_to(home / "in.wav")
    (home / "dangling").symlink_to(home / "nowhere" / "x.wav")


# ---- hostile session documents -------------------------------------------------

hostile_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -1, 1e-320, 1e308, 2**31, 2**32 + 1, 0.5, 100000]),
    st.text(max_size=12),
    st.sampled_from(
        ["../in.wav", "/etc/passwd", "pipe", "null", "folder", "hit.wav", "dangling", "..", ""]
    ),
)
hostile_values = st.recursive(
    hostile_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


REFERENCE = reference_session()
REFERENCE_PATHS = [p for p in _paths(REFERENCE) if p]


def _replace(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        return {**doc, head: _replace(doc[head], rest, value)}
    out = list(doc)
    out[head] = _replace(out[head], rest, value)
    return out


@st.composite
def mutated_sessions(draw: st.DrawFn) -> bytes:
    """The reference session with a few fields replaced by hostile values,
    a few sample files pointed anywhere, or raw hostile bytes."""
    kind = draw(
        st.sampled_from(["valid", "valid", "mutate", "mutate", "samples", "patterns", "raw"])
    )
    doc: Any = REFERENCE
    if kind == "valid":
        return json.dumps(doc).encode()
    if kind == "raw":
        return draw(
            st.one_of(
                st.binary(max_size=64),
                st.sampled_from(
                    [b"[" * 50_000, b'{"a":' * 5000, b"\xff\xfe{}", b"1" * 5000, b"NaN", b""]
                ),
            )
        )
    if kind == "samples":
        files = draw(st.lists(hostile_scalars, min_size=1, max_size=3))
        samples = {f"s{i}": {"file": f} for i, f in enumerate(files)}
        tracks = [{"source": {"type": "sampler", "sample": name}} for name in samples]
        doc = {**REFERENCE, "samples": samples, "tracks": tracks}
    elif kind == "patterns":
        length = draw(st.sampled_from([1e-9, 1e-3, 0.01, 5e-324, 1.0, 100000]))
        doc = _replace(doc, ("tracks", 0, "pattern", "length_beats"), length)
        doc = {**doc, "length_beats": draw(st.sampled_from([1e-6, 16, 100000]))}
    else:
        for _ in range(draw(st.integers(1, 3))):
            path = draw(st.sampled_from(REFERENCE_PATHS))
            value = draw(hostile_values)
            # An earlier replacement may have removed this field.
            with contextlib.suppress(KeyError, IndexError, TypeError):
                doc = _replace(doc, path, value)
    return json.dumps(doc).encode()


# ---- commands ----------------------------------------------------------------------

path_choices = st.sampled_from([*USER_FILES, "new.wav", "new/deeper/out.wav", "out.json"])
# Outputs: as often one a render may write as any hostile path.
out_choices = st.one_of(st.sampled_from(["new.wav", "render.wav", "link-to-in.wav"]), path_choices)


@st.composite
def commands(draw: st.DrawFn) -> tuple[list[str], str | None]:
    """``(argv, output name or None)``; ``SESSION`` stands for the hostile document."""
    which = draw(
        st.sampled_from(
            [
                "render-session",
                "render-session",
                "render-audio",
                "render-audio",
                "session",
                "build",
                "demo",
            ]
        )
    )
    if which == "render-session":
        out = draw(out_choices)
        extra = draw(
            st.sampled_from(
                [
                    [],
                    ["--seconds", "0.2"],
                    ["--seconds", "nan"],
                    ["--param", "tempo_bpm=400"],
                    ["--param", "master_gain_db=-6", "--seconds", "0.3"],
                    ["--sample-rate", "inf"],
                ]
            )
        )
        return ["render", "SESSION", out, *extra], out
    if which == "render-audio":
        inp = draw(st.sampled_from(["in.wav", "in.wav", "link-to-in.wav", *USER_FILES]))
        out = draw(out_choices)
        param = draw(st.sampled_from(["gain_db=-3", "gain_db=-3", "x=1", "tempo_bpm=90"]))
        return ["render", inp, out, "--param", param], out
    if which == "session":
        return ["session", draw(st.sampled_from(["SESSION", *USER_FILES]))], None
    if which == "build":  # refused before compiling: nothing of the user's is a build
        return ["build", "--out", draw(st.sampled_from(list(USER_FILES)))], None
    out = draw(st.sampled_from([*USER_FILES, "folder/demo.wav"]))
    return ["demo", "--out", out, "--seconds", "0.5", "--repeat", "1", "--no-native"], out


def may_change(out: str | None, inputs: set[str], home: Path, before: dict[str, Any]) -> set[str]:
    """Entries a successful command may have written: its output (or a
    link's target) where the rules allow replacing it (new, or a regular
    file with a write bit that is none of the inputs), a demo's JSON beside
    it, and the folders created for them."""
    if out is None:
        return set()
    allowed = set()
    for name in {out, str(Path(out).with_suffix(".json"))}:
        target = os.path.relpath(os.path.realpath(home / name), home)
        if target.startswith(".."):
            continue
        entry = before.get(target)
        if entry is None or (entry[0] == "file" and entry[1] & 0o222 and target not in inputs):
            allowed.add(target)
            parts = Path(target).parts
            allowed.update(str(Path(*parts[:i])) for i in range(1, len(parts)))
    return allowed


def inputs_of(args: list[str], document: bytes, home: Path) -> set[str]:
    """Files a command reads: its IN argument, and, when it reads the
    hostile session document, every user file the document mentions (as a
    sample, or anywhere), links resolved. A command that never opens the
    document (demo renders the reference session) reads none of them."""
    names = {args[1]} if args[0] in ("render", "session") else set()
    if "hostile.json" in args:
        names |= {n for n in USER_FILES if n.encode() in document}
    return {os.path.relpath(os.path.realpath(home / n), home) for n in names} | names


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(command=commands(), document=mutated_sessions())
def test_hostile_input_never_crashes_hangs_or_changes_the_users_files(
    built_dist: Path, tmp_path_factory: pytest.TempPathFactory, command: Any, document: bytes
) -> None:
    argv, out = command
    home = tmp_path_factory.mktemp("home")
    try:
        make_home(home)
        (home / "hostile.json").write_bytes(document)
        args = [a if a != "SESSION" else "hostile.json" for a in argv]
        if args[0] != "build":
            args += ["--dist", str(built_dist)]
        before = tree_state(home)
        proc = subprocess.run(
            [DAWGWASM, *args],
            cwd=home,
            capture_output=True,
            text=True,
            timeout=EXAMPLE_TIMEOUT_S,
        )
        event(f"{args[0]} exit {proc.returncode}")
        context = f"dawgwasm {' '.join(args)}\n{proc.stdout}\n{proc.stderr}"
        assert proc.returncode in (0, 1, 2), context
        assert "Traceback" not in proc.stderr, context
        assert "internal error" not in proc.stderr, context
        if proc.returncode != 0:
            assert proc.stderr.strip(), context
        after = tree_state(home)
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)} - {"."}
        inputs = inputs_of(args, document, home)
        allowed = may_change(out, inputs, home, before) if proc.returncode == 0 else set()
        assert changed <= allowed, f"{sorted(changed - allowed)} changed by\n{context}"
        leftovers = [p for p in after if ".dawgwasm-partial" in p or ".tmp-" in p]
        assert not leftovers, context
    finally:
        for p in home.rglob("*"):
            if p.is_dir() and not p.is_symlink():
                p.chmod(0o755)
        shutil.rmtree(home, ignore_errors=True)
