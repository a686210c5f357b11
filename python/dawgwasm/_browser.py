"""Launching Chromium through Playwright with the flags this kind of machine
needs (no sandbox as root, no GPU, no background network, no first-run UI).

Playwright's own browser download is not used: Chromium comes from the
system (``apt-get install chromium``) or from ``DAWGWASM_CHROMIUM``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dawgwasm._errors import BrowserError
from dawgwasm._toolchain import find_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

__all__ = ["CHROMIUM_ARGS", "launch_chromium"]

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
)


def launch_chromium(
    playwright: Playwright, *, headless: bool = True, executable: Path | None = None
) -> Browser:
    """Start the system Chromium, or ``executable`` (a fresh temporary
    profile each time)."""
    chromium = find_chromium(executable)
    try:
        return playwright.chromium.launch(
            executable_path=str(chromium.path), headless=headless, args=list(CHROMIUM_ARGS)
        )
    except Exception as e:  # Playwright raises its own Error type
        raise BrowserError(f"cannot launch {chromium.path} ({chromium.version}): {e}") from e
