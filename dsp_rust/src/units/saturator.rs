//! Saturator: drive, a static waveshaper run at 4× the sample rate, dry/wet
//! mix and output gain.
//!
//! Per channel and frame:
//!
//! 1. `d = clamp(x·drive, ±65536)` (the clamp only keeps absurd inputs
//!    finite; both curves are flat far below it);
//! 2. 4× oversampling through two halfband stages
//!    ([`halfband::STAGE_2X`] then [`halfband::STAGE_4X`]);
//! 3. the curve on each of the four fast samples;
//! 4. back down through the same stages (plus one sample of delay at 2× so
//!    the total delay is a whole number of frames);
//! 5. `out = output·((1 − mix)·dry + mix·wet)`, where `dry` is the input
//!    delayed by [`LATENCY_FRAMES`] so that it lines up with the wet path
//!    sample for sample (both paths are linear phase: mixing makes no comb).
//!
//! The curves (both with slope 1 at the origin, so switching them leaves
//! quiet material at the same level):
//!
//! * `0`, soft clip: `t·(27 + t²)/(27 + 9t²)` with `t = clamp(x, ±3)`, a
//!   rational approximation of `tanh` (within 0.024 of it everywhere),
//!   reaching ±1 with zero slope at |x| = 3, so the clamp adds no corner;
//!   odd harmonics falling off smoothly with level.
//! * `1`, cubic soft clip: `t − (4/27)·t³` with `t = clamp(x, ±1.5)`: a
//!   harder knee that reaches ±1 with zero slope at |x| = 1.5 (input
//!   +3.5 dB) and is exactly flat beyond; symmetric, so no DC.
//!
//! Aliasing: of everything the curve creates below `3.6·fs` (172.8 kHz at
//! 48 kHz), nothing reaches the passband `[0, 0.4·fs]` at more than −81 dB
//! (components near `0.5·fs`, `1.5·fs` and `2.5·fs` land between `0.4·fs` and
//! `0.5·fs`, partly attenuated). Only harmonics above `3.6·fs` fold into
//! the passband at full level; the tests measure the net effect.
//!
//! Drive, mix and output ramp linearly (drive and output as linear gains)
//! per sample over [`PARAM_SMOOTHING_MS`]; a curve change crossfades the two
//! curves' outputs over [`CURVE_CROSSFADE_MS`].
//!
//! Blocks are processed in passes of up to 32 frames, stage by stage (the
//! filters vectorise). Ramps still advance per sample and every filter adds
//! each output's terms in a fixed order, so the output does not depend on
//! the block size, bit for bit.

use crate::config::ConfigError;
use crate::dsp::halfband::{self, Downsampler, Upsampler};
use crate::dsp::quiet::QuietFrames;
use crate::math::{db_to_gain, flush};
use crate::smooth::{steps_for_ms, Linear};
use crate::spec::{ParamSpec, Scope, FLAG_STEPPED};
use crate::units::Unit;

/// Ramp time of drive, mix and output changes, ms.
pub const PARAM_SMOOTHING_MS: f32 = 20.0;

/// Crossfade time of a curve change, ms.
pub const CURVE_CROSSFADE_MS: f32 = 10.0;

/// Delay of the whole unit, frames: `2·12 − 1` for the 2× stage pair plus
/// `(2·4 − 1 + 1)/2` for the 4× stage pair and its one-sample alignment.
pub const LATENCY_FRAMES: usize = 27;

/// Frames after which an input sample no longer affects the output: the
/// span of the cascaded filters' impulse response (the output is exactly
/// zero this long after the input fell silent).
pub const TAIL_FRAMES: usize = 57;

/// Driven input beyond ±this is clamped before oversampling.
pub const DRIVEN_LIMIT: f32 = 65536.0;

/// The unit's output stays below −120 dBFS while every input sample is below
/// this: the largest small-signal gain is drive 63.1 × output 3.98 × filter
/// overshoot, well under 512.
const QUIET_INPUT: f32 = 1e-6 / 512.0;

/// Index of `sat_drive_db` in [`PARAMS`].
pub const DRIVE_DB: usize = 0;
/// Index of `sat_curve` in [`PARAMS`].
pub const CURVE: usize = 1;
/// Index of `sat_mix` in [`PARAMS`].
pub const MIX: usize = 2;
/// Index of `sat_output_db` in [`PARAMS`].
pub const OUTPUT_DB: usize = 3;

/// The saturator's parameters, in index order.
pub const PARAMS: [ParamSpec; 4] = [
    ParamSpec {
        name: "sat_drive_db",
        unit: "dB",
        scope: Scope::Insert,
        min: 0.0,
        max: 36.0,
        default: 0.0,
        smoothing_ms: PARAM_SMOOTHING_MS,
        flags: 0,
        doc: "Saturator drive: gain into the curve, 0 to 36 dB.",
    },
    ParamSpec {
        name: "sat_curve",
        unit: "",
        scope: Scope::Insert,
        min: 0.0,
        max: 1.0,
        default: 0.0,
        smoothing_ms: CURVE_CROSSFADE_MS,
        flags: FLAG_STEPPED,
        doc: "Saturator curve, 0 (tanh-like soft clip) or 1 (cubic soft clip, harder knee); changes crossfade.",
    },
    ParamSpec {
        name: "sat_mix",
        unit: "",
        scope: Scope::Insert,
        min: 0.0,
        max: 1.0,
        default: 1.0,
        smoothing_ms: PARAM_SMOOTHING_MS,
        flags: 0,
        doc: "Saturator dry/wet mix, 0 (dry only, delayed to stay aligned) to 1 (saturated only).",
    },
    ParamSpec {
        name: "sat_output_db",
        unit: "dB",
        scope: Scope::Insert,
        min: -24.0,
        max: 12.0,
        default: 0.0,
        smoothing_ms: PARAM_SMOOTHING_MS,
        flags: 0,
        doc: "Saturator output gain after the mix, -24 to +12 dB.",
    },
];

/// Curve 0: `t·(27 + t²)/(27 + 9t²)`, `t = clamp(x, ±3)`.
#[inline(always)]
pub fn soft_clip(x: f32) -> f32 {
    let t = x.clamp(-3.0, 3.0);
    let t2 = t * t;
    t * (27.0 + t2) / (27.0 + 9.0 * t2)
}

/// Curve 1: `t − (4/27)·t³`, `t = clamp(x, ±1.5)`.
#[inline(always)]
pub fn cubic_clip(x: f32) -> f32 {
    let t = x.clamp(-1.5, 1.5);
    t - (4.0 / 27.0) * t * t * t
}

/// Frames per processing pass: the 4× buffers hold `4·FRAMES_PER_PASS`
/// samples.
const FRAMES_PER_PASS: usize = 32;

/// Which curve a pass runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CurveMode {
    Soft,
    Cubic,
    /// `(1 − a)·soft + a·cubic`; at `a` = 0 or 1 exactly the same bits as
    /// the single curve (`0·x + y = y`).
    Blend,
}

/// One channel's oversampling chain.
#[derive(Clone, Copy, Debug)]
struct Chain {
    up2: Upsampler,
    up4: Upsampler,
    down4: Downsampler,
    down2: Downsampler,
    /// The previous 2×-rate output of the 4× stage (a one-sample delay).
    held: f32,
}

impl Chain {
    fn new() -> Self {
        Chain {
            up2: Upsampler::new(halfband::STAGE_2X),
            up4: Upsampler::new(halfband::STAGE_4X),
            down4: Downsampler::new(halfband::STAGE_4X),
            down2: Downsampler::new(halfband::STAGE_2X),
            held: 0.0,
        }
    }

    /// The wet samples `y` for the driven inputs `d` (at most
    /// [`FRAMES_PER_PASS`]), the curve chosen by `curve` (`a` the per-frame
    /// crossfade position when blending).
    #[inline(always)]
    fn run(&mut self, d: &[f32], curve: CurveMode, a: &[f32], y: &mut [f32]) {
        let m = d.len().min(y.len()).min(FRAMES_PER_PASS);
        let mut v = [0.0f32; 2 * FRAMES_PER_PASS];
        let mut w = [0.0f32; 4 * FRAMES_PER_PASS];
        let mut z = [0.0f32; 2 * FRAMES_PER_PASS + 1];
        self.up2.process_block(&d[..m], &mut v[..2 * m]);
        self.up4.process_block(&v[..2 * m], &mut w[..4 * m]);
        let w = &mut w[..4 * m];
        match curve {
            CurveMode::Soft => w.iter_mut().for_each(|x| *x = soft_clip(*x)),
            CurveMode::Cubic => w.iter_mut().for_each(|x| *x = cubic_clip(*x)),
            CurveMode::Blend => {
                for (quad, a) in w.chunks_exact_mut(4).zip(a) {
                    let b = 1.0 - *a;
                    for x in quad.iter_mut() {
                        *x = b * soft_clip(*x) + *a * cubic_clip(*x);
                    }
                }
            }
        }
        // One 2×-rate sample of delay between the stages.
        z[0] = self.held;
        self.down4.process_block(w, &mut z[1..2 * m + 1]);
        self.held = z[2 * m];
        self.down2.process_block(&z[..2 * m], &mut y[..m]);
    }

    fn reset(&mut self) {
        *self = Chain::new();
    }

    fn is_silent(&self) -> bool {
        self.up2.is_silent()
            && self.up4.is_silent()
            && self.down4.is_silent()
            && self.down2.is_silent()
            && self.held == 0.0
    }
}

/// The saturator unit (stereo, channels independent).
#[derive(Clone, Debug)]
pub struct Saturator {
    steps: u32,
    curve_steps: u32,
    values: [f32; 4],
    drive: Linear,
    /// 0 = curve 0, 1 = curve 1; between: a crossfade.
    curve_mix: Linear,
    mix: Linear,
    output: Linear,
    left: Chain,
    right: Chain,
    dry_left: [f32; LATENCY_FRAMES],
    dry_right: [f32; LATENCY_FRAMES],
    dry_pos: usize,
    quiet: QuietFrames,
}

impl Saturator {
    /// A saturator at `sample_rate_hz` with every parameter at its default.
    /// Never fails (all state is fixed-size); the `Result` matches the other
    /// units' constructors.
    pub fn new(sample_rate_hz: f32) -> Result<Saturator, ConfigError> {
        let mut s = Saturator {
            steps: steps_for_ms(PARAM_SMOOTHING_MS, sample_rate_hz),
            curve_steps: steps_for_ms(CURVE_CROSSFADE_MS, sample_rate_hz),
            values: [0.0; 4],
            drive: Linear::new(1.0),
            curve_mix: Linear::new(0.0),
            mix: Linear::new(1.0),
            output: Linear::new(1.0),
            left: Chain::new(),
            right: Chain::new(),
            dry_left: [0.0; LATENCY_FRAMES],
            dry_right: [0.0; LATENCY_FRAMES],
            dry_pos: 0,
            quiet: QuietFrames::new(TAIL_FRAMES),
        };
        for (i, p) in PARAMS.iter().enumerate() {
            s.set(i, p.default);
        }
        s.reset();
        Ok(s)
    }

    /// Set parameter `index` of [`PARAMS`] to `value` (already clamped to
    /// the row's range); it ramps from its current value. Unknown indices
    /// are ignored.
    pub fn set(&mut self, index: usize, value: f32) {
        let steps = self.steps;
        match index {
            DRIVE_DB => self
                .drive
                .set_target(db_to_gain(value as f64) as f32, steps),
            CURVE => {
                let c = if value >= 0.5 { 1.0 } else { 0.0 };
                self.curve_mix.set_target(c, self.curve_steps);
            }
            MIX => self.mix.set_target(value, steps),
            OUTPUT_DB => self
                .output
                .set_target(db_to_gain(value as f64) as f32, steps),
            _ => return,
        }
        if let Some(v) = self.values.get_mut(index) {
            *v = value;
        }
    }

    /// The last value set for parameter `index` (0 for unknown indices).
    pub fn get(&self, index: usize) -> f32 {
        self.values.get(index).copied().unwrap_or(0.0)
    }

    /// Delay from input to output, frames (the same for dry and wet).
    pub fn latency_frames(&self) -> usize {
        LATENCY_FRAMES
    }

    /// Longest time an input sample keeps affecting the output, frames.
    pub fn tail_frames(&self) -> usize {
        TAIL_FRAMES
    }

    /// True when the last [`TAIL_FRAMES`] input frames were all below
    /// −174 dBFS: the output then stays below −120 dBFS for silent input.
    pub fn is_quiet(&self) -> bool {
        self.quiet.covers(TAIL_FRAMES)
    }

    /// Jump every ramp to its target and clear all filter state and the dry
    /// delay to exact zeros.
    pub fn reset(&mut self) {
        self.drive.snap();
        self.curve_mix.snap();
        self.mix.snap();
        self.output.snap();
        self.left.reset();
        self.right.reset();
        self.dry_left = [0.0; LATENCY_FRAMES];
        self.dry_right = [0.0; LATENCY_FRAMES];
        self.dry_pos = 0;
        self.quiet = QuietFrames::new(TAIL_FRAMES);
    }

    /// True when all filter state and the dry delay are exactly zero.
    pub fn state_is_silent(&self) -> bool {
        self.left.is_silent()
            && self.right.is_silent()
            && self
                .dry_left
                .iter()
                .chain(self.dry_right.iter())
                .all(|v| *v == 0.0)
    }

    /// Saturate a stereo block in place.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len().min(right.len());
        for (l, r) in left[..n]
            .chunks_mut(FRAMES_PER_PASS)
            .zip(right[..n].chunks_mut(FRAMES_PER_PASS))
        {
            self.pass(l, r);
        }
    }

    /// Up to [`FRAMES_PER_PASS`] frames.
    fn pass(&mut self, left: &mut [f32], right: &mut [f32]) {
        const P: usize = FRAMES_PER_PASS;
        let m = left.len().min(right.len()).min(P);
        let (left, right) = (&mut left[..m], &mut right[..m]);
        let curve = if self.curve_mix.is_active() {
            CurveMode::Blend
        } else if self.curve_mix.current() < 0.5 {
            CurveMode::Soft
        } else {
            CurveMode::Cubic
        };
        let (mut a, mut drive, mut mix, mut out) =
            ([0.0f32; P], [0.0f32; P], [0.0f32; P], [0.0f32; P]);
        for j in 0..m {
            a[j] = self.curve_mix.tick();
            drive[j] = self.drive.tick();
            mix[j] = self.mix.tick();
            out[j] = self.output.tick();
        }
        let (mut xl, mut xr) = ([0.0f32; P], [0.0f32; P]);
        let (mut dl, mut dr) = ([0.0f32; P], [0.0f32; P]);
        let mut quiet = self.quiet;
        for j in 0..m {
            xl[j] = flush(left[j]);
            xr[j] = flush(right[j]);
            quiet.frame(xl[j].abs().max(xr[j].abs()) > QUIET_INPUT);
            dl[j] = (xl[j] * drive[j]).clamp(-DRIVEN_LIMIT, DRIVEN_LIMIT);
            dr[j] = (xr[j] * drive[j]).clamp(-DRIVEN_LIMIT, DRIVEN_LIMIT);
        }
        self.quiet = quiet;
        let (mut wl, mut wr) = ([0.0f32; P], [0.0f32; P]);
        self.left.run(&dl[..m], curve, &a[..m], &mut wl[..m]);
        self.right.run(&dr[..m], curve, &a[..m], &mut wr[..m]);
        let mut pos = self.dry_pos;
        for j in 0..m {
            let (dry_l, dry_r) = match (self.dry_left.get_mut(pos), self.dry_right.get_mut(pos)) {
                (Some(sl), Some(sr)) => {
                    (core::mem::replace(sl, xl[j]), core::mem::replace(sr, xr[j]))
                }
                _ => (0.0, 0.0),
            };
            pos += 1;
            if pos == LATENCY_FRAMES {
                pos = 0;
            }
            let dry_gain = 1.0 - mix[j];
            left[j] = flush(out[j] * (dry_l * dry_gain + wl[j] * mix[j]));
            right[j] = flush(out[j] * (dry_r * dry_gain + wr[j] * mix[j]));
        }
        self.dry_pos = pos;
    }
}

/// Constructor for the insert-slot table ([`crate::units::UnitInfo::make`]);
/// any block length works, so `_max_block_frames` is unused.
pub fn make(sample_rate_hz: f32, _max_block_frames: usize) -> Result<Box<dyn Unit>, ConfigError> {
    let unit = Saturator::new(sample_rate_hz)?;
    Ok(Box::new(unit))
}

forward_unit!(Saturator);
