"""The reference session renders exactly as recorded in tests/golden/reference.json.

A change to the DSP that changes the sound fails here; if the change is
meant, regenerate with ``.venv/bin/python scripts/update_golden.py`` and
review the diff of the excerpts.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.golden import GOLDEN, digest, render_reference


@pytest.mark.parametrize("runtime", ["simd", "scalar", "native"])
def test_reference_session_matches_its_golden_render(
    built_dist: Path, native_lib: Path, runtime: str
) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    out = render_reference(runtime, built_dist, native_lib)
    assert out.shape[1] == golden["frames"]
    if digest(out) == golden["sha256"][runtime]:
        return
    worst = []
    for ex in golden["excerpts"]:
        s = ex["start"]
        n = len(ex["left"])
        got = np.stack([out[0, s : s + n], out[1, s : s + n]])
        want = np.array([ex["left"], ex["right"]], np.float32)
        worst.append((s, float(np.max(np.abs(got - want)))))
    pytest.fail(
        f"{runtime} render differs from the golden hash; largest excerpt differences "
        f"(start frame, max |diff|): {worst}. If the sound change is intended, run "
        "scripts/update_golden.py"
    )
