"""Play a source (synth or sampler) of the JavaScript engine under real node
and the same source on a one-track Rust engine, from one list of events.

An event is ``(frame, "on", note, velocity)``, ``(frame, "off", note, ...)``,
``(frame, "all_off")``, ``(frame, "set", name, value)`` or (JS only)
``(frame, "reset")``; ``params`` are set
before frame 0 and followed by a reset (no ramps), as ``render_source`` in
tests/conftest.py does. Parameter rows are numbered as the manifest lists a
source's rows (its ``owner``), in id order.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

import dawgwasm
from dawgwasm import Engine
from tests.jsengine.node_units import STATIC, Call, JsRun, node_binary, run_js_unit

F32 = npt.NDArray[np.float32]
SourceEvent = tuple[Any, ...]
Sample = tuple[npt.ArrayLike, float]

# run_unit.mjs resolves modules from web/static.
_SAMPLER_RIG = "../../tests/jsengine/banked_sampler.mjs"


def source_param_names(manifest: Mapping[str, Any], kind: str) -> list[str]:
    """Names of the rows owned by source ``kind``, in row-index order."""
    rows = sorted((p for p in manifest["params"] if p["owner"] == kind), key=lambda p: p["id"])
    return [str(p["name"]) for p in rows]


def _f32(v: float) -> float:
    return float(np.float32(v))


def _js_calls(
    names: Sequence[str], params: Mapping[str, float], events: Sequence[SourceEvent]
) -> list[Call]:
    calls = [Call(0, "set", (names.index(k), _f32(v))) for k, v in params.items()]
    calls.append(Call(0, "reset"))
    for ev in events:
        frame, kind = int(ev[0]), ev[1]
        if kind == "on":
            calls.append(Call(frame, "noteOn", (int(ev[2]), _f32(ev[3]))))
        elif kind == "off":
            calls.append(Call(frame, "noteOff", (int(ev[2]),)))
        elif kind == "all_off":
            calls.append(Call(frame, "allNotesOff"))
        elif kind == "reset":
            calls.append(Call(frame, "reset"))
        elif kind == "set":
            calls.append(Call(frame, "set", (names.index(ev[2]), _f32(ev[3]))))
        else:
            raise ValueError(f"unknown event kind {kind!r} in {ev}")
    return calls


def _planar(data: npt.ArrayLike) -> F32:
    x = np.asarray(data, np.float32)
    return np.ascontiguousarray(x[None] if x.ndim == 1 else x)


def render_js_source(
    kind: str,
    names: Sequence[str],
    params: Mapping[str, float],
    events: Sequence[SourceEvent],
    frames: int,
    *,
    samples: Sequence[Sample] = (),
    sample_rate_hz: float = 48000.0,
    max_block_frames: int = 128,
    blocks: Sequence[int] = (128,),
    probes: Sequence[str] = (),
) -> JsRun:
    """``frames`` frames of the JS ``kind`` source (both channels), rendered
    in blocks of ``blocks`` sizes in turn, split at every event."""
    calls = _js_calls(names, params, events)
    common: dict[str, Any] = {
        "frames": frames,
        "calls": calls,
        "blocks": blocks,
        "probes": probes,
        "process": "render",
    }
    if kind == "synth":
        return run_js_unit(
            "dawg-js-synth.js", "Synth", [sample_rate_hz, max_block_frames], None, **common
        )
    if kind != "sampler":
        raise ValueError(f"unknown source {kind!r}")
    with tempfile.TemporaryDirectory(prefix="dawg-js-bank-") as tmp:
        specs = []
        for i, (data, rate) in enumerate(samples):
            x = _planar(data)
            path = Path(tmp) / f"sample{i}.f32"
            x.tofile(path)
            specs.append(
                {"path": str(path), "frames": x.shape[1], "channels": x.shape[0], "rate_hz": rate}
            )
        return run_js_unit(
            _SAMPLER_RIG,
            "BankedSampler",
            [sample_rate_hz, max_block_frames, specs],
            None,
            **common,
        )


def render_engine_source(
    make_engine: Callable[..., Engine],
    kind: str,
    params: Mapping[str, float],
    events: Sequence[SourceEvent],
    frames: int,
    *,
    samples: Sequence[Sample] = (),
    runtime: str = "simd",
    sample_rate_hz: float = 48000.0,
    quantum_frames: int = 128,
) -> F32:
    """The master output ``(2, frames)`` of a one-track Rust engine whose
    track plays ``kind`` (flat strip, unity fader, centre pan: the source's
    own output)."""
    e = make_engine(
        runtime,
        sample_rate_hz=sample_rate_hz,
        tracks=1,
        quantum_frames=quantum_frames,
        max_quanta=max(1, 8192 // quantum_frames),
    )
    e.set_source(0, kind)
    for data, rate in samples:
        e.add_sample(_planar(data), rate)
    e.set_many(dict(params), 0)
    e.reset()
    target = e.channel_target(track=0)
    queued: list[dawgwasm.Event] = []
    for ev in events:
        frame, what = int(ev[0]), ev[1]
        if what == "on":
            queued.append(dawgwasm.note_on(frame, 0, int(ev[2]), float(ev[3])))
        elif what == "off":
            queued.append(dawgwasm.note_off(frame, 0, int(ev[2])))
        elif what == "all_off":
            queued.append(dawgwasm.all_notes_off(frame, 0))
        elif what == "set":
            spec = e.params[str(ev[2])]
            queued.append(dawgwasm.param_set(frame, target, spec.id, float(ev[3])))
        else:
            raise ValueError(f"unknown event kind {what!r} in {ev}")
    e.queue(queued)
    out = e.render(np.zeros((0, 2, frames), np.float32))
    e.close()
    return np.ascontiguousarray(out)


#: What the JavaScript engine may allocate per event (a note, a parameter
#: change, or a parameter ramp of 20 ms), on average. Rendering allocates
#: nothing; code that runs per event or per ramp step (parameter routing,
#: coefficient redesign, voice allocation, a limiter's lookahead change)
#: passes numbers through calls V8 does not inline, or runs too rarely to be
#: optimised, and boxes them. Measured under node: 95 B (a strip alone) to
#: 1050 B (a limiter whose every parameter ramps in turn). At 2 KiB an event
#: a megabyte of young generation lasts 500 events.
JS_EVENT_ALLOWANCE_BYTES = 2048

_ALLOC_SCRIPT = """
import { Session } from 'node:inspector';
import { Synth } from './dawg-js-synth.js';
import { Sampler } from './dawg-js-sampler.js';
import { SampleBank } from './dawg-js-bank.js';
const kind = %r;
const l = new Float32Array(128), r = new Float32Array(128);
const bank = new SampleBank();
for (const [frames, channels, rate] of [[24000, 2, 44100], [5000, 1, 48000]]) {
  const id = bank.add(frames, channels, rate);
  const d = bank.dataFor(id);
  for (let i = 0; i < d.length; i++) d[i] = Math.sin(i * 0.02) * 0.5;
  bank.commit(id);
}
const s = kind === 'synth' ? new Synth(48000, 128) : new Sampler(48000, 128);
let events = 0;
function step(k) {
  if (k %% 40 === 0) {
    const n = 40 + ((k / 40) %% 60);
    if ((k / 40) %% 3 === 2) s.noteOff(n - 2); else s.noteOn(n, 0.9);
    events++;
    if (k %% 2000 === 0) { s.set(0, (k / 2000) %% 2); s.allNotesOff(); events += 2; }
  }
  if (kind === 'synth') s.render(l, r, 0, 128); else s.render(bank, l, r, 0, 128);
}
for (let k = 0; k < %d; k++) step(k);
// A full collection may discard optimised code holding objects it freed:
// warm up again after it.
globalThis.gc();
for (let k = 0; k < 8000; k++) step(k);
const session = new Session();
session.connect();
const post = (method, params) =>
  new Promise((ok, fail) => session.post(method, params, (e, res) => (e ? fail(e) : ok(res))));
await post('HeapProfiler.startSampling', {
  samplingInterval: 16,
  includeObjectsCollectedByMinorGC: true,
  includeObjectsCollectedByMajorGC: true,
});
events = 0;
for (let k = 0; k < %d; k++) step(k);
const { profile } = await post('HeapProfiler.stopSampling');
const bytesById = new Map();
for (const x of profile.samples) bytesById.set(x.nodeId, (bytesById.get(x.nodeId) || 0) + x.size);
const ours = import.meta.url.slice(0, import.meta.url.lastIndexOf('/') + 1);
const samples = [];
(function walk(node, stack, mine) {
  const f = node.callFrame;
  const name = f.functionName || '(anonymous)';
  const here = [`${name} ${f.url.split('/').pop()}:${f.lineNumber + 1}`, ...stack];
  const m = mine || (f.url.startsWith(ours) && f.url !== import.meta.url);
  const bytes = bytesById.get(node.id) || 0;
  if (bytes > 0 && m) samples.push({ bytes, stack: here });
  for (const c of node.children) walk(c, here, m);
})(profile.head, [], false);
console.log(JSON.stringify({ events, samples }));
"""


def allocations_while_rendering(kind: str, warm_up: int, quanta: int) -> tuple[int, int, str]:
    """What the JS ``kind`` source allocates, measured with V8's sampling
    heap profiler (16-byte mean interval, freed objects kept), while it
    renders ``quanta`` quanta of 128 frames with notes starting and ending
    every 40 quanta (and a parameter change and an all-notes-off every
    2000), after ``warm_up`` quanta of the same: (events, bytes, the five
    stacks that allocated most)."""
    proc = subprocess.run(
        [
            node_binary(),
            "--expose-gc",
            "--input-type=module",
            "-e",
            _ALLOC_SCRIPT % (kind, warm_up, quanta),
        ],
        cwd=STATIC,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"node failed ({proc.returncode}):\n{proc.stderr}")
    report = json.loads(proc.stdout.splitlines()[-1])
    by_stack: dict[str, int] = {}
    for sample in report["samples"]:
        key = " < ".join(sample["stack"][:4])
        by_stack[key] = by_stack.get(key, 0) + int(sample["bytes"])
    worst = sorted(by_stack.items(), key=lambda kv: -kv[1])[:5]
    return (
        int(report["events"]),
        sum(by_stack.values()),
        "\n".join(f"  {b} B: {k}" for k, b in worst),
    )
