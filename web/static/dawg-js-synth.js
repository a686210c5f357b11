// The polyphonic subtractive synth source (dsp_rust/src/sources/synth/):
// VOICES voices, each with two band-limited oscillators, a resonant 2-pole
// low-pass filter with its own ADSR envelope, and an amplitude ADSR.
//
// Signal flow of a voice: oscillator 1 (band-limited saw or square) and
// oscillator 2 (sine or polyBLAMP triangle), mixed → Simper state-variable
// low-pass → amplitude envelope × velocity². The voices are summed, scaled by
// synth_gain_db and written identically to both channels.
//
// Voices and stealing: a note-on for a sounding note retriggers its newest
// voice from the current level; with VOICES notes sounding, the oldest
// releasing voice (else the oldest held one) fades out linearly over
// STEAL_FADE_MS in one of VOICES spare slots while the new note starts at
// once; only if more than VOICES steals overlap is the quietest fading voice
// cut short.
//
// Control values (filter coefficient targets, envelope rates, oscillator 2
// pitch) are refreshed every CONTROL_FRAMES frames counted from the last
// reset; the filter coefficients ramp to each target over the next
// CONTROL_FRAMES samples in equal f32 steps, as in the Rust. The output
// does not depend on how a render is split into blocks. Every
// output sample and recirculating value is flushed (NaN, infinities and
// magnitudes below 1e-20 become exact zeros); once every voice has ended the
// output is exactly 0.
//
// This module holds the Synth: note allocation and stealing and the render
// loop. dawg-js-synth-params.js holds the parameter rows, state and control
// values; dawg-js-synth-voices.js the voices; dawg-js-synth-env.js the
// envelopes; dawg-js-synth-osc.js the oscillator kernels' constants.

import { flush } from "./dawg-js-math.js";
import { FADE, IDLE } from "./dawg-js-synth-env.js";
import { CONTROL_FRAMES, SynthParams } from "./dawg-js-synth-params.js";
import { SynthVoices } from "./dawg-js-synth-voices.js";

export {
  ATTACK_MS,
  CONTROL_FRAMES,
  CUTOFF_HZ,
  DECAY_MS,
  FENV_ATTACK_MS,
  FENV_DECAY_MS,
  FENV_RELEASE_MS,
  FENV_SUSTAIN,
  FILTER_ENV_OCTAVES,
  GAIN_DB,
  OSC1_WAVE,
  OSC2_DETUNE_CENTS,
  OSC2_SEMITONES,
  OSC2_WAVE,
  OSC_MIX,
  PARAM_COUNT,
  PARAM_DEFAULTS,
  PARAM_NAMES,
  RELEASE_MS,
  RESONANCE,
  SUSTAIN,
} from "./dawg-js-synth-params.js";
export { MAX_PHASE_INC } from "./dawg-js-synth-voices.js";

/** Number of notes that can sound at once. */
export const VOICES = 16;
/** Voice slots: VOICES playing voices plus as many for steal fades. */
const SLOTS = 2 * VOICES;
/** Fade-out time of a stolen voice, ms. */
export const STEAL_FADE_MS = 2.0;

/** The polyphonic synth source (Rust `Synth`). */
export class Synth {
  /**
   * A silent synth at `sampleRateHz` rendering up to `maxBlockFrames` frames
   * per internal pass (longer renders are split). Throws RangeError for a
   * rate that is not finite or below 1000 Hz, or a block size below 1.
   */
  constructor(sampleRateHz, maxBlockFrames) {
    const sr = Math.fround(sampleRateHz);
    if (!(Number.isFinite(sr) && sr >= 1000.0)) {
      throw new RangeError(`synth sample rate must be finite and at least 1000 Hz, got ${sampleRateHz}`);
    }
    if (!(Number.isInteger(maxBlockFrames) && maxBlockFrames >= 1)) {
      throw new RangeError(`synth block size must be a whole number of frames >= 1, got ${maxBlockFrames}`);
    }
    this.sampleRateHz = sr;
    this.maxBlockFrames = maxBlockFrames;
    this.params = new SynthParams(sr);
    this.voices = new SynthVoices(sr, SLOTS);
    this.framesToTick = 0;
    this.stealFadeFrames = Math.max(Math.round(STEAL_FADE_MS * 1e-3 * sr), 1.0);
    this.stamp = 0;
    // Per-sample oscillator weights and gain of one pass (the Rust's f32 buffers).
    this.bufA = new Float32Array(maxBlockFrames);
    this.bufB = new Float32Array(maxBlockFrames);
    this.bufC = new Float32Array(maxBlockFrames);
    this.bufD = new Float32Array(maxBlockFrames);
    this.bufGain = new Float32Array(maxBlockFrames);
    this.reset();
  }

  /**
   * Set parameter row `index` to `value` (already clamped by the caller);
   * unknown rows and non-finite values are ignored. Continuous parameters
   * ramp over the row's smoothing time.
   */
  set(index, value) {
    this.params.set(index, value);
  }

  /** The last value set for row `index` (the target, not the ramp position); 0 for an unknown row. */
  get(index) {
    return this.params.get(index);
  }

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
    const voices = this.voices;
    const stage = voices.env.stage;
    // Retrigger the newest sounding voice of this note.
    let same = -1;
    let busy = 0;
    for (let i = 0; i < SLOTS; i++) {
      if (stage[i] !== IDLE && stage[i] !== FADE) {
        busy += 1;
        if (voices.note[i] === n && (same < 0 || voices.onStamp[same] < voices.onStamp[i])) {
          same = i;
        }
      }
    }
    if (same >= 0) {
      voices.retrigger(same, peak, stamp, this.params);
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
    voices.start(slot, n, peak, stamp, this.params);
  }

  /** Fade out the oldest releasing voice, else the oldest held voice. */
  stealOne() {
    const voices = this.voices;
    const stage = voices.env.stage;
    let victim = -1;
    let vHeld = 0;
    let vAge = 0;
    for (let i = 0; i < SLOTS; i++) {
      if (stage[i] === IDLE || stage[i] === FADE) {
        continue;
      }
      const h = voices.held[i];
      const age = h ? voices.onStamp[i] : voices.offStamp[i];
      // Keys (held, age, slot) compare in that order; slots rise, so ties keep the first.
      if (victim < 0 || h < vHeld || (h === vHeld && age < vAge)) {
        victim = i;
        vHeld = h;
        vAge = age;
      }
    }
    if (victim >= 0) {
      voices.steal(victim, this.stealFadeFrames);
    }
  }

  /** End the quietest fading voice at once; returns its slot. */
  cutQuietestFade() {
    const env = this.voices.env;
    let best = 0;
    let bestLevel = Infinity;
    for (let i = 0; i < SLOTS; i++) {
      if (env.stage[i] === FADE && env.level[i] < bestLevel) {
        best = i;
        bestLevel = env.level[i];
      }
    }
    this.voices.idle(best);
    return best;
  }

  /** Release every held voice playing `note`, from its current level. */
  noteOff(note) {
    const n = note > 127 ? 127 : note | 0;
    this.stamp += 1;
    const voices = this.voices;
    for (let i = 0; i < SLOTS; i++) {
      if (voices.held[i] && voices.note[i] === n && voices.isActive(i)) {
        voices.release(i, this.stamp, this.params);
      }
    }
  }

  /** Release every held voice, from its current level. */
  allNotesOff() {
    this.stamp += 1;
    const voices = this.voices;
    for (let i = 0; i < SLOTS; i++) {
      if (voices.held[i] && voices.isActive(i)) {
        voices.release(i, this.stamp, this.params);
      }
    }
  }

  /** The control tick: advance the control-rate ramps and refresh every sounding voice. */
  tick() {
    const params = this.params;
    params.advanceControl();
    params.refresh();
    const voices = this.voices;
    for (let v = 0; v < SLOTS; v++) {
      if (voices.isActive(v)) {
        voices.updateControl(v, params);
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
    const params = this.params;
    const w1s = params.osc1Wave;
    const w2s = params.osc2Wave;
    const ms = params.mix;
    const gs = params.gain;
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
    const voices = this.voices;
    let i = 0;
    while (i < n) {
      if (this.framesToTick === 0) {
        this.tick();
      }
      const seg = Math.min(this.framesToTick, n - i);
      for (let v = 0; v < SLOTS; v++) {
        if (voices.isActive(v)) {
          voices.render(v, out, start + i, bufA, bufB, bufC, bufD, i, seg, any1, any2, params);
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
   * Silence every voice, clear all state and jump every ramp to its target;
   * the next render starts a fresh control-tick grid.
   */
  reset() {
    this.params.snap();
    for (let v = 0; v < SLOTS; v++) {
      this.voices.idle(v);
    }
    this.stamp = 0;
    this.framesToTick = 0;
    this.params.refresh();
  }

  /** True when no voice is sounding: the output stays exactly 0 until the next note-on. */
  isQuiet() {
    for (let v = 0; v < SLOTS; v++) {
      if (this.voices.isActive(v)) {
        return false;
      }
    }
    return true;
  }

  /** Voices producing sound, including voices fading out after a steal. */
  activeVoices() {
    let count = 0;
    for (let v = 0; v < SLOTS; v++) {
      if (this.voices.isActive(v)) {
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
