// Band-limited resampling for the sampler (dsp_rust/src/sources/resample.rs):
// a Kaiser-windowed sinc read from a finely sampled table, and the
// per-octave pyramid of half-band decimated copies each sample gets when it
// is committed to the bank.
//
// Prototype kernel h(t) = sinc(t)·kaiser(t/Z), Z = ZERO_CROSSINGS, Kaiser
// β = KAISER_BETA: transition band 0.4535..0.5465 of the sample rate, below
// −100 dB beyond. A voice at rate r reads pyramid level k = max(0, ⌊log2 r⌋)
// (the sample decimated by 2^k) with the kernel stretched by
// s = max(1, r/2^k) < 2, 2·⌈Z·s⌉ taps rounded up to a multiple of 4, at most
// 144, per output frame and channel.
// The table holds h at TABLE_STEPS points per unit with the step to the next
// point (linear interpolation at a 16.16 table position).
//
// Every table value and half-band tap is computed in f64 with the same
// operations in the same order as the Rust, so the tables are the same bits;
// the taps are summed in f32 (Math.fround after each operation) in four
// lanes of every fourth tap, totalled as (l0 + l1) + (l2 + l3).

import { sinF64 } from "./dawg-js-math.js";

/** Zero crossings of the prototype kernel on each side of its centre. */
export const ZERO_CROSSINGS = 36;
/** Table points per unit of the prototype's time. */
export const TABLE_STEPS = 512;
/** Kaiser window shape. */
export const KAISER_BETA = 10.5;
/** Half-length of the half-band filter, in frames of the finer level. */
export const HALFBAND_REACH = 72;
/** Most taps per output frame and channel. */
export const MAX_TAPS = 4 * ZERO_CROSSINGS;
/** Most pyramid levels of a sample, the original included. */
export const MAX_LEVELS = 25;
/** Table index of t = 0. */
const TABLE_CENTER = (ZERO_CROSSINGS + 2) * TABLE_STEPS;
/** Table entries (a power of two). */
const TABLE_SIZE = 1 << 16;
/** One prototype time unit in 16.16 table-position units. */
const UNIT = TABLE_STEPS * 65536;

/** I0(x) by its power series to k = 50 (resample.rs bessel_i0). */
export function besselI0(x) {
  const half = 0.5 * x;
  let term = 1.0;
  let sum = 1.0;
  for (let k = 1.0; k <= 50.0; k += 1.0) {
    term = (term * half) / k;
    sum += term * term;
  }
  return sum;
}

/** The Kaiser window at x in [-1, 1], 0 outside. */
export function kaiser(x) {
  if (!(x > -1.0 && x < 1.0)) {
    return 0.0;
  }
  return besselI0(KAISER_BETA * Math.sqrt(1.0 - x * x)) / besselI0(KAISER_BETA);
}

/** sin(πt) reduced to sinF64 on [0, π/2]. */
export function sinPi(t) {
  const n = Math.floor(t);
  const u = t - n;
  const v = u > 0.5 ? 1.0 - u : u;
  const s = sinF64(Math.PI * v);
  return n % 2.0 === 0.0 ? s : -s;
}

/** The prototype kernel sinc(t)·kaiser(t/Z). */
export function kernelValue(t) {
  const x = t / ZERO_CROSSINGS;
  if (t === 0.0) {
    return 1.0;
  }
  return (sinPi(t) / (Math.PI * t)) * kaiser(x);
}

/** Half-band taps at odd offsets 1, 3, …, HALFBAND_REACH − 1. */
export function halfbandTaps() {
  const taps = new Float64Array(HALFBAND_REACH / 2);
  for (let k = 0; k < taps.length; k++) {
    const n = 2 * k + 1;
    taps[k] = (sinPi(0.5 * n) / (Math.PI * n)) * kaiser(n / HALFBAND_REACH);
  }
  return taps;
}

/** Frames of pyramid level k of an n-frame sample, ⌈n/2^k⌉. */
export function levelFrames(n, k) {
  return Math.ceil(n / 2 ** k);
}

/** Levels of an n-frame sample's pyramid, the original included. */
export function levelCount(n) {
  let k = 1;
  while (k < MAX_LEVELS && levelFrames(n, k - 1) > 1) {
    k += 1;
  }
  return k;
}

/**
 * One octave down (resample.rs decimate): dst[dOff + m] = ½·src[2m] +
 * Σ c_k·(src[2m−n] + src[2m+n]) in f64, rounded to f32; src is
 * src[sOff .. sOff + sLen], frames outside it are 0.
 */
export function decimate(src, sOff, sLen, dst, dOff, dLen, taps) {
  for (let m = 0; m < dLen; m++) {
    const c = 2 * m;
    let acc = 0.5 * (c < sLen ? src[sOff + c] : 0.0);
    for (let k = 0; k < taps.length; k++) {
      const off = 2 * k + 1;
      const a = c - off >= 0 && c - off < sLen ? src[sOff + c - off] : 0.0;
      const b = c + off < sLen ? src[sOff + c + off] : 0.0;
      acc += taps[k] * (a + b);
    }
    dst[dOff + m] = acc;
  }
}

/** The interpolation table: [h, d] pairs interleaved, h at t = (m − centre)/L. */
export function buildKernel() {
  const table = new Float32Array(2 * TABLE_SIZE);
  const last = 2 * TABLE_CENTER;
  for (let m = 0; m <= last; m++) {
    table[2 * m] = kernelValue((m - TABLE_CENTER) / TABLE_STEPS);
  }
  for (let m = 0; m < last; m++) {
    table[2 * m + 1] = table[2 * m + 2] - table[2 * m];
  }
  return table;
}

/**
 * The plan for increment `inc` (an exact integer, 32.32 level-0 frames per
 * output frame), written into `out` (a Float64Array of 4): level, step per
 * tap, taps, gain scale.
 */
export function plan(inc, out) {
  let level = 0;
  while (level + 1 < MAX_LEVELS && inc >= 2 ** (33 + level)) {
    level += 1;
  }
  const one = 2 ** (32 + level);
  const step = inc <= one ? UNIT : Math.floor((UNIT * one) / inc);
  // Even, so that the taps fill whole groups of four lanes (resample.rs plan).
  const half = 2 * Math.ceil(Math.ceil((ZERO_CROSSINGS * UNIT) / step) / 2);
  out[0] = level;
  out[1] = step;
  out[2] = 2 * half;
  out[3] = Math.fround(step / UNIT);
}

/**
 * Band-limited value of one or two channels of a pyramid level (frames
 * outside it read as 0) at the level-0 read position rd[0] (whole frames) +
 * rd[1] (32-bit fraction) with plan `pl`: the left channel is
 * data[offL .. offL + len], written to rd[2]; when `stereo`, the right one is
 * data[offR .. offR + len], written to rd[3]. Each is
 * scale · Σ x[first + j]·c_j, c_j the table entry at table position
 * p + j·step (16.16), computed once for both channels, summed in f32 in four
 * lanes (lane l adds the taps j = 4i + l in ascending i) totalled as
 * (l0 + l1) + (l2 + l3) (resample.rs first_position, dot, dot2). Arguments
 * are objects and small integers and the results go to an array, so a call
 * allocates nothing.
 */
export function interpolate(rd, pl, kernel, data, offL, offR, len, stereo) {
  const level = pl[0];
  const step = pl[1];
  const taps = pl[2];
  let hi = rd[0];
  let lo = rd[1];
  if (level > 0) {
    const d = 2 ** level;
    const hiK = Math.floor(hi / d);
    lo = (hi - hiK * d) * 2 ** (32 - level) + Math.floor(lo / d);
    hi = hiK;
  }
  const j0 = 1.0 - taps / 2;
  const f = lo * (1.0 / 4294967296.0);
  const q = Math.floor(TABLE_CENTER * 65536 + (j0 - f) * step);
  let p = q > 0 ? q : 0;
  const first = hi + 1 - taps / 2;
  const inside = first >= 0 && first + taps <= len;
  let l0 = 0.0;
  let l1 = 0.0;
  let l2 = 0.0;
  let l3 = 0.0;
  let r0 = 0.0;
  let r1 = 0.0;
  let r2 = 0.0;
  let r3 = 0.0;
  for (let j = 0; j < taps; j += 4) {
    let m = 2 * (p >>> 16);
    const c0 = Math.fround(kernel[m] + Math.fround(kernel[m + 1] * ((p & 0xffff) * (1.0 / 65536.0))));
    p += step;
    m = 2 * (p >>> 16);
    const c1 = Math.fround(kernel[m] + Math.fround(kernel[m + 1] * ((p & 0xffff) * (1.0 / 65536.0))));
    p += step;
    m = 2 * (p >>> 16);
    const c2 = Math.fround(kernel[m] + Math.fround(kernel[m + 1] * ((p & 0xffff) * (1.0 / 65536.0))));
    p += step;
    m = 2 * (p >>> 16);
    const c3 = Math.fround(kernel[m] + Math.fround(kernel[m + 1] * ((p & 0xffff) * (1.0 / 65536.0))));
    p += step;
    const i = first + j;
    if (inside) {
      const b = offL + i;
      l0 = Math.fround(l0 + Math.fround(data[b] * c0));
      l1 = Math.fround(l1 + Math.fround(data[b + 1] * c1));
      l2 = Math.fround(l2 + Math.fround(data[b + 2] * c2));
      l3 = Math.fround(l3 + Math.fround(data[b + 3] * c3));
      if (stereo) {
        const e = offR + i;
        r0 = Math.fround(r0 + Math.fround(data[e] * c0));
        r1 = Math.fround(r1 + Math.fround(data[e + 1] * c1));
        r2 = Math.fround(r2 + Math.fround(data[e + 2] * c2));
        r3 = Math.fround(r3 + Math.fround(data[e + 3] * c3));
      }
    } else {
      l0 = Math.fround(l0 + Math.fround((i >>> 0 < len ? data[offL + i] : 0.0) * c0));
      l1 = Math.fround(l1 + Math.fround(((i + 1) >>> 0 < len ? data[offL + i + 1] : 0.0) * c1));
      l2 = Math.fround(l2 + Math.fround(((i + 2) >>> 0 < len ? data[offL + i + 2] : 0.0) * c2));
      l3 = Math.fround(l3 + Math.fround(((i + 3) >>> 0 < len ? data[offL + i + 3] : 0.0) * c3));
      if (stereo) {
        r0 = Math.fround(r0 + Math.fround((i >>> 0 < len ? data[offR + i] : 0.0) * c0));
        r1 = Math.fround(r1 + Math.fround(((i + 1) >>> 0 < len ? data[offR + i + 1] : 0.0) * c1));
        r2 = Math.fround(r2 + Math.fround(((i + 2) >>> 0 < len ? data[offR + i + 2] : 0.0) * c2));
        r3 = Math.fround(r3 + Math.fround(((i + 3) >>> 0 < len ? data[offR + i + 3] : 0.0) * c3));
      }
    }
  }
  const scale = pl[3];
  rd[2] = Math.fround(Math.fround(Math.fround(l0 + l1) + Math.fround(l2 + l3)) * scale);
  if (stereo) {
    rd[3] = Math.fround(Math.fround(Math.fround(r0 + r1) + Math.fround(r2 + r3)) * scale);
  }
}
