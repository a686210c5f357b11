//! Polyphonic subtractive synth: [`VOICES`] voices, each with two
//! band-limited oscillators, a resonant 2-pole low-pass filter with its own
//! ADSR envelope, and an amplitude ADSR.
//!
//! Signal flow of a voice:
//! oscillator 1 (band-limited saw or square) and oscillator 2 (sine or
//! polyBLAMP triangle), mixed → Simper state-variable low-pass → amplitude
//! envelope × velocity gain. The voices are summed, scaled by
//! `synth_gain_db` and written identically to both channels (L == R).
//!
//! # Oscillators
//! Phases are f32 in `[0, 1)`, starting at 0 (oscillator 1) and at the
//! sine's zero crossing (oscillator 2) on a new voice, so the first sample
//! of a note is exactly 0 and the first nonzero sample is the next one
//! (for a saw up to 6 kHz and a square up to 3 kHz; above, the band-limited
//! step of the next wrap reaches back to the first sample). The saw is
//! `2t − 1` band-limited at every wrap by a Kaiser-windowed-sinc step over
//! ±8 samples, read from a table (`osc.rs`); the square is the difference of
//! two such saws half a cycle apart (`saw(t + ½) − saw(t)`), so switching
//! waveform is a crossfade between two saws (10 ms). At 48 kHz their
//! largest alias line within 20 Hz – 20 kHz is 80 dB or more below the
//! fundamental up to note 108 (4186 Hz; the 2-sample polyBLEP it replaces:
//! −32.5 dB there). A sample within 8 samples of a wrap costs one table
//! read per wrap within that distance (about `16·f/fs` per saw). The sine is
//! an odd degree-9 polynomial of the naive triangle (error below 2e-7); the
//! triangle has polyBLAMP corners. Phase increments are held at or below
//! [`MAX_PHASE_INC`] of the sample rate.
//!
//! # Filter
//! A TPT state-variable low-pass (Andrew Simper, Cytomic "SvfLinearTrapOptimised2"):
//! `g = tan(π·fc/fs)`, `k = 1/Q`. Its cutoff is
//! `synth_cutoff_hz · 2^(synth_filter_env_octaves · filter_envelope)`,
//! held in [10 Hz, 0.45·fs]; `synth_resonance` r maps to `Q = 0.5·20^r`
//! (0.5 … 10; r ≈ 0.116 is Butterworth, Q 0.707). The coefficients
//! (`a1 = 1/(1 + g(g + k))`, `a2 = g·a1`, `a3 = g·a2`, f32) change every
//! sample: on every [`CONTROL_FRAMES`]-frame control tick, counted from the
//! last reset, the coefficients for the filter envelope's level at that tick
//! become a target, and over the next 16 frames the coefficients move from
//! the previous target to it in 16 equal f32 steps (reaching it on the
//! segment's last frame), so the cutoff follows the envelope 16 frames
//! (0.33 ms at 48 kHz) late, without steps. On 200 ms, 8-octave sweeps
//! through a sine, held coefficients (16-frame steps) put zipper sidebands
//! at multiples of fs/16 ± the tone at −67 to −77 dB; the ramp leaves them
//! at −118 to −129 dB (tests/dsp/test_synth.py). The ramp's error grows with
//! the square of the sweep's speed at the tone: a sweep from 300 Hz (+8
//! octaves, Q 1.6) through note 102 (4.7 kHz) gives −85 dB (held: −33 dB).
//! Every coefficient set on the way is
//! a convex combination of two sets of the TPT filter, whose state matrix
//! stays stable. A note starts with its coefficients (no ramp); a retrigger
//! leaves the ramp running. `tan` and `2^x` are
//! plain f64 arithmetic (Taylor series), so every runtime computes the same bits.
//!
//! # Envelopes
//! Both ADSRs run per sample in f64 as `level ← base + level·coef`:
//! - attack heads for 1.3 × peak and stops at the peak: `attack_ms` is the
//!   time from 0 to the peak; it starts from the current level, so a retrigger
//!   does not click;
//! - decay/sustain is a one-pole glide to `sustain × peak`; `decay_ms` is the
//!   time to cover 99.9 % (−60 dB) of the distance. A sustain change glides too;
//! - release heads for −0.001 × peak from the CURRENT level and stops at
//!   exactly 0: `release_ms` is the time from the peak to 0, so the amplitude
//!   falls about 60 dB before it lands on an exact zero;
//! - a held note whose sustain is 0 ends once its level is below 1e-9.
//!
//! Rates and sustain levels are refreshed on the 16-frame control tick.
//! The amplitude envelope's peak is the velocity gain `velocity²`
//! (velocity 0.5 → −12 dB); the filter envelope's peak is 1 whatever the
//! velocity.
//!
//! # Parameters
//! The waveform switches crossfade over 10 ms, the oscillator mix ramps over
//! 20 ms and the output gain over 10 ms, all per sample. Cutoff (in log2 Hz),
//! resonance, filter-envelope amount, oscillator 2 detune and both sustain
//! levels ramp over 20 ms in [`CONTROL_FRAMES`]-frame steps; the oscillator 2
//! transposition takes effect at the next control tick, phase-continuously.
//! Envelope times apply from the next control tick, from the current level.
//!
//! # Voices and stealing
//! A note-on with velocity 0 is a note-off. A note-on for a note that is already sounding (held or releasing)
//! retriggers that voice from its current level. Otherwise a free voice
//! starts. With [`VOICES`] notes sounding, the oldest releasing voice (the one
//! released first), else the oldest held voice, is stolen: it fades out
//! linearly from its current level over [`STEAL_FADE_MS`] in one of
//! [`VOICES`] extra fade slots, while the new note starts at once, at its
//! exact frame, on a fresh voice. Only if more than [`VOICES`] steals happen
//! within one fade time is the quietest fading voice cut short.
//!
//! # Real-time behaviour
//! Idle voices cost nothing. Every output sample and every recirculating
//! state value is flushed ([`flush`]); once every voice has ended the output is
//! exactly 0.0. Output does not depend on how a render is split into blocks.
//!
//! # Files
//! This file holds the [`Synth`]: its voice slots, note allocation and
//! stealing, and the render loop. `params.rs` holds the parameter rows, the
//! parameter state and the control values derived from it; `voice.rs` one
//! voice (its notes, control updates and one-voice render); `quad.rs` four
//! voices at once, one per f32x4 lane (envelopes in f64 lanes), added in
//! slot order so that the mix has the bits of the voices rendered one by
//! one; `env.rs` the envelopes; `osc.rs` the band-limited oscillator kernels
//! and `osc4.rs` the same kernels four lanes at a time.

pub use self::params::{
    ATTACK_MS, CUTOFF_HZ, DECAY_MS, FENV_ATTACK_MS, FENV_DECAY_MS, FENV_RELEASE_MS, FENV_SUSTAIN,
    FILTER_ENV_OCTAVES, GAIN_DB, OSC1_WAVE, OSC2_DETUNE_CENTS, OSC2_SEMITONES, OSC2_WAVE, OSC_MIX,
    PARAMS, PARAM_COUNT, RELEASE_MS, RESONANCE, SUSTAIN,
};

use self::osc::blep_tail_table;
use self::params::{Control, ParamState};
use self::quad::render_quad;
use self::voice::{Voice, Weights};
use crate::config::{zeroed, ConfigError};
use crate::math::flush;
use crate::simd::{F4_IS_VECTOR, LANES};

mod env;
mod osc;
mod osc4;
mod params;
mod quad;
#[cfg(test)]
mod tests;
mod voice;

/// Number of notes that can sound at once.
pub const VOICES: usize = 16;
/// Voice slots: [`VOICES`] playing voices plus as many for steal fades.
const SLOTS: usize = 2 * VOICES;
/// Frames between control-rate updates (filter coefficient targets, envelope
/// rates, oscillator 2 pitch), counted from the last reset.
pub const CONTROL_FRAMES: u32 = 16;
/// Fade-out time of a stolen voice, in milliseconds.
pub const STEAL_FADE_MS: f32 = 2.0;
/// Largest oscillator phase increment, in cycles per sample.
pub const MAX_PHASE_INC: f64 = 0.45;

/// The polyphonic synth source (see the module documentation).
#[derive(Clone, Debug)]
pub struct Synth {
    sample_rate_hz: f64,
    max_block_frames: usize,
    params: ParamState,
    ctl: Control,
    frames_to_tick: u32,
    steal_fade_frames: f64,
    stamp: u64,
    voices: [Voice; SLOTS],
    buf_a: Vec<f32>,
    buf_b: Vec<f32>,
    buf_c: Vec<f32>,
    buf_d: Vec<f32>,
    buf_gain: Vec<f32>,
    /// The band-limited step's tail table of the saw and square.
    blep: Vec<f32>,
}

impl Synth {
    /// A silent synth at `sample_rate_hz` rendering up to `max_block_frames`
    /// frames per internal pass (longer renders are split). Allocates the
    /// per-sample parameter buffers.
    pub fn new(sample_rate_hz: f32, max_block_frames: usize) -> Result<Self, ConfigError> {
        if !(sample_rate_hz.is_finite() && sample_rate_hz >= 1000.0) {
            return Err(ConfigError::SampleRate);
        }
        if max_block_frames == 0 {
            return Err(ConfigError::Quantum);
        }
        let sr = sample_rate_hz as f64;
        let mut s = Synth {
            sample_rate_hz: sr,
            max_block_frames,
            params: ParamState::new(sample_rate_hz),
            ctl: Control::new(sr),
            frames_to_tick: 0,
            steal_fade_frames: (STEAL_FADE_MS as f64 * 1e-3 * sr).round().max(1.0),
            stamp: 0,
            voices: [Voice::IDLE; SLOTS],
            buf_a: zeroed(max_block_frames)?,
            buf_b: zeroed(max_block_frames)?,
            buf_c: zeroed(max_block_frames)?,
            buf_d: zeroed(max_block_frames)?,
            buf_gain: zeroed(max_block_frames)?,
            blep: blep_tail_table()?,
        };
        s.reset();
        Ok(s)
    }

    /// Set parameter row `index` of [`PARAMS`] to `value` (already clamped to
    /// the row's range by the caller); unknown rows and non-finite values are
    /// ignored. Continuous parameters ramp over the row's smoothing time.
    pub fn set(&mut self, index: usize, value: f32) {
        self.params.set(index, value);
    }

    /// The last value set for row `index` (the target, not the ramp
    /// position); 0 for an unknown row.
    pub fn get(&self, index: usize) -> f32 {
        self.params.get(index)
    }

    /// Start MIDI note `note` (0..=127; larger values count as 127) at
    /// `velocity` (clamped to 0..1; amplitude `velocity²`). Velocity 0 (or
    /// NaN) is a note-off, as in MIDI.
    pub fn note_on(&mut self, note: u8, velocity: f32) {
        let note = note.min(127);
        let v = if velocity > 0.0 {
            velocity.min(1.0)
        } else {
            0.0
        };
        if v == 0.0 {
            self.note_off(note);
            return;
        }
        let peak = v as f64 * v as f64;
        self.stamp += 1;
        let stamp = self.stamp;
        let sr = self.sample_rate_hz;
        let ctl = self.ctl;

        // Retrigger the newest sounding voice of this note.
        let mut same: Option<usize> = None;
        let mut busy = 0;
        for (i, voice) in self.voices.iter().enumerate() {
            if voice.is_active() && !voice.is_fading() {
                busy += 1;
                if voice.note == note
                    && same.map_or(true, |j| self.voices[j].on_stamp < voice.on_stamp)
                {
                    same = Some(i);
                }
            }
        }
        if let Some(i) = same {
            self.voices[i].retrigger(peak, stamp, &ctl);
            return;
        }
        if busy >= VOICES {
            self.steal_one();
        }
        let slot = match self.voices.iter().position(|v| !v.is_active()) {
            Some(i) => i,
            None => self.cut_quietest_fade(),
        };
        if let Some(voice) = self.voices.get_mut(slot) {
            voice.start(note, peak, stamp, &ctl, sr);
        }
    }

    /// Fade out the oldest releasing voice, else the oldest held voice.
    fn steal_one(&mut self) {
        let mut victim: Option<(bool, u64, usize)> = None; // (held, age stamp, slot)
        for (i, v) in self.voices.iter().enumerate() {
            if !v.is_active() || v.is_fading() {
                continue;
            }
            let key = if v.held {
                (true, v.on_stamp, i)
            } else {
                (false, v.off_stamp, i)
            };
            if victim.map_or(true, |k| key < k) {
                victim = Some(key);
            }
        }
        if let Some((_, _, i)) = victim {
            let frames = self.steal_fade_frames;
            if let Some(v) = self.voices.get_mut(i) {
                v.steal(frames);
            }
        }
    }

    /// End the quietest fading voice at once; returns its slot.
    fn cut_quietest_fade(&mut self) -> usize {
        let mut best = 0;
        let mut best_level = f64::INFINITY;
        for (i, v) in self.voices.iter().enumerate() {
            if v.is_fading() && v.amp.level < best_level {
                best = i;
                best_level = v.amp.level;
            }
        }
        if let Some(v) = self.voices.get_mut(best) {
            *v = Voice::IDLE;
        }
        best
    }

    /// Release every held voice playing `note`, from its current level.
    pub fn note_off(&mut self, note: u8) {
        let note = note.min(127);
        self.stamp += 1;
        let (stamp, ctl) = (self.stamp, self.ctl);
        for v in self.voices.iter_mut() {
            if v.held && v.note == note && v.is_active() {
                v.release(stamp, &ctl);
            }
        }
    }

    /// Release every held voice, from its current level.
    pub fn all_notes_off(&mut self) {
        self.stamp += 1;
        let (stamp, ctl) = (self.stamp, self.ctl);
        for v in self.voices.iter_mut() {
            if v.held && v.is_active() {
                v.release(stamp, &ctl);
            }
        }
    }

    /// The control tick: advance the control-rate ramps by
    /// [`CONTROL_FRAMES`] and refresh every sounding voice.
    fn tick(&mut self) {
        self.params.advance_control();
        self.params.refresh(&mut self.ctl, self.sample_rate_hz);
        let (ctl, sr) = (self.ctl, self.sample_rate_hz);
        for v in self.voices.iter_mut() {
            if v.is_active() {
                v.update_control(&ctl, sr);
            }
        }
        self.frames_to_tick = CONTROL_FRAMES;
    }

    /// Render `left.len()` frames (at most `right.len()`), OVERWRITING both
    /// channels with the same signal. Any length works; frames beyond
    /// `right.len()` in `left` (or vice versa) are set to 0.
    pub fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len().min(right.len());
        let (left, left_rest) = left.split_at_mut(n);
        let (right, right_rest) = right.split_at_mut(n);
        left_rest.fill(0.0);
        right_rest.fill(0.0);
        for chunk in left.chunks_mut(self.max_block_frames) {
            self.render_chunk(chunk);
        }
        right.copy_from_slice(left);
    }

    /// Fill the first `n` frames of the oscillator weight and gain buffers;
    /// whether oscillator 1 and oscillator 2 have a nonzero weight in them.
    fn weights(&mut self, n: usize) -> (bool, bool) {
        let p = &mut self.params;
        let bufs = self
            .buf_a
            .iter_mut()
            .zip(self.buf_b.iter_mut())
            .zip(self.buf_c.iter_mut())
            .zip(self.buf_d.iter_mut())
            .zip(self.buf_gain.iter_mut())
            .take(n);
        let ramping = p.osc1_wave.is_active()
            || p.osc2_wave.is_active()
            || p.mix.is_active()
            || p.gain.is_active();
        if !ramping {
            // At rest every frame has the same weights.
            let (w1, w2, m) = (
                p.osc1_wave.current(),
                p.osc2_wave.current(),
                p.mix.current(),
            );
            let m1 = 1.0 - m;
            let (a, b) = (m1 * (1.0 - (w1 + w1)), m1 * w1);
            let (c, d) = (m * (1.0 - w2), m * w2);
            let g = p.gain.current();
            for ((((va, vb), vc), vd), vg) in bufs {
                (*va, *vb, *vc, *vd, *vg) = (a, b, c, d, g);
            }
            return (m != 1.0, m != 0.0);
        }
        let (mut any1, mut any2) = (false, false);
        for ((((a, b), c), d), g) in bufs {
            let w1 = p.osc1_wave.tick();
            let w2 = p.osc2_wave.tick();
            let m = p.mix.tick();
            let m1 = 1.0 - m;
            *a = m1 * (1.0 - (w1 + w1));
            *b = m1 * w1;
            *c = m * (1.0 - w2);
            *d = m * w2;
            *g = p.gain.tick();
            any1 |= m != 1.0;
            any2 |= m != 0.0;
        }
        (any1, any2)
    }

    fn render_chunk(&mut self, out: &mut [f32]) {
        let n = out.len();
        let (any1, any2) = self.weights(n);
        out.fill(0.0);
        let mut i = 0;
        while i < n {
            if self.frames_to_tick == 0 {
                self.tick();
            }
            let seg = (self.frames_to_tick as usize).min(n - i);
            let range = i..i + seg;
            if let (Some(o), Some(a), Some(b), Some(c), Some(d)) = (
                out.get_mut(range.clone()),
                self.buf_a.get(range.clone()),
                self.buf_b.get(range.clone()),
                self.buf_c.get(range.clone()),
                self.buf_d.get(range),
            ) {
                let w = Weights { a, b, c, d };
                render_voices(&mut self.voices, &w, o, &self.ctl, &self.blep, any1, any2);
            }
            i += seg;
            self.frames_to_tick -= seg as u32;
        }
        for (o, g) in out.iter_mut().zip(self.buf_gain.iter()) {
            *o = flush(*o * *g);
        }
    }

    /// Silence every voice, clear all state and jump every ramp to its
    /// target; the next render starts a fresh control-tick grid.
    pub fn reset(&mut self) {
        self.params.snap();
        self.voices = [Voice::IDLE; SLOTS];
        self.stamp = 0;
        self.frames_to_tick = 0;
        self.params.refresh(&mut self.ctl, self.sample_rate_hz);
    }

    /// True when no voice is sounding: the output stays exactly 0 until the
    /// next note-on.
    pub fn is_quiet(&self) -> bool {
        self.voices.iter().all(|v| !v.is_active())
    }

    /// Voices producing sound, including voices fading out after a steal
    /// (at most `2 × VOICES`, and at most [`VOICES`] once the fades end).
    pub fn active_voices(&self) -> usize {
        self.voices.iter().filter(|v| v.is_active()).count()
    }

    /// Input-to-output latency: 0 (a source has no input; once
    /// [`Synth::is_quiet`] its output is exactly 0).
    pub fn tail_frames(&self) -> usize {
        0
    }
}

/// Add one control segment of every sounding voice to `out`, in slot
/// order: four at a time in [`F4`](crate::simd::F4) lanes ([`render_quad`]) where vectors are
/// real ([`F4_IS_VECTOR`]) and at least two voices share one, else one by
/// one ([`Voice::render`]). Either way the voices are added one after
/// another in slot order, with the same bits.
fn render_voices(
    voices: &mut [Voice; SLOTS],
    w: &Weights,
    out: &mut [f32],
    ctl: &Control,
    blep: &[f32],
    any1: bool,
    any2: bool,
) {
    let mut sounding = voices.iter_mut().filter(|v| v.is_active());
    loop {
        let quad = if F4_IS_VECTOR {
            [(); LANES].map(|_| sounding.next())
        } else {
            [sounding.next(), None, None, None]
        };
        match quad {
            [None, ..] => return,
            [Some(v), None, ..] => match (any1, any2) {
                (true, false) => v.render::<true, false>(w, out, ctl, blep),
                (false, true) => v.render::<false, true>(w, out, ctl, blep),
                _ => v.render::<true, true>(w, out, ctl, blep),
            },
            _ => match (any1, any2) {
                (true, false) => render_quad::<true, false>(quad, w, out, ctl, blep),
                (false, true) => render_quad::<false, true>(quad, w, out, ctl, blep),
                _ => render_quad::<true, true>(quad, w, out, ctl, blep),
            },
        }
    }
}
