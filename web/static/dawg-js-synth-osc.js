// The constants of the synth's band-limited oscillator kernels
// (dsp_rust/src/sources/synth/osc.rs) and of its sine polynomial (math.rs
// sin_half_pi). The kernels themselves are written out in the voice loop
// (dawg-js-synth-voices.js), where a call V8 did not inline would box its
// doubles; per phase `t` in [0, 1) (an f32) and increment `dt` (at most 0.45):
//
//   polyBLEP residual of a downward step at 0:  t < dt:  x = t/dt,        x + x − x² − 1
//                                                t > 1−dt: x = (t−1)/dt,   x² + x + x + 1
//   polyBLAMP residual (×2) of a corner at 0:   t < dt:  x = t/dt − 1,    −x³/3
//                                                t > 1−dt: x = (t−1)/dt + 1, x³/3
//   phase half a cycle on, or one increment on: fround(t + ½) or fround(t + dt), minus 1 at or above 1
//   sin(π/2 · x) on [-1, 1]: x·(C1 + x²·(C3 + x²·(C5 + x²·(C7 + x²·C9)))), error below 3e-7

export const THIRD_F32 = Math.fround(1.0 / 3.0);
export const SIN_C1 = Math.fround(Math.PI / 2);
export const SIN_C3 = Math.fround(-0.64596426);
export const SIN_C5 = Math.fround(0.07969141);
export const SIN_C7 = Math.fround(-0.0046758796);
export const SIN_C9 = Math.fround(0.00015236768);
