"""Where dawgwasm's own files live: the Rust crate, templates, static JS and
the demo page, next to the Python package in the source tree, and the engine
bundled inside the package."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "bundled_engine_dir",
    "crate_dir",
    "demo_dir",
    "profile_dir",
    "repo_root",
    "static_dir",
    "templates_dir",
]


def repo_root() -> Path:
    """The source tree holding ``python/dawgwasm`` (this file's grandparent's parent)."""
    return Path(__file__).resolve().parents[2]


def crate_dir() -> Path:
    """The default Rust crate, ``dsp_rust/``."""
    return repo_root() / "dsp_rust"


def templates_dir() -> Path:
    """Jinja2 templates for the generated glue."""
    return repo_root() / "web" / "templates"


def static_dir() -> Path:
    """Hand-written JS modules copied verbatim into every build."""
    return repo_root() / "web" / "static"


def demo_dir() -> Path:
    """The demo page served by ``dawgwasm serve``."""
    return repo_root() / "web" / "demo"


def profile_dir() -> Path:
    """The page and processors ``dawgwasm profile`` drives in Chromium."""
    return repo_root() / "web" / "profile"


def bundled_engine_dir() -> Path:
    """The engine shipped inside the package: a whole ``dawgwasm build``
    output in ``dawgwasm/engine/`` (in the wheel; in a source checkout,
    ``scripts/bootstrap.sh`` builds it)."""
    return Path(__file__).resolve().parent / "engine"
