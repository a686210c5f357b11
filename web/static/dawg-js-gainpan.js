// Fader, pan and mute as one smoothed 2×2 stereo matrix, mirroring
// dsp_rust/src/dsp/gain_pan.rs.
//
// Pan law: the Web Audio API's StereoPannerNode algorithm for stereo input.
// With p the pan in [−1, 1]: p ≤ 0, x = p + 1: L' = L + R·cos(xπ/2),
// R' = R·sin(xπ/2); p > 0, x = p: L' = L·cos(xπ/2), R' = R + L·sin(xπ/2).
// The fader gain and the mute multiply the whole matrix; a change ramps every
// matrix entry linearly (f32 ramps, as the Rust `Linear`) over the smoothing
// time.

import { F32_MAX, FLUSH_THRESHOLD } from "./dawg-js-config.js";

/** Matrix entries below this (−140 dB) are exactly zero. */
const ZERO_BELOW = 1e-7;

/** The matrix before the fader gain, [L→L, R→L, L→R, R→R]. */
const RAW = new Float64Array(4);

/**
 * The stereo matrix [L→L, R→L, L→R, R→R] for the fader gain (dB), pan and
 * mute of `gp` (an object with gainDb, pan and muted), written into `out` (a
 * 4-element array) and returned. The settings are read from `gp` rather than
 * passed: a double passed to a call V8 does not inline is boxed.
 */
export function panMatrix(gp, out) {
  if (gp.muted) {
    out[0] = 0.0;
    out[1] = 0.0;
    out[2] = 0.0;
    out[3] = 0.0;
    return out;
  }
  const g = Math.pow(10, Math.fround(gp.gainDb) / 20);
  const pf = Math.fround(gp.pan);
  const p = pf < -1 ? -1 : pf > 1 ? 1 : pf;
  const halfPi = Math.PI / 2;
  if (p <= 0) {
    const a = -p * halfPi;
    RAW[0] = 1.0;
    RAW[1] = Math.sin(a);
    RAW[2] = 0.0;
    RAW[3] = Math.cos(a);
  } else {
    const a = p * halfPi;
    RAW[0] = Math.cos(a);
    RAW[1] = 0.0;
    RAW[2] = Math.sin(a);
    RAW[3] = 1.0;
  }
  for (let k = 0; k < 4; k++) {
    const x = RAW[k] * g;
    // Entries below −140 dB are exactly zero.
    out[k] = Math.abs(x) < ZERO_BELOW ? 0.0 : Math.fround(x);
  }
  return out;
}

/** Samples the matrix writes are flushed like the Rust `flush`: NaN, ±∞ and |x| < 1e-20 become 0. */
function fl(x) {
  const a = Math.abs(x);
  return a >= FLUSH_THRESHOLD && a <= F32_MAX ? x : 0.0;
}

/** The fader/pan/mute unit (Rust `GainPan`). */
export class GainPan {
  /** A unit resting at the given settings. */
  constructor(gainDb, pan, muted) {
    this.gainDb = Math.fround(gainDb);
    this.pan = Math.fround(pan);
    this.muted = Boolean(muted);
    this.targets = new Float64Array(4);
    panMatrix(this, this.targets);
    // Ramps of the four entries, in f32 arithmetic: current, target, step, remaining.
    this.cur = new Float64Array(this.targets);
    this.tgt = new Float64Array(this.targets);
    this.stp = new Float64Array(4);
    this.rem = new Float64Array(4);
  }

  retarget(steps) {
    const m = panMatrix(this, this.targets);
    for (let k = 0; k < 4; k++) {
      const t = m[k];
      this.tgt[k] = t;
      if (steps === 0 || t === this.cur[k]) {
        this.cur[k] = t;
        this.rem[k] = 0;
        this.stp[k] = 0.0;
      } else {
        this.rem[k] = steps;
        this.stp[k] = Math.fround(Math.fround(t - this.cur[k]) / Math.fround(steps));
      }
    }
  }

  /** Fader gain in dB, ramped over `steps` frames. */
  setGainDb(db, steps) {
    this.gainDb = Math.fround(db);
    this.retarget(steps);
  }

  /** Pan in [−1, 1], ramped over `steps` frames. */
  setPan(pan, steps) {
    this.pan = Math.fround(pan);
    this.retarget(steps);
  }

  /** Mute on or off, faded over `steps` frames. */
  setMuted(muted, steps) {
    this.muted = Boolean(muted);
    this.retarget(steps);
  }

  /** True while any matrix entry ramps. */
  isActive() {
    const r = this.rem;
    return r[0] !== 0 || r[1] !== 0 || r[2] !== 0 || r[3] !== 0;
  }

  /** True when the matrix rests at the identity (unity gain, centre, not muted): process() changes nothing. */
  isIdentity() {
    const c = this.cur;
    return !this.isActive() && c[0] === 1.0 && c[1] === 0.0 && c[2] === 0.0 && c[3] === 1.0;
  }

  /** Apply the matrix to frames start..end of (left, right) in place. */
  process(left, right, start, end) {
    if (this.isActive()) {
      this.runRamping(left, right, left, right, start, end, false);
      return;
    }
    const c = this.cur;
    const ll = c[0];
    const rl = c[1];
    const lr = c[2];
    const rr = c[3];
    if (ll === 1.0 && rl === 0.0 && lr === 0.0 && rr === 1.0) {
      return;
    }
    for (let i = start; i < end; i++) {
      const x = left[i];
      const y = right[i];
      left[i] = fl(x * ll + y * rl);
      right[i] = fl(x * lr + y * rr);
    }
  }

  /** Apply the matrix to frames start..end of (left, right) and add the result into (outLeft, outRight). */
  processAdd(left, right, outLeft, outRight, start, end) {
    if (this.isActive()) {
      this.runRamping(left, right, outLeft, outRight, start, end, true);
      return;
    }
    const c = this.cur;
    const ll = c[0];
    const rl = c[1];
    const lr = c[2];
    const rr = c[3];
    if (ll === 0.0 && rl === 0.0 && lr === 0.0 && rr === 0.0) {
      return;
    }
    for (let i = start; i < end; i++) {
      const x = left[i];
      const y = right[i];
      outLeft[i] += fl(x * ll + y * rl);
      outRight[i] += fl(x * lr + y * rr);
    }
  }

  /** Per-sample ramps of all four entries (Rust `Linear::tick` on each). */
  runRamping(left, right, outLeft, outRight, start, end, add) {
    const c = this.cur;
    const t = this.tgt;
    const s = this.stp;
    const r = this.rem;
    let c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3];
    let r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3];
    const t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3];
    const s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
    for (let i = start; i < end; i++) {
      if (r0 > 0) {
        r0 -= 1;
        c0 = Math.fround(t0 - Math.fround(s0 * r0));
      }
      if (r1 > 0) {
        r1 -= 1;
        c1 = Math.fround(t1 - Math.fround(s1 * r1));
      }
      if (r2 > 0) {
        r2 -= 1;
        c2 = Math.fround(t2 - Math.fround(s2 * r2));
      }
      if (r3 > 0) {
        r3 -= 1;
        c3 = Math.fround(t3 - Math.fround(s3 * r3));
      }
      const x = left[i];
      const y = right[i];
      const yl = fl(x * c0 + y * c1);
      const yr = fl(x * c2 + y * c3);
      if (add) {
        outLeft[i] += yl;
        outRight[i] += yr;
      } else {
        outLeft[i] = yl;
        outRight[i] = yr;
      }
    }
    c[0] = c0;
    c[1] = c1;
    c[2] = c2;
    c[3] = c3;
    r[0] = r0;
    r[1] = r1;
    r[2] = r2;
    r[3] = r3;
    if (r0 === 0) {
      s[0] = 0.0;
    }
    if (r1 === 0) {
      s[1] = 0.0;
    }
    if (r2 === 0) {
      s[2] = 0.0;
    }
    if (r3 === 0) {
      s[3] = 0.0;
    }
  }

  /** Jump the matrix to its target. */
  reset() {
    for (let k = 0; k < 4; k++) {
      this.cur[k] = this.tgt[k];
      this.rem[k] = 0;
      this.stp[k] = 0.0;
    }
  }
}
