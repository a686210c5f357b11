//! Polyphonic sample player: each note plays one sample of the
//! [`SampleBank`] at a pitch-dependent rate, band-limited by a windowed-sinc
//! resampler ([`crate::sources::resample`]), with a linear attack/release
//! envelope.
//!
//! Pitch: a note plays at the rate
//! `2^((note − root)/12 + cents/1200) · sample_rate_sample / sample_rate_engine`,
//! so the root note plays the sample at its original speed and pitch. The
//! ratio is computed in f64 from a table of the twelve equal-tempered
//! semitone ratios, an exact power of two for the octave and a Taylor series
//! for the remaining fraction of a semitone: only IEEE additions, multiplies
//! and divisions, so it is the same bit for bit in wasm and natively.
//!
//! Playback: the read position is a 32.32 fixed-point frame index of the
//! sample, advanced by the rate each output frame. At rate `r < 2` a voice
//! reads the sample itself, at `r ≥ 2` the level of the sample's pyramid
//! decimated by `2^k`, `k = ⌊log2 r⌋`, so that its rate there is below 2.
//! Each output frame is `scale · Σ x[i + j]·h((j − frac)/s)` over the frames
//! `x` of that level around the position (frames outside the sample read as
//! silence), with `h` the Kaiser-windowed sinc of
//! [`crate::sources::resample`], `s = max(1, r/2^k)` stretching it so that
//! its cut-off follows the output rate when pitching up, and
//! `2·⌈36·s⌉` taps rounded up to a multiple of 4 (at most 144) per channel,
//! summed in four lanes: images and aliases stay below −100 dB
//! of the signal from 20 Hz to 20 kHz at 44.1 and 48 kHz, for sample content
//! below 0.4535 of the sample rate. At rate exactly 1 (the root note at equal
//! sample rates) every position is a whole frame and the output is the
//! sample itself, bit for bit, times the envelope, the velocity and the gain.
//! The voice ends when the position passes the last frame.
//!
//! Envelope (per output frame, linear in amplitude):
//! * onset: a ramp from 0 to 1 over `sampler_attack_ms`, never shorter than
//!   [`MIN_ONSET_MS`] so that a sample starting at full level does not click;
//!   the first frame of a note already plays at `1/steps` of full level;
//! * hold at exactly 1;
//! * release (sustained mode, on note-off): a ramp from the current level to
//!   exactly 0 over `sampler_release_ms`, after which the voice ends.
//!
//! Voices: [`VOICES`] notes sound at once. A further note steals the oldest
//! sounding voice, which fades out over [`STEAL_FADE_MS`] while the new note
//! starts in a spare slot. With `sampler_choke` on, every note-on fades out
//! all voices already sounding over [`CHOKE_FADE_MS`], like a hi-hat group
//! where a new hit cuts the ringing one. Velocity (0..1) scales the voice's
//! amplitude linearly; a note-on with velocity 0 is a note-off.
//!
//! Parameters: `sampler_gain_db` ramps linearly over its smoothing time and
//! applies to every sounding voice; all other parameters are read when a note
//! starts (sample, root note, tune, mode, attack, choke) or is released
//! (release), so changing them never makes a sounding voice step.

use crate::config::{ConfigError, SAMPLE_RATE_MAX_HZ, SAMPLE_RATE_MIN_HZ};
use crate::math::{db_to_gain, flush};
use crate::smooth::{steps_for_ms, Linear};
use crate::sources::bank::{SampleBank, SampleRef};
use crate::sources::resample::{self, Kernel, Plan, MAX_TAPS};
use crate::spec::{ParamSpec, Scope, FLAG_STEPPED};

/// Notes that can sound at once.
pub const VOICES: usize = 32;
/// Voice slots: [`VOICES`] sounding notes plus as many slots for voices
/// fading out after being stolen or choked.
const SLOTS: usize = 2 * VOICES;
/// Shortest onset ramp, ms: even with `sampler_attack_ms = 0` a note fades in
/// over this time (24 frames at 48 kHz), so it never starts with a step.
pub const MIN_ONSET_MS: f32 = 0.5;
/// Fade-out time of a voice stolen for a new note, ms.
pub const STEAL_FADE_MS: f32 = 2.0;
/// Fade-out time of voices cut by a new note when `sampler_choke` is on, ms.
pub const CHOKE_FADE_MS: f32 = 2.0;
/// Fractional bits of the fixed-point read position.
const FRAC_BITS: u32 = 32;
/// Highest playback rate, frames of the sample per output frame.
const MAX_RATE: f64 = 16_777_216.0;

/// Index of `sampler_sample` in [`PARAMS`].
pub const P_SAMPLE: usize = 0;
/// Index of `sampler_root_note` in [`PARAMS`].
pub const P_ROOT_NOTE: usize = 1;
/// Index of `sampler_tune_cents` in [`PARAMS`].
pub const P_TUNE_CENTS: usize = 2;
/// Index of `sampler_mode` in [`PARAMS`].
pub const P_MODE: usize = 3;
/// Index of `sampler_attack_ms` in [`PARAMS`].
pub const P_ATTACK_MS: usize = 4;
/// Index of `sampler_release_ms` in [`PARAMS`].
pub const P_RELEASE_MS: usize = 5;
/// Index of `sampler_gain_db` in [`PARAMS`].
pub const P_GAIN_DB: usize = 6;
/// Index of `sampler_choke` in [`PARAMS`].
pub const P_CHOKE: usize = 7;
/// Number of sampler parameters.
pub const PARAM_COUNT: usize = 8;

/// The sampler's parameter rows (scope [`Scope::Sampler`]), indexed by the
/// `P_*` constants.
pub const PARAMS: [ParamSpec; PARAM_COUNT] = [
    ParamSpec {
        name: "sampler_sample",
        unit: "",
        scope: Scope::Sampler,
        min: 0.0,
        max: 255.0,
        default: 0.0,
        smoothing_ms: 0.0,
        flags: FLAG_STEPPED,
        doc: "Id of the sample-bank sample new notes play, 0 to 255; an id with no sample plays silence.",
    },
    ParamSpec {
        name: "sampler_root_note",
        unit: "",
        scope: Scope::Sampler,
        min: 0.0,
        max: 127.0,
        default: 60.0,
        smoothing_ms: 0.0,
        flags: FLAG_STEPPED,
        doc: "MIDI note, 0 to 127, that plays the sample at its original pitch and speed.",
    },
    ParamSpec {
        name: "sampler_tune_cents",
        unit: "cents",
        scope: Scope::Sampler,
        min: -1200.0,
        max: 1200.0,
        default: 0.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Pitch offset of new notes, -1200 to +1200 cents (one octave either way).",
    },
    ParamSpec {
        name: "sampler_mode",
        unit: "",
        scope: Scope::Sampler,
        min: 0.0,
        max: 1.0,
        default: 0.0,
        smoothing_ms: 0.0,
        flags: FLAG_STEPPED,
        doc: "Playback mode of new notes: 0 one-shot (plays to the end, note-off ignored) or 1 sustained (note-off starts the release).",
    },
    ParamSpec {
        name: "sampler_attack_ms",
        unit: "ms",
        scope: Scope::Sampler,
        min: 0.0,
        max: 1000.0,
        default: 0.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Linear fade-in of new notes, 0 to 1000 ms; never shorter than 0.5 ms so onsets do not click.",
    },
    ParamSpec {
        name: "sampler_release_ms",
        unit: "ms",
        scope: Scope::Sampler,
        min: 1.0,
        max: 5000.0,
        default: 50.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Linear fade-out to silence after a note-off in sustained mode, 1 to 5000 ms.",
    },
    ParamSpec {
        name: "sampler_gain_db",
        unit: "dB",
        scope: Scope::Sampler,
        min: -48.0,
        max: 12.0,
        default: 0.0,
        smoothing_ms: 10.0,
        flags: 0,
        doc: "Output level of the sampler, -48 to +12 dB.",
    },
    ParamSpec {
        name: "sampler_choke",
        unit: "",
        scope: Scope::Sampler,
        min: 0.0,
        max: 1.0,
        default: 0.0,
        smoothing_ms: 0.0,
        flags: FLAG_STEPPED,
        doc: "Choke switch: 1 makes each new note cut the sounding ones with a 2 ms fade (hi-hat style), 0 lets them ring.",
    },
];

/// `2^(k/12)` for `k = 0..12`, correctly rounded f64.
const SEMITONE_RATIOS: [f64; 12] = [
    1.0,
    1.059_463_094_359_295_3,
    1.122_462_048_309_373,
    1.189_207_115_002_721,
    1.259_921_049_894_873_2,
    1.334_839_854_170_034_4,
    core::f64::consts::SQRT_2,
    1.498_307_076_876_681_5,
    1.587_401_051_968_199_6,
    1.681_792_830_507_429,
    1.781_797_436_280_678_5,
    1.887_748_625_363_387,
];

/// Frequency ratio of `cents` cents (`2^(cents/1200)`) in f64, built from
/// the twelve-entry semitone table, an exact power of two and a degree-9 Taylor series of
/// `e^y` for the fraction of a semitone (`y < ln2/12`, truncation below
/// 1e-19). Relative error within a few ulps of f64; identical in every
/// runtime because it uses only IEEE-exact operations.
pub fn cents_ratio(cents: f64) -> f64 {
    if !cents.is_finite() {
        return 1.0;
    }
    let cents = cents.clamp(-24_000.0, 24_000.0);
    let mut semis = (cents / 100.0).floor();
    let mut rest = cents - semis * 100.0;
    if rest >= 100.0 {
        semis += 1.0;
        rest -= 100.0;
    }
    if rest < 0.0 {
        semis -= 1.0;
        rest += 100.0;
    }
    let semis = semis as i32;
    let octave = semis.div_euclid(12);
    let semi = semis.rem_euclid(12) as usize;
    let y = rest * (core::f64::consts::LN_2 / 1200.0);
    let mut series = 1.0 / 362_880.0;
    for k in [40_320.0, 5_040.0, 720.0, 120.0, 24.0, 6.0, 2.0, 1.0, 1.0] {
        series = series * y + 1.0 / k;
    }
    let table = SEMITONE_RATIOS.get(semi).copied().unwrap_or(1.0);
    let pow2 = f64::from_bits(((1023 + octave) as u64) << 52);
    table * pow2 * series
}

/// Read-position increment per output frame (32.32 fixed point) for a voice
/// of pitch ratio `pitch` playing a sample recorded at `sample_rate_hz` in an
/// engine running at `engine_rate_hz`; at least 1, at most 2^24 frames.
pub fn position_increment(pitch: f64, sample_rate_hz: f32, engine_rate_hz: f32) -> u64 {
    let rate = pitch * sample_rate_hz as f64 / engine_rate_hz as f64;
    let rate = if rate > MAX_RATE {
        MAX_RATE
    } else if rate > 0.0 {
        rate
    } else {
        0.0
    };
    let inc = (rate * (1u64 << FRAC_BITS) as f64 + 0.5) as u64;
    inc.max(1)
}

/// What a voice reads during one block: the pyramid level its rate plays
/// from, the kernel and how to apply it.
struct Reader<'a> {
    left: &'a [f32],
    right: &'a [f32],
    kernel: &'a Kernel,
    plan: Plan,
    /// Rate exactly 1: every position is a whole frame, read as it is.
    exact: bool,
}

impl Reader<'_> {
    /// Left and right value at read position `pos` (level-0 32.32 frames):
    /// the frame itself at rate 1, else the band-limited interpolation
    /// `scale · Σ x[i + j]·h((j − frac)/s)` on the plan's level.
    #[inline(always)]
    fn read<const STEREO: bool>(&self, pos: u64) -> (f32, f32) {
        if self.exact {
            let i = (pos >> FRAC_BITS) as usize;
            let a = self.left.get(i).copied().unwrap_or(0.0);
            if STEREO {
                return (a, self.right.get(i).copied().unwrap_or(0.0));
            }
            return (a, a);
        }
        let plan = &self.plan;
        let pos = pos >> plan.level;
        let frac = pos as u32;
        let p = resample::first_position(plan, frac);
        let first = (pos >> FRAC_BITS) as isize + 1 - (plan.taps / 2) as isize;
        let taps = plan.taps;
        let inside = first >= 0 && first as usize + taps <= self.left.len();
        if STEREO {
            let (l, r) = if inside {
                let at = first as usize;
                resample::dot2(
                    self.kernel,
                    &self.left[at..at + taps],
                    &self.right[at..at + taps],
                    p,
                    plan.step,
                )
            } else {
                let (mut bl, mut br) = ([0.0; MAX_TAPS], [0.0; MAX_TAPS]);
                let wl = resample::window(self.left, first, taps, &mut bl);
                let wr = resample::window(self.right, first, taps, &mut br);
                resample::dot2(self.kernel, wl, wr, p, plan.step)
            };
            (l * plan.scale, r * plan.scale)
        } else {
            let l = if inside {
                let at = first as usize;
                resample::dot(self.kernel, &self.left[at..at + taps], p, plan.step)
            } else {
                let mut bl = [0.0; MAX_TAPS];
                let wl = resample::window(self.left, first, taps, &mut bl);
                resample::dot(self.kernel, wl, p, plan.step)
            };
            let l = l * plan.scale;
            (l, l)
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Voice {
    active: bool,
    note: u8,
    sample: u32,
    /// Note-off releases the voice (sustained mode).
    sustained: bool,
    /// A release or fade has started: note-offs no longer apply.
    released: bool,
    /// Stolen or choked: fading out, no longer counted as a sounding note.
    fading: bool,
    /// Note-on order, for stealing the oldest voice.
    age: u64,
    /// Pitch ratio of the note relative to the root.
    pitch: f64,
    /// Read position, 32.32 fixed-point frames.
    pos: u64,
    velocity: f32,
    env: f32,
    env_target: f32,
    env_step: f32,
    env_remaining: u32,
}

impl Voice {
    const IDLE: Voice = Voice {
        active: false,
        note: 0,
        sample: 0,
        sustained: false,
        released: false,
        fading: false,
        age: 0,
        pitch: 1.0,
        pos: 0,
        velocity: 0.0,
        env: 0.0,
        env_target: 0.0,
        env_step: 0.0,
        env_remaining: 0,
    };

    /// Ramp the envelope linearly from its current level to `target` in
    /// `steps` frames; each frame's level is `target − step·remaining`, so the
    /// ramp ends exactly on the target.
    fn ramp_to(&mut self, target: f32, steps: u32) {
        self.env_target = target;
        if steps == 0 || target == self.env {
            self.env = target;
            self.env_step = 0.0;
            self.env_remaining = 0;
        } else {
            self.env_step = (target - self.env) / steps as f32;
            self.env_remaining = steps;
        }
    }

    fn release(&mut self, steps: u32) {
        self.released = true;
        self.ramp_to(0.0, steps);
    }

    fn fade(&mut self, steps: u32) {
        self.fading = true;
        self.release(steps);
    }

    /// Sounding as a note (not fading after a steal or choke).
    fn is_live(&self) -> bool {
        self.active && !self.fading
    }

    /// Add `left.len()` frames of this voice to the buffers. The caller
    /// bounds the segment so that the envelope is either ramping for all of
    /// it (`RAMP`) or constant.
    #[inline(always)]
    fn segment<const RAMP: bool, const STEREO: bool>(
        &mut self,
        rd: &Reader<'_>,
        inc: u64,
        left: &mut [f32],
        right: &mut [f32],
    ) {
        let mut pos = self.pos;
        let mut rem = self.env_remaining;
        let (target, step, vel) = (self.env_target, self.env_step, self.velocity);
        let mut g = self.env * vel;
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            if RAMP {
                rem = rem.saturating_sub(1);
                g = (target - step * rem as f32) * vel;
            }
            let (a, b) = rd.read::<STEREO>(pos);
            let yl = a * g;
            *l += yl;
            if STEREO {
                *r += b * g;
            } else {
                *r += yl;
            }
            pos = pos.wrapping_add(inc);
        }
        self.pos = pos;
        if RAMP {
            self.env_remaining = rem;
            self.env = target - step * rem as f32;
        }
    }

    /// Add this voice's next `left.len()` frames to the buffers; ends the
    /// voice when its sample or its release runs out.
    fn render(
        &mut self,
        s: &SampleRef<'_>,
        kernel: &Kernel,
        inc: u64,
        left: &mut [f32],
        right: &mut [f32],
    ) {
        let n = left.len().min(right.len());
        let end = (s.frames as u64) << FRAC_BITS;
        let stereo = s.channels == 2;
        let plan = resample::plan(inc);
        let (lv_left, lv_right) = match s.level(plan.level) {
            Some(lv) => lv,
            None => {
                // The rate passes the whole sample within one output frame.
                self.active = false;
                return;
            }
        };
        let rd = Reader {
            left: lv_left,
            right: lv_right,
            kernel,
            plan,
            exact: inc == 1u64 << FRAC_BITS,
        };
        let mut k = 0;
        while k < n {
            if self.pos >= end || (self.env_remaining == 0 && self.env_target == 0.0) {
                self.active = false;
                return;
            }
            let to_end = (end - self.pos + inc - 1) / inc;
            let ramp = self.env_remaining > 0;
            let mut seg = ((n - k) as u64).min(to_end);
            if ramp {
                seg = seg.min(self.env_remaining as u64);
            }
            let seg = seg as usize;
            if let (Some(l), Some(r)) = (left.get_mut(k..k + seg), right.get_mut(k..k + seg)) {
                match (ramp, stereo) {
                    (true, true) => self.segment::<true, true>(&rd, inc, l, r),
                    (true, false) => self.segment::<true, false>(&rd, inc, l, r),
                    (false, true) => self.segment::<false, true>(&rd, inc, l, r),
                    (false, false) => self.segment::<false, false>(&rd, inc, l, r),
                }
            }
            k += seg;
        }
        if self.pos >= end || (self.env_remaining == 0 && self.env_target == 0.0) {
            self.active = false;
        }
    }
}

/// The sampler source: [`VOICES`]-voice polyphonic playback of bank samples.
#[derive(Clone, Debug)]
pub struct Sampler {
    sample_rate_hz: f32,
    values: [f32; PARAM_COUNT],
    gain: Linear,
    voices: [Voice; SLOTS],
    next_age: u64,
}

impl Sampler {
    /// A silent sampler at `sample_rate_hz` with every parameter at its
    /// default. `max_block_frames` is the longest block [`Sampler::render`]
    /// will be given (the sampler needs no scratch buffers, so it only
    /// checks it is not zero). Allocates nothing.
    pub fn new(sample_rate_hz: f32, max_block_frames: usize) -> Result<Self, ConfigError> {
        if !(SAMPLE_RATE_MIN_HZ..=SAMPLE_RATE_MAX_HZ).contains(&sample_rate_hz) {
            return Err(ConfigError::SampleRate);
        }
        if max_block_frames == 0 {
            return Err(ConfigError::Quantum);
        }
        let mut values = [0.0; PARAM_COUNT];
        for (v, p) in values.iter_mut().zip(PARAMS.iter()) {
            *v = p.default;
        }
        Ok(Sampler {
            sample_rate_hz,
            values,
            gain: Linear::new(db_to_gain(values[P_GAIN_DB] as f64) as f32),
            voices: [Voice::IDLE; SLOTS],
            next_age: 0,
        })
    }

    /// Set parameter `index` (a row of [`PARAMS`]) to `value`, already
    /// clamped to the row's range. Unknown indices and non-finite values are
    /// ignored.
    pub fn set(&mut self, index: usize, value: f32) {
        if !value.is_finite() {
            return;
        }
        if let Some(v) = self.values.get_mut(index) {
            *v = value;
            if index == P_GAIN_DB {
                let steps = steps_for_ms(PARAMS[P_GAIN_DB].smoothing_ms, self.sample_rate_hz);
                self.gain.set_target(db_to_gain(value as f64) as f32, steps);
            }
        }
    }

    /// The last value set for parameter `index` (its default if never set;
    /// 0 for an unknown index).
    pub fn get(&self, index: usize) -> f32 {
        self.values.get(index).copied().unwrap_or(0.0)
    }

    fn steps(&self, ms: f32) -> u32 {
        steps_for_ms(ms, self.sample_rate_hz).max(1)
    }

    /// Start note `note` (MIDI 0..127; higher notes are ignored) at
    /// `velocity` in 0..1 (linear amplitude); velocity 0 (or NaN) is a
    /// note-off. Takes effect at the next rendered frame.
    pub fn note_on(&mut self, note: u8, velocity: f32) {
        if note > 127 {
            return;
        }
        let velocity = if velocity > 1.0 { 1.0 } else { velocity };
        if velocity.is_nan() || velocity <= 0.0 {
            self.note_off(note);
            return;
        }
        if self.values[P_CHOKE] >= 0.5 {
            let steps = self.steps(CHOKE_FADE_MS);
            for v in self.voices.iter_mut().filter(|v| v.is_live()) {
                v.fade(steps);
            }
        }
        // Steal the oldest sounding note when all VOICES are in use.
        let live = self.voices.iter().filter(|v| v.is_live()).count();
        if live >= VOICES {
            let steps = self.steps(STEAL_FADE_MS);
            if let Some(v) = self
                .voices
                .iter_mut()
                .filter(|v| v.is_live())
                .min_by_key(|v| v.age)
            {
                v.fade(steps);
            }
        }
        // A free slot, else the oldest fading voice is cut (only possible
        // after more than VOICES note-ons within one fade time).
        let slot = match self.voices.iter().position(|v| !v.active) {
            Some(i) => i,
            None => self
                .voices
                .iter()
                .enumerate()
                .filter(|(_, v)| v.fading)
                .min_by_key(|(_, v)| v.age)
                .map(|(i, _)| i)
                .unwrap_or(0),
        };
        let semitones = note as i32 - self.values[P_ROOT_NOTE] as i32;
        let cents = semitones as f64 * 100.0 + self.values[P_TUNE_CENTS] as f64;
        let attack = self
            .steps(self.values[P_ATTACK_MS])
            .max(self.steps(MIN_ONSET_MS));
        let mut v = Voice {
            active: true,
            note,
            sample: self.values[P_SAMPLE] as u32,
            sustained: self.values[P_MODE] >= 0.5,
            released: false,
            fading: false,
            age: self.next_age,
            pitch: cents_ratio(cents),
            pos: 0,
            velocity,
            ..Voice::IDLE
        };
        v.ramp_to(1.0, attack);
        self.next_age += 1;
        if let Some(slot) = self.voices.get_mut(slot) {
            *slot = v;
        }
    }

    /// Release every sustained-mode voice playing `note` over
    /// `sampler_release_ms`; one-shot voices ignore it.
    pub fn note_off(&mut self, note: u8) {
        let steps = self.steps(self.values[P_RELEASE_MS]);
        for v in self.voices.iter_mut() {
            if v.is_live() && !v.released && v.sustained && v.note == note {
                v.release(steps);
            }
        }
    }

    /// Release every voice over `sampler_release_ms`, one-shot voices
    /// included (the transport's stop).
    pub fn all_notes_off(&mut self) {
        let steps = self.steps(self.values[P_RELEASE_MS]);
        for v in self.voices.iter_mut() {
            if v.is_live() && !v.released {
                v.release(steps);
            }
        }
    }

    /// Render the next frames: OVERWRITES `left` and `right` (both are
    /// zeroed first; `min(left.len(), right.len())` frames are rendered).
    /// Voices whose sample id is not in `bank` end silently.
    pub fn render(&mut self, bank: &SampleBank, left: &mut [f32], right: &mut [f32]) {
        left.fill(0.0);
        right.fill(0.0);
        let n = left.len().min(right.len());
        let (left, right) = (&mut left[..n], &mut right[..n]);
        let engine_sr = self.sample_rate_hz;
        let mut any = false;
        for v in self.voices.iter_mut().filter(|v| v.active) {
            match (bank.get(v.sample), bank.kernel()) {
                (Some(s), Some(kernel)) => {
                    let inc = position_increment(v.pitch, s.sample_rate_hz, engine_sr);
                    v.render(&s, kernel, inc, left, right);
                    any = true;
                }
                _ => v.active = false,
            }
        }
        if !any {
            self.gain.advance(n as u32);
            return;
        }
        if self.gain.is_active() {
            for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                let g = self.gain.tick();
                *l = flush(*l * g);
                *r = flush(*r * g);
            }
        } else {
            let g = self.gain.current();
            for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                *l = flush(*l * g);
                *r = flush(*r * g);
            }
        }
    }

    /// Silence every voice at once and jump the gain ramp to its target.
    pub fn reset(&mut self) {
        self.voices = [Voice::IDLE; SLOTS];
        self.gain.snap();
        self.next_age = 0;
    }

    /// True when no voice is sounding: the output is exactly zero until the
    /// next note-on.
    pub fn is_quiet(&self) -> bool {
        !self.voices.iter().any(|v| v.active)
    }

    /// Voices sounding, including ones fading out after a steal or choke.
    pub fn active_voices(&self) -> usize {
        self.voices.iter().filter(|v| v.active).count()
    }

    /// Longest time an input takes to reach the output: 0, a source has no
    /// input.
    pub fn tail_frames(&self) -> usize {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: f32 = 48000.0;

    /// A bank holding one mono sample of `data` recorded at `sr`.
    fn bank_with(data: &[f32], sr: f32) -> SampleBank {
        let mut b = SampleBank::new();
        let id = b.add(data.len(), 1, sr).unwrap();
        b.data_mut(id).unwrap().copy_from_slice(data);
        b.sanitize(id);
        b
    }

    fn render(s: &mut Sampler, bank: &SampleBank, n: usize, block: usize) -> (Vec<f32>, Vec<f32>) {
        let (mut l, mut r) = (vec![0.0; n], vec![0.0; n]);
        let mut i = 0;
        while i < n {
            let m = block.min(n - i);
            s.render(bank, &mut l[i..i + m], &mut r[i..i + m]);
            i += m;
        }
        (l, r)
    }

    #[test]
    fn thirty_two_voices_sound_together_and_the_33rd_steals_the_oldest() {
        let bank = bank_with(&[0.01f32; 48000], SR);
        let mut s = Sampler::new(SR, 128).unwrap();
        for k in 0..VOICES {
            s.note_on(40 + k as u8, 1.0);
        }
        assert_eq!(s.active_voices(), VOICES);
        let (l, _) = render(&mut s, &bank, 256, 128);
        assert!((l[200] - 0.32).abs() < 1e-5, "{}", l[200]);
        s.note_on(100, 1.0);
        assert_eq!(s.active_voices(), VOICES + 1);
        let (l, _) = render(&mut s, &bank, 256, 128);
        // The stolen voice faded over 96 frames while the new one ramped in
        // over 24: the sum never drops, and overshoots by less than one voice.
        assert_eq!(s.active_voices(), VOICES);
        assert!((l[200] - 0.32).abs() < 1e-5);
        assert!(l.iter().all(|v| *v < 0.33 && *v > 0.31));
        // The oldest (note 40) went: a note-off for it finds nothing.
        assert!(s.voices.iter().filter(|v| v.active).all(|v| v.note != 40));
    }

    #[test]
    fn cents_ratio_matches_powf_and_is_exact_on_octaves() {
        let mut c = -24_000.0f64;
        while c <= 24_000.0 {
            let want = 2f64.powf(c / 1200.0);
            let rel = ((cents_ratio(c) - want) / want).abs();
            // The reference rounds its exponent c/1200 first, which alone
            // costs up to |c/1200|·2^-53·ln2 relative (2e-15 at 24000 cents).
            let bound = 4e-16 + (c / 1200.0).abs() * 1.2e-16;
            assert!(rel < bound, "cents={c} rel={rel}");
            c += 7.31;
        }
        for k in -20..=20 {
            assert_eq!(cents_ratio(k as f64 * 1200.0), 2f64.powi(k));
        }
        for (k, r) in SEMITONE_RATIOS.iter().enumerate() {
            assert_eq!(cents_ratio(k as f64 * 100.0), *r);
            let want = 2f64.powf(k as f64 / 12.0);
            assert!((r - want).abs() <= f64::EPSILON * want, "semitone {k}");
        }
        assert_eq!(cents_ratio(f64::NAN), 1.0);
    }
}
