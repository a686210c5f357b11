// The synth's ADSR envelopes (dsp_rust/src/sources/synth/env.rs): per-sample
// one-pole stages in f64, `level ← base + level·coef`, a stage ending when
// the level leaves (lo, hi); their coefficients from the stage times; and the
// linear fade-out of a stolen voice.
//
// - attack heads for 1.3 × peak and stops at the peak;
// - decay/sustain glides to sustain × peak (99.9 % of the way in decay_ms);
//   a held note whose sustain is 0 ends below 1e-9;
// - release heads for −0.001 × peak from the current level and stops at
//   exactly 0.
//
// The envelopes of every voice live in one structure of arrays: entries
// 0..voices-1 are the amplitude envelopes, voices..2·voices-1 the filter
// envelopes, which read the control values' amplitude or filter rates.

import { exp2F64 } from "./dawg-js-math.js";

/** Attack target above the peak, as a fraction of the peak. */
const ATTACK_OVERSHOOT = 0.3;
/** Release target below zero, as a fraction of the peak. */
const RELEASE_UNDERSHOOT = 0.001;
/** log2((1 + 0.3) / 0.3): attack time constants from 0 to the peak. */
export const LOG2_ATTACK_SPAN = 2.115477217419936;
/** log2(1000): decay covers 99.9 % of the distance to the sustain level. */
export const LOG2_DECAY_SPAN = 9.965784284662087;
/** log2((1 + 0.001) / 0.001): release time constants from the peak to 0. */
export const LOG2_RELEASE_SPAN = 9.967226258835993;
/** A held note with sustain 0 ends below this envelope level. */
const SILENT_LEVEL = 1e-9;

/** Envelope stages. */
export const IDLE = 0;
export const ATTACK = 1;
export const DECAY = 2;
export const RELEASE = 3;
export const FADE = 4;

/** Per-sample coefficient of a stage of `ms` milliseconds spanning `span` (log2) at `sampleRateHz`. */
export function envCoef(span, ms, sampleRateHz) {
  const frames = Math.max(ms * 1e-3 * sampleRateHz, 1.0);
  return exp2F64(-span / frames);
}

/**
 * The amplitude and filter envelopes of `voices` voices. Stage changes read
 * the current rates and sustain levels from `ctl` (the synth's control
 * values: ctlAmpAttack, ctlAmpDecay, ctlAmpRelease, ctlSustain and the
 * ctlFenv… equivalents).
 */
export class SynthEnvelopes {
  constructor(voices) {
    const n = 2 * voices;
    this.voices = voices;
    this.level = new Float64Array(n);
    this.base = new Float64Array(n);
    this.coef = new Float64Array(n);
    this.lo = new Float64Array(n);
    this.hi = new Float64Array(n);
    this.peak = new Float64Array(n);
    this.stage = new Uint8Array(n);
    for (let e = 0; e < n; e++) {
      this.idle(e);
    }
  }

  /** Envelope `e` at rest (Rust `Env::IDLE`). */
  idle(e) {
    this.level[e] = 0.0;
    this.base[e] = 0.0;
    this.coef[e] = 0.0;
    this.lo[e] = -Infinity;
    this.hi[e] = Infinity;
    this.peak[e] = 1.0;
    this.stage[e] = IDLE;
  }

  /** Stage coefficients of envelope `e` from the current rates and sustain level. */
  configure(e, ctl) {
    const amp = e < this.voices;
    const peak = this.peak[e];
    switch (this.stage[e]) {
      case IDLE:
        this.base[e] = 0.0;
        this.coef[e] = 0.0;
        this.lo[e] = -Infinity;
        this.hi[e] = Infinity;
        break;
      case ATTACK: {
        const c = amp ? ctl.ctlAmpAttack : ctl.ctlFenvAttack;
        this.base[e] = peak * (1.0 + ATTACK_OVERSHOOT) * (1.0 - c);
        this.coef[e] = c;
        this.lo[e] = -Infinity;
        this.hi[e] = peak;
        break;
      }
      case DECAY: {
        const c = amp ? ctl.ctlAmpDecay : ctl.ctlFenvDecay;
        const s = (amp ? ctl.ctlSustain : ctl.ctlFenvSustain) * peak;
        this.base[e] = s * (1.0 - c);
        this.coef[e] = c;
        this.lo[e] = s === 0.0 ? SILENT_LEVEL : -Infinity;
        this.hi[e] = Infinity;
        break;
      }
      case RELEASE: {
        const c = amp ? ctl.ctlAmpRelease : ctl.ctlFenvRelease;
        this.base[e] = -RELEASE_UNDERSHOOT * peak * (1.0 - c);
        this.coef[e] = c;
        this.lo[e] = 0.0;
        this.hi[e] = Infinity;
        break;
      }
      default: // FADE keeps its linear ramp
        break;
    }
  }

  /** Start (or restart) the attack of envelope `e` from its current level. */
  trigger(e, peak, ctl) {
    this.peak[e] = peak;
    this.stage[e] = this.level[e] >= peak ? DECAY : ATTACK;
    this.configure(e, ctl);
  }

  /** Start the release of envelope `e` from its current level. */
  release(e, ctl) {
    if (this.stage[e] !== IDLE) {
      this.stage[e] = RELEASE;
      this.configure(e, ctl);
    }
  }

  /** The level left the stage's range: the attack turns into the decay, any other stage ends. */
  endStage(e, ctl) {
    if (this.stage[e] === ATTACK) {
      this.level[e] = this.peak[e];
      this.stage[e] = DECAY;
      this.configure(e, ctl);
    } else {
      this.idle(e);
    }
  }

  /** Fade envelope `e` out linearly from its current level to 0 over `frames` frames. */
  fadeOut(e, frames) {
    this.stage[e] = FADE;
    this.base[e] = -this.level[e] / frames;
    this.coef[e] = 1.0;
    this.lo[e] = 0.0;
    this.hi[e] = Infinity;
  }
}
