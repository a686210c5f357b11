// Numeric helpers shared by the JavaScript units, mirroring
// dsp_rust/src/math.rs (flush, decibels, the compressor's fast log2/exp2,
// control-rate 2^x, log2 and tan(π·r)) and dsp_rust/src/dsp/quiet.rs (the
// count of quiet frames).
//
// Values between stages are f32 (Float32Array buffers); arithmetic runs in
// f64. Where the Rust takes a decision on an f32 value (a flush, an exponent
// split), the same f32 value is examined here, so the decision is the same.

import { F32_MAX, F32_MIN_POSITIVE, FLUSH_THRESHOLD } from "./dawg-js-config.js";

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
const INV_INT = new Float64Array(23);
for (let k = 1; k < 23; k++) {
  INV_INT[k] = 1 / k;
}

// Scratch views for reading the bits of a float (never shared across an await).
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);

/** 2^k for integral k in [-1022, 1023], exactly. */
function pow2Int(k) {
  // Little-endian: the high word holds sign, exponent and top mantissa bits.
  U32[0] = 0;
  U32[1] = (k + 1023) << 20;
  return F64[0];
}

/** 2^x in plain arithmetic (math.rs exp2_f64), x clamped to [-1022, 1023]. */
export function exp2F64(x) {
  const c = x > 1023 ? 1023 : x >= -1022 ? x : -1022;
  const xi = Math.floor(c);
  const f = (c - xi) * Math.LN2;
  let p = 1.0;
  for (let k = 15; k > 0; k--) {
    p = 1.0 + f * p * INV_INT[k];
  }
  return p * pow2Int(xi);
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
  for (let k = 10; k > 0; k--) {
    const n = 2 * k;
    s = 1.0 - x2 * INV_INT[n] * INV_INT[n + 1] * s;
    c = 1.0 - x2 * INV_INT[n - 1] * INV_INT[n] * c;
  }
  return (x * s) / c;
}

/** Linear gain of `db` decibels in plain arithmetic, as the f32 the Rust returns (math.rs db_gain). */
export function dbGain(db) {
  return Math.fround(exp2F64(Math.fround(db) * LOG2_PER_DB));
}

const SQRT2_F32 = Math.fround(Math.SQRT2);
const TWO_OVER_LN2_F32 = Math.fround(2 / Math.fround(Math.LN2));
const LN2_F32 = Math.fround(Math.LN2);

/**
 * Base-2 logarithm of the f32 nearest `x` (math.rs fast_log2): the exponent
 * and mantissa split of that f32, the same atanh series; inputs below the
 * smallest normal f32 (zero, negative, subnormal) count as it.
 */
export function fastLog2(x) {
  F32[0] = x >= F32_MIN_POSITIVE ? x : +F32_MIN_POSITIVE;
  const bits = I32[0];
  let e = ((bits >>> 23) & 0xff) - 127;
  I32[0] = (bits & 0x007fffff) | 0x3f800000;
  let m = F32[0];
  if (m > SQRT2_F32) {
    m *= 0.5;
    e += 1;
  }
  const t = (m - 1.0) / (m + 1.0);
  const t2 = t * t;
  const series = t * (1.0 + t2 * (1.0 / 3.0 + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0))));
  return e + series * TWO_OVER_LN2_F32;
}

/** 2^k for integral k in [-126, 127] (the f32 exponent range). */
const POW2_F32 = new Float64Array(254);
for (let k = -126; k <= 127; k++) {
  POW2_F32[k + 126] = Math.pow(2, k);
}

/**
 * 2^x for x clamped to [-126, 127] (math.rs fast_exp2): integer part in the
 * exponent, e^(f·ln2) from the same degree-7 Taylor polynomial.
 * fastExp2(0) is exactly 1.
 */
export function fastExp2(x) {
  const c = x > 127.0 ? 127.0 : x >= -126.0 ? x : -126.0;
  const xi = Math.floor(c);
  const f = (c - xi) * LN2_F32;
  const p =
    1.0 +
    f *
      (1.0 +
        f *
          (1.0 / 2.0 +
            f * (1.0 / 6.0 + f * (1.0 / 24.0 + f * (1.0 / 120.0 + f * (1.0 / 720.0 + f * (1.0 / 5040.0)))))));
  return p * POW2_F32[xi + 126];
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
