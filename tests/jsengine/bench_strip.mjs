// Speed of the JavaScript channel strip under node: ns per track-sample (one
// stereo frame of one track) for the reference strip (low shelf 200 Hz
// +3 dB, peak 1 kHz −2 dB, high shelf 3 kHz +2 dB, compressor −18 dB 4:1,
// 3 ms / 100 ms, stereo peak detector; fader −2 dB, pan 0.3) on looped
// noise, against a baseline measured in the same run: the same loop with a
// plain stereo 3-biquad cascade (f64 state, fixed coefficients) in place of
// strip and fader. Arms are interleaved; each is warmed up, then timed
// several times; the median is reported.
//
// Usage: node bench_strip.mjs [tracks=32] [seconds=2] [repetitions=7]

import { GainPan } from "../../web/static/dawg-js-gainpan.js";
import { Strip } from "../../web/static/dawg-js-strip.js";
import { highShelf, lowShelf, peaking } from "../../web/static/dawg-js-biquad.js";

const RATE = 48000;
const QUANTUM = 128;
const tracks = Number(process.argv[2] ?? 32);
const seconds = Number(process.argv[3] ?? 2);
const reps = Number(process.argv[4] ?? 7);
const quanta = Math.round((seconds * RATE) / QUANTUM);
const LOOP = 1 << 15;

// Looped noise per track (xorshift32, deterministic), ±0.5.
function noise(seed) {
  const out = new Float32Array(LOOP);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < LOOP; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296 - 0.5);
  }
  return out;
}

const srcL = [];
const srcR = [];
for (let t = 0; t < tracks; t++) {
  srcL.push(noise(2 * t + 1));
  srcR.push(noise(2 * t + 2));
}
const bufL = new Float32Array(QUANTUM);
const bufR = new Float32Array(QUANTUM);
const mixL = new Float32Array(QUANTUM);
const mixR = new Float32Array(QUANTUM);

function makeStrips() {
  const strips = [];
  const faders = [];
  for (let t = 0; t < tracks; t++) {
    const s = new Strip(RATE);
    s.set(1, 3.0, 20);
    s.set(3, -2.0, 20);
    s.set(6, 2.0, 20);
    s.set(7, -18.0, 0);
    s.set(8, 4.0, 0);
    s.set(9, 3.0, 0);
    s.set(10, 100.0, 0);
    s.resetLane();
    strips.push(s);
    faders.push(new GainPan(-2.0, 0.3, false));
  }
  return { strips, faders };
}

function runStrips(arm, n) {
  const { strips, faders } = arm;
  for (let q = 0; q < n; q++) {
    const off = ((arm.pos += QUANTUM) & (LOOP - 1));
    mixL.fill(0);
    mixR.fill(0);
    for (let t = 0; t < tracks; t++) {
      bufL.set(srcL[t].subarray(off, off + QUANTUM));
      bufR.set(srcR[t].subarray(off, off + QUANTUM));
      strips[t].process(bufL, bufR, 0, QUANTUM);
      faders[t].processAdd(bufL, bufR, mixL, mixR, 0, QUANTUM);
    }
  }
}

function makeBaseline() {
  const c = new Float64Array(15);
  lowShelf(c, 0, RATE, 200, 3);
  peaking(c, 5, RATE, 1000, 0.707, -2);
  highShelf(c, 10, RATE, 3000, 2);
  const states = [];
  for (let t = 0; t < tracks; t++) {
    states.push(new Float64Array(12));
  }
  return { c, states, pos: 0 };
}

// Six TDF-II sections per frame (three per channel), f64 state, output summed into the mix.
function cascade(c, st, l, r, ml, mr, n) {
  const a0 = c[0], a1 = c[1], a2 = c[2], a3 = c[3], a4 = c[4];
  const b0 = c[5], b1 = c[6], b2 = c[7], b3 = c[8], b4 = c[9];
  const d0 = c[10], d1 = c[11], d2 = c[12], d3 = c[13], d4 = c[14];
  let l01 = st[0], l02 = st[1], l11 = st[2], l12 = st[3], l21 = st[4], l22 = st[5];
  let r01 = st[6], r02 = st[7], r11 = st[8], r12 = st[9], r21 = st[10], r22 = st[11];
  for (let j = 0; j < n; j++) {
    const xl = l[j];
    const xr = r[j];
    const yl0 = a0 * xl + l01;
    const yr0 = a0 * xr + r01;
    l01 = a1 * xl - a3 * yl0 + l02;
    r01 = a1 * xr - a3 * yr0 + r02;
    l02 = a2 * xl - a4 * yl0;
    r02 = a2 * xr - a4 * yr0;
    const yl1 = b0 * yl0 + l11;
    const yr1 = b0 * yr0 + r11;
    l11 = b1 * yl0 - b3 * yl1 + l12;
    r11 = b1 * yr0 - b3 * yr1 + r12;
    l12 = b2 * yl0 - b4 * yl1;
    r12 = b2 * yr0 - b4 * yr1;
    const yl = d0 * yl1 + l21;
    const yr = d0 * yr1 + r21;
    l21 = d1 * yl1 - d3 * yl + l22;
    r21 = d1 * yr1 - d3 * yr + r22;
    l22 = d2 * yl1 - d4 * yl;
    r22 = d2 * yr1 - d4 * yr;
    ml[j] += yl;
    mr[j] += yr;
  }
  st[0] = l01; st[1] = l02; st[2] = l11; st[3] = l12; st[4] = l21; st[5] = l22;
  st[6] = r01; st[7] = r02; st[8] = r11; st[9] = r12; st[10] = r21; st[11] = r22;
}

function runBaseline(arm, n) {
  for (let q = 0; q < n; q++) {
    const off = ((arm.pos += QUANTUM) & (LOOP - 1));
    mixL.fill(0);
    mixR.fill(0);
    for (let t = 0; t < tracks; t++) {
      bufL.set(srcL[t].subarray(off, off + QUANTUM));
      bufR.set(srcR[t].subarray(off, off + QUANTUM));
      cascade(arm.c, arm.states[t], bufL, bufR, mixL, mixR, QUANTUM);
    }
  }
}

function time(fn, arm, n) {
  const t0 = process.hrtime.bigint();
  fn(arm, n);
  return Number(process.hrtime.bigint() - t0) / (n * QUANTUM * tracks);
}

function median(v) {
  const s = v.slice().sort((a, b) => a - b);
  return s[(s.length - 1) >> 1];
}

const strip = { ...makeStrips(), pos: 0 };
const base = makeBaseline();
// Warm-up: both arms, long enough for the optimising compiler.
time(runStrips, strip, Math.max(200, quanta >> 2));
time(runBaseline, base, Math.max(200, quanta >> 2));
const s = [];
const b = [];
for (let r = 0; r < reps; r++) {
  s.push(time(runStrips, strip, quanta));
  b.push(time(runBaseline, base, quanta));
}
const ms = median(s);
const mb = median(b);
process.stdout.write(
  JSON.stringify({
    tracks,
    seconds_per_run: seconds,
    repetitions: reps,
    strip_ns_per_track_sample: +ms.toFixed(2),
    baseline_3_biquads_ns_per_track_sample: +mb.toFixed(2),
    ratio_to_baseline: +(ms / mb).toFixed(3),
    strip_runs: s.map((v) => +v.toFixed(2)),
    baseline_runs: b.map((v) => +v.toFixed(2)),
  }) + "\n",
);
