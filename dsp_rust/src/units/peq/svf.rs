//! One trapezoidal state-variable filter section: its coefficients and the
//! per-channel state it runs on, sample by sample.

use crate::math::FLUSH_THRESHOLD;

/// Coefficients of one trapezoidal SVF section, stored pre-scaled for the
/// per-sample update: with `g = tan(π f / fs)` the prewarped frequency,
/// `k = 1/Q`, the integrator terms are `a1 = 1/(1 + g(g + k))`, `a2 = g·a1`,
/// `a3 = g·a2`, and the output is `m0·v0 + m1·v1 + m2·v2`. Doubling and
/// halving are exact in floating point, so the scaling changes no result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SvfCoefs {
    /// `2·a1`.
    pub two_a1: f32,
    /// `2·a2`.
    pub two_a2: f32,
    /// `2·a3`.
    pub two_a3: f32,
    /// Output weight of the input, `m0`.
    pub m0: f32,
    /// Half the output weight of the band-pass state, `m1/2`.
    pub half_m1: f32,
    /// Output weight of the low-pass state, `m2`.
    pub m2: f32,
}

impl SvfCoefs {
    /// The identity filter.
    pub const IDENTITY: SvfCoefs = SvfCoefs {
        two_a1: 2.0,
        two_a2: 0.0,
        two_a3: 0.0,
        m0: 1.0,
        half_m1: 0.0,
        m2: 0.0,
    };
}

/// State of one channel of one SVF section (the integrators' equivalent
/// currents).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SvfState {
    ic1: f32,
    ic2: f32,
}

impl SvfState {
    /// One sample through the section (output not flushed).
    #[inline(always)]
    pub fn tick(&mut self, c: &SvfCoefs, v0: f32) -> f32 {
        // Simper's update `v1 = a1·ic1 + a2·v3`, `v2 = ic2 + a2·ic1 + a3·v3`,
        // `ic1 ← 2·v1 − ic1`, `ic2 ← 2·v2 − ic2`, arranged so the recurrence
        // through `ic2` is four operations long and the small low-frequency
        // increment is added to `ic2` once.
        let v3 = v0 - self.ic2;
        let w1 = c.two_a1 * self.ic1 + c.two_a2 * v3; // 2·v1
        let d2 = c.two_a2 * self.ic1 + c.two_a3 * v3; // 2·(v2 − ic2)
        let v2 = self.ic2 + 0.5 * d2;
        self.ic1 = w1 - self.ic1;
        self.ic2 += d2;
        c.m0 * v0 + c.half_m1 * w1 + c.m2 * v2
    }

    /// Clear non-finite state and flush magnitudes below 1e-20 to zero.
    /// Called once per block, off the per-sample path.
    pub fn settle(&mut self) {
        if !(self.ic1.is_finite() && self.ic2.is_finite()) {
            *self = SvfState::default();
        }
        if self.ic1.abs() < FLUSH_THRESHOLD {
            self.ic1 = 0.0;
        }
        if self.ic2.abs() < FLUSH_THRESHOLD {
            self.ic2 = 0.0;
        }
    }

    /// The two state values.
    pub fn values(&self) -> [f32; 2] {
        [self.ic1, self.ic2]
    }

    /// Euclidean norm of the state.
    pub(super) fn norm(&self) -> f32 {
        (self.ic1 * self.ic1 + self.ic2 * self.ic2).sqrt()
    }
}
