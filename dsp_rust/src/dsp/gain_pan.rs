//! Fader, pan and mute as one smoothed 2×2 stereo matrix.
//!
//! Pan law: the Web Audio API's `StereoPannerNode` algorithm for stereo
//! input (W3C Web Audio API, "StereoPannerNode panning algorithm"). With
//! `p` the pan in [−1, 1]:
//!
//! * `p ≤ 0`, `x = p + 1`: `L' = L + R·cos(xπ/2)`, `R' = R·sin(xπ/2)`
//! * `p > 0`, `x = p`:     `L' = L·cos(xπ/2)`, `R' = R + L·sin(xπ/2)`
//!
//! so the centre is unity on both channels and a hard pan folds the other
//! channel in at full level. The fader gain and the mute multiply the whole
//! matrix. A change ramps every matrix entry linearly over the smoothing time.

use crate::math::{db_to_gain, flush};
use crate::smooth::Linear;

/// Matrix entries below this (−140 dB) are exactly zero.
const ZERO_BELOW: f64 = 1e-7;

/// The fader/pan/mute unit.
#[derive(Clone, Debug)]
pub struct GainPan {
    gain_db: f32,
    pan: f32,
    muted: bool,
    /// `[L→L, R→L, L→R, R→R]`.
    m: [Linear; 4],
}

/// The stereo matrix `[L→L, R→L, L→R, R→R]` for a fader gain, pan and mute.
pub fn pan_matrix(gain_db: f32, pan: f32, muted: bool) -> [f32; 4] {
    if muted {
        return [0.0; 4];
    }
    let g = db_to_gain(gain_db as f64);
    let p = pan.clamp(-1.0, 1.0) as f64;
    let half_pi = core::f64::consts::FRAC_PI_2;
    // Written with sin/cos of |p|·π/2 so that p = 0 is exactly the identity.
    let (ll, rl, lr, rr) = if p <= 0.0 {
        let a = -p * half_pi;
        (1.0, a.sin(), 0.0, a.cos())
    } else {
        let a = p * half_pi;
        (a.cos(), 0.0, a.sin(), 1.0)
    };
    let z = |v: f64| {
        let v = v * g;
        if v.abs() < ZERO_BELOW {
            0.0
        } else {
            v as f32
        }
    };
    [z(ll), z(rl), z(lr), z(rr)]
}

impl GainPan {
    /// A unit resting at the given settings.
    pub fn new(gain_db: f32, pan: f32, muted: bool) -> Self {
        let m = pan_matrix(gain_db, pan, muted);
        GainPan {
            gain_db,
            pan,
            muted,
            m: [
                Linear::new(m[0]),
                Linear::new(m[1]),
                Linear::new(m[2]),
                Linear::new(m[3]),
            ],
        }
    }

    fn retarget(&mut self, steps: u32) {
        let m = pan_matrix(self.gain_db, self.pan, self.muted);
        for (s, t) in self.m.iter_mut().zip(m.iter()) {
            s.set_target(*t, steps);
        }
    }

    /// Fader gain in dB, ramped over `steps` frames.
    pub fn set_gain_db(&mut self, db: f32, steps: u32) {
        self.gain_db = db;
        self.retarget(steps);
    }

    /// Pan in [−1, 1], ramped over `steps` frames.
    pub fn set_pan(&mut self, pan: f32, steps: u32) {
        self.pan = pan;
        self.retarget(steps);
    }

    /// Mute on or off, faded over `steps` frames.
    pub fn set_muted(&mut self, muted: bool, steps: u32) {
        self.muted = muted;
        self.retarget(steps);
    }

    /// Apply the matrix to `(left, right)` and add the result into `(out_left, out_right)`.
    pub fn process_add(
        &mut self,
        left: &[f32],
        right: &[f32],
        out_left: &mut [f32],
        out_right: &mut [f32],
    ) {
        let n = left
            .len()
            .min(right.len())
            .min(out_left.len())
            .min(out_right.len());
        if self.m.iter().any(|s| s.is_active()) {
            for i in 0..n {
                let (ll, rl) = (self.m[0].tick(), self.m[1].tick());
                let (lr, rr) = (self.m[2].tick(), self.m[3].tick());
                let (x, y) = (left[i], right[i]);
                out_left[i] += flush(x * ll + y * rl);
                out_right[i] += flush(x * lr + y * rr);
            }
        } else {
            let (ll, rl) = (self.m[0].current(), self.m[1].current());
            let (lr, rr) = (self.m[2].current(), self.m[3].current());
            if ll == 0.0 && rl == 0.0 && lr == 0.0 && rr == 0.0 {
                return;
            }
            for i in 0..n {
                let (x, y) = (left[i], right[i]);
                out_left[i] += flush(x * ll + y * rl);
                out_right[i] += flush(x * lr + y * rr);
            }
        }
    }

    /// Apply the matrix to `(left, right)` in place.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len().min(right.len());
        if self.m.iter().any(|s| s.is_active()) {
            for i in 0..n {
                let (ll, rl) = (self.m[0].tick(), self.m[1].tick());
                let (lr, rr) = (self.m[2].tick(), self.m[3].tick());
                let (x, y) = (left[i], right[i]);
                left[i] = flush(x * ll + y * rl);
                right[i] = flush(x * lr + y * rr);
            }
        } else {
            let (ll, rl) = (self.m[0].current(), self.m[1].current());
            let (lr, rr) = (self.m[2].current(), self.m[3].current());
            if ll == 1.0 && rl == 0.0 && lr == 0.0 && rr == 1.0 {
                return;
            }
            for i in 0..n {
                let (x, y) = (left[i], right[i]);
                left[i] = flush(x * ll + y * rl);
                right[i] = flush(x * lr + y * rr);
            }
        }
    }

    /// The smoothed matrix entries `[L→L, R→L, L→R, R→R]`, for hosts of
    /// the same arithmetic on several channels at once (see [`GainPan::process`]).
    pub fn matrix(&self) -> &[Linear; 4] {
        &self.m
    }

    /// Mutable matrix entries, to advance them after such a host ran them.
    pub fn matrix_mut(&mut self) -> &mut [Linear; 4] {
        &mut self.m
    }

    /// Jump the matrix to its target.
    pub fn reset(&mut self) {
        for s in self.m.iter_mut() {
            s.snap();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centre_is_exact_identity() {
        assert_eq!(pan_matrix(0.0, 0.0, false), [1.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn hard_pans_fold_the_other_channel_in() {
        assert_eq!(pan_matrix(0.0, -1.0, false), [1.0, 1.0, 0.0, 0.0]);
        assert_eq!(pan_matrix(0.0, 1.0, false), [0.0, 0.0, 1.0, 1.0]);
    }

    #[test]
    fn mute_is_silence() {
        assert_eq!(pan_matrix(6.0, 0.3, true), [0.0; 4]);
    }
}
