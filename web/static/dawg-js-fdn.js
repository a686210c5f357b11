// The reverb's dense feedback delay network (dsp_rust/src/dsp/fdn.rs), bit
// for bit: eight series input allpasses feeding 16 mutually-prime delay lines
// under a Hadamard feedback matrix, each line with a one-pole absorption
// filter. Per frame, every f32 step rounded (Math.fround) in the Rust's
// order:
//
//   diffuser k:  d = buf_k[i];  w = x - g_k d;  buf_k[i] = w;  x = d + g_k w
//   line i:      y_i = line_i[p_i];  s_i = b_i y_i + a_i s_i
//                z = butterfly(transpose(butterfly(s)));  line_i[p_i] = z_i + sigma_i x
//   out:         L = sum lambda_i y_i,  R = sum rho_i y_i
//
// Line i is lane k of vector j (i = 4 j + k); the butterfly runs across the
// four vectors lane by lane, the transpose swaps vector and lane. The
// coefficients are computed in f64 with exp2F64 (math.rs exp2_f64), rounded
// to f32 and ramped per frame by Linear (the Rust's LaneRamp arithmetic).

import { F32_MAX, F32_MIN_POSITIVE } from "./dawg-js-config.js";
import { exp2F64 } from "./dawg-js-math.js";
import { Linear } from "./dawg-js-smooth.js";

/** Lines in the network. */
export const LINES = 16;
/** Nominal line lengths, ms. */
export const LINE_MS = Object.freeze([
  32.0, 34.5, 37.3, 40.2, 43.4, 46.8, 50.5, 54.5, 58.8, 63.4, 68.4, 73.8, 79.6, 85.9, 92.7, 100.0,
]);
/** Input diffuser lengths, ms, in series order. */
export const DIFFUSER_MS = Object.freeze([4.771, 3.595, 12.735, 9.307, 2.1, 7.3, 5.9, 1.3]);
/** Input diffuser coefficients, in series order (exact in f32). */
export const DIFFUSER_GAINS = Object.freeze([0.75, 0.75, 0.625, 0.625, 0.625, 0.625, 0.625, 0.625]);
/** Gain of the input into the diffusers (exact in f32). */
export const INPUT_GAIN = 3.75;
/** Signs of the input into the lines, line 4 j + k at [j][k]. */
const INPUT_SIGNS = Float64Array.of(1, -1, 1, -1, 1, 1, -1, -1, 1, -1, -1, 1, -1, 1, 1, -1);
/** Recirculating values smaller than this are replaced by exact zero (the Rust f32). */
export const STATE_FLOOR = Math.fround(1e-9);
/** log2(10), the Rust's core::f64::consts::LOG2_10. */
const LOG2_10 = 3.321928094887362;

const f = Math.fround;

/** `x`, or exactly zero when it is below STATE_FLOOR in magnitude or not finite (x an f32 value). */
function floor1(x) {
  const a = Math.abs(x);
  return a >= STATE_FLOOR && a <= F32_MAX ? x : 0.0;
}

/** Round half away from zero, as Rust's f64::round. */
function roundHalfAway(x) {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

function isPrime(n) {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) {
    if (n % d === 0) return false;
  }
  return true;
}

/** Line lengths in frames at `sampleRateHz`: distinct primes, each the smallest not below its nominal length. */
export function lineFrames(sampleRateHz) {
  const out = [];
  let floor = 0;
  for (const ms of LINE_MS) {
    let n = Math.max(roundHalfAway(ms * 1e-3 * sampleRateHz), floor + 1);
    while (!isPrime(n)) n += 1;
    out.push(n);
    floor = n;
  }
  return out;
}

/** Diffuser lengths in frames at `sampleRateHz` (at least 1). */
export function diffuserFrames(sampleRateHz) {
  return DIFFUSER_MS.map((ms) => Math.max(roundHalfAway(ms * 1e-3 * sampleRateHz), 1));
}

/** Butterfly across the four vectors of `v` (16 values, line 4 j + k at index 4 j + k), lane by lane, into `out`. */
function butterfly(v, out) {
  for (let k = 0; k < 4; k++) {
    const t0 = f(v[k] + v[4 + k]);
    const t1 = f(v[k] - v[4 + k]);
    const t2 = f(v[8 + k] + v[12 + k]);
    const t3 = f(v[8 + k] - v[12 + k]);
    out[k] = f(t0 + t2);
    out[4 + k] = f(t1 + t3);
    out[8 + k] = f(t0 - t2);
    out[12 + k] = f(t1 - t3);
  }
}

/** The dense reverberator's state and coefficients (Rust `Fdn`). */
export class Fdn {
  /** A silent network at `sampleRateHz` (an f32 value), decay 1 s at every frequency. */
  constructor(sampleRateHz) {
    this.sampleRateHz = sampleRateHz;
    this.lens = lineFrames(sampleRateHz);
    // All lines in one buffer: line i is start[i] .. end[i]; at[i] its position.
    this.start = new Int32Array(LINES);
    this.end = new Int32Array(LINES);
    let total = 0;
    for (let i = 0; i < LINES; i++) {
      this.start[i] = total;
      total += this.lens[i];
      this.end[i] = total;
    }
    this.buf = new Float32Array(total);
    this.at = Int32Array.from(this.start);
    this.store = new Float64Array(LINES);
    this.a = Array.from({ length: LINES }, () => new Linear(0.0));
    this.b = Array.from({ length: LINES }, () => new Linear(0.0));
    this.rampLeft = 0;
    this.diffusers = diffuserFrames(sampleRateHz).map((n) => new Float32Array(n));
    this.dAt = new Int32Array(DIFFUSER_MS.length);
    this.longest = this.lens[LINES - 1] + this.diffusers.reduce((s, d) => s + d.length, 0);
    // Per-frame scratch.
    this.y = new Float64Array(LINES);
    this.ua = new Float64Array(LINES);
    this.ub = new Float64Array(LINES);
    this.z = new Float64Array(LINES);
    this.ca = new Float64Array(LINES);
    this.cb = new Float64Array(LINES);
    this.setDecay(1.0, 1.0, 0);
  }

  /** Decay 60 dB in `t60S` at low frequencies and `t60HfS` at Nyquist, ramping over `steps` frames. */
  setDecay(t60S, t60HfS, steps) {
    const sr = this.sampleRateHz;
    for (let i = 0; i < LINES; i++) {
      const per = (-3.0 * LOG2_10 * this.lens[i]) / sr;
      const g = exp2F64(per / t60S);
      const h = exp2F64(per / t60HfS);
      const a = (g - h) / (g + h);
      const b = g * (1.0 - a) * 0.25;
      this.a[i].setTarget(f(a), steps);
      this.b[i].setTarget(f(b), steps);
    }
    this.rampLeft = Math.max(this.rampLeft, steps);
  }

  /** Jump every coefficient ramp to its target. */
  snap() {
    for (let i = 0; i < LINES; i++) {
      this.a[i].snap();
      this.b[i].snap();
    }
    this.rampLeft = 0;
  }

  /** The longest an input takes to reach the output, frames. */
  longestFrames() {
    return this.longest;
  }

  /**
   * Run frames 0 .. m of `x`: outputs into outL and outR (overwritten);
   * loud[f] = 1 where frame f wrote a nonzero value into a line or diffuser.
   */
  process(x, outL, outR, loud, m) {
    const buf = this.buf;
    const start = this.start;
    const end = this.end;
    const at = this.at;
    const s = this.store;
    const dif = this.diffusers;
    const dAt = this.dAt;
    const y = this.y;
    const ua = this.ua;
    const ub = this.ub;
    const z = this.z;
    const ca = this.ca;
    const cb = this.cb;
    for (let i = 0; i < LINES; i++) {
      ca[i] = this.a[i].current;
      cb[i] = this.b[i].current;
    }
    for (let fr = 0; fr < m; fr++) {
      if (this.rampLeft > 0) {
        this.rampLeft -= 1;
        for (let i = 0; i < LINES; i++) {
          ca[i] = this.a[i].tick();
          cb[i] = this.b[i].tick();
        }
      }
      let u = f(x[fr] * INPUT_GAIN);
      let wrote = false;
      for (let k = 0; k < dif.length; k++) {
        const buf = dif[k];
        const p = dAt[k];
        const g = DIFFUSER_GAINS[k];
        const d = buf[p];
        const w = floor1(f(u - f(g * d)));
        buf[p] = w;
        if (w !== 0) wrote = true;
        u = f(d + f(g * w));
        dAt[k] = p + 1 >= buf.length ? 0 : p + 1;
      }
      for (let i = 0; i < LINES; i++) {
        const yi = buf[at[i]];
        y[i] = yi;
        s[i] = floor1(f(f(cb[i] * yi) + f(ca[i] * s[i])));
      }
      butterfly(s, ua);
      // Transpose: vector j lane k <- vector k lane j.
      for (let j = 0; j < 4; j++) {
        for (let k = 0; k < 4; k++) {
          ub[4 * j + k] = ua[4 * k + j];
        }
      }
      butterfly(ub, z);
      for (let i = 0; i < LINES; i++) {
        const w = floor1(f(z[i] + f(u * INPUT_SIGNS[i])));
        const p = at[i];
        buf[p] = w;
        if (w !== 0) wrote = true;
        at[i] = p + 1 >= end[i] ? start[i] : p + 1;
      }
      // L: (y0 + y1) - (y2 + y3) per lane, R: (y0 - y1) + (y2 - y3); then (l0 + l1) + (l2 + l3).
      let l0 = 0;
      let l1 = 0;
      let r0 = 0;
      let r1 = 0;
      for (let k = 0; k < 4; k++) {
        const p = f(y[k] + y[4 + k]);
        const q = f(y[8 + k] + y[12 + k]);
        const d0 = f(y[k] - y[4 + k]);
        const d1 = f(y[8 + k] - y[12 + k]);
        const lk = f(p - q);
        const rk = f(d0 + d1);
        if (k < 2) {
          l0 = k === 0 ? lk : f(l0 + lk);
          r0 = k === 0 ? rk : f(r0 + rk);
        } else {
          l1 = k === 2 ? lk : f(l1 + lk);
          r1 = k === 2 ? rk : f(r1 + rk);
        }
      }
      outL[fr] = f(l0 + l1);
      outR[fr] = f(r0 + r1);
      if (wrote) loud[fr] = 1;
    }
  }

  /** True when every filter store is exactly zero. */
  storesAreZero() {
    const s = this.store;
    for (let i = 0; i < LINES; i++) {
      if (s[i] !== 0) return false;
    }
    return true;
  }

  /** Zero the stores and rewind; with `buffers`, zero every line and diffuser too. */
  clear(buffers) {
    if (buffers) {
      this.buf.fill(0);
      for (const d of this.diffusers) d.fill(0);
    }
    this.store.fill(0);
    this.at.set(this.start);
    this.dAt.fill(0);
  }

  /** True when lines, diffusers and stores hold exact zeros. */
  stateIsSilent() {
    const zero = (a) => a.every((v) => v === 0);
    return zero(this.buf) && this.diffusers.every(zero) && zero(this.store);
  }

  /** True when every state value is exactly zero or a normal f32. */
  stateIsClean() {
    const clean = (a) => a.every((v) => v === 0 || (Math.abs(v) >= F32_MIN_POSITIVE && Math.abs(v) <= F32_MAX));
    return clean(this.buf) && this.diffusers.every(clean) && clean(this.store);
  }
}
