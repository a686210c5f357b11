"""Render the AudioWorklet glue from Jinja2 templates.

Templates hold data slots only: values enter JavaScript solely through the
``tojson`` filter (which also escapes ``<``, ``>``, ``&`` and ``'``), undefined
variables fail the build (``StrictUndefined``), and HTML is autoescaped.

The worklet entry ``dawg-processor.js`` is one self-contained module: the
rendered template with every module it imports from ``web/static`` linked in
(:func:`link_modules`). A bundler that meets
``new URL("./dawg-processor.js", import.meta.url)`` copies that one file
under a new name, so nothing it imports may be left to resolve next to it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dawgwasm import _paths
from dawgwasm._errors import BuildError

__all__ = ["GENERATED", "PROCESSOR_NAME_RE", "link_modules", "render_templates", "runtime_files"]

#: template → generated file name.
GENERATED = {
    "processor.js.j2": "dawg-processor.js",
    "engine.js.j2": "dawg-engine.js",
    "engine.d.ts.j2": "dawg-engine.d.ts",
    "package.json.j2": "package.json",
}

#: What a build holds besides the generated files, the static modules and
#: the wasm variants: what ``package.json`` ships (``files``).
PACKAGE_EXTRA_FILES = ("manifest.json", "reference-session.json", "samples/")

PROCESSOR_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,63}$")

#: The generated module that holds its imports linked in.
LINKED = "dawg-processor.js"

# The module grammar link_modules() takes: static imports and exports at the
# start of a line, relative specifiers in double quotes.
_IMPORT_FROM = re.compile(r'^import\s+(?P<what>[^;"]*?)\s+from\s*"(?P<src>[^"]+)"\s*;[ \t]*$', re.M)
_IMPORT_BARE = re.compile(r'^import\s*"(?P<src>[^"]+)"\s*;[ \t]*$', re.M)
_EXPORT_FROM = re.compile(
    r'^export\s*(?:\{(?P<names>[^}]*)\}|\*)\s*from\s*"(?P<src>[^"]+)"\s*;[ \t]*$', re.M
)
_EXPORT_LIST = re.compile(r"^export\s*\{(?P<names>[^}]*)\}\s*;[ \t]*$", re.M)
_EXPORT_DECL = re.compile(
    r"^export\s+(?P<kw>(?:async\s+)?function\s*\*?|class|const|let|var)\s+(?P<name>[A-Za-z_$][\w$]*)",
    re.M,
)
_EXPORT_ANY = re.compile(r"^export\b.*$", re.M)
_IMPORT_ANY = re.compile(r"^import\b.*$", re.M)
_NAME = re.compile(r"^[A-Za-z_$][\w$]*$")


def _strict_tojson(value: Any) -> Any:
    """Jinja2's ``tojson`` (sorted keys, HTML-safe), but an undefined value is
    an error instead of something JSON cannot encode."""
    import jinja2
    import jinja2.utils

    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    return jinja2.utils.htmlsafe_json_dumps(value, sort_keys=True)


def _pairs(names: str, where: str) -> list[tuple[str, str]]:
    """``a, b as c`` → [("a", "a"), ("b", "c")]."""
    pairs = []
    for item in names.split(","):
        item = item.strip()
        if not item:
            continue
        parts = item.split()
        if len(parts) == 1:
            pairs.append((parts[0], parts[0]))
        elif len(parts) == 3 and parts[1] == "as":
            pairs.append((parts[0], parts[2]))
        else:
            raise BuildError(f"{where}: cannot read the name list item {item!r}")
        for name in pairs[-1]:
            if not _NAME.match(name) or name == "default":
                raise BuildError(f"{where}: {name!r} is not a plain named import or export")
    return pairs


class _Module:
    """One ES module of web/static, read for linking."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.deps: list[str] = []
        # (local name, dependency, imported name) and (dependency, namespace name)
        self.imports: list[tuple[str, str, str]] = []
        self.namespaces: list[tuple[str, str]] = []
        # exported name → local name, or (dependency, its name) for re-exports
        self.exports: dict[str, str] = {}
        self.reexports: dict[str, tuple[str, str]] = {}
        self.stars: list[str] = []
        self.body = self._read(text)

    def _dep(self, src: str) -> str:
        if not src.startswith("./") or "/" in src[2:] or not src.endswith(".js"):
            raise BuildError(
                f"{self.name} imports {src!r}: the worklet's modules import only "
                'their neighbours in web/static, as "./name.js"'
            )
        dep = src[2:]
        if dep not in self.deps:
            self.deps.append(dep)
        return dep

    def _read(self, text: str) -> str:
        def import_from(m: re.Match[str]) -> str:
            dep = self._dep(m["src"])
            what = m["what"].strip()
            if what.startswith("* as "):
                self.namespaces.append((what[5:].strip(), dep))
            elif what.startswith("{") and what.endswith("}"):
                for imported, local in _pairs(what[1:-1], self.name):
                    self.imports.append((local, dep, imported))
            else:
                raise BuildError(f"{self.name}: default imports cannot be linked ({m[0].strip()})")
            return ""

        def import_bare(m: re.Match[str]) -> str:
            self._dep(m["src"])
            return ""

        def export_from(m: re.Match[str]) -> str:
            dep = self._dep(m["src"])
            if m["names"] is None:
                self.stars.append(dep)
            else:
                for imported, exported in _pairs(m["names"], self.name):
                    self.reexports[exported] = (dep, imported)
            return ""

        def export_list(m: re.Match[str]) -> str:
            for local, exported in _pairs(m["names"], self.name):
                self.exports[exported] = local
            return ""

        def export_decl(m: re.Match[str]) -> str:
            self.exports[m["name"]] = m["name"]
            return m[0][len("export") :].lstrip()

        text = _IMPORT_FROM.sub(import_from, text)
        text = _IMPORT_BARE.sub(import_bare, text)
        text = _EXPORT_FROM.sub(export_from, text)
        text = _EXPORT_LIST.sub(export_list, text)
        text = _EXPORT_DECL.sub(export_decl, text)
        for pattern, what in ((_EXPORT_ANY, "export"), (_IMPORT_ANY, "import")):
            left = pattern.search(text)
            if left is not None:
                raise BuildError(f"{self.name}: cannot link the {what} {left[0].strip()!r}")
        return text

    def names(self, modules: dict[str, _Module]) -> set[str]:
        """Every name the module exports, re-exports included."""
        found = set(self.exports) | set(self.reexports)
        for dep in self.stars:
            found |= modules[dep].names(modules)
        return found


def _var(name: str) -> str:
    return "__module_" + re.sub(r"\W", "_", name.removesuffix(".js"))


def link_modules(entry: str, folder: Path) -> str:
    """``entry`` (module text) with every module it imports from ``folder``,
    directly or not, linked in: each one's body in a function scope of its own
    (so top-level names never collide) whose exports become an object, in an
    order where every module comes after what it imports. Only named imports
    and exports at the start of a line, of neighbouring modules, are taken
    (the grammar of web/static); anything else is a :class:`BuildError`."""
    modules: dict[str, _Module] = {}
    order: list[str] = []

    def visit(name: str, path: list[str]) -> None:
        if name in order:
            return
        if name in path:
            circle = " -> ".join([*path, name])
            raise BuildError(f"the worklet's modules import in a circle: {circle}")
        if name not in modules:
            file = folder / name
            if not file.is_file():
                importer = path[-1] if path else LINKED
                raise BuildError(f"{importer} imports ./{name}, which is not in {folder}")
            modules[name] = _Module(name, file.read_text(encoding="utf-8"))
        for dep in modules[name].deps:
            visit(dep, [*path, name])
        order.append(name)

    top = _Module(LINKED, entry)
    for dep in top.deps:
        visit(dep, [LINKED])
    if top.exports or top.reexports or top.stars:
        raise BuildError(f"{LINKED} exports nothing; it registers the processor")

    def bindings(module: _Module) -> str:
        lines = []
        for local, dep, imported in module.imports:
            if imported not in modules[dep].names(modules):
                raise BuildError(
                    f"{module.name} imports {imported} from ./{dep}, which does not export it"
                )
            lines.append(f"const {local} = {_var(dep)}.{imported};")
        for local, dep in module.namespaces:
            lines.append(f"const {local} = {_var(dep)};")
        return "\n".join(lines)

    parts = []
    for name in order:
        m = modules[name]
        fields = [f"{exported}: {local}" for exported, local in sorted(m.exports.items())]
        for exported, (dep, imported) in sorted(m.reexports.items()):
            fields.append(f"{exported}: {_var(dep)}.{imported}")
        spread = [f"...{_var(dep)}" for dep in m.stars]
        parts.append(
            f"// ---- begin ./{name} ----\n"
            f"const {_var(name)} = Object.freeze((() => {{\n{bindings(m)}\n{m.body.strip()}\n"
            f"return {{ {', '.join([*spread, *fields])} }};\n}})());\n"
            f"// ---- end ./{name} ----\n"
        )
    head, sep, rest = top.body.partition("\n\n")
    return f"{head}{sep}" + "\n".join(parts) + "\n" + bindings(top) + "\n" + rest.lstrip("\n")


def runtime_files(manifest: dict[str, Any]) -> list[str]:
    """The files of a build the browser glue loads at run time, by path in the
    build: the worklet entry, every wasm variant, the built-in samples and
    their index. The generated ``dawg-engine.js`` names each in a
    ``new URL("./path", import.meta.url)`` a bundler can follow."""
    from dawgwasm._dist import SAMPLES_DIR
    from dawgwasm._samples import SAMPLES

    return [
        LINKED,
        *(str(manifest["wasm"][v]["file"]) for v in sorted(manifest["wasm"])),
        f"{SAMPLES_DIR}/index.json",
        *(f"{SAMPLES_DIR}/{name}.f32" for name in SAMPLES),
    ]


def render_templates(manifest: dict[str, Any], templates: Path, out_dir: Path) -> list[Path]:
    """Render every template in :data:`GENERATED` into ``out_dir``."""
    import jinja2

    name = str(manifest.get("processor_name", ""))
    if not PROCESSOR_NAME_RE.match(name):
        raise BuildError(
            f"processor name {name!r} is not allowed: use lowercase letters, digits and '-', "
            "starting with a letter, at most 64 characters"
        )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "htm"]),
        keep_trailing_newline=True,
    )
    env.filters["tojson"] = _strict_tojson
    files = sorted(
        {
            *GENERATED.values(),
            *(p.name for p in _paths.static_dir().glob("*.js")),
            *(str(w["file"]) for w in manifest["wasm"].values()),
            *PACKAGE_EXTRA_FILES,
        }
        - {"package.json"}
    )
    context = {
        "manifest": {
            **manifest,
            "public": manifest,
            "worklet": {
                "processor_name": manifest["processor_name"],
                "abi_version": manifest["abi_version"],
                "quantum_frames": manifest["quantum_frames"],
                "limits": manifest["limits"],
                "units": manifest["units"],
                "sources": manifest["sources"],
                "params": manifest["params"],
                "status": manifest["status"],
                "rules": {"targets": manifest["rules"]["targets"]},
            },
            "runtime_files": runtime_files(manifest),
            "package": {
                "name": manifest["crate"]["npm_name"],
                "version": manifest["crate"]["version"],
                "description": f"The {manifest['crate']['name']} mixer DSP as an AudioWorklet "
                "(WebAssembly, SIMD and scalar), built by dawgwasm.",
                "files": files,
            },
        }
    }
    written = []
    for template, filename in GENERATED.items():
        try:
            text = env.get_template(template).render(context)
        except jinja2.TemplateError as e:
            raise BuildError(f"template {template} failed: {e}") from e
        if filename == LINKED:
            text = link_modules(text, _paths.static_dir())
        path = out_dir / filename
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
