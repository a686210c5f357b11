//! Feed-forward compressor, written once for any number of lanes
//! ([`Lanes`]): `Compressor<f32>` is one track ([`CompressorUnit`], the
//! insert), `Compressor<F4>` four tracks side by side (the channel strips,
//! `strip::StripGroup`). Both give the same bits per lane.
//!
//! Per frame and channel `c` (all levels and gains in log2 units of
//! amplitude, 1 = 6.02 dB):
//!
//! 1. Detector input, linear: `d_c = link·max(|L|, |R|) + (1 − link)·|c|`.
//!    With `link = 1` both channels see the stereo peak (`1·p + 0·|c|` is
//!    exactly `p`); with `link = 0` each channel sees itself.
//! 2. Level: peak, `ℓ = log2 d_c`; or RMS, `ℓ = ½·log2 m_c` with the mean
//!    square `m_c ← d_c² + β·(m_c − d_c²)`, a one-pole of [`RMS_TIME_MS`]
//!    (`d_c` clamped at [`RMS_INPUT_MAX`], `m_c` flushed).
//! 3. Static curve, `o = ℓ − threshold`, `s = 1/ratio − 1`, knee width `w`:
//!    target reduction `s·o` for `o > w/2`, `s·(o + w/2)²/(2w)` for
//!    `|o| ≤ w/2`, 0 below (Giannoulis, Massberg and Reiss, "Digital Dynamic
//!    Range Compressor Design", JAES 2012, eq. 4). `w = 0` is the hard knee.
//! 4. Smoothing: `r ← t + k·(r − t)` with `k` the attack coefficient while
//!    the reduction grows (`t < r`) and the release coefficient otherwise
//!    (the paper's smooth branching detector, run on the gain reduction).
//!    Reductions smaller than [`REDUCTION_FLOOR_LOG2`] are exactly zero.
//! 5. Output `c · 2^(r + makeup)`, flushed. Makeup ramps linearly in dB.
//!
//! The steady-state curve is the textbook `out = thr + (in − thr)/ratio`
//! above the knee. Levels come from [`crate::math::fast_log2`] (absolute
//! error below 1.2e-6 dB + 7e-7·|level dB|) and gains from
//! [`crate::math::fast_exp2`] (relative error below 1.5e-6, 1.3e-5 dB); the
//! lane versions give the same bits.
//!
//! Settings apply at once; the smoothing in step 4 keeps threshold, ratio,
//! knee, link and detector changes from stepping the gain. The RMS mean
//! square runs only while a lane detects RMS with a ratio above 1 and is
//! zero otherwise, so switching to RMS starts from silence: the gain
//! recovers towards unity with the release time while the mean square
//! builds up over ~10 ms (a brief, smooth swell, never a click).
//!
//! Work that changes nothing is skipped per block: with ratio 1, no
//! reduction left and no makeup in every lane the block is untouched; when
//! every lane is fully linked with equal channel states one detector serves
//! both channels; the mean square is only computed when a lane needs it.
//! Each shortcut gives the same bits as the full computation, so a lane's
//! output never depends on the other lanes.

use crate::config::{ConfigError, QUIET};
use crate::math::DB_PER_LOG2;
use crate::simd::{LaneRamp, Lanes};
use crate::smooth::steps_for_ms;
use crate::spec::{ParamSpec, Scope, FLAG_STEPPED};
use crate::units::Unit;

/// Gain reductions smaller than this (in log2 units: 6e-6 dB, a gain within
/// 7e-7 of unity) are no reduction at all: the reduction is set to exactly
/// zero on the sample it rises above −1e-6, so a release ends in exactly
/// unity gain and the state never decays towards the subnormal range.
pub const REDUCTION_FLOOR_LOG2: f32 = 1e-6;

/// Frames per chunk of the linked compressor's two passes
/// (`Compressor::run_linked`).
const LINKED_CHUNK: usize = 32;

/// Time constant of the RMS detector's mean square, ms.
pub const RMS_TIME_MS: f32 = 10.0;

/// Largest detector input the RMS detector squares (+360 dBFS): larger
/// (overflowing) samples count as this, so the mean square stays finite.
pub const RMS_INPUT_MAX: f32 = 1e18;

/// One-pole coefficient `e^(−1/(time·rate))` (0 for a zero time).
pub fn one_pole_coef(time_ms: f32, sample_rate_hz: f32) -> f32 {
    let samples = time_ms as f64 * 1e-3 * sample_rate_hz as f64;
    if samples > 0.0 {
        (-1.0 / samples).exp() as f32
    } else {
        0.0
    }
}

/// Per-lane settings, in the form the sample loop uses.
#[derive(Clone, Copy, Debug)]
struct Settings<L> {
    threshold_log2: L,
    /// `1/ratio − 1` (0 for ratio 1, towards −1 for high ratios).
    slope: L,
    /// Half the knee width, log2 units.
    half_knee: L,
    /// `1/(2·knee width)`; 0 for a hard knee.
    knee_coef: L,
    attack_coef: L,
    release_coef: L,
    link: L,
    /// `1 − link`.
    own: L,
    /// 1 where the lane runs its mean square (RMS detector, ratio > 1), else 0.
    rms_active: L,
    /// 0.5 where `rms_active` (½·log2 of the mean square), else 1.
    level_scale: L,
}

/// Everything one lane of a [`Compressor`] carries that changes while it
/// runs, for [`Compressor::save_lane`].
#[derive(Clone, Copy, Debug)]
pub struct CompressorLaneSnapshot {
    reduction: [f32; 2],
    mean_square: [f32; 2],
    makeup: [f32; 4],
}

/// Everything one lane of a [`Compressor`] carries, its settings included,
/// for moving a track's compressor to another lane ([`Compressor::lane`]).
#[derive(Clone, Copy, Debug)]
pub struct CompressorLane {
    /// The [`Settings`] fields in declaration order, then `rms_on`.
    settings: [f32; 11],
    running: CompressorLaneSnapshot,
}

/// The compressor on `L::COUNT` independent stereo tracks.
#[derive(Clone, Debug)]
pub struct Compressor<L: Lanes> {
    sample_rate_hz: f32,
    rms_coef: f32,
    s: Settings<L>,
    /// 1 where the lane's detector is RMS (whatever the ratio).
    rms_on: L,
    /// Makeup gain, log2 units.
    makeup: LaneRamp<L>,
    /// Smoothed gain reduction per channel, log2 units (≤ 0).
    reduction: [L; 2],
    /// RMS detector mean square per channel.
    mean_square: [L; 2],
}

impl<L: Lanes> Compressor<L> {
    /// A compressor at `sample_rate_hz`, every lane at threshold 0 dBFS,
    /// ratio 1 (off), hard knee, attack 3 ms, release 100 ms, no makeup,
    /// peak detector, fully linked.
    pub fn new(sample_rate_hz: f32) -> Self {
        let z = L::splat(0.0);
        let one = L::splat(1.0);
        Compressor {
            sample_rate_hz,
            rms_coef: one_pole_coef(RMS_TIME_MS, sample_rate_hz),
            s: Settings {
                threshold_log2: z,
                slope: z,
                half_knee: z,
                knee_coef: z,
                attack_coef: L::splat(one_pole_coef(3.0, sample_rate_hz)),
                release_coef: L::splat(one_pole_coef(100.0, sample_rate_hz)),
                link: one,
                own: z,
                rms_active: z,
                level_scale: one,
            },
            rms_on: z,
            makeup: LaneRamp::new(0.0),
            reduction: [z; 2],
            mean_square: [z; 2],
        }
    }

    /// Threshold of lane `k` in dBFS.
    pub fn set_threshold_db(&mut self, k: usize, db: f32) {
        self.s.threshold_log2 = self.s.threshold_log2.with_lane(k, db / DB_PER_LOG2);
    }

    /// Ratio of lane `k` (≥ 1; 1 disables compression).
    pub fn set_ratio(&mut self, k: usize, ratio: f32) {
        self.s.slope = self.s.slope.with_lane(k, 1.0 / ratio.max(1.0) - 1.0);
        self.update_rms(k);
    }

    /// Knee width of lane `k` in dB, centred on the threshold (0: hard knee).
    pub fn set_knee_db(&mut self, k: usize, db: f32) {
        let w = db.max(0.0) / DB_PER_LOG2;
        let coef = if w > 0.0 { 0.5 / w } else { 0.0 };
        self.s.half_knee = self.s.half_knee.with_lane(k, 0.5 * w);
        self.s.knee_coef = self.s.knee_coef.with_lane(k, coef);
    }

    /// Attack time constant of lane `k` in ms.
    pub fn set_attack_ms(&mut self, k: usize, ms: f32) {
        let c = one_pole_coef(ms, self.sample_rate_hz);
        self.s.attack_coef = self.s.attack_coef.with_lane(k, c);
    }

    /// Release time constant of lane `k` in ms.
    pub fn set_release_ms(&mut self, k: usize, ms: f32) {
        let c = one_pole_coef(ms, self.sample_rate_hz);
        self.s.release_coef = self.s.release_coef.with_lane(k, c);
    }

    /// Makeup gain of lane `k` in dB, ramped linearly (in dB) over `steps` frames.
    pub fn set_makeup_db(&mut self, k: usize, db: f32, steps: u32) {
        self.makeup.set_target(k, db / DB_PER_LOG2, steps);
    }

    /// Detector of lane `k`: RMS (`true`) or peak.
    pub fn set_rms(&mut self, k: usize, rms: bool) {
        self.rms_on = self.rms_on.with_lane(k, if rms { 1.0 } else { 0.0 });
        self.update_rms(k);
    }

    /// Stereo link of lane `k`, 0 (channels independent) to 1 (both on the
    /// louder channel).
    pub fn set_link(&mut self, k: usize, link: f32) {
        let link = link.clamp(0.0, 1.0);
        self.s.link = self.s.link.with_lane(k, link);
        self.s.own = self.s.own.with_lane(k, 1.0 - link);
    }

    fn update_rms(&mut self, k: usize) {
        let active = self.rms_on.lane(k) != 0.0 && self.s.slope.lane(k) != 0.0;
        let (a, scale) = if active { (1.0, 0.5) } else { (0.0, 1.0) };
        self.s.rms_active = self.s.rms_active.with_lane(k, a);
        self.s.level_scale = self.s.level_scale.with_lane(k, scale);
        if !active {
            for m in self.mean_square.iter_mut() {
                *m = m.with_lane(k, 0.0);
            }
        }
    }

    /// Lane `k`'s gain reduction in dB (≤ 0; the larger of the two channels').
    pub fn reduction_db(&self, k: usize) -> f32 {
        self.reduction[0].lane(k).min(self.reduction[1].lane(k)) * DB_PER_LOG2
    }

    /// True when lane `k` holds no gain reduction and its RMS level is
    /// below −120 dBFS: resetting it would change nothing audible.
    pub fn lane_is_quiet(&self, k: usize) -> bool {
        self.reduction.iter().all(|r| r.lane(k).abs() < QUIET)
            && self.mean_square.iter().all(|m| m.lane(k) < QUIET * QUIET)
    }

    /// Clear lane `k`'s detector state and jump its makeup ramp to its target.
    pub fn reset_lane(&mut self, k: usize) {
        for v in self.reduction.iter_mut().chain(self.mean_square.iter_mut()) {
            *v = v.with_lane(k, 0.0);
        }
        self.makeup.snap(k);
    }

    /// [`Compressor::reset_lane`] for every lane.
    pub fn reset(&mut self) {
        for k in 0..L::COUNT {
            self.reset_lane(k);
        }
    }

    /// Lane `k`'s running state.
    pub fn save_lane(&self, k: usize) -> CompressorLaneSnapshot {
        CompressorLaneSnapshot {
            reduction: self.reduction.map(|v| v.lane(k)),
            mean_square: self.mean_square.map(|v| v.lane(k)),
            makeup: self.makeup.lane_state(k),
        }
    }

    /// Put back what [`Compressor::save_lane`] returned.
    pub fn restore_lane(&mut self, k: usize, snap: &CompressorLaneSnapshot) {
        for (v, x) in self.reduction.iter_mut().zip(snap.reduction) {
            *v = v.with_lane(k, x);
        }
        for (v, x) in self.mean_square.iter_mut().zip(snap.mean_square) {
            *v = v.with_lane(k, x);
        }
        self.makeup.set_lane_state(k, snap.makeup);
    }

    /// Everything lane `k` carries, settings included.
    pub fn lane(&self, k: usize) -> CompressorLane {
        let s = &self.s;
        CompressorLane {
            settings: [
                s.threshold_log2,
                s.slope,
                s.half_knee,
                s.knee_coef,
                s.attack_coef,
                s.release_coef,
                s.link,
                s.own,
                s.rms_active,
                s.level_scale,
                self.rms_on,
            ]
            .map(|v| v.lane(k)),
            running: self.save_lane(k),
        }
    }

    /// Make lane `k` what [`Compressor::lane`] returned: the same settings
    /// and state, so it continues exactly as the lane it came from.
    pub fn set_lane(&mut self, k: usize, lane: &CompressorLane) {
        let s = &mut self.s;
        let fields = [
            &mut s.threshold_log2,
            &mut s.slope,
            &mut s.half_knee,
            &mut s.knee_coef,
            &mut s.attack_coef,
            &mut s.release_coef,
            &mut s.link,
            &mut s.own,
            &mut s.rms_active,
            &mut s.level_scale,
            &mut self.rms_on,
        ];
        for (f, v) in fields.into_iter().zip(lane.settings) {
            *f = f.with_lane(k, v);
        }
        self.restore_lane(k, &lane.running);
    }

    /// True when processing would leave every lane's samples untouched.
    #[allow(clippy::float_cmp)]
    fn is_idle(&self) -> bool {
        (0..L::COUNT).all(|k| {
            self.s.slope.lane(k) == 0.0
                && self.reduction[0].lane(k) == 0.0
                && self.reduction[1].lane(k) == 0.0
                && self.mean_square[0].lane(k) == 0.0
                && self.mean_square[1].lane(k) == 0.0
                && self.makeup.lane_state(k)[1] == 0.0
                && self.makeup.lane_state(k)[3] == 0.0
        })
    }

    /// True when every lane is fully linked with equal channel states, so
    /// the left channel's detector computes both.
    #[allow(clippy::float_cmp)]
    fn is_linked(&self) -> bool {
        (0..L::COUNT).all(|k| {
            self.s.link.lane(k) == 1.0
                && self.reduction[0].lane(k) == self.reduction[1].lane(k)
                && self.mean_square[0].lane(k) == self.mean_square[1].lane(k)
        })
    }

    /// Compress a block in place: frame `i` is `left[i]`, `right[i]`.
    /// Samples should be flushed ([`crate::math::flush`]); outputs are.
    pub fn process(&mut self, left: &mut [L], right: &mut [L]) {
        let n = left.len().min(right.len());
        let (left, right) = (&mut left[..n], &mut right[..n]);
        if n == 0 || self.is_idle() {
            return;
        }
        let linked = self.is_linked();
        let rms = (0..L::COUNT).any(|k| self.s.rms_active.lane(k) != 0.0);
        let ramp = self.makeup.is_active();
        match (linked, rms, ramp) {
            (true, false, false) => self.run_linked::<false, false>(left, right),
            (true, false, true) => self.run_linked::<false, true>(left, right),
            (true, true, false) => self.run_linked::<true, false>(left, right),
            (true, true, true) => self.run_linked::<true, true>(left, right),
            (false, false, false) => self.run::<false, false>(left, right),
            (false, false, true) => self.run::<false, true>(left, right),
            (false, true, false) => self.run::<true, false>(left, right),
            (false, true, true) => self.run::<true, true>(left, right),
        }
    }

    /// [`Compressor::run`] with both channels on the left channel's
    /// detector, in two passes over chunks of [`LINKED_CHUNK`] frames: each
    /// level's target reduction, then the smoothing recurrence with the
    /// gains (whose work overlaps the recurrence's latency). The arithmetic
    /// per frame is the same as in one pass (the same bits); each pass
    /// keeps few values live, which is what a JIT without enough vector
    /// registers needs (about a quarter less time under V8).
    #[inline(always)]
    fn run_linked<const RMS: bool, const RAMP: bool>(&mut self, left: &mut [L], right: &mut [L]) {
        let s = self.s;
        let zero = L::splat(0.0);
        let rms_mask = s.rms_active.gt(zero);
        let beta = L::splat(self.rms_coef);
        let mut red = self.reduction[0];
        let mut ms = self.mean_square[0];
        let mut mk = self.makeup;
        let mut makeup = mk.current();
        let mut chunk = [zero; LINKED_CHUNK];
        for (cl, cr) in left
            .chunks_mut(LINKED_CHUNK)
            .zip(right.chunks_mut(LINKED_CHUNK))
        {
            let targets = &mut chunk[..cl.len()];
            for ((t, l), r) in targets.iter_mut().zip(cl.iter()).zip(cr.iter()) {
                let peak = l.abs().max_magnitude(r.abs());
                let level = detect::<L, RMS>(peak, &mut ms, beta, rms_mask, &s);
                *t = static_curve(level, &s);
            }
            for ((t, l), r) in targets.iter().zip(cl.iter_mut()).zip(cr.iter_mut()) {
                if RAMP {
                    makeup = mk.tick();
                }
                red = smooth(red, *t, &s);
                let g = (red + makeup).fast_exp2();
                *l = (*l * g).flush();
                *r = (*r * g).flush();
            }
        }
        self.reduction = [red, red];
        self.mean_square = [ms, ms];
        self.makeup = mk;
    }

    /// [`Compressor::process`] with a detector per channel, frame by frame.
    #[inline(always)]
    fn run<const RMS: bool, const RAMP: bool>(&mut self, left: &mut [L], right: &mut [L]) {
        let s = self.s;
        let zero = L::splat(0.0);
        let rms_mask = s.rms_active.gt(zero);
        let beta = L::splat(self.rms_coef);
        let [mut red_l, mut red_r] = self.reduction;
        let [mut ms_l, mut ms_r] = self.mean_square;
        let mut mk = self.makeup;
        let mut makeup = mk.current();
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let (xl, xr) = (*l, *r);
            if RAMP {
                makeup = mk.tick();
            }
            let (al, ar) = (xl.abs(), xr.abs());
            let peak = al.max_magnitude(ar);
            let dl = s.link * peak + s.own * al;
            let dr = s.link * peak + s.own * ar;
            let level_l = detect::<L, RMS>(dl, &mut ms_l, beta, rms_mask, &s);
            let level_r = detect::<L, RMS>(dr, &mut ms_r, beta, rms_mask, &s);
            red_l = smooth(red_l, static_curve(level_l, &s), &s);
            red_r = smooth(red_r, static_curve(level_r, &s), &s);
            *l = (xl * (red_l + makeup).fast_exp2()).flush();
            *r = (xr * (red_r + makeup).fast_exp2()).flush();
        }
        self.reduction = [red_l, red_r];
        self.mean_square = [ms_l, ms_r];
        self.makeup = mk;
    }
}

/// Level in log2 units from the detector input `d`: `log2 d`, or in RMS
/// lanes `½·log2` of the updated mean square.
#[inline(always)]
fn detect<L: Lanes, const RMS: bool>(
    d: L,
    ms: &mut L,
    beta: L,
    rms_mask: L::Mask,
    s: &Settings<L>,
) -> L {
    if RMS {
        // Clamped at +360 dBFS so that the square stays finite.
        let d = d.min(L::splat(RMS_INPUT_MAX));
        let d2 = d * d;
        let zero = L::splat(0.0);
        *ms = L::select(rms_mask, (d2 + beta * (*ms - d2)).flush(), zero);
        L::select(rms_mask, *ms, d).fast_log2() * s.level_scale
    } else {
        d.fast_log2()
    }
}

/// Target gain reduction (≤ 0, log2 units) for `level`: hard above the
/// knee, quadratic inside it, zero below.
#[inline(always)]
fn static_curve<L: Lanes>(level: L, s: &Settings<L>) -> L {
    let zero = L::splat(0.0);
    let over = level - s.threshold_log2;
    let hard = over * s.slope;
    let a = over + s.half_knee;
    let soft = (s.slope * (a * a) * s.knee_coef).keep(a.gt(zero));
    L::select(over.gt(s.half_knee), hard, soft)
}

/// One step of the smooth-branching detector on the reduction, snapped to
/// exactly zero above −[`REDUCTION_FLOOR_LOG2`].
#[inline(always)]
fn smooth<L: Lanes>(r: L, target: L, s: &Settings<L>) -> L {
    let coef = L::select(target.lt(r), s.attack_coef, s.release_coef);
    let r = target + coef * (r - target);
    r.keep(r.lt(L::splat(-REDUCTION_FLOOR_LOG2)))
}

const INSERT_MAKEUP_SMOOTHING_MS: f32 = 10.0;

/// Rows of [`CompressorUnit::PARAMS`], in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum CompressorParam {
    /// `compressor_threshold_db`.
    ThresholdDb = 0,
    /// `compressor_ratio`.
    Ratio,
    /// `compressor_knee_db`.
    KneeDb,
    /// `compressor_attack_ms`.
    AttackMs,
    /// `compressor_release_ms`.
    ReleaseMs,
    /// `compressor_makeup_db`.
    MakeupDb,
    /// `compressor_detector`.
    Detector,
    /// `compressor_link`.
    Link,
}

impl CompressorParam {
    /// Every row, in table order.
    pub const ALL: [CompressorParam; 8] = [
        CompressorParam::ThresholdDb,
        CompressorParam::Ratio,
        CompressorParam::KneeDb,
        CompressorParam::AttackMs,
        CompressorParam::ReleaseMs,
        CompressorParam::MakeupDb,
        CompressorParam::Detector,
        CompressorParam::Link,
    ];
}

/// Route one parameter change to lane `k` of `c`; `makeup_steps` is the
/// makeup ramp length in frames.
pub fn apply_param<L: Lanes>(
    c: &mut Compressor<L>,
    k: usize,
    p: CompressorParam,
    value: f32,
    makeup_steps: u32,
) {
    match p {
        CompressorParam::ThresholdDb => c.set_threshold_db(k, value),
        CompressorParam::Ratio => c.set_ratio(k, value),
        CompressorParam::KneeDb => c.set_knee_db(k, value),
        CompressorParam::AttackMs => c.set_attack_ms(k, value),
        CompressorParam::ReleaseMs => c.set_release_ms(k, value),
        CompressorParam::MakeupDb => c.set_makeup_db(k, value, makeup_steps),
        CompressorParam::Detector => c.set_rms(k, value >= 0.5),
        CompressorParam::Link => c.set_link(k, value),
    }
}

/// The compressor insert's rows of the parameter table, in
/// [`CompressorParam`] order.
pub const PARAMS: [ParamSpec; 8] = [
    ParamSpec {
        name: "compressor_threshold_db",
        unit: "dB",
        scope: Scope::Insert,
        min: -60.0,
        max: 0.0,
        default: -18.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Level above which the compressor reduces gain, -60 to 0 dBFS.",
    },
    ParamSpec {
        name: "compressor_ratio",
        unit: ":1",
        scope: Scope::Insert,
        min: 1.0,
        max: 20.0,
        default: 4.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Compression ratio above the threshold, 1 (off) to 20.",
    },
    ParamSpec {
        name: "compressor_knee_db",
        unit: "dB",
        scope: Scope::Insert,
        min: 0.0,
        max: 24.0,
        default: 6.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Width of the soft knee centred on the threshold, 0 (hard) to 24 dB.",
    },
    ParamSpec {
        name: "compressor_attack_ms",
        unit: "ms",
        scope: Scope::Insert,
        min: 0.1,
        max: 200.0,
        default: 10.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Attack: time constant of rising gain reduction, 0.1 to 200 ms.",
    },
    ParamSpec {
        name: "compressor_release_ms",
        unit: "ms",
        scope: Scope::Insert,
        min: 5.0,
        max: 2000.0,
        default: 100.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Release: time constant of falling gain reduction, 5 to 2000 ms.",
    },
    ParamSpec {
        name: "compressor_makeup_db",
        unit: "dB",
        scope: Scope::Insert,
        min: 0.0,
        max: 24.0,
        default: 0.0,
        smoothing_ms: INSERT_MAKEUP_SMOOTHING_MS,
        flags: 0,
        doc: "Gain added after compression, 0 to 24 dB.",
    },
    ParamSpec {
        name: "compressor_detector",
        unit: "",
        scope: Scope::Insert,
        min: 0.0,
        max: 1.0,
        default: 0.0,
        smoothing_ms: 0.0,
        flags: FLAG_STEPPED,
        doc: "Level detector: 0 peak, 1 RMS over 10 ms.",
    },
    ParamSpec {
        name: "compressor_link",
        unit: "",
        scope: Scope::Insert,
        min: 0.0,
        max: 1.0,
        default: 1.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Stereo link: 0 each channel on its own level, 1 both on the louder channel.",
    },
];

/// The compressor as an insert unit: one track, [`Compressor<f32>`].
#[derive(Clone, Debug)]
pub struct CompressorUnit {
    comp: Compressor<f32>,
    values: [f32; 8],
    makeup_steps: u32,
}

impl CompressorUnit {
    /// The unit's rows of the parameter table ([`PARAMS`]).
    pub const PARAMS: [ParamSpec; 8] = PARAMS;

    /// A compressor at `sample_rate_hz` with every row at its default.
    /// It allocates nothing, so it never fails; the `Result` matches the
    /// other units.
    pub fn new(sample_rate_hz: f32, _max_block_frames: usize) -> Result<Self, ConfigError> {
        let mut u = CompressorUnit {
            comp: Compressor::new(sample_rate_hz),
            values: [0.0; 8],
            makeup_steps: steps_for_ms(INSERT_MAKEUP_SMOOTHING_MS, sample_rate_hz),
        };
        for (i, p) in Self::PARAMS.iter().enumerate() {
            u.set(i, p.default);
        }
        u.comp.reset();
        Ok(u)
    }

    /// Set row `index` of [`CompressorUnit::PARAMS`] to an in-range `value`
    /// (other indices are ignored).
    pub fn set(&mut self, index: usize, value: f32) {
        if let (Some(p), Some(v)) = (CompressorParam::ALL.get(index), self.values.get_mut(index)) {
            *v = value;
            apply_param(&mut self.comp, 0, *p, value, self.makeup_steps);
        }
    }

    /// The last value set for row `index` (NaN for an unknown row).
    pub fn get(&self, index: usize) -> f32 {
        self.values.get(index).copied().unwrap_or(f32::NAN)
    }

    /// Compress a stereo block in place. Input samples that are NaN,
    /// infinite or subnormal count as silence.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        for v in left.iter_mut().chain(right.iter_mut()) {
            *v = crate::math::flush(*v);
        }
        self.comp.process(left, right);
    }

    /// Clear the detector state and jump the makeup ramp to its target.
    pub fn reset(&mut self) {
        self.comp.reset();
    }

    /// True when no gain reduction is pending and the RMS level is below
    /// −120 dBFS (the output of silence is silence either way).
    pub fn is_quiet(&self) -> bool {
        self.comp.lane_is_quiet(0)
    }

    /// 0: the compressor adds no delay.
    pub fn tail_frames(&self) -> usize {
        0
    }

    /// The compressor, for inspection.
    pub fn compressor(&self) -> &Compressor<f32> {
        &self.comp
    }
}

/// A [`CompressorUnit`] as a boxed insert unit (for [`crate::units::UNITS`]).
pub fn make(sample_rate_hz: f32, max_block_frames: usize) -> Result<Box<dyn Unit>, ConfigError> {
    Ok(Box::new(CompressorUnit::new(
        sample_rate_hz,
        max_block_frames,
    )?))
}

forward_unit!(CompressorUnit);
