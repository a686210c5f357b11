// Second-order IIR sections with coefficients from the RBJ Audio EQ Cookbook,
// mirroring dsp_rust/src/dsp/biquad.rs: coefficients computed in f64 and
// stored normalised (a0 = 1) as f32 values; the filter runs in transposed
// direct form II with f64 state.

import { F32_MAX, FLUSH_THRESHOLD } from "./dawg-js-config.js";

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
  const lo = freqHz > MIN_FREQ_HZ ? freqHz : MIN_FREQ_HZ;
  const hi = MAX_FREQ_RATIO * sampleRateHz;
  return lo < hi ? lo : hi;
}

function normalised(out, o, b0, b1, b2, a0, a1, a2) {
  const c0 = Math.fround(b0 / a0);
  const c1 = Math.fround(b1 / a0);
  const c2 = Math.fround(b2 / a0);
  const c3 = Math.fround(a1 / a0);
  const c4 = Math.fround(a2 / a0);
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

/** Low shelf at `freqHz` with `gainDb` of shelf gain and slope S = 1, into `out[o..o+5]`. */
export function lowShelf(out, o, sampleRateHz, freqHz, gainDb) {
  const w0 = (2.0 * Math.PI * clampFreqHz(sampleRateHz, freqHz)) / sampleRateHz;
  const cw = Math.cos(w0);
  const sw = Math.sin(w0);
  const a = Math.pow(10, gainDb / 40.0);
  const alpha = (sw / 2.0) * Math.SQRT2;
  const k = 2.0 * Math.sqrt(a) * alpha;
  normalised(
    out,
    o,
    a * (a + 1.0 - (a - 1.0) * cw + k),
    2.0 * a * (a - 1.0 - (a + 1.0) * cw),
    a * (a + 1.0 - (a - 1.0) * cw - k),
    a + 1.0 + (a - 1.0) * cw + k,
    -2.0 * (a - 1.0 + (a + 1.0) * cw),
    a + 1.0 + (a - 1.0) * cw - k,
  );
}

/** High shelf at `freqHz` with `gainDb` of shelf gain and slope S = 1, into `out[o..o+5]`. */
export function highShelf(out, o, sampleRateHz, freqHz, gainDb) {
  const w0 = (2.0 * Math.PI * clampFreqHz(sampleRateHz, freqHz)) / sampleRateHz;
  const cw = Math.cos(w0);
  const sw = Math.sin(w0);
  const a = Math.pow(10, gainDb / 40.0);
  const alpha = (sw / 2.0) * Math.SQRT2;
  const k = 2.0 * Math.sqrt(a) * alpha;
  normalised(
    out,
    o,
    a * (a + 1.0 + (a - 1.0) * cw + k),
    -2.0 * a * (a - 1.0 + (a + 1.0) * cw),
    a * (a + 1.0 + (a - 1.0) * cw - k),
    a + 1.0 - (a - 1.0) * cw + k,
    2.0 * (a - 1.0 - (a + 1.0) * cw),
    a + 1.0 - (a - 1.0) * cw - k,
  );
}

/** Peaking band at `freqHz` with quality factor `q` and `gainDb` at the centre, into `out[o..o+5]`. */
export function peaking(out, o, sampleRateHz, freqHz, q, gainDb) {
  const w0 = (2.0 * Math.PI * clampFreqHz(sampleRateHz, freqHz)) / sampleRateHz;
  const cw = Math.cos(w0);
  const sw = Math.sin(w0);
  const a = Math.pow(10, gainDb / 40.0);
  const qq = q > 1e-3 ? q : 1e-3;
  const alpha = sw / (2.0 * qq);
  normalised(out, o, 1.0 + alpha * a, -2.0 * cw, 1.0 - alpha * a, 1.0 + alpha / a, -2.0 * cw, 1.0 - alpha / a);
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
