// Stereo feedback delay with tempo sync, ping-pong and a damped feedback
// path (dsp_rust/src/units/delay.rs).
//
// Per frame, with y the two delay-line taps read at the (fractional) delay:
//
//   lp  += a (y - lp)                       one-pole low-pass per side, a = 1 - e^(-2 pi fc / fs)
//   wL   = inL + p (m - inL) + fb (lpL + p (lpR - lpL))
//   wR   = (1 - p) inR       + fb (lpR + p (lpL - lpR))
//   out  = (1 - mix) in + mix y              linear wet/dry crossfade
//
// where m = (inL + inR) / 2 and p is the ping-pong amount (0 or 1, faded).
// The delay time is free (delay_time_ms) or a note division at the session
// tempo (delay_sync, SYNC_BEATS). A new delay time is reached by gliding the
// read position (tape style, time constant GLIDE_MS, read head speed within
// 1 +- GLIDE_MAX_RATE); the line is read with 4-point cubic Hermite
// (Catmull-Rom) interpolation. Recirculating values below STATE_FLOOR are
// set to exactly zero, so a tail ends in exact silence.
//
// The read position and every value kept from frame to frame are f32, as in
// the Rust, so the glide, the whole-frame split and the state floor take the
// same decisions.

import { F32_MAX, F32_MIN_POSITIVE, QUIET } from "./dawg-js-config.js";
import { flush, QUIET_SETTLED, quietFrame } from "./dawg-js-math.js";
import { Linear, stepsForMs } from "./dawg-js-smooth.js";

/** Longest delay the line holds, in seconds: a half note at 20 BPM. */
export const MAX_DELAY_S = 6.0;
/** Shortest read distance in frames. */
const MIN_DELAY_FRAMES = 2;
/** Extra frames past MAX_DELAY_S for the interpolator's taps. */
const GUARD_FRAMES = 4;
/** Time constant of the delay-time glide, ms. */
export const GLIDE_MS = 100.0;
/** Largest change of the read distance per frame during a glide. */
export const GLIDE_MAX_RATE = 0.5;
/** Glide remainders smaller than this (frames) end the glide (the Rust f32). */
const GLIDE_SNAP_FRAMES = Math.fround(1e-3);
/** Recirculating values smaller than this are replaced by exact zero (the Rust f32). */
export const STATE_FLOOR = Math.fround(1e-9);

/** Length in quarter-note beats of each delay_sync setting from 1 on (0 is free time). */
export const SYNC_BEATS = Object.freeze([1.0, 0.5, 0.75, 1.0 / 3.0, 0.25, 2.0]);

/** Lowest session tempo the sync follows, BPM. */
export const TEMPO_MIN_BPM = 20.0;
/** Highest session tempo the sync follows, BPM. */
export const TEMPO_MAX_BPM = 300.0;

const SMOOTHING_MS = 20.0;
const PING_PONG_FADE_MS = 50.0;

/** Row indices. */
export const TIME_MS = 0;
export const SYNC = 1;
export const FEEDBACK = 2;
export const PING_PONG = 3;
export const DAMPING_HZ = 4;
export const MIX = 5;

/** The delay's rows: name, range (the Rust f32 bounds), default, smoothing time, stepped. */
const ROWS = [
  ["delay_time_ms", 1.0, 2000.0, 375.0, 0.0, false],
  ["delay_sync", 0.0, 6.0, 0.0, 0.0, true],
  ["delay_feedback", 0.0, Math.fround(0.95), Math.fround(0.35), SMOOTHING_MS, false],
  ["delay_ping_pong", 0.0, 1.0, 0.0, PING_PONG_FADE_MS, true],
  ["delay_damping_hz", 500.0, 20000.0, 6000.0, SMOOTHING_MS, false],
  ["delay_mix", 0.0, 1.0, 0.25, SMOOTHING_MS, false],
];

/** The delay's parameter names, in index order. */
export const PARAM_NAMES = Object.freeze(ROWS.map((r) => r[0]));

/** `x`, or exactly zero when it is below STATE_FLOOR in magnitude or not finite (x an f32 value). */
function floorState(x) {
  const a = Math.abs(x);
  return a >= STATE_FLOOR && a <= F32_MAX ? x : 0.0;
}

/** `v` is exactly zero or a normal, finite f32. */
function isCleanValue(v) {
  const a = Math.abs(v);
  return v === 0 || (a >= F32_MIN_POSITIVE && a <= F32_MAX);
}

/** Every value of `buf` is exactly zero or a normal, finite f32. */
function isClean(buf) {
  for (let i = 0; i < buf.length; i++) {
    if (!isCleanValue(buf[i])) {
      return false;
    }
  }
  return true;
}

/** f32 round half away from zero, as Rust's f32::round. */
function roundHalfAway(x) {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** The delay unit. */
export class Delay {
  /** A delay at `sampleRateHz` with every parameter at its default and the tempo at 120 BPM; throws RangeError for a bad rate. */
  constructor(sampleRateHz, maxFrames = 0) {
    void maxFrames;
    const rate = Math.fround(sampleRateHz);
    if (!(Number.isFinite(rate) && rate >= 1.0)) {
      throw new RangeError(`delay: sample rate ${sampleRateHz} Hz is not a finite rate of at least 1 Hz`);
    }
    const sr = rate;
    const len = Math.ceil(MAX_DELAY_S * sr) + GUARD_FRAMES;
    this.sampleRateHz = sr;
    this.values = new Float32Array(6);
    this.steps = new Uint32Array(6);
    this.tempoBpm = 120.0;
    this.left = new Float32Array(len);
    this.right = new Float32Array(len);
    this.len = len;
    this.write = 0;
    this.targetInt = MIN_DELAY_FRAMES;
    this.targetFrac = 0.0;
    this.glide = 0.0;
    this.glideRate = Math.fround(1.0 - Math.exp(-1.0 / (GLIDE_MS * 1e-3 * sr)));
    this.feedback = new Linear(0.0);
    this.mix = new Linear(0.0);
    this.damping = new Linear(0.0);
    this.pingPong = new Linear(0.0);
    this.lpLeft = 0.0;
    this.lpRight = 0.0;
    this.quiet = QUIET_SETTLED;
    this.clean = true;
    for (let i = 0; i < ROWS.length; i++) {
      this.steps[i] = stepsForMs(ROWS[i][4], rate);
      this.set(i, ROWS[i][3]);
    }
  }

  /** The delay the settings ask for, in frames (fractional), within the line. */
  targetFrames() {
    const sync = roundHalfAway(this.values[SYNC]);
    let seconds;
    if (sync >= 1 && sync <= SYNC_BEATS.length) {
      seconds = (SYNC_BEATS[sync - 1] * 60.0) / this.tempoBpm;
    } else {
      seconds = this.values[TIME_MS] * 1e-3;
    }
    const max = Math.max(0, this.len - (GUARD_FRAMES - 1));
    // As f64::max then f64::min: a NaN (from a NaN tempo) becomes the lower bound.
    let frames = seconds * this.sampleRateHz;
    if (!(frames >= MIN_DELAY_FRAMES)) {
      frames = MIN_DELAY_FRAMES;
    }
    return frames > max ? max : frames;
  }

  /** Aim the read position at the current settings, gliding from where it is. */
  retarget() {
    const now = this.targetInt + this.targetFrac + this.glide;
    const t = this.targetFrames();
    const ti = Math.floor(t);
    this.targetInt = ti;
    this.targetFrac = Math.fround(t - ti);
    const lo = MIN_DELAY_FRAMES - t;
    const hi = Math.max(0, this.len - (GUARD_FRAMES - 1)) - t;
    this.glide = Math.fround(Math.min(Math.max(now - t, lo), hi));
  }

  /**
   * Set row `index` to `value` (clamped again to the row's range). Unknown
   * rows are ignored. While nothing above -120 dBFS has been in the lines for
   * a whole line length, changes take effect at once.
   */
  set(index, value) {
    const row = ROWS[index];
    if (row === undefined) {
      return;
    }
    // As f32::max then f32::min: a NaN becomes the lower bound.
    let v = Math.fround(value);
    if (!(v >= row[1])) {
      v = row[1];
    }
    if (v > row[2]) {
      v = row[2];
    }
    if (row[5]) {
      v = roundHalfAway(v);
    }
    this.values[index] = v;
    const steps = this.steps[index];
    switch (index) {
      case TIME_MS:
      case SYNC:
        this.retarget();
        break;
      case FEEDBACK:
        this.feedback.setTarget(v, steps);
        break;
      case PING_PONG:
        this.pingPong.setTarget(v, steps);
        break;
      case DAMPING_HZ: {
        const w = (2.0 * Math.PI * v) / this.sampleRateHz;
        this.damping.setTarget(Math.fround(1.0 - Math.exp(-w)), steps);
        break;
      }
      default:
        this.mix.setTarget(v, steps);
    }
    if (this.isEmpty()) {
      this.snap();
    }
  }

  /** The last value set for row `index` (0 for unknown rows). */
  get(index) {
    return index >= 0 && index < 6 ? this.values[index] : 0.0;
  }

  /** Set the session tempo used by synced delay times (clamped to 20..300 BPM). */
  setTempoBpm(bpm) {
    const b = Math.fround(bpm);
    const clamped = b < TEMPO_MIN_BPM ? TEMPO_MIN_BPM : b > TEMPO_MAX_BPM ? TEMPO_MAX_BPM : b;
    // NaN stays NaN through the clamp in Rust too (f32::clamp), and then differs from every tempo.
    if (clamped !== this.tempoBpm) {
      this.tempoBpm = clamped;
      this.retarget();
      if (this.isEmpty()) {
        this.snap();
      }
    }
  }

  snap() {
    this.glide = 0.0;
    this.feedback.snap();
    this.mix.snap();
    this.damping.snap();
    this.pingPong.snap();
  }

  /** The current read delay in frames (target plus what is left of a glide). */
  delayFrames() {
    return this.targetInt + this.targetFrac + this.glide;
  }

  /** Process frames start .. end of a stereo block in place. */
  process(leftIo, rightIo, start, end) {
    const len = this.len;
    if (len < MIN_DELAY_FRAMES + GUARD_FRAMES) {
      return;
    }
    this.clean = false;
    const lineL = this.left;
    const lineR = this.right;
    const maxK = len - (GUARD_FRAMES - 1);
    const targetInt = this.targetInt;
    const targetFrac = this.targetFrac;
    const rate = this.glideRate;
    const feedback = this.feedback;
    const mix = this.mix;
    const damping = this.damping;
    const pingPong = this.pingPong;
    let glide = this.glide;
    let write = Math.min(this.write, len - 1);
    let lpL = this.lpLeft;
    let lpR = this.lpRight;
    let quiet = this.quiet;
    for (let f = start; f < end; f++) {
      const fb = feedback.tick();
      const mx = mix.tick();
      const a = damping.tick();
      const p = pingPong.tick();

      let step = Math.fround(glide * rate);
      step = step < -GLIDE_MAX_RATE ? -GLIDE_MAX_RATE : step > GLIDE_MAX_RATE ? +GLIDE_MAX_RATE : step;
      glide = Math.fround(glide - step);
      if (Math.abs(glide) < GLIDE_SNAP_FRAMES) {
        glide = 0.0;
      }
      const pos = Math.fround(targetFrac + glide);
      const whole = Math.floor(pos);
      const t = pos - whole;
      let k = targetInt + whole;
      k = k < MIN_DELAY_FRAMES ? +MIN_DELAY_FRAMES : k > maxK ? maxK : k;
      // k in [2, len - 3]: every tap index below is in [0, len).
      let i0 = write + len - k;
      if (i0 >= len) i0 -= len;
      let im1 = write + len + 1 - k;
      if (im1 >= len) im1 -= len;
      let i1 = write + len - 1 - k;
      if (i1 >= len) i1 -= len;
      let i2 = write + len - 2 - k;
      if (i2 >= len) i2 -= len;

      let xm1 = lineL[im1];
      let x0 = lineL[i0];
      let x1 = lineL[i1];
      let x2 = lineL[i2];
      let c1 = 0.5 * (x1 - xm1);
      let c2 = xm1 - 2.5 * x0 + 2.0 * x1 - 0.5 * x2;
      let c3 = 0.5 * (x2 - xm1) + 1.5 * (x0 - x1);
      const yl = flush(Math.fround(((c3 * t + c2) * t + c1) * t + x0));
      xm1 = lineR[im1];
      x0 = lineR[i0];
      x1 = lineR[i1];
      x2 = lineR[i2];
      c1 = 0.5 * (x1 - xm1);
      c2 = xm1 - 2.5 * x0 + 2.0 * x1 - 0.5 * x2;
      c3 = 0.5 * (x2 - xm1) + 1.5 * (x0 - x1);
      const yr = flush(Math.fround(((c3 * t + c2) * t + c1) * t + x0));

      lpL = floorState(Math.fround(lpL + a * (yl - lpL)));
      lpR = floorState(Math.fround(lpR + a * (yr - lpR)));
      const xl = leftIo[f];
      const xr = rightIo[f];
      const mono = Math.fround(0.5 * xl + 0.5 * xr);
      const wl = floorState(Math.fround(xl + p * (mono - xl) + fb * (lpL + p * (lpR - lpL))));
      const wr = floorState(Math.fround((1.0 - p) * xr + fb * (lpR + p * (lpL - lpR))));
      lineL[write] = wl;
      lineR[write] = wr;
      write += 1;
      if (write >= len) write -= len;

      const dry = Math.fround(1.0 - mx);
      leftIo[f] = flush(Math.fround(dry * xl + mx * yl));
      rightIo[f] = flush(Math.fround(dry * xr + mx * yr));

      // Rust's f32::max skips a NaN operand: loud when any finite magnitude is above QUIET.
      const loud = Math.abs(wl) > QUIET || Math.abs(wr) > QUIET || Math.abs(xl) > QUIET || Math.abs(xr) > QUIET;
      quiet = quietFrame(quiet, loud);
    }
    this.glide = glide;
    this.write = write;
    this.lpLeft = lpL;
    this.lpRight = lpR;
    this.quiet = quiet;
  }

  /** Clear the lines and filters to exact zeros and end every ramp and glide. */
  reset() {
    if (!this.clean) {
      this.left.fill(0);
      this.right.fill(0);
      this.clean = true;
    }
    this.write = 0;
    this.lpLeft = 0.0;
    this.lpRight = 0.0;
    this.quiet = QUIET_SETTLED;
    this.snap();
  }

  /** True when nothing above -120 dBFS has entered or been written for as far back as the read head reaches. */
  isQuiet() {
    return this.quiet >= this.tailFrames() && Math.abs(this.lpLeft) <= QUIET && Math.abs(this.lpRight) <= QUIET;
  }

  /** True when nothing above -120 dBFS has been written for a whole line length. */
  isEmpty() {
    return this.quiet >= this.len && Math.abs(this.lpLeft) <= QUIET && Math.abs(this.lpRight) <= QUIET;
  }

  /** True when both lines and both feedback filters hold exact zeros. */
  stateIsSilent() {
    if (this.lpLeft !== 0 || this.lpRight !== 0) {
      return false;
    }
    const l = this.left;
    const r = this.right;
    for (let i = 0; i < this.len; i++) {
      if (l[i] !== 0 || r[i] !== 0) {
        return false;
      }
    }
    return true;
  }

  /** True when every value in the lines and feedback filters is exactly zero or a normal f32 (never subnormal, NaN or infinite). */
  stateIsClean() {
    return isClean(this.left) && isClean(this.right) && isCleanValue(this.lpLeft) && isCleanValue(this.lpRight);
  }

  /** How far back the read head reaches, in frames (the longest an input takes to reach the output). */
  tailFrames() {
    const reach = this.targetInt + this.targetFrac + Math.max(this.glide, 0);
    return Math.min(Math.ceil(reach) + 2, this.len);
  }
}
