"""Every generated file is snapshot-tested (hashes and sizes normalised),
parses as JavaScript, and carries data only through JSON: hostile strings in
the parameter table round-trip exactly (TP2, TP4).

Regenerate the snapshots after an intended change with
``UPDATE_SNAPSHOTS=1 scripts/test.sh tests/snapshots``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dawgwasm import _paths
from dawgwasm._codegen import GENERATED, render_templates

SNAPSHOTS = Path(__file__).parent / "__snapshots__"
# The modules linked into the worklet entry: they are web/static's text (and
# tests/build/test_worklet_entry_links_its_modules.py tests the linking).
_LINKED = re.compile(r"// ---- begin \./.*// ---- end \./[^\n]* ----\n", re.S)


def normalise(text: str) -> str:
    text = re.sub(r'"sha256": "[0-9a-f]{64}"', '"sha256": "<sha256>"', text)
    text = re.sub(r'"bytes": \d+', '"bytes": "<bytes>"', text)
    return _LINKED.sub("<the modules it imports from web/static, linked>\n", text)


def check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no snapshot {path}; run with UPDATE_SNAPSHOTS=1 once"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from its snapshot; if the change is intended, "
        "run UPDATE_SNAPSHOTS=1 scripts/test.sh tests/snapshots"
    )


@pytest.mark.parametrize("filename", [*GENERATED.values(), "manifest.json"])
def test_generated_file_matches_snapshot(built_dist: Path, filename: str) -> None:
    check_snapshot(filename, normalise((built_dist / filename).read_text(encoding="utf-8")))


def node_module_dir(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text('{"type": "module"}\n')
    return folder


@pytest.mark.parametrize(
    "filename",
    sorted(
        [name for name in GENERATED.values() if name.endswith(".js")]
        + [p.name for p in _paths.static_dir().glob("*.js")]
    ),
)
def test_javascript_parses(built_dist: Path, tmp_path: Path, filename: str) -> None:
    shutil.copytree(built_dist, tmp_path / "d")
    folder = node_module_dir(tmp_path / "d")
    proc = subprocess.run(
        ["node", "--check", str(folder / filename)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr


def run_module(script: str, cwd: Path) -> str:
    """Run ``script`` as an ES module in Node from ``cwd``; return its stdout."""
    proc = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


HOSTILE = "a\"b'c\\</script>\u2028\u2029${x}`<!--"


def test_hostile_strings_round_trip_through_generated_js(built_dist: Path, tmp_path: Path) -> None:
    manifest = json.loads((built_dist / "manifest.json").read_text())
    manifest["params"][0]["doc"] = HOSTILE
    manifest["params"][0]["unit"] = HOSTILE[::-1]
    out = node_module_dir(tmp_path / "d")
    render_templates(manifest, _paths.templates_dir(), out)
    for src in _paths.static_dir().glob("*.js"):
        shutil.copyfile(src, out / src.name)
    script = (
        "const m = await import('./dawg-engine.js');"
        "const p = m.MANIFEST.params[0];"
        "process.stdout.write(JSON.stringify([p.doc, p.unit]));"
    )
    stdout = run_module(script, out)
    assert json.loads(stdout) == [HOSTILE, HOSTILE[::-1]]
    # The worklet entry registers the processor under the manifest's name.
    script = (
        "let got = null; globalThis.AudioWorkletProcessor = class {};"
        "globalThis.registerProcessor = (name) => { got = name; };"
        "await import('./dawg-processor.js'); process.stdout.write(String(got));"
    )
    stdout = run_module(script, out)
    assert stdout == manifest["processor_name"]


def test_descriptors_equal_the_rust_table(built_dist: Path, tmp_path: Path) -> None:
    """PR3: the JS module's parameter specs are the engine's table, exactly."""
    from dawgwasm import Engine

    shutil.copytree(built_dist, tmp_path / "d")
    out = node_module_dir(tmp_path / "d")
    script = (
        "const m = await import('./dawg-engine.js');"
        "process.stdout.write(JSON.stringify(m.MANIFEST.params));"
    )
    stdout = run_module(script, out)
    with Engine.from_dist(built_dist) as e:
        assert json.loads(stdout) == [p.to_json() for p in e.params.values()]
