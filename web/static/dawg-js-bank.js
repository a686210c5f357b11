// The sample bank (dsp_rust/src/sources/bank.rs): one-shot and sustained
// samples held in memory for the sampler to play.
//
// A sample is loaded once, before playback: add() allocates zeroed storage
// and returns the sample's id, the host writes the audio into dataFor(id),
// then calls commit(id) once (NaN, infinities and magnitudes below 1e-20
// become exact zeros). Voices read the data in place; nothing is copied per
// note.
//
// commit() also builds the sample's pyramid (dawg-js-resample.js): copies
// low-passed and decimated by 2, 4, 8, … that notes pitched up by an octave
// or more read; add() allocates it and, for the first sample, builds the
// interpolation table.
//
// Storage is planar: a stereo sample of n frames holds n left samples
// followed by n right samples; a mono sample holds one plane, which serves as
// both the left and the right channel.

import { flush } from "./dawg-js-math.js";
import { buildKernel, decimate, halfbandTaps, levelCount, levelFrames } from "./dawg-js-resample.js";

/** Most samples a bank holds. */
export const MAX_SAMPLES = 256;
/** Longest sample, in frames (2^24). */
export const MAX_FRAMES_PER_SAMPLE = 2 ** 24;
/** Most frames all samples of a bank hold together (2^26). */
export const MAX_TOTAL_FRAMES = 2 ** 26;
/** Lowest accepted sample rate of a sample, Hz. */
export const SAMPLE_RATE_MIN_HZ = 1000.0;
/** Highest accepted sample rate of a sample, Hz. */
export const SAMPLE_RATE_MAX_HZ = 768000.0;

/** Status of a request the bank refuses (abi.rs DAWG_ERR_BAD_SAMPLE). */
export const BANK_ERR_BAD_SAMPLE = -16;
/** Status of an allocation the bank could not make (abi.rs DAWG_ERR_NO_MEMORY). */
export const BANK_ERR_NO_MEMORY = -11;
/** Status of a finished request. */
export const BANK_OK = 0;

/** The samples a sampler can play, addressed by id (0, 1, 2, … in the order they were added). */
export class SampleBank {
  /** An empty bank. */
  constructor() {
    /** Planar storage per sample. */
    this.data = [];
    /** Frames per channel per sample. */
    this.frames = [];
    /** Channels (1 or 2) per sample. */
    this.channels = [];
    /** Recording rate per sample, Hz (as the f32 the Rust holds). */
    this.rateHz = [];
    /** Pyramid levels 1, 2, … per sample, each planar. */
    this.pyramid = [];
    this.totalFrames = 0;
    /** The interpolation table, built with the first sample. */
    this.kernel = null;
  }

  /** Number of samples held. */
  get length() {
    return this.data.length;
  }

  /**
   * Allocate zeroed storage for a sample of `frames` frames and `channels`
   * channels (1 or 2) recorded at `rateHz`, and return its id (>= 0), or
   * BANK_ERR_BAD_SAMPLE for a request outside the limits (channels, no
   * frames, rate, count, length, bank size), or BANK_ERR_NO_MEMORY when the
   * storage cannot be allocated. The only allocating call.
   */
  add(frames, channels, rateHz) {
    const rate = Math.fround(rateHz);
    if (channels !== 1 && channels !== 2) {
      return BANK_ERR_BAD_SAMPLE;
    }
    if (!(Number.isInteger(frames) && frames >= 1)) {
      return BANK_ERR_BAD_SAMPLE;
    }
    if (!(rate >= SAMPLE_RATE_MIN_HZ && rate <= SAMPLE_RATE_MAX_HZ)) {
      return BANK_ERR_BAD_SAMPLE;
    }
    if (this.data.length >= MAX_SAMPLES) {
      return BANK_ERR_BAD_SAMPLE;
    }
    if (frames > MAX_FRAMES_PER_SAMPLE) {
      return BANK_ERR_BAD_SAMPLE;
    }
    if (this.totalFrames + frames > MAX_TOTAL_FRAMES) {
      return BANK_ERR_BAD_SAMPLE;
    }
    let storage;
    const levels = [];
    try {
      if (this.kernel === null) {
        this.kernel = buildKernel();
      }
      storage = new Float32Array(frames * channels);
      const count = levelCount(frames);
      for (let k = 1; k < count; k++) {
        levels.push(new Float32Array(levelFrames(frames, k) * channels));
      }
    } catch (e) {
      if (e instanceof RangeError) {
        return BANK_ERR_NO_MEMORY;
      }
      throw e;
    }
    const id = this.data.length;
    this.data.push(storage);
    this.frames.push(frames);
    this.channels.push(channels);
    this.rateHz.push(rate);
    this.pyramid.push(levels);
    this.totalFrames += frames;
    return id;
  }

  /**
   * The planar storage of sample `id` (frames · channels values: all left
   * frames, then all right frames) for the host to fill, or null for an
   * unknown id.
   */
  dataFor(id) {
    return this.has(id) ? this.data[id] : null;
  }

  /** True when `id` names a sample of this bank. */
  has(id) {
    return Number.isInteger(id) && id >= 0 && id < this.data.length;
  }

  /**
   * Finish loading sample `id`: NaN, infinities and values below 1e-20 in
   * magnitude (subnormals included) become exactly 0, then each pyramid
   * level is the one below decimated, channel by channel, and flushed the
   * same way. Returns BANK_OK, or BANK_ERR_BAD_SAMPLE for an unknown id.
   */
  commit(id) {
    if (!this.has(id)) {
      return BANK_ERR_BAD_SAMPLE;
    }
    const d = this.data[id];
    for (let i = 0; i < d.length; i++) {
      d[i] = flush(d[i]);
    }
    const taps = halfbandTaps();
    const frames = this.frames[id];
    const channels = this.channels[id];
    const levels = this.pyramid[id];
    for (let k = 1; k <= levels.length; k++) {
      const src = k === 1 ? d : levels[k - 2];
      const prevN = levelFrames(frames, k - 1);
      const n = levelFrames(frames, k);
      const dst = levels[k - 1];
      for (let c = 0; c < channels; c++) {
        decimate(src, c * prevN, prevN, dst, c * n, n, taps);
      }
      for (let i = 0; i < dst.length; i++) {
        dst[i] = flush(dst[i]);
      }
    }
    return BANK_OK;
  }
}
