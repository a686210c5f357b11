#!/usr/bin/env python3
"""Regenerate the golden renders of the reference session.

Run only when a change to the DSP is meant to change the sound:

    .venv/bin/python scripts/update_golden.py

It builds the crate, renders one pass of the reference session at 48 kHz
on wasmtime (SIMD and scalar builds) and natively, and writes
tests/golden/reference.json: the SHA-256 of each render's float32 bytes
and short excerpts (so a failing test can say where and by how much the
sound changed). tests/session/test_golden.py compares against it.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from golden import GOLDEN, render_reference, summarise  # noqa: E402


def main() -> None:
    import dawgwasm

    with tempfile.TemporaryDirectory() as tmp:
        dist = Path(tmp) / "dist"
        dawgwasm.build(dist)
        native = dawgwasm.build_native()
        renders = {rt: render_reference(rt, dist, native) for rt in ("simd", "scalar", "native")}
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(json.dumps(summarise(renders), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
