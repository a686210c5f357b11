//! Stereo-linked lookahead brickwall limiter: no output sample ever exceeds
//! the ceiling in absolute value.
//!
//! Gain computer, per frame `n` (both channels share it):
//!
//! 1. required gain `r[n] = min(1, c·(1 − 2⁻²⁰)/max(|L[n]|, |R[n]|))`, with
//!    `c` the ceiling (see "Ceiling changes" below) and a −8e-6 dB margin that
//!    covers every later rounding step;
//! 2. `h[n]` = minimum of `r` over the lookahead window `[n − L, n]`
//!    (a sliding minimum: a monotonic deque in a preallocated ring,
//!    O(1) amortised per frame);
//! 3. release: `e[n] = h[n]` when `h[n] ≤ e[n−1]` (instant), else
//!    `e[n−1]` moves towards `h[n]` by the fraction
//!    `1 − exp(−1/(release_ms·fs/1000))` (a one-pole recovery);
//! 4. attack: the gain is the mean of `e` over the last `L + 1` frames, so a
//!    drop in `e` becomes a linear ramp across the lookahead window;
//! 5. output `y[n] = x[n − L]·g[n]`.
//!
//! Why it never overshoots: every `e[k]` with `k ∈ [n − L, n]` is at most
//! `h[k] ≤ r[n − L]` (each of those windows contains frame `n − L`), so their
//! mean `g[n] ≤ r[n − L]`, and `|x[n − L]|·r[n − L]` is below the ceiling.
//! The gains are kept as integers in units of 2⁻⁴⁰ (truncated, so never
//! rounded up), which makes the running sum of step 4 exact: it cannot drift
//! over hours. With the input below the ceiling the gain is exactly 1 and the
//! output is the input delayed by [`Limiter::latency_frames`], bit for bit.
//!
//! A final clamp to ±ceiling is a backstop only: with fixed parameters it
//! never engages (tested with square waves, impulses, 3e38, +40 dB noise);
//! it can engage for the at most `L` frames already inside the lookahead
//! window when the ceiling starts moving down (the ramp was not yet known
//! when their gain was computed). [`Limiter::clamp_count`] counts
//! engagements.
//!
//! Ceiling changes ramp linearly (in amplitude) over
//! [`CEILING_SMOOTHING_MS`]. The gain computer limits each frame to the
//! lower of the ceiling now and the ceiling [`LOOKAHEAD_MAX_MS`] ahead on
//! the current ramp, so the output stays under both the ceiling in force when
//! a sample leaves and the one in force when it entered.
//!
//! Lookahead changes: the lookahead is the unit's latency. A change is
//! applied at once by crossfading, over [`LOOKAHEAD_CROSSFADE_MS`], from the
//! output of the running gain computer and delay tap to a second one set up
//! for the new lookahead (both stay under the ceiling, so their crossfade
//! does too). The new computer starts from the last `L` required gains (kept
//! in a ring) and a conservative gain history, so it is correct from its
//! first frame. [`Limiter::latency_frames`] reports the new latency from the
//! start of the crossfade; a change that arrives during a crossfade waits
//! for it to end; after [`Limiter::reset`] the latest value applies at once.
//! Release changes apply immediately (a time constant: no step in the gain).
//!
//! True-peak mode (`lim_true_peak` = 1): the required gain of frame `m`
//! also covers the waveform between its samples, as ITU-R BS.1770-4 reads it
//! ([`crate::dsp::truepeak`]: four times oversampled, the interpolators of
//! dawgwasm's true-peak meter), so that a meter reads the output's true
//! peak at or under the ceiling, not only its samples. The reading of frame
//! `m` needs frames up to `m + D` (`D` = 16), so it reaches the gain
//! computer `D` frames late:
//!
//! * at arrival `n` the required gain is
//!   `min(c·(1 − 2⁻²⁰)·10^(−0.02/20)/tp[n − D], r[n])` — the true peak of
//!   frame `n − D` with a 0.02 dB margin, and the sample-peak requirement of
//!   frame `n` itself, so the sample-peak argument above holds in either
//!   mode and across a switch;
//! * the sliding minimum spans `L' + 2W` arrivals (`W` = 16) and the attack
//!   mean `L' + 1`, with `L' = latency − D − W`: the gain of every frame
//!   within `W` of a frame `m` is at most `m`'s true-peak requirement, so
//!   the gain is flat across the interpolators' support around a peak;
//! * the latency is `max(lookahead, `[`TRUE_PEAK_MIN_LATENCY`]`)` frames (48:
//!   `D + W` plus an attack ramp of at least 16 frames).
//!
//! The gain still varies across an interpolator's support where peaks
//! crowd, which the margin covers: measured over drums, noise, sweeps,
//! sparse full-scale clicks and quarter-rate sines, every lookahead and
//! release from 1 ms up, the output's true peak stays 0.008 dB or more
//! under the ceiling. A mode change is applied like a lookahead change, by
//! a crossfade to a second gain computer.

use crate::config::ConfigError;
use crate::dsp::quiet::QuietFrames;
use crate::dsp::truepeak::{TruePeak, DELAY_FRAMES, TAPS};
use crate::math::{db_to_gain, flush};
use crate::smooth::{steps_for_ms, Linear};
use crate::spec::{ParamSpec, Scope, FLAG_STEPPED};
use crate::units::Unit;

mod gain;

use gain::{alloc, GainComputer, Mode};

/// Longest lookahead, ms; the delay line is allocated for it.
pub const LOOKAHEAD_MAX_MS: f32 = 5.0;
/// Crossfade time of a lookahead change, ms.
pub const LOOKAHEAD_CROSSFADE_MS: f32 = 5.0;
/// Ramp time of a ceiling change, ms.
pub const CEILING_SMOOTHING_MS: f32 = 20.0;

/// Unity gain in the gain computer's fixed-point units (2⁻⁴⁰).
pub const GAIN_ONE: u64 = 1 << 40;

/// The ceiling margin `1 − 2⁻²⁰` times [`GAIN_ONE`].
const CEILING_MARGIN_Q: f64 = (GAIN_ONE as f64) * (1.0 - 1.0 / (1u64 << 20) as f64);
/// The true-peak margin: [`CEILING_MARGIN_Q`] times 0.9977 (−0.02 dB).
const TRUE_PEAK_MARGIN_Q: f64 = CEILING_MARGIN_Q * 0.9977;

/// Frames each side of a true-peak reading over which its gain is held.
const TRUE_PEAK_HOLD: usize = TAPS / 2;
/// Shortest latency in true-peak mode, frames: the reading's delay, the
/// hold after it and an attack ramp of 16 frames.
pub const TRUE_PEAK_MIN_LATENCY: usize = DELAY_FRAMES + TRUE_PEAK_HOLD + 16;

/// Inputs below this (−120 dBFS) count as silence for [`Limiter::is_quiet`].
const QUIET: f32 = 1e-6;

/// Index of `lim_ceiling_db` in [`PARAMS`].
pub const CEILING_DB: usize = 0;
/// Index of `lim_release_ms` in [`PARAMS`].
pub const RELEASE_MS: usize = 1;
/// Index of `lim_lookahead_ms` in [`PARAMS`].
pub const LOOKAHEAD_MS: usize = 2;
/// Index of `lim_true_peak` in [`PARAMS`].
pub const TRUE_PEAK: usize = 3;

/// The limiter's parameters, in index order.
pub const PARAMS: [ParamSpec; 4] = [
    ParamSpec {
        name: "lim_ceiling_db",
        unit: "dB",
        scope: Scope::Insert,
        min: -24.0,
        max: 0.0,
        default: -0.3,
        smoothing_ms: CEILING_SMOOTHING_MS,
        flags: 0,
        doc: "Limiter ceiling: no output sample exceeds it, -24 to 0 dBFS.",
    },
    ParamSpec {
        name: "lim_release_ms",
        unit: "ms",
        scope: Scope::Insert,
        min: 1.0,
        max: 1000.0,
        default: 100.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Limiter release: time constant of the gain's recovery, 1 to 1000 ms.",
    },
    ParamSpec {
        name: "lim_lookahead_ms",
        unit: "ms",
        scope: Scope::Insert,
        min: 0.0,
        max: LOOKAHEAD_MAX_MS,
        default: 2.0,
        smoothing_ms: LOOKAHEAD_CROSSFADE_MS,
        flags: 0,
        doc: "Limiter lookahead (and latency), 0 to 5 ms; gain reduction ramps in over it, changes crossfade.",
    },
    ParamSpec {
        name: "lim_true_peak",
        unit: "",
        scope: Scope::Insert,
        min: 0.0,
        max: 1.0,
        default: 0.0,
        smoothing_ms: LOOKAHEAD_CROSSFADE_MS,
        flags: FLAG_STEPPED,
        doc: "Limiter detection: 0 sample peak, 1 true peak (ITU-R BS.1770-4, 4x oversampled; latency at least 48 frames); changes crossfade.",
    },
];

/// The limiter unit.
#[derive(Clone, Debug)]
pub struct Limiter {
    sample_rate_hz: f32,
    values: [f32; PARAMS.len()],
    ceiling_steps: u32,
    ceiling: Linear,
    release: f64,
    lookahead_max: usize,
    /// Longest latency, frames: the lookahead's, or true-peak mode's least.
    latency_max: usize,
    /// Lookahead to use, frames (applied through a crossfade).
    requested: usize,
    /// Detection to use (applied through a crossfade).
    true_peak: bool,
    detector: TruePeak,
    mask: usize,
    frame: u32,
    in_left: Vec<f32>,
    in_right: Vec<f32>,
    required: Vec<u64>,
    gc: [GainComputer; 2],
    /// Index into `gc` of the computer for the newest lookahead.
    current: usize,
    fade_len: u32,
    fade_pos: u32,
    clamps: u64,
    quiet: QuietFrames,
}

impl Limiter {
    /// A limiter at `sample_rate_hz` with every parameter at its default;
    /// allocates the delay line for [`LOOKAHEAD_MAX_MS`].
    pub fn new(sample_rate_hz: f32) -> Result<Limiter, ConfigError> {
        let lookahead_max = frames_for_ms(LOOKAHEAD_MAX_MS, sample_rate_hz);
        let latency_max = lookahead_max.max(TRUE_PEAK_MIN_LATENCY);
        let cap = (latency_max + 2).next_power_of_two();
        let mut lim = Limiter {
            sample_rate_hz,
            values: [0.0; PARAMS.len()],
            ceiling_steps: steps_for_ms(CEILING_SMOOTHING_MS, sample_rate_hz),
            ceiling: Linear::new(1.0),
            release: 0.0,
            lookahead_max,
            latency_max,
            requested: 0,
            true_peak: false,
            detector: TruePeak::new(),
            mask: cap - 1,
            frame: 0,
            in_left: alloc(cap, 0.0f32)?,
            in_right: alloc(cap, 0.0f32)?,
            required: alloc(cap, GAIN_ONE)?,
            gc: [GainComputer::new(cap)?, GainComputer::new(cap)?],
            current: 0,
            fade_len: 0,
            fade_pos: 0,
            clamps: 0,
            quiet: QuietFrames::SETTLED,
        };
        for (i, p) in PARAMS.iter().enumerate() {
            lim.set(i, p.default);
        }
        lim.reset();
        Ok(lim)
    }

    /// Set parameter `index` of [`PARAMS`] to `value` (already clamped to
    /// the row's range). Unknown indices are ignored.
    pub fn set(&mut self, index: usize, value: f32) {
        match index {
            CEILING_DB => self
                .ceiling
                .set_target(db_to_gain(value as f64) as f32, self.ceiling_steps),
            RELEASE_MS => {
                let frames = (value as f64 * 1e-3 * self.sample_rate_hz as f64).max(1.0);
                self.release = 1.0 - (-1.0 / frames).exp();
            }
            LOOKAHEAD_MS => {
                self.requested = frames_for_ms(value, self.sample_rate_hz).min(self.lookahead_max);
            }
            TRUE_PEAK => self.true_peak = value >= 0.5,
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

    /// Delay from input to output, frames: the lookahead in frames
    /// (`round(lookahead_ms·fs/1000)`; in true-peak mode at least
    /// [`TRUE_PEAK_MIN_LATENCY`]), the new one from the start of a
    /// crossfade.
    pub fn latency_frames(&self) -> usize {
        self.gc[self.current].latency
    }

    fn target(&self) -> Mode {
        Mode::new(self.requested, self.true_peak)
    }

    /// Longest time an input sample takes to reach the output, frames.
    pub fn tail_frames(&self) -> usize {
        if self.fade_len > 0 {
            self.gc[0].latency.max(self.gc[1].latency)
        } else {
            self.latency_frames()
        }
    }

    /// True when no input frame above −120 dBFS is still in the delay line.
    pub fn is_quiet(&self) -> bool {
        self.quiet.exceeds(self.tail_frames())
    }

    /// How many output samples the final safety clamp has changed since the
    /// limiter was created.
    pub fn clamp_count(&self) -> u64 {
        self.clamps
    }

    /// The current gain reduction of the running gain computer, in linear
    /// gain (1 = none).
    pub fn gain(&self) -> f32 {
        let gc = &self.gc[self.current];
        (gc.sum as f64 * gc.scale) as f32
    }

    /// Jump the ceiling ramp to its target, apply the requested lookahead,
    /// clear the delay line and return the gain to exactly 1.
    pub fn reset(&mut self) {
        self.ceiling.snap();
        for v in self.in_left.iter_mut().chain(self.in_right.iter_mut()) {
            *v = 0.0;
        }
        for v in self.required.iter_mut() {
            *v = GAIN_ONE;
        }
        let target = self.target();
        for gc in self.gc.iter_mut() {
            gc.rest(target);
        }
        self.current = 0;
        self.fade_len = 0;
        self.fade_pos = 0;
        self.frame = 0;
        self.quiet = QuietFrames::SETTLED;
    }

    /// True when the delay line is all zeros and the gain is exactly 1.
    pub fn state_is_at_rest(&self) -> bool {
        self.fade_len == 0
            && self.gc[self.current].at_rest()
            && self
                .in_left
                .iter()
                .chain(self.in_right.iter())
                .all(|v| *v == 0.0)
    }

    /// Limit a stereo block in place.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len().min(right.len());
        let (left, right) = (&mut left[..n], &mut right[..n]);
        let mut i = 0;
        while i < n {
            if self.fade_len == 0 && self.target() != self.gc[self.current].mode() {
                self.begin_crossfade();
            }
            if self.fade_len > 0 {
                let seg = ((self.fade_len - self.fade_pos) as usize).min(n - i);
                let (l, r) = (&mut left[i..i + seg], &mut right[i..i + seg]);
                if self.gc[0].true_peak || self.gc[1].true_peak {
                    self.run::<true, true>(l, r);
                } else {
                    self.run::<true, false>(l, r);
                }
                i += seg;
                if self.fade_pos >= self.fade_len {
                    self.fade_len = 0;
                    self.fade_pos = 0;
                }
            } else {
                let (l, r) = (&mut left[i..], &mut right[i..]);
                if self.gc[self.current].true_peak {
                    self.run::<false, true>(l, r);
                } else {
                    self.run::<false, false>(l, r);
                }
                i = n;
            }
        }
    }

    fn begin_crossfade(&mut self) {
        let old = self.current;
        let new = 1 - old;
        let ceiling = self.gc[old].last;
        let (frame, target) = (self.frame, self.target());
        self.gc[new].start(target, frame, &self.required, ceiling);
        self.current = new;
        self.fade_len = steps_for_ms(LOOKAHEAD_CROSSFADE_MS, self.sample_rate_hz).max(1);
        self.fade_pos = 0;
    }

    /// The true peak of frame `frame − D` from the delay line, whose newest
    /// entry is `frame`.
    #[inline(always)]
    fn true_peak_of(&self, frame: u32) -> f32 {
        let start = frame.wrapping_sub(TAPS as u32 - 1) as usize & self.mask;
        if start + TAPS <= self.in_left.len() {
            let end = start + TAPS;
            self.detector
                .stereo(&self.in_left[start..end], &self.in_right[start..end])
        } else {
            let (mut l, mut r) = ([0.0f32; TAPS], [0.0f32; TAPS]);
            for (k, (a, b)) in l.iter_mut().zip(r.iter_mut()).enumerate() {
                let slot = (start + k) & self.mask;
                *a = self.in_left[slot];
                *b = self.in_right[slot];
            }
            self.detector.stereo(&l, &r)
        }
    }

    #[inline(always)]
    fn run<const FADING: bool, const TRUE_PEAK: bool>(
        &mut self,
        left: &mut [f32],
        right: &mut [f32],
    ) {
        let mask = self.mask;
        let release = self.release;
        let latency_max = self.latency_max as u32;
        let (new, old) = (self.current, 1 - self.current);
        let delay_new = self.gc[new].latency as u32;
        let delay_old = self.gc[old].latency as u32;
        let fade_len = self.fade_len as f32;
        let mut frame = self.frame;
        let mut clamps = 0u64;
        let mut quiet = self.quiet;
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let c = self.ceiling.tick();
            let mut ahead = self.ceiling;
            let c_det = c.min(ahead.advance(latency_max));
            let (xl, xr) = (flush(*l), flush(*r));
            let peak = xl.abs().max(xr.abs());
            quiet.frame(peak > QUIET);
            // p = 0 gives +inf, capped to unity.
            let mut q =
                ((c_det as f64 * CEILING_MARGIN_Q) / peak as f64).min(GAIN_ONE as f64) as u64;
            let slot = frame as usize & mask;
            self.in_left[slot] = xl;
            self.in_right[slot] = xr;
            if TRUE_PEAK {
                let tp = self.true_peak_of(frame);
                let q_tp =
                    ((c_det as f64 * TRUE_PEAK_MARGIN_Q) / tp as f64).min(GAIN_ONE as f64) as u64;
                q = q.min(q_tp);
            }
            self.required[slot] = q;
            let g = self.gc[new].tick(frame, q, release);
            let tap = frame.wrapping_sub(delay_new) as usize & mask;
            let (mut yl, mut yr) = (self.in_left[tap] * g, self.in_right[tap] * g);
            if FADING {
                let g_old = self.gc[old].tick(frame, q, release);
                let tap_old = frame.wrapping_sub(delay_old) as usize & mask;
                self.fade_pos += 1;
                let a = self.fade_pos as f32 / fade_len;
                let b = 1.0 - a;
                yl = b * (self.in_left[tap_old] * g_old) + a * yl;
                yr = b * (self.in_right[tap_old] * g_old) + a * yr;
            }
            clamps += (yl.abs() > c) as u64 + (yr.abs() > c) as u64;
            *l = flush(yl.max(-c).min(c));
            *r = flush(yr.max(-c).min(c));
            frame = frame.wrapping_add(1);
        }
        self.frame = frame;
        self.clamps = self.clamps.wrapping_add(clamps);
        self.quiet = quiet;
    }
}

/// `round(ms·fs/1000)` frames.
fn frames_for_ms(ms: f32, sample_rate_hz: f32) -> usize {
    steps_for_ms(ms, sample_rate_hz) as usize
}

/// Constructor for the insert-slot table ([`crate::units::UnitInfo::make`]);
/// any block length works, so `_max_block_frames` is unused.
pub fn make(sample_rate_hz: f32, _max_block_frames: usize) -> Result<Box<dyn Unit>, ConfigError> {
    let unit = Limiter::new(sample_rate_hz)?;
    Ok(Box::new(unit))
}

forward_unit!(Limiter);
