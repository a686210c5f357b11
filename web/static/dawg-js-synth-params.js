// The synth's parameters (dsp_rust/src/sources/synth/params.rs): its rows of
// the parameter table (the manifest holds the full rows; here the row
// indices, names and defaults), the state the rows set (the last value per
// row and the ramps that follow it), and the control values every voice
// reads, derived from that state on the control tick.
//
// The waveform switches crossfade over 10 ms, the oscillator mix ramps over
// 20 ms and the output gain over 10 ms, all per sample. Cutoff (in log2 Hz),
// resonance, filter-envelope amount, oscillator 2 detune and both sustain
// levels ramp over 20 ms in CONTROL_FRAMES-frame steps; the oscillator 2
// transposition and the envelope times take effect at the next control tick.

import { dbGain, exp2F64, log2F64 } from "./dawg-js-math.js";
import { Linear, stepsForMs } from "./dawg-js-smooth.js";
import { envCoef, LOG2_ATTACK_SPAN, LOG2_DECAY_SPAN, LOG2_RELEASE_SPAN } from "./dawg-js-synth-env.js";

/** Frames between control-rate updates, counted from the last reset. */
export const CONTROL_FRAMES = 16;

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

/**
 * The synth's parameter state and its control values (Rust `ParamState` and
 * `Control` together). The per-sample ramps (osc1Wave, osc2Wave, mix, gain)
 * are ticked by the synth's render loop; the control values (ctl…) are what
 * the voices read.
 */
export class SynthParams {
  constructor(sampleRateHz) {
    const sr = sampleRateHz;
    const d = PARAM_DEFAULTS;
    this.sampleRateHz = sr;
    this.values = new Float32Array(d);
    this.stepsWave = stepsForMs(WAVE_SMOOTHING_MS, sr);
    this.stepsSmooth = stepsForMs(SMOOTHING_MS, sr);
    this.stepsGain = stepsForMs(GAIN_SMOOTHING_MS, sr);
    // Per-sample smoothers.
    this.osc1Wave = new Linear(d[OSC1_WAVE]);
    this.osc2Wave = new Linear(d[OSC2_WAVE]);
    this.mix = new Linear(d[OSC_MIX]);
    this.gain = new Linear(dbGain(d[GAIN_DB]));
    // Control-rate smoothers, advanced CONTROL_FRAMES at a time.
    this.detuneCents = new Linear(d[OSC2_DETUNE_CENTS]);
    this.cutoffLog2 = new Linear(Math.fround(log2F64(d[CUTOFF_HZ])));
    this.resonance = new Linear(d[RESONANCE]);
    this.envOctaves = new Linear(d[FILTER_ENV_OCTAVES]);
    this.sustain = new Linear(d[SUSTAIN]);
    this.fenvSustain = new Linear(d[FENV_SUSTAIN]);
    /** Envelope times changed: recompute the rates at the next refresh. */
    this.ratesDirty = false;

    // Control values, before the first refresh: the cutoff limits and the default rates.
    /** Oscillator 2 frequency over the note's frequency. */
    this.ctlOsc2Ratio = 1.0;
    this.ctlCutoffLog2 = 0.0;
    this.ctlEnvOctaves = 0.0;
    /** Cutoff limits in log2(Hz): 10 Hz and 0.45 × the sample rate. */
    this.ctlMinCutoffLog2 = log2F64(MIN_CUTOFF_HZ);
    this.ctlMaxCutoffLog2 = log2F64(MAX_CUTOFF_RATIO * sr);
    /** SVF damping k = 1/Q. */
    this.ctlK = 2.0;
    this.ctlAmpAttack = envCoef(LOG2_ATTACK_SPAN, d[ATTACK_MS], sr);
    this.ctlAmpDecay = envCoef(LOG2_DECAY_SPAN, d[DECAY_MS], sr);
    this.ctlAmpRelease = envCoef(LOG2_RELEASE_SPAN, d[RELEASE_MS], sr);
    this.ctlFenvAttack = envCoef(LOG2_ATTACK_SPAN, d[FENV_ATTACK_MS], sr);
    this.ctlFenvDecay = envCoef(LOG2_DECAY_SPAN, d[FENV_DECAY_MS], sr);
    this.ctlFenvRelease = envCoef(LOG2_RELEASE_SPAN, d[FENV_RELEASE_MS], sr);
    this.ctlSustain = 0.0;
    this.ctlFenvSustain = 0.0;
  }

  /** Set row `index` to `value`; unknown rows and non-finite values are ignored. */
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

  /** The last value set for row `index`; 0 for an unknown row. */
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

  /** Jump every ramp to its target; the next refresh recomputes the envelope rates. */
  snap() {
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
}
