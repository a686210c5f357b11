"""The wheel is the product: built from this tree, installed with pip into a
fresh venv, its ``dawgwasm`` renders with the engine it carries, from an
empty folder, with no Rust toolchain and no build folder anywhere.

Marked ``wheel``: it builds the wheel (scripts/build_wheel.py), creates a
venv and installs the wheel's dependencies from the package index (pip's
cache makes that quick); about a minute in all. It needs the bundled engine
that scripts/bootstrap.sh builds, and fails (never skips) without it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.wheel


def run(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    proc = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, f"{argv} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel of this tree installed; returns its bin/."""
    tmp = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_wheel.py"), str(tmp / "wheel")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    wheel = Path(build.stdout.strip().splitlines()[-1])
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        env=env,
        check=True,
        timeout=600,
    )
    return venv / "bin"


def test_the_installed_wheel_renders_without_rust_or_a_build_folder(
    installed: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "empty"
    work.mkdir()
    # Only the venv on PATH, a HOME without ~/.cargo, and DAWGWASM_RUSTC naming
    # nothing: dawgwasm also probes /usr/bin/rustc by its path, which exists here.
    env = {
        "PATH": str(installed),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "DAWGWASM_RUSTC": str(tmp_path / "no-rustc"),
    }
    python = str(installed / "python")
    dawgwasm = str(installed / "dawgwasm")
    where = run(
        [
            python,
            "-c",
            "import shutil, dawgwasm; "
            "print(shutil.which('cargo'), shutil.which('rustc'), dawgwasm.__file__)",
        ],
        cwd=work,
        env=env,
    ).split()
    assert where[:2] == ["None", "None"]
    assert Path(where[2]).is_relative_to(installed.parent), "dawgwasm came from the source tree"

    for command in ("render", "session", "demo"):
        usage = " ".join(run([dawgwasm, command, "--help"], cwd=work, env=env).split())
        assert "[default: the engine bundled with dawgwasm, not ./dist;" in usage
    run([dawgwasm, "session", "--write-reference", "ref.json"], cwd=work, env=env)
    assert "valid session 'reference'" in run([dawgwasm, "session", "ref.json"], cwd=work, env=env)
    run([dawgwasm, "render", "ref.json", "out.wav"], cwd=work, env=env)

    doc = json.loads((work / "ref.json").read_text())
    frames = round(doc["length_beats"] * 60 / doc["tempo_bpm"] * 48000)
    audio, rate = sf.read(str(work / "out.wav"), dtype="float32")
    assert rate == 48000 and audio.shape == (frames, 2)
    assert np.all(np.isfinite(audio))
    rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
    assert rms > 0.01 and 0.1 < float(np.max(np.abs(audio))) <= 1.0

    # --dist still names the build that runs.
    refused = subprocess.run(
        [dawgwasm, "render", "ref.json", "x.wav", "--dist", "nowhere"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert refused.returncode == 1 and "nowhere" in refused.stderr
    assert not (work / "x.wav").exists()
    shutil.copytree(Path(where[2]).parent / "engine", work / "mine")
    run([dawgwasm, "render", "ref.json", "mine.wav", "--dist", "mine"], cwd=work, env=env)
    assert np.array_equal(sf.read(str(work / "mine.wav"), dtype="float32")[0], audio)

    out = run(
        [dawgwasm, "demo", "--seconds", "1", "--repeat", "1", "--out", "demo.wav"],
        cwd=work,
        env=env,
    )
    assert "native baseline skipped: no Rust toolchain" in out
    # Without node on PATH the JavaScript engine's row is left out, and said so.
    assert "JavaScript engine skipped: no `node` on PATH" in out
    results = json.loads((work / "demo.json").read_text())
    assert set(results["runtimes"]) == {"wasmtime simd", "wasmtime scalar"}
    assert results["baseline"] == "wasmtime simd"
    assert sf.info(str(work / "demo.wav")).frames == 48000
    assert sorted(p.name for p in work.iterdir()) == [
        "demo.json",
        "demo.wav",
        "mine",
        "mine.wav",
        "out.wav",
        "ref.json",
    ]


def test_the_installed_wheel_carries_the_profile_page(installed: Path, tmp_path: Path) -> None:
    env = {"PATH": str(installed), "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    where = run(
        [
            str(installed / "python"),
            "-c",
            "import dawgwasm; from dawgwasm import _paths; "
            "print(dawgwasm.__file__); print(_paths.profile_dir())",
        ],
        cwd=tmp_path,
        env=env,
    ).splitlines()
    package, page_dir = Path(where[0]).parent, Path(where[1])
    assert package.is_relative_to(installed.parent), "dawgwasm came from the source tree"
    assert page_dir == package / "profile"
    source = ROOT / "web" / "profile"
    shipped = sorted(p.name for p in source.iterdir() if p.suffix in (".html", ".js"))
    assert "profile-page.js" in shipped and "index.html" in shipped
    assert sorted(p.name for p in page_dir.iterdir()) == shipped
    for name in shipped:
        assert (page_dir / name).read_bytes() == (source / name).read_bytes(), name
