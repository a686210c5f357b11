// The synth's band-limited oscillator kernels (dsp_rust/src/sources/synth/osc.rs)
// and its sine polynomial (math.rs sin_half_pi). A phase `t` is an f32 in
// [0, 1); `dt` is the phase increment per sample (at most 0.45), passed with
// `1 − dt` and `1 / dt` so the kernels do no division.

const THIRD_F32 = Math.fround(1.0 / 3.0);
const SIN_C1 = Math.fround(Math.PI / 2);
const SIN_C3 = Math.fround(-0.64596426);
const SIN_C5 = Math.fround(0.07969141);
const SIN_C7 = Math.fround(-0.0046758796);
const SIN_C9 = Math.fround(0.00015236768);

/** 2-sample polyBLEP residual of a unit downward step at phase 0. */
export function blep(t, dt, oneMinusDt, invDt) {
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
export function blamp(t, dt, oneMinusDt, invDt) {
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
export function wrapHalf(t) {
  const h = Math.fround(t + 0.5);
  return h >= 1.0 ? h - 1.0 : h;
}

/** The f32 phase one increment `dt` on from `t`. */
export function advance(t, dt) {
  const n = Math.fround(t + dt);
  return n >= 1.0 ? n - 1.0 : n;
}

/** sin(π/2 · x) for x in [-1, 1], the Rust's odd degree-9 polynomial (error below 3e-7). */
export function sinHalfPi(x) {
  const x2 = x * x;
  return x * (SIN_C1 + x2 * (SIN_C3 + x2 * (SIN_C5 + x2 * (SIN_C7 + x2 * SIN_C9))));
}
