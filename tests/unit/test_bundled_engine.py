"""The engine bundled inside the package: what runs when no build folder is
named, the error that says what to run when it is missing, the stamp that
rebuilds it only when its sources change, and the demo without Rust."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

from dawgwasm import Engine, WasmNotFoundError, _bundle, _paths
from dawgwasm._bench import native_library
from dawgwasm._dist import build_problem, engine_dir, wasm_path

DAWGWASM = str(Path(sys.executable).with_name("dawgwasm"))


def test_no_build_folder_means_the_bundled_engine() -> None:
    bundled = _paths.bundled_engine_dir()
    assert build_problem(bundled) is None, "run scripts/bootstrap.sh: it builds the engine"
    assert engine_dir(None) == bundled
    assert wasm_path(None, "scalar") == bundled / "dawg_dsp.scalar.wasm"
    with Engine.from_dist() as engine:
        assert "gain_db" in engine.params
    assert engine_dir(Path("elsewhere")) == Path("elsewhere")


def test_a_missing_bundled_engine_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_paths, "bundled_engine_dir", lambda: tmp_path / "engine")
    with pytest.raises(WasmNotFoundError) as e:
        Engine.from_dist()
    message = str(e.value)
    assert "has no bundled engine" in message
    assert f"{_paths.repo_root() / 'scripts' / 'bootstrap.sh'}" in message
    assert "--dist DIR" in message
    monkeypatch.setattr(_paths, "repo_root", lambda: tmp_path)  # an installed package
    with pytest.raises(WasmNotFoundError, match="reinstall dawgwasm from its wheel"):
        engine_dir(None)


def test_the_stamp_follows_every_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled engine is rebuilt when a crate source, a template, a
    static module or the package's Python changes, and only then."""
    root = tmp_path / "tree"
    for rel in ("dsp_rust/src/lib.rs", "web/templates/a.j2", "web/static/b.js"):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)
    (root / "dsp_rust" / "Cargo.toml").write_text("[package]\n")
    monkeypatch.setattr(_paths, "repo_root", lambda: root)
    monkeypatch.setattr(_paths, "crate_dir", lambda: root / "dsp_rust")
    monkeypatch.setattr(_paths, "templates_dir", lambda: root / "web" / "templates")
    monkeypatch.setattr(_paths, "static_dir", lambda: root / "web" / "static")
    monkeypatch.setattr(_bundle, "__file__", str(root / "python" / "dawgwasm" / "_bundle.py"))
    (root / "python" / "dawgwasm").mkdir(parents=True)
    (root / "python" / "dawgwasm" / "_x.py").write_text("X = 1\n")
    first = _bundle.sources_digest()
    assert _bundle.sources_digest() == first
    sources = (
        "dsp_rust/src/lib.rs",
        "web/templates/a.j2",
        "web/static/b.js",
        "python/dawgwasm/_x.py",
    )
    for rel in sources:
        path = root / rel
        before = path.read_text()
        path.write_text(before + " ")
        assert _bundle.sources_digest() != first, rel
        path.write_text(before)
    assert _bundle.sources_digest() == first
    (root / "dsp_rust" / "target").mkdir()
    (root / "dsp_rust" / "target" / "junk").write_text("not a source")
    assert _bundle.sources_digest() == first


def test_without_rust_the_native_baseline_is_skipped_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAWGWASM_RUSTC", str(tmp_path / "no-rustc"))
    library, why = native_library()
    assert library is None
    assert why == "no Rust toolchain here to compile the crate (see `dawgwasm doctor`)"


def test_render_without_dist_uses_the_bundled_engine(tmp_path: Path) -> None:
    env = {**os.environ, "DAWGWASM_RUSTC": str(tmp_path / "no-rustc")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [DAWGWASM, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )

    assert run("session", "--write-reference", "ref.json").returncode == 0
    proc = run("render", "ref.json", "out.wav", "--seconds", "1")
    assert proc.returncode == 0, proc.stderr
    assert sf.info(str(tmp_path / "out.wav")).frames == 48000
