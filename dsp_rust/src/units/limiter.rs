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

use crate::config::ConfigError;
use crate::dsp::quiet::QuietFrames;
use crate::math::{db_to_gain, flush};
use crate::smooth::{steps_for_ms, Linear};
use crate::spec::{ParamSpec, Scope};
use crate::units::Unit;

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

/// Inputs below this (−120 dBFS) count as silence for [`Limiter::is_quiet`].
const QUIET: f32 = 1e-6;

/// Index of `lim_ceiling_db` in [`PARAMS`].
pub const CEILING_DB: usize = 0;
/// Index of `lim_release_ms` in [`PARAMS`].
pub const RELEASE_MS: usize = 1;
/// Index of `lim_lookahead_ms` in [`PARAMS`].
pub const LOOKAHEAD_MS: usize = 2;

/// The limiter's parameters, in index order.
pub const PARAMS: [ParamSpec; 3] = [
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
];

fn alloc<T: Copy>(n: usize, value: T) -> Result<Vec<T>, ConfigError> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| ConfigError::OutOfMemory)?;
    v.resize(n, value);
    Ok(v)
}

/// Sliding minimum, release and attack averaging for one lookahead length.
#[derive(Clone, Debug)]
struct GainComputer {
    lookahead: usize,
    mask: usize,
    /// Monotonic deque (increasing gains from head to tail) of
    /// `(frame, required gain)`, in a ring.
    dq_frame: Vec<u32>,
    dq_gain: Vec<u64>,
    dq_head: usize,
    dq_len: usize,
    /// Release-shaped gains `e`, indexed by frame & mask.
    held: Vec<u64>,
    /// Sum of `held` over the attack window.
    sum: u64,
    last: u64,
    /// `1 / ((L + 1)·GAIN_ONE)`.
    scale: f64,
}

impl GainComputer {
    fn new(cap: usize) -> Result<Self, ConfigError> {
        Ok(GainComputer {
            lookahead: 0,
            mask: cap - 1,
            dq_frame: alloc(cap, 0u32)?,
            dq_gain: alloc(cap, GAIN_ONE)?,
            dq_head: 0,
            dq_len: 0,
            held: alloc(cap, GAIN_ONE)?,
            sum: GAIN_ONE,
            last: GAIN_ONE,
            scale: 1.0 / GAIN_ONE as f64,
        })
    }

    fn set_lookahead(&mut self, lookahead: usize) {
        self.lookahead = lookahead.min(self.mask - 1);
        self.scale = 1.0 / ((self.lookahead + 1) as f64 * GAIN_ONE as f64);
    }

    /// Unity gain everywhere: the state after silence.
    fn rest(&mut self, lookahead: usize) {
        self.set_lookahead(lookahead);
        self.dq_head = 0;
        self.dq_len = 0;
        for v in self.held.iter_mut() {
            *v = GAIN_ONE;
        }
        self.sum = (self.lookahead as u64 + 1) * GAIN_ONE;
        self.last = GAIN_ONE;
    }

    /// Set up for `lookahead` just before frame `frame`, from the required
    /// gains of the previous frames (`required`, indexed by frame & mask) and
    /// a gain `ceiling` the history must not exceed. Every gain the attack
    /// window still holds from before `frame` is set to the minimum of the
    /// last `lookahead` required gains (and `ceiling`), which keeps the
    /// no-overshoot argument valid from the first frame.
    fn start(&mut self, lookahead: usize, frame: u32, required: &[u64], ceiling: u64) {
        self.set_lookahead(lookahead);
        let l = self.lookahead;
        self.dq_head = 0;
        self.dq_len = 0;
        let mut floor = ceiling;
        for back in (1..=l).rev() {
            let f = frame.wrapping_sub(back as u32);
            let q = required.get(f as usize & self.mask).copied().unwrap_or(0);
            floor = floor.min(q);
            self.push_deque(f, q);
        }
        for back in 1..=(l + 1) {
            let f = frame.wrapping_sub(back as u32);
            if let Some(v) = self.held.get_mut(f as usize & self.mask) {
                *v = floor;
            }
        }
        self.sum = (l as u64 + 1) * floor;
        self.last = floor;
    }

    #[inline(always)]
    fn push_deque(&mut self, frame: u32, q: u64) {
        let mask = self.mask;
        while self.dq_len > 0 {
            let back = (self.dq_head + self.dq_len - 1) & mask;
            if self.dq_gain[back] >= q {
                self.dq_len -= 1;
            } else {
                break;
            }
        }
        let slot = (self.dq_head + self.dq_len) & mask;
        self.dq_gain[slot] = q;
        self.dq_frame[slot] = frame;
        self.dq_len += 1;
    }

    /// Take frame `frame`'s required gain `q`; return the gain for the
    /// sample leaving the delay line now (frame `frame − L`).
    #[inline(always)]
    fn tick(&mut self, frame: u32, q: u64, release: f64) -> f32 {
        let mask = self.mask;
        self.push_deque(frame, q);
        let l = self.lookahead as u32;
        // The newest entry never expires, so this stops with dq_len ≥ 1.
        while self.dq_len > 1 && frame.wrapping_sub(self.dq_frame[self.dq_head]) > l {
            self.dq_head = (self.dq_head + 1) & mask;
            self.dq_len -= 1;
        }
        let h = self.dq_gain[self.dq_head];
        let last = self.last;
        let e = if h <= last {
            h
        } else {
            // Truncation keeps e ≤ h; the step of at least one unit lands
            // exactly on h instead of creeping towards it.
            last + (((h - last) as f64 * release) as u64).max(1)
        };
        self.last = e;
        let old = self.held[frame.wrapping_sub(l + 1) as usize & mask];
        self.held[frame as usize & mask] = e;
        self.sum = self.sum.wrapping_sub(old).wrapping_add(e);
        (self.sum as f64 * self.scale) as f32
    }

    fn at_rest(&self) -> bool {
        self.last == GAIN_ONE && self.sum == (self.lookahead as u64 + 1) * GAIN_ONE
    }
}

/// The limiter unit.
#[derive(Clone, Debug)]
pub struct Limiter {
    sample_rate_hz: f32,
    values: [f32; 3],
    ceiling_steps: u32,
    ceiling: Linear,
    release: f64,
    lookahead_max: usize,
    /// Lookahead to use, frames (applied through a crossfade).
    requested: usize,
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
        let cap = (lookahead_max + 2).next_power_of_two();
        let mut lim = Limiter {
            sample_rate_hz,
            values: [0.0; 3],
            ceiling_steps: steps_for_ms(CEILING_SMOOTHING_MS, sample_rate_hz),
            ceiling: Linear::new(1.0),
            release: 0.0,
            lookahead_max,
            requested: 0,
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
    /// (`round(lookahead_ms·fs/1000)`), the new one from the start of a
    /// lookahead crossfade.
    pub fn latency_frames(&self) -> usize {
        self.gc[self.current].lookahead
    }

    /// Longest time an input sample takes to reach the output, frames.
    pub fn tail_frames(&self) -> usize {
        if self.fade_len > 0 {
            self.gc[0].lookahead.max(self.gc[1].lookahead)
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
        let requested = self.requested;
        for gc in self.gc.iter_mut() {
            gc.rest(requested);
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
            if self.fade_len == 0 && self.requested != self.gc[self.current].lookahead {
                self.begin_crossfade();
            }
            if self.fade_len > 0 {
                let seg = ((self.fade_len - self.fade_pos) as usize).min(n - i);
                self.run::<true>(&mut left[i..i + seg], &mut right[i..i + seg]);
                i += seg;
                if self.fade_pos >= self.fade_len {
                    self.fade_len = 0;
                    self.fade_pos = 0;
                }
            } else {
                self.run::<false>(&mut left[i..], &mut right[i..]);
                i = n;
            }
        }
    }

    fn begin_crossfade(&mut self) {
        let old = self.current;
        let new = 1 - old;
        let ceiling = self.gc[old].last;
        let (frame, requested) = (self.frame, self.requested);
        self.gc[new].start(requested, frame, &self.required, ceiling);
        self.current = new;
        self.fade_len = steps_for_ms(LOOKAHEAD_CROSSFADE_MS, self.sample_rate_hz).max(1);
        self.fade_pos = 0;
    }

    #[inline(always)]
    fn run<const FADING: bool>(&mut self, left: &mut [f32], right: &mut [f32]) {
        let mask = self.mask;
        let release = self.release;
        let lookahead_max = self.lookahead_max as u32;
        let (new, old) = (self.current, 1 - self.current);
        let delay_new = self.gc[new].lookahead as u32;
        let delay_old = self.gc[old].lookahead as u32;
        let fade_len = self.fade_len as f32;
        let mut frame = self.frame;
        let mut clamps = 0u64;
        let mut quiet = self.quiet;
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let c = self.ceiling.tick();
            let mut ahead = self.ceiling;
            let c_det = c.min(ahead.advance(lookahead_max));
            let (xl, xr) = (flush(*l), flush(*r));
            let peak = xl.abs().max(xr.abs());
            quiet.frame(peak > QUIET);
            // p = 0 gives +inf, capped to unity.
            let q = ((c_det as f64 * CEILING_MARGIN_Q) / peak as f64).min(GAIN_ONE as f64) as u64;
            let slot = frame as usize & mask;
            self.required[slot] = q;
            self.in_left[slot] = xl;
            self.in_right[slot] = xr;
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
