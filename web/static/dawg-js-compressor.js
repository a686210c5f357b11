// Feed-forward compressor, mirroring dsp_rust/src/units/compressor.rs:
// `CompressorLane` is one track's compressor (one lane of the Rust
// `Compressor<L>`), used by the channel strip; `Compressor` is the insert
// unit around it.
//
// Per frame and channel c (levels and gains in log2 units of amplitude):
// 1. detector input d_c = link·max(|L|, |R|) + (1 − link)·|c|;
// 2. level: peak, log2 d_c; or RMS, ½·log2 m_c with the mean square
//    m_c ← d_c² + β·(m_c − d_c²) (10 ms, d_c clamped at RMS_INPUT_MAX);
// 3. static curve with threshold, slope 1/ratio − 1 and a quadratic knee
//    (Giannoulis, Massberg and Reiss, JAES 2012, eq. 4);
// 4. smoothing r ← t + k·(r − t), attack while the reduction grows, release
//    otherwise; reductions above −REDUCTION_FLOOR_LOG2 are exactly zero;
// 5. output c · 2^(r + makeup), flushed; makeup ramps linearly in dB.
// Levels are Math.log2 of the detector value (at least the smallest normal
// f32) and gains Math.exp of (r + makeup)·ln 2 (r + makeup clamped to the
// f32 exponent range): the Rust's fast_log2 and fast_exp2 are within 1e-7 of
// these, far below the JavaScript engine's agreement with it, and V8's own
// functions are faster than the polynomials written out in JavaScript.
//
// Shortcuts give the same bits as the full computation: a lane with ratio 1,
// no reduction and no makeup is untouched; a fully linked lane with equal
// channel states runs one detector for both channels.

import { F32_MAX, F32_MIN_POSITIVE, FLUSH_THRESHOLD, QUIET } from "./dawg-js-config.js";
import { DB_PER_LOG2, flush } from "./dawg-js-math.js";
import { stepsForMs } from "./dawg-js-smooth.js";

/** Gain reductions smaller than this (log2 units) are no reduction at all. */
export const REDUCTION_FLOOR_LOG2 = Math.fround(1e-6);
/** Time constant of the RMS detector's mean square, ms. */
export const RMS_TIME_MS = 10.0;
/** Largest detector input the RMS detector squares (+360 dBFS). */
export const RMS_INPUT_MAX = Math.fround(1e18);

const QUIET_SQUARED = Math.fround(QUIET * QUIET);

/** One-pole coefficient e^(−1/(time·rate)) as an f32 (0 for a zero time). */
export function onePoleCoef(timeMs, sampleRateHz) {
  const samples = Math.fround(timeMs) * 1e-3 * Math.fround(sampleRateHz);
  return samples > 0 ? Math.fround(Math.exp(-1.0 / samples)) : 0.0;
}

/** Compressor parameters, in the order of the Rust `CompressorParam` (the unit's rows). */
export const COMP_THRESHOLD_DB = 0;
export const COMP_RATIO = 1;
export const COMP_KNEE_DB = 2;
export const COMP_ATTACK_MS = 3;
export const COMP_RELEASE_MS = 4;
export const COMP_MAKEUP_DB = 5;
export const COMP_DETECTOR = 6;
export const COMP_LINK = 7;

/** The [release, attack] coefficients of the lane being processed, picked without a branch. */
const COEFS = new Float64Array(2);
/** The general path's two detector values, then its two outputs, of the frame being processed. */
const DETECTED = new Float64Array(2);

/** One track's compressor state and settings (a lane of the Rust `Compressor`). */
export class CompressorLane {
  /**
   * At `sampleRateHz`: threshold 0 dBFS, ratio 1 (off), hard knee, attack
   * 3 ms, release 100 ms, no makeup, peak detector, fully linked.
   */
  constructor(sampleRateHz) {
    this.sampleRateHz = Math.fround(sampleRateHz);
    this.rmsCoef = onePoleCoef(RMS_TIME_MS, sampleRateHz);
    this.thresholdLog2 = 0.0;
    this.slope = 0.0;
    this.halfKnee = 0.0;
    this.kneeCoef = 0.0;
    this.attackCoef = onePoleCoef(3.0, sampleRateHz);
    this.releaseCoef = onePoleCoef(100.0, sampleRateHz);
    this.link = 1.0;
    this.own = 0.0;
    this.rmsActive = false;
    this.levelScale = 1.0;
    this.rmsOn = false;
    // Makeup ramp (log2 units), f32 values as the Rust `Ramp`.
    this.mkCurrent = 0.0;
    this.mkTarget = 0.0;
    this.mkStep = 0.0;
    this.mkRemaining = 0;
    this.redL = 0.0;
    this.redR = 0.0;
    this.msL = 0.0;
    this.msR = 0.0;
  }

  setThresholdDb(db) {
    this.thresholdLog2 = Math.fround(Math.fround(db) / DB_PER_LOG2);
  }

  setRatio(ratio) {
    const r = Math.fround(ratio);
    const m = r > 1.0 ? r : 1.0; // NaN counts as 1, as Rust's f32::max
    this.slope = Math.fround(Math.fround(1.0 / m) - 1.0);
    this.updateRms();
  }

  setKneeDb(db) {
    const d = Math.fround(db);
    const w = Math.fround((d > 0.0 ? d : 0.0) / DB_PER_LOG2);
    this.halfKnee = Math.fround(0.5 * w);
    this.kneeCoef = w > 0.0 ? Math.fround(0.5 / w) : 0.0;
  }

  setAttackMs(ms) {
    this.attackCoef = onePoleCoef(ms, this.sampleRateHz);
  }

  setReleaseMs(ms) {
    this.releaseCoef = onePoleCoef(ms, this.sampleRateHz);
  }

  /** Makeup gain in dB, ramped linearly (in dB) over `steps` frames. */
  setMakeupDb(db, steps) {
    const target = Math.fround(Math.fround(db) / DB_PER_LOG2);
    this.mkTarget = target;
    if (steps === 0 || target === this.mkCurrent) {
      this.mkCurrent = target;
      this.mkRemaining = 0;
      this.mkStep = 0.0;
    } else {
      this.mkRemaining = steps;
      this.mkStep = Math.fround(Math.fround(target - this.mkCurrent) / Math.fround(steps));
    }
  }

  setRms(rms) {
    this.rmsOn = Boolean(rms);
    this.updateRms();
  }

  setLink(link) {
    const l = Math.fround(link);
    const c = l < 0.0 ? 0.0 : l > 1.0 ? 1.0 : l;
    this.link = c;
    this.own = Math.fround(1.0 - c);
  }

  updateRms() {
    const active = this.rmsOn && this.slope !== 0.0;
    this.rmsActive = active;
    this.levelScale = active ? 0.5 : 1.0;
    if (!active) {
      this.msL = 0.0;
      this.msR = 0.0;
    }
  }

  /** Route one parameter change (COMP_* order); `makeupSteps` is the makeup ramp length in frames. */
  apply(p, value, makeupSteps) {
    switch (p) {
      case COMP_THRESHOLD_DB:
        this.setThresholdDb(value);
        break;
      case COMP_RATIO:
        this.setRatio(value);
        break;
      case COMP_KNEE_DB:
        this.setKneeDb(value);
        break;
      case COMP_ATTACK_MS:
        this.setAttackMs(value);
        break;
      case COMP_RELEASE_MS:
        this.setReleaseMs(value);
        break;
      case COMP_MAKEUP_DB:
        this.setMakeupDb(value, makeupSteps);
        break;
      case COMP_DETECTOR:
        this.setRms(Math.fround(value) >= 0.5);
        break;
      case COMP_LINK:
        this.setLink(value);
        break;
      default:
        break;
    }
  }

  /** The gain reduction in dB (≤ 0; the larger of the two channels'). */
  reductionDb() {
    return Math.fround((this.redL < this.redR ? this.redL : this.redR) * DB_PER_LOG2);
  }

  /** True when no gain reduction is held and the RMS level is below −120 dBFS. */
  isQuiet() {
    return (
      Math.abs(this.redL) < QUIET &&
      Math.abs(this.redR) < QUIET &&
      this.msL < QUIET_SQUARED &&
      this.msR < QUIET_SQUARED
    );
  }

  /** Clear the detector state and jump the makeup ramp to its target. */
  reset() {
    this.redL = 0.0;
    this.redR = 0.0;
    this.msL = 0.0;
    this.msR = 0.0;
    this.mkCurrent = this.mkTarget;
    this.mkRemaining = 0;
    this.mkStep = 0.0;
  }

  /** True when processing would leave the samples untouched. */
  isIdle() {
    return (
      this.slope === 0.0 &&
      this.redL === 0.0 &&
      this.redR === 0.0 &&
      this.msL === 0.0 &&
      this.msR === 0.0 &&
      this.mkTarget === 0.0 &&
      this.mkRemaining === 0
    );
  }

  /**
   * Compress frames start..end of (left, right) in place. Samples should be
   * flushed; outputs are.
   */
  process(left, right, start, end) {
    if (end <= start || this.isIdle()) {
      return;
    }
    const linked = this.link === 1.0 && this.redL === this.redR && this.msL === this.msR;
    if (linked && !this.rmsActive) {
      this.runLinkedPeak(left, right, start, end);
    } else {
      this.runGeneral(left, right, start, end);
    }
  }

  /** Fully linked peak detector: one detector serves both channels (the strip's common case). */
  runLinkedPeak(left, right, start, end) {
    const T = FLUSH_THRESHOLD;
    const M = F32_MAX;
    const thr = this.thresholdLog2;
    const slope = this.slope;
    const halfKnee = this.halfKnee;
    const kneeCoef = this.kneeCoef;
    const attack = this.attackCoef;
    const release = this.releaseCoef;
    const floor = -REDUCTION_FLOOR_LOG2;
    const coefs = COEFS;
    coefs[0] = release;
    coefs[1] = attack;
    const ramp = this.mkRemaining !== 0;
    const mkTarget = this.mkTarget;
    const mkStep = this.mkStep;
    let mkRemaining = this.mkRemaining;
    let makeup = this.mkCurrent;
    let red = this.redL;
    for (let i = start; i < end; i++) {
      const xl = left[i];
      const xr = right[i];
      if (ramp) {
        mkRemaining = mkRemaining > 1 ? mkRemaining - 1 : 0;
        makeup = mkTarget - mkStep * mkRemaining;
      }
      const al = Math.abs(xl);
      const ar = Math.abs(xr);
      const peak = al < ar ? ar : al;
      // `+`: an imported constant is a tagged value; without it V8 boxes `peak` for
      // the select, a heap number per sample.
      const level = Math.log2(peak >= F32_MIN_POSITIVE ? peak : +F32_MIN_POSITIVE);
      // Static curve.
      const over = level - thr;
      let target;
      if (halfKnee === 0.0) {
        // Hard knee: the reduction of the branches below (up to the sign of a zero).
        target = slope * Math.max(over, 0.0);
      } else if (over > halfKnee) {
        target = over * slope;
      } else {
        const a = over + halfKnee;
        target = a > 0.0 ? slope * (a * a) * kneeCoef : 0.0;
      }
      // Smooth-branching detector on the reduction.
      const coef = coefs[(target < red) | 0];
      red = target + coef * (red - target);
      if (!(red < floor)) {
        red = 0.0;
      }
      let x = red + makeup;
      x = x > 127.0 ? 127.0 : x >= -126.0 ? x : -126.0;
      const g = Math.exp(x * Math.LN2);
      const yl = xl * g;
      const yr = xr * g;
      const bl = Math.abs(yl);
      const br = Math.abs(yr);
      left[i] = bl >= T && bl <= M ? yl : 0.0;
      right[i] = br >= T && br <= M ? yr : 0.0;
    }
    this.redL = red;
    this.redR = red;
    this.mkRemaining = mkRemaining;
    this.mkCurrent = makeup;
  }

  /**
   * Any link, either detector: a detector per channel. The level, the
   * static curve, the smoothing step, the gain and the flush are written
   * out in the loop: V8 does not inline that many helpers into one loop,
   * and a double returned by a call that is not inlined is boxed, one per
   * sample.
   */
  runGeneral(left, right, start, end) {
    const T = FLUSH_THRESHOLD;
    const M = F32_MAX;
    const thr = this.thresholdLog2;
    const slope = this.slope;
    const halfKnee = this.halfKnee;
    const kneeCoef = this.kneeCoef;
    const attack = this.attackCoef;
    const release = this.releaseCoef;
    const link = this.link;
    const own = this.own;
    const rms = this.rmsActive;
    const beta = this.rmsCoef;
    const scale = this.levelScale;
    const floor = -REDUCTION_FLOOR_LOG2;
    const ramp = this.mkRemaining !== 0;
    const mkTarget = this.mkTarget;
    const mkStep = this.mkStep;
    const minPos = +F32_MIN_POSITIVE;
    const rmsMax = +RMS_INPUT_MAX;
    const det = DETECTED;
    let mkRemaining = this.mkRemaining;
    let makeup = this.mkCurrent;
    let redL = this.redL;
    let redR = this.redR;
    let msL = this.msL;
    let msR = this.msR;
    for (let i = start; i < end; i++) {
      const xl = left[i];
      const xr = right[i];
      if (ramp) {
        mkRemaining = mkRemaining > 1 ? mkRemaining - 1 : 0;
        makeup = mkTarget - mkStep * mkRemaining;
      }
      const al = Math.abs(xl);
      const ar = Math.abs(xr);
      const peak = al < ar ? ar : al;
      const dl = Math.fround(Math.fround(link * peak) + Math.fround(own * al));
      const dr = Math.fround(Math.fround(link * peak) + Math.fround(own * ar));
      if (rms) {
        const cl = dl < rmsMax ? dl : rmsMax;
        const cr = dr < rmsMax ? dr : rmsMax;
        const sl = Math.fround(cl * cl);
        const sr = Math.fround(cr * cr);
        const nl = Math.fround(sl + Math.fround(beta * Math.fround(msL - sl)));
        const nr = Math.fround(sr + Math.fround(beta * Math.fround(msR - sr)));
        const bl = Math.abs(nl);
        const br = Math.abs(nr);
        msL = bl >= T && bl <= M ? nl : 0.0;
        msR = br >= T && br <= M ? nr : 0.0;
        det[0] = msL;
        det[1] = msR;
      } else {
        det[0] = dl;
        det[1] = dr;
      }
      // Both channels: level, gain computer, smoothing, gain.
      for (let c = 0; c < 2; c++) {
        const d = det[c];
        let level = Math.log2(d >= minPos ? d : minPos);
        if (rms) {
          level *= scale;
        }
        const over = level - thr;
        let target = 0.0;
        if (over > halfKnee) {
          target = over * slope;
        } else {
          const a = over + halfKnee;
          target = a > 0.0 ? slope * (a * a) * kneeCoef : 0.0;
        }
        const r = c === 0 ? redL : redR;
        const tf = Math.fround(target);
        const coef = tf < r ? attack : release;
        const v = Math.fround(tf + Math.fround(coef * Math.fround(r - tf)));
        const red = v < floor ? v : 0.0;
        if (c === 0) {
          redL = red;
        } else {
          redR = red;
        }
        const g = red + makeup;
        const x = g > 127.0 ? 127.0 : g >= -126.0 ? g : -126.0;
        const y = (c === 0 ? xl : xr) * Math.exp(x * Math.LN2);
        const ay = Math.abs(y);
        det[c] = ay >= T && ay <= M ? y : 0.0;
      }
      left[i] = det[0];
      right[i] = det[1];
    }
    this.redL = redL;
    this.redR = redR;
    this.msL = msL;
    this.msR = msR;
    this.mkRemaining = mkRemaining;
    this.mkCurrent = makeup;
  }

  /** Everything that changes while the lane runs, copied from `other` (for pause and resume). */
  copyStateFrom(other) {
    this.redL = other.redL;
    this.redR = other.redR;
    this.msL = other.msL;
    this.msR = other.msR;
    this.mkCurrent = other.mkCurrent;
    this.mkTarget = other.mkTarget;
    this.mkStep = other.mkStep;
    this.mkRemaining = other.mkRemaining;
  }
}

const INSERT_MAKEUP_SMOOTHING_MS = 10.0;

/**
 * The compressor insert's rows of the parameter table, in COMP_* order
 * (Rust `compressor::PARAMS`): name, min, max, default, smoothing_ms, stepped.
 */
export const COMPRESSOR_PARAMS = Object.freeze([
  { name: "compressor_threshold_db", min: -60.0, max: 0.0, default: -18.0, smoothing_ms: 0.0, stepped: false },
  { name: "compressor_ratio", min: 1.0, max: 20.0, default: 4.0, smoothing_ms: 0.0, stepped: false },
  { name: "compressor_knee_db", min: 0.0, max: 24.0, default: 6.0, smoothing_ms: 0.0, stepped: false },
  { name: "compressor_attack_ms", min: 0.1, max: 200.0, default: 10.0, smoothing_ms: 0.0, stepped: false },
  { name: "compressor_release_ms", min: 5.0, max: 2000.0, default: 100.0, smoothing_ms: 0.0, stepped: false },
  {
    name: "compressor_makeup_db",
    min: 0.0,
    max: 24.0,
    default: 0.0,
    smoothing_ms: INSERT_MAKEUP_SMOOTHING_MS,
    stepped: false,
  },
  { name: "compressor_detector", min: 0.0, max: 1.0, default: 0.0, smoothing_ms: 0.0, stepped: true },
  { name: "compressor_link", min: 0.0, max: 1.0, default: 1.0, smoothing_ms: 0.0, stepped: false },
]);

/** The compressor as an insert unit (Rust `CompressorUnit`). */
export class Compressor {
  /** A compressor at `sampleRateHz` with every row at its default; it allocates nothing per block. */
  constructor(sampleRateHz, maxFrames) {
    if (!(Number.isFinite(sampleRateHz) && sampleRateHz > 0)) {
      throw new RangeError(`sample rate must be a positive number of Hz, got ${sampleRateHz}`);
    }
    this.maxFrames = maxFrames;
    this.comp = new CompressorLane(sampleRateHz);
    this.values = new Float64Array(COMPRESSOR_PARAMS.length);
    this.makeupSteps = stepsForMs(INSERT_MAKEUP_SMOOTHING_MS, sampleRateHz);
    for (let i = 0; i < COMPRESSOR_PARAMS.length; i++) {
      this.set(i, COMPRESSOR_PARAMS[i].default);
    }
    this.comp.reset();
  }

  /** Set row `index` to an in-range `value` (other indices are ignored). */
  set(index, value) {
    if (index >= 0 && index < COMPRESSOR_PARAMS.length) {
      this.values[index] = Math.fround(value);
      this.comp.apply(index, value, this.makeupSteps);
    }
  }

  /** The last value set for row `index` (NaN for an unknown row). */
  get(index) {
    return index >= 0 && index < COMPRESSOR_PARAMS.length ? this.values[index] : NaN;
  }

  /** Compress frames start..end of (left, right) in place; NaN, ±∞ and subnormal input samples count as silence. */
  process(left, right, start, end) {
    for (let i = start; i < end; i++) {
      left[i] = flush(left[i]);
      right[i] = flush(right[i]);
    }
    this.comp.process(left, right, start, end);
  }

  /** Clear the detector state and jump the makeup ramp to its target. */
  reset() {
    this.comp.reset();
  }

  /** True when no gain reduction is pending and the RMS level is below −120 dBFS. */
  isQuiet() {
    return this.comp.isQuiet();
  }

  /** 0: the compressor adds no delay. */
  tailFrames() {
    return 0;
  }

  /** The compressor has no tempo-synced parts. */
  setTempoBpm() {}
}
