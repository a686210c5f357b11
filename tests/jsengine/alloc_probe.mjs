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
for (let i = 0; i < 256; i++) {
  f32[input + i] = source > 0 ? 0 : Math.sin(i * 0.3) * 0.5;
}
const staging = x.dawg_events_ptr(h) / 4;

function step(k) {
  if (k % 40 === 0) {
    const on = (k / 40) % 2 === 0;
    u32[staging] = 17;
    u32[staging + 1] = on ? 0 : 1;
    u32[staging + 2] = 0;
    u32[staging + 3] = 60 + ((k / 80) % 12);
    f32[staging + 4] = 0.9;
    x.dawg_events_push(h, 1);
  }
  x.dawg_process(h, 1);
}

for (let k = 0; k < 4000; k++) {
  step(k);
}
// Start from an empty young generation: only what rendering allocates counts.
globalThis.gc();
console.log("measure start");
const quanta = Number(quantaText);
for (let k = 0; k < quanta; k++) {
  step(k);
}
console.log("measure end");
