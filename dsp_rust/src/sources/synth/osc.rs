//! Band-limited oscillator kernels: the polyBLEP and polyBLAMP residuals,
//! the polyBLEP saw, and phase wrapping. A phase `t` is in `[0, 1)`; `dt` is
//! the phase increment per sample (at most [`super::MAX_PHASE_INC`]), passed
//! with `1 − dt` and `1 / dt` so the kernels do no division.

/// 2-sample polyBLEP residual of a unit downward step at phase 0.
#[inline(always)]
pub(super) fn blep(t: f32, dt: f32, one_minus_dt: f32, inv_dt: f32) -> f32 {
    if t < dt {
        let x = t * inv_dt;
        x + x - x * x - 1.0
    } else if t > one_minus_dt {
        let x = (t - 1.0) * inv_dt;
        x * x + x + x + 1.0
    } else {
        0.0
    }
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

/// Band-limited saw, `2t − 1` with the jump at `t = 0`.
#[inline(always)]
pub(super) fn saw(t: f32, dt: f32, one_minus_dt: f32, inv_dt: f32) -> f32 {
    (t + t - 1.0) - blep(t, dt, one_minus_dt, inv_dt)
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
