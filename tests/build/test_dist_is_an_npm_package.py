"""A build folder is an npm package: `npm install path/to/dist` in a fresh app
installs exactly the build (not its marker), node imports it by name, and a
consumer written against the package name type-checks under --strict."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dawgwasm._cargo import crate_package
from dawgwasm._dist import MARKER_NAME
from dawgwasm._errors import BuildError
from tests.typescript import tsc_strict

CONSUMER = """\
import {
  createDawgEngine, MANIFEST, type Backend, type LoadReading, type ParamSpec,
} from "dawg-dsp";

export async function start(context: AudioContext, backend: Backend | "auto"): Promise<string> {
  const engine = await createDawgEngine(context, { backend });
  engine.setParam("gain_db", -6, 0);
  const first: ParamSpec = MANIFEST.params[0];
  const since: LoadReading = engine.load();
  const load: number = engine.load(since).load;
  const runs: Backend = engine.backend;
  return first.name + " " + MANIFEST.processor_name + " " + runs + " " + load.toFixed(3);
}
"""


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _build_files(dist: Path) -> set[str]:
    return {
        p.relative_to(dist).as_posix()
        for p in dist.rglob("*")
        if p.is_file() and p.name != MARKER_NAME
    }


def test_package_json_names_the_crate_and_every_file_of_the_build(built_dist: Path) -> None:
    package = json.loads((built_dist / "package.json").read_text(encoding="utf-8"))
    assert package["name"] == "dawg-dsp"
    assert package["version"] == "0.1.0"  # dsp_rust/Cargo.toml
    assert package["type"] == "module"
    assert package["exports"]["."] == {
        "types": "./dawg-engine.d.ts",
        "default": "./dawg-engine.js",
    }
    top = {p.name + ("/" if p.is_dir() else "") for p in built_dist.iterdir()}
    assert set(package["files"]) == top - {MARKER_NAME, "package.json"}


def test_npm_install_of_the_dist_gives_an_importable_typed_package(
    built_dist: Path, tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    shutil.copytree(built_dist, dist)
    app = tmp_path / "app"
    app.mkdir()
    (app / "package.json").write_text(
        json.dumps(
            {
                "name": "app",
                "private": True,
                "type": "module",
                "dependencies": {"dawg-dsp": "file:../dist"},
            }
        ),
        encoding="utf-8",
    )
    # --install-links installs a copy, as from a registry tarball: only `files` ship.
    _run(
        ["npm", "install", "--offline", "--install-links", "--no-audit", "--no-fund"],
        app,
    )
    installed = app / "node_modules" / "dawg-dsp"
    assert not installed.is_symlink()
    assert _build_files(installed) == _build_files(built_dist)

    out = _run(
        [
            "node",
            "--input-type=module",
            "-e",
            "const m = await import('dawg-dsp');"
            "process.stdout.write(m.MANIFEST.processor_name + ' ' + typeof m.createDawgEngine);",
        ],
        app,
    )
    assert out.stdout == "dawgwasm-mixer function"

    (app / "consumer.ts").write_text(CONSUMER, encoding="utf-8")
    _run(tsc_strict("consumer.ts"), app)


def test_a_crate_whose_name_or_version_npm_cannot_take_is_refused_by_name(
    tmp_path: Path,
) -> None:
    cases = {
        '[package]\nname = "Fx Rack"\nversion = "1.0.0"\n': "cannot name an npm package",
        '[package]\nname = "fx"\nversion = "1.0"\n': "is not a semantic version",
        '[lib]\nname = "fx"\n': r"needs a \[package\] name and version",
    }
    for text, message in cases.items():
        (tmp_path / "Cargo.toml").write_text(text, encoding="utf-8")
        with pytest.raises(BuildError, match=message):
            crate_package(tmp_path)
    (tmp_path / "Cargo.toml").write_text(
        '[package]\nname = "My_Fx"\nversion = "2.1.0-beta.1"\n', encoding="utf-8"
    )
    assert crate_package(tmp_path) == {
        "name": "My_Fx",
        "version": "2.1.0-beta.1",
        "npm_name": "my-fx",
    }
