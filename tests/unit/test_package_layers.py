"""The package's imports point one way: read from every module's import
statements (those inside functions too), there is no circle among
``dawgwasm.*`` modules, no package module imports a ``cli`` module (the
command line sits on top and only parses and prints), and no private module
imports the package root ``dawgwasm`` or ``dawgwasm.cli``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "python" / "dawgwasm"

Graph = dict[str, set[str]]


def module_names(package: Path) -> dict[str, Path]:
    """``dawgwasm.x.y`` → its file, for every module of the package."""
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def imports_of(name: str, path: Path, modules: set[str]) -> set[str]:
    """The ``dawgwasm`` modules that ``name`` imports, wherever the import
    statement stands. ``from P import X`` counts as ``P.X`` when that is a
    module, else as ``P``; a relative import is resolved against ``name``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in modules else base)
    return {m for m in found if m == "dawgwasm" or m.startswith("dawgwasm.")}


def import_graph(package: Path) -> Graph:
    modules = module_names(package)
    return {name: imports_of(name, path, set(modules)) - {name} for name, path in modules.items()}


def circles(graph: Graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def is_cli(name: str) -> bool:
    return name == "dawgwasm.cli" or name.startswith("dawgwasm.cli.")


def is_private(name: str) -> bool:
    return name.rpartition(".")[2].startswith("_") and not is_cli(name)


def layer_problems(graph: Graph) -> list[str]:
    """Every breach of the rules in the module docs, one line each."""
    problems = [f"import circle: {' -> '.join(c)}" for c in circles(graph)]
    for name, deps in sorted(graph.items()):
        for dep in sorted(deps):
            if is_cli(dep) and not is_cli(name):
                problems.append(f"{name} imports {dep}: the package never imports the CLI")
            if is_private(name) and (dep == "dawgwasm" or is_cli(dep)):
                problems.append(f"{name} imports {dep}: a private module imports neither")
    return problems


def test_the_package_imports_point_one_way() -> None:
    graph = import_graph(PACKAGE)
    assert "dawgwasm._engine" in graph and "dawgwasm.cli.demo" in graph
    assert layer_problems(graph) == []


def write_package(root: Path, files: dict[str, str]) -> Path:
    package = root / "dawgwasm"
    for rel, text in files.items():
        path = package / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return package


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        (
            {
                "__init__.py": "",
                "_a.py": "from dawgwasm._b import x\n",
                "_b.py": "def f():\n    from dawgwasm import _a\n",
            },
            "import circle: dawgwasm._a -> dawgwasm._b",
        ),
        (
            {"__init__.py": "", "_a.py": "from . import _b\n", "_b.py": "import dawgwasm._a\n"},
            "import circle: dawgwasm._a -> dawgwasm._b",
        ),
        (
            {"__init__.py": "", "_a.py": "from dawgwasm import __version__\n"},
            "dawgwasm._a imports dawgwasm: a private module imports neither",
        ),
        (
            {
                "__init__.py": "",
                "_a.py": "def f():\n    from dawgwasm.cli import main\n",
                "cli/__init__.py": "def main(): ...\n",
            },
            "dawgwasm._a imports dawgwasm.cli: the package never imports the CLI",
        ),
        (
            {
                "__init__.py": "from dawgwasm.cli.demo import command\n",
                "cli/__init__.py": "",
                "cli/demo.py": "",
            },
            "dawgwasm imports dawgwasm.cli.demo: the package never imports the CLI",
        ),
    ],
)
def test_a_breach_of_the_layers_is_caught(
    tmp_path: Path, files: dict[str, str], problem: str
) -> None:
    """The check above can fail: each rule, broken in a small package."""
    assert problem in layer_problems(import_graph(write_package(tmp_path, files)))


def test_a_clean_small_package_passes(tmp_path: Path) -> None:
    package = write_package(
        tmp_path,
        {
            "__init__.py": "from dawgwasm._b import f\n",
            "_a.py": "X = 1\n",
            "_b.py": "from dawgwasm import _a\n\ndef f():\n    from dawgwasm._a import X\n",
            "cli/__init__.py": "import dawgwasm\nfrom dawgwasm.cli import demo\n",
            "cli/demo.py": "from dawgwasm._b import f\n",
        },
    )
    assert layer_problems(import_graph(package)) == []
