// Meters and auto-bypass (dsp_rust/src/engine/meters.rs): the peak and RMS
// arithmetic of the meter area, the quiet test of a track's input, and the
// bookkeeping that puts a quiet track or bus to sleep.

import {
  METER_STATE_ABSENT,
  METER_STATE_ACTIVE,
  METER_STATE_BYPASSED,
  METER_STRIDE,
  QUIET,
  FLUSH_THRESHOLD,
  F32_MAX,
} from "./dawg-js-config.js";

const fr = Math.fround;

/** Auto-bypass state of a track or bus. */
export class Bypass {
  constructor() {
    /** Frames the channel has been quiet, source and output (saturating: Infinity). */
    this.quietFrames = 0;
    /** Reset and skipped until something wakes it. */
    this.asleep = false;
  }

  /** Awake, with the quiet count started over. */
  wake() {
    this.asleep = false;
    this.quietFrames = 0;
  }

  /**
   * Count a segment of `frames` frames whose source was quiet or not and
   * whose post-insert output was quiet or not; true once quiet for `hold` frames.
   */
  countQuiet(sourceQuiet, afterQuiet, frames, hold) {
    if (sourceQuiet && afterQuiet) {
      this.quietFrames += frames;
    } else {
      this.quietFrames = 0;
    }
    return this.quietFrames >= hold;
  }

  /** Go to sleep (the caller has reset the channel). */
  sleep() {
    this.asleep = true;
    this.quietFrames = Infinity;
  }
}

/**
 * Add a stereo segment of `n` frames (`left` from `l0`, `right` from `r0`)
 * to the meter at float `m` of `meters`: peaks and sums of squares, in f32
 * like the Rust.
 */
export function meterAdd(meters, m, left, l0, right, r0, n) {
  let pl = 0;
  let pr = 0;
  let sl = 0;
  let sr = 0;
  for (let i = 0; i < n; i++) {
    const x = left[l0 + i];
    const y = right[r0 + i];
    const ax = Math.abs(x);
    const ay = Math.abs(y);
    if (ax > pl) {
      pl = ax;
    }
    if (ay > pr) {
      pr = ay;
    }
    sl = fr(sl + fr(x * x));
    sr = fr(sr + fr(y * y));
  }
  if (pl > meters[m]) {
    meters[m] = pl;
  }
  if (pr > meters[m + 1]) {
    meters[m + 1] = pr;
  }
  meters[m + 2] += sl;
  meters[m + 3] += sr;
}

/** Zero every peak and sum of squares before a process call. */
export function clearMeters(meters) {
  for (let m = 0; m + METER_STRIDE <= meters.length; m += METER_STRIDE) {
    meters[m] = 0;
    meters[m + 1] = 0;
    meters[m + 2] = 0;
    meters[m + 3] = 0;
  }
}

/** Finish the meter at float `m` after a call of `frames` frames: RMS and state. */
export function finishMeter(meters, m, frames, state) {
  meters[m + 2] = Math.sqrt(fr(meters[m + 2] / frames));
  meters[m + 3] = Math.sqrt(fr(meters[m + 3] / frames));
  meters[m + 4] = state;
}

/** The meter state of a track or bus: absent, bypassed or active. */
export function meterState(exists, bypassed) {
  if (!exists) {
    return METER_STATE_ABSENT;
  }
  return bypassed ? METER_STATE_BYPASSED : METER_STATE_ACTIVE;
}

/**
 * True if frames `from..from + n` of a planar input (`input` null: none
 * yet; left at 0, right at `cap`) hold nothing at or above QUIET, with
 * non-finite values counting as quiet (they are flushed on the way in).
 */
export function inputIsQuiet(input, cap, from, n) {
  if (input === null) {
    return true;
  }
  for (let i = from; i < from + n; i++) {
    const a = Math.abs(input[i]);
    const b = Math.abs(input[cap + i]);
    if ((a >= QUIET && a <= F32_MAX && a >= FLUSH_THRESHOLD) || (b >= QUIET && b <= F32_MAX && b >= FLUSH_THRESHOLD)) {
      return false;
    }
  }
  return true;
}
