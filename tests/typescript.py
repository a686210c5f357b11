"""How the tests type-check TypeScript against a build: the pinned tsc of
web/node_modules, strict, for a browser module resolved as a bundler does."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEB_BIN = ROOT / "web" / "node_modules" / ".bin"


def tsc_strict(*files: str) -> list[str]:
    """The command that type-checks ``files`` (no output) under --strict."""
    return [
        str(WEB_BIN / "tsc"),
        "--noEmit",
        "--strict",
        "--target",
        "es2022",
        "--lib",
        "es2022,dom",
        "--module",
        "esnext",
        "--moduleResolution",
        "bundler",
        *files,
    ]
