//! One band of the EQ: its type (running and pending), its parameter
//! ramps, its dry/wet fade, its coefficients and silence bounds, and its
//! stereo filter state, run over a segment with or without a fade.

use super::design::{Prototype, THROUGH_FACTOR};
use super::svf::{SvfCoefs, SvfState};
use super::BandType;
use crate::smooth::Linear;

/// One band: its parameters, ramps, fade and stereo state.
#[derive(Clone, Debug)]
pub(super) struct Band {
    /// The filter running now.
    pub(super) kind: BandType,
    /// The type last set; `kind` follows it through a fade.
    pub(super) pending: BandType,
    pub(super) log2_hz: Linear,
    pub(super) gain_db: Linear,
    pub(super) q: Linear,
    /// Wet amount of the band: 0 dry, 1 the filter alone.
    pub(super) fade: Linear,
    pub(super) coefs: SvfCoefs,
    pub(super) left: SvfState,
    pub(super) right: SvfState,
    /// Bound on the band's output per unit of state norm, input silent
    /// ([`SvfCoefs::ring_gain`]).
    pub(super) ring: f32,
    /// Bound on the band's peak gain for any signal ([`THROUGH_FACTOR`] ×
    /// its largest response magnitude).
    pub(super) through: f32,
}

impl Band {
    /// True while the fade or a frequency, gain or Q ramp runs.
    pub(super) fn ramping(&self) -> bool {
        self.fade.is_active()
            || self.log2_hz.is_active()
            || self.gain_db.is_active()
            || self.q.is_active()
    }

    /// Jump the frequency, gain and Q ramps to their targets.
    pub(super) fn snap(&mut self) {
        self.log2_hz.snap();
        self.gain_db.snap();
        self.q.snap();
    }

    /// Clear both channels' filter state to exact zeros.
    pub(super) fn clear(&mut self) {
        self.left = SvfState::default();
        self.right = SvfState::default();
    }

    /// Recompute the coefficients and silence bounds from the current
    /// (possibly ramping) parameter values; `set_hz` is the frequency last
    /// set, used when the frequency is at rest.
    pub(super) fn redesign(&mut self, sample_rate_hz: f64, set_hz: f64) {
        let hz = if self.log2_hz.is_active() {
            2f64.powf(self.log2_hz.current() as f64)
        } else {
            set_hz
        };
        let p = Prototype::new(
            self.kind,
            sample_rate_hz,
            hz,
            self.q.current() as f64,
            self.gain_db.current() as f64,
        );
        self.coefs = p.coefs();
        self.ring = self.coefs.ring_gain();
        self.through = (THROUGH_FACTOR * p.max_gain()).min(f32::MAX as f64) as f32;
    }

    /// The band over one segment, left and right in one loop.
    pub(super) fn run(&mut self, left: &mut [f32], right: &mut [f32]) {
        let c = self.coefs;
        let (mut sl, mut sr) = (self.left, self.right);
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            *l = sl.tick(&c, *l);
            *r = sr.tick(&c, *r);
        }
        self.left = sl;
        self.right = sr;
    }

    /// The band over one segment, fading between dry and wet:
    /// `x + m·(band(x) − x)`.
    pub(super) fn run_fading(&mut self, left: &mut [f32], right: &mut [f32]) {
        let c = self.coefs;
        let (mut sl, mut sr) = (self.left, self.right);
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let m = self.fade.tick();
            let (xl, xr) = (*l, *r);
            let yl = sl.tick(&c, xl);
            let yr = sr.tick(&c, xr);
            *l = xl + m * (yl - xl);
            *r = xr + m * (yr - xr);
        }
        self.left = sl;
        self.right = sr;
    }
}
