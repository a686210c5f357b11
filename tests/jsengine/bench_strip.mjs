// Speed of the JavaScript channel strip under node: ns per track-sample (one
// stereo frame of one track) for the reference strip (low shelf 200 Hz
// +3 dB, peak 1 kHz −2 dB, high shelf 3 kHz +2 dB, compressor −18 dB 4:1,
// 3 ms / 100 ms, stereo peak detector; fader −2 dB, pan 0.3) on looped
// noise, against baselines measured in the same run: the same loop with a
// plain stereo 3-biquad cascade (f64 state, fixed coefficients) in place of
// strip and fader, and with the browser benchmark's hand-optimised anchor
// strip (one fused loop per track, compressor through Math.log/Math.exp). Arms are interleaved; each is warmed up, then timed
// several times (process CPU time); the median is reported.
//
// Usage: node bench_strip.mjs [tracks=32] [seconds=2] [repetitions=7]

import { GainPan } from "../../web/static/dawg-js-gainpan.js";
import { Strip } from "../../web/static/dawg-js-strip.js";
import { highShelf, lowShelf, peaking } from "../../web/static/dawg-js-biquad.js";

/** [rate, frequency, gain, Q] of one design, as the biquad module reads them. */
function design(rateHz, freqHz, gainDb, q = 0.707) {
  return new Float64Array([rateHz, freqHz, gainDb, q]);
}

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
  lowShelf(c, 0, design(RATE, 200, 3));
  peaking(c, 5, design(RATE, 1000, -2, 0.707));
  highShelf(c, 10, design(RATE, 3000, 2));
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

// CPU time of this process (user + system), so that time other processes
// take on a shared machine does not count.
// The hand-optimised anchor of `dawgwasm profile` (web/profile/profile-processors.js,
// AnchorStrip.process) on the same feed: one fused loop per track, f64 state,
// the compressor in dB with Math.log/Math.exp, fader and pan into the mix.
function makeAnchor() {
  const c = new Float64Array(15);
  lowShelf(c, 0, design(RATE, 200, 3));
  peaking(c, 5, design(RATE, 1000, -2, 0.707));
  highShelf(c, 10, design(RATE, 3000, 2));
  const fader = Math.pow(10, -2 / 20);
  const x = (0.3 * Math.PI) / 2;
  return {
    c,
    state: new Float64Array(tracks * 13),
    thr: -18,
    slope: 1 / 4 - 1,
    att: Math.exp(-1 / (0.003 * RATE)),
    rel: Math.exp(-1 / (0.1 * RATE)),
    m: new Float64Array([fader * Math.cos(x), 0, fader * Math.sin(x), fader]),
    pos: 0,
  };
}

const DB_PER_NEPER = 20 / Math.LN10;
const NEPER_PER_DB = Math.LN10 / 20;

function anchorTrack(a, o, inL, inR, outL, outR, n) {
  const c = a.c;
  const st = a.state;
  const lb0 = c[0], lb1 = c[1], lb2 = c[2], la1 = c[3], la2 = c[4];
  const mb0 = c[5], mb1 = c[6], mb2 = c[7], ma1 = c[8], ma2 = c[9];
  const hb0 = c[10], hb1 = c[11], hb2 = c[12], ha1 = c[13], ha2 = c[14];
  const m = a.m;
  const mLL = m[0], mRL = m[1], mLR = m[2], mRR = m[3];
  const thr = a.thr, slope = a.slope, att = a.att, rel = a.rel;
  let l1L = st[o], l2L = st[o + 1], l1R = st[o + 2], l2R = st[o + 3];
  let m1L = st[o + 4], m2L = st[o + 5], m1R = st[o + 6], m2R = st[o + 7];
  let h1L = st[o + 8], h2L = st[o + 9], h1R = st[o + 10], h2R = st[o + 11];
  let red = st[o + 12];
  for (let i = 0; i < n; i++) {
    const xL = inL[i];
    const xR = inR[i];
    let yL = lb0 * xL + l1L;
    l1L = lb1 * xL - la1 * yL + l2L;
    l2L = lb2 * xL - la2 * yL;
    let yR = lb0 * xR + l1R;
    l1R = lb1 * xR - la1 * yR + l2R;
    l2R = lb2 * xR - la2 * yR;
    let zL = mb0 * yL + m1L;
    m1L = mb1 * yL - ma1 * zL + m2L;
    m2L = mb2 * yL - ma2 * zL;
    let zR = mb0 * yR + m1R;
    m1R = mb1 * yR - ma1 * zR + m2R;
    m2R = mb2 * yR - ma2 * zR;
    yL = hb0 * zL + h1L;
    h1L = hb1 * zL - ha1 * yL + h2L;
    h2L = hb2 * zL - ha2 * yL;
    yR = hb0 * zR + h1R;
    h1R = hb1 * zR - ha1 * yR + h2R;
    h2R = hb2 * zR - ha2 * yR;
    const aL = yL < 0 ? -yL : yL;
    const aR = yR < 0 ? -yR : yR;
    const peak = aL > aR ? aL : aR;
    const over = (peak > 1e-12 ? DB_PER_NEPER * Math.log(peak) : -240) - thr;
    const target = over > 0 ? slope * over : 0;
    red = target + (target < red ? att : rel) * (red - target);
    const g = Math.exp(red * NEPER_PER_DB);
    zL = yL * g;
    zR = yR * g;
    outL[i] += mLL * zL + mRL * zR;
    outR[i] += mLR * zL + mRR * zR;
  }
  st[o] = l1L; st[o + 1] = l2L; st[o + 2] = l1R; st[o + 3] = l2R;
  st[o + 4] = m1L; st[o + 5] = m2L; st[o + 6] = m1R; st[o + 7] = m2R;
  st[o + 8] = h1L; st[o + 9] = h2L; st[o + 10] = h1R; st[o + 11] = h2R;
  st[o + 12] = red > -1e-9 ? 0 : red;
}

function runAnchor(arm, n) {
  for (let q = 0; q < n; q++) {
    const off = ((arm.pos += QUANTUM) & (LOOP - 1));
    mixL.fill(0);
    mixR.fill(0);
    for (let t = 0; t < tracks; t++) {
      bufL.set(srcL[t].subarray(off, off + QUANTUM));
      bufR.set(srcR[t].subarray(off, off + QUANTUM));
      anchorTrack(arm, t * 13, bufL, bufR, mixL, mixR, QUANTUM);
    }
  }
}

function time(fn, arm, n) {
  const c0 = process.cpuUsage();
  fn(arm, n);
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / (n * QUANTUM * tracks);
}

function median(v) {
  const s = v.slice().sort((a, b) => a - b);
  return s[(s.length - 1) >> 1];
}

const strip = { ...makeStrips(), pos: 0 };
const base = makeBaseline();
const anchor = makeAnchor();
// Warm-up: every arm, long enough for the optimising compiler.
time(runStrips, strip, Math.max(200, quanta >> 2));
time(runBaseline, base, Math.max(200, quanta >> 2));
time(runAnchor, anchor, Math.max(200, quanta >> 2));
const s = [];
const b = [];
const h = [];
for (let r = 0; r < reps; r++) {
  s.push(time(runStrips, strip, quanta));
  b.push(time(runBaseline, base, quanta));
  h.push(time(runAnchor, anchor, quanta));
}
const ms = median(s);
const mb = median(b);
const mh = median(h);
process.stdout.write(
  JSON.stringify({
    tracks,
    seconds_per_run: seconds,
    repetitions: reps,
    strip_ns_per_track_sample: +ms.toFixed(2),
    baseline_3_biquads_ns_per_track_sample: +mb.toFixed(2),
    anchor_ns_per_track_sample: +mh.toFixed(2),
    ratio_to_baseline: +(ms / mb).toFixed(3),
    ratio_to_anchor: +(ms / mh).toFixed(3),
    strip_runs: s.map((v) => +v.toFixed(2)),
    baseline_runs: b.map((v) => +v.toFixed(2)),
    anchor_runs: h.map((v) => +v.toFixed(2)),
  }) + "\n",
);
