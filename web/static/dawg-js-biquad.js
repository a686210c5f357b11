// Second-order IIR sections, mirroring dsp_rust/src/dsp/biquad.rs: shelves
// from the RBJ Audio EQ Cookbook, the peaking band matched to its analog
// prototype (dawg-js-matched.js); coefficients computed in f64 and
// stored normalised (a0 = 1) as f32 values; the filter runs in transposed
// direct form II with f64 state.

import { F32_MAX, FLUSH_THRESHOLD } from "./dawg-js-config.js";
import { MATCHED_ARGS, MATCHED_GAIN_DB, MATCHED_Q, MATCHED_W0, SECTION, matchedPeaking } from "./dawg-js-matched.js";

/** Highest corner frequency used, as a fraction of the sample rate. */
export const MAX_FREQ_RATIO = 0.45;
/** Lowest corner frequency used, in Hz. */
export const MIN_FREQ_HZ = 10.0;

/** Index of each coefficient in a coefficient array [b0, b1, b2, a1, a2]. */
export const B0 = 0;
export const B1 = 1;
export const B2 = 2;
export const A1 = 3;
export const A2 = 4;

/** A frequency held within [MIN_FREQ_HZ, MAX_FREQ_RATIO × rate] (NaN counts as the lowest, as Rust's f64::max). */
export function clampFreqHz(sampleRateHz, freqHz) {
  const lo = freqHz > MIN_FREQ_HZ ? freqHz : +MIN_FREQ_HZ;
  const hi = MAX_FREQ_RATIO * sampleRateHz;
  return lo < hi ? lo : hi;
}

// The designs take their inputs from a Float64Array and leave the raw
// coefficients in RAW: doubles passed to, or returned from, a call that V8
// does not inline are boxed (a heap number each), and the coefficients are
// recomputed on the audio thread at every update point of a ramp.

/** Where a design reads its inputs: DESIGN_RATE_HZ, DESIGN_FREQ_HZ, DESIGN_GAIN_DB, DESIGN_Q. */
export const DESIGN_RATE_HZ = 0;
export const DESIGN_FREQ_HZ = 1;
export const DESIGN_GAIN_DB = 2;
export const DESIGN_Q = 3;
/** A design's inputs, for callers without a Float64Array of their own (one design runs at a time). */
export const DESIGN_ARGS = new Float64Array(4);

/** b0, b1, b2, a0, a1, a2 of the design being normalised. */
const RAW = new Float64Array(6);

function normalised(out, o) {
  const a0 = RAW[3];
  const c0 = Math.fround(RAW[0] / a0);
  const c1 = Math.fround(RAW[1] / a0);
  const c2 = Math.fround(RAW[2] / a0);
  const c3 = Math.fround(RAW[4] / a0);
  const c4 = Math.fround(RAW[5] / a0);
  if (Number.isFinite(c0 + c1 + c2 + c3 + c4)) {
    out[o] = c0;
    out[o + 1] = c1;
    out[o + 2] = c2;
    out[o + 3] = c3;
    out[o + 4] = c4;
  } else {
    setIdentity(out, o);
  }
}

/** Write the identity filter's coefficients at `out[o..o+5]`. */
export function setIdentity(out, o) {
  out[o] = 1.0;
  out[o + 1] = 0.0;
  out[o + 2] = 0.0;
  out[o + 3] = 0.0;
  out[o + 4] = 0.0;
}

/**
 * Low shelf with slope S = 1 into `out[o..o+5]`: rate, frequency (Hz) and
 * shelf gain (dB) at `args[DESIGN_*]`.
 */
export function lowShelf(out, o, args) {
  const sampleRateHz = args[DESIGN_RATE_HZ];
  const w0 = (2.0 * Math.PI * clampFreqHz(sampleRateHz, args[DESIGN_FREQ_HZ])) / sampleRateHz;
  const cw = Math.cos(w0);
  const sw = Math.sin(w0);
  const a = Math.pow(10, args[DESIGN_GAIN_DB] / 40.0);
  const alpha = (sw / 2.0) * Math.SQRT2;
  const k = 2.0 * Math.sqrt(a) * alpha;
  RAW[0] = a * (a + 1.0 - (a - 1.0) * cw + k);
  RAW[1] = 2.0 * a * (a - 1.0 - (a + 1.0) * cw);
  RAW[2] = a * (a + 1.0 - (a - 1.0) * cw - k);
  RAW[3] = a + 1.0 + (a - 1.0) * cw + k;
  RAW[4] = -2.0 * (a - 1.0 + (a + 1.0) * cw);
  RAW[5] = a + 1.0 + (a - 1.0) * cw - k;
  normalised(out, o);
}

/**
 * High shelf with slope S = 1 into `out[o..o+5]`: rate, frequency (Hz) and
 * shelf gain (dB) at `args[DESIGN_*]`.
 */
export function highShelf(out, o, args) {
  const sampleRateHz = args[DESIGN_RATE_HZ];
  const w0 = (2.0 * Math.PI * clampFreqHz(sampleRateHz, args[DESIGN_FREQ_HZ])) / sampleRateHz;
  const cw = Math.cos(w0);
  const sw = Math.sin(w0);
  const a = Math.pow(10, args[DESIGN_GAIN_DB] / 40.0);
  const alpha = (sw / 2.0) * Math.SQRT2;
  const k = 2.0 * Math.sqrt(a) * alpha;
  RAW[0] = a * (a + 1.0 + (a - 1.0) * cw + k);
  RAW[1] = -2.0 * a * (a - 1.0 + (a + 1.0) * cw);
  RAW[2] = a * (a + 1.0 + (a - 1.0) * cw - k);
  RAW[3] = a + 1.0 - (a - 1.0) * cw + k;
  RAW[4] = 2.0 * (a - 1.0 - (a + 1.0) * cw);
  RAW[5] = a + 1.0 - (a - 1.0) * cw - k;
  normalised(out, o);
}

/**
 * Peaking band into `out[o..o+5]`: rate, centre frequency (Hz), gain at the
 * centre (dB) and quality factor at `args[DESIGN_*]`, matched to the
 * cookbook's analog prototype up to Nyquist.
 */
export function peaking(out, o, args) {
  const sampleRateHz = args[DESIGN_RATE_HZ];
  MATCHED_ARGS[MATCHED_W0] = (2.0 * Math.PI * clampFreqHz(sampleRateHz, args[DESIGN_FREQ_HZ])) / sampleRateHz;
  MATCHED_ARGS[MATCHED_Q] = args[DESIGN_Q];
  MATCHED_ARGS[MATCHED_GAIN_DB] = args[DESIGN_GAIN_DB];
  matchedPeaking();
  RAW[0] = SECTION[0];
  RAW[1] = SECTION[1];
  RAW[2] = SECTION[2];
  RAW[3] = 1.0;
  RAW[4] = SECTION[3];
  RAW[5] = SECTION[4];
  normalised(out, o);
}

/**
 * State of one channel of a biquad (transposed direct form II): `state[o]`,
 * `state[o + 1]` are s1, s2 (f64).
 */
export function biquadProcess(c, co, state, so, buf, start, end) {
  const b0 = c[co];
  const b1 = c[co + 1];
  const b2 = c[co + 2];
  const a1 = c[co + 3];
  const a2 = c[co + 4];
  let s1 = state[so];
  let s2 = state[so + 1];
  for (let i = start; i < end; i++) {
    const x = buf[i];
    const y = b0 * x + s1;
    s1 = b1 * x - a1 * y + s2;
    s2 = b2 * x - a2 * y;
    const ay = Math.abs(y);
    buf[i] = ay >= FLUSH_THRESHOLD && ay <= F32_MAX ? y : 0.0;
  }
  state[so] = s1;
  state[so + 1] = s2;
}

/**
 * Reset a section's state if it is not finite (beyond the f32 range counts
 * as overflowed) and flush values below FLUSH_THRESHOLD to zero (Rust
 * `BiquadState::settle`).
 */
export function biquadSettle(state, so) {
  const a1 = Math.abs(state[so]);
  const a2 = Math.abs(state[so + 1]);
  if (!(a1 <= F32_MAX && a2 <= F32_MAX)) {
    state[so] = 0.0;
    state[so + 1] = 0.0;
    return;
  }
  if (a1 < FLUSH_THRESHOLD) {
    state[so] = 0.0;
  }
  if (a2 < FLUSH_THRESHOLD) {
    state[so + 1] = 0.0;
  }
}
