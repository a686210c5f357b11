"""The render harnesses evaluated in Chromium: each ``render_*.js`` is an
async arrow function, given the helpers of ``harness.js`` in scope."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent


def harness(name: str) -> str:
    """The function text of ``name`` (e.g. ``render_session.js``) for
    ``page.evaluate``, with the shared helpers defined around it."""
    helpers = (HERE / "harness.js").read_text(encoding="utf-8")
    body = (HERE / name).read_text(encoding="utf-8").strip().rstrip(";")
    return f"(args) => {{\n{helpers}\nreturn ({body})(args);\n}}"
