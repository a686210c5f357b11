// The synth's voice slots (dsp_rust/src/sources/synth/voice.rs): each a
// note's two oscillators, its amplitude and filter envelopes and its Simper
// state-variable low-pass, rendered one control segment at a time.
//
// Oscillator phases are f32 values in [0, 1) (Math.fround on every advance),
// so every phase, band-limited step window and note timing is the Rust one;
// the envelopes run in f64 as in the Rust. The oscillator shapes and the
// filter compute in f64 on the Rust's f32 coefficients (a1..a3, increments),
// within f32 rounding of the Rust; the filter coefficients' per-sample ramp
// is the Rust's f32 arithmetic (Math.fround on every step).
//
// All slots live in one structure of arrays; render() loads a slot's state
// into locals, runs the segment and stores it back, allocating nothing.

import { EXP2_TERMS, INV_INT, POW2_INT, TAN_TERMS, exp2F64, flush, flushF64 } from "./dawg-js-math.js";
import { FADE, IDLE, SynthEnvelopes } from "./dawg-js-synth-env.js";
import {
  BLEP_HALF_WIDTH,
  BLEP_STEPS,
  SIN_C1,
  SIN_C3,
  SIN_C5,
  SIN_C7,
  SIN_C9,
  THIRD_F32,
  blepTailTable,
} from "./dawg-js-synth-osc.js";
import { CONTROL_FRAMES } from "./dawg-js-synth-params.js";

/** The filter coefficients' ramp covers 1/CONTROL_FRAMES of its distance per sample. */
const STEP = 1.0 / CONTROL_FRAMES;

/** Largest oscillator phase increment, cycles per sample. */
export const MAX_PHASE_INC = 0.45;

/**
 * `slots` voice slots at `sampleRateHz`. Control values (`ctl`) are the
 * synth's SynthParams; the per-sample oscillator weights come in four f32
 * buffers: saw(t), saw(t + ½), sine, triangle.
 */
export class SynthVoices {
  constructor(sampleRateHz, slots) {
    this.sampleRateHz = sampleRateHz;
    this.slots = slots;
    /** Amplitude envelope of slot v at v, filter envelope at slots + v. */
    this.env = new SynthEnvelopes(slots);
    this.note = new Uint8Array(slots);
    this.held = new Uint8Array(slots);
    this.onStamp = new Float64Array(slots);
    this.offStamp = new Float64Array(slots);
    /** Note frequency over the sample rate, before clamping. */
    this.noteInc = new Float64Array(slots);
    this.p1 = new Float64Array(slots);
    this.dt1 = new Float64Array(slots);
    this.invDt1 = new Float64Array(slots);
    this.p2 = new Float64Array(slots);
    this.dt2 = new Float64Array(slots);
    this.invDt2 = new Float64Array(slots);
    /** Clamped log2 cutoff and damping the filter coefficients were made for. */
    this.cutoffLog2 = new Float64Array(slots);
    this.k = new Float64Array(slots);
    /** Filter coefficients (f32 values) the ramp reaches at the end of the control segment. */
    this.t1 = new Float64Array(slots);
    this.t2 = new Float64Array(slots);
    this.t3 = new Float64Array(slots);
    /** Filter coefficients of the last sample (f32 values), and their per-sample steps. */
    this.a1 = new Float64Array(slots);
    this.a2 = new Float64Array(slots);
    this.a3 = new Float64Array(slots);
    this.da1 = new Float64Array(slots);
    this.da2 = new Float64Array(slots);
    this.da3 = new Float64Array(slots);
    this.ic1 = new Float64Array(slots);
    this.ic2 = new Float64Array(slots);
    /** The band-limited step's tail table of the saw and square. */
    this.blep = blepTailTable();
    /** One control segment of a voice's oscillator mix (the Rust's f32 buffer). */
    this.xs = new Float32Array(CONTROL_FRAMES);
    for (let v = 0; v < slots; v++) {
      this.idle(v);
    }
  }

  /** True while slot `v` sounds (fading voices included). */
  isActive(v) {
    return this.env.stage[v] !== IDLE;
  }

  /** True while slot `v` fades out after a steal. */
  isFading(v) {
    return this.env.stage[v] === FADE;
  }

  /** Slot `v` at rest (Rust `Voice::IDLE`). */
  idle(v) {
    this.note[v] = 0;
    this.held[v] = 0;
    this.onStamp[v] = 0;
    this.offStamp[v] = 0;
    this.env.idle(v);
    this.env.idle(this.slots + v);
    this.noteInc[v] = 0.0;
    this.p1[v] = 0.0;
    this.dt1[v] = 0.0;
    this.invDt1[v] = 0.0;
    this.p2[v] = 0.25;
    this.dt2[v] = 0.0;
    this.invDt2[v] = 0.0;
    this.cutoffLog2[v] = NaN;
    this.k[v] = NaN;
    this.t1[v] = 0.0;
    this.t2[v] = 0.0;
    this.t3[v] = 0.0;
    this.a1[v] = 0.0;
    this.a2[v] = 0.0;
    this.a3[v] = 0.0;
    this.da1[v] = 0.0;
    this.da2[v] = 0.0;
    this.da3[v] = 0.0;
    this.ic1[v] = 0.0;
    this.ic2[v] = 0.0;
  }

  /**
   * Refresh slot `v`'s envelope stages, oscillator 2 pitch and filter
   * coefficient ramp: the coefficients for the filter envelope's level now
   * become the target, reached from the previous target in CONTROL_FRAMES
   * equal f32 steps (Rust `Voice::ramp_filter`).
   */
  updateControl(v, ctl) {
    const env = this.env;
    const f = this.slots + v;
    env.configure(v, ctl);
    env.configure(f, ctl);
    env.level[v] = flushF64(env.level[v]);
    env.level[f] = flushF64(env.level[f]);
    this.ic1[v] = flush(this.ic1[v]);
    this.ic2[v] = flush(this.ic2[v]);

    const dt2 = Math.fround(Math.min(this.noteInc[v] * ctl.ctlOsc2Ratio, MAX_PHASE_INC));
    this.dt2[v] = dt2;
    this.invDt2[v] = Math.fround(1.0 / dt2);

    let l = ctl.ctlCutoffLog2 + ctl.ctlEnvOctaves * env.level[f];
    if (l > ctl.ctlMaxCutoffLog2) {
      l = ctl.ctlMaxCutoffLog2;
    } else if (!(l >= ctl.ctlMinCutoffLog2)) {
      l = ctl.ctlMinCutoffLog2;
    }
    const k = ctl.ctlK;
    const t1 = this.t1[v];
    const t2 = this.t2[v];
    const t3 = this.t3[v];
    this.a1[v] = t1;
    this.a2[v] = t2;
    this.a3[v] = t3;
    if (l === this.cutoffLog2[v] && k === this.k[v]) {
      this.da1[v] = 0.0;
      this.da2[v] = 0.0;
      this.da3[v] = 0.0;
      return;
    }
    this.cutoffLog2[v] = l;
    this.k[v] = k;
    // g = tanPiF64(exp2F64(l) / rate), written out: this runs per voice and
    // control block, and a double passed to or returned from a call V8 does
    // not inline is boxed (one heap number each time).
    const li = Math.floor(l);
    const lf = (l - li) * Math.LN2;
    let e = 1.0;
    for (let n = EXP2_TERMS; n > 0; n--) {
      e = 1.0 + lf * e * INV_INT[n];
    }
    const x = Math.PI * ((e * POW2_INT[li + 1022]) / this.sampleRateHz);
    const x2 = x * x;
    let sn = 1.0;
    let cs = 1.0;
    for (let n = TAN_TERMS; n > 0; n--) {
      const m = 2 * n;
      sn = 1.0 - x2 * INV_INT[m] * INV_INT[m + 1] * sn;
      cs = 1.0 - x2 * INV_INT[m - 1] * INV_INT[m] * cs;
    }
    const g = (x * sn) / cs;
    const a1 = 1.0 / (1.0 + g * (g + k));
    const a2 = g * a1;
    const n1 = Math.fround(a1);
    const n2 = Math.fround(a2);
    const n3 = Math.fround(g * a2);
    this.t1[v] = n1;
    this.t2[v] = n2;
    this.t3[v] = n3;
    this.da1[v] = flush(Math.fround(Math.fround(n1 - t1) * STEP));
    this.da2[v] = flush(Math.fround(Math.fround(n2 - t2) * STEP));
    this.da3[v] = flush(Math.fround(Math.fround(n3 - t3) * STEP));
  }

  /** Start MIDI note `note` on slot `v` at amplitude peak `peak`. */
  start(v, note, peak, stamp, ctl) {
    this.idle(v);
    this.note[v] = note;
    this.held[v] = 1;
    this.onStamp[v] = stamp;
    const inc = (440.0 * exp2F64((note - 69.0) / 12.0)) / this.sampleRateHz;
    this.noteInc[v] = inc;
    const dt1 = Math.fround(Math.min(inc, MAX_PHASE_INC));
    this.dt1[v] = dt1;
    this.invDt1[v] = Math.fround(1.0 / dt1);
    this.env.trigger(v, peak, ctl);
    this.env.trigger(this.slots + v, 1.0, ctl);
    this.updateControl(v, ctl);
    // A new note's filter starts at its coefficients, without a ramp.
    this.a1[v] = this.t1[v];
    this.a2[v] = this.t2[v];
    this.a3[v] = this.t3[v];
    this.da1[v] = 0.0;
    this.da2[v] = 0.0;
    this.da3[v] = 0.0;
  }

  /** Restart slot `v`'s envelopes from their current levels; the filter's ramp runs on. */
  retrigger(v, peak, stamp, ctl) {
    this.held[v] = 1;
    this.onStamp[v] = stamp;
    this.env.trigger(v, peak, ctl);
    this.env.trigger(this.slots + v, 1.0, ctl);
  }

  /** Release slot `v` from its envelopes' current levels. */
  release(v, stamp, ctl) {
    this.held[v] = 0;
    this.offStamp[v] = stamp;
    this.env.release(v, ctl);
    this.env.release(this.slots + v, ctl);
  }

  /** Fade slot `v` out linearly from its current level over `frames` frames. */
  steal(v, frames) {
    this.held[v] = 0;
    this.env.fadeOut(v, frames);
  }

  /**
   * Add slot `v`'s output for one control segment of `n` frames to
   * out[o0..o0+n], reading the weights wa..wd from index w0. `o1`/`o2`:
   * whether oscillator 1/2 has a nonzero weight anywhere in the pass
   * (skipping a zero-weight term gives the same values).
   */
  render(v, out, o0, wa, wb, wc, wd, w0, n, o1, o2, ctl) {
    const xs = this.xs;
    // Pass 1: the oscillator mix.
    let p1 = this.p1[v];
    let p2 = this.p2[v];
    const dt1 = this.dt1[v];
    const inv1 = this.invDt1[v];
    const dt2 = this.dt2[v];
    const inv2 = this.invDt2[v];
    const tab = this.blep;
    const om2 = Math.fround(1.0 - dt2);
    const dt2x4 = 4.0 * dt2;
    // Oscillator 1 is skipped only when it alone is silent, oscillator 2
    // when only oscillator 1 sounds (its phase still runs). The kernels
    // (band-limited step tails, polyBLAMP, phase wrap, sine; dawg-js-synth-osc.js states
    // them) are written out here: a double passed to or returned from a call
    // V8 does not inline is boxed, and this runs per voice-sample.
    const osc1 = o1 || !o2;
    const osc2 = o2 || !o1;
    for (let j = 0; j < n; j++) {
      let x = 0.0;
      if (osc1) {
        let h = Math.fround(p1 + 0.5);
        h = h >= 1.0 ? h - 1.0 : h;
        // Twice the band-limited step's tails at the wraps around p1 and h.
        let b1 = 0.0;
        for (let a = p1 * inv1; a < BLEP_HALF_WIDTH; a += inv1) {
          const pos = a * BLEP_STEPS;
          const i = Math.floor(pos);
          b1 += tab[i] + (pos - i) * (tab[i + 1] - tab[i]);
        }
        for (let b = (1.0 - p1) * inv1; b < BLEP_HALF_WIDTH; b += inv1) {
          const pos = b * BLEP_STEPS;
          const i = Math.floor(pos);
          b1 -= tab[i] + (pos - i) * (tab[i + 1] - tab[i]);
        }
        let bh = 0.0;
        for (let a = h * inv1; a < BLEP_HALF_WIDTH; a += inv1) {
          const pos = a * BLEP_STEPS;
          const i = Math.floor(pos);
          bh += tab[i] + (pos - i) * (tab[i + 1] - tab[i]);
        }
        for (let b = (1.0 - h) * inv1; b < BLEP_HALF_WIDTH; b += inv1) {
          const pos = b * BLEP_STEPS;
          const i = Math.floor(pos);
          bh -= tab[i] + (pos - i) * (tab[i + 1] - tab[i]);
        }
        const s = p1 + p1 - 1.0 + (b1 + b1);
        const sh = h + h - 1.0 + (bh + bh);
        x = wa[w0 + j] * s + wb[w0 + j] * sh;
      }
      if (osc2) {
        const tri = 1.0 - Math.abs(4.0 * p2 - 2.0);
        const t2 = tri * tri;
        const sine = tri * (SIN_C1 + t2 * (SIN_C3 + t2 * (SIN_C5 + t2 * (SIN_C7 + t2 * SIN_C9))));
        let h = Math.fround(p2 + 0.5);
        h = h >= 1.0 ? h - 1.0 : h;
        let c0 = 0.0;
        if (p2 < dt2) {
          const u = p2 * inv2 - 1.0;
          c0 = -u * u * u * THIRD_F32;
        } else if (p2 > om2) {
          const u = (p2 - 1.0) * inv2 + 1.0;
          c0 = u * u * u * THIRD_F32;
        }
        let ch = 0.0;
        if (h < dt2) {
          const u = h * inv2 - 1.0;
          ch = -u * u * u * THIRD_F32;
        } else if (h > om2) {
          const u = (h - 1.0) * inv2 + 1.0;
          ch = u * u * u * THIRD_F32;
        }
        const corners = c0 - ch;
        x += wc[w0 + j] * sine + wd[w0 + j] * (tri + dt2x4 * corners);
      }
      xs[j] = x;
      const n1 = Math.fround(p1 + dt1);
      p1 = n1 >= 1.0 ? n1 - 1.0 : n1;
      const n2 = Math.fround(p2 + dt2);
      p2 = n2 >= 1.0 ? n2 - 1.0 : n2;
    }

    // Pass 2: envelopes, filter and amplitude.
    const env = this.env;
    const f = this.slots + v;
    const level = env.level;
    let aLevel = level[v];
    let aBase = env.base[v];
    let aCoef = env.coef[v];
    let aLo = env.lo[v];
    let aHi = env.hi[v];
    let fLevel = level[f];
    let fBase = env.base[f];
    let fCoef = env.coef[f];
    let fLo = env.lo[f];
    let fHi = env.hi[f];
    let a1 = this.a1[v];
    let a2 = this.a2[v];
    let a3 = this.a3[v];
    const da1 = this.da1[v];
    const da2 = this.da2[v];
    const da3 = this.da3[v];
    let ic1 = this.ic1[v];
    let ic2 = this.ic2[v];
    for (let j = 0; j < n; j++) {
      aLevel = aBase + aLevel * aCoef;
      if (!(aLevel < aHi && aLevel > aLo)) {
        level[v] = aLevel;
        env.endStage(v, ctl);
        if (env.stage[v] === IDLE) {
          this.idle(v);
          return;
        }
        aLevel = level[v];
        aBase = env.base[v];
        aCoef = env.coef[v];
        aLo = env.lo[v];
        aHi = env.hi[v];
      }
      fLevel = fBase + fLevel * fCoef;
      if (!(fLevel < fHi && fLevel > fLo)) {
        level[f] = fLevel;
        env.endStage(f, ctl);
        fLevel = level[f];
        fBase = env.base[f];
        fCoef = env.coef[f];
        fLo = env.lo[f];
        fHi = env.hi[f];
      }
      a1 = Math.fround(a1 + da1);
      a2 = Math.fround(a2 + da2);
      a3 = Math.fround(a3 + da3);
      const v3 = xs[j] - ic2;
      const v1 = a1 * ic1 + a2 * v3;
      const v2 = ic2 + a2 * ic1 + a3 * v3;
      ic1 = v1 + v1 - ic1;
      ic2 = v2 + v2 - ic2;
      out[o0 + j] += v2 * Math.fround(aLevel);
    }
    level[v] = aLevel;
    level[f] = fLevel;
    this.a1[v] = a1;
    this.a2[v] = a2;
    this.a3[v] = a3;
    this.p1[v] = p1;
    this.p2[v] = p2;
    this.ic1[v] = ic1;
    this.ic2[v] = ic2;
  }
}
