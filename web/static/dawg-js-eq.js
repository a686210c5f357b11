// The channel strip's stereo 3-band EQ for one track, mirroring one lane of
// dsp_rust/src/dsp/eq.rs (EqLanes): low shelf, peaking band and high shelf
// (RBJ cookbook, dawg-js-biquad.js), separate state per channel.
//
// Per frame the six sections (three bands, two channels) run fused in one
// pass, each `y = b0·x + s1; s1 = b1·x − a1·y + s2; s2 = b2·x − a2·y`; the
// output of the last band is flushed.
//
// Update points fall every COEF_UPDATE_FRAMES frames counted from the last
// reset: the ramps advance and the coefficients are recomputed if anything
// changed, and the filter state is settled (a section whose two state values
// are both below FLUSH_THRESHOLD, or not finite, is set to exactly zero).
// Nothing depends on how the signal is split into blocks, and a decaying
// tail ends in exact zeros.
//
// Parameter changes ramp: frequencies move linearly in log2(Hz), gains in dB
// and Q linearly (f32 ramps, as the Rust), over each parameter's smoothing
// time. With all gains at 0 dB (exact identity coefficients) and all state
// zero a segment passes through untouched, bit-identical to filtering it.

import { F32_MAX, FLUSH_THRESHOLD } from "./dawg-js-config.js";
import {
  DESIGN_ARGS,
  DESIGN_FREQ_HZ,
  DESIGN_GAIN_DB,
  DESIGN_Q,
  DESIGN_RATE_HZ,
  highShelf,
  lowShelf,
  peaking,
} from "./dawg-js-biquad.js";
import { log2F32 } from "./dawg-js-math.js";
import { Linear } from "./dawg-js-smooth.js";

/** Frames between update points (coefficient updates while a parameter ramps, state settling). */
export const COEF_UPDATE_FRAMES = 16;

/** EQ parameters, in the order of the Rust `EqParam` (and of the strip's first seven rows). */
export const EQ_LOW_HZ = 0;
export const EQ_LOW_GAIN_DB = 1;
export const EQ_MID_HZ = 2;
export const EQ_MID_GAIN_DB = 3;
export const EQ_MID_Q = 4;
export const EQ_HIGH_HZ = 5;
export const EQ_HIGH_GAIN_DB = 6;

function isFrequency(p) {
  return p === EQ_LOW_HZ || p === EQ_MID_HZ || p === EQ_HIGH_HZ;
}

/**
 * The EQ runs on values scaled by EQ_SCALE = 2^896 (exact: a power of two,
 * and far from f64's subnormals). A value beyond 2^128, where the Rust's f32
 * arithmetic overflows, then overflows the f64 arithmetic too: the section
 * turns infinite or NaN by itself, its output is flushed to zero until the
 * next update point, and the settling there zeroes it and the sections it
 * fed, as in the Rust; no per-sample range test. State is kept unscaled
 * between calls.
 */
export const EQ_SCALE = 2 ** 896;
/** 1 / EQ_SCALE. */
export const EQ_UNSCALE = 2 ** -896;

/**
 * One track's 3-band EQ. `settings` holds the seven initial values in
 * EQ_* order (frequencies in Hz).
 */
export class EqLane {
  constructor(sampleRateHz, settings) {
    this.sampleRateHz = Math.fround(sampleRateHz);
    this.smoothers = [];
    for (let p = 0; p < 7; p++) {
      const v = Math.fround(settings[p]);
      this.smoothers.push(new Linear(isFrequency(p) ? log2F32(v) : v));
    }
    this.phase = 0;
    this.dirty = true;
    this.flat = false;
    /** [b0, b1, b2, a1, a2] of the low shelf, peaking band and high shelf. */
    this.coefs = new Float64Array(15);
    /** s1, s2 of the left low, mid, high sections, then of the right ones. */
    this.state = new Float64Array(12);
    this.updateCoefs();
  }

  /** Ramp parameter `p` (EQ_*) to `value` over `steps` frames. */
  set(p, value, steps) {
    const s = this.smoothers[p];
    if (s === undefined) {
      return;
    }
    const v = Math.fround(value);
    s.setTarget(isFrequency(p) ? log2F32(v) : v, steps);
    this.dirty = true;
  }

  updateCoefs() {
    const sm = this.smoothers;
    const c = this.coefs;
    const args = DESIGN_ARGS;
    args[DESIGN_RATE_HZ] = this.sampleRateHz;
    args[DESIGN_FREQ_HZ] = Math.pow(2, sm[EQ_LOW_HZ].current);
    args[DESIGN_GAIN_DB] = sm[EQ_LOW_GAIN_DB].current;
    lowShelf(c, 0, args);
    args[DESIGN_FREQ_HZ] = Math.pow(2, sm[EQ_MID_HZ].current);
    args[DESIGN_GAIN_DB] = sm[EQ_MID_GAIN_DB].current;
    args[DESIGN_Q] = sm[EQ_MID_Q].current;
    peaking(c, 5, args);
    args[DESIGN_FREQ_HZ] = Math.pow(2, sm[EQ_HIGH_HZ].current);
    args[DESIGN_GAIN_DB] = sm[EQ_HIGH_GAIN_DB].current;
    highShelf(c, 10, args);
    let flat = true;
    for (let b = 0; b < 15; b += 5) {
      flat = flat && c[b] === 1.0 && c[b + 1] === c[b + 3] && c[b + 2] === c[b + 4];
    }
    this.flat = flat;
  }

  /** An update point: advance the ramps and recompute the coefficients if anything changed. */
  updatePoint() {
    let ramping = false;
    const sm = this.smoothers;
    for (let p = 0; p < 7; p++) {
      const s = sm[p];
      if (s.remaining !== 0) {
        s.advance(COEF_UPDATE_FRAMES);
        ramping = true;
      }
    }
    if (ramping || this.dirty) {
      this.dirty = ramping;
      this.updateCoefs();
    }
  }

  /**
   * Filter frames start..end of (left, right) in place (the state in f64,
   * scaled by EQ_SCALE while it runs).
   */
  process(left, right, start, end) {
    const T = FLUSH_THRESHOLD;
    const M = F32_MAX;
    const S = EQ_SCALE;
    const U = EQ_UNSCALE;
    const TS = T * S;
    const MS = M * S;
    const st = this.state;
    let c = this.coefs;
    let l01 = st[0] * S, l02 = st[1] * S, l11 = st[2] * S, l12 = st[3] * S, l21 = st[4] * S, l22 = st[5] * S;
    let r01 = st[6] * S, r02 = st[7] * S, r11 = st[8] * S, r12 = st[9] * S, r21 = st[10] * S, r22 = st[11] * S;
    // The input's scale folds into the first section's feed-forward coefficients.
    let a0 = c[0] * S, a1 = c[1] * S, a2 = c[2] * S, a3 = c[3], a4 = c[4];
    let b0 = c[5], b1 = c[6], b2 = c[7], b3 = c[8], b4 = c[9];
    let d0 = c[10], d1 = c[11], d2 = c[12], d3 = c[13], d4 = c[14];
    let phase = this.phase;
    let i = start;
    while (i < end) {
      if (phase === 0) {
        if (this.dirty) {
          this.updatePoint();
          c = this.coefs;
          a0 = c[0] * S; a1 = c[1] * S; a2 = c[2] * S; a3 = c[3]; a4 = c[4];
          b0 = c[5]; b1 = c[6]; b2 = c[7]; b3 = c[8]; b4 = c[9];
          d0 = c[10]; d1 = c[11]; d2 = c[12]; d3 = c[13]; d4 = c[14];
        }
        // Settle: zero a section whose state is negligible (both values) or not finite.
        let u = Math.abs(l01), v = Math.abs(l02);
        if (!(u <= MS && v <= MS) || (u < TS && v < TS)) { l01 = 0.0; l02 = 0.0; }
        u = Math.abs(l11); v = Math.abs(l12);
        if (!(u <= MS && v <= MS) || (u < TS && v < TS)) { l11 = 0.0; l12 = 0.0; }
        u = Math.abs(l21); v = Math.abs(l22);
        if (!(u <= MS && v <= MS) || (u < TS && v < TS)) { l21 = 0.0; l22 = 0.0; }
        u = Math.abs(r01); v = Math.abs(r02);
        if (!(u <= MS && v <= MS) || (u < TS && v < TS)) { r01 = 0.0; r02 = 0.0; }
        u = Math.abs(r11); v = Math.abs(r12);
        if (!(u <= MS && v <= MS) || (u < TS && v < TS)) { r11 = 0.0; r12 = 0.0; }
        u = Math.abs(r21); v = Math.abs(r22);
        if (!(u <= MS && v <= MS) || (u < TS && v < TS)) { r21 = 0.0; r22 = 0.0; }
      }
      let seg = COEF_UPDATE_FRAMES - phase;
      if (seg > end - i) {
        seg = end - i;
      }
      const stop = i + seg;
      const identity =
        this.flat &&
        l01 === 0 && l02 === 0 && l11 === 0 && l12 === 0 && l21 === 0 && l22 === 0 &&
        r01 === 0 && r02 === 0 && r11 === 0 && r12 === 0 && r21 === 0 && r22 === 0;
      if (!identity) {
        for (let j = i; j < stop; j++) {
          const xl = left[j];
          const xr = right[j];
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
          const ul = yl * U;
          const ur = yr * U;
          const al = Math.abs(ul);
          const ar = Math.abs(ur);
          left[j] = al >= T && al <= M ? ul : 0.0;
          right[j] = ar >= T && ar <= M ? ur : 0.0;
        }
      }
      phase = (phase + seg) % COEF_UPDATE_FRAMES;
      i = stop;
    }
    this.phase = phase;
    st[0] = l01 * U; st[1] = l02 * U; st[2] = l11 * U; st[3] = l12 * U; st[4] = l21 * U; st[5] = l22 * U;
    st[6] = r01 * U; st[7] = r02 * U; st[8] = r11 * U; st[9] = r12 * U; st[10] = r21 * U; st[11] = r22 * U;
  }

  /** Jump the ramps to their targets, clear the filter state and restart the update schedule, as for a new EQ. */
  resetLane() {
    const sm = this.smoothers;
    for (let p = 0; p < sm.length; p++) {
      sm[p].snap();
    }
    this.phase = 0;
    this.dirty = true;
    this.state.fill(0.0);
    this.updateCoefs();
  }

  /** True when every filter state value is below `limit` in magnitude. */
  stateBelow(limit) {
    const st = this.state;
    for (let k = 0; k < 12; k++) {
      if (!(Math.abs(st[k]) < limit)) {
        return false;
      }
    }
    return true;
  }

  /** True when every filter state value is exactly zero. */
  stateIsSilent() {
    return this.state.every((v) => v === 0.0);
  }

  /** True when every filter state value is exactly zero or a normal f32 (never subnormal, NaN or infinite). */
  stateIsClean() {
    return this.state.every((v) => v === 0.0 || (Math.abs(v) >= 1.1754943508222875e-38 && Math.abs(v) <= F32_MAX));
  }
}
