//! Feed-forward compressor with a hard knee, detecting on the stereo peak.
//!
//! Per frame: `level = log2(max(|L|, |R|))`; above the threshold the target
//! gain reduction is `(level − threshold)·(1/ratio − 1)` (in log2 units of
//! amplitude, 1 = 6.02 dB); the reduction is smoothed by a one-pole filter
//! with the attack time constant while reduction grows and the release time
//! constant while it shrinks (the "smooth branching" peak detector, run on
//! the gain reduction in the log domain: Giannoulis, Massberg and Reiss,
//! "Digital Dynamic Range Compressor Design", JAES 2012). Both channels get the
//! same gain `2^reduction`. At steady state the curve is the textbook
//! `out_dB = thr + (in_dB − thr)/ratio` above the threshold.

use crate::math::{fast_exp2, fast_log2, flush, DB_PER_LOG2};

/// Gain reductions smaller than this (in log2 units: 6e-6 dB, a gain within
/// 7e-7 of unity) are no reduction at all, so a release ends in exactly
/// unity gain and the detector state reaches exactly zero instead of
/// decaying towards the subnormal range.
pub const REDUCTION_FLOOR_LOG2: f32 = 1e-6;

/// The compressor unit.
#[derive(Clone, Debug)]
pub struct Compressor {
    sample_rate_hz: f32,
    threshold_log2: f32,
    slope: f32,
    attack_coef: f32,
    release_coef: f32,
    reduction_log2: f32,
}

fn one_pole_coef(time_ms: f32, sample_rate_hz: f32) -> f32 {
    let samples = time_ms as f64 * 1e-3 * sample_rate_hz as f64;
    if samples > 0.0 {
        (-1.0 / samples).exp() as f32
    } else {
        0.0
    }
}

impl Compressor {
    /// A compressor at `sample_rate_hz`.
    pub fn new(
        sample_rate_hz: f32,
        threshold_db: f32,
        ratio: f32,
        attack_ms: f32,
        release_ms: f32,
    ) -> Self {
        let mut c = Compressor {
            sample_rate_hz,
            threshold_log2: 0.0,
            slope: 0.0,
            attack_coef: 0.0,
            release_coef: 0.0,
            reduction_log2: 0.0,
        };
        c.set_threshold_db(threshold_db);
        c.set_ratio(ratio);
        c.set_attack_ms(attack_ms);
        c.set_release_ms(release_ms);
        c
    }

    /// Threshold in dBFS.
    pub fn set_threshold_db(&mut self, db: f32) {
        self.threshold_log2 = db / DB_PER_LOG2;
    }

    /// Ratio (≥ 1; 1 disables compression).
    pub fn set_ratio(&mut self, ratio: f32) {
        self.slope = 1.0 / ratio.max(1.0) - 1.0;
    }

    /// Attack time constant in ms.
    pub fn set_attack_ms(&mut self, ms: f32) {
        self.attack_coef = one_pole_coef(ms, self.sample_rate_hz);
    }

    /// Release time constant in ms.
    pub fn set_release_ms(&mut self, ms: f32) {
        self.release_coef = one_pole_coef(ms, self.sample_rate_hz);
    }

    /// Compress a stereo block in place.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        if self.slope == 0.0 && self.reduction_log2 == 0.0 {
            // Ratio 1 and no reduction left to release: unity gain exactly.
            return;
        }
        let mut r = self.reduction_log2;
        let (thr, slope) = (self.threshold_log2, self.slope);
        let (att, rel) = (self.attack_coef, self.release_coef);
        for (l, rt) in left.iter_mut().zip(right.iter_mut()) {
            let peak = l.abs().max(rt.abs());
            let over = fast_log2(peak) - thr;
            let target = if over > 0.0 { over * slope } else { 0.0 };
            let coef = if target < r { att } else { rel };
            r = target + coef * (r - target);
            if r < -REDUCTION_FLOOR_LOG2 {
                let g = fast_exp2(r);
                *l = flush(*l * g);
                *rt = flush(*rt * g);
            }
        }
        if !(r < -REDUCTION_FLOOR_LOG2 && r.is_finite()) {
            r = 0.0;
        }
        self.reduction_log2 = r;
    }

    /// Current gain reduction in dB (≤ 0).
    pub fn reduction_db(&self) -> f32 {
        self.reduction_log2 * DB_PER_LOG2
    }

    /// Forget the detector state.
    pub fn reset(&mut self) {
        self.reduction_log2 = 0.0;
    }
}
