//! The band-limited oscillator kernels of `osc.rs`, four voices at a time in
//! [`F4`] lanes:
//! the band-limited step's tails (the band-limited saw is the plain saw
//! plus [`blep_sum`]) and the polyBLAMP residuals, where they may be
//! nonzero ([`Edges`]), the sine polynomial and phase wrapping. A phase `t` is in `[0, 1)`; `dt` is the
//! phase increment per sample (at most [`super::MAX_PHASE_INC`]), passed
//! with `1 − dt` and `1 / dt` so the kernels do no division. Branches are
//! lane selects: each lane computes the arithmetic of the branch its value
//! takes, so a lane gets the bits of the one-voice formula.

use super::osc::{BLEP_HALF_WIDTH, BLEP_STEPS};
use crate::math::{SIN_C1, SIN_C3, SIN_C5, SIN_C7, SIN_C9};
use crate::simd::{F4, M4};

/// `-x`, exactly (signed zeros included).
#[inline(always)]
fn neg(x: F4) -> F4 {
    x * F4::splat(-1.0)
}

/// Twice the band-limited step's tails over a saw's wraps
/// ([`super::osc::saw`] is `2t − 1` plus this): `Σ 2T(a)` over the wraps `a`
/// samples past minus `Σ 2T(b)` over those `b` samples ahead. Lanes not in
/// `on` give 0. Each lane adds the terms of [`super::osc::saw`] in its order;
/// the extra terms of a lane that is done are exactly 0 (the table's end),
/// which leave its sum as it is.
#[inline(always)]
pub(super) fn blep_sum(t: F4, inv_dt: F4, on: M4, table: &[f32]) -> F4 {
    let width = F4::splat(BLEP_HALF_WIDTH);
    let mut sum = F4::splat(0.0);
    let mut a = F4::select(on, t * inv_dt, width);
    while a.lt(width).any() {
        sum = sum + tail(table, a);
        a = a + inv_dt;
    }
    let mut b = F4::select(on, (F4::splat(1.0) - t) * inv_dt, width);
    while b.lt(width).any() {
        sum = sum - tail(table, b);
        b = b + inv_dt;
    }
    sum + sum
}

/// Lane-wise [`super::osc::blep_tail`].
#[inline(always)]
fn tail(table: &[f32], x: F4) -> F4 {
    let pos = (x * F4::splat(BLEP_STEPS)).min(F4::splat(BLEP_HALF_WIDTH * BLEP_STEPS));
    let fl = pos.floor();
    let frac = pos - fl;
    let idx = fl.to_array();
    let at = |k: usize, d: usize| {
        let i = idx[k] as usize + d;
        table.get(i).copied().unwrap_or(0.0)
    };
    let t0 = F4::from_array([at(0, 0), at(1, 0), at(2, 0), at(3, 0)]);
    let t1 = F4::from_array([at(0, 1), at(1, 1), at(2, 1), at(3, 1)]);
    t0 + frac * (t1 - t0)
}

/// 2-sample polyBLAMP residual (×2) of a corner at phase 0:
/// `t < dt`: `x = t/dt − 1`, `−x³/3`; `t > 1 − dt`: `x = (t − 1)/dt + 1`,
/// `x³/3`; else 0.
#[inline(always)]
pub(super) fn blamp(t: F4, dt: F4, one_minus_dt: F4, inv_dt: F4) -> F4 {
    let (one, third) = (F4::splat(1.0), F4::splat(1.0 / 3.0));
    let x = t * inv_dt - one;
    let start = neg(x) * x * x * third;
    let y = (t - one) * inv_dt + one;
    let end = y * y * y * third;
    let tail = F4::select(t.gt(one_minus_dt), end, F4::splat(0.0));
    F4::select(t.lt(dt), start, tail)
}

/// Slack in the [`Edges`] test, far above the rounding of the values it
/// compares.
const EDGE_SLACK: f32 = 1e-4;

/// Which frames may need the residuals: a saw's [`blep_sum`] is nonzero only
/// within [`BLEP_HALF_WIDTH`] samples of a wrap, where `t < W·dt` or
/// `t > 1 − W·dt` (W the half-width), for `t` its phase `p` or `p + ½`, which
/// is where the plain saw `s = 2p − 1` has `|s| > 1 − 2W·dt` or `|s| < 2W·dt`;
/// the triangle's [`blamp`]s likewise only where `|tri| > 1 − 4dt`. The
/// test widens each band by [`EDGE_SLACK`], so it may ask for residuals
/// that are 0 but never skips one that is not. Lanes not sounding never
/// count.
#[derive(Clone, Copy)]
pub(super) struct Edges {
    saw_outer: F4,
    saw_inner: F4,
    tri_outer: F4,
}

impl Edges {
    /// The bands for phase increments `dt1` (saw) and `dt2` (triangle).
    #[inline(always)]
    pub(super) fn new(dt1: F4, dt2: F4, sounding: M4) -> Self {
        let slack = F4::splat(EDGE_SLACK);
        let (one, two) = (F4::splat(1.0), F4::splat(2.0));
        let never_above = F4::splat(2.0);
        let never_below = F4::splat(-1.0);
        let band = two * F4::splat(BLEP_HALF_WIDTH) * dt1;
        Edges {
            saw_outer: F4::select(sounding, one - band - slack, never_above),
            saw_inner: F4::select(sounding, band + slack, never_below),
            tri_outer: F4::select(sounding, one - F4::splat(4.0) * dt2 - slack, never_above),
        }
    }

    /// True if some lane's saw may need a residual this frame, given its
    /// plain saw `s`.
    #[inline(always)]
    pub(super) fn near_saw(&self, s: F4) -> bool {
        let a = s.abs();
        a.gt(self.saw_outer).or(a.lt(self.saw_inner)).any()
    }

    /// True if some lane's triangle may need a residual this frame, given
    /// its plain triangle `tri`.
    #[inline(always)]
    pub(super) fn near_tri(&self, tri: F4) -> bool {
        tri.abs().gt(self.tri_outer).any()
    }
}

/// The plain saw `2t − 1`: [`saw`] wherever [`blep`] is 0.
#[inline(always)]
pub(super) fn naive_saw(t: F4) -> F4 {
    t + t - F4::splat(1.0)
}

/// `sin(π/2 · x)` for `x` in `[-1, 1]`, lane-wise [`crate::math::sin_half_pi`].
#[inline(always)]
pub(super) fn sin_half_pi(x: F4) -> F4 {
    let x2 = x * x;
    let c = |v: f32| F4::splat(v);
    x * (c(SIN_C1) + x2 * (c(SIN_C3) + x2 * (c(SIN_C5) + x2 * (c(SIN_C7) + x2 * c(SIN_C9)))))
}

/// The phase half a cycle on.
#[inline(always)]
pub(super) fn wrap_half(t: F4) -> F4 {
    let one = F4::splat(1.0);
    let h = t + F4::splat(0.5);
    F4::select(h.ge(one), h - one, h)
}

/// The phase one sample on.
#[inline(always)]
pub(super) fn advance(t: F4, dt: F4) -> F4 {
    let one = F4::splat(1.0);
    let n = t + dt;
    F4::select(n.ge(one), n - one, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wherever [`Edges`] says no lane is near a jump or corner, every
    /// residual is exactly 0, over a dense grid of phases and increments up
    /// to the largest.
    #[test]
    fn edges_never_skip_a_nonzero_residual() {
        let all = M4::from_bools([true; 4]);
        let mut dt = 1e-5f32;
        while dt <= super::super::MAX_PHASE_INC as f32 {
            let d = F4::splat(dt);
            let (om, inv) = (F4::splat(1.0) - d, F4::splat((1.0 / dt as f64) as f32));
            let edges = Edges::new(d, d, all);
            let table = super::super::osc::blep_tail_table().unwrap();
            for i in 0..20_000 {
                let t = F4::splat(i as f32 / 20_000.0);
                let h = wrap_half(t);
                let tri = F4::splat(1.0) - (F4::splat(4.0) * t - F4::splat(2.0)).abs();
                if !edges.near_saw(naive_saw(t)) {
                    let at = blep_sum(t, inv, all, &table).lane(0);
                    assert_eq!(at, 0.0, "blep t={t:?} dt={dt}");
                    let half = blep_sum(h, inv, all, &table).lane(0);
                    assert_eq!(half, 0.0, "blep t+½={h:?} dt={dt}");
                }
                if !edges.near_tri(tri) {
                    assert_eq!(blamp(t, d, om, inv).lane(0), 0.0, "blamp t={t:?} dt={dt}");
                    assert_eq!(blamp(h, d, om, inv).lane(0), 0.0, "blamp t+½={h:?} dt={dt}");
                }
            }
            dt *= 1.7;
        }
    }

    /// A lane that is not sounding never asks for residuals.
    #[test]
    fn silent_lanes_are_never_near() {
        let none = M4::from_bools([false; 4]);
        let edges = Edges::new(F4::splat(0.0), F4::splat(0.0), none);
        for x in [-1.0f32, -0.5, 0.0, 0.5, 1.0] {
            assert!(!edges.near_saw(F4::splat(x)));
            assert!(!edges.near_tri(F4::splat(x)));
        }
    }
}
