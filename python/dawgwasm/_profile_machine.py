"""What a ``dawgwasm profile`` was measured on: the machine, and the tools
and build that ran it (the browser's version is added once it has started)."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

from dawgwasm._version import __version__

__all__ = ["machine", "toolchain"]


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "loadavg_start": list(os.getloadavg()),
    }


def toolchain(build: Path) -> dict[str, Any]:
    """What ran the profile: dawgwasm, Python, Playwright, and the build's
    manifest (ABI, version, each .wasm's size and digest)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        playwright = version("playwright")
    except PackageNotFoundError:
        playwright = "unknown"
    info: dict[str, Any] = {
        "dawgwasm": __version__,
        "python": platform.python_version(),
        "playwright": playwright,
    }
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
        info["build"] = {
            "abi_version": manifest.get("abi_version"),
            "dawgwasm_version": manifest.get("dawgwasm_version"),
            "wasm": manifest.get("wasm"),
        }
    except (OSError, ValueError):
        info["build"] = None
    return info
