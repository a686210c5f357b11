// The polyphonic sample player (dsp_rust/src/sources/sampler.rs): each note
// plays one sample of the SampleBank at a pitch-dependent rate, band-limited
// by the windowed-sinc resampler of dawg-js-resample.js, with a linear
// attack/release envelope.
//
// Pitch: a note plays at 2^((note − root)/12 + cents/1200) ·
// rate_sample / rate_engine, the ratio computed in f64 from the table of the
// twelve semitone ratios, an exact power of two and a Taylor series, as the
// Rust does. The read position is a 32.32 fixed-point frame index, held here
// as two exact integers (whole frames, 32-bit fraction). At rate exactly 1
// each output frame is the sample's frame; otherwise the voice reads pyramid
// level k = max(0, ⌊log2 rate⌋) with the kernel stretched by
// max(1, rate/2^k) (frames outside the sample read as silence). The voice
// ends when the position passes the last frame.
//
// Every per-frame value is computed in f32 arithmetic (Math.fround after
// each operation, as the Rust's f32 operations round), so the output is the
// Rust sampler's bit for bit, apart from the output gain's 10^(dB/20).
//
// Envelope (linear in amplitude): an onset ramp from 0 to 1 over
// sampler_attack_ms (never shorter than MIN_ONSET_MS), hold at 1, and in
// sustained mode a release from the current level to exactly 0 over
// sampler_release_ms. VOICES notes sound at once; a further note steals the
// oldest, which fades out over STEAL_FADE_MS in a spare slot; with
// sampler_choke on, every note-on fades out all sounding voices over
// CHOKE_FADE_MS.

import { SAMPLE_RATE_MAX_HZ, SAMPLE_RATE_MIN_HZ } from "./dawg-js-config.js";
import { dbToGain, flush } from "./dawg-js-math.js";
import { Linear, stepsForMs } from "./dawg-js-smooth.js";
import { interpolate, plan } from "./dawg-js-resample.js";

/** Notes that can sound at once. */
export const VOICES = 32;
/** Voice slots: VOICES sounding notes plus as many for voices fading out. */
const SLOTS = 2 * VOICES;
/** Shortest onset ramp, ms. */
export const MIN_ONSET_MS = 0.5;
/** Fade-out time of a voice stolen for a new note, ms. */
export const STEAL_FADE_MS = 2.0;
/** Fade-out time of voices cut by a new note when sampler_choke is on, ms. */
export const CHOKE_FADE_MS = 2.0;
/** 2^32: one whole frame of the fixed-point read position. */
const FRAC_ONE = 4294967296;
/** Highest playback rate, frames of the sample per output frame. */
const MAX_RATE = 16777216.0;
/** Longest stretch of frames one voice renders at a time (keeps the position arithmetic exact). */
const MAX_SEGMENT = 1 << 20;

export const P_SAMPLE = 0;
export const P_ROOT_NOTE = 1;
export const P_TUNE_CENTS = 2;
export const P_MODE = 3;
export const P_ATTACK_MS = 4;
export const P_RELEASE_MS = 5;
export const P_GAIN_DB = 6;
export const P_CHOKE = 7;
/** Number of sampler parameters. */
export const PARAM_COUNT = 8;

/** Row names, in row-index order (the manifest's rows owned by "sampler"). */
export const PARAM_NAMES = Object.freeze([
  "sampler_sample",
  "sampler_root_note",
  "sampler_tune_cents",
  "sampler_mode",
  "sampler_attack_ms",
  "sampler_release_ms",
  "sampler_gain_db",
  "sampler_choke",
]);

/** Row defaults, in row-index order. */
export const PARAM_DEFAULTS = Object.freeze([0, 60, 0, 0, 0, 50, 0, 0]);

/** Ramp time of sampler_gain_db, ms. */
const GAIN_SMOOTHING_MS = 10.0;

/** 2^(k/12) for k = 0..12, correctly rounded f64. */
const SEMITONE_RATIOS = new Float64Array([
  1.0,
  1.0594630943592953,
  1.122462048309373,
  1.189207115002721,
  1.2599210498948732,
  1.3348398541700344,
  Math.SQRT2,
  1.4983070768766815,
  1.5874010519681996,
  1.681792830507429,
  1.7817974362806785,
  1.887748625363387,
]);

/** Reciprocal factorials of the cents series, from 1/8! down to 1/0!. */
const SERIES_DIVISORS = new Float64Array([40320.0, 5040.0, 720.0, 120.0, 24.0, 6.0, 2.0, 1.0, 1.0]);

// Scratch views for building an exact power of two (never shared across an await).
const POW2_F64 = new Float64Array(1);
const POW2_U32 = new Uint32Array(POW2_F64.buffer);

/** 2^k for integral k in [-1022, 1023], exactly. */
function pow2Int(k) {
  POW2_U32[0] = 0;
  POW2_U32[1] = (k + 1023) << 20;
  return POW2_F64[0];
}

/**
 * Frequency ratio of `cents` cents (2^(cents/1200)) in f64, as the Rust
 * cents_ratio: the semitone table, an exact power of two and a degree-9
 * Taylor series of e^y for the fraction of a semitone. Non-finite input gives 1.
 */
export function centsRatio(cents) {
  if (!Number.isFinite(cents)) {
    return 1.0;
  }
  const c = cents < -24000.0 ? -24000.0 : cents > 24000.0 ? 24000.0 : cents;
  let semis = Math.floor(c / 100.0);
  let rest = c - semis * 100.0;
  if (rest >= 100.0) {
    semis += 1.0;
    rest -= 100.0;
  }
  if (rest < 0.0) {
    semis -= 1.0;
    rest += 100.0;
  }
  const octave = Math.floor(semis / 12);
  const semi = semis - octave * 12;
  const y = rest * (Math.LN2 / 1200.0);
  let series = 1.0 / 362880.0;
  for (let i = 0; i < SERIES_DIVISORS.length; i++) {
    series = series * y + 1.0 / SERIES_DIVISORS[i];
  }
  return SEMITONE_RATIOS[semi] * pow2Int(octave) * series;
}

/**
 * Read-position increment per output frame, 32.32 fixed point, as an exact
 * integer (a double): pitch ratio `pitch`, a sample recorded at
 * `sampleRateHz`, an engine at `engineRateHz`; at least 1, at most 2^24 frames.
 */
export function positionIncrement(pitch, sampleRateHz, engineRateHz) {
  let rate = (pitch * Math.fround(sampleRateHz)) / Math.fround(engineRateHz);
  rate = rate > MAX_RATE ? MAX_RATE : rate > 0.0 ? rate : 0.0;
  const inc = Math.trunc(rate * FRAC_ONE + 0.5);
  return inc > 1 ? inc : 1;
}

/** The sampler source (Rust `Sampler`): VOICES-voice polyphonic playback of bank samples. */
export class Sampler {
  /**
   * A silent sampler at `sampleRateHz` with every parameter at its default.
   * `maxBlockFrames` is the longest block render() will be given (it needs no
   * scratch buffers, so it is only checked). Throws RangeError for a rate
   * outside the engine's range or a block size below 1.
   */
  constructor(sampleRateHz, maxBlockFrames) {
    const rate = Math.fround(sampleRateHz);
    if (!(rate >= SAMPLE_RATE_MIN_HZ && rate <= SAMPLE_RATE_MAX_HZ)) {
      throw new RangeError(
        `sampler sample rate must be within ${SAMPLE_RATE_MIN_HZ}..${SAMPLE_RATE_MAX_HZ} Hz, got ${sampleRateHz}`,
      );
    }
    if (!(Number.isInteger(maxBlockFrames) && maxBlockFrames >= 1)) {
      throw new RangeError(`sampler block size must be a whole number of frames >= 1, got ${maxBlockFrames}`);
    }
    this.sampleRateHz = rate;
    this.values = new Float32Array(PARAM_DEFAULTS);
    this.gain = new Linear(Math.fround(dbToGain(this.values[P_GAIN_DB])));
    this.nextAge = 0;

    // Voices, one entry per slot (structure of arrays).
    this.active = new Uint8Array(SLOTS);
    this.note = new Int32Array(SLOTS);
    this.sample = new Float64Array(SLOTS);
    this.sustained = new Uint8Array(SLOTS);
    this.released = new Uint8Array(SLOTS);
    this.fading = new Uint8Array(SLOTS);
    this.age = new Float64Array(SLOTS);
    this.pitch = new Float64Array(SLOTS);
    /** Read position: whole frames and the 32-bit fraction, both exact integers. */
    this.posHi = new Float64Array(SLOTS);
    this.posLo = new Float64Array(SLOTS);
    this.velocity = new Float64Array(SLOTS);
    /** The read-position increment of the current block: whole frames and fraction. */
    this.incHi = new Float64Array(SLOTS);
    this.incLo = new Float64Array(SLOTS);
    this.env = new Float64Array(SLOTS);
    this.envTarget = new Float64Array(SLOTS);
    this.envStep = new Float64Array(SLOTS);
    this.envRemaining = new Float64Array(SLOTS);
    /** The resampling plan of the voice being rendered: level, step, taps, scale. */
    this.plan = new Float64Array(4);
    /** Read scratch: position (whole frames, fraction) in, left and right value out. */
    this.rd = new Float64Array(4);
    for (let v = 0; v < SLOTS; v++) {
      this.idleVoice(v);
    }
  }

  /** Slot `v` at rest (Rust `Voice::IDLE`). */
  idleVoice(v) {
    this.active[v] = 0;
    this.note[v] = 0;
    this.sample[v] = 0;
    this.sustained[v] = 0;
    this.released[v] = 0;
    this.fading[v] = 0;
    this.age[v] = 0;
    this.pitch[v] = 1.0;
    this.posHi[v] = 0;
    this.posLo[v] = 0;
    this.velocity[v] = 0.0;
    this.env[v] = 0.0;
    this.envTarget[v] = 0.0;
    this.envStep[v] = 0.0;
    this.envRemaining[v] = 0;
  }

  /**
   * Set parameter `index` to `value` (already clamped to the row's range).
   * Unknown indices and non-finite values are ignored.
   */
  set(index, value) {
    if (!Number.isFinite(value) || !(index >= 0 && index < PARAM_COUNT)) {
      return;
    }
    const i = index | 0;
    this.values[i] = value;
    if (i === P_GAIN_DB) {
      const steps = stepsForMs(GAIN_SMOOTHING_MS, this.sampleRateHz);
      this.gain.setTarget(Math.fround(dbToGain(this.values[i])), steps);
    }
  }

  /** The last value set for parameter `index` (its default if never set; 0 for an unknown index). */
  get(index) {
    return index >= 0 && index < PARAM_COUNT ? this.values[index | 0] : 0.0;
  }

  /** Envelope steps for `ms` milliseconds (at least 1). */
  steps(ms) {
    const n = stepsForMs(ms, this.sampleRateHz);
    return n > 1 ? n : 1;
  }

  /** Ramp slot `v`'s envelope linearly from its level to `target` in `steps` frames. */
  rampTo(v, target, steps) {
    this.envTarget[v] = target;
    if (steps === 0 || target === this.env[v]) {
      this.env[v] = target;
      this.envStep[v] = 0.0;
      this.envRemaining[v] = 0;
    } else {
      this.envStep[v] = Math.fround(Math.fround(target - this.env[v]) / steps);
      this.envRemaining[v] = steps;
    }
  }

  /** Release slot `v` to silence over `steps` frames. */
  releaseVoice(v, steps) {
    this.released[v] = 1;
    this.rampTo(v, 0.0, steps);
  }

  /** Fade slot `v` out (stolen or choked) over `steps` frames. */
  fadeVoice(v, steps) {
    this.fading[v] = 1;
    this.releaseVoice(v, steps);
  }

  /**
   * Start note `note` (MIDI 0..127; higher notes are ignored) at `velocity`
   * in 0..1 (linear amplitude); velocity 0 (or NaN) is a note-off.
   */
  noteOn(note, velocity) {
    if (note > 127) {
      return;
    }
    const n = note | 0;
    let vel = Math.fround(velocity);
    if (vel > 1.0) {
      vel = 1.0;
    }
    if (!(vel > 0.0)) {
      this.noteOff(n);
      return;
    }
    const active = this.active;
    const fading = this.fading;
    if (this.values[P_CHOKE] >= 0.5) {
      const steps = this.steps(CHOKE_FADE_MS);
      for (let i = 0; i < SLOTS; i++) {
        if (active[i] && !fading[i]) {
          this.fadeVoice(i, steps);
        }
      }
    }
    // Steal the oldest sounding note when all VOICES are in use.
    let live = 0;
    let oldest = -1;
    for (let i = 0; i < SLOTS; i++) {
      if (active[i] && !fading[i]) {
        live += 1;
        if (oldest < 0 || this.age[i] < this.age[oldest]) {
          oldest = i;
        }
      }
    }
    if (live >= VOICES && oldest >= 0) {
      this.fadeVoice(oldest, this.steps(STEAL_FADE_MS));
    }
    // A free slot, else the oldest fading voice is cut.
    let slot = -1;
    for (let i = 0; i < SLOTS; i++) {
      if (!active[i]) {
        slot = i;
        break;
      }
    }
    if (slot < 0) {
      for (let i = 0; i < SLOTS; i++) {
        if (fading[i] && (slot < 0 || this.age[i] < this.age[slot])) {
          slot = i;
        }
      }
      if (slot < 0) {
        slot = 0;
      }
    }
    const values = this.values;
    const semitones = n - truncI32(values[P_ROOT_NOTE]);
    const cents = semitones * 100.0 + values[P_TUNE_CENTS];
    const attack = Math.max(this.steps(values[P_ATTACK_MS]), this.steps(MIN_ONSET_MS));
    this.idleVoice(slot);
    active[slot] = 1;
    this.note[slot] = n;
    this.sample[slot] = truncU32(values[P_SAMPLE]);
    this.sustained[slot] = values[P_MODE] >= 0.5 ? 1 : 0;
    this.age[slot] = this.nextAge;
    this.pitch[slot] = centsRatio(cents);
    this.velocity[slot] = vel;
    this.rampTo(slot, 1.0, attack);
    this.nextAge += 1;
  }

  /** Release every sustained-mode voice playing `note` over sampler_release_ms; one-shot voices ignore it. */
  noteOff(note) {
    const steps = this.steps(this.values[P_RELEASE_MS]);
    for (let i = 0; i < SLOTS; i++) {
      if (this.active[i] && !this.fading[i] && !this.released[i] && this.sustained[i] && this.note[i] === note) {
        this.releaseVoice(i, steps);
      }
    }
  }

  /** Release every voice over sampler_release_ms, one-shot voices included (the transport's stop). */
  allNotesOff() {
    const steps = this.steps(this.values[P_RELEASE_MS]);
    for (let i = 0; i < SLOTS; i++) {
      if (this.active[i] && !this.fading[i] && !this.released[i]) {
        this.releaseVoice(i, steps);
      }
    }
  }

  /**
   * Render frames start..end of `left` and `right` from the samples of
   * `bank`, OVERWRITING them (zeroed first). Voices whose sample id is not in
   * the bank end silently.
   */
  render(bank, left, right, start, end) {
    left.fill(0.0, start, end);
    right.fill(0.0, start, end);
    const n = end - start;
    let any = false;
    for (let v = 0; v < SLOTS; v++) {
      if (!this.active[v]) {
        continue;
      }
      const id = this.sample[v];
      if (id < bank.data.length) {
        this.renderVoice(v, bank, id, left, right, start, end);
        any = true;
      } else {
        this.active[v] = 0;
      }
    }
    const gain = this.gain;
    if (!any) {
      if (gain.isActive()) {
        gain.advance(n);
      }
      return;
    }
    if (gain.isActive()) {
      for (let i = start; i < end; i++) {
        const g = gain.tick();
        left[i] = flush(Math.fround(left[i] * g));
        right[i] = flush(Math.fround(right[i] * g));
      }
    } else {
      const g = gain.current;
      for (let i = start; i < end; i++) {
        left[i] = flush(Math.fround(left[i] * g));
        right[i] = flush(Math.fround(right[i] * g));
      }
    }
  }

  /**
   * Add slot `v`'s next frames (start..end) to the buffers, playing sample
   * `id` of `bank`; ends the voice when its sample or its release runs out.
   * (Calls on the render path pass only small integers and objects, so
   * nothing is boxed: the doubles stay in the slot arrays.)
   */
  renderVoice(v, bank, id, left, right, start, end) {
    const data = bank.data[id];
    const frames = bank.frames[id];
    const stereo = bank.channels[id] === 2;
    const inc = positionIncrement(this.pitch[v], bank.rateHz[id], this.sampleRateHz);
    plan(inc, this.plan);
    const level = this.plan[0];
    const levels = bank.pyramid[id];
    if (level > levels.length) {
      // The rate passes the whole sample within one output frame.
      this.active[v] = 0;
      return;
    }
    const lvData = level === 0 ? data : levels[level - 1];
    const lvLen = level === 0 ? frames : lvData.length / bank.channels[id];
    const lvOff = stereo ? lvLen : 0;
    const exact = inc === FRAC_ONE;
    const kernel = bank.kernel;
    const incHi = Math.floor(inc / FRAC_ONE);
    const incLo = inc - incHi * FRAC_ONE;
    this.incHi[v] = incHi;
    this.incLo[v] = incLo;
    let k = start;
    while (k < end) {
      const posHi = this.posHi[v];
      const posLo = this.posLo[v];
      if (posHi >= frames || (this.envRemaining[v] === 0 && this.envTarget[v] === 0.0)) {
        this.active[v] = 0;
        return;
      }
      const ramp = this.envRemaining[v] > 0;
      let cap = Math.min(end - k, MAX_SEGMENT);
      if (ramp && this.envRemaining[v] < cap) {
        cap = this.envRemaining[v];
      }
      // Frames before the position passes the end: the smallest m with
      // pos + m·inc >= end, from an estimate checked exactly (pos + j·inc is
      // before the end while its whole frames, carry included, are).
      let m = Math.ceil(((frames - posHi) * FRAC_ONE - posLo) / inc);
      m = m < 1 ? 1 : m > cap ? cap : m;
      while (m > 1 && posHi + (m - 1) * incHi + Math.floor((posLo + (m - 1) * incLo) / FRAC_ONE) >= frames) {
        m -= 1;
      }
      while (m < cap && posHi + m * incHi + Math.floor((posLo + m * incLo) / FRAC_ONE) < frames) {
        m += 1;
      }
      if (stereo) {
        segmentStereo(this, v, kernel, exact, lvData, lvOff, lvLen, ramp, left, right, k, k + m);
      } else {
        segmentMono(this, v, kernel, exact, lvData, lvLen, ramp, left, right, k, k + m);
      }
      k += m;
    }
    if (this.posHi[v] >= frames || (this.envRemaining[v] === 0 && this.envTarget[v] === 0.0)) {
      this.active[v] = 0;
    }
  }

  /** Silence every voice at once and jump the gain ramp to its target. */
  reset() {
    for (let v = 0; v < SLOTS; v++) {
      this.idleVoice(v);
    }
    this.gain.snap();
    this.nextAge = 0;
  }

  /** True when no voice is sounding: the output is exactly zero until the next note-on. */
  isQuiet() {
    for (let v = 0; v < SLOTS; v++) {
      if (this.active[v]) {
        return false;
      }
    }
    return true;
  }

  /** Voices sounding, including ones fading out after a steal or choke. */
  activeVoices() {
    let count = 0;
    for (let v = 0; v < SLOTS; v++) {
      count += this.active[v];
    }
    return count;
  }

  /** Longest time an input takes to reach the output: 0, a source has no input. */
  tailFrames() {
    return 0;
  }
}

/**
 * Slot `v` of sampler `s` after `n` frames of a segment: the position
 * advanced by n increments (exact integer parts) and, if `ramp`, the
 * envelope n steps on.
 */
function endSegment(s, v, ramp, n) {
  const lo = s.posLo[v] + n * s.incLo[v];
  const carry = Math.floor(lo / FRAC_ONE);
  s.posHi[v] = s.posHi[v] + n * s.incHi[v] + carry;
  s.posLo[v] = lo - carry * FRAC_ONE;
  if (ramp) {
    const rem = s.envRemaining[v];
    const r = rem > n ? rem - n : 0;
    s.envRemaining[v] = r;
    s.env[v] = Math.fround(s.envTarget[v] - Math.fround(s.envStep[v] * r));
  }
}

/** Frames start..end of mono slot `v` of sampler `s` (ramping throughout if `ramp`, else constant). */
function segmentMono(s, v, kernel, exact, data, len, ramp, left, right, start, end) {
  let hi = s.posHi[v] | 0;
  let lo = s.posLo[v];
  const incHi = s.incHi[v] | 0;
  const incLo = s.incLo[v];
  let r = s.envRemaining[v];
  const target = s.envTarget[v];
  const step = s.envStep[v];
  const vel = s.velocity[v];
  let g = Math.fround(s.env[v] * vel);
  for (let k = start; k < end; k++) {
    if (ramp) {
      r = r > 0 ? r - 1 : 0;
      g = Math.fround(Math.fround(target - Math.fround(step * r)) * vel);
    }
    let a;
    if (exact) {
      a = data[hi];
    } else {
      s.rd[0] = hi;
      s.rd[1] = lo;
      interpolate(s.rd, s.plan, kernel, data, 0, 0, len, false);
      a = s.rd[2];
    }
    const y = Math.fround(a * g);
    left[k] += y;
    right[k] += y;
    lo += incLo;
    if (lo >= FRAC_ONE) {
      lo -= FRAC_ONE;
      hi += 1;
    }
    hi += incHi;
  }
  endSegment(s, v, ramp, end - start);
}

/** Frames start..end of stereo slot `v` of sampler `s`: the right plane starts at `rOff`. */
function segmentStereo(s, v, kernel, exact, data, rOff, len, ramp, left, right, start, end) {
  let hi = s.posHi[v] | 0;
  let lo = s.posLo[v];
  const incHi = s.incHi[v] | 0;
  const incLo = s.incLo[v];
  let r = s.envRemaining[v];
  const target = s.envTarget[v];
  const step = s.envStep[v];
  const vel = s.velocity[v];
  let g = Math.fround(s.env[v] * vel);
  for (let k = start; k < end; k++) {
    if (ramp) {
      r = r > 0 ? r - 1 : 0;
      g = Math.fround(Math.fround(target - Math.fround(step * r)) * vel);
    }
    let a;
    let b;
    if (exact) {
      a = data[hi];
      b = data[rOff + hi];
    } else {
      s.rd[0] = hi;
      s.rd[1] = lo;
      interpolate(s.rd, s.plan, kernel, data, 0, rOff, len, true);
      a = s.rd[2];
      b = s.rd[3];
    }
    left[k] += Math.fround(a * g);
    right[k] += Math.fround(b * g);
    lo += incLo;
    if (lo >= FRAC_ONE) {
      lo -= FRAC_ONE;
      hi += 1;
    }
    hi += incHi;
  }
  endSegment(s, v, ramp, end - start);
}

/** Rust `f32 as i32`: truncation, saturating, NaN to 0. */
function truncI32(x) {
  if (!(x === x)) {
    return 0;
  }
  return x >= 2147483647 ? 2147483647 : x <= -2147483648 ? -2147483648 : Math.trunc(x);
}

/** Rust `f32 as u32`: truncation, saturating, NaN and negatives to 0. */
function truncU32(x) {
  if (!(x > 0)) {
    return 0;
  }
  return x >= 4294967295 ? 4294967295 : Math.trunc(x);
}
