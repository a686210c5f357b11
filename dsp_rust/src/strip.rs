//! Channel strips, four tracks at a time: [`StripGroup`] runs the 3-band EQ
//! ([`crate::dsp::eq`]) and the compressor ([`crate::units::compressor`])
//! of up to [`LANES`] tracks, track `k` in lane `k` of every [`F4`].
//!
//! With wasm SIMD one f32x4 recurrence does the work of four serial ones, so
//! a lane-sample costs a third to a quarter of a scalar strip's sample.
//! Builds without SIMD run the four lanes one after another, at about the
//! cost of four scalar strips whether or not every lane holds a track.
//!
//! Every lane behaves exactly like a strip of its own: its output depends
//! only on its own input and parameters, never on what the other lanes
//! carry (work is only skipped where skipping gives the same bits). Each
//! lane counts its update frames from its own last reset
//! ([`StripGroup::reset_lane`]), so a track created later behaves like a
//! strip created at that moment; a lane whose track the engine skips
//! (auto-bypass) is paused ([`StripGroup::set_lane_paused`]): it stands
//! still and later resumes where it stopped.
//!
//! The fader, pan and mute ([`crate::dsp::gain_pan`]) stay per track; the
//! engine applies them after the inserts.

use crate::config::QUIET;
use crate::dsp::eq::{EqLaneSnapshot, EqLanes, EqParam, EqSettings};
use crate::simd::{F4, M4};
use crate::smooth::steps_for_ms;
use crate::spec::ParamId;
use crate::units::compressor::{apply_param, Compressor, CompressorLaneSnapshot, CompressorParam};

pub use crate::simd::LANES;

/// The parameters a strip owns, in [`ParamId`] order.
pub const STRIP_PARAMS: [ParamId; 15] = [
    ParamId::LowHz,
    ParamId::LowGainDb,
    ParamId::MidHz,
    ParamId::MidGainDb,
    ParamId::MidQ,
    ParamId::HighHz,
    ParamId::HighGainDb,
    ParamId::CompThresholdDb,
    ParamId::CompRatio,
    ParamId::CompAttackMs,
    ParamId::CompReleaseMs,
    ParamId::CompKneeDb,
    ParamId::CompMakeupDb,
    ParamId::CompDetector,
    ParamId::CompLink,
];

/// Where a strip parameter goes.
#[derive(Clone, Copy)]
enum Route {
    Eq(EqParam),
    Comp(CompressorParam),
}

fn route(id: ParamId) -> Option<Route> {
    Some(match id {
        ParamId::LowHz => Route::Eq(EqParam::LowHz),
        ParamId::LowGainDb => Route::Eq(EqParam::LowGainDb),
        ParamId::MidHz => Route::Eq(EqParam::MidHz),
        ParamId::MidGainDb => Route::Eq(EqParam::MidGainDb),
        ParamId::MidQ => Route::Eq(EqParam::MidQ),
        ParamId::HighHz => Route::Eq(EqParam::HighHz),
        ParamId::HighGainDb => Route::Eq(EqParam::HighGainDb),
        ParamId::CompThresholdDb => Route::Comp(CompressorParam::ThresholdDb),
        ParamId::CompRatio => Route::Comp(CompressorParam::Ratio),
        ParamId::CompAttackMs => Route::Comp(CompressorParam::AttackMs),
        ParamId::CompReleaseMs => Route::Comp(CompressorParam::ReleaseMs),
        ParamId::CompKneeDb => Route::Comp(CompressorParam::KneeDb),
        ParamId::CompMakeupDb => Route::Comp(CompressorParam::MakeupDb),
        ParamId::CompDetector => Route::Comp(CompressorParam::Detector),
        ParamId::CompLink => Route::Comp(CompressorParam::Link),
        _ => return None,
    })
}

fn slot(id: ParamId) -> Option<usize> {
    STRIP_PARAMS.iter().position(|p| *p == id)
}

fn default_of(id: ParamId) -> f32 {
    id.spec().default
}

/// The EQ and compressor of up to four tracks, one per lane.
#[derive(Clone, Debug)]
pub struct StripGroup {
    sample_rate_hz: f32,
    eq: EqLanes,
    comp: Compressor<F4>,
    values: [[f32; STRIP_PARAMS.len()]; LANES],
    paused: [bool; LANES],
}

impl StripGroup {
    /// A group at `sample_rate_hz`, every lane at the parameter defaults.
    /// Allocates nothing: the engine owns the lane buffers.
    pub fn new(sample_rate_hz: f32) -> StripGroup {
        let eq = EqLanes::new(
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
        let mut g = StripGroup {
            sample_rate_hz,
            eq,
            comp: Compressor::new(sample_rate_hz),
            values: [STRIP_PARAMS.map(default_of); LANES],
            paused: [false; LANES],
        };
        for k in 0..LANES {
            for id in STRIP_PARAMS {
                if let Some(Route::Comp(p)) = route(id) {
                    apply_param(&mut g.comp, k, p, default_of(id), 0);
                }
            }
        }
        g
    }

    /// Set strip parameter `id` of lane `lane` to an in-range `value` (the
    /// caller clamps). Other ids and lanes ≥ [`LANES`] are ignored.
    pub fn set(&mut self, lane: usize, id: ParamId, value: f32) {
        let (r, i) = match (route(id), slot(id)) {
            (Some(r), Some(i)) if lane < LANES => (r, i),
            _ => return,
        };
        self.values[lane][i] = value;
        let steps = steps_for_ms(id.spec().smoothing_ms, self.sample_rate_hz);
        match r {
            Route::Eq(p) => self.eq.set(lane, p, value, steps),
            Route::Comp(p) => apply_param(&mut self.comp, lane, p, value, steps),
        }
    }

    /// The last value set for `id` on lane `lane` (its target, not the ramp
    /// position); NaN for a parameter the strip does not own or a bad lane.
    pub fn get(&self, lane: usize, id: ParamId) -> f32 {
        match (self.values.get(lane), slot(id)) {
            (Some(v), Some(i)) => v[i],
            _ => f32::NAN,
        }
    }

    /// Run the strips on one block in place: frame `i` of track `k` is lane
    /// `k` of `left[i]`, `right[i]` (`min(left.len(), right.len())` frames).
    /// Input samples that are NaN, infinite or subnormal count as silence.
    /// Paused lanes come out as exact zeros and keep their state.
    pub fn process(&mut self, left: &mut [F4], right: &mut [F4]) {
        let n = left.len().min(right.len());
        let (left, right) = (&mut left[..n], &mut right[..n]);
        for v in left.iter_mut().chain(right.iter_mut()) {
            *v = v.flush();
        }
        let mut saved: [Option<(EqLaneSnapshot, CompressorLaneSnapshot)>; LANES] = [None; LANES];
        for (k, s) in saved.iter_mut().enumerate() {
            if self.paused[k] {
                *s = Some((self.eq.save_lane(k), self.comp.save_lane(k)));
            }
        }
        self.eq.process(left, right);
        self.comp.process(left, right);
        if self.paused.iter().any(|p| *p) {
            for (k, s) in saved.iter().enumerate() {
                if let Some((e, c)) = s {
                    self.eq.restore_lane(k, e);
                    self.comp.restore_lane(k, c);
                }
            }
            let live = M4::from_bools(self.paused.map(|p| !p));
            for v in left.iter_mut().chain(right.iter_mut()) {
                *v = v.keep(live);
            }
        }
    }

    /// Pause or resume lane `lane`. A paused lane is not processed: its
    /// output is exact zeros and its state, ramps and coefficient-update
    /// count stand still, as for a track the engine skips (auto-bypass), so
    /// it resumes exactly where it stopped. Parameter changes still apply.
    pub fn set_lane_paused(&mut self, lane: usize, paused: bool) {
        if let Some(p) = self.paused.get_mut(lane) {
            *p = paused;
        }
    }

    /// True if lane `lane` is paused.
    pub fn lane_is_paused(&self, lane: usize) -> bool {
        self.paused.get(lane).copied().unwrap_or(false)
    }

    /// Clear lane `lane`'s audio state to exact zeros, jump its ramps to
    /// their targets and restart its coefficient-update count, as for a new
    /// strip. The other lanes are untouched.
    pub fn reset_lane(&mut self, lane: usize) {
        if lane < LANES {
            self.eq.reset_lane(lane);
            self.comp.reset_lane(lane);
        }
    }

    /// [`StripGroup::reset_lane`] for every lane.
    pub fn reset(&mut self) {
        for k in 0..LANES {
            self.reset_lane(k);
        }
    }

    /// True when lane `lane`'s EQ state is below −120 dBFS and its
    /// compressor holds no gain reduction: silence in gives output below
    /// −120 dBFS, and [`StripGroup::reset_lane`] changes nothing audible.
    pub fn lane_is_quiet(&self, lane: usize) -> bool {
        lane < LANES && self.eq.lane_state_below(lane, QUIET) && self.comp.lane_is_quiet(lane)
    }

    /// The EQ, for inspection.
    pub fn eq(&self) -> &EqLanes {
        &self.eq
    }

    /// The compressor, for inspection.
    pub fn compressor(&self) -> &Compressor<F4> {
        &self.comp
    }
}

/// The scalar strip this module replaces (EQ and compressor code as it was),
/// kept verbatim as the reference the lanes are checked against.
#[cfg(test)]
#[allow(dead_code, clippy::all)]
pub(crate) mod reference {
    use crate::dsp::biquad::{BiquadCoefs, BiquadState};
    use crate::math::{fast_exp2, fast_log2, flush, DB_PER_LOG2};
    use crate::smooth::{steps_for_ms, Linear};
    use crate::spec::ParamId;

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
                BiquadCoefs::low_shelf(
                    sr,
                    hz(&self.low_log2_hz),
                    self.low_gain_db.current() as f64,
                ),
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
}

#[cfg(test)]
mod tests {
    use super::reference::OldStrip;
    use super::*;
    use crate::spec::ParamSpec;

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn unit(&mut self) -> f32 {
            (self.next() >> 40) as f32 / (1u64 << 24) as f32
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn in_spec(&mut self, s: &ParamSpec) -> f32 {
            let v = if s.unit == "Hz" {
                (s.min.ln() + self.unit() * (s.max.ln() - s.min.ln())).exp()
            } else {
                s.min + self.unit() * (s.max - s.min)
            };
            let v = v.max(s.min).min(s.max);
            if s.flags & crate::spec::FLAG_STEPPED != 0 {
                v.round()
            } else {
                v
            }
        }
    }

    /// The strip parameters the scalar reference strip has: all but the
    /// compressor's knee, makeup, detector and link.
    fn old_params() -> &'static [ParamId] {
        &STRIP_PARAMS[..11]
    }

    /// Noise in bursts of random level (−80 to +6 dBFS), with silent gaps
    /// and DC steps: every compressor state and EQ ramp gets exercised.
    fn signal(rng: &mut Rng, frames: usize) -> Vec<[f32; 2]> {
        let mut out = Vec::with_capacity(frames);
        while out.len() < frames {
            let len = 50 + rng.below(3000);
            let kind = rng.below(6);
            let level = 10f32.powf((rng.unit() * 86.0 - 80.0) / 20.0);
            for _ in 0..len {
                let (a, b) = (rng.unit() * 2.0 - 1.0, rng.unit() * 2.0 - 1.0);
                out.push(match kind {
                    0 => [0.0, 0.0],
                    1 => [level, level * 0.5],
                    2 => [a * level, 0.0],
                    _ => [a * level, b * level],
                });
            }
        }
        out.truncate(frames);
        out
    }

    fn lanes_of(
        sigs: &[Vec<[f32; 2]>; LANES],
        range: core::ops::Range<usize>,
    ) -> (Vec<F4>, Vec<F4>) {
        range
            .map(|i| {
                (
                    F4::from_array([sigs[0][i][0], sigs[1][i][0], sigs[2][i][0], sigs[3][i][0]]),
                    F4::from_array([sigs[0][i][1], sigs[1][i][1], sigs[2][i][1], sigs[3][i][1]]),
                )
            })
            .unzip()
    }

    /// Runs the group and four old strips side by side on `sigs` with the
    /// same random settings, parameter changes and lane resets; returns
    /// every (lane output, old output) pair.
    fn against_old_strip(
        rng: &mut Rng,
        sr: f32,
        sigs: &[Vec<[f32; 2]>; LANES],
        threshold_db: (f32, f32),
    ) -> Vec<(f32, f32)> {
        let frames = sigs[0].len();
        let mut group = StripGroup::new(sr);
        let mut old: Vec<OldStrip> = (0..LANES).map(|_| OldStrip::new(sr)).collect();
        let value = |rng: &mut Rng, id: ParamId| {
            if id == ParamId::CompThresholdDb {
                threshold_db.0 + rng.unit() * (threshold_db.1 - threshold_db.0)
            } else {
                rng.in_spec(id.spec())
            }
        };
        for (k, o) in old.iter_mut().enumerate() {
            for &id in old_params() {
                let v = value(rng, id);
                group.set(k, id, v);
                o.set(id, v);
            }
        }
        group.reset();
        old.iter_mut().for_each(|o| o.reset());
        let mut pairs = Vec::with_capacity(frames * LANES * 2);
        let mut pos = 0;
        while pos < frames {
            let n = (1 + rng.below(300)).min(frames - pos);
            // Parameter changes (ramping EQ, switching compressor) and,
            // now and then, a lane reset between blocks.
            if rng.below(4) == 0 {
                let k = rng.below(LANES);
                let id = old_params()[rng.below(old_params().len())];
                let v = value(rng, id);
                group.set(k, id, v);
                old[k].set(id, v);
            }
            if rng.below(40) == 0 {
                let k = rng.below(LANES);
                group.reset_lane(k);
                old[k].reset();
            }
            let (mut l, mut r) = lanes_of(sigs, pos..pos + n);
            group.process(&mut l, &mut r);
            for (k, o) in old.iter_mut().enumerate() {
                let mut ol: Vec<f32> = sigs[k][pos..pos + n].iter().map(|v| v[0]).collect();
                let mut or: Vec<f32> = sigs[k][pos..pos + n].iter().map(|v| v[1]).collect();
                o.process(&mut ol, &mut or);
                for i in 0..n {
                    pairs.push((l[i].lane(k), ol[i]));
                    pairs.push((r[i].lane(k), or[i]));
                }
            }
            pos += n;
        }
        pairs
    }

    #[test]
    fn each_lane_matches_the_old_scalar_strip_bit_for_bit() {
        // Continuous noise from −30 to +6 dBFS, thresholds −60 to −30 dB:
        // the EQ never decays to −400 dBFS and the compressor never releases
        // fully, so nothing reaches the two places where the lanes differ
        // on purpose (see the next test). Every sample is bit-identical.
        for (seed, sr) in [
            (11u64, 48000.0f32),
            (12, 44100.0),
            (13, 96000.0),
            (14, 22050.0),
        ] {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed);
            let sigs = [0, 1, 2, 3].map(|_| {
                let mut v = Vec::new();
                while v.len() < 40_000 {
                    let level = 10f32.powf((rng.unit() * 36.0 - 30.0) / 20.0);
                    for _ in 0..50 + rng.below(3000) {
                        v.push([
                            (rng.unit() * 2.0 - 1.0) * level,
                            (rng.unit() * 2.0 - 1.0) * level,
                        ]);
                    }
                }
                v.truncate(40_000);
                v
            });
            let pairs = against_old_strip(&mut rng, sr, &sigs, (-60.0, -30.0));
            assert!(pairs.iter().filter(|p| p.1 != 0.0).count() > 300_000);
            for (i, (got, want)) in pairs.iter().enumerate() {
                assert_eq!(
                    got.to_bits(),
                    want.to_bits(),
                    "sr {sr} pair {i}: {got:e} vs {want:e}"
                );
            }
        }
    }

    #[test]
    fn each_lane_matches_the_old_scalar_strip_up_to_its_deliberate_fixes() {
        // Bursts with silent gaps and any threshold. The lanes differ from
        // the old strip in two places, both where the old one depended on
        // block boundaries: the EQ settles its state on its own 16-frame
        // grid (old: at block ends), which only moves tails below 1e-12; a
        // gain reduction above −1e-6 (log2) is zeroed on the sample (old: at
        // the block end), which changes a following attack by a gain ratio
        // within 2^(1e-6), i.e. 7e-7 relative.
        for (seed, sr) in [(1u64, 48000.0f32), (2, 44100.0), (3, 96000.0), (4, 22050.0)] {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed);
            let sigs = [0, 1, 2, 3].map(|_| signal(&mut rng, 60_000));
            let pairs = against_old_strip(&mut rng, sr, &sigs, (-60.0, 0.0));
            let mut exact = 0;
            for (i, (got, want)) in pairs.iter().enumerate() {
                if got.to_bits() == want.to_bits() {
                    exact += 1;
                    continue;
                }
                let diff = (got - want).abs();
                assert!(
                    (want.abs() < 1e-12 && diff < 1e-15) || diff <= 1e-6 * want.abs(),
                    "sr {sr} pair {i}: {got:e} vs {want:e}"
                );
            }
            assert!(
                exact as f64 > 0.97 * pairs.len() as f64,
                "{exact} of {}",
                pairs.len()
            );
        }
    }

    #[test]
    fn the_old_strip_depended_on_block_boundaries_where_the_lanes_do_not() {
        // A release that ends just before a new attack: the old compressor
        // zeroed its leftover reduction only at block ends, so the attack
        // depended on where the blocks fell. The lanes zero it on the sample.
        let sr = 48000.0;
        let settings = [
            (ParamId::CompThresholdDb, -20.0),
            (ParamId::CompRatio, 4.0),
            (ParamId::CompAttackMs, 0.1),
            (ParamId::CompReleaseMs, 5.0),
        ];
        let mut found = false;
        for gap in (3000..4200).step_by(7) {
            let mut x = vec![0.5f32; 2000];
            x.extend(std::iter::repeat(0.0).take(gap));
            x.extend(std::iter::repeat(0.8).take(500));
            let old_run = |block: usize| {
                let mut o = OldStrip::new(sr);
                for (id, v) in settings {
                    o.set(id, v);
                }
                o.reset();
                let mut out = Vec::new();
                for c in x.chunks(block) {
                    let (mut l, mut r) = (c.to_vec(), c.to_vec());
                    o.process(&mut l, &mut r);
                    out.extend(l.iter().map(|v| v.to_bits()));
                }
                out
            };
            let lane_run = |block: usize| {
                let mut g = StripGroup::new(sr);
                for (id, v) in settings {
                    g.set(2, id, v);
                }
                g.reset();
                let mut out = Vec::new();
                for c in x.chunks(block) {
                    let mut l: Vec<F4> = c.iter().map(|v| F4::splat(*v)).collect();
                    let mut r = l.clone();
                    g.process(&mut l, &mut r);
                    out.extend(l.iter().map(|v| v.lane(2).to_bits()));
                }
                out
            };
            assert!(lane_run(x.len()) == lane_run(128));
            if old_run(x.len()) != old_run(128) {
                found = true;
                break;
            }
        }
        assert!(
            found,
            "no gap made the old strip depend on block boundaries"
        );
    }

    /// Lane 1 runs fixed settings on a fixed signal, using every new
    /// parameter too; the other lanes do whatever a scenario says.
    fn lane1_output(scenario: usize) -> Vec<[u32; 2]> {
        let sr = 48000.0;
        let frames = 30_000;
        let mut rng = Rng(77);
        let mine = signal(&mut rng, frames);
        let mut other_rng = Rng(1234 + scenario as u64);
        let others = [0, 1, 2].map(|_| signal(&mut other_rng, frames));
        let silent = vec![[0.0f32; 2]; frames];
        let sigs: [Vec<[f32; 2]>; LANES] = match scenario {
            0 => [silent.clone(), mine.clone(), silent.clone(), silent],
            _ => [
                others[0].clone(),
                mine.clone(),
                others[1].clone(),
                others[2].clone(),
            ],
        };
        let mut g = StripGroup::new(sr);
        let settings = [
            (ParamId::LowGainDb, 6.0),
            (ParamId::MidHz, 700.0),
            (ParamId::MidGainDb, -5.0),
            (ParamId::HighGainDb, 2.0),
            (ParamId::CompThresholdDb, -24.0),
            (ParamId::CompRatio, 6.0),
            (ParamId::CompKneeDb, 9.0),
            (ParamId::CompAttackMs, 1.0),
            (ParamId::CompReleaseMs, 50.0),
            (ParamId::CompMakeupDb, 4.0),
            (ParamId::CompDetector, 1.0),
            (ParamId::CompLink, 0.4),
        ];
        for (id, v) in settings {
            g.set(1, id, v);
        }
        if scenario >= 2 {
            for k in [0, 2, 3] {
                for id in STRIP_PARAMS {
                    g.set(k, id, other_rng.in_spec(id.spec()));
                }
            }
        }
        g.reset();
        let mut out = Vec::with_capacity(frames);
        let mut pos = 0;
        while pos < frames {
            let mut n = if scenario == 4 {
                1 + other_rng.below(200)
            } else {
                128
            }
            .min(frames - pos);
            // Lane 1's own changes land on fixed frames whatever the blocks.
            for at in [5_000, 15_000] {
                if pos < at && pos + n > at {
                    n = at - pos;
                }
            }
            if pos == 5_000 {
                g.set(1, ParamId::MidGainDb, 8.0);
                g.set(1, ParamId::CompMakeupDb, 1.0);
                g.set(1, ParamId::CompLink, 1.0);
            }
            if pos == 15_000 {
                g.set(1, ParamId::CompDetector, 0.0);
            }
            if scenario >= 3 {
                // Other lanes change, reset and pause at their own times.
                let k = [0, 2, 3][other_rng.below(3)];
                match other_rng.below(6) {
                    0 => g.reset_lane(k),
                    1 => g.set_lane_paused(k, !g.lane_is_paused(k)),
                    _ => {
                        let id = STRIP_PARAMS[other_rng.below(STRIP_PARAMS.len())];
                        g.set(k, id, other_rng.in_spec(id.spec()));
                    }
                }
            }
            let (mut l, mut r) = lanes_of(&sigs, pos..pos + n);
            g.process(&mut l, &mut r);
            out.extend(
                l.iter()
                    .zip(r.iter())
                    .map(|(a, b)| [a.lane(1).to_bits(), b.lane(1).to_bits()]),
            );
            pos += n;
        }
        out
    }

    #[test]
    fn a_lane_does_not_depend_on_the_other_lanes() {
        let alone = lane1_output(0);
        assert!(alone.iter().filter(|v| v[0] != 0).count() > 10_000);
        // 1: others busy at defaults; 2: others busy with random settings;
        // 3: plus changes, resets and pauses; 4: plus random block sizes.
        for scenario in 1..=4 {
            assert!(
                lane1_output(scenario) == alone,
                "scenario {scenario} changed lane 1"
            );
        }
    }

    #[test]
    fn block_size_does_not_change_output() {
        let mut rng = Rng(99);
        let frames = 20_000;
        let sigs = [0, 1, 2, 3].map(|_| signal(&mut rng, frames));
        let mut settings = Vec::new();
        for k in 0..LANES {
            for id in STRIP_PARAMS {
                settings.push((k, id, rng.in_spec(id.spec())));
            }
        }
        let run = |blocks: &mut dyn FnMut() -> usize| {
            let mut g = StripGroup::new(48000.0);
            for (k, id, v) in settings.iter() {
                g.set(*k, *id, *v);
            }
            g.reset();
            let mut out = Vec::new();
            let mut pos = 0;
            while pos < frames {
                let n = blocks().min(frames - pos);
                let n = if pos < 7_000 { n.min(7_000 - pos) } else { n };
                if pos == 7_000 {
                    g.set(2, ParamId::HighGainDb, -12.0);
                    g.set(0, ParamId::CompMakeupDb, 12.0);
                    g.set(3, ParamId::CompLink, 0.0);
                }
                let (mut l, mut r) = lanes_of(&sigs, pos..pos + n);
                g.process(&mut l, &mut r);
                out.extend(
                    l.iter()
                        .zip(r.iter())
                        .map(|(a, b)| (a.to_array(), b.to_array())),
                );
                pos += n;
            }
            out.iter()
                .flat_map(|(a, b)| {
                    a.iter()
                        .chain(b.iter())
                        .map(|v| v.to_bits())
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<u32>>()
        };
        let whole = run(&mut || usize::MAX);
        let mut r2 = Rng(5);
        assert!(run(&mut || 1 + r2.below(37)) == whole);
        assert!(run(&mut || 128) == whole);
        assert!(run(&mut || 1) == whole);
    }

    #[test]
    fn impulse_then_ten_seconds_of_silence_ends_in_exact_zeros() {
        for sr in [22050.0f32, 48000.0, 192000.0] {
            let mut g = StripGroup::new(sr);
            for k in 0..LANES {
                for (id, v) in [
                    (ParamId::LowHz, 20.0),
                    (ParamId::LowGainDb, 24.0),
                    (ParamId::MidHz, 100.0),
                    (ParamId::MidGainDb, 24.0),
                    (ParamId::MidQ, 10.0),
                    (ParamId::HighHz, 20000.0),
                    (ParamId::HighGainDb, -24.0),
                    (ParamId::CompThresholdDb, -60.0),
                    (ParamId::CompRatio, 20.0),
                    (ParamId::CompReleaseMs, 500.0),
                    (ParamId::CompKneeDb, 24.0 * (k as f32 / 3.0)),
                    (ParamId::CompMakeupDb, 6.0 * k as f32),
                    (ParamId::CompDetector, (k % 2) as f32),
                    (ParamId::CompLink, 1.0 - k as f32 / 3.0),
                ] {
                    g.set(k, id, v);
                }
            }
            g.reset();
            let q = 128;
            let mut l = vec![F4::splat(0.0); q];
            let mut r = vec![F4::splat(0.0); q];
            l[0] = F4::splat(1.0);
            r[0] = F4::from_array([1.0, 0.5, 0.0, -1.0]);
            let quanta = (10.0 * sr / q as f32) as usize;
            let mut last_nonzero = 0;
            for n in 0..quanta {
                g.process(&mut l, &mut r);
                let mut any = false;
                for v in l.iter().chain(r.iter()) {
                    for x in v.to_array() {
                        assert!(x == 0.0 || x.is_normal(), "subnormal {x:e} at {sr} Hz");
                        any |= x != 0.0;
                    }
                }
                for k in 0..LANES {
                    assert!(g.eq().lane_state_is_clean(k), "EQ state at {sr} Hz");
                }
                if any {
                    last_nonzero = n;
                }
                l.iter_mut()
                    .chain(r.iter_mut())
                    .for_each(|v| *v = F4::splat(0.0));
            }
            assert!(
                last_nonzero > 0 && last_nonzero < quanta - 10,
                "{sr} Hz: {last_nonzero}"
            );
            for k in 0..LANES {
                assert!(g.eq().lane_state_is_silent(k));
                assert_eq!(g.compressor().reduction_db(k), 0.0);
                assert!(g.lane_is_quiet(k));
            }
            assert!(l.iter().chain(r.iter()).all(|v| v.to_array() == [0.0; 4]));
        }
    }

    #[test]
    fn a_paused_lane_resumes_where_it_stopped() {
        let sr = 48000.0;
        let mut rng = Rng(3);
        let frames = 12_000;
        let sig = signal(&mut rng, frames);
        let settings = [
            (ParamId::LowGainDb, 9.0),
            (ParamId::CompThresholdDb, -30.0),
            (ParamId::CompRatio, 8.0),
            (ParamId::CompDetector, 1.0),
        ];
        let silent = vec![[0.0f32; 2]; frames];
        let sigs = [sig.clone(), silent.clone(), silent.clone(), silent];
        // Reference: the signal without the paused span [4000, 6000).
        let mut g = StripGroup::new(sr);
        let mut h = StripGroup::new(sr);
        for (id, v) in settings {
            g.set(0, id, v);
            h.set(0, id, v);
        }
        g.reset();
        h.reset();
        let mut cut = sig[..4000].to_vec();
        cut.extend_from_slice(&sig[6000..]);
        cut.resize(frames, [0.0; 2]);
        let cut_sigs = [cut, sigs[1].clone(), sigs[2].clone(), sigs[3].clone()];
        let (mut rl, mut rr) = lanes_of(&cut_sigs, 0..frames);
        h.process(&mut rl[..4000], &mut rr[..4000]);
        h.set(0, ParamId::MidGainDb, 6.0); // a change made while paused
        h.process(&mut rl[4000..], &mut rr[4000..]);
        let mut out = Vec::new();
        for (a, b) in [(0, 4000), (4000, 6000), (6000, frames)] {
            g.set_lane_paused(0, (4000..6000).contains(&a));
            if a == 4000 {
                g.set(0, ParamId::MidGainDb, 6.0);
            }
            for start in (a..b).step_by(128) {
                let end = (start + 128).min(b);
                let (mut l, mut r) = lanes_of(&sigs, start..end);
                g.process(&mut l, &mut r);
                out.extend(l.iter().map(|v| v.lane(0)));
            }
        }
        assert!(out[4000..6000].iter().all(|v| *v == 0.0));
        for (i, want) in rl.iter().take(frames - 2000).enumerate() {
            let j = if i < 4000 { i } else { i + 2000 };
            assert_eq!(out[j].to_bits(), want.lane(0).to_bits(), "frame {j}");
        }
    }

    #[test]
    fn set_and_get_are_per_lane_and_ignore_foreign_ids() {
        let mut g = StripGroup::new(48000.0);
        g.set(2, ParamId::CompKneeDb, 7.0);
        g.set(9, ParamId::CompKneeDb, 3.0);
        g.set(1, ParamId::GainDb, -6.0);
        assert_eq!(g.get(2, ParamId::CompKneeDb), 7.0);
        assert_eq!(g.get(1, ParamId::CompKneeDb), 0.0);
        assert_eq!(g.get(0, ParamId::LowHz), ParamId::LowHz.spec().default);
        assert!(g.get(1, ParamId::GainDb).is_nan());
        assert!(g.get(4, ParamId::LowHz).is_nan());
    }
}
