//! Stereo feedback delay with tempo sync, ping-pong and a damped feedback
//! path.
//!
//! Per frame, with `y` the two delay-line taps read at the (fractional)
//! delay `d`:
//!
//! ```text
//! lp   += a · (y − lp)                       one-pole low-pass per side, a = 1 − e^(−2π·fc/fs)
//! wL    = inL + p·(m − inL) + fb·(lpL + p·(lpR − lpL))
//! wR    = (1 − p)·inR       + fb·(lpR + p·(lpL − lpR))
//! out   = (1 − mix)·in + mix·y               linear wet/dry crossfade
//! ```
//!
//! where `m = (inL + inR)/2` and `p` is the ping-pong amount (0 or 1, faded).
//! Plain mode (`p = 0`) runs two independent delays. Ping-pong (`p = 1`)
//! writes the input summed to mono into the left line only and crosses the
//! feedback L→R→L, so the first echo sounds left, the second right, and so on.
//! The low-pass only sits in the feedback path: the first echo is a clean
//! copy of the input and every further repeat is one more pass darker.
//!
//! Delay time: free (`delay_time_ms`) or a note division at the session tempo
//! (`delay_sync`, see [`SYNC_BEATS`]). The line holds [`MAX_DELAY_S`]
//! seconds, exactly the longest division (a half note) at the slowest tempo
//! (20 BPM); longer times would be held at that length. A new delay time is
//! reached by gliding the read position (tape style): the distance to the
//! target shrinks by a one-pole of time constant [`GLIDE_MS`], with the read
//! head speed held within 1 ± [`GLIDE_MAX_RATE`]; the line is read with
//! 4-point cubic Hermite (Catmull-Rom) interpolation, which returns the
//! stored sample exactly once the position is a whole number of frames.
//!
//! Recirculating values below [`STATE_FLOOR`] (−180 dBFS, under the 24-bit
//! noise floor) are set to exactly zero, so a tail ends in exact silence
//! instead of creeping down towards the subnormal range.

use crate::config::{zeroed, ConfigError, QUIET};
use crate::dsp::quiet::QuietFrames;
use crate::math::flush;
use crate::smooth::{steps_for_ms, Linear};
use crate::spec::{ParamSpec, Scope, FLAG_STEPPED};
use crate::units::Unit;

/// Longest delay the line holds, in seconds: a half note at 20 BPM.
pub const MAX_DELAY_S: f64 = 6.0;
/// Shortest read distance in frames (keeps the interpolator's newest tap
/// strictly in the past).
const MIN_DELAY_FRAMES: usize = 2;
/// Extra frames past [`MAX_DELAY_S`] for the interpolator's taps.
const GUARD_FRAMES: usize = 4;
/// Time constant of the delay-time glide, ms.
pub const GLIDE_MS: f64 = 100.0;
/// Largest change of the read distance per frame during a glide: the read
/// head moves at between 0.5× and 1.5× normal speed.
pub const GLIDE_MAX_RATE: f32 = 0.5;
/// Glide remainders smaller than this (frames) end the glide.
const GLIDE_SNAP_FRAMES: f32 = 1e-3;
/// Recirculating values smaller than this are replaced by exact zero.
pub const STATE_FLOOR: f32 = 1e-9;

/// Length in quarter-note beats of each `delay_sync` setting from 1 on
/// (0 is free time): 1/4, 1/8, dotted 1/8, 1/8 triplet, 1/16, 1/2.
pub const SYNC_BEATS: [f64; 6] = [1.0, 0.5, 0.75, 1.0 / 3.0, 0.25, 2.0];

/// Lowest session tempo the sync follows, BPM.
pub const TEMPO_MIN_BPM: f32 = 20.0;
/// Highest session tempo the sync follows, BPM.
pub const TEMPO_MAX_BPM: f32 = 300.0;

const SMOOTHING_MS: f32 = 20.0;
const PING_PONG_FADE_MS: f32 = 50.0;

/// The delay's parameter rows; `set`/`get` take an index into this table.
pub const PARAMS: [ParamSpec; 6] = [
    ParamSpec {
        name: "delay_time_ms",
        unit: "ms",
        scope: Scope::Insert,
        min: 1.0,
        max: 2000.0,
        default: 375.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Delay time when not synced, 1 to 2000 ms; changes glide like tape (100 ms time constant).",
    },
    ParamSpec {
        name: "delay_sync",
        unit: "",
        scope: Scope::Insert,
        min: 0.0,
        max: 6.0,
        default: 0.0,
        smoothing_ms: 0.0,
        flags: FLAG_STEPPED,
        doc: "Tempo sync: 0 free (delay_time_ms), 1 = 1/4, 2 = 1/8, 3 = dotted 1/8, 4 = 1/8 triplet, 5 = 1/16, 6 = 1/2 note.",
    },
    ParamSpec {
        name: "delay_feedback",
        unit: "",
        scope: Scope::Insert,
        min: 0.0,
        max: 0.95,
        default: 0.35,
        smoothing_ms: SMOOTHING_MS,
        flags: 0,
        doc: "Share of each echo fed back into the line, 0 to 0.95 (each repeat is that much quieter).",
    },
    ParamSpec {
        name: "delay_ping_pong",
        unit: "",
        scope: Scope::Insert,
        min: 0.0,
        max: 1.0,
        default: 0.0,
        smoothing_ms: PING_PONG_FADE_MS,
        flags: FLAG_STEPPED,
        doc: "Ping-pong switch: 1 feeds the mono input to the left and bounces echoes left, right, left; fades over 50 ms.",
    },
    ParamSpec {
        name: "delay_damping_hz",
        unit: "Hz",
        scope: Scope::Insert,
        min: 500.0,
        max: 20000.0,
        default: 6000.0,
        smoothing_ms: SMOOTHING_MS,
        flags: 0,
        doc: "Cutoff of the one-pole low-pass in the feedback path, 500 to 20000 Hz: each repeat gets darker.",
    },
    ParamSpec {
        name: "delay_mix",
        unit: "",
        scope: Scope::Insert,
        min: 0.0,
        max: 1.0,
        default: 0.25,
        smoothing_ms: SMOOTHING_MS,
        flags: 0,
        doc: "Wet/dry balance, 0 (dry only) to 1 (echoes only), a linear crossfade.",
    },
];

/// 4-point cubic Hermite (Catmull-Rom) interpolation between `x0` (t = 0)
/// and `x1` (t = 1), with neighbours `xm1` and `x2`.
#[inline(always)]
fn hermite(xm1: f32, x0: f32, x1: f32, x2: f32, t: f32) -> f32 {
    let c1 = 0.5 * (x1 - xm1);
    let c2 = xm1 - 2.5 * x0 + 2.0 * x1 - 0.5 * x2;
    let c3 = 0.5 * (x2 - xm1) + 1.5 * (x0 - x1);
    ((c3 * t + c2) * t + c1) * t + x0
}

/// `x`, or exactly zero when it is below [`STATE_FLOOR`] in magnitude or not finite.
#[inline(always)]
fn floor_state(x: f32) -> f32 {
    if (STATE_FLOOR..=f32::MAX).contains(&x.abs()) {
        x
    } else {
        0.0
    }
}

/// The delay unit.
#[derive(Clone, Debug)]
pub struct Delay {
    sample_rate_hz: f64,
    values: [f32; 6],
    steps: [u32; 6],
    tempo_bpm: f32,
    left: Vec<f32>,
    right: Vec<f32>,
    write: usize,
    target_int: usize,
    target_frac: f32,
    glide: f32,
    glide_rate: f32,
    feedback: Linear,
    mix: Linear,
    damping: Linear,
    ping_pong: Linear,
    lp_left: f32,
    lp_right: f32,
    quiet: QuietFrames,
    clean: bool,
}

impl Delay {
    /// Row index of `delay_time_ms`.
    pub const TIME_MS: usize = 0;
    /// Row index of `delay_sync`.
    pub const SYNC: usize = 1;
    /// Row index of `delay_feedback`.
    pub const FEEDBACK: usize = 2;
    /// Row index of `delay_ping_pong`.
    pub const PING_PONG: usize = 3;
    /// Row index of `delay_damping_hz`.
    pub const DAMPING_HZ: usize = 4;
    /// Row index of `delay_mix`.
    pub const MIX: usize = 5;

    /// A delay at `sample_rate_hz` with every parameter at its default and
    /// the tempo at 120 BPM. Allocates the two lines ([`MAX_DELAY_S`] each);
    /// any block length can be processed, `_max_block_frames` is not needed.
    pub fn new(sample_rate_hz: f32, _max_block_frames: usize) -> Result<Self, ConfigError> {
        if !(sample_rate_hz.is_finite() && sample_rate_hz >= 1.0) {
            return Err(ConfigError::SampleRate);
        }
        let sr = sample_rate_hz as f64;
        let len = (MAX_DELAY_S * sr).ceil() as usize + GUARD_FRAMES;
        let mut d = Delay {
            sample_rate_hz: sr,
            values: [0.0; 6],
            steps: [0; 6],
            tempo_bpm: 120.0,
            left: zeroed(len)?,
            right: zeroed(len)?,
            write: 0,
            target_int: MIN_DELAY_FRAMES,
            target_frac: 0.0,
            glide: 0.0,
            glide_rate: (1.0 - (-1.0 / (GLIDE_MS * 1e-3 * sr)).exp()) as f32,
            feedback: Linear::new(0.0),
            mix: Linear::new(0.0),
            damping: Linear::new(0.0),
            ping_pong: Linear::new(0.0),
            lp_left: 0.0,
            lp_right: 0.0,
            quiet: QuietFrames::SETTLED,
            clean: true,
        };
        for (i, p) in PARAMS.iter().enumerate() {
            d.steps[i] = steps_for_ms(p.smoothing_ms, sample_rate_hz);
            d.set(i, p.default);
        }
        Ok(d)
    }

    /// Frames in each delay line.
    fn len(&self) -> usize {
        self.left.len().min(self.right.len())
    }

    /// The delay the settings ask for, in frames (fractional), within the line.
    fn target_frames(&self) -> f64 {
        let sync = self.values[Self::SYNC].round();
        let seconds = match SYNC_BEATS.get((sync as usize).wrapping_sub(1)) {
            Some(beats) if sync >= 1.0 => beats * 60.0 / self.tempo_bpm as f64,
            _ => self.values[Self::TIME_MS] as f64 * 1e-3,
        };
        let max = self.len().saturating_sub(GUARD_FRAMES - 1) as f64;
        (seconds * self.sample_rate_hz)
            .max(MIN_DELAY_FRAMES as f64)
            .min(max)
    }

    /// Aim the read position at the current settings, gliding from where it is.
    fn retarget(&mut self) {
        let now = self.target_int as f64 + self.target_frac as f64 + self.glide as f64;
        let t = self.target_frames();
        let ti = t.floor();
        self.target_int = ti as usize;
        self.target_frac = (t - ti) as f32;
        let lo = MIN_DELAY_FRAMES as f64 - t;
        let hi = self.len().saturating_sub(GUARD_FRAMES - 1) as f64 - t;
        self.glide = (now - t).max(lo).min(hi) as f32;
    }

    /// Set row `index` of [`PARAMS`] to `value` (already clamped by the caller;
    /// clamped again here). Unknown rows are ignored. While nothing above
    /// −120 dBFS has entered or been written to the lines for a whole line
    /// length, changes take effect at once (no ramp, no glide): there is
    /// nothing to click.
    pub fn set(&mut self, index: usize, value: f32) {
        let spec = match PARAMS.get(index) {
            Some(s) => s,
            None => return,
        };
        let mut v = value.max(spec.min).min(spec.max);
        if spec.flags & FLAG_STEPPED != 0 {
            v = v.round();
        }
        self.values[index] = v;
        let steps = self.steps[index];
        match index {
            Self::TIME_MS | Self::SYNC => self.retarget(),
            Self::FEEDBACK => self.feedback.set_target(v, steps),
            Self::PING_PONG => self.ping_pong.set_target(v, steps),
            Self::DAMPING_HZ => {
                let w = 2.0 * core::f64::consts::PI * v as f64 / self.sample_rate_hz;
                self.damping.set_target((1.0 - (-w).exp()) as f32, steps);
            }
            _ => self.mix.set_target(v, steps),
        }
        if self.is_empty() {
            self.snap();
        }
    }

    /// The last value set for row `index` (0 for unknown rows).
    pub fn get(&self, index: usize) -> f32 {
        self.values.get(index).copied().unwrap_or(0.0)
    }

    /// Set the session tempo used by synced delay times (clamped to 20..300 BPM).
    pub fn set_tempo_bpm(&mut self, bpm: f32) {
        let bpm = bpm.clamp(TEMPO_MIN_BPM, TEMPO_MAX_BPM);
        if bpm != self.tempo_bpm {
            self.tempo_bpm = bpm;
            self.retarget();
            if self.is_empty() {
                self.snap();
            }
        }
    }

    fn snap(&mut self) {
        self.glide = 0.0;
        self.feedback.snap();
        self.mix.snap();
        self.damping.snap();
        self.ping_pong.snap();
    }

    /// The current read delay in frames (target plus what is left of a glide).
    pub fn delay_frames(&self) -> f64 {
        self.target_int as f64 + self.target_frac as f64 + self.glide as f64
    }

    /// Process a stereo block in place (any length; the shorter slice rules).
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let len = self.len();
        if len < MIN_DELAY_FRAMES + GUARD_FRAMES {
            return;
        }
        self.clean = false;
        let max_k = (len - (GUARD_FRAMES - 1)) as isize;
        let target_int = self.target_int as isize;
        let target_frac = self.target_frac;
        let rate = self.glide_rate;
        let mut glide = self.glide;
        let mut write = self.write.min(len - 1);
        let mut lp_l = self.lp_left;
        let mut lp_r = self.lp_right;
        let mut quiet = self.quiet;
        let wrap = |i: usize| if i >= len { i - len } else { i };
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let fb = self.feedback.tick();
            let mix = self.mix.tick();
            let a = self.damping.tick();
            let p = self.ping_pong.tick();

            let step = (glide * rate).clamp(-GLIDE_MAX_RATE, GLIDE_MAX_RATE);
            glide -= step;
            if glide.abs() < GLIDE_SNAP_FRAMES {
                glide = 0.0;
            }
            let pos = target_frac + glide;
            let whole = pos.floor();
            let t = pos - whole;
            let k = (target_int + whole as isize)
                .max(MIN_DELAY_FRAMES as isize)
                .min(max_k) as usize;
            // k in [2, len-3]: every tap index below is in [0, len).
            let i0 = wrap(write + len - k);
            let im1 = wrap(write + len + 1 - k);
            let i1 = wrap(write + len - 1 - k);
            let i2 = wrap(write + len - 2 - k);
            let yl = flush(hermite(
                self.left[im1],
                self.left[i0],
                self.left[i1],
                self.left[i2],
                t,
            ));
            let yr = flush(hermite(
                self.right[im1],
                self.right[i0],
                self.right[i1],
                self.right[i2],
                t,
            ));

            lp_l = floor_state(lp_l + a * (yl - lp_l));
            lp_r = floor_state(lp_r + a * (yr - lp_r));
            let (xl, xr) = (*l, *r);
            let mono = 0.5 * xl + 0.5 * xr;
            let wl = floor_state(xl + p * (mono - xl) + fb * (lp_l + p * (lp_r - lp_l)));
            let wr = floor_state((1.0 - p) * xr + fb * (lp_r + p * (lp_l - lp_r)));
            self.left[write] = wl;
            self.right[write] = wr;
            write = wrap(write + 1);

            let dry = 1.0 - mix;
            *l = flush(dry * xl + mix * yl);
            *r = flush(dry * xr + mix * yr);

            let loud = wl.abs().max(wr.abs()).max(xl.abs()).max(xr.abs()) > QUIET;
            quiet.frame(loud);
        }
        self.glide = glide;
        self.write = write;
        self.lp_left = lp_l;
        self.lp_right = lp_r;
        self.quiet = quiet;
    }

    /// Clear the lines and filters to exact zeros and end every ramp and glide.
    pub fn reset(&mut self) {
        if !self.clean {
            self.left.iter_mut().for_each(|v| *v = 0.0);
            self.right.iter_mut().for_each(|v| *v = 0.0);
            self.clean = true;
        }
        self.write = 0;
        self.lp_left = 0.0;
        self.lp_right = 0.0;
        self.quiet = QuietFrames::SETTLED;
        self.snap();
    }

    /// True when nothing above −120 dBFS has entered the unit or been
    /// written to the lines for as far back as the read head reaches
    /// ([`Delay::tail_frames`]), and the filters hold nothing above that:
    /// with silent input and unchanged settings the output stays below
    /// −120 dBFS.
    pub fn is_quiet(&self) -> bool {
        self.quiet.covers(self.tail_frames())
            && self.lp_left.abs() <= QUIET
            && self.lp_right.abs() <= QUIET
    }

    /// True when nothing above −120 dBFS has been written for a whole line
    /// length: whatever delay is chosen next reads nothing audible, so
    /// parameter changes may jump instead of ramping.
    fn is_empty(&self) -> bool {
        self.quiet.covers(self.len()) && self.lp_left.abs() <= QUIET && self.lp_right.abs() <= QUIET
    }

    /// True when both lines and both feedback filters hold exact zeros.
    pub fn state_is_silent(&self) -> bool {
        self.left.iter().chain(self.right.iter()).all(|v| *v == 0.0)
            && self.lp_left == 0.0
            && self.lp_right == 0.0
    }

    /// True when every value in the lines and feedback filters is exactly
    /// zero or a normal float (never subnormal, NaN or infinite).
    pub fn state_is_clean(&self) -> bool {
        self.left
            .iter()
            .chain(self.right.iter())
            .chain([self.lp_left, self.lp_right].iter())
            .all(|v| *v == 0.0 || v.is_normal())
    }

    /// How far back the read head reaches, in frames: the longer of the
    /// target delay and the current (gliding) one, plus the interpolator's
    /// two older taps. This is the longest an input takes to reach the output.
    pub fn tail_frames(&self) -> usize {
        let reach = self.target_int as f64 + self.target_frac as f64 + self.glide.max(0.0) as f64;
        (reach.ceil() as usize + 2).min(self.len())
    }
}

forward_unit!(Delay, tempo);

/// Constructor for the insert-slot table: a boxed [`Delay`].
pub fn make(sample_rate_hz: f32, max_block_frames: usize) -> Result<Box<dyn Unit>, ConfigError> {
    Ok(Box::new(Delay::new(sample_rate_hz, max_block_frames)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(d: &mut Delay, l: &mut [f32], r: &mut [f32], block: usize) {
        for (a, b) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
            d.process(a, b);
        }
    }

    /// The part of the state the read head can reach (the last
    /// `tail_frames` writes) and the filters are exactly zero.
    fn reachable_state_is_zero(d: &Delay) -> bool {
        let len = d.len();
        (1..=d.tail_frames()).all(|j| {
            let i = (d.write + len - j) % len;
            d.left[i] == 0.0 && d.right[i] == 0.0
        }) && d.lp_left == 0.0
            && d.lp_right == 0.0
    }

    #[test]
    fn impulse_tail_ends_in_exact_zero() {
        for sr in [8000.0f32, 22050.0, 48000.0, 192000.0, 384000.0] {
            let mut d = Delay::new(sr, 128).unwrap();
            let n = (sr * 10.0) as usize + 1;
            let mut l = vec![0.0f32; n];
            let mut r = vec![0.0f32; n];
            l[0] = 1.0;
            r[0] = 1.0;
            run(&mut d, &mut l, &mut r, 128);
            let last = (sr * 0.5) as usize;
            let nz = l.iter().rposition(|v| *v != 0.0);
            assert!(
                nz < Some(n - last),
                "sr {sr}: last non-zero frame {nz:?} of {n}"
            );
            assert!(reachable_state_is_zero(&d), "sr {sr}");
            assert!(d.is_quiet());
        }
    }
}
