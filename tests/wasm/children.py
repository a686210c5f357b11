"""Child processes for tests whose failure mode is a crash or a hang: a
segfault, an abort or a wasm loop there shows as a failed test (an exit
status, a timeout), never as a dead or stuck test run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def child_env() -> dict[str, str]:
    """The environment of a child: this one, with the repository importable
    (``tests.hostile_modules``)."""
    path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path)}


def python_child(code: str) -> list[str]:
    """The command line that runs ``code`` (dedented) in a fresh interpreter."""
    return [sys.executable, "-c", textwrap.dedent(code)]


def run_child(code: str, *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter and return how it ended."""
    return subprocess.run(
        python_child(code),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=child_env(),
    )
