// One track's channel strip, mirroring one lane of dsp_rust/src/strip.rs
// (StripGroup): the 3-band EQ (dawg-js-eq.js) then the compressor
// (dawg-js-compressor.js). Its output depends only on its own input and
// parameters; it counts its update frames from its own last reset
// (`resetLane`), so a strip reset later behaves like one created at that
// moment; a paused strip (a track the engine skips) stands still and later
// resumes where it stopped. Fader, pan and mute are not part of it.

import { F32_MAX, F32_MIN_POSITIVE, FLUSH_THRESHOLD, QUIET } from "./dawg-js-config.js";
import {
  COMP_ATTACK_MS,
  COMP_DETECTOR,
  COMP_KNEE_DB,
  COMP_LINK,
  COMP_MAKEUP_DB,
  COMP_RATIO,
  COMP_RELEASE_MS,
  COMP_THRESHOLD_DB,
  CompressorLane,
  REDUCTION_FLOOR_LOG2,
} from "./dawg-js-compressor.js";
import { COEF_UPDATE_FRAMES, EQ_SCALE, EQ_UNSCALE, EqLane } from "./dawg-js-eq.js";
import { stepsForMs } from "./dawg-js-smooth.js";

/** The strip's parameters, in the Rust STRIP_PARAMS order (a slot is an index here). */
export const STRIP_PARAM_NAMES = Object.freeze([
  "low_hz",
  "low_gain_db",
  "mid_hz",
  "mid_gain_db",
  "mid_q",
  "high_hz",
  "high_gain_db",
  "comp_threshold_db",
  "comp_ratio",
  "comp_attack_ms",
  "comp_release_ms",
  "comp_knee_db",
  "comp_makeup_db",
  "comp_detector",
  "comp_link",
]);

/** The defaults of the strip's rows in the Rust table, in slot order (a new strip starts at them). */
export const STRIP_DEFAULTS = Object.freeze([
  200.0, 0.0, 1000.0, 0.0, 0.707, 3000.0, 0.0, 0.0, 1.0, 3.0, 100.0, 0.0, 0.0, 0.0, 1.0,
]);

/** Slots 0..6 are the EQ's parameters in its own order; slots 7..14 go to these compressor parameters. */
const EQ_SLOTS = 7;
const COMP_OF_SLOT = Object.freeze([
  COMP_THRESHOLD_DB,
  COMP_RATIO,
  COMP_ATTACK_MS,
  COMP_RELEASE_MS,
  COMP_KNEE_DB,
  COMP_MAKEUP_DB,
  COMP_DETECTOR,
  COMP_LINK,
]);

/** The compressor's [release, attack] coefficients of the strip being processed, picked without a branch. */
const COEFS = new Float64Array(2);
/** The largest input sample the last fused pass flushed and kept (a double, returned without boxing). */
const PEAK = new Float64Array(1);

/**
 * The strip's common case in one pass per frame: input flush (unless the
 * caller's input is flushed already), the EQ (EqLane.process: update
 * points, settling, f32 overflow) and the fully
 * linked peak compressor (CompressorLane.runLinkedPeak), the EQ output
 * rounded to f32 between them as the block buffer would. The same bits as
 * running the three passes one after another; the EQ runs even where its
 * coefficients are an identity with zero state, which changes no bit.
 */
function fusedEqCompressor(eq, comp, inL, lOff, inR, rOff, left, right, start, end, inputFlushed) {
  const T = FLUSH_THRESHOLD;
  const M = F32_MAX;
  const S = EQ_SCALE;
  const U = EQ_UNSCALE;
  const TS = T * S;
  const MS = M * S;
  const st = eq.state;
  let c = eq.coefs;
  let l01 = st[0] * S, l02 = st[1] * S, l11 = st[2] * S, l12 = st[3] * S, l21 = st[4] * S, l22 = st[5] * S;
  let r01 = st[6] * S, r02 = st[7] * S, r11 = st[8] * S, r12 = st[9] * S, r21 = st[10] * S, r22 = st[11] * S;
  // The input's scale folds into the first section's feed-forward coefficients.
  let a0 = c[0] * S, a1 = c[1] * S, a2 = c[2] * S, a3 = c[3], a4 = c[4];
  let b0 = c[5], b1 = c[6], b2 = c[7], b3 = c[8], b4 = c[9];
  let d0 = c[10], d1 = c[11], d2 = c[12], d3 = c[13], d4 = c[14];
  let phase = eq.phase;
  const thr = comp.thresholdLog2;
  const slope = comp.slope;
  const halfKnee = comp.halfKnee;
  const kneeCoef = comp.kneeCoef;
  const attack = comp.attackCoef;
  const release = comp.releaseCoef;
  const floor = -REDUCTION_FLOOR_LOG2;
  // Below this peak the gain computer's target is 0 (the margin, 1e-6 in
  // log2 units, is far above Math.log2's error), so the log can be skipped.
  const quietPeak = Math.pow(2, thr - halfKnee - 1e-6);
  const ramp = comp.mkRemaining !== 0;
  const mkTarget = comp.mkTarget;
  const mkStep = comp.mkStep;
  let mkRemaining = comp.mkRemaining;
  let makeup = comp.mkCurrent;
  let red = comp.redL;
  const coefs = COEFS;
  coefs[0] = release;
  coefs[1] = attack;
  let inputPeak = 0.0;
  let i = start;
  while (i < end) {
    if (phase === 0) {
      if (eq.dirty) {
        eq.updatePoint();
        c = eq.coefs;
        a0 = c[0] * S; a1 = c[1] * S; a2 = c[2] * S; a3 = c[3]; a4 = c[4];
        b0 = c[5]; b1 = c[6]; b2 = c[7]; b3 = c[8]; b4 = c[9];
        d0 = c[10]; d1 = c[11]; d2 = c[12]; d3 = c[13]; d4 = c[14];
      }
      // Settle, as EqLane.process (state scaled by EQ_SCALE, see there).
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
    for (let j = i; j < stop; j++) {
      let xl = inL[lOff + j];
      let xr = inR[rOff + j];
      if (!inputFlushed) {
        const axl = Math.abs(xl);
        const axr = Math.abs(xr);
        if (!(axl >= T && axl <= M)) {
          xl = 0.0;
        } else if (axl > inputPeak) {
          inputPeak = axl;
        }
        if (!(axr >= T && axr <= M)) {
          xr = 0.0;
        } else if (axr > inputPeak) {
          inputPeak = axr;
        }
      }
      // EQ: three sections per channel.
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
      // The EQ's output as the f32 block buffer holds it (a section that
      // overflowed makes it Inf or NaN until the next update point: zero).
      // Unscaling is exact, so these are EqLane.process's bits.
      const ul = yl * U;
      const ur = yr * U;
      const al = Math.abs(ul);
      const ar = Math.abs(ur);
      const el = Math.fround(al >= T && al <= M ? ul : 0.0);
      const er = Math.fround(ar >= T && ar <= M ? ur : 0.0);
      // Compressor, fully linked peak detector.
      if (ramp) {
        mkRemaining = mkRemaining > 1 ? mkRemaining - 1 : 0;
        makeup = mkTarget - mkStep * mkRemaining;
      }
      const pl = Math.abs(el);
      const pr = Math.abs(er);
      const peak = pl < pr ? pr : pl;
      let target = 0.0;
      if (!(peak < quietPeak)) {
        // `+`: an imported constant is a tagged value; without it V8 boxes `peak` for
        // the select, a heap number per sample.
        const level = Math.log2(peak >= F32_MIN_POSITIVE ? peak : +F32_MIN_POSITIVE);
        const over = level - thr;
        if (halfKnee === 0.0) {
          // Hard knee: the same reduction as the branches below (up to the sign of a zero).
          target = slope * Math.max(over, 0.0);
        } else if (over > halfKnee) {
          target = over * slope;
        } else {
          const a = over + halfKnee;
          target = a > 0.0 ? slope * (a * a) * kneeCoef : 0.0;
        }
      }
      const coef = coefs[(target < red) | 0];
      red = target + coef * (red - target);
      if (!(red < floor)) {
        red = 0.0;
      }
      let x = red + makeup;
      x = x > 127.0 ? 127.0 : x >= -126.0 ? x : -126.0;
      const g = Math.exp(x * Math.LN2);
      const zl = el * g;
      const zr = er * g;
      const bl = Math.abs(zl);
      const br = Math.abs(zr);
      left[j] = bl >= T && bl <= M ? zl : 0.0;
      right[j] = br >= T && br <= M ? zr : 0.0;
    }
    phase = (phase + seg) % COEF_UPDATE_FRAMES;
    i = stop;
  }
  eq.phase = phase;
  st[0] = l01 * U; st[1] = l02 * U; st[2] = l11 * U; st[3] = l12 * U; st[4] = l21 * U; st[5] = l22 * U;
  st[6] = r01 * U; st[7] = r02 * U; st[8] = r11 * U; st[9] = r12 * U; st[10] = r21 * U; st[11] = r22 * U;
  comp.redL = red;
  comp.redR = red;
  comp.mkRemaining = mkRemaining;
  comp.mkCurrent = makeup;
  PEAK[0] = inputPeak;
}

/**
 * Copy frames start..end of an input (left channel at `inL[lOff + i]`,
 * right at `inR[rOff + i]`) into (left, right), NaN, infinite and
 * subnormal samples as zeros; true when every copied sample is below QUIET.
 */
export function copyFlushed(inL, lOff, inR, rOff, left, right, start, end) {
  const T = FLUSH_THRESHOLD;
  const M = F32_MAX;
  let peak = 0.0;
  for (let i = start; i < end; i++) {
    let x = inL[lOff + i];
    let y = inR[rOff + i];
    const ax = Math.abs(x);
    const ay = Math.abs(y);
    if (!(ax >= T && ax <= M)) {
      x = 0.0;
    } else if (ax > peak) {
      peak = ax;
    }
    if (!(ay >= T && ay <= M)) {
      y = 0.0;
    } else if (ay > peak) {
      peak = ay;
    }
    left[i] = x;
    right[i] = y;
  }
  return peak < QUIET;
}

/** One track's EQ and compressor. */
export class Strip {
  /**
   * A strip at `sampleRateHz` with every parameter at `defaults` (15 values
   * in slot order; STRIP_DEFAULTS when omitted).
   */
  constructor(sampleRateHz, defaults = STRIP_DEFAULTS) {
    if (!(Number.isFinite(sampleRateHz) && sampleRateHz > 0)) {
      throw new RangeError(`sample rate must be a positive number of Hz, got ${sampleRateHz}`);
    }
    if (defaults.length !== STRIP_PARAM_NAMES.length) {
      throw new RangeError(`a strip takes ${STRIP_PARAM_NAMES.length} defaults, got ${defaults.length}`);
    }
    this.sampleRateHz = Math.fround(sampleRateHz);
    this.eq = new EqLane(sampleRateHz, defaults);
    this.comp = new CompressorLane(sampleRateHz);
    this.values = new Float64Array(STRIP_PARAM_NAMES.length);
    for (let s = 0; s < STRIP_PARAM_NAMES.length; s++) {
      this.values[s] = Math.fround(defaults[s]);
    }
    for (let s = EQ_SLOTS; s < STRIP_PARAM_NAMES.length; s++) {
      this.comp.apply(COMP_OF_SLOT[s - EQ_SLOTS], this.values[s], 0);
    }
    this.paused = false;
    /** Set by processInput: its input was below QUIET throughout. */
    this.inputQuiet = true;
  }

  /**
   * Set slot `slot` to an in-range `value` (the caller clamps), ramped over
   * `smoothingMs` where the parameter ramps (EQ rows, makeup). Other slots
   * are ignored.
   */
  set(slot, value, smoothingMs) {
    if (!(slot >= 0 && slot < STRIP_PARAM_NAMES.length)) {
      return;
    }
    const v = Math.fround(value);
    this.values[slot] = v;
    const steps = stepsForMs(smoothingMs, this.sampleRateHz);
    if (slot < EQ_SLOTS) {
      this.eq.set(slot, v, steps);
    } else {
      this.comp.apply(COMP_OF_SLOT[slot - EQ_SLOTS], v, steps);
    }
  }

  /** The last value set for slot `slot` (its target, not the ramp position); NaN for an unknown slot. */
  get(slot) {
    return slot >= 0 && slot < STRIP_PARAM_NAMES.length ? this.values[slot] : NaN;
  }

  /**
   * Run the strip on frames start..end of (left, right) in place. Input
   * samples that are NaN, infinite or subnormal count as silence; a caller
   * whose input is already flushed so (`inputFlushed`) saves the test. A
   * paused strip writes exact zeros and keeps its state.
   */
  process(left, right, start, end, inputFlushed = false) {
    if (this.paused) {
      left.fill(0.0, start, end);
      right.fill(0.0, start, end);
      return;
    }
    if (this.fuses()) {
      fusedEqCompressor(this.eq, this.comp, left, 0, right, 0, left, right, start, end, inputFlushed === true);
      return;
    }
    this.processPasses(left, right, start, end);
  }

  /** True when the one-pass form applies: a working, fully linked peak compressor with equal channels. */
  fuses() {
    const comp = this.comp;
    return !comp.isIdle() && comp.link === 1.0 && comp.redL === comp.redR && !comp.rmsActive;
  }

  /**
   * `process` with the strip's input read from elsewhere: frames
   * start..end of an input whose left channel is at `inL[lOff + i]` and
   * right at `inR[rOff + i]`, the output into (left, right). Sets
   * `inputQuiet`: true when every input sample (flushed) is below QUIET. The
   * same bits as copying the flushed input into (left, right) first.
   */
  processInput(inL, lOff, inR, rOff, left, right, start, end) {
    if (!this.paused && this.fuses()) {
      fusedEqCompressor(this.eq, this.comp, inL, lOff, inR, rOff, left, right, start, end, false);
      this.inputQuiet = PEAK[0] < QUIET;
      return;
    }
    this.inputQuiet = copyFlushed(inL, lOff, inR, rOff, left, right, start, end);
    this.processPasses(left, right, start, end);
  }

  /**
   * `process` as three passes over the block (input flush, EQ, compressor),
   * whatever the settings; `process` fuses them in one pass where it can,
   * with the same bits.
   */
  processPasses(left, right, start, end) {
    if (this.paused) {
      left.fill(0.0, start, end);
      right.fill(0.0, start, end);
      return;
    }
    copyFlushed(left, 0, right, 0, left, right, start, end);
    this.eq.process(left, right, start, end);
    this.comp.process(left, right, start, end);
  }

  /** Pause or resume: a paused strip is not processed, its state, ramps and update count stand still. */
  setPaused(paused) {
    this.paused = Boolean(paused);
  }

  /** True while paused. */
  isPaused() {
    return this.paused;
  }

  /** Clear the audio state to exact zeros, jump the ramps to their targets and restart the update count. */
  resetLane() {
    this.eq.resetLane();
    this.comp.reset();
  }

  /**
   * True when the EQ state is below −120 dBFS and the compressor holds no
   * gain reduction: silence in gives output below −120 dBFS, and resetLane
   * changes nothing audible.
   */
  isQuiet() {
    return this.eq.stateBelow(QUIET) && this.comp.isQuiet();
  }

  /** The compressor's gain reduction in dB (≤ 0). */
  reductionDb() {
    return this.comp.reductionDb();
  }
}
