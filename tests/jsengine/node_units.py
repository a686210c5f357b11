"""Run one object of the JavaScript engine (a unit, the channel strip, a
source) under real node, straight on a signal: ``run_js_unit`` writes the
input as raw float32, runs ``run_unit.mjs`` with a JSON job and reads the
output back."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

DRIVER = Path(__file__).with_name("run_unit.mjs")
STATIC = Path(__file__).resolve().parents[2] / "web" / "static"

F32 = npt.NDArray[np.float32]


def node_binary() -> str:
    """The ``node`` on PATH; a clear error when there is none."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not on PATH: install Node.js (Debian: apt-get install nodejs)")
    return node


@dataclass(frozen=True)
class Call:
    """``method(*args)`` on the object before frame ``frame`` is processed."""

    frame: int
    method: str
    args: Sequence[Any] = ()


@dataclass
class JsRun:
    """What one run produced: the output channels (``(channels, frames)``
    float32), the blocks processed and each probe's result after every block."""

    output: F32
    blocks: list[tuple[int, int]]
    probes: dict[str, list[Any]] = field(default_factory=dict)


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def run_js_unit(
    module: str,
    cls: str,
    args: Sequence[Any],
    signal: npt.ArrayLike | None,
    *,
    frames: int | None = None,
    sets: Sequence[Sequence[Any]] = (),
    calls: Sequence[Call] = (),
    blocks: Sequence[int] = (128,),
    probes: Sequence[str] = (),
    process: str = "process",
    channels: int = 2,
) -> JsRun:
    """Construct ``cls(*args)`` from ``web/static/<module>``, call ``set(*row)``
    for each row of ``sets`` before the first frame, then ``process`` the
    planar ``signal`` (``(channels, frames)``; None: ``frames`` of silence)
    in blocks of ``blocks`` sizes used in turn, with ``calls`` made at their
    frames (blocks split there); ``probes`` are methods called after every
    block."""
    if signal is None:
        if frames is None:
            raise ValueError("give a signal or a frame count")
        x = np.zeros((channels, frames), np.float32)
    else:
        x = np.ascontiguousarray(np.asarray(signal, np.float32))
        if x.ndim != 2 or x.shape[0] != channels:
            raise ValueError(f"signal must be ({channels}, frames), got {x.shape}")
    n = int(x.shape[1])
    all_calls = [Call(0, "set", tuple(row)) for row in sets] + list(calls)
    with tempfile.TemporaryDirectory(prefix="dawg-js-") as tmp:
        src = Path(tmp) / "in.f32"
        dst = Path(tmp) / "out.f32"
        x.tofile(src)
        job: Mapping[str, Any] = {
            "module": module,
            "class": cls,
            "args": [_jsonable(a) for a in args],
            "channels": channels,
            "frames": n,
            "input": str(src),
            "output": str(dst),
            "blocks": [int(b) for b in blocks],
            "calls": [
                {"frame": int(c.frame), "method": c.method, "args": [_jsonable(a) for a in c.args]}
                for c in all_calls
            ],
            "process": process,
            "probes": list(probes),
        }
        proc = subprocess.run(
            [node_binary(), str(DRIVER), "-"],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{module} {cls}: node failed ({proc.returncode}):\n{proc.stderr}")
        out = np.fromfile(dst, np.float32).reshape(channels, n)
    report = json.loads(proc.stdout)
    return JsRun(
        output=out,
        blocks=[(int(a), int(b)) for a, b in report["blocks"]],
        probes={k: list(v) for k, v in report["probes"].items()},
    )


def js_export(module: str, name: str) -> Any:
    """The JSON value of export ``name`` of ``web/static/<module>``, read under node."""
    url = (STATIC / module).as_uri()
    script = (
        f"const m = await import({json.dumps(url)});"
        f"process.stdout.write(JSON.stringify(m[{json.dumps(name)}]));"
    )
    proc = subprocess.run(
        [node_binary(), "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{module} {name}: node failed ({proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout)


def render_with_changes(
    engine: Any,
    x: npt.ArrayLike,
    changes: Sequence[tuple[int, str, float]] = (),
    *,
    slot: int = 0,
) -> F32:
    """Render ``x`` (``(2, frames)``) through track 0 of a ``dawgwasm.Engine``
    with ``(frame, name, value)`` parameter sets landing on their frames
    (sample-accurate events on track 0, insert ``slot`` or its channel)."""
    from dawgwasm import param_set

    events = [
        param_set(f, engine.target(engine.params[name], 0, slot=slot), engine.params[name].id, v)
        for f, name, v in changes
    ]
    engine.queue(events)
    return np.asarray(engine.render(x), np.float32)
