"""`dawgwasm build --out DIR` replaces only what it provably wrote: a new
path, an empty folder, or a build marked by `.dawgwasm-build` in which
nothing was added or changed. Everything else is refused with a message
saying how to proceed, and left byte for byte as it was."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import dawgwasm
from dawgwasm import BuildError, _paths
from tests.build.folders import DAWGWASM, MARKER_NAME, assert_complete_build, entries, snapshot

PWA_MANIFEST = {"name": "My App", "start_url": "/", "display": "standalone", "icons": []}


def web_app(folder: Path) -> Path:
    """A typical web app folder: a PWA manifest.json next to its pages."""
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps(PWA_MANIFEST))
    (folder / "index.html").write_text("<!doctype html><title>mine</title>")
    (folder / "sw.js").write_text("self.addEventListener('fetch', () => {});")
    (folder / "icons").mkdir()
    (folder / "icons" / "192.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    return folder


def test_a_web_app_folder_with_a_pwa_manifest_is_refused_and_left_byte_identical(
    tmp_path: Path,
) -> None:
    out = web_app(tmp_path / "app")
    before = snapshot(out)
    with pytest.raises(BuildError) as info:
        dawgwasm.build(out)
    message = str(info.value)
    assert "is not empty and is not a dawgwasm build (no .dawgwasm-build marker)" in message
    assert "choose a new or empty folder" in message
    assert "remove it yourself" in message
    assert "\n" not in message
    assert snapshot(out) == before
    assert entries(tmp_path) == ["app"]


def test_the_command_refuses_it_in_one_line_and_exit_1(tmp_path: Path) -> None:
    out = web_app(tmp_path / "app")
    before = snapshot(out)
    proc = subprocess.run(
        [DAWGWASM, "build", "--out", str(out)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"error: --out {out} is not empty and is not a dawgwasm build")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert snapshot(out) == before


def bad_marker(folder: Path, how: str) -> None:
    marker = folder / ".dawgwasm-build"
    valid = {"tool": "dawgwasm", "format": 1, "kind": "build", "files": {"manifest.json": {}}}
    if how == "no marker":
        return
    if how == "not JSON":
        marker.write_text("dawgwasm")
    elif how == "another tool":
        marker.write_text(json.dumps({**valid, "tool": "webpack"}))
    elif how == "another format":
        marker.write_text(json.dumps({**valid, "format": 2}))
    elif how == "a staging marker":
        marker.write_text(json.dumps({**valid, "kind": "staging"}))
    elif how == "a folder":
        marker.mkdir()
    elif how == "a link to a valid marker":
        elsewhere = folder.parent / "valid-marker"
        elsewhere.write_text(json.dumps(valid))
        marker.symlink_to(elsewhere)


@pytest.mark.parametrize(
    "how",
    [
        "no marker",
        "not JSON",
        "another tool",
        "another format",
        "a staging marker",
        "a folder",
        "a link to a valid marker",
    ],
)
def test_an_unmarked_folder_with_only_manifest_json_is_refused(tmp_path: Path, how: str) -> None:
    out = tmp_path / "dist"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps(PWA_MANIFEST))
    bad_marker(out, how)
    before = snapshot(out)
    with pytest.raises(BuildError, match=r"is not empty and is not a dawgwasm build \("):
        dawgwasm.build(out)
    assert snapshot(out) == before


@pytest.mark.parametrize("change", ["a file added", "a folder added", "a file changed", "a link"])
def test_a_build_with_anything_added_or_changed_is_refused(
    built_dist: Path, tmp_path: Path, change: str
) -> None:
    """A marked build the user has put something into, or edited, is the
    user's too: the build refuses it rather than lose that."""
    out = tmp_path / "dist"
    shutil.copytree(built_dist, out)
    if change == "a file added":
        (out / "index.html").write_text("<!doctype html>")
        why = "it holds index.html (a file), which dawgwasm did not write"
    elif change == "a folder added":
        (out / "samples" / "mine").mkdir()
        why = "it holds samples/mine (a folder), which dawgwasm did not write"
    elif change == "a file changed":
        engine = out / "dawg-engine.js"
        engine.write_text(engine.read_text() + "// my fix\n")
        why = "its dawg-engine.js was changed after dawgwasm wrote it"
    else:
        (out / "samples" / "kick.f32").unlink()
        (out / "samples" / "kick.f32").symlink_to(built_dist / "samples" / "kick.f32")
        why = "it holds samples/kick.f32 (a symbolic link), which dawgwasm did not write"
    before = snapshot(out)
    with pytest.raises(BuildError) as info:
        dawgwasm.build(out)
    assert f"is a dawgwasm build, but {why}; a build replaces the whole folder" in str(info.value)
    assert snapshot(out) == before


def test_a_marked_build_is_replaced_and_keeps_its_mode(built_dist: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    shutil.copytree(built_dist, out)
    (out / "samples" / "kick.f32").unlink()  # a file the build wrote may be missing
    out.chmod(0o751)
    inode = out.stat().st_ino
    dawgwasm.build(out)
    assert out.stat().st_ino != inode
    assert_complete_build(out)
    assert (out / "samples" / "kick.f32").is_file()
    assert out.stat().st_mode & 0o7777 == 0o751
    assert entries(tmp_path) == ["dist"]


def test_an_empty_folder_is_used_and_keeps_its_mode(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    out.mkdir()
    out.chmod(0o750)
    dawgwasm.build(out)
    assert_complete_build(out)
    assert out.stat().st_mode & 0o7777 == 0o750
    assert entries(tmp_path) == ["dist"]


def test_a_link_to_a_build_is_followed_and_kept(built_dist: Path, tmp_path: Path) -> None:
    target = tmp_path / "builds" / "v2"
    shutil.copytree(built_dist, target)
    link = tmp_path / "dist"
    link.symlink_to(target)
    report = dawgwasm.build(link)
    assert report.out_dir == target
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert_complete_build(target)
    assert entries(target.parent) == ["v2"]


@pytest.mark.parametrize(
    "what", ["a file", "a dangling link", "a link to a file", "a link to a web app", "a FIFO"]
)
def test_an_out_that_is_not_a_folder_or_links_to_something_else_is_refused(
    tmp_path: Path, what: str
) -> None:
    out = tmp_path / "dist"
    if what == "a file":
        out.write_text("keep me")
        match = r"--out \S+ is a file, not a folder"
    elif what == "a dangling link":
        out.symlink_to(tmp_path / "nowhere")
        match = r"is a symbolic link to \S+nowhere, which does not exist"
    elif what == "a link to a file":
        (tmp_path / "notes.txt").write_text("keep me")
        out.symlink_to(tmp_path / "notes.txt")
        match = r"\(a symbolic link to \S+notes\.txt\) is a file, not a folder"
    elif what == "a link to a web app":
        out.symlink_to(web_app(tmp_path / "app"))
        match = r"\(a symbolic link to \S+app\) is not empty and is not a dawgwasm build"
    else:
        os.mkfifo(out)
        match = r"--out \S+ is a FIFO \(named pipe\), not a folder"
    before = snapshot(tmp_path)
    with pytest.raises(BuildError, match=match):
        dawgwasm.build(out)
    assert snapshot(tmp_path) == before


def copy_of_crate(tmp_path: Path) -> Path:
    crate = tmp_path / "crate"
    shutil.copytree(_paths.crate_dir(), crate, ignore=shutil.ignore_patterns("target"))
    return crate


@pytest.mark.parametrize(
    ("where", "match"),
    [
        ("crate/target/dist", r"is inside the crate \("),
        ("crate", r"is inside the crate \("),
        (".", r"holds the crate \("),
        ("web/dist", r"is inside web/ \("),
    ],
)
def test_an_out_inside_or_holding_the_crate_or_web_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, match: str
) -> None:
    """Building into the sources would destroy them, or be destroyed by
    ``cargo clean`` or a checkout: the crate and ``web/`` are off limits,
    and so is any folder inside or holding them. (The source tree here is a
    copy: the crate and an empty ``web/``.)"""
    crate = copy_of_crate(tmp_path)
    (tmp_path / "web").mkdir()
    monkeypatch.setattr(_paths, "repo_root", lambda: tmp_path)
    out = tmp_path / where
    existed = out.exists()
    before = snapshot(tmp_path)
    with pytest.raises(BuildError, match=match):
        dawgwasm.build(out, crate=crate)
    assert snapshot(tmp_path) == before
    assert out.exists() == existed


def test_a_write_protected_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    out.mkdir()
    out.chmod(0o555)
    try:
        with pytest.raises(BuildError, match=r"is write-protected; make it writable"):
            dawgwasm.build(out)
        assert entries(out) == []
    finally:
        out.chmod(0o755)


def test_a_build_from_before_markers_is_recognised_by_its_manifest_and_hashes(
    built_dist: Path, tmp_path: Path
) -> None:
    """A dist/ written before builds were marked is replaced when it is
    beyond doubt a build: its manifest names the dawgwasm processor and both
    wasm files with hashes they match, and it holds nothing else but the
    glue, the reference session and samples/. Anything added, changed or
    unlike that is refused as before."""

    def unmarked(name: str) -> Path:
        copy = tmp_path / name
        shutil.copytree(built_dist, copy, symlinks=True)
        (copy / MARKER_NAME).unlink()
        # Builds became npm packages after they were marked: an unmarked
        # build never had a package.json.
        (copy / "package.json").unlink()
        return copy

    assert dawgwasm._dist.build_problem(unmarked("plain")) is None
    added = unmarked("added")
    (added / "index.html").write_text("<!doctype html>")
    changed = unmarked("changed")
    wasm = changed / "dawg_dsp.simd.wasm"
    wasm.write_bytes(wasm.read_bytes()[:-1] + b"\x00")
    renamed = unmarked("renamed")
    manifest = json.loads((renamed / "manifest.json").read_text())
    (renamed / "manifest.json").write_text(json.dumps({**manifest, "processor_name": "pwa"}))
    sample = unmarked("sample")
    (sample / "samples" / "notes.txt").write_text("mine")
    for folder in (added, changed, renamed, sample):
        before = snapshot(folder)
        with pytest.raises(BuildError, match=r"no \.dawgwasm-build marker"):
            dawgwasm.build(folder)
        assert snapshot(folder) == before
    old = unmarked("old")
    dawgwasm.build(old)
    assert_complete_build(old)
