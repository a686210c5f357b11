// Saturator: drive, a static waveshaper run at 4x the sample rate, dry/wet
// mix and output gain (dsp_rust/src/units/saturator.rs).
//
// Per channel and frame: d = clamp(x * drive, +-65536); 4x oversampling
// through two halfband stages (STAGE_2X then STAGE_4X); the curve on each of
// the four fast samples; back down through the same stages (plus one sample
// of delay at 2x so the total delay is a whole number of frames); out =
// output * ((1 - mix) * dry + mix * wet), with the dry input delayed by
// LATENCY_FRAMES so it lines up with the wet path sample for sample.
//
// Curves (slope 1 at the origin): 0, soft clip t (27 + t^2) / (27 + 9 t^2)
// with t = clamp(x, +-3); 1, cubic soft clip t - (4/27) t^3 with t =
// clamp(x, +-1.5). Drive, mix and output ramp linearly per sample over
// PARAM_SMOOTHING_MS; a curve change crossfades the two curves' outputs over
// CURVE_CROSSFADE_MS.
//
// Blocks are processed in passes of up to 32 frames, stage by stage; ramps
// advance per sample and every filter adds each output's terms in a fixed
// order, so the output does not depend on the block size, bit for bit.

import { Downsampler, STAGE_2X, STAGE_4X, Upsampler } from "./dawg-js-halfband.js";
import { dbToGain, flush, quietFrame } from "./dawg-js-math.js";
import { Linear, stepsForMs } from "./dawg-js-smooth.js";

/** Ramp time of drive, mix and output changes, ms. */
export const PARAM_SMOOTHING_MS = 20.0;
/** Crossfade time of a curve change, ms. */
export const CURVE_CROSSFADE_MS = 10.0;
/** Delay of the whole unit, frames. */
export const LATENCY_FRAMES = 27;
/** Frames after which an input sample no longer affects the output. */
export const TAIL_FRAMES = 57;
/** Driven input beyond +-this is clamped before oversampling. */
export const DRIVEN_LIMIT = 65536.0;

/** Every input sample below this keeps the output below -120 dBFS (the Rust f32 1e-6 / 512). */
const QUIET_INPUT = Math.fround(1e-6) / 512;

/** Index of sat_drive_db. */
export const DRIVE_DB = 0;
/** Index of sat_curve. */
export const CURVE = 1;
/** Index of sat_mix. */
export const MIX = 2;
/** Index of sat_output_db. */
export const OUTPUT_DB = 3;

/** The saturator's parameter names, in index order. */
export const PARAM_NAMES = Object.freeze(["sat_drive_db", "sat_curve", "sat_mix", "sat_output_db"]);
/** The saturator's parameter defaults, in index order. */
const DEFAULTS = [0.0, 0.0, 1.0, 0.0];

/** Frames per processing pass. */
const FRAMES_PER_PASS = 32;

const CURVE_SOFT = 0;
const CURVE_CUBIC = 1;
const CURVE_BLEND = 2;

/** The cubic curve's coefficient 4/27, as the Rust f32. */
const CUBIC_K = Math.fround(4 / 27);

/** Curve 0: t (27 + t^2) / (27 + 9 t^2), t = clamp(x, +-3). */
export function softClip(x) {
  const t = x < -3 ? -3 : x > 3 ? 3 : x;
  const t2 = t * t;
  return (t * (27 + t2)) / (27 + 9 * t2);
}

/** Curve 1: t - (4/27) t^3, t = clamp(x, +-1.5). */
export function cubicClip(x) {
  const t = x < -1.5 ? -1.5 : x > 1.5 ? 1.5 : x;
  return t - CUBIC_K * t * t * t;
}

/** One channel's oversampling chain. */
class Chain {
  constructor() {
    this.up2 = new Upsampler(STAGE_2X);
    this.up4 = new Upsampler(STAGE_4X);
    this.down4 = new Downsampler(STAGE_4X);
    this.down2 = new Downsampler(STAGE_2X);
    // The previous 2x-rate output of the 4x stage (a one-sample delay).
    this.held = 0.0;
    this.v = new Float32Array(2 * FRAMES_PER_PASS);
    this.w = new Float32Array(4 * FRAMES_PER_PASS);
    this.z = new Float32Array(2 * FRAMES_PER_PASS + 1);
  }

  /** The wet samples y[0 .. m) for the driven inputs d[0 .. m), the curve chosen by `curve` (`a` the crossfade position per frame). */
  run(d, m, curve, a, y) {
    const v = this.v;
    const w = this.w;
    const z = this.z;
    this.up2.processBlock(d, 0, m, v, 0);
    this.up4.processBlock(v, 0, 2 * m, w, 0);
    const n4 = 4 * m;
    if (curve === CURVE_SOFT) {
      for (let i = 0; i < n4; i++) {
        w[i] = softClip(w[i]);
      }
    } else if (curve === CURVE_CUBIC) {
      for (let i = 0; i < n4; i++) {
        w[i] = cubicClip(w[i]);
      }
    } else {
      for (let j = 0; j < m; j++) {
        const aj = a[j];
        const b = Math.fround(1 - aj);
        for (let i = 4 * j; i < 4 * j + 4; i++) {
          const x = w[i];
          w[i] = b * Math.fround(softClip(x)) + aj * Math.fround(cubicClip(x));
        }
      }
    }
    z[0] = this.held;
    this.down4.processBlock(w, 0, 2 * m, z, 1);
    this.held = z[2 * m];
    this.down2.processBlock(z, 0, m, y, 0);
  }

  reset() {
    this.up2.reset();
    this.up4.reset();
    this.down4.reset();
    this.down2.reset();
    this.held = 0.0;
  }

  isSilent() {
    return (
      this.up2.isSilent() && this.up4.isSilent() && this.down4.isSilent() && this.down2.isSilent() && this.held === 0
    );
  }
}

/** The saturator unit (stereo, channels independent). */
export class Saturator {
  /** A saturator at `sampleRateHz` with every parameter at its default; any block length works. */
  constructor(sampleRateHz, maxFrames = 0) {
    void maxFrames;
    this.steps = stepsForMs(PARAM_SMOOTHING_MS, sampleRateHz);
    this.curveSteps = stepsForMs(CURVE_CROSSFADE_MS, sampleRateHz);
    this.values = new Float32Array(4);
    this.drive = new Linear(1.0);
    // 0 = curve 0, 1 = curve 1; between: a crossfade.
    this.curveMix = new Linear(0.0);
    this.mix = new Linear(1.0);
    this.output = new Linear(1.0);
    this.left = new Chain();
    this.right = new Chain();
    this.dryLeft = new Float32Array(LATENCY_FRAMES);
    this.dryRight = new Float32Array(LATENCY_FRAMES);
    this.dryPos = 0;
    this.quiet = TAIL_FRAMES;
    // Per-pass scratch.
    const P = FRAMES_PER_PASS;
    this.a = new Float64Array(P);
    this.driveGain = new Float64Array(P);
    this.mixGain = new Float64Array(P);
    this.outGain = new Float64Array(P);
    this.xl = new Float32Array(P);
    this.xr = new Float32Array(P);
    this.dl = new Float32Array(P);
    this.dr = new Float32Array(P);
    this.wl = new Float32Array(P);
    this.wr = new Float32Array(P);
    for (let i = 0; i < DEFAULTS.length; i++) {
      this.set(i, DEFAULTS[i]);
    }
    this.reset();
  }

  /** Set parameter `index` to `value` (an in-range f32); it ramps from its current value. Unknown indices are ignored. */
  set(index, value) {
    const steps = this.steps;
    switch (index) {
      case DRIVE_DB:
        this.drive.setTarget(Math.fround(dbToGain(value)), steps);
        break;
      case CURVE:
        this.curveMix.setTarget(value >= 0.5 ? 1.0 : 0.0, this.curveSteps);
        break;
      case MIX:
        this.mix.setTarget(value, steps);
        break;
      case OUTPUT_DB:
        this.output.setTarget(Math.fround(dbToGain(value)), steps);
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

  /** Delay from input to output, frames (the same for dry and wet). */
  latencyFrames() {
    return LATENCY_FRAMES;
  }

  /** Longest time an input sample keeps affecting the output, frames. */
  tailFrames() {
    return TAIL_FRAMES;
  }

  /** True when the last TAIL_FRAMES input frames were all below -174 dBFS. */
  isQuiet() {
    return this.quiet >= TAIL_FRAMES;
  }

  /** The saturator has no tempo-synced parameter. */
  setTempoBpm(bpm) {
    void bpm;
  }

  /** Jump every ramp to its target and clear all filter state and the dry delay to exact zeros. */
  reset() {
    this.drive.snap();
    this.curveMix.snap();
    this.mix.snap();
    this.output.snap();
    this.left.reset();
    this.right.reset();
    this.dryLeft.fill(0);
    this.dryRight.fill(0);
    this.dryPos = 0;
    this.quiet = TAIL_FRAMES;
  }

  /** True when all filter state and the dry delay are exactly zero. */
  stateIsSilent() {
    if (!this.left.isSilent() || !this.right.isSilent()) {
      return false;
    }
    for (let i = 0; i < LATENCY_FRAMES; i++) {
      if (this.dryLeft[i] !== 0 || this.dryRight[i] !== 0) {
        return false;
      }
    }
    return true;
  }

  /** Saturate frames start .. end of a stereo block in place. */
  process(left, right, start, end) {
    for (let i = start; i < end; i += FRAMES_PER_PASS) {
      this.pass(left, right, i, Math.min(end, i + FRAMES_PER_PASS));
    }
  }

  /** Up to FRAMES_PER_PASS frames. */
  pass(left, right, start, end) {
    const m = end - start;
    const curveMix = this.curveMix;
    const curve = curveMix.isActive() ? CURVE_BLEND : curveMix.current < 0.5 ? CURVE_SOFT : CURVE_CUBIC;
    const a = this.a;
    const driveGain = this.driveGain;
    const mixGain = this.mixGain;
    const outGain = this.outGain;
    const drive = this.drive;
    const mix = this.mix;
    const output = this.output;
    for (let j = 0; j < m; j++) {
      a[j] = curveMix.tick();
      driveGain[j] = drive.tick();
      mixGain[j] = mix.tick();
      outGain[j] = output.tick();
    }
    const xl = this.xl;
    const xr = this.xr;
    const dl = this.dl;
    const dr = this.dr;
    let quiet = this.quiet;
    for (let j = 0; j < m; j++) {
      const l = flush(left[start + j]);
      const r = flush(right[start + j]);
      xl[j] = l;
      xr[j] = r;
      quiet = quietFrame(quiet, Math.abs(l) > QUIET_INPUT || Math.abs(r) > QUIET_INPUT);
      const g = driveGain[j];
      const vl = Math.fround(l * g);
      const vr = Math.fround(r * g);
      dl[j] = vl < -DRIVEN_LIMIT ? -DRIVEN_LIMIT : vl > DRIVEN_LIMIT ? +DRIVEN_LIMIT : vl;
      dr[j] = vr < -DRIVEN_LIMIT ? -DRIVEN_LIMIT : vr > DRIVEN_LIMIT ? +DRIVEN_LIMIT : vr;
    }
    this.quiet = quiet;
    const wl = this.wl;
    const wr = this.wr;
    this.left.run(dl, m, curve, a, wl);
    this.right.run(dr, m, curve, a, wr);
    const dryLeft = this.dryLeft;
    const dryRight = this.dryRight;
    let pos = this.dryPos;
    for (let j = 0; j < m; j++) {
      const dryL = dryLeft[pos];
      const dryR = dryRight[pos];
      dryLeft[pos] = xl[j];
      dryRight[pos] = xr[j];
      pos += 1;
      if (pos === LATENCY_FRAMES) {
        pos = 0;
      }
      const mj = mixGain[j];
      const dryGain = Math.fround(1 - mj);
      const o = outGain[j];
      left[start + j] = flush(Math.fround(o * Math.fround(dryL * dryGain + wl[j] * mj)));
      right[start + j] = flush(Math.fround(o * Math.fround(dryR * dryGain + wr[j] * mj)));
    }
    this.dryPos = pos;
  }
}
