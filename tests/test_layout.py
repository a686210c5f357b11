"""The README's layout is the project's: it names every source module, and
every file longer than 600 lines is there with the reason it is long."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

#: A file longer than this needs a stated reason.
LONG_FILE_LINES = 600

#: Source files, as git tracks them (what a clean clone holds).
SOURCE_SUFFIXES = (".rs", ".py", ".js", ".mjs", ".j2", ".sh", ".html", ".css")


def _tracked_sources() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout.decode()
    return sorted(
        p for p in out.split("\0") if p.endswith(SOURCE_SUFFIXES) and "__snapshots__" not in p
    )


def _section(title: str) -> str:
    """The README text under the heading ``title`` (any level), up to the next
    heading of the same or a higher level."""
    text = README.read_text(encoding="utf-8")
    m = re.search(rf"^(#+) {re.escape(title)}\n", text, re.M)
    assert m, f"README.md has no section {title!r}"
    level = len(m.group(1))
    rest = text[m.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[: end.start()] if end else rest


def _long_file_reasons() -> dict[str, str]:
    rows = re.findall(r"^\| `([^`]+)` \| (.*?) \|$", _section("Files above 600 lines"), re.M)
    return {path: reason.strip() for path, reason in rows}


def _lines(path: str) -> int:
    with open(ROOT / path, "rb") as f:
        return sum(1 for _ in f)


def test_every_file_above_600_lines_has_a_reason_in_the_readme() -> None:
    reasons = _long_file_reasons()
    long_files = [p for p in _tracked_sources() if _lines(p) > LONG_FILE_LINES]
    missing = [p for p in long_files if not reasons.get(p)]
    assert not missing, (
        f"files above {LONG_FILE_LINES} lines with no reason in README.md "
        f"('Files above 600 lines'): {missing}; split them, or say in one line why not"
    )
    stale = [p for p in reasons if p not in long_files]
    assert not stale, f"README.md gives reasons for files that are not long (any more): {stale}"
    wordy = [p for p, r in reasons.items() if len(r) > 200]
    assert not wordy, f"a reason is one line, at most 200 characters: {wordy}"


def test_the_readme_layout_names_every_source_module() -> None:
    layout = _section("Layout")
    names: set[str] = set()
    for path in _tracked_sources():
        p = Path(path)
        if path.startswith("dsp_rust/src/"):
            rel = p.relative_to("dsp_rust/src")
            # a module folder is named by its folder, a top-level file by its name
            names.add(f"{rel.parts[0]}/" if len(rel.parts) > 1 else rel.name)
        elif path.startswith(("python/dawgwasm/", "web/static/")) and p.parent.name != "cli":
            names.add(p.name)
    unnamed = sorted(n for n in names if n not in layout and n != "mod.rs")
    assert not unnamed, f"README.md's Layout does not name: {unnamed}"
