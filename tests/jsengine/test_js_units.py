"""The JavaScript engine's unit table (web/static/dawg-js-units.js): the
units in the order of the build's manifest (a slot's kind is the index plus
one), each made at a sample rate with every parameter row at the manifest's
default (rounded to float32), the same rows ``set`` and ``get`` index, and a
sample rate the Rust refuses refused with a RangeError."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from tests.jsengine.node_units import STATIC, node_binary

PROBE = """
import { UNITS } from "%(units)s";
const report = UNITS.map((u) => {
  const unit = u.make(48000, 128);
  const values = [];
  for (let i = 0; i < %(rows)d; i++) values.push(unit.get(i));
  const refused = [];
  for (const rate of [NaN, Infinity, 0, -48000]) {
    try {
      u.make(rate, 128);
    } catch (e) {
      refused.push(e instanceof RangeError ? "RangeError" : String(e));
      continue;
    }
    refused.push(null);
  }
  return { name: u.name, values, refused, tail: unit.tailFrames(), quiet: unit.isQuiet() };
});
process.stdout.write(JSON.stringify(report));
"""


def run_probe(rows: int) -> list[dict[str, Any]]:
    script = PROBE % {"units": (STATIC / "dawg-js-units.js").as_uri(), "rows": rows}
    proc = subprocess.run(
        [node_binary(), "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report: list[dict[str, Any]] = json.loads(proc.stdout)
    return report


def test_js_units_follow_the_manifest_order_rows_and_defaults(built_dist: Path) -> None:
    manifest = json.loads((built_dist / "manifest.json").read_text())
    rows = {
        name: [p for p in manifest["params"] if p["scope"] == "insert" and p["owner"] == name]
        for name in manifest["units"]
    }
    longest = max(len(r) for r in rows.values())
    report = run_probe(longest)
    assert [u["name"] for u in report] == manifest["units"]
    for unit in report:
        specs = rows[unit["name"]]
        want = [float(np.float32(p["default"])) for p in specs]
        assert unit["values"][: len(specs)] == want, unit["name"]
        assert unit["tail"] >= 0
        assert unit["quiet"] is True  # a fresh unit has heard nothing


def test_js_units_refuse_a_sample_rate_the_rust_refuses() -> None:
    """The delay and the reverb refuse a rate that is not finite and at least
    1 Hz (Rust ConfigError::SampleRate); the other units take any rate."""
    report = {u["name"]: u["refused"] for u in run_probe(1)}
    assert report["delay"] == ["RangeError"] * 4
    assert report["reverb"] == ["RangeError"] * 4
