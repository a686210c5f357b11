// Stereo 8-band parametric EQ, mirroring dsp_rust/src/units/peq/: each band
// is off, a peak, a low or high shelf, or a low or high pass, with separate
// filter state for the left and right channels; bands run in series, band 1
// first.
//
// Every band's shelves are the RBJ Audio EQ Cookbook biquads, its peaks and
// passes matched to their analog prototypes (dawg-js-matched.js); each is
// realised as the linear trapezoidal state-variable filter (Andrew Simper,
// Cytomic, 2013): output m0·v0 + m1·v1 + m2·v2. Frequencies are held
// within 10 Hz and 0.45 × the sample rate.
//
// Parameter changes ramp (frequency linearly in log2 Hz, gain in dB, Q
// linearly) over the row's smoothing time; while a ramp or fade is active the
// band's coefficients are recomputed every COEF_UPDATE_FRAMES frames counted
// from the last reset, so the output does not depend on how the signal is
// split into blocks. A band that is off takes new values at once. Type
// changes fade through the dry signal: out over half the type row's
// smoothing time, switch and clear while fully dry, in over the other half.
// Bands that are off cost nothing; with every band off the output is the
// input, sanitised (flushed).

import { F32_MAX, FLUSH_THRESHOLD, QUIET } from "./dawg-js-config.js";
import { clampFreqHz } from "./dawg-js-biquad.js";
import {
  MATCHED_ARGS,
  MATCHED_GAIN_DB,
  MATCHED_Q,
  MATCHED_W0,
  SECTION,
  matchedHighPass,
  matchedLowPass,
  matchedPeaking,
} from "./dawg-js-matched.js";
import { flush, log2F32 } from "./dawg-js-math.js";
import { Linear, stepsForMs } from "./dawg-js-smooth.js";

/** Number of bands. */
export const BANDS = 8;
/** Parameter rows per band: type, frequency, gain, Q. */
export const PARAMS_PER_BAND = 4;
export const ROW_TYPE = 0;
export const ROW_HZ = 1;
export const ROW_GAIN_DB = 2;
export const ROW_Q = 3;
/** Frames between coefficient updates while a ramp or fade is active. */
export const COEF_UPDATE_FRAMES = 16;
/** Default frequency of each band, Hz. */
export const DEFAULT_HZ = Object.freeze([60.0, 150.0, 400.0, 1000.0, 2500.0, 5000.0, 10000.0, 16000.0]);

/** Band types, the values of a band's type row. */
export const BAND_OFF = 0;
export const BAND_PEAK = 1;
export const BAND_LOW_SHELF = 2;
export const BAND_HIGH_SHELF = 3;
export const BAND_LOW_PASS = 4;
export const BAND_HIGH_PASS = 5;

/** Bound on a band's peak gain for any signal over its largest response magnitude. */
const THROUGH_FACTOR = 3.0;
const SMOOTHING_MS = 20.0;
const TYPE_FADE_MS = 10.0;

function rows() {
  const out = [];
  for (let b = 0; b < BANDS; b++) {
    const n = b + 1;
    out.push(
      Object.freeze({ name: `peq_${n}_type`, min: 0.0, max: 5.0, default: 0.0, smoothing_ms: TYPE_FADE_MS, stepped: true }),
      Object.freeze({ name: `peq_${n}_hz`, min: 20.0, max: 20000.0, default: DEFAULT_HZ[b], smoothing_ms: SMOOTHING_MS, stepped: false }),
      Object.freeze({ name: `peq_${n}_gain_db`, min: -24.0, max: 24.0, default: 0.0, smoothing_ms: SMOOTHING_MS, stepped: false }),
      Object.freeze({ name: `peq_${n}_q`, min: 0.1, max: 18.0, default: 0.707, smoothing_ms: SMOOTHING_MS, stepped: false }),
    );
  }
  return Object.freeze(out);
}

/** The unit's rows of the parameter table (Rust `peq::PARAMS`): band b (1-based) owns rows 4(b−1)..4(b−1)+3. */
export const PEQ_PARAMS = rows();

/** The band type for a parameter value (rounded; out-of-range or NaN is off). */
export function bandTypeFromValue(v) {
  const r = Math.round(v);
  return r >= 1 && r <= 5 ? r : BAND_OFF;
}

/** Rust f32::round: half away from zero. */
function roundF32(v) {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/**
 * The SVF whose trapezoidal response is the section in SECTION into `p`
 * (Rust `Prototype::of_section`): the inverse bilinear transform gives the
 * analog section (n2·s² + n1·s + n0)/(d2·s² + d1·s + d0), read in units of g = √(d0/d2).
 */
function ofSection(p) {
  const b0 = SECTION[0];
  const b1 = SECTION[1];
  const b2 = SECTION[2];
  const d2 = 1.0 - SECTION[3] + SECTION[4];
  const d1 = 2.0 * (1.0 - SECTION[4]);
  const d0 = 1.0 + SECTION[3] + SECTION[4];
  const g = Math.sqrt(d0 / d2);
  const k = d1 / (d2 * g);
  const m0 = (b0 - b1 + b2) / d2;
  p[0] = g; p[1] = k; p[2] = m0;
  p[3] = (2.0 * (b0 - b2)) / (d2 * g) - m0 * k;
  p[4] = (b0 + b1 + b2) / (d2 * g * g) - m0;
}

/**
 * A band's analog prototype in SVF form into `p` = [g, k, m0, m1, m2]
 * (Rust `Prototype::new`).
 */
function prototype(p, kind, sampleRateHz, freqHz, q, gainDb) {
  const f = clampFreqHz(sampleRateHz, freqHz);
  if (kind === BAND_PEAK || kind === BAND_LOW_PASS || kind === BAND_HIGH_PASS) {
    MATCHED_ARGS[MATCHED_W0] = (2.0 * Math.PI * f) / sampleRateHz;
    MATCHED_ARGS[MATCHED_Q] = q;
    MATCHED_ARGS[MATCHED_GAIN_DB] = gainDb;
    if (kind === BAND_PEAK) matchedPeaking();
    else if (kind === BAND_LOW_PASS) matchedLowPass();
    else matchedHighPass();
    ofSection(p);
    return;
  }
  if (kind !== BAND_LOW_SHELF && kind !== BAND_HIGH_SHELF) {
    p[0] = 0.0; p[1] = 1.0; p[2] = 1.0; p[3] = 0.0; p[4] = 0.0;
    return;
  }
  // The cookbook's shelves, prewarped at the band frequency.
  const t = Math.tan((Math.PI * f) / sampleRateHz);
  const k = 1.0 / (q > 1e-3 ? q : 1e-3);
  const a = Math.pow(10, gainDb / 40.0);
  if (kind === BAND_LOW_SHELF) {
    p[0] = t / Math.sqrt(a); p[1] = k; p[2] = 1.0; p[3] = k * (a - 1.0); p[4] = a * a - 1.0;
  } else {
    p[0] = t * Math.sqrt(a); p[1] = k; p[2] = a * a; p[3] = k * (1.0 - a) * a; p[4] = 1.0 - a * a;
  }
}

/** SVF coefficients [2·a1, 2·a2, 2·a3, m0, m1/2, m2] (f32 values) of prototype `p` into `c`; the identity if any is not finite. */
function coefsOf(c, p) {
  const g = p[0];
  const k = p[1];
  const a1 = 1.0 / (1.0 + g * (g + k));
  const a2 = g * a1;
  const a3 = g * a2;
  const v0 = Math.fround(2.0 * a1);
  const v1 = Math.fround(2.0 * a2);
  const v2 = Math.fround(2.0 * a3);
  const v3 = Math.fround(p[2]);
  const v4 = Math.fround(0.5 * p[3]);
  const v5 = Math.fround(p[4]);
  if (Number.isFinite(v0 + v1 + v2 + v3 + v4 + v5)) {
    c[0] = v0; c[1] = v1; c[2] = v2; c[3] = v3; c[4] = v4; c[5] = v5;
  } else {
    c[0] = 2.0; c[1] = 0.0; c[2] = 0.0; c[3] = 1.0; c[4] = 0.0; c[5] = 0.0;
  }
}

/** The largest magnitude of prototype `p`'s frequency response (Rust `Prototype::max_gain`). */
function maxGain(p) {
  const k = p[1];
  const m0 = p[2];
  const m1 = p[3];
  const m2 = p[4];
  const c = m0 + m2;
  const e = m0 * k + m1;
  const p2 = m0 * m0;
  const p1 = e * e - 2.0 * c * m0;
  const p0 = c * c;
  const q1 = k * k - 2.0;
  const qa = p2 * q1 - p1;
  const qb = 2.0 * (p2 - p0);
  const qc = p1 - p0 * q1;
  let best = fmax(fmax(Math.abs(c), Math.abs(m0)), ratio(1.0, p2, p1, p0, q1));
  if (qa !== 0.0) {
    const disc = qb * qb - 4.0 * qa * qc;
    if (disc >= 0.0) {
      const sq = Math.sqrt(disc);
      best = fmax(fmax(best, ratio((-qb + sq) / (2.0 * qa), p2, p1, p0, q1)), ratio((-qb - sq) / (2.0 * qa), p2, p1, p0, q1));
    }
  } else if (qb !== 0.0) {
    best = fmax(best, ratio(-qc / qb, p2, p1, p0, q1));
  }
  return Number.isFinite(best) ? best : Number.MAX_VALUE;
}

/** |H| at u = Ω² from |H|² = P(u)/Q(u); 0 outside u ≥ 0 or where Q ≤ 0. */
function ratio(u, p2, p1, p0, q1) {
  const den = (u + q1) * u + 1.0;
  if (u >= 0.0 && den > 0.0) {
    const r = ((p2 * u + p1) * u + p0) / den;
    return Math.sqrt(r > 0.0 ? r : 0.0);
  }
  return 0.0;
}

/** Rust f64::max: the other operand when one is NaN. */
function fmax(a, b) {
  if (a !== a) {
    return b;
  }
  if (b !== b) {
    return a;
  }
  return a > b ? a : b;
}

/** One band: type (running and pending), ramps, fade, coefficients, silence bounds, stereo state. */
class Band {
  constructor() {
    this.kind = BAND_OFF;
    this.pending = BAND_OFF;
    this.log2Hz = new Linear(0.0);
    this.gainDb = new Linear(0.0);
    this.q = new Linear(1.0);
    this.fade = new Linear(0.0);
    this.coefs = new Float64Array([2.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    /** ic1, ic2 of the left channel, then of the right. */
    this.state = new Float64Array(4);
    this.ring = 0.0;
    this.through = 1.0;
    this.proto = new Float64Array(5);
  }

  ramping() {
    return this.fade.isActive() || this.log2Hz.isActive() || this.gainDb.isActive() || this.q.isActive();
  }

  snap() {
    this.log2Hz.snap();
    this.gainDb.snap();
    this.q.snap();
  }

  clear() {
    this.state.fill(0.0);
  }

  redesign(sampleRateHz, setHz) {
    const hz = this.log2Hz.isActive() ? Math.pow(2, this.log2Hz.current) : setHz;
    const p = this.proto;
    prototype(p, this.kind, sampleRateHz, hz, this.q.current, this.gainDb.current);
    const c = this.coefs;
    coefsOf(c, p);
    // Output bound per unit of state norm with silent input (SvfCoefs::ring_gain).
    const a1 = 0.5 * c[0];
    const a2 = 0.5 * c[1];
    const a3 = 0.5 * c[2];
    const m1 = 2.0 * c[4];
    const c1 = m1 * a1 + c[5] * a2;
    const c2 = c[5] * (1.0 - a3) - m1 * a2;
    this.ring = Math.fround(Math.sqrt(c1 * c1 + c2 * c2));
    const through = THROUGH_FACTOR * maxGain(p);
    this.through = Math.fround(through < F32_MAX ? through : F32_MAX);
  }

  /** The band over frames start..end, left and right in one loop. */
  run(left, right, start, end) {
    const c = this.coefs;
    const ta1 = c[0], ta2 = c[1], ta3 = c[2], m0 = c[3], hm1 = c[4], m2 = c[5];
    const s = this.state;
    let l1 = s[0], l2 = s[1], r1 = s[2], r2 = s[3];
    for (let i = start; i < end; i++) {
      const xl = left[i];
      const xr = right[i];
      const vl = xl - l2;
      const vr = xr - r2;
      const wl = ta1 * l1 + ta2 * vl;
      const wr = ta1 * r1 + ta2 * vr;
      const dl = ta2 * l1 + ta3 * vl;
      const dr = ta2 * r1 + ta3 * vr;
      const ul = l2 + 0.5 * dl;
      const ur = r2 + 0.5 * dr;
      l1 = wl - l1;
      r1 = wr - r1;
      l2 += dl;
      r2 += dr;
      left[i] = m0 * xl + hm1 * wl + m2 * ul;
      right[i] = m0 * xr + hm1 * wr + m2 * ur;
    }
    s[0] = l1; s[1] = l2; s[2] = r1; s[3] = r2;
  }

  /** The band over frames start..end, fading between dry and wet: x + m·(band(x) − x). */
  runFading(left, right, start, end) {
    const c = this.coefs;
    const ta1 = c[0], ta2 = c[1], ta3 = c[2], m0 = c[3], hm1 = c[4], m2 = c[5];
    const s = this.state;
    const fade = this.fade;
    let l1 = s[0], l2 = s[1], r1 = s[2], r2 = s[3];
    for (let i = start; i < end; i++) {
      const m = fade.tick();
      const xl = left[i];
      const xr = right[i];
      const vl = xl - l2;
      const vr = xr - r2;
      const wl = ta1 * l1 + ta2 * vl;
      const wr = ta1 * r1 + ta2 * vr;
      const dl = ta2 * l1 + ta3 * vl;
      const dr = ta2 * r1 + ta3 * vr;
      const ul = l2 + 0.5 * dl;
      const ur = r2 + 0.5 * dr;
      l1 = wl - l1;
      r1 = wr - r1;
      l2 += dl;
      r2 += dr;
      const yl = m0 * xl + hm1 * wl + m2 * ul;
      const yr = m0 * xr + hm1 * wr + m2 * ur;
      left[i] = xl + m * (yl - xl);
      right[i] = xr + m * (yr - xr);
    }
    s[0] = l1; s[1] = l2; s[2] = r1; s[3] = r2;
  }

  /** Clear state beyond the f32 range or not finite; flush values below FLUSH_THRESHOLD (SvfState::settle, both channels). */
  settle() {
    const s = this.state;
    for (let o = 0; o < 4; o += 2) {
      const a = Math.abs(s[o]);
      const b = Math.abs(s[o + 1]);
      if (!(a <= F32_MAX && b <= F32_MAX)) {
        s[o] = 0.0;
        s[o + 1] = 0.0;
        continue;
      }
      if (a < FLUSH_THRESHOLD) {
        s[o] = 0.0;
      }
      if (b < FLUSH_THRESHOLD) {
        s[o + 1] = 0.0;
      }
    }
  }

  /** The larger of the two channels' state norms. */
  norm() {
    const s = this.state;
    const l = Math.sqrt(s[0] * s[0] + s[1] * s[1]);
    const r = Math.sqrt(s[2] * s[2] + s[3] * s[3]);
    return l < r ? r : l;
  }
}

/** The parametric EQ unit (Rust `ParametricEq`). */
export class Peq {
  /** A parametric EQ at `sampleRateHz` with every row at its default (every band off). */
  constructor(sampleRateHz, maxFrames) {
    if (!(Number.isFinite(sampleRateHz) && sampleRateHz > 0)) {
      throw new RangeError(`sample rate must be a positive number of Hz, got ${sampleRateHz}`);
    }
    const rate = Math.fround(sampleRateHz);
    this.sampleRateHz = rate;
    this.maxFrames = maxFrames;
    this.values = new Float64Array(PEQ_PARAMS.length);
    for (let i = 0; i < PEQ_PARAMS.length; i++) {
      this.values[i] = Math.fround(PEQ_PARAMS[i].default);
    }
    this.rampSteps = new Int32Array(PARAMS_PER_BAND);
    for (let r = 0; r < PARAMS_PER_BAND; r++) {
      this.rampSteps[r] = stepsForMs(PEQ_PARAMS[r].smoothing_ms, rate);
    }
    const half = stepsForMs(Math.fround(PEQ_PARAMS[ROW_TYPE].smoothing_ms * 0.5), rate);
    this.fadeSteps = (Math.floor(((half > 1 ? half : 1) - 1) / COEF_UPDATE_FRAMES) + 1) * COEF_UPDATE_FRAMES;
    this.bands = [];
    for (let b = 0; b < BANDS; b++) {
      this.bands.push(new Band());
    }
    this.active = new Uint8Array(BANDS);
    this.activeLen = 0;
    this.phase = 0;
    this.dirty = false;
    this.busy = false;
    for (let i = 0; i < PEQ_PARAMS.length; i++) {
      this.set(i, this.values[i]);
    }
    this.reset();
  }

  /**
   * Set row `index` to `value` (clamped to the row's range, stepped rows
   * rounded; non-finite values ignored). Takes effect at the next
   * coefficient-update frame.
   */
  set(index, value) {
    const spec = PEQ_PARAMS[index];
    if (spec === undefined) {
      return;
    }
    const x = Math.fround(value);
    if (!Number.isFinite(x)) {
      return;
    }
    const lo = Math.fround(spec.min);
    const hi = Math.fround(spec.max);
    let v = x > lo ? x : lo;
    v = v < hi ? v : hi;
    if (spec.stepped) {
      v = roundF32(v);
    }
    const row = index % PARAMS_PER_BAND;
    const band = this.bands[(index - row) / PARAMS_PER_BAND];
    this.values[index] = v;
    const steps = band.kind === BAND_OFF ? 0 : this.rampSteps[row];
    if (row === ROW_TYPE) {
      band.pending = bandTypeFromValue(v);
    } else if (row === ROW_HZ) {
      band.log2Hz.setTarget(log2F32(v), steps);
    } else if (row === ROW_GAIN_DB) {
      band.gainDb.setTarget(v, steps);
    } else {
      band.q.setTarget(v, steps);
    }
    this.dirty = true;
  }

  /** The last value set for row `index` (0 for an unknown row). */
  get(index) {
    return index >= 0 && index < PEQ_PARAMS.length ? this.values[index] : 0.0;
  }

  redesign(b) {
    this.bands[b].redesign(this.sampleRateHz, this.values[b * PARAMS_PER_BAND + ROW_HZ]);
  }

  /** Work at a coefficient-update frame: advance ramps, recompute moved coefficients, move fades, switch types. */
  control() {
    let listChanged = false;
    let busy = false;
    const fadeSteps = this.fadeSteps;
    for (let b = 0; b < BANDS; b++) {
      const band = this.bands[b];
      let recompute = false;
      if (band.kind !== BAND_OFF) {
        if (band.log2Hz.isActive()) {
          band.log2Hz.advance(COEF_UPDATE_FRAMES);
          recompute = true;
        }
        if (band.gainDb.isActive()) {
          band.gainDb.advance(COEF_UPDATE_FRAMES);
          recompute = true;
        }
        if (band.q.isActive()) {
          band.q.advance(COEF_UPDATE_FRAMES);
          recompute = true;
        }
      }
      const wet = band.pending === band.kind && band.kind !== BAND_OFF;
      const want = wet ? 1.0 : 0.0;
      if (band.fade.target !== want) {
        band.fade.setTarget(want, fadeSteps);
      }
      if (!band.fade.isActive() && band.fade.current === 0.0 && band.pending !== band.kind) {
        band.kind = band.pending;
        band.snap();
        band.clear();
        listChanged = true;
        recompute = true;
        if (band.kind !== BAND_OFF) {
          band.fade.setTarget(1.0, fadeSteps);
        }
      }
      if (band.kind === BAND_OFF) {
        band.snap();
      }
      if (recompute) {
        this.redesign(b);
      }
      busy = busy || (band.kind !== BAND_OFF && band.ramping());
    }
    if (listChanged) {
      this.rebuildActive();
    }
    this.busy = busy;
    this.dirty = false;
  }

  rebuildActive() {
    let n = 0;
    for (let b = 0; b < BANDS; b++) {
      if (this.bands[b].kind !== BAND_OFF) {
        this.active[n++] = b;
      }
    }
    this.activeLen = n;
  }

  /** Filter frames start..end of (left, right) in place. */
  process(left, right, start, end) {
    let i = start;
    while (i < end) {
      if (this.phase === 0 && (this.busy || this.dirty)) {
        this.control();
      }
      let seg = end - i;
      if (this.busy || this.dirty) {
        const room = COEF_UPDATE_FRAMES - this.phase;
        seg = room < seg ? room : seg;
      }
      this.processSegment(left, right, i, i + seg);
      this.phase = (this.phase + seg) % COEF_UPDATE_FRAMES;
      i += seg;
    }
    for (let j = start; j < end; j++) {
      left[j] = flush(left[j]);
      right[j] = flush(right[j]);
    }
    for (let k = 0; k < this.activeLen; k++) {
      this.bands[this.active[k]].settle();
    }
  }

  processSegment(left, right, start, end) {
    for (let k = 0; k < this.activeLen; k++) {
      const band = this.bands[this.active[k]];
      if (band.fade.isActive()) {
        band.runFading(left, right, start, end);
      } else {
        band.run(left, right, start, end);
      }
    }
  }

  /** Jump every ramp and fade to its target (types switch at once), clear all state and restart the update count. */
  reset() {
    for (let b = 0; b < BANDS; b++) {
      const band = this.bands[b];
      band.kind = band.pending;
      band.snap();
      band.clear();
      const wet = band.kind === BAND_OFF ? 0.0 : 1.0;
      band.fade.target = wet;
      band.fade.snap();
      this.redesign(b);
    }
    this.rebuildActive();
    this.phase = 0;
    this.dirty = false;
    this.busy = false;
  }

  /**
   * True when the output stays below QUIET for silent input from now on:
   * every filter state is zero, or no ramp or fade runs and the bound
   * Σ ring_b·|state_b|·Π(through of later bands) is below it.
   */
  isQuiet() {
    let silent = true;
    let bound = 0.0;
    let downstream = 1.0;
    for (let k = this.activeLen - 1; k >= 0; k--) {
      const band = this.bands[this.active[k]];
      const norm = Math.fround(band.norm());
      silent = silent && norm === 0.0;
      bound = Math.fround(bound + Math.fround(Math.fround(band.ring * norm) * downstream));
      downstream = Math.fround(downstream * band.through);
    }
    return silent || (!this.busy && !this.dirty && bound < QUIET);
  }

  /** 0 frames: no delay line (the filters' ringing is covered by isQuiet). */
  tailFrames() {
    return 0;
  }

  /** The parametric EQ has no tempo-synced parts. */
  setTempoBpm() {}

  /** Number of bands running now (on, or fading out). */
  activeBands() {
    return this.activeLen;
  }

  /** The filter type running in band `band` (0-based). */
  bandType(band) {
    const b = this.bands[band];
    return b === undefined ? BAND_OFF : b.kind;
  }

  /** True when every filter state value is exactly zero or a normal f32. */
  stateIsClean() {
    return this.bands.every((b) =>
      b.state.every((v) => v === 0.0 || (Math.abs(v) >= 1.1754943508222875e-38 && Math.abs(v) <= F32_MAX)),
    );
  }

  /** True when every filter state value is exactly zero. */
  stateIsSilent() {
    return this.bands.every((b) => b.state.every((v) => v === 0.0));
  }
}
