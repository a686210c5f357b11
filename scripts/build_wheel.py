#!/usr/bin/env python3
"""Build dawgwasm's wheel, with the bundled engine in it, into a folder.

    python scripts/build_wheel.py OUT_DIR

The wheel is built by pip from a clean copy of what it is made of
(pyproject.toml, README.md, python/), so nothing left in the source tree by
an earlier build ends up in it and the tree is left as it was. The bundled
engine (python/dawgwasm/engine/, built by scripts/bootstrap.sh) must be
there: a wheel without it could not render. The page ``dawgwasm profile``
drives (web/profile/*.html and *.js) goes into that copy as
python/dawgwasm/profile/, so the installed package carries it (see
dawgwasm/_paths.py). Prints the wheel's path.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

from dawgwasm._bundle import bundled_is_current  # noqa: E402
from dawgwasm._dist import build_problem  # noqa: E402
from dawgwasm._paths import PACKAGED_PROFILE_NAME, bundled_engine_dir, profile_dir  # noqa: E402


def copy_profile_page(page_dir: Path, into: Path) -> None:
    """Copy the profile page's files (``*.html``, ``*.js``) into ``into``."""
    files = sorted(p for p in page_dir.iterdir() if p.suffix in (".html", ".js") and p.is_file())
    if not any(p.name == "profile-page.js" for p in files):
        sys.exit(f"build_wheel: no profile page in {page_dir} (no profile-page.js)")
    into.mkdir(parents=True)
    for path in files:
        shutil.copy2(path, into / path.name)


def build_wheel(out_dir: Path) -> Path:
    """Build the wheel into ``out_dir`` (replacing dawgwasm wheels there);
    returns its path."""
    engine = bundled_engine_dir()
    problem = build_problem(engine) if engine.is_dir() else "it does not exist"
    if problem is not None:
        sys.exit(
            f"build_wheel: no bundled engine in {engine} ({problem}); run scripts/bootstrap.sh"
        )
    if not bundled_is_current():
        print(
            f"build_wheel: note: {engine} was built from other sources; "
            "scripts/bootstrap.sh rebuilds it",
            file=sys.stderr,
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("dawgwasm-*.whl"):
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="dawgwasm-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, src / name)
        shutil.copytree(
            ROOT / "python",
            src / "python",
            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", ".engine-sources"),
        )
        copy_profile_page(profile_dir(), src / "python" / "dawgwasm" / PACKAGED_PROFILE_NAME)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "--wheel-dir",
                str(out_dir),
                str(src),
            ],
            check=True,
        )
    (wheel,) = out_dir.glob("dawgwasm-*.whl")
    return wheel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="folder to write the wheel into")
    args = parser.parse_args()
    print(build_wheel(args.out_dir))


if __name__ == "__main__":
    main()
