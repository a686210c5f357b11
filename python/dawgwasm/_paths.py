"""Where dawgwasm's own files live: the Rust crate, templates, static JS and
the demo page, next to the Python package in the source tree, and the engine
bundled inside the package.

The page ``dawgwasm profile`` drives lives in the source tree as
``web/profile/``, where the JavaScript tooling of ``web/`` (ESLint, its
tests) checks it with the rest. The wheel carries a copy of it:
``scripts/build_wheel.py`` copies its ``*.html`` and ``*.js`` into
``dawgwasm/profile/`` of the clean tree it builds from, and
``pyproject.toml``'s package data ships that folder. Nothing else makes
``dawgwasm/profile/``, so a source checkout never has one and
:func:`profile_dir` serves ``web/profile/`` as it is, edits included; an
installed wheel has it and serves that (its ``repo_root()`` is just a folder
of the environment it is installed in)."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "PACKAGED_PROFILE_NAME",
    "bundled_engine_dir",
    "crate_dir",
    "demo_dir",
    "profile_dir",
    "repo_root",
    "static_dir",
    "templates_dir",
]

#: The folder inside the package that holds the wheel's copy of the profile page.
PACKAGED_PROFILE_NAME = "profile"


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
    """The page and processors ``dawgwasm profile`` drives in Chromium: the
    copy inside the package when there is one (an installed wheel), else
    ``web/profile/`` of the source tree."""
    packaged = Path(__file__).resolve().parent / PACKAGED_PROFILE_NAME
    if packaged.is_dir():
        return packaged
    return repo_root() / "web" / "profile"


def bundled_engine_dir() -> Path:
    """The engine shipped inside the package: a whole ``dawgwasm build``
    output in ``dawgwasm/engine/`` (in the wheel; in a source checkout,
    ``scripts/bootstrap.sh`` builds it)."""
    return Path(__file__).resolve().parent / "engine"
