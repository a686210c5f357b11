// The constants of the synth's band-limited oscillator kernels
// (dsp_rust/src/sources/synth/osc.rs), the band-limited step's tail table
// (built as the Rust builds it, the same bits) and the sine polynomial's
// constants (math.rs sin_half_pi). The kernels themselves are written out in
// the voice loop (dawg-js-synth-voices.js), where a call V8 did not inline
// would box its doubles; per phase `t` in [0, 1) (an f32) and increment `dt`
// (at most 0.45), with T the table's tail (linearly interpolated, 0 from
// BLEP_HALF_WIDTH samples on):
//
//   band-limited saw:  2t − 1 + 2·ΣT(a) − 2·ΣT(b), a = t/dt, t/dt + 1/dt, … and
//                      b = (1−t)/dt, (1−t)/dt + 1/dt, … below BLEP_HALF_WIDTH
//   polyBLAMP residual (×2) of a corner at 0:   t < dt:  x = t/dt − 1,    −x³/3
//                                                t > 1−dt: x = (t−1)/dt + 1, x³/3
//   phase half a cycle on, or one increment on: fround(t + ½) or fround(t + dt), minus 1 at or above 1
//   sin(π/2 · x) on [-1, 1]: x·(C1 + x²·(C3 + x²·(C5 + x²·(C7 + x²·C9)))), error below 3e-7

import { INV_INT } from "./dawg-js-math.js";

export const THIRD_F32 = Math.fround(1.0 / 3.0);
/** Half-width of the band-limited step, samples. */
export const BLEP_HALF_WIDTH = 8.0;
/** Table points per sample. */
export const BLEP_STEPS = 256.0;
const BLEP_CUTOFF = 0.45;
const BLEP_KAISER_BETA = 9.0;

/** Rust math::sin_f64: sin x on [-π/2, π/2] by its Taylor series. */
function sinF64(x) {
  const x2 = x * x;
  let s = 1.0;
  for (let k = 10; k > 0; k--) {
    const n = 2 * k;
    s = 1.0 - x2 * INV_INT[n] * INV_INT[n + 1] * s;
  }
  return x * s;
}

/** sin(2πu), reduced to sinF64's range (Rust osc.rs sin_turns). */
function sinTurns(u) {
  let r = u - Math.floor(u + 0.5);
  if (r > 0.25) {
    r = 0.5 - r;
  } else if (r < -0.25) {
    r = -0.5 - r;
  }
  return sinF64(2.0 * Math.PI * r);
}

/** I0(x) by 40 terms of its power series (Rust osc.rs bessel_i0). */
function besselI0(x) {
  const q = 0.25 * x * x;
  let sum = 1.0;
  let term = 1.0;
  for (let k = 1; k <= 40; k++) {
    term = (term * q) / (k * k);
    sum += term;
  }
  return sum;
}

/**
 * The band-limited step's tail table (Rust osc.rs blep_tail_table): T(k /
 * BLEP_STEPS) for k up to BLEP_HALF_WIDTH · BLEP_STEPS, and one more 0.
 */
export function blepTailTable() {
  const n = BLEP_HALF_WIDTH * BLEP_STEPS;
  const i0Beta = besselI0(BLEP_KAISER_BETA);
  const kernel = (j) => {
    const x = j / BLEP_STEPS;
    const sinc = j === 0 ? 2.0 * BLEP_CUTOFF : sinTurns(BLEP_CUTOFF * x) / (Math.PI * x);
    const u = x / BLEP_HALF_WIDTH;
    return (sinc * besselI0(BLEP_KAISER_BETA * Math.sqrt(1.0 - u * u))) / i0Beta;
  };
  const tail = new Float64Array(n + 1);
  let next = kernel(n);
  for (let j = n - 1; j >= 0; j--) {
    const h = kernel(j);
    tail[j] = tail[j + 1] + (h + next) * (0.5 / BLEP_STEPS);
    next = h;
  }
  const scale = 0.5 / tail[0];
  const table = new Float32Array(n + 2);
  for (let j = 0; j <= n; j++) {
    table[j] = tail[j] * scale;
  }
  table[0] = 0.5;
  return table;
}
export const SIN_C1 = Math.fround(Math.PI / 2);
export const SIN_C3 = Math.fround(-0.64596426);
export const SIN_C5 = Math.fround(0.07969141);
export const SIN_C7 = Math.fround(-0.0046758796);
export const SIN_C9 = Math.fround(0.00015236768);
