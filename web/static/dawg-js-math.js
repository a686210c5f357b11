// Numeric helpers shared by the JavaScript units, mirroring
// dsp_rust/src/math.rs (flush, decibels, control-rate 2^x, log2 and
// tan(π·r)) and dsp_rust/src/dsp/quiet.rs (the count of quiet frames).
//
// Values between stages are f32 (Float32Array buffers); arithmetic runs in
// f64. Where the Rust takes a decision on an f32 value (a flush, an exponent
// split), the same f32 value is examined here, so the decision is the same.

import { F32_MAX, FLUSH_THRESHOLD } from "./dawg-js-config.js";

/** Decibels per unit of log2 of amplitude, 20·log10(2), as the Rust f32. */
export const DB_PER_LOG2 = Math.fround(6.0206);
/** log2(10) / 20: decibels to log2 of amplitude. */
export const LOG2_PER_DB = 0.1660964047443681;

/** `x` if it is finite and at least FLUSH_THRESHOLD in magnitude, else 0. */
export function flush(x) {
  const a = Math.abs(x);
  return a >= FLUSH_THRESHOLD && a <= F32_MAX ? x : 0.0;
}

/** `x`, or 0 when it is below FLUSH_THRESHOLD in magnitude or not finite (f64 state). */
export function flushF64(x) {
  const a = Math.abs(x);
  return a >= FLUSH_THRESHOLD && a <= Number.MAX_VALUE ? x : 0.0;
}

/** Amplitude gain of `db` decibels, 10^(db/20). */
export function dbToGain(db) {
  return Math.pow(10, db / 20);
}

/** 1/k for k = 0..22 (entry 0 unused). */
export const INV_INT = new Float64Array(23);
for (let k = 1; k < 23; k++) {
  INV_INT[k] = 1 / k;
}

/** 2^k for integral k in [-1022, 1023], exactly, at index k + 1022. */
export const POW2_INT = new Float64Array(2046);
for (let k = -1022; k <= 1023; k++) {
  POW2_INT[k + 1022] = Math.pow(2, k);
}

// Scratch views for reading the bits of a float (never shared across an await).
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/** Terms of the series of exp2F64 (e^f for f in [0, ln 2)). */
export const EXP2_TERMS = 15;
/** Terms of the series of tanPiF64 (sin and cos). */
export const TAN_TERMS = 10;

/** 2^x in plain arithmetic (math.rs exp2_f64), x clamped to [-1022, 1023]. */
export function exp2F64(x) {
  const c = x > 1023 ? 1023 : x >= -1022 ? x : -1022;
  const xi = Math.floor(c);
  const f = (c - xi) * Math.LN2;
  let p = 1.0;
  for (let k = EXP2_TERMS; k > 0; k--) {
    p = 1.0 + f * p * INV_INT[k];
  }
  return p * POW2_INT[xi + 1022];
}

const F64_MIN_POSITIVE = 2.2250738585072014e-308;

/** log2(x) in plain arithmetic (math.rs log2_f64); smaller inputs count as the smallest normal f64. */
export function log2F64(x) {
  const v = x >= F64_MIN_POSITIVE && x <= Number.MAX_VALUE ? x : +F64_MIN_POSITIVE;
  F64[0] = v;
  const hi = U32[1];
  let e = ((hi >>> 20) & 0x7ff) - 1023;
  U32[1] = (hi & 0x000fffff) | 0x3ff00000;
  let m = F64[0];
  if (m > Math.SQRT2) {
    m *= 0.5;
    e += 1;
  }
  const t = (m - 1.0) / (m + 1.0);
  const t2 = t * t;
  let s = 0.0;
  for (let k = 21; k > 1; k -= 2) {
    s = t2 * (INV_INT[k] + s);
  }
  return e + 2.0 * t * (1.0 + s) * Math.LOG2E;
}

/** tan(π·r) for r in [0, 0.45] from Taylor series of sin and cos (math.rs tan_pi_f64). */
export function tanPiF64(r) {
  const x = Math.PI * r;
  const x2 = x * x;
  let s = 1.0;
  let c = 1.0;
  for (let k = TAN_TERMS; k > 0; k--) {
    const n = 2 * k;
    s = 1.0 - x2 * INV_INT[n] * INV_INT[n + 1] * s;
    c = 1.0 - x2 * INV_INT[n - 1] * INV_INT[n] * c;
  }
  return (x * s) / c;
}

/** sin(x) for x in [-π/2, π/2] by its Taylor series to x^21 (math.rs sin_f64). */
export function sinF64(x) {
  const x2 = x * x;
  let s = 1.0;
  for (let k = 10; k > 0; k--) {
    const n = 2 * k;
    s = 1.0 - x2 * INV_INT[n] * INV_INT[n + 1] * s;
  }
  return x * s;
}

/** Linear gain of `db` decibels in plain arithmetic, as the f32 the Rust returns (math.rs db_gain). */
export function dbGain(db) {
  return Math.fround(exp2F64(Math.fround(db) * LOG2_PER_DB));
}

/** The f32 log2 of an f32 value, as Rust's `f32::log2`. */
export function log2F32(x) {
  return Math.fround(Math.log2(x));
}

/** Consecutive quiet frames saturate here: the count of a unit that has heard nothing since it was created or reset. */
export const QUIET_SETTLED = Number.MAX_SAFE_INTEGER;

/** One frame of a quiet count: a loud frame restarts it at zero, a quiet one adds one (saturating). */
export function quietFrame(count, loud) {
  return loud ? 0 : count < QUIET_SETTLED ? count + 1 : count;
}

/** A quiet count advanced by `frames` quiet frames (saturating). */
export function quietAdd(count, frames) {
  const n = count + frames;
  return n < QUIET_SETTLED ? n : +QUIET_SETTLED;
}
