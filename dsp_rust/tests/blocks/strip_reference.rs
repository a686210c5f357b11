//! The scalar strip the lanes replaced (its EQ and compressor code frozen as
//! they were), the reference each lane of a `StripGroup` is checked against.
#![allow(dead_code, clippy::all)]

use dawg_dsp::dsp::biquad::{BiquadCoefs, BiquadState};
use dawg_dsp::math::{fast_exp2, fast_log2, flush, DB_PER_LOG2};
use dawg_dsp::smooth::{steps_for_ms, Linear};
use dawg_dsp::spec::ParamId;

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

fn default_of(id: ParamId) -> f32 {
    id.spec().default
}

/// The old `Strip`'s EQ → compressor on one track.
#[derive(Clone, Debug)]
pub struct OldStrip {
    sample_rate_hz: f32,
    pub eq: ThreeBandEq,
    pub comp: Compressor,
}

impl OldStrip {
    pub fn new(sample_rate_hz: f32) -> Self {
        let eq = ThreeBandEq::new(
            sample_rate_hz,
            EqSettings {
                low_hz: default_of(ParamId::LowHz),
                low_gain_db: default_of(ParamId::LowGainDb),
                mid_hz: default_of(ParamId::MidHz),
                mid_gain_db: default_of(ParamId::MidGainDb),
                mid_q: default_of(ParamId::MidQ),
                high_hz: default_of(ParamId::HighHz),
                high_gain_db: default_of(ParamId::HighGainDb),
            },
        );
        let comp = Compressor::new(
            sample_rate_hz,
            default_of(ParamId::CompThresholdDb),
            default_of(ParamId::CompRatio),
            default_of(ParamId::CompAttackMs),
            default_of(ParamId::CompReleaseMs),
        );
        OldStrip {
            sample_rate_hz,
            eq,
            comp,
        }
    }

    pub fn set(&mut self, id: ParamId, value: f32) {
        let steps = steps_for_ms(id.spec().smoothing_ms, self.sample_rate_hz);
        match id {
            ParamId::LowHz => self.eq.set(EqParam::LowHz, value, steps),
            ParamId::LowGainDb => self.eq.set(EqParam::LowGainDb, value, steps),
            ParamId::MidHz => self.eq.set(EqParam::MidHz, value, steps),
            ParamId::MidGainDb => self.eq.set(EqParam::MidGainDb, value, steps),
            ParamId::MidQ => self.eq.set(EqParam::MidQ, value, steps),
            ParamId::HighHz => self.eq.set(EqParam::HighHz, value, steps),
            ParamId::HighGainDb => self.eq.set(EqParam::HighGainDb, value, steps),
            ParamId::CompThresholdDb => self.comp.set_threshold_db(value),
            ParamId::CompRatio => self.comp.set_ratio(value),
            ParamId::CompAttackMs => self.comp.set_attack_ms(value),
            ParamId::CompReleaseMs => self.comp.set_release_ms(value),
            _ => {}
        }
    }

    /// Input flush, EQ, compressor: the old `Strip::process_add` before the fader.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        for v in left.iter_mut().chain(right.iter_mut()) {
            *v = flush(*v);
        }
        self.eq.process(left, right);
        self.comp.process(left, right);
    }

    pub fn reset(&mut self) {
        self.eq.reset();
        self.comp.reset();
    }
}
