"""The Python sources are ruff-clean, ruff-formatted and mypy --strict clean,
and the JavaScript parses: the style checks run with the tests, so they hold
on every change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dawgwasm import _paths

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
