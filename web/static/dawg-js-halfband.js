// Linear-phase halfband FIR filters for 2x up- and downsampling, in
// polyphase form (dsp_rust/src/dsp/halfband.rs).
//
// A halfband lowpass h of length 4K - 1 has every other tap zero except the
// centre tap, which is exactly 1/2: H(z) = 1/2 (z^-(2K-1) + G(z^2)), where G
// is an even-length (2K), symmetric lowpass. A 2x interpolator is one 2K-tap
// branch plus a pure delay; a 2x decimator is the same branch on the even
// input samples plus half the odd sample from K input pairs ago. Only the K
// unique taps of G are stored.
//
// STAGE_2X (K = 12) is the fs -> 2fs design (81 dB), STAGE_4X (K = 4) the
// 2fs -> 4fs design behind it (89 dB); an interpolator followed by a
// decimator of one stage delays by 2K - 1 samples of the slower rate.
//
// Every output adds its terms in the order i = 0, 1, ... of the taps
// whatever the block length, so splitting a signal into blocks of any
// length gives the same bits. The history and the block share one
// preallocated buffer: nothing allocates while processing.

/** The largest number of unique taps a stage may have. */
export const MAX_UNIQUE_TAPS = 12;

/** Longest polyphase branch: 2 * MAX_UNIQUE_TAPS taps. */
const MAX_BRANCH = 2 * MAX_UNIQUE_TAPS;

/** Input samples a block function takes per pass. */
export const CHUNK = 128;

/** Unique taps of the fs -> 2fs design (K = 12), as the f32 values the Rust holds. */
export const TAPS_2X = Float64Array.from(
  [
    -0.0003957823, 0.0011534513, -0.0027042245, 0.0054583782, -0.00997657, 0.016999302, -0.027577516,
    0.043426882, -0.06796051, 0.10988999, -0.2013149, 0.6329148,
  ],
  Math.fround,
);

/** Unique taps of the 2fs -> 4fs design (K = 4), as the f32 values the Rust holds. */
export const TAPS_4X = Float64Array.from([-0.0049406122, 0.033909142, -0.13533002, 0.6063281], Math.fround);

/** The fs -> 2fs stage. */
export const STAGE_2X = Object.freeze({ taps: TAPS_2X });

/** The 2fs -> 4fs stage. */
export const STAGE_4X = Object.freeze({ taps: TAPS_4X });

/**
 * Delay of one interpolator followed by one decimator of `stage`, in samples
 * of the faster rate: 2 (2K - 1).
 */
export function pairLatencyFast(stage) {
  return 2 * Math.max(0, 2 * stage.taps.length - 1);
}

function stageTaps(stage) {
  const k = Math.min(Math.max(stage.taps.length, 1), MAX_UNIQUE_TAPS);
  return k === stage.taps.length ? stage.taps : TAPS_2X;
}

function allZero(buf, end) {
  for (let i = 0; i < end; i++) {
    if (buf[i] !== 0) {
      return false;
    }
  }
  return true;
}

/**
 * The branch G over one pass: out[o + 2j] (step `stride`) = sum over i < K of
 * taps[i] (buf[h + j - i] + buf[j + i]) for j < m, h = 2K - 1, the terms added
 * in the order i = 0, 1, ... Unrolled for the two designs (K = 12 and 4),
 * a loop for any other.
 */
function branch(taps, k, buf, m, out, o, stride) {
  if (k === 12) {
    const t0 = taps[0];
    const t1 = taps[1];
    const t2 = taps[2];
    const t3 = taps[3];
    const t4 = taps[4];
    const t5 = taps[5];
    const t6 = taps[6];
    const t7 = taps[7];
    const t8 = taps[8];
    const t9 = taps[9];
    const t10 = taps[10];
    const t11 = taps[11];
    for (let j = 0; j < m; j++) {
      const n = 23 + j;
      out[o] =
        t0 * (buf[n] + buf[j]) +
        t1 * (buf[n - 1] + buf[j + 1]) +
        t2 * (buf[n - 2] + buf[j + 2]) +
        t3 * (buf[n - 3] + buf[j + 3]) +
        t4 * (buf[n - 4] + buf[j + 4]) +
        t5 * (buf[n - 5] + buf[j + 5]) +
        t6 * (buf[n - 6] + buf[j + 6]) +
        t7 * (buf[n - 7] + buf[j + 7]) +
        t8 * (buf[n - 8] + buf[j + 8]) +
        t9 * (buf[n - 9] + buf[j + 9]) +
        t10 * (buf[n - 10] + buf[j + 10]) +
        t11 * (buf[n - 11] + buf[j + 11]);
      o += stride;
    }
  } else if (k === 4) {
    const t0 = taps[0];
    const t1 = taps[1];
    const t2 = taps[2];
    const t3 = taps[3];
    for (let j = 0; j < m; j++) {
      const n = 7 + j;
      out[o] =
        t0 * (buf[n] + buf[j]) +
        t1 * (buf[n - 1] + buf[j + 1]) +
        t2 * (buf[n - 2] + buf[j + 2]) +
        t3 * (buf[n - 3] + buf[j + 3]);
      o += stride;
    }
  } else {
    const h = 2 * k - 1;
    for (let j = 0; j < m; j++) {
      let acc = 0;
      for (let i = 0; i < k; i++) {
        acc += taps[i] * (buf[h + j - i] + buf[j + i]);
      }
      out[o] = acc;
      o += stride;
    }
  }
}

/** buf[0 .. count) = buf[from .. from + count) (from > 0: a forward copy). */
function shiftDown(buf, from, count) {
  for (let i = 0; i < count; i++) {
    buf[i] = buf[from + i];
  }
}

/** 2x interpolator: each input sample becomes two output samples, passband gain 1. */
export class Upsampler {
  constructor(stage) {
    this.taps = stageTaps(stage);
    this.k = this.taps.length;
    this.h = 2 * this.k - 1;
    // The last h inputs (oldest first) followed by room for one pass.
    this.buf = new Float32Array(MAX_BRANCH + CHUNK);
  }

  /**
   * Interpolate input[inStart .. inStart + n) into output[outStart ..
   * outStart + 2n): y[2n] = sum G[i] x[n - i] (the branch, at a half-sample
   * position) and y[2n + 1] = x[n - K + 1] (the centre tap, a pure delay).
   */
  processBlock(input, inStart, n, output, outStart) {
    const k = this.k;
    const h = this.h;
    const buf = this.buf;
    let done = 0;
    while (done < n) {
      const m = Math.min(CHUNK, n - done);
      const src = inStart + done;
      for (let j = 0; j < m; j++) {
        buf[h + j] = input[src + j];
      }
      const o = outStart + 2 * done;
      branch(this.taps, k, buf, m, output, o, 2);
      for (let j = 0; j < m; j++) {
        output[o + 2 * j + 1] = buf[k + j];
      }
      shiftDown(buf, m, h);
      done += m;
    }
  }

  /** Forget the history. */
  reset() {
    this.buf.fill(0);
  }

  /** True when the whole history is exactly zero. */
  isSilent() {
    return allZero(this.buf, this.h);
  }
}

/** 2x decimator: each pair of input samples becomes one output sample, passband gain 1. */
export class Downsampler {
  constructor(stage) {
    this.taps = stageTaps(stage);
    this.k = this.taps.length;
    this.h = 2 * this.k - 1;
    // The last h even inputs and the last K odd inputs (oldest first), each
    // followed by room for one pass; the branch's sums for one pass.
    this.even = new Float32Array(MAX_BRANCH + CHUNK);
    this.odd = new Float32Array(MAX_UNIQUE_TAPS + CHUNK);
    this.acc = new Float32Array(CHUNK);
  }

  /**
   * Decimate input[inStart .. inStart + 2n) (u[2n], u[2n + 1], ...) into
   * output[outStart .. outStart + n): y[n] = 1/2 (sum G[i] u[2n - 2i] +
   * u[2n - 2K + 1]).
   */
  processBlock(input, inStart, n, output, outStart) {
    const k = this.k;
    const h = this.h;
    const even = this.even;
    const odd = this.odd;
    const acc = this.acc;
    let done = 0;
    while (done < n) {
      const m = Math.min(CHUNK, n - done);
      let src = inStart + 2 * done;
      for (let j = 0; j < m; j++) {
        even[h + j] = input[src];
        odd[k + j] = input[src + 1];
        src += 2;
      }
      // The branch's sum is an f32 in the Rust (acc holds it as one).
      branch(this.taps, k, even, m, acc, 0, 1);
      const dst = outStart + done;
      for (let j = 0; j < m; j++) {
        // u[2n - 2K + 1] is the odd sample K pairs back.
        output[dst + j] = 0.5 * (acc[j] + odd[j]);
      }
      shiftDown(even, m, h);
      shiftDown(odd, m, k);
      done += m;
    }
  }

  /** Forget the history. */
  reset() {
    this.even.fill(0);
    this.odd.fill(0);
  }

  /** True when the whole history is exactly zero. */
  isSilent() {
    return allZero(this.even, this.h) && allZero(this.odd, this.k);
  }
}
