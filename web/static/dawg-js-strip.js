// One track's channel strip, mirroring one lane of dsp_rust/src/strip.rs
// (StripGroup): the 3-band EQ (dawg-js-eq.js) then the compressor
// (dawg-js-compressor.js). Its output depends only on its own input and
// parameters; it counts its update frames from its own last reset
// (`resetLane`), so a strip reset later behaves like one created at that
// moment; a paused strip (a track the engine skips) stands still and later
// resumes where it stopped. Fader, pan and mute are not part of it.

import { F32_MAX, FLUSH_THRESHOLD, QUIET } from "./dawg-js-config.js";
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
} from "./dawg-js-compressor.js";
import { EqLane } from "./dawg-js-eq.js";
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
   * samples that are NaN, infinite or subnormal count as silence. A paused
   * strip writes exact zeros and keeps its state.
   */
  process(left, right, start, end) {
    if (this.paused) {
      left.fill(0.0, start, end);
      right.fill(0.0, start, end);
      return;
    }
    const T = FLUSH_THRESHOLD;
    const M = F32_MAX;
    for (let i = start; i < end; i++) {
      const x = left[i];
      const y = right[i];
      const ax = Math.abs(x);
      const ay = Math.abs(y);
      left[i] = ax >= T && ax <= M ? x : 0.0;
      right[i] = ay >= T && ay <= M ? y : 0.0;
    }
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
