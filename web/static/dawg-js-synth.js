// The polyphonic subtractive synth source (dsp_rust/src/sources/synth/):
// VOICES voices, each with two band-limited oscillators, a resonant 2-pole
// low-pass filter with its own ADSR envelope, and an amplitude ADSR.
//
// Signal flow of a voice: oscillator 1 (polyBLEP saw or square) and
// oscillator 2 (sine or polyBLAMP triangle), mixed → Simper state-variable
// low-pass → amplitude envelope × velocity². The voices are summed, scaled by
// synth_gain_db and written identically to both channels.
//
// Oscillator phases are f32 values in [0, 1) (Math.fround on every
// advance), so each phase, each polyBLEP branch and each note's timing is the
// Rust one exactly; the envelopes run in f64 as in the Rust, so stage ends and
// the release's exact zero fall on the same frames. The rest of a voice
// (oscillator shapes, filter) computes in f64 on f32 coefficients, within
// f32 rounding of the Rust. Control values (filter coefficients, envelope
// rates, oscillator 2 pitch) are refreshed every CONTROL_FRAMES frames
// counted from the last reset, with the Rust's plain-arithmetic exp2/log2/tan.
//
// Voices and stealing: a note-on for a sounding note retriggers its newest
// voice from the current level; with VOICES notes sounding, the oldest
// releasing voice (else the oldest held one) fades out linearly over
// STEAL_FADE_MS in one of VOICES spare slots while the new note starts at
// once; only if more than VOICES steals overlap is the quietest fading voice
// cut short.
//
// Real time: voices live in typed arrays (structure of arrays); render
// allocates nothing, and every output sample and recirculating value is
// flushed (NaN, infinities and magnitudes below 1e-20 become exact zeros).

import { dbGain, exp2F64, flush, flushF64, log2F64, tanPiF64 } from "./dawg-js-math.js";
import { Linear, stepsForMs } from "./dawg-js-smooth.js";

/** Number of notes that can sound at once. */
export const VOICES = 16;
/** Voice slots: VOICES playing voices plus as many for steal fades. */
const SLOTS = 2 * VOICES;
/** Frames between control-rate updates, counted from the last reset. */
export const CONTROL_FRAMES = 16;
/** Fade-out time of a stolen voice, ms. */
export const STEAL_FADE_MS = 2.0;
/** Largest oscillator phase increment, cycles per sample. */
export const MAX_PHASE_INC = 0.45;

// ---------------------------------------------------------------------------
// Parameter rows (the Rust PARAMS order; the manifest holds the full rows).

export const OSC1_WAVE = 0;
export const OSC2_WAVE = 1;
export const OSC2_SEMITONES = 2;
export const OSC2_DETUNE_CENTS = 3;
export const OSC_MIX = 4;
export const CUTOFF_HZ = 5;
export const RESONANCE = 6;
export const FILTER_ENV_OCTAVES = 7;
export const FENV_ATTACK_MS = 8;
export const FENV_DECAY_MS = 9;
export const FENV_SUSTAIN = 10;
export const FENV_RELEASE_MS = 11;
export const ATTACK_MS = 12;
export const DECAY_MS = 13;
export const SUSTAIN = 14;
export const RELEASE_MS = 15;
export const GAIN_DB = 16;
/** Number of synth parameters. */
export const PARAM_COUNT = 17;

/** Row names, in row-index order (the manifest's rows owned by "synth"). */
export const PARAM_NAMES = Object.freeze([
  "synth_osc1_wave",
  "synth_osc2_wave",
  "synth_osc2_semitones",
  "synth_osc2_detune_cents",
  "synth_osc_mix",
  "synth_cutoff_hz",
  "synth_resonance",
  "synth_filter_env_octaves",
  "synth_fenv_attack_ms",
  "synth_fenv_decay_ms",
  "synth_fenv_sustain",
  "synth_fenv_release_ms",
  "synth_attack_ms",
  "synth_decay_ms",
  "synth_sustain",
  "synth_release_ms",
  "synth_gain_db",
]);

/** Row defaults, in row-index order, as the f32 values the Rust holds. */
export const PARAM_DEFAULTS = Object.freeze(
  [0, 0, 0, 0, 0, 2000, 0, 0, 1, 300, 0, 300, 5, 300, 0.7, 300, -12].map(Math.fround),
);

/** Crossfade time of the stepped waveform switches, ms. */
const WAVE_SMOOTHING_MS = 10.0;
/** Ramp time of the continuous parameters, ms. */
const SMOOTHING_MS = 20.0;
/** Ramp time of the output gain, ms. */
const GAIN_SMOOTHING_MS = 10.0;

const MIN_CUTOFF_HZ = 10.0;
const MAX_CUTOFF_RATIO = 0.45;
/** log2(20): resonance 1 gives Q = 0.5 · 20. */
const LOG2_Q_SPAN = 4.321928094887363;

// ---------------------------------------------------------------------------
// Envelopes (env.rs).

/** Attack target above the peak, as a fraction of the peak. */
const ATTACK_OVERSHOOT = 0.3;
/** Release target below zero, as a fraction of the peak. */
const RELEASE_UNDERSHOOT = 0.001;
/** log2((1 + 0.3) / 0.3): attack time constants from 0 to the peak. */
const LOG2_ATTACK_SPAN = 2.115477217419936;
/** log2(1000): decay covers 99.9 % of the distance to the sustain level. */
const LOG2_DECAY_SPAN = 9.965784284662087;
/** log2((1 + 0.001) / 0.001): release time constants from the peak to 0. */
const LOG2_RELEASE_SPAN = 9.967226258835993;
/** A held note with sustain 0 ends below this envelope level. */
const SILENT_LEVEL = 1e-9;

const IDLE = 0;
const ATTACK = 1;
const DECAY = 2;
const RELEASE = 3;
const FADE = 4;

/** Per-sample coefficient of a stage of `ms` milliseconds spanning `span` (log2). */
function envCoef(span, ms, sampleRateHz) {
  const frames = Math.max(ms * 1e-3 * sampleRateHz, 1.0);
  return exp2F64(-span / frames);
}

// ---------------------------------------------------------------------------
// Oscillator kernels (osc.rs, math.rs sin_half_pi), on f32 phases.

const THIRD_F32 = Math.fround(1.0 / 3.0);
const SIN_C1 = Math.fround(Math.PI / 2);
const SIN_C3 = Math.fround(-0.64596426);
const SIN_C5 = Math.fround(0.07969141);
const SIN_C7 = Math.fround(-0.0046758796);
const SIN_C9 = Math.fround(0.00015236768);

/** 2-sample polyBLEP residual of a unit downward step at phase 0. */
function blep(t, dt, oneMinusDt, invDt) {
  if (t < dt) {
    const x = t * invDt;
    return x + x - x * x - 1.0;
  }
  if (t > oneMinusDt) {
    const x = (t - 1.0) * invDt;
    return x * x + x + x + 1.0;
  }
  return 0.0;
}

/** 2-sample polyBLAMP residual (×2) of a corner at phase 0. */
function blamp(t, dt, oneMinusDt, invDt) {
  if (t < dt) {
    const x = t * invDt - 1.0;
    return -x * x * x * THIRD_F32;
  }
  if (t > oneMinusDt) {
    const x = (t - 1.0) * invDt + 1.0;
    return x * x * x * THIRD_F32;
  }
  return 0.0;
}

/** The f32 phase half a cycle on from `t`. */
function wrapHalf(t) {
  const h = Math.fround(t + 0.5);
  return h >= 1.0 ? h - 1.0 : h;
}

/** sin(π/2 · x) for x in [-1, 1], the Rust's odd degree-9 polynomial. */
function sinHalfPi(x) {
  const x2 = x * x;
  return x * (SIN_C1 + x2 * (SIN_C3 + x2 * (SIN_C5 + x2 * (SIN_C7 + x2 * SIN_C9))));
}

// ---------------------------------------------------------------------------

/** The polyphonic synth source (Rust `Synth`). */
export class Synth {
  /**
   * A silent synth at `sampleRateHz` rendering up to `maxBlockFrames` frames
   * per internal pass (longer renders are split). Throws RangeError for a
   * rate that is not finite or below 1000 Hz, or a block size below 1.
   */
  constructor(sampleRateHz, maxBlockFrames) {
    const rate = Math.fround(sampleRateHz);
    if (!(Number.isFinite(rate) && rate >= 1000.0)) {
      throw new RangeError(`synth sample rate must be finite and at least 1000 Hz, got ${sampleRateHz}`);
    }
    if (!(Number.isInteger(maxBlockFrames) && maxBlockFrames >= 1)) {
      throw new RangeError(`synth block size must be a whole number of frames >= 1, got ${maxBlockFrames}`);
    }
    const sr = rate;
    this.sampleRateHz = sr;
    this.maxBlockFrames = maxBlockFrames;
    this.stealFadeFrames = Math.max(Math.round(STEAL_FADE_MS * 1e-3 * sr), 1.0);
    this.stamp = 0;
    this.framesToTick = 0;

    // Parameter state (params.rs ParamState).
    const d = PARAM_DEFAULTS;
    this.values = new Float32Array(d);
    this.stepsWave = stepsForMs(WAVE_SMOOTHING_MS, sr);
    this.stepsSmooth = stepsForMs(SMOOTHING_MS, sr);
    this.stepsGain = stepsForMs(GAIN_SMOOTHING_MS, sr);
    this.osc1Wave = new Linear(d[OSC1_WAVE]);
    this.osc2Wave = new Linear(d[OSC2_WAVE]);
    this.mix = new Linear(d[OSC_MIX]);
    this.gain = new Linear(dbGain(d[GAIN_DB]));
    this.detuneCents = new Linear(d[OSC2_DETUNE_CENTS]);
    this.cutoffLog2 = new Linear(Math.fround(log2F64(d[CUTOFF_HZ])));
    this.resonance = new Linear(d[RESONANCE]);
    this.envOctaves = new Linear(d[FILTER_ENV_OCTAVES]);
    this.sustain = new Linear(d[SUSTAIN]);
    this.fenvSustain = new Linear(d[FENV_SUSTAIN]);
    this.ratesDirty = false;

    // Control values shared by every voice (params.rs Control).
    this.ctlOsc2Ratio = 1.0;
    this.ctlCutoffLog2 = 0.0;
    this.ctlEnvOctaves = 0.0;
    this.ctlMinCutoffLog2 = log2F64(MIN_CUTOFF_HZ);
    this.ctlMaxCutoffLog2 = log2F64(MAX_CUTOFF_RATIO * sr);
    this.ctlK = 2.0;
    this.ctlAmpAttack = envCoef(LOG2_ATTACK_SPAN, d[ATTACK_MS], sr);
    this.ctlAmpDecay = envCoef(LOG2_DECAY_SPAN, d[DECAY_MS], sr);
    this.ctlAmpRelease = envCoef(LOG2_RELEASE_SPAN, d[RELEASE_MS], sr);
    this.ctlFenvAttack = envCoef(LOG2_ATTACK_SPAN, d[FENV_ATTACK_MS], sr);
    this.ctlFenvDecay = envCoef(LOG2_DECAY_SPAN, d[FENV_DECAY_MS], sr);
    this.ctlFenvRelease = envCoef(LOG2_RELEASE_SPAN, d[FENV_RELEASE_MS], sr);
    this.ctlSustain = 0.0;
    this.ctlFenvSustain = 0.0;

    // Envelopes: entry v is voice v's amplitude envelope, SLOTS + v its filter envelope.
    const e = 2 * SLOTS;
    this.envLevel = new Float64Array(e);
    this.envBase = new Float64Array(e);
    this.envCoef = new Float64Array(e);
    this.envLo = new Float64Array(e);
    this.envHi = new Float64Array(e);
    this.envPeak = new Float64Array(e);
    this.envStage = new Uint8Array(e);

    // Voices (voice.rs), one entry per slot.
    this.note = new Uint8Array(SLOTS);
    this.held = new Uint8Array(SLOTS);
    this.onStamp = new Float64Array(SLOTS);
    this.offStamp = new Float64Array(SLOTS);
    this.noteInc = new Float64Array(SLOTS);
    this.p1 = new Float64Array(SLOTS);
    this.dt1 = new Float64Array(SLOTS);
    this.invDt1 = new Float64Array(SLOTS);
    this.p2 = new Float64Array(SLOTS);
    this.dt2 = new Float64Array(SLOTS);
    this.invDt2 = new Float64Array(SLOTS);
    this.vCutoffLog2 = new Float64Array(SLOTS);
    this.vK = new Float64Array(SLOTS);
    this.a1 = new Float64Array(SLOTS);
    this.a2 = new Float64Array(SLOTS);
    this.a3 = new Float64Array(SLOTS);
    this.ic1 = new Float64Array(SLOTS);
    this.ic2 = new Float64Array(SLOTS);

    // Per-sample oscillator weights and gain of one pass, and one control
    // segment of a voice's oscillator mix (the Rust's f32 buffers).
    this.bufA = new Float32Array(maxBlockFrames);
    this.bufB = new Float32Array(maxBlockFrames);
    this.bufC = new Float32Array(maxBlockFrames);
    this.bufD = new Float32Array(maxBlockFrames);
    this.bufGain = new Float32Array(maxBlockFrames);
    this.xs = new Float32Array(CONTROL_FRAMES);

    for (let v = 0; v < SLOTS; v++) {
      this.idleVoice(v);
    }
    this.reset();
  }

  // ---- parameters -------------------------------------------------------

  /**
   * Set parameter row `index` to `value` (already clamped by the caller);
   * unknown rows and non-finite values are ignored. Continuous parameters
   * ramp over the row's smoothing time.
   */
  set(index, value) {
    if (!(index >= 0 && index < PARAM_COUNT) || !Number.isFinite(value)) {
      return;
    }
    const i = index | 0;
    this.values[i] = value;
    const v = this.values[i];
    switch (i) {
      case OSC1_WAVE:
        this.osc1Wave.setTarget(v, this.stepsWave);
        break;
      case OSC2_WAVE:
        this.osc2Wave.setTarget(v, this.stepsWave);
        break;
      case OSC2_SEMITONES:
        break;
      case OSC2_DETUNE_CENTS:
        this.detuneCents.setTarget(v, this.stepsSmooth);
        break;
      case OSC_MIX:
        this.mix.setTarget(v, this.stepsSmooth);
        break;
      case CUTOFF_HZ:
        this.cutoffLog2.setTarget(Math.fround(log2F64(v)), this.stepsSmooth);
        break;
      case RESONANCE:
        this.resonance.setTarget(v, this.stepsSmooth);
        break;
      case FILTER_ENV_OCTAVES:
        this.envOctaves.setTarget(v, this.stepsSmooth);
        break;
      case FENV_SUSTAIN:
        this.fenvSustain.setTarget(v, this.stepsSmooth);
        break;
      case SUSTAIN:
        this.sustain.setTarget(v, this.stepsSmooth);
        break;
      case GAIN_DB:
        this.gain.setTarget(dbGain(v), this.stepsGain);
        break;
      default:
        this.ratesDirty = true;
    }
  }

  /** The last value set for row `index` (the target, not the ramp position); 0 for an unknown row. */
  get(index) {
    return index >= 0 && index < PARAM_COUNT ? this.values[index | 0] : 0.0;
  }

  /** Advance the control-rate ramps by CONTROL_FRAMES. */
  advanceControl() {
    if (this.detuneCents.isActive()) this.detuneCents.advance(CONTROL_FRAMES);
    if (this.cutoffLog2.isActive()) this.cutoffLog2.advance(CONTROL_FRAMES);
    if (this.resonance.isActive()) this.resonance.advance(CONTROL_FRAMES);
    if (this.envOctaves.isActive()) this.envOctaves.advance(CONTROL_FRAMES);
    if (this.sustain.isActive()) this.sustain.advance(CONTROL_FRAMES);
    if (this.fenvSustain.isActive()) this.fenvSustain.advance(CONTROL_FRAMES);
  }

  /** Write the control values for the ramps' current positions. */
  refresh() {
    const sr = this.sampleRateHz;
    const v = this.values;
    if (this.ratesDirty) {
      this.ctlAmpAttack = envCoef(LOG2_ATTACK_SPAN, v[ATTACK_MS], sr);
      this.ctlAmpDecay = envCoef(LOG2_DECAY_SPAN, v[DECAY_MS], sr);
      this.ctlAmpRelease = envCoef(LOG2_RELEASE_SPAN, v[RELEASE_MS], sr);
      this.ctlFenvAttack = envCoef(LOG2_ATTACK_SPAN, v[FENV_ATTACK_MS], sr);
      this.ctlFenvDecay = envCoef(LOG2_DECAY_SPAN, v[FENV_DECAY_MS], sr);
      this.ctlFenvRelease = envCoef(LOG2_RELEASE_SPAN, v[FENV_RELEASE_MS], sr);
      this.ratesDirty = false;
    }
    const semis = v[OSC2_SEMITONES] + this.detuneCents.current * 0.01;
    this.ctlOsc2Ratio = exp2F64(semis * (1.0 / 12.0));
    this.ctlCutoffLog2 = this.cutoffLog2.current;
    this.ctlEnvOctaves = this.envOctaves.current;
    this.ctlK = 2.0 * exp2F64(-LOG2_Q_SPAN * this.resonance.current);
    this.ctlSustain = this.sustain.current;
    this.ctlFenvSustain = this.fenvSustain.current;
  }

  // ---- envelopes (index e: voice v's amplitude at v, filter at SLOTS + v) --

  /** Stage coefficients of envelope `e` from the current rates and sustain. */
  envConfigure(e) {
    const amp = e < SLOTS;
    const peak = this.envPeak[e];
    switch (this.envStage[e]) {
      case IDLE:
        this.envBase[e] = 0.0;
        this.envCoef[e] = 0.0;
        this.envLo[e] = -Infinity;
        this.envHi[e] = Infinity;
        break;
      case ATTACK: {
        const c = amp ? this.ctlAmpAttack : this.ctlFenvAttack;
        this.envBase[e] = peak * (1.0 + ATTACK_OVERSHOOT) * (1.0 - c);
        this.envCoef[e] = c;
        this.envLo[e] = -Infinity;
        this.envHi[e] = peak;
        break;
      }
      case DECAY: {
        const c = amp ? this.ctlAmpDecay : this.ctlFenvDecay;
        const s = (amp ? this.ctlSustain : this.ctlFenvSustain) * peak;
        this.envBase[e] = s * (1.0 - c);
        this.envCoef[e] = c;
        this.envLo[e] = s === 0.0 ? SILENT_LEVEL : -Infinity;
        this.envHi[e] = Infinity;
        break;
      }
      case RELEASE: {
        const c = amp ? this.ctlAmpRelease : this.ctlFenvRelease;
        this.envBase[e] = -RELEASE_UNDERSHOOT * peak * (1.0 - c);
        this.envCoef[e] = c;
        this.envLo[e] = 0.0;
        this.envHi[e] = Infinity;
        break;
      }
      default: // FADE keeps its linear ramp
        break;
    }
  }

  /** Envelope `e` at rest (Rust `Env::IDLE`). */
  envIdle(e) {
    this.envLevel[e] = 0.0;
    this.envBase[e] = 0.0;
    this.envCoef[e] = 0.0;
    this.envLo[e] = -Infinity;
    this.envHi[e] = Infinity;
    this.envPeak[e] = 1.0;
    this.envStage[e] = IDLE;
  }

  /** Start (or restart) the attack of envelope `e` from its current level. */
  envTrigger(e, peak) {
    this.envPeak[e] = peak;
    this.envStage[e] = this.envLevel[e] >= peak ? DECAY : ATTACK;
    this.envConfigure(e);
  }

  /** Start the release of envelope `e` from its current level. */
  envRelease(e) {
    if (this.envStage[e] !== IDLE) {
      this.envStage[e] = RELEASE;
      this.envConfigure(e);
    }
  }

  /** A level left the stage's range: the attack turns into the decay, any other stage ends. */
  envEndStage(e) {
    if (this.envStage[e] === ATTACK) {
      this.envLevel[e] = this.envPeak[e];
      this.envStage[e] = DECAY;
      this.envConfigure(e);
    } else {
      this.envIdle(e);
    }
  }

  // ---- voices ------------------------------------------------------------

  /** Slot `v` at rest (Rust `Voice::IDLE`). */
  idleVoice(v) {
    this.note[v] = 0;
    this.held[v] = 0;
    this.onStamp[v] = 0;
    this.offStamp[v] = 0;
    this.envIdle(v);
    this.envIdle(SLOTS + v);
    this.noteInc[v] = 0.0;
    this.p1[v] = 0.0;
    this.dt1[v] = 0.0;
    this.invDt1[v] = 0.0;
    this.p2[v] = 0.25;
    this.dt2[v] = 0.0;
    this.invDt2[v] = 0.0;
    this.vCutoffLog2[v] = NaN;
    this.vK[v] = NaN;
    this.a1[v] = 0.0;
    this.a2[v] = 0.0;
    this.a3[v] = 0.0;
    this.ic1[v] = 0.0;
    this.ic2[v] = 0.0;
  }

  /** Refresh slot `v`'s envelope stages, oscillator 2 pitch and filter coefficients. */
  updateControl(v) {
    const f = SLOTS + v;
    this.envConfigure(v);
    this.envConfigure(f);
    this.envLevel[v] = flushF64(this.envLevel[v]);
    this.envLevel[f] = flushF64(this.envLevel[f]);
    this.ic1[v] = flush(this.ic1[v]);
    this.ic2[v] = flush(this.ic2[v]);

    const dt2 = Math.fround(Math.min(this.noteInc[v] * this.ctlOsc2Ratio, MAX_PHASE_INC));
    this.dt2[v] = dt2;
    this.invDt2[v] = Math.fround(1.0 / dt2);

    let l = this.ctlCutoffLog2 + this.ctlEnvOctaves * this.envLevel[f];
    if (l > this.ctlMaxCutoffLog2) {
      l = this.ctlMaxCutoffLog2;
    } else if (!(l >= this.ctlMinCutoffLog2)) {
      l = this.ctlMinCutoffLog2;
    }
    const k = this.ctlK;
    if (l === this.vCutoffLog2[v] && k === this.vK[v]) {
      return;
    }
    this.vCutoffLog2[v] = l;
    this.vK[v] = k;
    const g = tanPiF64(exp2F64(l) / this.sampleRateHz);
    const a1 = 1.0 / (1.0 + g * (g + k));
    const a2 = g * a1;
    this.a1[v] = Math.fround(a1);
    this.a2[v] = Math.fround(a2);
    this.a3[v] = Math.fround(g * a2);
  }

  /** Start note `note` on idle slot `v`. */
  startVoice(v, note, peak, stamp) {
    this.idleVoice(v);
    this.note[v] = note;
    this.held[v] = 1;
    this.onStamp[v] = stamp;
    const inc = (440.0 * exp2F64((note - 69.0) / 12.0)) / this.sampleRateHz;
    this.noteInc[v] = inc;
    const dt1 = Math.fround(Math.min(inc, MAX_PHASE_INC));
    this.dt1[v] = dt1;
    this.invDt1[v] = Math.fround(1.0 / dt1);
    this.envTrigger(v, peak);
    this.envTrigger(SLOTS + v, 1.0);
    this.updateControl(v);
  }

  /** Restart slot `v`'s envelopes from their current levels. */
  retriggerVoice(v, peak, stamp) {
    this.held[v] = 1;
    this.onStamp[v] = stamp;
    this.envTrigger(v, peak);
    this.envTrigger(SLOTS + v, 1.0);
    this.updateControl(v);
  }

  /** Release slot `v` from its envelopes' current levels. */
  releaseVoice(v, stamp) {
    this.held[v] = 0;
    this.offStamp[v] = stamp;
    this.envRelease(v);
    this.envRelease(SLOTS + v);
  }

  /** Fade slot `v` out linearly from its current level over `frames` frames. */
  stealVoice(v, frames) {
    this.held[v] = 0;
    this.envStage[v] = FADE;
    this.envBase[v] = -this.envLevel[v] / frames;
    this.envCoef[v] = 1.0;
    this.envLo[v] = 0.0;
    this.envHi[v] = Infinity;
  }

  // ---- notes -------------------------------------------------------------

  /**
   * Start MIDI note `note` (larger values count as 127) at `velocity`
   * (clamped to 0..1; amplitude velocity²). Velocity 0 (or NaN) is a note-off.
   */
  noteOn(note, velocity) {
    const n = note > 127 ? 127 : note | 0;
    const vel = Math.fround(velocity);
    const v = vel > 0.0 ? Math.min(vel, 1.0) : 0.0;
    if (v === 0.0) {
      this.noteOff(n);
      return;
    }
    const peak = v * v;
    this.stamp += 1;
    const stamp = this.stamp;
    const stage = this.envStage;
    let same = -1;
    let busy = 0;
    for (let i = 0; i < SLOTS; i++) {
      if (stage[i] !== IDLE && stage[i] !== FADE) {
        busy += 1;
        if (this.note[i] === n && (same < 0 || this.onStamp[same] < this.onStamp[i])) {
          same = i;
        }
      }
    }
    if (same >= 0) {
      this.retriggerVoice(same, peak, stamp);
      return;
    }
    if (busy >= VOICES) {
      this.stealOne();
    }
    let slot = -1;
    for (let i = 0; i < SLOTS; i++) {
      if (stage[i] === IDLE) {
        slot = i;
        break;
      }
    }
    if (slot < 0) {
      slot = this.cutQuietestFade();
    }
    this.startVoice(slot, n, peak, stamp);
  }

  /** Fade out the oldest releasing voice, else the oldest held voice. */
  stealOne() {
    const stage = this.envStage;
    let victim = -1;
    let vHeld = 0;
    let vAge = 0;
    for (let i = 0; i < SLOTS; i++) {
      if (stage[i] === IDLE || stage[i] === FADE) {
        continue;
      }
      const h = this.held[i];
      const age = h ? this.onStamp[i] : this.offStamp[i];
      // Keys (held, age, slot) compare in that order; slots rise, so ties keep the first.
      if (victim < 0 || h < vHeld || (h === vHeld && age < vAge)) {
        victim = i;
        vHeld = h;
        vAge = age;
      }
    }
    if (victim >= 0) {
      this.stealVoice(victim, this.stealFadeFrames);
    }
  }

  /** End the quietest fading voice at once; returns its slot. */
  cutQuietestFade() {
    let best = 0;
    let bestLevel = Infinity;
    for (let i = 0; i < SLOTS; i++) {
      if (this.envStage[i] === FADE && this.envLevel[i] < bestLevel) {
        best = i;
        bestLevel = this.envLevel[i];
      }
    }
    this.idleVoice(best);
    return best;
  }

  /** Release every held voice playing `note`, from its current level. */
  noteOff(note) {
    const n = note > 127 ? 127 : note | 0;
    this.stamp += 1;
    const stamp = this.stamp;
    for (let i = 0; i < SLOTS; i++) {
      if (this.held[i] && this.note[i] === n && this.envStage[i] !== IDLE) {
        this.releaseVoice(i, stamp);
      }
    }
  }

  /** Release every held voice, from its current level. */
  allNotesOff() {
    this.stamp += 1;
    const stamp = this.stamp;
    for (let i = 0; i < SLOTS; i++) {
      if (this.held[i] && this.envStage[i] !== IDLE) {
        this.releaseVoice(i, stamp);
      }
    }
  }

  // ---- rendering ---------------------------------------------------------

  /** The control tick: advance the control-rate ramps and refresh every sounding voice. */
  tick() {
    this.advanceControl();
    this.refresh();
    for (let v = 0; v < SLOTS; v++) {
      if (this.envStage[v] !== IDLE) {
        this.updateControl(v);
      }
    }
    this.framesToTick = CONTROL_FRAMES;
  }

  /**
   * Render frames start..end, OVERWRITING `left` and `right` there with the
   * same signal. Any length works (longer than the block size is split).
   */
  render(left, right, start, end) {
    const max = this.maxBlockFrames;
    for (let i = start; i < end; i += max) {
      this.renderChunk(left, i, Math.min(end, i + max));
    }
    for (let i = start; i < end; i++) {
      right[i] = left[i];
    }
  }

  /** One pass of at most maxBlockFrames frames into out[start..end]. */
  renderChunk(out, start, end) {
    const n = end - start;
    const bufA = this.bufA;
    const bufB = this.bufB;
    const bufC = this.bufC;
    const bufD = this.bufD;
    const bufGain = this.bufGain;
    const w1s = this.osc1Wave;
    const w2s = this.osc2Wave;
    const ms = this.mix;
    const gs = this.gain;
    let any1 = false;
    let any2 = false;
    for (let j = 0; j < n; j++) {
      const w1 = w1s.tick();
      const w2 = w2s.tick();
      const m = ms.tick();
      const m1 = Math.fround(1.0 - m);
      bufA[j] = m1 * Math.fround(1.0 - (w1 + w1));
      bufB[j] = m1 * w1;
      bufC[j] = m * Math.fround(1.0 - w2);
      bufD[j] = m * w2;
      bufGain[j] = gs.tick();
      any1 = any1 || m !== 1.0;
      any2 = any2 || m !== 0.0;
    }
    out.fill(0.0, start, end);
    const stage = this.envStage;
    let i = 0;
    while (i < n) {
      if (this.framesToTick === 0) {
        this.tick();
      }
      const seg = Math.min(this.framesToTick, n - i);
      for (let v = 0; v < SLOTS; v++) {
        if (stage[v] !== IDLE) {
          this.renderVoice(v, out, start + i, i, seg, any1, any2);
        }
      }
      i += seg;
      this.framesToTick -= seg;
    }
    for (let j = 0; j < n; j++) {
      out[start + j] = flush(Math.fround(out[start + j] * bufGain[j]));
    }
  }

  /**
   * Add slot `v`'s output for one control segment of `n` frames to
   * out[o0..o0+n], reading the weights from index w0. `o1`/`o2`: whether
   * oscillator 1/2 has a nonzero weight anywhere in the pass (skipping a
   * zero-weight term gives the same values).
   */
  renderVoice(v, out, o0, w0, n, o1, o2) {
    const xs = this.xs;
    const bufA = this.bufA;
    const bufB = this.bufB;
    const bufC = this.bufC;
    const bufD = this.bufD;
    // Pass 1: the oscillator mix.
    let p1 = this.p1[v];
    let p2 = this.p2[v];
    const dt1 = this.dt1[v];
    const inv1 = this.invDt1[v];
    const dt2 = this.dt2[v];
    const inv2 = this.invDt2[v];
    const om1 = Math.fround(1.0 - dt1);
    const om2 = Math.fround(1.0 - dt2);
    const dt2x4 = 4.0 * dt2;
    for (let j = 0; j < n; j++) {
      let x = 0.0;
      if (o1) {
        const h = wrapHalf(p1);
        const s = p1 + p1 - 1.0 - blep(p1, dt1, om1, inv1);
        const sh = h + h - 1.0 - blep(h, dt1, om1, inv1);
        x = bufA[w0 + j] * s + bufB[w0 + j] * sh;
      }
      if (o2) {
        const tri = 1.0 - Math.abs(4.0 * p2 - 2.0);
        const sine = sinHalfPi(tri);
        const corners = blamp(p2, dt2, om2, inv2) - blamp(wrapHalf(p2), dt2, om2, inv2);
        const triBl = tri + dt2x4 * corners;
        x += bufC[w0 + j] * sine + bufD[w0 + j] * triBl;
      }
      xs[j] = x;
      p1 = Math.fround(p1 + dt1);
      if (p1 >= 1.0) p1 -= 1.0;
      p2 = Math.fround(p2 + dt2);
      if (p2 >= 1.0) p2 -= 1.0;
    }

    // Pass 2: envelopes, filter and amplitude.
    const f = SLOTS + v;
    const level = this.envLevel;
    const stage = this.envStage;
    let aLevel = level[v];
    let aBase = this.envBase[v];
    let aCoef = this.envCoef[v];
    let aLo = this.envLo[v];
    let aHi = this.envHi[v];
    let fLevel = level[f];
    let fBase = this.envBase[f];
    let fCoef = this.envCoef[f];
    let fLo = this.envLo[f];
    let fHi = this.envHi[f];
    const a1 = this.a1[v];
    const a2 = this.a2[v];
    const a3 = this.a3[v];
    let ic1 = this.ic1[v];
    let ic2 = this.ic2[v];
    let ended = false;
    for (let j = 0; j < n; j++) {
      aLevel = aBase + aLevel * aCoef;
      if (!(aLevel < aHi && aLevel > aLo)) {
        level[v] = aLevel;
        this.envEndStage(v);
        if (stage[v] === IDLE) {
          ended = true;
          break;
        }
        aLevel = level[v];
        aBase = this.envBase[v];
        aCoef = this.envCoef[v];
        aLo = this.envLo[v];
        aHi = this.envHi[v];
      }
      fLevel = fBase + fLevel * fCoef;
      if (!(fLevel < fHi && fLevel > fLo)) {
        level[f] = fLevel;
        this.envEndStage(f);
        fLevel = level[f];
        fBase = this.envBase[f];
        fCoef = this.envCoef[f];
        fLo = this.envLo[f];
        fHi = this.envHi[f];
      }
      const v3 = xs[j] - ic2;
      const v1 = a1 * ic1 + a2 * v3;
      const v2 = ic2 + a2 * ic1 + a3 * v3;
      ic1 = v1 + v1 - ic1;
      ic2 = v2 + v2 - ic2;
      out[o0 + j] += v2 * Math.fround(aLevel);
    }
    if (ended) {
      this.idleVoice(v);
      return;
    }
    level[v] = aLevel;
    level[f] = fLevel;
    this.p1[v] = p1;
    this.p2[v] = p2;
    this.ic1[v] = ic1;
    this.ic2[v] = ic2;
  }

  /**
   * Silence every voice, clear all state and jump every ramp to its target;
   * the next render starts a fresh control-tick grid.
   */
  reset() {
    this.osc1Wave.snap();
    this.osc2Wave.snap();
    this.mix.snap();
    this.gain.snap();
    this.detuneCents.snap();
    this.cutoffLog2.snap();
    this.resonance.snap();
    this.envOctaves.snap();
    this.sustain.snap();
    this.fenvSustain.snap();
    this.ratesDirty = true;
    for (let v = 0; v < SLOTS; v++) {
      this.idleVoice(v);
    }
    this.stamp = 0;
    this.framesToTick = 0;
    this.refresh();
  }

  /** True when no voice is sounding: the output stays exactly 0 until the next note-on. */
  isQuiet() {
    for (let v = 0; v < SLOTS; v++) {
      if (this.envStage[v] !== IDLE) {
        return false;
      }
    }
    return true;
  }

  /** Voices producing sound, including voices fading out after a steal. */
  activeVoices() {
    let count = 0;
    for (let v = 0; v < SLOTS; v++) {
      if (this.envStage[v] !== IDLE) {
        count += 1;
      }
    }
    return count;
  }

  /** Input-to-output latency: 0 (a source has no input). */
  tailFrames() {
    return 0;
  }
}
