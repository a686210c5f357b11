"""The worklet entry of a build is one self-contained module: link_modules()
puts every module it imports (directly or not) into it, each in a scope of
its own, so that a bundler may copy the file anywhere under any name. What it
links behaves as the modules did under node; what it cannot link exactly
(default imports, imports from elsewhere than a neighbour, a name that is not
exported, a circle) is a BuildError that names the module."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dawgwasm._codegen import link_modules
from dawgwasm._errors import BuildError

ENTRY = 'import { report } from "./top.js";\n\nreport();\n'

MODULES = {
    # Same top-level name as in b.js: each module keeps its own.
    "a.js": 'const secret = "a";\nexport const A = secret + "1";\nexport function twice(x) {\n'
    "  return 2 * x;\n}\n",
    "b.js": 'import { A, twice as double } from "./a.js";\nconst secret = "b";\n'
    "export class B {\n  value() {\n    return A + secret + double(21);\n  }\n}\n"
    "const hidden = 7;\nexport { hidden as seven };\n",
    "again.js": 'export { A as first } from "./a.js";\nexport * from "./b.js";\n',
    "top.js": 'import * as again from "./again.js";\nimport { B } from "./b.js";\n'
    "export function report() {\n"
    "  const names = Object.keys(again).sort();\n"
    "  globalThis.result = [again.first, new B().value(), again.seven, names];\n"
    "}\n",
}


def write(folder: Path, modules: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in modules.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def run_linked(text: str, tmp_path: Path) -> str:
    path = tmp_path / "linked.mjs"
    path.write_text(text + "\nprocess.stdout.write(JSON.stringify(globalThis.result));\n")
    proc = subprocess.run(["node", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_linked_modules_behave_as_the_modules_did(tmp_path: Path) -> None:
    folder = write(tmp_path / "static", MODULES)
    linked = link_modules(ENTRY, folder)
    assert "\nimport " not in linked and not linked.startswith("import")
    # Every module once, each after what it imports.
    begins = [line for line in linked.splitlines() if line.startswith("// ---- begin")]
    assert begins == [f"// ---- begin ./{m} ----" for m in ("a.js", "b.js", "again.js", "top.js")]
    want = '["a1","a1b42",7,["B","first","seven"]]'
    assert run_linked(linked, tmp_path) == want
    # The same through node's own module loader.
    (folder / "entry.mjs").write_text(
        ENTRY + "process.stdout.write(JSON.stringify(globalThis.result));\n", encoding="utf-8"
    )
    (folder / "package.json").write_text('{"type": "module"}', encoding="utf-8")
    proc = subprocess.run(
        ["node", str(folder / "entry.mjs")], capture_output=True, text=True, timeout=60
    )
    assert proc.stdout == want, proc.stderr


@pytest.mark.parametrize(
    ("modules", "message"),
    [
        (
            {"top.js": 'import thing from "./a.js";\nexport const report = thing;\n'},
            "default imports",
        ),
        ({"top.js": 'import { x } from "../elsewhere/a.js";\n'}, "only\\s+their neighbours"),
        ({"top.js": 'import { x } from "some-package";\n'}, "only\\s+their neighbours"),
        (
            {"top.js": 'import { nope } from "./a.js";\nexport const report = 1;\n', "a.js": ""},
            "imports nope from ./a.js, which does not export it",
        ),
        (
            {
                "top.js": 'import { b } from "./b.js";\nexport const report = b;\n',
                "b.js": 'import { report } from "./top.js";\nexport const b = 1;\n',
            },
            r"circle: dawg-processor.js -> top.js -> b.js -> top.js",
        ),
        ({"top.js": "export default function report() {}\n"}, "cannot link the export"),
        ({}, "imports ./top.js, which is not in"),
    ],
)
def test_what_cannot_be_linked_exactly_is_refused_by_name(
    tmp_path: Path, modules: dict[str, str], message: str
) -> None:
    folder = write(tmp_path / "static", modules)
    with pytest.raises(BuildError, match=message):
        link_modules(ENTRY, folder)


def test_the_built_worklet_entry_imports_nothing(built_dist: Path) -> None:
    text = (built_dist / "dawg-processor.js").read_text(encoding="utf-8")
    assert not any(line.startswith(("import ", "export ")) for line in text.splitlines())
    assert "// ---- begin ./dawg-worklet-core.js ----" in text
    assert "// ---- begin ./dawg-js-abi.js ----" in text
