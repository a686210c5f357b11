//! Band-limited oscillator kernels: the band-limited saw (a windowed-sinc
//! band-limited step over ±[`BLEP_HALF_WIDTH`] samples at each jump, from a
//! table), the polyBLAMP residual of the triangle's corners, and phase
//! wrapping. A phase `t` is in `[0, 1)`; `dt` is the phase increment per
//! sample (at most [`super::MAX_PHASE_INC`]), passed with `1 − dt` and
//! `1 / dt` so the kernels do no division.
//!
//! The band-limited step is the integral of a Kaiser-windowed sinc (cutoff
//! [`BLEP_CUTOFF`] × the sample rate, β = [`BLEP_KAISER_BETA`], ±8 samples).
//! Its tail `T(x)` (the step's distance from its end value `x` samples after
//! the jump, `T(0) = ½`, `T(8) = 0`; by symmetry the distance from its start
//! value `x` samples before) is tabulated at [`BLEP_STEPS`] points per sample
//! and read with linear interpolation. A saw `2t − 1` that drops by 2 at
//! every wrap becomes `2t − 1 + 2·ΣT(a) − 2·ΣT(b)` over the wraps `a`
//! samples past and `b` samples ahead (fewer than 8), assuming the phase
//! has always run at this increment. The table is plain f64 arithmetic
//! (this crate's `sin_f64`, a power series for the Bessel function I₀) rounded
//! to f32, so every runtime builds the same bits.

use crate::config::{zeroed, ConfigError};
use crate::math::sin_f64;

/// Half-width of the band-limited step, in samples.
pub(super) const BLEP_HALF_WIDTH: f32 = 8.0;
/// Table points per sample.
pub(super) const BLEP_STEPS: f32 = 256.0;
/// Cutoff of the band-limited step's sinc, as a fraction of the sample rate.
pub(super) const BLEP_CUTOFF: f64 = 0.45;
/// Kaiser window β of the band-limited step.
pub(super) const BLEP_KAISER_BETA: f64 = 9.0;

/// `sin(2πu)`, reduced to `sin_f64`'s range.
fn sin_turns(u: f64) -> f64 {
    let r = u - (u + 0.5).floor();
    let r = if r > 0.25 {
        0.5 - r
    } else if r < -0.25 {
        -0.5 - r
    } else {
        r
    };
    sin_f64(2.0 * core::f64::consts::PI * r)
}

/// The modified Bessel function `I₀(x)` by 40 terms of its power series.
fn bessel_i0(x: f64) -> f64 {
    let q = 0.25 * x * x;
    let (mut sum, mut term) = (1.0, 1.0);
    let mut k = 1;
    while k <= 40 {
        term = term * q / (k * k) as f64;
        sum += term;
        k += 1;
    }
    sum
}

/// The band-limited step's tail table: `T(k / BLEP_STEPS)` for k up to
/// `BLEP_HALF_WIDTH · BLEP_STEPS`, and one more 0 for the interpolation,
/// integrated by the trapezoid rule from the far end. Two passes of the
/// same running sum (the first for the normalisation `T(0) = 1/2`) keep the
/// only allocation the table itself, which fails as a status, not a trap.
pub(super) fn blep_tail_table() -> Result<Vec<f32>, ConfigError> {
    let steps = BLEP_STEPS as f64;
    let half = BLEP_HALF_WIDTH as f64;
    let n = (BLEP_HALF_WIDTH * BLEP_STEPS) as usize;
    let i0_beta = bessel_i0(BLEP_KAISER_BETA);
    let kernel = |j: usize| {
        let x = j as f64 / steps;
        let sinc = if j == 0 {
            2.0 * BLEP_CUTOFF
        } else {
            sin_turns(BLEP_CUTOFF * x) / (core::f64::consts::PI * x)
        };
        let u = x / half;
        sinc * bessel_i0(BLEP_KAISER_BETA * (1.0 - u * u).sqrt()) / i0_beta
    };
    // tail[j] = tail[j + 1] + (h[j] + h[j + 1])/(2·steps), tail[n] = 0.
    let integrate = |mut store: Option<(&mut [f32], f64)>| -> f64 {
        let mut tail = 0.0f64;
        let mut next = kernel(n);
        for j in (0..n).rev() {
            let h = kernel(j);
            tail += (h + next) * (0.5 / steps);
            next = h;
            if let Some((table, scale)) = store.as_mut() {
                if let Some(t) = table.get_mut(j) {
                    *t = (tail * *scale) as f32;
                }
            }
        }
        tail
    };
    let scale = 0.5 / integrate(None);
    let mut table = zeroed(n + 2)?;
    integrate(Some((&mut table, scale)));
    table[0] = 0.5;
    Ok(table)
}

/// `T(x)` for `x` in `[0, BLEP_HALF_WIDTH]` (0 from there on) from `table`.
#[inline(always)]
pub(super) fn blep_tail(table: &[f32], x: f32) -> f32 {
    let pos = (x * BLEP_STEPS).min(BLEP_HALF_WIDTH * BLEP_STEPS);
    let i = pos as usize;
    let frac = pos - i as f32;
    let t0 = table.get(i).copied().unwrap_or(0.0);
    let t1 = table.get(i + 1).copied().unwrap_or(0.0);
    t0 + frac * (t1 - t0)
}

/// Band-limited saw, `2t − 1` with the jump at `t = 0` (see the module
/// documentation); `inv_dt` is samples per cycle.
#[inline(always)]
pub(super) fn saw(t: f32, inv_dt: f32, table: &[f32]) -> f32 {
    let mut sum = 0.0f32;
    let mut a = t * inv_dt;
    while a < BLEP_HALF_WIDTH {
        sum += blep_tail(table, a);
        a += inv_dt;
    }
    let mut b = (1.0 - t) * inv_dt;
    while b < BLEP_HALF_WIDTH {
        sum -= blep_tail(table, b);
        b += inv_dt;
    }
    (t + t - 1.0) + (sum + sum)
}

/// 2-sample polyBLAMP residual (×2) of a corner at phase 0.
#[inline(always)]
pub(super) fn blamp(t: f32, dt: f32, one_minus_dt: f32, inv_dt: f32) -> f32 {
    if t < dt {
        let x = t * inv_dt - 1.0;
        -x * x * x * (1.0 / 3.0)
    } else if t > one_minus_dt {
        let x = (t - 1.0) * inv_dt + 1.0;
        x * x * x * (1.0 / 3.0)
    } else {
        0.0
    }
}

#[inline(always)]
pub(super) fn wrap_half(t: f32) -> f32 {
    let h = t + 0.5;
    if h >= 1.0 {
        h - 1.0
    } else {
        h
    }
}

#[inline(always)]
pub(super) fn advance(t: f32, dt: f32) -> f32 {
    let n = t + dt;
    if n >= 1.0 {
        n - 1.0
    } else {
        n
    }
}
