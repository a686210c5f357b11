// Counts what rendering allocates in the JavaScript engine: builds one
// engine through createJsExports (a track fed by its input with a working
// strip and `unit` in insert 1, or a track playing `source` with notes
// queued through the staging area), warms it up, then prints a line
// "measure start", renders QUANTA quanta, and prints "measure end". Run
// with `node --expose-gc --trace-gc`: V8 prints a line per garbage collection, so a
// collection between the two markers means rendering allocated.
//
// Usage: node --expose-gc --trace-gc alloc_probe.mjs <build> <unit|synth|sampler|none> <quanta>

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [dist, what, quantaText] = process.argv.slice(2);
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

// Every 40 quanta a note on or off; every 100 a parameter ramp of the strip,
// the fader or the pan (the EQ recomputes its coefficients while it ramps),
// and one of the unit's;
// the input track's input falls silent for 300 of every 1200 quanta, long
// enough for the track to go to sleep (its strip reset) and wake again.
function step(k) {
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
  }
  if (source <= 0 && k % 1200 === 900) {
    f32.fill(0, input, input + 256);
  } else if (source <= 0 && k % 1200 === 0) {
    for (let i = 0; i < 256; i++) {
      f32[input + i] = Math.sin(i * 0.3) * 0.5;
    }
  }
  x.dawg_process(h, 1);
}

for (let k = 0; k < 12000; k++) {
  step(k);
}
// Empty the young generation, so that only what rendering allocates counts.
// A full collection may discard optimised code that holds objects it freed
// (V8: "weak objects"); the warm-up after it lets that code be optimised again.
globalThis.gc();
for (let k = 0; k < 8000; k++) {
  step(k);
}
console.log("measure start");
const quanta = Number(quantaText);
for (let k = 0; k < quanta; k++) {
  step(k);
}
console.log("measure end");
