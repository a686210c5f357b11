// True-peak reading of a stereo frame interval, ITU-R BS.1770-4 (Annex 2)
// (dsp_rust/src/dsp/truepeak.rs): the largest magnitude at a frame and at
// the three points a quarter, a half and three quarters of a frame after it.
//
// Each point between frames m and m + 1 is read by a 32-tap interpolator
// over frames m - 15 .. m + 16 (least-squares fractional delays, the Python
// true-peak meter's, rounded to f32), so a reading of frame m needs the
// input up to frame m + DELAY_FRAMES. Each sum runs tap by tap in f32, one
// multiply and one add per tap, as each lane of the Rust's F4 does.

/** Taps per interpolator. */
export const TAPS = 32;
/** Frames after frame m its reading needs. */
export const DELAY_FRAMES = TAPS / 2;
/** Tap of frame m itself in its window. */
const CENTRE = TAPS / 2 - 1;

/** The interpolators: row p - 1 reads the point p/4 of a frame after frame m from frames m - 15 .. m + 16. */
export const WEIGHTS = Object.freeze(
  [
    [
      -0.000053871856, 0.00018315064, -0.00045386518, 0.0009525906,
      -0.001794459, 0.0031274015, -0.005138307, 0.008065381,
      -0.012224545, 0.018068638, -0.026324295, 0.038335476,
      -0.0570556, 0.09070005, -0.17393783, 0.89762497,
      0.29927674, -0.1243267, 0.074294485, -0.049528286,
      0.034372173, -0.024097534, 0.016782133, -0.011477444,
      0.0076364246, -0.004898188, 0.0029981788, -0.0017286825,
      0.0009216123, -0.00044082516, 0.00017855645, -0.0000527311,
    ],
    [
      -0.00007528864, 0.0002554448, -0.0006318161, 0.0013234519,
      -0.002487648, 0.0043247817, -0.007085063, 0.011082447,
      -0.016724896, 0.024582751, -0.035545208, 0.051203314,
      -0.07490837, 0.11538912, -0.20484585, 0.6341321,
      0.6341321, -0.20484585, 0.11538912, -0.07490837,
      0.051203314, -0.035545208, 0.024582751, -0.016724896,
      0.011082447, -0.007085063, 0.0043247817, -0.002487648,
      0.0013234519, -0.0006318161, 0.0002554448, -0.00007528864,
    ],
    [
      -0.0000527311, 0.00017855645, -0.00044082516, 0.0009216123,
      -0.0017286825, 0.0029981788, -0.004898188, 0.0076364246,
      -0.011477444, 0.016782133, -0.024097534, 0.034372173,
      -0.049528286, 0.074294485, -0.1243267, 0.29927674,
      0.89762497, -0.17393783, 0.09070005, -0.0570556,
      0.038335476, -0.026324295, 0.018068638, -0.012224545,
      0.008065381, -0.005138307, 0.0031274015, -0.001794459,
      0.0009525906, -0.00045386518, 0.00018315064, -0.000053871856,
    ],
  ].map((row) => Float32Array.from(row)),
);

/**
 * The true peak of frame `frame - DELAY_FRAMES`, into `out[index]`: the
 * largest of the eight readings of the two channels' windows, frames
 * `frame - 31 .. frame` of the rings `left` and `right` (indexed by
 * frame & mask). The reading goes through `out` because a double returned
 * from a call V8 does not inline is boxed.
 */
export function truePeakOf(left, right, mask, frame, out, index) {
  const first = (frame - (TAPS - 1)) >>> 0;
  const centre = (first + CENTRE) & mask;
  const al = Math.abs(left[centre]);
  const ar = Math.abs(right[centre]);
  let peak = al > ar ? al : ar;
  for (let p = 0; p < 3; p++) {
    const w = WEIGHTS[p];
    let accL = 0;
    let accR = 0;
    for (let j = 0; j < TAPS; j++) {
      const slot = (first + j) & mask;
      accL = Math.fround(accL + Math.fround(w[j] * left[slot]));
      accR = Math.fround(accR + Math.fround(w[j] * right[slot]));
    }
    const a = Math.abs(accL);
    const b = Math.abs(accR);
    const m = a > b ? a : b;
    peak = m > peak ? m : peak;
  }
  out[index] = peak;
}
