//! Stereo 3-band EQ: low shelf, peaking band and high shelf (RBJ cookbook),
//! with separate filter state for the left and right channels.
//!
//! Parameter changes ramp: frequencies move linearly in log2(Hz), gains in
//! dB and Q linearly, over each parameter's smoothing time. While a ramp is
//! active the coefficients are recomputed every [`COEF_UPDATE_FRAMES`]
//! frames, counted from the engine's first frame, so the output does not
//! depend on the size of the render quantum.

use crate::math::flush;
use crate::smooth::Linear;
use crate::units::biquad::{BiquadCoefs, BiquadState};

/// Frames between coefficient updates while a parameter is ramping.
pub const COEF_UPDATE_FRAMES: u32 = 16;

/// Which EQ parameter to set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EqParam {
    /// Low shelf corner, Hz.
    LowHz,
    /// Low shelf gain, dB.
    LowGainDb,
    /// Peaking band centre, Hz.
    MidHz,
    /// Peaking band gain, dB.
    MidGainDb,
    /// Peaking band quality factor.
    MidQ,
    /// High shelf corner, Hz.
    HighHz,
    /// High shelf gain, dB.
    HighGainDb,
}

const BAND_COUNT: usize = 3;

/// The EQ unit.
#[derive(Clone, Debug)]
pub struct ThreeBandEq {
    sample_rate_hz: f64,
    low_log2_hz: Linear,
    low_gain_db: Linear,
    mid_log2_hz: Linear,
    mid_gain_db: Linear,
    mid_q: Linear,
    high_log2_hz: Linear,
    high_gain_db: Linear,
    coefs: [BiquadCoefs; BAND_COUNT],
    left: [BiquadState; BAND_COUNT],
    right: [BiquadState; BAND_COUNT],
    frames_to_update: u32,
    dirty: bool,
}

/// Initial values of the EQ parameters.
#[derive(Clone, Copy, Debug)]
pub struct EqSettings {
    /// Low shelf corner, Hz.
    pub low_hz: f32,
    /// Low shelf gain, dB.
    pub low_gain_db: f32,
    /// Peaking band centre, Hz.
    pub mid_hz: f32,
    /// Peaking band gain, dB.
    pub mid_gain_db: f32,
    /// Peaking band quality factor.
    pub mid_q: f32,
    /// High shelf corner, Hz.
    pub high_hz: f32,
    /// High shelf gain, dB.
    pub high_gain_db: f32,
}

impl ThreeBandEq {
    /// An EQ at `sample_rate_hz` resting at `s`.
    pub fn new(sample_rate_hz: f32, s: EqSettings) -> Self {
        let mut eq = ThreeBandEq {
            sample_rate_hz: sample_rate_hz as f64,
            low_log2_hz: Linear::new(s.low_hz.log2()),
            low_gain_db: Linear::new(s.low_gain_db),
            mid_log2_hz: Linear::new(s.mid_hz.log2()),
            mid_gain_db: Linear::new(s.mid_gain_db),
            mid_q: Linear::new(s.mid_q),
            high_log2_hz: Linear::new(s.high_hz.log2()),
            high_gain_db: Linear::new(s.high_gain_db),
            coefs: [BiquadCoefs::IDENTITY; BAND_COUNT],
            left: [BiquadState::default(); BAND_COUNT],
            right: [BiquadState::default(); BAND_COUNT],
            frames_to_update: 0,
            dirty: true,
        };
        eq.update_coefs();
        eq
    }

    fn smoother(&mut self, p: EqParam) -> &mut Linear {
        match p {
            EqParam::LowHz => &mut self.low_log2_hz,
            EqParam::LowGainDb => &mut self.low_gain_db,
            EqParam::MidHz => &mut self.mid_log2_hz,
            EqParam::MidGainDb => &mut self.mid_gain_db,
            EqParam::MidQ => &mut self.mid_q,
            EqParam::HighHz => &mut self.high_log2_hz,
            EqParam::HighGainDb => &mut self.high_gain_db,
        }
    }

    /// Ramp parameter `p` to `value` over `steps` frames.
    pub fn set(&mut self, p: EqParam, value: f32, steps: u32) {
        let v = match p {
            EqParam::LowHz | EqParam::MidHz | EqParam::HighHz => value.log2(),
            _ => value,
        };
        self.smoother(p).set_target(v, steps);
        self.dirty = true;
    }

    fn smoothers(&mut self) -> [&mut Linear; 7] {
        [
            &mut self.low_log2_hz,
            &mut self.low_gain_db,
            &mut self.mid_log2_hz,
            &mut self.mid_gain_db,
            &mut self.mid_q,
            &mut self.high_log2_hz,
            &mut self.high_gain_db,
        ]
    }

    fn update_coefs(&mut self) {
        let sr = self.sample_rate_hz;
        let hz = |l: &Linear| 2f64.powf(l.current() as f64);
        self.coefs = [
            BiquadCoefs::low_shelf(sr, hz(&self.low_log2_hz), self.low_gain_db.current() as f64),
            BiquadCoefs::peaking(
                sr,
                hz(&self.mid_log2_hz),
                self.mid_q.current() as f64,
                self.mid_gain_db.current() as f64,
            ),
            BiquadCoefs::high_shelf(
                sr,
                hz(&self.high_log2_hz),
                self.high_gain_db.current() as f64,
            ),
        ];
    }

    fn start_segment(&mut self) {
        let mut ramping = false;
        for s in self.smoothers() {
            if s.is_active() {
                s.advance(COEF_UPDATE_FRAMES);
                ramping = true;
            }
        }
        if ramping || self.dirty {
            self.dirty = ramping;
            self.update_coefs();
        }
        self.frames_to_update = COEF_UPDATE_FRAMES;
    }

    /// Filter a stereo block in place.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len().min(right.len());
        let mut i = 0;
        while i < n {
            if self.frames_to_update == 0 {
                self.start_segment();
            }
            let seg = (self.frames_to_update as usize).min(n - i);
            self.process_segment(&mut left[i..i + seg], &mut right[i..i + seg]);
            i += seg;
            self.frames_to_update -= seg as u32;
        }
        for s in self.left.iter_mut().chain(self.right.iter_mut()) {
            s.settle();
        }
    }

    /// All six sections (three bands, two channels) in one pass per frame: the
    /// six recurrences are independent within a frame's band, so the CPU
    /// overlaps them instead of running six latency-bound passes in a row.
    fn process_segment(&mut self, left: &mut [f32], right: &mut [f32]) {
        let [c0, c1, c2] = self.coefs;
        let [mut l0, mut l1, mut l2] = self.left;
        let [mut r0, mut r1, mut r2] = self.right;
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let yl = l2.tick(&c2, l1.tick(&c1, l0.tick(&c0, *l)));
            let yr = r2.tick(&c2, r1.tick(&c1, r0.tick(&c0, *r)));
            *l = flush(yl);
            *r = flush(yr);
        }
        self.left = [l0, l1, l2];
        self.right = [r0, r1, r2];
    }

    /// Jump every ramp to its target and clear the filter state.
    pub fn reset(&mut self) {
        for s in self.smoothers() {
            s.snap();
        }
        for s in self.left.iter_mut().chain(self.right.iter_mut()) {
            s.reset();
        }
        self.frames_to_update = 0;
        self.dirty = true;
        self.update_coefs();
    }

    /// True when every filter state value is exactly zero or a normal float
    /// (never subnormal, never NaN or infinite).
    pub fn state_is_clean(&self) -> bool {
        self.left
            .iter()
            .chain(self.right.iter())
            .all(|s| s.values().iter().all(|v| *v == 0.0 || v.is_normal()))
    }

    /// True when every filter state value is exactly zero.
    pub fn state_is_silent(&self) -> bool {
        self.left
            .iter()
            .chain(self.right.iter())
            .all(|s| s.is_silent())
    }

    /// The coefficients in use for the low shelf, peaking band and high shelf.
    pub fn coefs(&self) -> &[BiquadCoefs; BAND_COUNT] {
        &self.coefs
    }
}
