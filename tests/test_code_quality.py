"""The Python sources are ruff-clean, ruff-formatted and mypy --strict clean;
the hand-written JavaScript is ESLint-clean and parses; the generated
TypeScript declarations accept typical use and reject misuse (fixtures in
tests/typing: pass_*.ts must compile under --strict, fail_*.ts must not).
The style checks run with the tests, so they hold on every change."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dawgwasm import _paths
from tests.typescript import tsc_strict

ROOT = _paths.repo_root()
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "argv",
    [
        ["ruff", "check", "python", "tests"],
        ["ruff", "format", "--check", "python", "tests"],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_python_tool_is_clean(argv: list[str]) -> None:
    proc = subprocess.run(
        [str(BIN / argv[0]), *argv[1:]], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]


@pytest.mark.parametrize(
    "path",
    sorted(
        p.relative_to(ROOT)
        for p in [
            *(ROOT / "web" / "static").glob("*.js"),
            *(ROOT / "web" / "demo").glob("*.js"),
            *(ROOT / "tests" / "browser").glob("*.js"),
        ]
    ),
    ids=str,
)
def test_javascript_parses(path: Path) -> None:
    source = (ROOT / path).read_text(encoding="utf-8")
    module = "module" if ("import " in source or "export " in source) else "commonjs"
    proc = subprocess.run(
        ["node", f"--input-type={module}", "--check"],
        input=source,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr


WEB_BIN = ROOT / "web" / "node_modules" / ".bin"


def test_javascript_is_eslint_clean() -> None:
    proc = subprocess.run(
        [str(WEB_BIN / "eslint"), "--max-warnings=0", "."],
        cwd=ROOT / "web",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]


TYPING = ROOT / "tests" / "typing"


@pytest.mark.parametrize("fixture", sorted(p.name for p in TYPING.glob("*.ts")))
def test_typescript_declarations(built_dist: Path, tmp_path: Path, fixture: str) -> None:
    shutil.copytree(built_dist, tmp_path / "dist")
    shutil.copyfile(TYPING / fixture, tmp_path / fixture)
    proc = subprocess.run(
        tsc_strict(fixture),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if fixture.startswith("pass_"):
        assert proc.returncode == 0, proc.stdout + proc.stderr
    else:
        assert proc.returncode != 0, f"{fixture} type-checked but must not"
        assert "error TS" in proc.stdout
