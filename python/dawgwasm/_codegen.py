"""Render the AudioWorklet glue from Jinja2 templates.

Templates hold data slots only: values enter JavaScript solely through the
``tojson`` filter (which also escapes ``<``, ``>``, ``&`` and ``'``), undefined
variables fail the build (``StrictUndefined``), and HTML is autoescaped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dawgwasm import _paths
from dawgwasm._errors import BuildError

__all__ = ["GENERATED", "PROCESSOR_NAME_RE", "render_templates"]

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


def _strict_tojson(value: Any) -> Any:
    """Jinja2's ``tojson`` (sorted keys, HTML-safe), but an undefined value is
    an error instead of something JSON cannot encode."""
    import jinja2
    import jinja2.utils

    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    return jinja2.utils.htmlsafe_json_dumps(value, sort_keys=True)


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
                "params": manifest["params"],
                "status": manifest["status"],
                "rules": {"targets": manifest["rules"]["targets"]},
            },
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
        path = out_dir / filename
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
