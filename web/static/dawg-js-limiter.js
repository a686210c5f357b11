// Stereo-linked lookahead brickwall limiter: no output sample ever exceeds
// the ceiling in absolute value (dsp_rust/src/units/limiter.rs).
//
// Gain computer, per frame n (both channels share it):
//
// 1. required gain r[n] = min(1, c (1 - 2^-20) / max(|L[n]|, |R[n]|));
// 2. h[n] = minimum of r over the lookahead window [n - L, n] (a monotonic
//    deque in a preallocated ring);
// 3. release: e[n] = h[n] when h[n] <= e[n-1] (instant), else e[n-1] moves
//    towards h[n] by the fraction 1 - exp(-1 / (release_ms fs / 1000));
// 4. attack: the gain is the mean of e over the last L + 1 frames;
// 5. output y[n] = x[n - L] g[n], clamped to +-ceiling as a backstop.
//
// The gains are integers in units of 2^-40 (truncated, never rounded up), so
// the running sum of step 4 is exact. Every such integer is below 2^53
// (at most 2^11 frames of 2^40), so a double holds it exactly and the
// arithmetic here gives the Rust's integers. Ceiling changes ramp over
// CEILING_SMOOTHING_MS; a lookahead change crossfades over
// LOOKAHEAD_CROSSFADE_MS from the running gain computer to a second one set
// up for the new lookahead.
//
// True-peak mode (lim_true_peak = 1): the required gain at arrival n is also
// at most c (1 - 2^-20) 0.9977 / tp[n - D], the true peak of frame n - D
// (dawg-js-truepeak.js, D = 16); the latency is max(lookahead, 48); the
// sliding minimum spans L' + 2W arrivals (W = 16) and the attack mean L' + 1,
// with L' = latency - D - W, so the gain is flat across the interpolators'
// support around a peak. A mode change crossfades like a lookahead change.

import { QUIET } from "./dawg-js-config.js";
import { dbToGain, flush, QUIET_SETTLED, quietFrame } from "./dawg-js-math.js";
import { Linear, stepsForMs } from "./dawg-js-smooth.js";
import { DELAY_FRAMES, TAPS, truePeakOf } from "./dawg-js-truepeak.js";

/** Longest lookahead, ms; the delay line is allocated for it. */
export const LOOKAHEAD_MAX_MS = 5.0;
/** Crossfade time of a lookahead change, ms. */
export const LOOKAHEAD_CROSSFADE_MS = 5.0;
/** Ramp time of a ceiling change, ms. */
export const CEILING_SMOOTHING_MS = 20.0;
/** Unity gain in the gain computer's fixed-point units (2^-40). */
export const GAIN_ONE = 2 ** 40;
/** The ceiling margin 1 - 2^-20 times GAIN_ONE. */
const CEILING_MARGIN_Q = GAIN_ONE * (1.0 - 1.0 / 2 ** 20);
/** The true-peak margin: CEILING_MARGIN_Q times 0.9977 (-0.02 dB). */
const TRUE_PEAK_MARGIN_Q = CEILING_MARGIN_Q * 0.9977;
/** Frames each side of a true-peak reading over which its gain is held. */
const TRUE_PEAK_HOLD = TAPS / 2;
/** Frames whose true peaks are read ahead of the gain computer in one pass. */
const READ_CHUNK = 64;
/** Shortest latency in true-peak mode, frames. */
export const TRUE_PEAK_MIN_LATENCY = DELAY_FRAMES + TRUE_PEAK_HOLD + 16;

/** Index of lim_ceiling_db. */
export const CEILING_DB = 0;
/** Index of lim_release_ms. */
export const RELEASE_MS = 1;
/** Index of lim_lookahead_ms. */
export const LOOKAHEAD_MS = 2;
/** Index of lim_true_peak. */
export const TRUE_PEAK = 3;

/** The limiter's parameter names, in index order. */
export const PARAM_NAMES = Object.freeze(["lim_ceiling_db", "lim_release_ms", "lim_lookahead_ms", "lim_true_peak"]);
/** The defaults, in index order (the Rust f32 values). */
const DEFAULTS = [Math.fround(-0.3), 100.0, 2.0, 0.0];

/** round(ms fs / 1000) frames. */
function framesForMs(ms, sampleRateHz) {
  return stepsForMs(ms, sampleRateHz);
}

/** The smallest power of two at least `n`. */
function nextPowerOfTwo(n) {
  let p = 1;
  while (p < n) {
    p *= 2;
  }
  return p;
}

/** The latency of a lookahead of `lookahead` frames: in true-peak mode at least TRUE_PEAK_MIN_LATENCY. */
function modeLatency(lookahead, truePeak) {
  return truePeak ? Math.max(lookahead, TRUE_PEAK_MIN_LATENCY) : lookahead;
}

/** Sliding minimum, release and attack averaging for one latency and detection mode. */
class GainComputer {
  constructor(cap) {
    // Length of the attack mean, less one, frames.
    this.lookahead = 0;
    // Arrivals the sliding minimum spans beyond the lookahead.
    this.hold = 0;
    // Delay of the samples this computer's gains apply to, frames.
    this.latency = 0;
    // Whether its required gains include the true peak.
    this.truePeak = false;
    this.mask = cap - 1;
    // Monotonic deque (increasing gains from head to tail) of (frame, required gain), in a ring.
    this.dqFrame = new Uint32Array(cap);
    this.dqGain = new Float64Array(cap).fill(GAIN_ONE);
    this.dqHead = 0;
    this.dqLen = 0;
    // Release-shaped gains e, indexed by frame & mask.
    this.held = new Float64Array(cap).fill(GAIN_ONE);
    // Sum of held over the attack window.
    this.sum = GAIN_ONE;
    this.last = GAIN_ONE;
    // 1 / ((L + 1) GAIN_ONE).
    this.scale = 1.0 / GAIN_ONE;
    // tick()'s inputs and output, passed through fields: the gains are
    // doubles (GAIN_ONE is 2^40), and doubles passed to or returned from a
    // call V8 does not inline are boxed.
    /** The required gain of the frame being taken (set before tick() and pushDeque()). */
    this.q = 0.5;
    /** The release coefficient (set before tick()). */
    this.releaseCoef = 0.5;
    /** The gain tick() computed. */
    this.gain = 0.5;
  }

  /** Configure for a latency (from modeLatency) and detection mode. */
  setMode(latency, truePeak) {
    const l = Math.min(latency, this.mask - 1);
    if (truePeak) {
      this.lookahead = Math.max(l - DELAY_FRAMES - TRUE_PEAK_HOLD, 0);
      this.hold = 2 * TRUE_PEAK_HOLD;
    } else {
      this.lookahead = l;
      this.hold = 0;
    }
    this.latency = l;
    this.truePeak = truePeak;
    this.scale = 1.0 / ((this.lookahead + 1) * GAIN_ONE);
  }

  /** Unity gain everywhere: the state after silence. */
  rest(latency, truePeak) {
    this.setMode(latency, truePeak);
    this.dqHead = 0;
    this.dqLen = 0;
    this.held.fill(GAIN_ONE);
    this.sum = (this.lookahead + 1) * GAIN_ONE;
    this.last = GAIN_ONE;
  }

  /**
   * Set up for a latency and mode just before frame `frame`, from the
   * required gains of the previous frames and a gain `ceiling` the history
   * must not exceed.
   */
  start(latency, truePeak, frame, required, ceiling) {
    this.setMode(latency, truePeak);
    const l = this.lookahead;
    const mask = this.mask;
    this.dqHead = 0;
    this.dqLen = 0;
    let floor = ceiling;
    for (let back = l + this.hold; back >= 1; back--) {
      const f = (frame - back) >>> 0;
      const q = required[f & mask];
      floor = Math.min(floor, q);
      this.q = q;
      this.pushDeque(f);
    }
    for (let back = 1; back <= l + 1; back++) {
      const f = (frame - back) >>> 0;
      this.held[f & mask] = floor;
    }
    this.sum = (l + 1) * floor;
    this.last = floor;
  }

  /** Push frame `frame` with the required gain in `this.q`. */
  pushDeque(frame) {
    const q = this.q;
    const mask = this.mask;
    const dqGain = this.dqGain;
    let len = this.dqLen;
    const head = this.dqHead;
    while (len > 0 && dqGain[(head + len - 1) & mask] >= q) {
      len -= 1;
    }
    const slot = (head + len) & mask;
    dqGain[slot] = q;
    this.dqFrame[slot] = frame;
    this.dqLen = len + 1;
  }

  /** Take frame `frame`'s required gain (`this.q`, release `this.releaseCoef`); the gain for the sample leaving the delay line now goes to `this.gain`. */
  tick(frame) {
    const release = this.releaseCoef;
    const mask = this.mask;
    this.pushDeque(frame);
    const l = this.lookahead;
    const span = l + this.hold;
    const dqFrame = this.dqFrame;
    let head = this.dqHead;
    let len = this.dqLen;
    // The newest entry never expires, so this stops with len >= 1.
    while (len > 1 && ((frame - dqFrame[head]) >>> 0) > span) {
      head = (head + 1) & mask;
      len -= 1;
    }
    this.dqHead = head;
    this.dqLen = len;
    const h = this.dqGain[head];
    const last = this.last;
    let e;
    if (h <= last) {
      e = h;
    } else {
      // Truncation keeps e <= h; the step of at least one unit lands exactly on h.
      const step = Math.trunc((h - last) * release);
      e = last + (step > 1 ? step : 1);
    }
    this.last = e;
    const old = this.held[((frame - (l + 1)) >>> 0) & mask];
    this.held[frame & mask] = e;
    this.sum = this.sum - old + e;
    this.gain = Math.fround(this.sum * this.scale);
  }

  atRest() {
    return this.last === GAIN_ONE && this.sum === (this.lookahead + 1) * GAIN_ONE;
  }
}

/** The limiter unit. */
export class Limiter {
  /** A limiter at `sampleRateHz` with every parameter at its default; allocates the delay line for LOOKAHEAD_MAX_MS. */
  constructor(sampleRateHz, maxFrames = 0) {
    void maxFrames;
    const rate = Math.fround(sampleRateHz);
    const lookaheadMax = framesForMs(LOOKAHEAD_MAX_MS, rate);
    const latencyMax = Math.max(lookaheadMax, TRUE_PEAK_MIN_LATENCY);
    // READ_CHUNK more than the Rust's: the input of a chunk enters the ring
    // before the chunk's outputs leave it.
    const cap = nextPowerOfTwo(latencyMax + 2 + READ_CHUNK);
    this.sampleRateHz = rate;
    this.values = new Float32Array(4);
    this.ceilingSteps = stepsForMs(CEILING_SMOOTHING_MS, rate);
    this.ceiling = new Linear(1.0);
    // A copy of the ceiling ramp advanced by the lookahead, per frame.
    this.ahead = new Linear(1.0);
    this.release = 0.0;
    this.lookaheadMax = lookaheadMax;
    // Longest latency, frames: the lookahead's, or true-peak mode's least.
    this.latencyMax = latencyMax;
    // Lookahead to use, frames, and detection (applied through a crossfade).
    this.requested = 0;
    this.truePeak = false;
    // The true-peak readings of the frames of a chunk.
    this.readings = new Float32Array(READ_CHUNK);
    this.mask = cap - 1;
    this.frame = 0;
    this.inLeft = new Float32Array(cap);
    this.inRight = new Float32Array(cap);
    this.required = new Float64Array(cap).fill(GAIN_ONE);
    this.gc = [new GainComputer(cap), new GainComputer(cap)];
    // Index into gc of the computer for the newest lookahead.
    this.current = 0;
    this.fadeLen = 0;
    this.fadePos = 0;
    this.clamps = 0;
    this.quiet = QUIET_SETTLED;
    for (let i = 0; i < DEFAULTS.length; i++) {
      this.set(i, DEFAULTS[i]);
    }
    this.reset();
  }

  /** Set parameter `index` to `value` (an in-range f32). Unknown indices are ignored. */
  set(index, value) {
    switch (index) {
      case CEILING_DB:
        this.ceiling.setTarget(Math.fround(dbToGain(value)), this.ceilingSteps);
        break;
      case RELEASE_MS: {
        const frames = Math.max(value * 1e-3 * this.sampleRateHz, 1.0);
        this.release = 1.0 - Math.exp(-1.0 / frames);
        break;
      }
      case LOOKAHEAD_MS:
        this.requested = Math.min(framesForMs(value, this.sampleRateHz), this.lookaheadMax);
        break;
      case TRUE_PEAK:
        this.truePeak = value >= 0.5;
        break;
      default:
        return;
    }
    this.values[index] = value;
  }

  /** The last value set for parameter `index` (0 for unknown indices). */
  get(index) {
    return index >= 0 && index < 4 ? this.values[index] : 0.0;
  }

  /** The limiter has no tempo-synced parameter. */
  setTempoBpm(bpm) {
    void bpm;
  }

  /** Delay from input to output, frames (in true-peak mode at least 48; the new one from the start of a crossfade). */
  latencyFrames() {
    return this.gc[this.current].latency;
  }

  /** Longest time an input sample takes to reach the output, frames. */
  tailFrames() {
    if (this.fadeLen > 0) {
      return Math.max(this.gc[0].latency, this.gc[1].latency);
    }
    return this.latencyFrames();
  }

  /** True when no input frame above -120 dBFS is still in the delay line. */
  isQuiet() {
    return this.quiet > this.tailFrames();
  }

  /** How many output samples the final safety clamp has changed since the limiter was created. */
  clampCount() {
    return this.clamps;
  }

  /** The current gain of the running gain computer (1 = no reduction). */
  gain() {
    const gc = this.gc[this.current];
    return Math.fround(gc.sum * gc.scale);
  }

  /** Jump the ceiling ramp to its target, apply the requested lookahead, clear the delay line, gain exactly 1. */
  reset() {
    this.ceiling.snap();
    this.inLeft.fill(0);
    this.inRight.fill(0);
    this.required.fill(GAIN_ONE);
    const latency = modeLatency(this.requested, this.truePeak);
    this.gc[0].rest(latency, this.truePeak);
    this.gc[1].rest(latency, this.truePeak);
    this.current = 0;
    this.fadeLen = 0;
    this.fadePos = 0;
    this.frame = 0;
    this.quiet = QUIET_SETTLED;
  }

  /** True when the delay line is all zeros and the gain is exactly 1. */
  stateIsAtRest() {
    return (
      this.fadeLen === 0 &&
      this.gc[this.current].atRest() &&
      this.inLeft.every((v) => v === 0) &&
      this.inRight.every((v) => v === 0)
    );
  }

  /** Limit frames start .. end of a stereo block in place. */
  process(left, right, start, end) {
    let i = start;
    while (i < end) {
      const gc = this.gc[this.current];
      if (
        this.fadeLen === 0 &&
        (modeLatency(this.requested, this.truePeak) !== gc.latency || this.truePeak !== gc.truePeak)
      ) {
        this.beginCrossfade();
      }
      if (this.fadeLen > 0) {
        const seg = Math.min(this.fadeLen - this.fadePos, end - i);
        this.run(left, right, i, i + seg, true);
        i += seg;
        if (this.fadePos >= this.fadeLen) {
          this.fadeLen = 0;
          this.fadePos = 0;
        }
      } else {
        this.run(left, right, i, end, false);
        i = end;
      }
    }
  }

  beginCrossfade() {
    const old = this.current;
    const next = 1 - old;
    const ceiling = this.gc[old].last;
    const latency = modeLatency(this.requested, this.truePeak);
    this.gc[next].start(latency, this.truePeak, this.frame, this.required, ceiling);
    this.current = next;
    this.fadeLen = Math.max(stepsForMs(LOOKAHEAD_CROSSFADE_MS, this.sampleRateHz), 1);
    this.fadePos = 0;
  }

  run(left, right, start, end, fading) {
    const gcOld = this.gc[1 - this.current];
    if (!this.gc[this.current].truePeak && !(fading && gcOld.truePeak)) {
      this.runFrames(left, right, start, end, fading, false);
      return;
    }
    // The readings in a pass of their own, a chunk at a time: a call per
    // frame inside runFrames would take V8's inlining budget from the calls
    // that return doubles.
    for (let s = start; s < end; s += READ_CHUNK) {
      const e = Math.min(s + READ_CHUNK, end);
      this.readAhead(left, right, s, e);
      this.runFrames(left, right, s, e, fading, true);
    }
  }

  /** Put frames start .. end into the ring and read their windows' true peaks into `readings`. */
  readAhead(left, right, start, end) {
    const mask = this.mask;
    const inLeft = this.inLeft;
    const inRight = this.inRight;
    const readings = this.readings;
    let frame = this.frame;
    for (let f = start; f < end; f++) {
      const slot = frame & mask;
      inLeft[slot] = flush(left[f]);
      inRight[slot] = flush(right[f]);
      truePeakOf(inLeft, inRight, mask, frame, readings, f - start);
      frame = (frame + 1) >>> 0;
    }
  }

  runFrames(left, right, start, end, fading, truePeak) {
    const mask = this.mask;
    const release = this.release;
    const latencyMax = this.latencyMax;
    const gcNew = this.gc[this.current];
    const gcOld = this.gc[1 - this.current];
    const delayNew = gcNew.latency;
    const delayOld = gcOld.latency;
    const fadeLen = this.fadeLen;
    const ceiling = this.ceiling;
    const ahead = this.ahead;
    const required = this.required;
    const inLeft = this.inLeft;
    const inRight = this.inRight;
    const readings = this.readings;
    let frame = this.frame;
    let clamps = 0;
    let quiet = this.quiet;
    for (let f = start; f < end; f++) {
      const c = ceiling.tick();
      // The ceiling a lookahead ahead on the current ramp (the ceiling itself when at rest).
      let cDet = c;
      if (ceiling.remaining !== 0) {
        ahead.copyFrom(ceiling);
        const a = ahead.advance(latencyMax);
        cDet = c < a ? c : a;
      }
      const xl = flush(left[f]);
      const xr = flush(right[f]);
      const al = Math.abs(xl);
      const ar = Math.abs(xr);
      const peak = al > ar ? al : ar;
      quiet = quietFrame(quiet, peak > QUIET);
      // peak = 0 gives +Infinity, capped to unity.
      const ratio = (cDet * CEILING_MARGIN_Q) / peak;
      let q = Math.trunc(ratio < GAIN_ONE ? ratio : +GAIN_ONE);
      const slot = frame & mask;
      inLeft[slot] = xl;
      inRight[slot] = xr;
      if (truePeak) {
        const tp = readings[f - start];
        const rTp = (cDet * TRUE_PEAK_MARGIN_Q) / tp;
        const qTp = Math.trunc(rTp < GAIN_ONE ? rTp : +GAIN_ONE);
        q = qTp < q ? qTp : q;
      }
      required[slot] = q;
      gcNew.q = q;
      gcNew.releaseCoef = release;
      gcNew.tick(frame);
      const g = gcNew.gain;
      const tap = ((frame - delayNew) >>> 0) & mask;
      let yl = Math.fround(inLeft[tap] * g);
      let yr = Math.fround(inRight[tap] * g);
      if (fading) {
        gcOld.q = q;
        gcOld.releaseCoef = release;
        gcOld.tick(frame);
        const gOld = gcOld.gain;
        const tapOld = ((frame - delayOld) >>> 0) & mask;
        this.fadePos += 1;
        const fa = Math.fround(this.fadePos / fadeLen);
        const fb = Math.fround(1.0 - fa);
        yl = Math.fround(Math.fround(fb * Math.fround(inLeft[tapOld] * gOld)) + Math.fround(fa * yl));
        yr = Math.fround(Math.fround(fb * Math.fround(inRight[tapOld] * gOld)) + Math.fround(fa * yr));
      }
      clamps += (Math.abs(yl) > c ? 1 : 0) + (Math.abs(yr) > c ? 1 : 0);
      left[f] = flush(yl > c ? c : yl < -c ? -c : yl);
      right[f] = flush(yr > c ? c : yr < -c ? -c : yr);
      frame = (frame + 1) >>> 0;
    }
    this.frame = frame;
    this.clamps += clamps;
    this.quiet = quiet;
  }
}
