"""One real bench report and one real profile report per test session
(made by the command line; see tests/reports.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import reports


@pytest.fixture(scope="session")
def bench_report(built_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return reports.bench_report(built_dist, tmp_path_factory.mktemp("bench") / "bench.json")


@pytest.fixture(scope="session")
def profile_report(built_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs real Chromium: a test using it is marked ``browser``."""
    return reports.profile_report(built_dist, tmp_path_factory.mktemp("profile") / "profile.json")
