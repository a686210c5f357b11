// Stereo reverb with two algorithms behind one set of controls
// (dsp_rust/src/units/reverb.rs): the dense feedback delay network
// (reverb_algorithm 0, the default; dawg-js-fdn.js, bit for bit as the Rust)
// and Freeverb (1), with a shared predelay and smoothed controls. A switch
// crossfades linearly over 50 ms; from rest the incoming algorithm's state is
// cleared first. Dense: T60 = 0.25 s 24^size at low frequencies,
// T60 (1 - 0.85 damping) at Nyquist.
//
// Freeverb: the input pair is summed to mono, scaled by FIXED_GAIN and delayed by the
// predelay (linear interpolation); per side it feeds 8 parallel
// lowpass-feedback comb filters, whose summed output runs through 4 series
// allpasses:
//
//   comb:    y = buf[i];  s = y (1 - damp) + s damp;  buf[i] = x + s room
//   allpass: b = buf[i];  buf[i] = x + 0.5 b;         out = b - x
//
// Comb lengths are COMB_TUNINGS and allpass lengths ALLPASS_TUNINGS frames at
// 44.1 kHz, scaled to the sample rate and rounded; the right side is
// STEREO_SPREAD frames longer. room = size 0.28 + 0.7, damp = damping 0.4.
//
//   outL = wet (1/2 + w/2) combL + wet (1/2 - w/2) combR + dry inL
//   outR = wet (1/2 + w/2) combR + wet (1/2 - w/2) combL + dry inR
//
// with dry = sin((1 - mix) pi/2), wet = 3 sin(mix pi/2). Every control ramps
// linearly per frame. Recirculating values below STATE_FLOOR are set to
// exactly zero, so a tail ends in exact silence. Frames run in passes of
// CHUNK, each comb and allpass over the whole pass in turn (the same
// arithmetic per frame whatever the block length). Each comb and allpass
// step is computed in f64 and rounded to f32 once, where the state is kept
// and the state floor decides (the Rust rounds each multiply and add: the
// outputs differ by float32 rounding, about -130 dB); the input sum and the
// output mix round every step as the Rust does.

import { F32_MAX, F32_MIN_POSITIVE, QUIET } from "./dawg-js-config.js";
import { exp2F64, flush, QUIET_SETTLED, quietFrame } from "./dawg-js-math.js";
import { Fdn } from "./dawg-js-fdn.js";
import { Linear, stepsForMs } from "./dawg-js-smooth.js";

/** Comb filter lengths in frames at TUNING_RATE_HZ (left side). */
export const COMB_TUNINGS = Object.freeze([1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617]);
/** Allpass lengths in frames at TUNING_RATE_HZ (left side), in series order. */
export const ALLPASS_TUNINGS = Object.freeze([556, 441, 341, 225]);
/** Extra length of every right-side filter, frames at TUNING_RATE_HZ. */
export const STEREO_SPREAD = 23;
/** Sample rate the tunings are given at. */
export const TUNING_RATE_HZ = 44100.0;
/** Gain of the mono input into the combs (the Rust f32). */
export const FIXED_GAIN = Math.fround(0.015);
/** Wet gain at mix 1. */
export const SCALE_WET = 3.0;
/** Comb damping coefficient per unit of reverb_damping (the Rust f32). */
export const SCALE_DAMP = Math.fround(0.4);
/** Comb feedback per unit of reverb_size (the Rust f32). */
export const SCALE_ROOM = Math.fround(0.28);
/** Comb feedback at size 0 (the Rust f32). */
export const OFFSET_ROOM = Math.fround(0.7);
/** Allpass feedback. */
export const ALLPASS_FEEDBACK = 0.5;
/** Longest predelay, ms. */
export const MAX_PREDELAY_MS = 200.0;
/** Recirculating values smaller than this are replaced by exact zero (the Rust f32). */
export const STATE_FLOOR = Math.fround(1e-9);

/** Dense algorithm: low-frequency decay time at size 0, seconds. */
export const DENSE_T60_MIN_S = 0.25;
/** log2(24): the decay time at size 1 over that at size 0, in octaves (the Rust constant). */
const LOG2_T60_RATIO = 4.584962500721156;
/** Dense algorithm: share of the decay time damping 1 takes off at Nyquist. */
export const DENSE_HF_SPREAD = 0.85;
/** reverb_algorithm values. */
export const ALGORITHM_DENSE = 0.0;
export const ALGORITHM_FREEVERB = 1.0;

/** The dense algorithm's decay times [T60 low, T60 at Nyquist] in seconds (size and damping f32 values). */
export function denseDecayS(size, damping) {
  const t60 = DENSE_T60_MIN_S * exp2F64(size * LOG2_T60_RATIO);
  return [t60, t60 * (1.0 - DENSE_HF_SPREAD * damping)];
}

/** Frames per inner pass. */
const CHUNK = 64;

/** Row indices. */
export const SIZE = 0;
export const DAMPING = 1;
export const WIDTH = 2;
export const PREDELAY_MS = 3;
export const MIX = 4;
export const ALGORITHM = 5;

/** The reverb's rows: name, range, default (the Rust f32 values), smoothing time. */
const ROWS = [
  ["reverb_size", 0.0, 1.0, Math.fround(0.7), 50.0],
  ["reverb_damping", 0.0, 1.0, 0.5, 50.0],
  ["reverb_width", 0.0, 1.0, 1.0, 20.0],
  ["reverb_predelay_ms", 0.0, 200.0, 10.0, 100.0],
  ["reverb_mix", 0.0, 1.0, Math.fround(0.3), 20.0],
  ["reverb_algorithm", 0.0, 1.0, 0.0, 50.0],
];

/** The reverb's parameter names, in index order. */
export const PARAM_NAMES = Object.freeze(ROWS.map((r) => r[0]));

/** `tuning` frames at 44.1 kHz, in frames at `sampleRateHz` (at least 1). */
export function scaled(tuning, sampleRateHz) {
  const n = roundHalfAway((tuning * sampleRateHz) / TUNING_RATE_HZ);
  return n >= 1 ? n : 1;
}

/** Round half away from zero, as Rust's f64::round. */
function roundHalfAway(x) {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** One side's filters: 8 comb lines with their stores and indices, 4 allpass lines with their indices. */
class Side {
  constructor(sampleRateHz, spread) {
    this.combs = COMB_TUNINGS.map((t) => new Float32Array(scaled(t + spread, sampleRateHz)));
    this.combIndex = new Int32Array(COMB_TUNINGS.length);
    this.combStore = new Float64Array(COMB_TUNINGS.length);
    this.allpasses = ALLPASS_TUNINGS.map((t) => new Float32Array(scaled(t + spread, sampleRateHz)));
    this.allpassIndex = new Int32Array(ALLPASS_TUNINGS.length);
  }

  clear(buffers) {
    if (buffers) {
      for (const c of this.combs) c.fill(0);
      for (const a of this.allpasses) a.fill(0);
    }
    this.combIndex.fill(0);
    this.combStore.fill(0);
    this.allpassIndex.fill(0);
  }
}

/** `x`, or exactly zero when it is below STATE_FLOOR in magnitude or not finite (x an f32 value). */
function floorState(x) {
  const a = Math.abs(x);
  return a >= STATE_FLOOR && a <= F32_MAX ? x : 0.0;
}

/**
 * Run comb `c` of both sides and comb `c + 1` of both sides over frames
 * 0 .. m as four independent recursions side by side (the CPU overlaps
 * them), as the Rust does: the left pair adds its outputs to accL, the right
 * pair to accR, in that order per frame; loud[f] is set when any writes a
 * nonzero value. Each store and write is rounded to f32 before the state
 * floor decides, as the Rust's f32 values are.
 */
function runQuad(sideL, sideR, c, x, room, damp, undamp, accL, accR, loud, m) {
  const b0 = sideL.combs[c];
  const b1 = sideL.combs[c + 1];
  const b2 = sideR.combs[c];
  const b3 = sideR.combs[c + 1];
  const n0 = b0.length;
  const n1 = b1.length;
  const n2 = b2.length;
  const n3 = b3.length;
  let i0 = sideL.combIndex[c];
  let i1 = sideL.combIndex[c + 1];
  let i2 = sideR.combIndex[c];
  let i3 = sideR.combIndex[c + 1];
  let s0 = sideL.combStore[c];
  let s1 = sideL.combStore[c + 1];
  let s2 = sideR.combStore[c];
  let s3 = sideR.combStore[c + 1];
  for (let f = 0; f < m; f++) {
    const u = undamp[f];
    const d = damp[f];
    const r = room[f];
    const xf = x[f];
    const y0 = b0[i0];
    const y1 = b1[i1];
    const y2 = b2[i2];
    const y3 = b3[i3];
    s0 = floorState(Math.fround(y0 * u + s0 * d));
    s1 = floorState(Math.fround(y1 * u + s1 * d));
    s2 = floorState(Math.fround(y2 * u + s2 * d));
    s3 = floorState(Math.fround(y3 * u + s3 * d));
    const w0 = floorState(Math.fround(xf + s0 * r));
    const w1 = floorState(Math.fround(xf + s1 * r));
    const w2 = floorState(Math.fround(xf + s2 * r));
    const w3 = floorState(Math.fround(xf + s3 * r));
    b0[i0] = w0;
    b1[i1] = w1;
    b2[i2] = w2;
    b3[i3] = w3;
    if (++i0 >= n0) i0 = 0;
    if (++i1 >= n1) i1 = 0;
    if (++i2 >= n2) i2 = 0;
    if (++i3 >= n3) i3 = 0;
    accL[f] = Math.fround(accL[f] + y0) + y1;
    accR[f] = Math.fround(accR[f] + y2) + y3;
    if (w0 !== 0 || w1 !== 0 || w2 !== 0 || w3 !== 0) loud[f] = 1;
  }
  sideL.combIndex[c] = i0;
  sideL.combIndex[c + 1] = i1;
  sideR.combIndex[c] = i2;
  sideR.combIndex[c + 1] = i3;
  sideL.combStore[c] = s0;
  sideL.combStore[c + 1] = s1;
  sideR.combStore[c] = s2;
  sideR.combStore[c + 1] = s3;
}

/** Run allpass `k` of the left side over accL and of the right side over accR, in place, side by side. */
function runPair(sideL, sideR, k, accL, accR, loud, m) {
  const bl = sideL.allpasses[k];
  const br = sideR.allpasses[k];
  const nl = bl.length;
  const nr = br.length;
  let il = sideL.allpassIndex[k];
  let ir = sideR.allpassIndex[k];
  for (let f = 0; f < m; f++) {
    const xl = accL[f];
    const xr = accR[f];
    const yl = bl[il];
    const yr = br[ir];
    const wl = floorState(Math.fround(xl + yl * ALLPASS_FEEDBACK));
    const wr = floorState(Math.fround(xr + yr * ALLPASS_FEEDBACK));
    bl[il] = wl;
    br[ir] = wr;
    if (++il >= nl) il = 0;
    if (++ir >= nr) ir = 0;
    accL[f] = -xl + yl;
    accR[f] = -xr + yr;
    if (wl !== 0 || wr !== 0) loud[f] = 1;
  }
  sideL.allpassIndex[k] = il;
  sideR.allpassIndex[k] = ir;
}

/** The reverb unit. */
export class Reverb {
  /** A reverb at `sampleRateHz` with every parameter at its default; throws RangeError for a bad rate. */
  constructor(sampleRateHz, maxFrames = 0) {
    void maxFrames;
    const rate = Math.fround(sampleRateHz);
    if (!(Number.isFinite(rate) && rate >= 1.0)) {
      throw new RangeError(`reverb: sample rate ${sampleRateHz} Hz is not a finite rate of at least 1 Hz`);
    }
    const sr = rate;
    this.sampleRateHz = sr;
    this.values = new Float32Array(ROWS.length);
    this.steps = new Uint32Array(ROWS.length);
    this.sideL = new Side(sr, 0);
    this.sideR = new Side(sr, STEREO_SPREAD);
    const predelayLen = Math.ceil(MAX_PREDELAY_MS * 1e-3 * sr) + 2;
    this.predelayBuf = new Float32Array(predelayLen);
    this.predelayWrite = 0;
    this.predelay = new Linear(0.0);
    this.room = new Linear(0.0);
    this.damp = new Linear(0.0);
    this.width = new Linear(0.0);
    this.wet = new Linear(0.0);
    this.dry = new Linear(0.0);
    let longestComb = 1;
    let longestAllpass = 1;
    for (const side of [this.sideL, this.sideR]) {
      for (const c of side.combs) longestComb = Math.max(longestComb, c.length);
      for (const a of side.allpasses) longestAllpass = Math.max(longestAllpass, a.length);
    }
    this.longestComb = longestComb;
    this.fdn = new Fdn(sr);
    this.blend = new Linear(0.0);
    this.freeverbDirty = false;
    this.denseDirty = false;
    this.span = Math.max(predelayLen, longestComb, longestAllpass, this.fdn.longestFrames());
    this.quiet = QUIET_SETTLED;
    // Per-pass scratch.
    this.x = new Float32Array(CHUNK);
    this.roomGain = new Float64Array(CHUNK);
    this.dampGain = new Float64Array(CHUNK);
    this.undampGain = new Float64Array(CHUNK);
    this.accL = new Float32Array(CHUNK);
    this.accR = new Float32Array(CHUNK);
    this.loud = new Uint8Array(CHUNK);
    this.fvLoud = new Uint8Array(CHUNK);
    this.dnLoud = new Uint8Array(CHUNK);
    this.dnL = new Float32Array(CHUNK);
    this.dnR = new Float32Array(CHUNK);
    for (let i = 0; i < ROWS.length; i++) {
      this.steps[i] = stepsForMs(ROWS[i][4], rate);
      this.set(i, ROWS[i][3]);
    }
  }

  /**
   * Set row `index` to `value` (clamped again to the row's range). Unknown
   * rows are ignored. While the unit is quiet (all state exactly zero)
   * changes take effect at once.
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
    if (index === ALGORITHM) {
      v = roundHalfAway(v);
    }
    this.values[index] = v;
    const steps = this.steps[index];
    switch (index) {
      case SIZE:
        this.room.setTarget(Math.fround(Math.fround(v * SCALE_ROOM) + OFFSET_ROOM), steps);
        this.setDenseDecay(steps);
        break;
      case DAMPING:
        this.damp.setTarget(Math.fround(v * SCALE_DAMP), steps);
        this.setDenseDecay(steps);
        break;
      case ALGORITHM:
        this.switchTo(v, steps);
        break;
      case WIDTH:
        this.width.setTarget(v, steps);
        break;
      case PREDELAY_MS: {
        const max = Math.max(0, this.predelayBuf.length - 2);
        const frames = Math.min(roundHalfAway(v * 1e-3 * this.sampleRateHz), max);
        this.predelay.setTarget(Math.fround(frames), steps);
        break;
      }
      default: {
        const halfPi = Math.PI / 2;
        const wet = Math.sin(v * halfPi) * SCALE_WET;
        const dry = Math.sin((1.0 - v) * halfPi);
        this.wet.setTarget(Math.fround(wet), steps);
        this.dry.setTarget(Math.fround(dry), steps);
      }
    }
    if (this.isQuiet()) {
      this.snap();
    }
  }

  /** The last value set for row `index` (0 for unknown rows). */
  get(index) {
    return index >= 0 && index < ROWS.length ? this.values[index] : 0.0;
  }

  setDenseDecay(steps) {
    const t60 = DENSE_T60_MIN_S * exp2F64(this.values[SIZE] * LOG2_T60_RATIO);
    this.fdn.setDecay(t60, t60 * (1.0 - DENSE_HF_SPREAD * this.values[DAMPING]), steps);
  }

  /** Start the crossfade to `algorithm`; from rest the incoming algorithm's state is cleared first. */
  switchTo(algorithm, steps) {
    if (algorithm === this.blend.target) {
      return;
    }
    if (!this.blend.isActive()) {
      if (algorithm === ALGORITHM_FREEVERB) {
        if (this.freeverbDirty) {
          this.sideL.clear(true);
          this.sideR.clear(true);
          this.freeverbDirty = false;
        }
      } else if (this.denseDirty) {
        this.fdn.clear(true);
        this.denseDirty = false;
      }
    }
    this.blend.setTarget(algorithm, steps);
  }

  /** True when the dense network runs in the next pass (no array: the audio thread allocates nothing). */
  denseRuns() {
    return this.blend.isActive() || this.blend.current === 0;
  }

  /** True when Freeverb runs in the next pass. */
  freeverbRuns() {
    return this.blend.isActive() || this.blend.current !== 0;
  }

  /** The reverb has no tempo-synced parameter. */
  setTempoBpm(bpm) {
    void bpm;
  }

  snap() {
    this.fdn.snap();
    this.blend.snap();
    this.predelay.snap();
    this.room.snap();
    this.damp.snap();
    this.width.snap();
    this.wet.snap();
    this.dry.snap();
  }

  /** The predelay in whole frames the current setting asks for. */
  predelayFrames() {
    return Math.trunc(this.predelay.target);
  }

  /** Process frames start .. end of a stereo block in place. */
  process(left, right, start, end) {
    for (let i = start; i < end; i += CHUNK) {
      this.processChunk(left, right, i, Math.min(end, i + CHUNK));
    }
  }

  processChunk(left, right, start, end) {
    const m = end - start;
    const pdBuf = this.predelayBuf;
    const pdLen = pdBuf.length;
    if (pdLen < 2) {
      return;
    }
    const x = this.x;
    const room = this.roomGain;
    const damp = this.dampGain;
    const undamp = this.undampGain;
    const loud = this.loud;
    const predelay = this.predelay;
    const roomRamp = this.room;
    const dampRamp = this.damp;
    let w = Math.min(this.predelayWrite, pdLen - 1);
    for (let f = 0; f < m; f++) {
      const input = floorState(Math.fround(Math.fround(left[start + f] + right[start + f]) * FIXED_GAIN));
      pdBuf[w] = input;
      const d = predelay.tick();
      const whole = Math.floor(d);
      const t = d - whole;
      // k in [0, pdLen - 2]: both taps below are in [0, pdLen).
      const k = Math.min(whole, pdLen - 2);
      let ia = w + pdLen - k;
      if (ia >= pdLen) ia -= pdLen;
      let ib = w + pdLen - k - 1;
      if (ib >= pdLen) ib -= pdLen;
      const a = pdBuf[ia];
      x[f] = a + Math.fround(t * Math.fround(pdBuf[ib] - a));
      w += 1;
      if (w >= pdLen) w -= pdLen;
      room[f] = roomRamp.tick();
      const dm = dampRamp.tick();
      damp[f] = dm;
      undamp[f] = Math.fround(1.0 - dm);
      loud[f] = input !== 0 ? 1 : 0;
    }
    this.predelayWrite = w;

    const accL = this.accL;
    const accR = this.accR;
    accL.fill(0, 0, m);
    accR.fill(0, 0, m);
    const dense = this.denseRuns();
    const freeverb = this.freeverbRuns();
    const fvLoud = this.fvLoud;
    const dnLoud = this.dnLoud;
    fvLoud.fill(0);
    dnLoud.fill(0);
    if (freeverb) {
      this.freeverbDirty = true;
      const sideL = this.sideL;
      const sideR = this.sideR;
      for (let c = 0; c < COMB_TUNINGS.length; c += 2) {
        runQuad(sideL, sideR, c, x, room, damp, undamp, accL, accR, fvLoud, m);
      }
      for (let k = 0; k < ALLPASS_TUNINGS.length; k++) {
        runPair(sideL, sideR, k, accL, accR, fvLoud, m);
      }
    }
    const dnL = this.dnL;
    const dnR = this.dnR;
    if (dense) {
      this.denseDirty = true;
      this.fdn.process(x, dnL, dnR, dnLoud, m);
    }
    if (dense && freeverb) {
      // The crossfade: each algorithm's writes count as sound only while its weight is above zero.
      for (let f = 0; f < m; f++) {
        const b = this.blend.tick();
        const a = Math.fround(1.0 - b);
        accL[f] = Math.fround(Math.fround(dnL[f] * a) + Math.fround(accL[f] * b));
        accR[f] = Math.fround(Math.fround(dnR[f] * a) + Math.fround(accR[f] * b));
        if ((a > 0 && dnLoud[f] !== 0) || (b > 0 && fvLoud[f] !== 0)) loud[f] = 1;
      }
    } else if (dense) {
      for (let f = 0; f < m; f++) {
        accL[f] = dnL[f];
        accR[f] = dnR[f];
        if (dnLoud[f] !== 0) loud[f] = 1;
      }
    } else {
      for (let f = 0; f < m; f++) {
        if (fvLoud[f] !== 0) loud[f] = 1;
      }
    }

    const wetRamp = this.wet;
    const dryRamp = this.dry;
    const widthRamp = this.width;
    let quiet = this.quiet;
    for (let f = 0; f < m; f++) {
      const wet = wetRamp.tick();
      const dry = dryRamp.tick();
      const width = widthRamp.tick();
      const wet1 = Math.fround(wet * Math.fround(0.5 + 0.5 * width));
      const wet2 = Math.fround(wet * Math.fround(0.5 - 0.5 * width));
      const al = accL[f];
      const ar = accR[f];
      const il = left[start + f];
      const ir = right[start + f];
      left[start + f] = flush(Math.fround(Math.fround(Math.fround(al * wet1) + Math.fround(ar * wet2)) + Math.fround(il * dry)));
      right[start + f] = flush(Math.fround(Math.fround(Math.fround(ar * wet1) + Math.fround(al * wet2)) + Math.fround(ir * dry)));
      // Rust's f32::max skips a NaN operand: loud when either finite magnitude is above QUIET.
      quiet = quietFrame(quiet, loud[f] !== 0 || Math.abs(il) > QUIET || Math.abs(ir) > QUIET);
    }
    this.quiet = quiet;
  }

  stateIsZero() {
    if (this.quiet < this.span) {
      return false;
    }
    const dense = this.denseRuns();
    if (this.freeverbRuns()) {
      for (let c = 0; c < COMB_TUNINGS.length; c++) {
        if (this.sideL.combStore[c] !== 0 || this.sideR.combStore[c] !== 0) {
          return false;
        }
      }
    }
    return !dense || this.fdn.storesAreZero();
  }

  /** Clear every line and filter of both algorithms to exact zeros and end every ramp. */
  reset() {
    const zero = this.stateIsZero();
    const dense = this.denseRuns();
    const freeverb = this.freeverbRuns();
    const fvBuffers = this.freeverbDirty && !(zero && freeverb);
    this.sideL.clear(fvBuffers);
    this.sideR.clear(fvBuffers);
    this.freeverbDirty = false;
    this.fdn.clear(this.denseDirty && !(zero && dense));
    this.denseDirty = false;
    if (!zero) {
      this.predelayBuf.fill(0);
    }
    this.predelayWrite = 0;
    this.quiet = QUIET_SETTLED;
    this.snap();
  }

  /** True when the whole state is zero, so the output for silent input is zero. */
  isQuiet() {
    return this.stateIsZero();
  }

  /** True when the predelay, comb (lines and stores) and allpass state holds exact zeros. */
  stateIsSilent() {
    const zero = (a) => a.every((v) => v === 0);
    return (
      zero(this.predelayBuf) &&
      [this.sideL, this.sideR].every(
        (s) => s.combs.every(zero) && zero(s.combStore) && s.allpasses.every(zero),
      ) &&
      this.fdn.stateIsSilent()
    );
  }

  /** True when every state value is exactly zero or a normal f32 (never subnormal, NaN or infinite). */
  stateIsClean() {
    const clean = (a) => a.every((v) => v === 0 || (Math.abs(v) >= F32_MIN_POSITIVE && Math.abs(v) <= F32_MAX));
    return (
      clean(this.predelayBuf) &&
      [this.sideL, this.sideR].every((s) => s.combs.every(clean) && clean(s.combStore) && s.allpasses.every(clean)) &&
      this.fdn.stateIsClean()
    );
  }

  /** The longest an input takes to reach the output, in frames: the predelay plus the longest comb or dense line. */
  tailFrames() {
    const pd = Math.max(this.predelay.target, this.predelay.current);
    return Math.ceil(pd) + 1 + Math.max(this.longestComb, this.fdn.longestFrames());
  }
}
