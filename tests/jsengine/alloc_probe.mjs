// Finds what rendering allocates in the JavaScript engine. It builds one
// engine through createJsExports (a track fed by its input with a working
// strip and `unit` in insert 1, or a track playing `source`) and renders it
// in two phases, each warmed up first and then measured over QUANTA quanta
// under V8's sampling heap profiler (a 16-byte mean interval, keeping what
// collections freed, so nearly every allocation is seen with the stack that
// made it):
//
//   "automation": notes every 40 quanta, a ramp of the strip, the fader or
//     the pan every 100, a ramp of each of the unit's parameters in turn
//     every 100, and an input that falls silent for 300 of every 1200 quanta
//     (long enough for the track to go to sleep and wake again);
//   "steady": the same engine with no events at all, an input that keeps
//     sounding or a note held.
//
// It prints one JSON line per phase: {"phase", "frames", "events" (notes
// and ramps started), "samples": [{"bytes", "stack": ["function file:line",
// innermost first]}]}, the samples being those with a frame in the build's
// own files.
//
// Usage: node --expose-gc alloc_probe.mjs <build> <unit|synth|sampler|none> <quanta>

import { readFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [dist, probed, quantaText] = process.argv.slice(2);
// "limiter-true-peak" is the limiter with lim_true_peak on.
const what = probed === "limiter-true-peak" ? "limiter" : probed;
const table = JSON.parse(readFileSync(join(dist, "manifest.json"), "utf8"));
const { createJsExports } = await import(pathToFileURL(join(dist, "dawg-js-abi.js")).href);
const x = createJsExports(table);
const idOf = (name) => table.params.findIndex((p) => p.name === name);
const h = x.dawg_engine_new(48000, 2, 128, 1);
x.dawg_set_param(h, 0, idOf("comp_threshold_db"), -24);
x.dawg_set_param(h, 0, idOf("comp_ratio"), 4);
x.dawg_set_param(h, 0, idOf("send_1_db"), -6);
x.dawg_set_param(h, x.dawg_target(1, 0, 0), idOf("gain_db"), -3);
const input = x.dawg_input_ptr(h, 0) / 4;
const source = table.sources.indexOf(what);
if (table.units.includes(what)) {
  x.dawg_insert_set(h, 0, 1, table.units.indexOf(what) + 1);
  if (probed === "limiter-true-peak") {
    x.dawg_set_param(h, x.dawg_target(0, 0, 1), idOf("lim_true_peak"), 1);
  }
} else if (source > 0) {
  x.dawg_track_source(h, 0, source);
  if (what === "sampler") {
    const id = x.dawg_sample_add(h, 24000, 2, 44100);
    const data = new Float32Array(x.memory.buffer, x.dawg_sample_ptr(h, id), 48000);
    for (let i = 0; i < 48000; i++) {
      data[i] = Math.sin(i * 0.02) * (1 - (i % 24000) / 24000);
    }
    x.dawg_sample_commit(h, id);
  }
}
const f32 = new Float32Array(x.memory.buffer);
const u32 = new Uint32Array(x.memory.buffer);
const staging = x.dawg_events_ptr(h) / 4;
const RAMPED = ["low_gain_db", "mid_hz", "high_gain_db", "comp_makeup_db", "gain_db", "pan"].map(idOf);
// The unit in insert 1 (if any): every continuous parameter of it ramps in turn too.
const UNIT_TARGET = x.dawg_target(0, 0, 1);
const UNIT_RAMPED = table.params.filter((p) => p.owner === what && p.scope === "insert" && !p.stepped);

function stage(slot, offset, kind, target, id, value, aux) {
  const w = staging + slot * 8;
  u32[w] = offset;
  u32[w + 1] = kind;
  u32[w + 2] = target;
  u32[w + 3] = id;
  f32[w + 4] = value;
  f32[w + 5] = aux;
}

let events = 0;

function sine() {
  for (let i = 0; i < 256; i++) {
    f32[input + i] = Math.sin(i * 0.3) * 0.5;
  }
}

function automationStep(k) {
  let n = 0;
  if (k % 40 === 0) {
    const on = (k / 40) % 2 === 0;
    stage(n++, 17, on ? 0 : 1, 0, 60 + ((k / 80) % 12), 0.9, 0);
  }
  if (k % 100 === 50) {
    const id = RAMPED[(k / 100) % RAMPED.length | 0];
    const spec = table.params[id];
    const value = (k / 100) % 2 === 0 ? spec.min + 0.25 * (spec.max - spec.min) : spec.default;
    stage(n++, 5, 3, 0, id, value, 20);
  }
  if (UNIT_RAMPED.length > 0 && k % 100 === 0) {
    const spec = UNIT_RAMPED[(k / 100) % UNIT_RAMPED.length | 0];
    const value = (k / 100) % 2 === 0 ? spec.min + 0.25 * (spec.max - spec.min) : spec.default;
    stage(n++, 9, 3, UNIT_TARGET, spec.id, value, 20);
  }
  if (n > 0) {
    x.dawg_events_push(h, n);
    events += n;
  }
  if (source <= 0 && k % 1200 === 900) {
    f32.fill(0, input, input + 256);
  } else if (source <= 0 && k % 1200 === 0) {
    sine();
  }
  x.dawg_process(h, 1);
}

function steadyStep() {
  x.dawg_process(h, 1);
}

const session = new Session();
session.connect();
const post = (method, params) =>
  new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
await post("HeapProfiler.enable");
const quanta = Number(quantaText);
const buildUrl = pathToFileURL(dist).href;

/** Render `quanta` quanta with `step` under the sampling profiler; print what the build allocated. */
async function measure(phase, step) {
  events = 0;
  await post("HeapProfiler.startSampling", {
    samplingInterval: 16,
    includeObjectsCollectedByMinorGC: true,
    includeObjectsCollectedByMajorGC: true,
  });
  for (let k = 0; k < quanta; k++) {
    step(k);
  }
  const { profile } = await post("HeapProfiler.stopSampling");
  const bytesById = new Map();
  for (const s of profile.samples) {
    bytesById.set(s.nodeId, (bytesById.get(s.nodeId) || 0) + s.size);
  }
  const samples = [];
  (function walk(node, stack, ours) {
    const f = node.callFrame;
    const here = [`${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`, ...stack];
    const oursHere = ours || f.url.startsWith(buildUrl);
    const bytes = bytesById.get(node.id) || 0;
    if (bytes > 0 && oursHere) {
      samples.push({ bytes, stack: here });
    }
    for (const child of node.children) {
      walk(child, here, oursHere);
    }
  })(profile.head, [], false);
  console.log(JSON.stringify({ phase, frames: quanta * 128, events, samples }));
}

// Warm-up: the JIT tiers the code up. A full collection may discard
// optimised code that holds objects it freed (V8: "weak objects"); the
// warm-up after it lets that code be optimised again.
for (let k = 0; k < 12000; k++) {
  automationStep(k);
}
globalThis.gc();
for (let k = 0; k < 8000; k++) {
  automationStep(k);
}
await measure("automation", automationStep);

// The steady phase: an input that sounds, or one note held, and nothing else.
if (source > 0) {
  stage(0, 0, 0, 0, 60, 0.9, 0);
  x.dawg_events_push(h, 1);
} else {
  sine();
}
// A track or bus falling asleep takes paths not yet taken: V8 deoptimises,
// runs them unoptimised (boxing numbers) and optimises them again, which in
// an engine doing little takes thousands of quanta.
for (let k = 0; k < 30000; k++) {
  steadyStep(k);
}
await measure("steady", steadyStep);
