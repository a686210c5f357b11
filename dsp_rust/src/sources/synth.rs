//! Polyphonic subtractive synth: [`VOICES`] voices, each with two
//! band-limited oscillators, a resonant 2-pole low-pass filter with its own
//! ADSR envelope, and an amplitude ADSR.
//!
//! Signal flow of a voice:
//! oscillator 1 (polyBLEP saw or square) and oscillator 2 (sine or
//! polyBLAMP triangle), mixed → Simper state-variable low-pass → amplitude
//! envelope × velocity gain. The voices are summed, scaled by
//! `synth_gain_db` and written identically to both channels (L == R).
//!
//! # Oscillators
//! Phases are f32 in `[0, 1)`, starting at 0 (oscillator 1) and at the
//! sine's zero crossing (oscillator 2) on a new voice, so the first sample
//! of a note is exactly 0 and the first nonzero sample is the next one.
//! The saw is `2t − 1` minus a 2-sample polyBLEP residual; the square is the
//! difference of two polyBLEP saws half a cycle apart (`saw(t + ½) − saw(t)`),
//! so switching waveform is a crossfade between two saws (10 ms). The sine is
//! an odd degree-9 polynomial of the naive triangle (error below 2e-7); the
//! triangle has polyBLAMP corners. Phase increments are held at or below
//! [`MAX_PHASE_INC`] of the sample rate.
//!
//! # Filter
//! A TPT state-variable low-pass (Andrew Simper, Cytomic "SvfLinearTrapOptimised2"):
//! `g = tan(π·fc/fs)`, `k = 1/Q`. Its cutoff is
//! `synth_cutoff_hz · 2^(synth_filter_env_octaves · filter_envelope)`,
//! held in [10 Hz, 0.45·fs]; `synth_resonance` r maps to `Q = 0.5·20^r`
//! (0.5 … 10; r ≈ 0.116 is Butterworth, Q 0.707). Coefficients are computed
//! every [`CONTROL_FRAMES`] frames counted from the last reset (and when a note
//! starts) and then held: the cutoff moves in 16-frame steps (0.33 ms at
//! 48 kHz), which the TPT structure takes without clicks. `tan` and `2^x` are
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

use crate::config::{zeroed, ConfigError};
use crate::math::{db_gain, exp2_f64, flush, flush_f64, log2_f64, sin_half_pi, tan_pi_f64};
use crate::smooth::{steps_for_ms, Linear};
use crate::spec::{ParamSpec, Scope, FLAG_STEPPED};

/// Number of notes that can sound at once.
pub const VOICES: usize = 16;
/// Voice slots: [`VOICES`] playing voices plus as many for steal fades.
const SLOTS: usize = 2 * VOICES;
/// Frames between control-rate updates (filter coefficients, envelope rates,
/// oscillator 2 pitch), counted from the last reset.
pub const CONTROL_FRAMES: u32 = 16;
/// Fade-out time of a stolen voice, in milliseconds.
pub const STEAL_FADE_MS: f32 = 2.0;
/// Largest oscillator phase increment, in cycles per sample.
pub const MAX_PHASE_INC: f64 = 0.45;

/// Crossfade time of the stepped waveform switches, ms.
const WAVE_SMOOTHING_MS: f32 = 10.0;
/// Ramp time of the continuous parameters, ms.
const SMOOTHING_MS: f32 = 20.0;
/// Ramp time of the output gain, ms.
const GAIN_SMOOTHING_MS: f32 = 10.0;

const MIN_CUTOFF_HZ: f64 = 10.0;
const MAX_CUTOFF_RATIO: f64 = 0.45;
/// Attack target above the peak, as a fraction of the peak.
const ATTACK_OVERSHOOT: f64 = 0.3;
/// Release target below zero, as a fraction of the peak.
const RELEASE_UNDERSHOOT: f64 = 0.001;
/// log2((1 + 0.3) / 0.3): attack time constants from 0 to the peak.
const LOG2_ATTACK_SPAN: f64 = 2.115_477_217_419_936;
/// log2(1000): decay covers 99.9 % of the distance to the sustain level.
const LOG2_DECAY_SPAN: f64 = 9.965_784_284_662_087;
/// log2((1 + 0.001) / 0.001): release time constants from the peak to 0.
const LOG2_RELEASE_SPAN: f64 = 9.967_226_258_835_993;
/// log2(20): resonance 1 gives Q = 0.5 · 20.
const LOG2_Q_SPAN: f64 = 4.321_928_094_887_363;
/// A held note with sustain 0 ends below this envelope level.
const SILENT_LEVEL: f64 = 1e-9;

/// Row index of `synth_osc1_wave`.
pub const OSC1_WAVE: usize = 0;
/// Row index of `synth_osc2_wave`.
pub const OSC2_WAVE: usize = 1;
/// Row index of `synth_osc2_semitones`.
pub const OSC2_SEMITONES: usize = 2;
/// Row index of `synth_osc2_detune_cents`.
pub const OSC2_DETUNE_CENTS: usize = 3;
/// Row index of `synth_osc_mix`.
pub const OSC_MIX: usize = 4;
/// Row index of `synth_cutoff_hz`.
pub const CUTOFF_HZ: usize = 5;
/// Row index of `synth_resonance`.
pub const RESONANCE: usize = 6;
/// Row index of `synth_filter_env_octaves`.
pub const FILTER_ENV_OCTAVES: usize = 7;
/// Row index of `synth_fenv_attack_ms`.
pub const FENV_ATTACK_MS: usize = 8;
/// Row index of `synth_fenv_decay_ms`.
pub const FENV_DECAY_MS: usize = 9;
/// Row index of `synth_fenv_sustain`.
pub const FENV_SUSTAIN: usize = 10;
/// Row index of `synth_fenv_release_ms`.
pub const FENV_RELEASE_MS: usize = 11;
/// Row index of `synth_attack_ms`.
pub const ATTACK_MS: usize = 12;
/// Row index of `synth_decay_ms`.
pub const DECAY_MS: usize = 13;
/// Row index of `synth_sustain`.
pub const SUSTAIN: usize = 14;
/// Row index of `synth_release_ms`.
pub const RELEASE_MS: usize = 15;
/// Row index of `synth_gain_db`.
pub const GAIN_DB: usize = 16;
/// Number of synth parameters.
pub const PARAM_COUNT: usize = 17;

/// The synth's rows of the parameter table, in row-index order.
pub const PARAMS: [ParamSpec; PARAM_COUNT] = [
    ParamSpec {
        name: "synth_osc1_wave",
        unit: "",
        scope: Scope::Synth,
        min: 0.0,
        max: 1.0,
        default: 0.0,
        smoothing_ms: WAVE_SMOOTHING_MS,
        flags: FLAG_STEPPED,
        doc: "Oscillator 1 waveform, 0 (band-limited saw) or 1 (band-limited square); a change crossfades over 10 ms.",
    },
    ParamSpec {
        name: "synth_osc2_wave",
        unit: "",
        scope: Scope::Synth,
        min: 0.0,
        max: 1.0,
        default: 0.0,
        smoothing_ms: WAVE_SMOOTHING_MS,
        flags: FLAG_STEPPED,
        doc: "Oscillator 2 waveform, 0 (sine) or 1 (band-limited triangle); a change crossfades over 10 ms.",
    },
    ParamSpec {
        name: "synth_osc2_semitones",
        unit: "st",
        scope: Scope::Synth,
        min: -24.0,
        max: 24.0,
        default: 0.0,
        smoothing_ms: 0.0,
        flags: FLAG_STEPPED,
        doc: "Oscillator 2 transposition against the played note, -24 to +24 semitones; pitch changes keep the phase continuous.",
    },
    ParamSpec {
        name: "synth_osc2_detune_cents",
        unit: "cents",
        scope: Scope::Synth,
        min: -100.0,
        max: 100.0,
        default: 0.0,
        smoothing_ms: SMOOTHING_MS,
        flags: 0,
        doc: "Oscillator 2 fine tuning, -100 to +100 cents.",
    },
    ParamSpec {
        name: "synth_osc_mix",
        unit: "",
        scope: Scope::Synth,
        min: 0.0,
        max: 1.0,
        default: 0.0,
        smoothing_ms: SMOOTHING_MS,
        flags: 0,
        doc: "Oscillator balance, 0 (oscillator 1 only) to 1 (oscillator 2 only), linear crossfade.",
    },
    ParamSpec {
        name: "synth_cutoff_hz",
        unit: "Hz",
        scope: Scope::Synth,
        min: 20.0,
        max: 20000.0,
        default: 2000.0,
        smoothing_ms: SMOOTHING_MS,
        flags: 0,
        doc: "Low-pass filter cutoff before the filter envelope, 20 to 20000 Hz, held below 0.45 x the sample rate.",
    },
    ParamSpec {
        name: "synth_resonance",
        unit: "",
        scope: Scope::Synth,
        min: 0.0,
        max: 1.0,
        default: 0.0,
        smoothing_ms: SMOOTHING_MS,
        flags: 0,
        doc: "Low-pass filter resonance, 0 to 1, mapped to Q = 0.5 x 20^resonance (0.5 to 10).",
    },
    ParamSpec {
        name: "synth_filter_env_octaves",
        unit: "oct",
        scope: Scope::Synth,
        min: -4.0,
        max: 8.0,
        default: 0.0,
        smoothing_ms: SMOOTHING_MS,
        flags: 0,
        doc: "Filter envelope amount, -4 to +8 octaves added to the cutoff at the envelope's peak.",
    },
    ParamSpec {
        name: "synth_fenv_attack_ms",
        unit: "ms",
        scope: Scope::Synth,
        min: 0.5,
        max: 5000.0,
        default: 1.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Filter envelope attack, the time from 0 to the peak, 0.5 to 5000 ms.",
    },
    ParamSpec {
        name: "synth_fenv_decay_ms",
        unit: "ms",
        scope: Scope::Synth,
        min: 1.0,
        max: 5000.0,
        default: 300.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Filter envelope decay, the time to come within 0.1 % of the sustain level, 1 to 5000 ms.",
    },
    ParamSpec {
        name: "synth_fenv_sustain",
        unit: "",
        scope: Scope::Synth,
        min: 0.0,
        max: 1.0,
        default: 0.0,
        smoothing_ms: SMOOTHING_MS,
        flags: 0,
        doc: "Filter envelope sustain level, 0 to 1 of the peak.",
    },
    ParamSpec {
        name: "synth_fenv_release_ms",
        unit: "ms",
        scope: Scope::Synth,
        min: 1.0,
        max: 10000.0,
        default: 300.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Filter envelope release, the time from the peak to 0, 1 to 10000 ms.",
    },
    ParamSpec {
        name: "synth_attack_ms",
        unit: "ms",
        scope: Scope::Synth,
        min: 0.5,
        max: 5000.0,
        default: 5.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Amplitude attack, the time from silence to the peak, 0.5 to 5000 ms.",
    },
    ParamSpec {
        name: "synth_decay_ms",
        unit: "ms",
        scope: Scope::Synth,
        min: 1.0,
        max: 5000.0,
        default: 300.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Amplitude decay, the time to come within 0.1 % of the sustain level, 1 to 5000 ms.",
    },
    ParamSpec {
        name: "synth_sustain",
        unit: "",
        scope: Scope::Synth,
        min: 0.0,
        max: 1.0,
        default: 0.7,
        smoothing_ms: SMOOTHING_MS,
        flags: 0,
        doc: "Amplitude sustain level, 0 to 1 of the peak.",
    },
    ParamSpec {
        name: "synth_release_ms",
        unit: "ms",
        scope: Scope::Synth,
        min: 1.0,
        max: 10000.0,
        default: 300.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Amplitude release, the time from the peak to silence (exact zero), 1 to 10000 ms.",
    },
    ParamSpec {
        name: "synth_gain_db",
        unit: "dB",
        scope: Scope::Synth,
        min: -48.0,
        max: 12.0,
        default: -12.0,
        smoothing_ms: GAIN_SMOOTHING_MS,
        flags: 0,
        doc: "Synth output level, -48 to +12 dB; a full-velocity note peaks near this level.",
    },
];

// ---------------------------------------------------------------------------
// Envelopes

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Idle,
    Attack,
    Decay,
    Release,
    Fade,
}

/// Per-sample coefficients of the three timed stages.
#[derive(Clone, Copy, Debug)]
struct EnvRates {
    attack: f64,
    decay: f64,
    release: f64,
}

impl EnvRates {
    fn new(sample_rate_hz: f64, attack_ms: f32, decay_ms: f32, release_ms: f32) -> Self {
        let coef = |span: f64, ms: f32| {
            let frames = (ms as f64 * 1e-3 * sample_rate_hz).max(1.0);
            exp2_f64(-span / frames)
        };
        EnvRates {
            attack: coef(LOG2_ATTACK_SPAN, attack_ms),
            decay: coef(LOG2_DECAY_SPAN, decay_ms),
            release: coef(LOG2_RELEASE_SPAN, release_ms),
        }
    }
}

/// One ADSR, in f64: `level ← base + level·coef` per sample; leaving
/// `(lo, hi)` ends the stage. (In f32 a one-pole with a coefficient near 1
/// would settle up to 0.1 % off its target and run up to 0.4 % off its time.)
#[derive(Clone, Copy, Debug)]
struct Env {
    level: f64,
    base: f64,
    coef: f64,
    lo: f64,
    hi: f64,
    peak: f64,
    stage: Stage,
}

impl Env {
    const IDLE: Env = Env {
        level: 0.0,
        base: 0.0,
        coef: 0.0,
        lo: f64::NEG_INFINITY,
        hi: f64::INFINITY,
        peak: 1.0,
        stage: Stage::Idle,
    };

    /// Stage coefficients from the current rates and sustain fraction.
    fn configure(&mut self, r: &EnvRates, sustain: f32) {
        let peak = self.peak;
        let (base, coef, lo, hi) = match self.stage {
            Stage::Idle => (0.0, 0.0, f64::NEG_INFINITY, f64::INFINITY),
            Stage::Attack => {
                let c = r.attack;
                let base = peak * (1.0 + ATTACK_OVERSHOOT) * (1.0 - c);
                (base, c, f64::NEG_INFINITY, self.peak)
            }
            Stage::Decay => {
                let c = r.decay;
                let s = sustain as f64 * peak;
                let lo = if s == 0.0 {
                    SILENT_LEVEL
                } else {
                    f64::NEG_INFINITY
                };
                (s * (1.0 - c), c, lo, f64::INFINITY)
            }
            Stage::Release => {
                let c = r.release;
                (
                    -RELEASE_UNDERSHOOT * peak * (1.0 - c),
                    c,
                    0.0,
                    f64::INFINITY,
                )
            }
            Stage::Fade => return,
        };
        self.base = base;
        self.coef = coef;
        self.lo = lo;
        self.hi = hi;
    }

    /// Start (or restart) the attack from the current level.
    fn trigger(&mut self, peak: f64, r: &EnvRates, sustain: f32) {
        self.peak = peak;
        self.stage = if self.level >= peak {
            Stage::Decay
        } else {
            Stage::Attack
        };
        self.configure(r, sustain);
    }

    /// Start the release from the current level.
    fn release(&mut self, r: &EnvRates, sustain: f32) {
        if self.stage != Stage::Idle {
            self.stage = Stage::Release;
            self.configure(r, sustain);
        }
    }

    /// The per-sample step; ends the stage when the level leaves `(lo, hi)`.
    #[inline(always)]
    fn tick(&mut self, r: &EnvRates, sustain: f32) {
        self.level = self.base + self.level * self.coef;
        if !(self.level < self.hi && self.level > self.lo) {
            self.end_stage(r, sustain);
        }
    }

    #[cold]
    fn end_stage(&mut self, r: &EnvRates, sustain: f32) {
        match self.stage {
            Stage::Attack => {
                self.level = self.peak;
                self.stage = Stage::Decay;
                self.configure(r, sustain);
            }
            _ => *self = Env::IDLE,
        }
    }
}

// ---------------------------------------------------------------------------
// Oscillator kernels

/// 2-sample polyBLEP residual of a unit downward step at phase 0.
#[inline(always)]
fn blep(t: f32, dt: f32, one_minus_dt: f32, inv_dt: f32) -> f32 {
    if t < dt {
        let x = t * inv_dt;
        x + x - x * x - 1.0
    } else if t > one_minus_dt {
        let x = (t - 1.0) * inv_dt;
        x * x + x + x + 1.0
    } else {
        0.0
    }
}

/// 2-sample polyBLAMP residual (×2) of a corner at phase 0.
#[inline(always)]
fn blamp(t: f32, dt: f32, one_minus_dt: f32, inv_dt: f32) -> f32 {
    if t < dt {
        let x = t * inv_dt - 1.0;
        -x * x * x * (1.0 / 3.0)
    } else if t > one_minus_dt {
        let x = (t - 1.0) * inv_dt + 1.0;
        x * x * x * (1.0 / 3.0)
    } else {
        0.0
    }
}

/// Band-limited saw, `2t − 1` with the jump at `t = 0`.
#[inline(always)]
fn saw(t: f32, dt: f32, one_minus_dt: f32, inv_dt: f32) -> f32 {
    (t + t - 1.0) - blep(t, dt, one_minus_dt, inv_dt)
}

#[inline(always)]
fn wrap_half(t: f32) -> f32 {
    let h = t + 0.5;
    if h >= 1.0 {
        h - 1.0
    } else {
        h
    }
}

#[inline(always)]
fn advance(t: f32, dt: f32) -> f32 {
    let n = t + dt;
    if n >= 1.0 {
        n - 1.0
    } else {
        n
    }
}

// ---------------------------------------------------------------------------
// Control values shared by every voice, refreshed on the control tick.

#[derive(Clone, Copy, Debug)]
struct Control {
    /// Oscillator 2 frequency over the note's frequency.
    osc2_ratio: f64,
    cutoff_log2: f64,
    env_octaves: f64,
    /// Cutoff limits in log2(Hz): 10 Hz and 0.45 × the sample rate.
    min_cutoff_log2: f64,
    max_cutoff_log2: f64,
    /// SVF damping `k = 1/Q`.
    k: f64,
    amp: EnvRates,
    fenv: EnvRates,
    sustain: f32,
    fenv_sustain: f32,
}

/// Per-sample oscillator weights: saw(t), saw(t + ½), sine, triangle.
struct Weights<'a> {
    a: &'a [f32],
    b: &'a [f32],
    c: &'a [f32],
    d: &'a [f32],
}

// ---------------------------------------------------------------------------
// Voice

#[derive(Clone, Copy, Debug)]
struct Voice {
    note: u8,
    held: bool,
    on_stamp: u64,
    off_stamp: u64,
    amp: Env,
    fenv: Env,
    /// Note frequency over the sample rate, before clamping.
    note_inc: f64,
    p1: f32,
    dt1: f32,
    inv_dt1: f32,
    p2: f32,
    dt2: f32,
    inv_dt2: f32,
    /// Clamped log2 cutoff and damping the filter coefficients were made for.
    cutoff_log2: f64,
    k: f64,
    a1: f32,
    a2: f32,
    a3: f32,
    ic1: f32,
    ic2: f32,
}

impl Voice {
    const IDLE: Voice = Voice {
        note: 0,
        held: false,
        on_stamp: 0,
        off_stamp: 0,
        amp: Env::IDLE,
        fenv: Env::IDLE,
        note_inc: 0.0,
        p1: 0.0,
        dt1: 0.0,
        inv_dt1: 0.0,
        p2: 0.25,
        dt2: 0.0,
        inv_dt2: 0.0,
        cutoff_log2: f64::NAN,
        k: f64::NAN,
        a1: 0.0,
        a2: 0.0,
        a3: 0.0,
        ic1: 0.0,
        ic2: 0.0,
    };

    #[inline(always)]
    fn is_active(&self) -> bool {
        self.amp.stage != Stage::Idle
    }

    #[inline(always)]
    fn is_fading(&self) -> bool {
        self.amp.stage == Stage::Fade
    }

    /// Refresh envelope stages, oscillator 2 pitch and filter coefficients.
    fn update_control(&mut self, ctl: &Control, sample_rate_hz: f64) {
        self.amp.configure(&ctl.amp, ctl.sustain);
        self.fenv.configure(&ctl.fenv, ctl.fenv_sustain);
        self.amp.level = flush_f64(self.amp.level);
        self.fenv.level = flush_f64(self.fenv.level);
        self.ic1 = flush(self.ic1);
        self.ic2 = flush(self.ic2);

        let dt2 = (self.note_inc * ctl.osc2_ratio).min(MAX_PHASE_INC) as f32;
        self.dt2 = dt2;
        self.inv_dt2 = (1.0 / dt2 as f64) as f32;

        let l = ctl.cutoff_log2 + ctl.env_octaves * self.fenv.level;
        let l = if l > ctl.max_cutoff_log2 {
            ctl.max_cutoff_log2
        } else if l >= ctl.min_cutoff_log2 {
            l
        } else {
            ctl.min_cutoff_log2
        };
        if l == self.cutoff_log2 && ctl.k == self.k {
            return;
        }
        self.cutoff_log2 = l;
        self.k = ctl.k;
        let g = tan_pi_f64(exp2_f64(l) / sample_rate_hz);
        let a1 = 1.0 / (1.0 + g * (g + ctl.k));
        let a2 = g * a1;
        self.a1 = a1 as f32;
        self.a2 = a2 as f32;
        self.a3 = (g * a2) as f32;
    }

    /// Start a new note on this (idle) slot.
    fn start(&mut self, note: u8, peak: f64, stamp: u64, ctl: &Control, sample_rate_hz: f64) {
        *self = Voice::IDLE;
        self.note = note;
        self.held = true;
        self.on_stamp = stamp;
        self.note_inc = 440.0 * exp2_f64((note as f64 - 69.0) / 12.0) / sample_rate_hz;
        let dt1 = self.note_inc.min(MAX_PHASE_INC) as f32;
        self.dt1 = dt1;
        self.inv_dt1 = (1.0 / dt1 as f64) as f32;
        self.amp.trigger(peak, &ctl.amp, ctl.sustain);
        self.fenv.trigger(1.0, &ctl.fenv, ctl.fenv_sustain);
        self.update_control(ctl, sample_rate_hz);
    }

    /// Restart the envelopes from their current levels.
    fn retrigger(&mut self, peak: f64, stamp: u64, ctl: &Control, sample_rate_hz: f64) {
        self.held = true;
        self.on_stamp = stamp;
        self.amp.trigger(peak, &ctl.amp, ctl.sustain);
        self.fenv.trigger(1.0, &ctl.fenv, ctl.fenv_sustain);
        self.update_control(ctl, sample_rate_hz);
    }

    fn release(&mut self, stamp: u64, ctl: &Control) {
        self.held = false;
        self.off_stamp = stamp;
        self.amp.release(&ctl.amp, ctl.sustain);
        self.fenv.release(&ctl.fenv, ctl.fenv_sustain);
    }

    /// Fade out linearly from the current level over `frames` frames.
    fn steal(&mut self, frames: f64) {
        self.held = false;
        self.amp.stage = Stage::Fade;
        self.amp.base = -self.amp.level / frames;
        self.amp.coef = 1.0;
        self.amp.lo = 0.0;
        self.amp.hi = f64::INFINITY;
    }

    /// Add this voice's output for one control segment to `out`.
    /// `O1`/`O2`: whether oscillator 1/2 has a nonzero weight anywhere in
    /// the segment (skipping a zero-weight term gives the same bits).
    #[inline(always)]
    fn render<const O1: bool, const O2: bool>(
        &mut self,
        w: &Weights,
        out: &mut [f32],
        ctl: &Control,
    ) {
        let mut amp = self.amp;
        let mut fenv = self.fenv;
        let (mut p1, dt1, inv1) = (self.p1, self.dt1, self.inv_dt1);
        let (mut p2, dt2, inv2) = (self.p2, self.dt2, self.inv_dt2);
        let (om1, om2) = (1.0 - dt1, 1.0 - dt2);
        let dt2x4 = 4.0 * dt2;
        let (a1, a2, a3) = (self.a1, self.a2, self.a3);
        let (mut ic1, mut ic2) = (self.ic1, self.ic2);
        // Pass 1: the oscillator mix (independent samples, throughput-bound).
        let mut xs = [0.0f32; CONTROL_FRAMES as usize];
        let weights = w.a.iter().zip(w.b.iter()).zip(w.c.iter()).zip(w.d.iter());
        for (x, (((&wa, &wb), &wc), &wd)) in xs.iter_mut().zip(weights) {
            let o1 = if O1 {
                let s = saw(p1, dt1, om1, inv1);
                let h = saw(wrap_half(p1), dt1, om1, inv1);
                wa * s + wb * h
            } else {
                0.0
            };
            let o2 = if O2 {
                let tri = 1.0 - (4.0 * p2 - 2.0).abs();
                let sine = sin_half_pi(tri);
                let corners = blamp(p2, dt2, om2, inv2) - blamp(wrap_half(p2), dt2, om2, inv2);
                let tri_bl = tri + dt2x4 * corners;
                wc * sine + wd * tri_bl
            } else {
                0.0
            };
            *x = if O1 && O2 {
                o1 + o2
            } else if O1 {
                o1
            } else {
                o2
            };
            p1 = advance(p1, dt1);
            p2 = advance(p2, dt2);
        }
        // Pass 2: envelopes, filter and amplitude (the recursions).
        for (o, &x) in out.iter_mut().zip(xs.iter()) {
            amp.tick(&ctl.amp, ctl.sustain);
            if amp.stage == Stage::Idle {
                break;
            }
            fenv.tick(&ctl.fenv, ctl.fenv_sustain);
            let v3 = x - ic2;
            let v1 = a1 * ic1 + a2 * v3;
            let v2 = ic2 + a2 * ic1 + a3 * v3;
            ic1 = v1 + v1 - ic1;
            ic2 = v2 + v2 - ic2;
            *o += v2 * amp.level as f32;
        }
        if amp.stage == Stage::Idle {
            *self = Voice::IDLE;
            return;
        }
        self.amp = amp;
        self.fenv = fenv;
        self.p1 = p1;
        self.p2 = p2;
        self.ic1 = ic1;
        self.ic2 = ic2;
    }
}

// ---------------------------------------------------------------------------
// Synth

/// The polyphonic synth source (see the module documentation).
#[derive(Clone, Debug)]
pub struct Synth {
    sample_rate_hz: f64,
    max_block_frames: usize,
    values: [f32; PARAM_COUNT],
    steps_wave: u32,
    steps_smooth: u32,
    steps_gain: u32,
    // Per-sample smoothers.
    osc1_wave: Linear,
    osc2_wave: Linear,
    mix: Linear,
    gain: Linear,
    // Control-rate smoothers, advanced CONTROL_FRAMES at a time.
    detune_cents: Linear,
    cutoff_log2: Linear,
    resonance: Linear,
    env_octaves: Linear,
    sustain: Linear,
    fenv_sustain: Linear,
    rates_dirty: bool,
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
        let d = |i: usize| PARAMS[i].default;
        let mut values = [0.0; PARAM_COUNT];
        for (v, p) in values.iter_mut().zip(PARAMS.iter()) {
            *v = p.default;
        }
        let amp = EnvRates::new(sr, d(ATTACK_MS), d(DECAY_MS), d(RELEASE_MS));
        let fenv = EnvRates::new(sr, d(FENV_ATTACK_MS), d(FENV_DECAY_MS), d(FENV_RELEASE_MS));
        let mut s = Synth {
            sample_rate_hz: sr,
            max_block_frames,
            values,
            steps_wave: steps_for_ms(WAVE_SMOOTHING_MS, sample_rate_hz),
            steps_smooth: steps_for_ms(SMOOTHING_MS, sample_rate_hz),
            steps_gain: steps_for_ms(GAIN_SMOOTHING_MS, sample_rate_hz),
            osc1_wave: Linear::new(d(OSC1_WAVE)),
            osc2_wave: Linear::new(d(OSC2_WAVE)),
            mix: Linear::new(d(OSC_MIX)),
            gain: Linear::new(db_gain(d(GAIN_DB))),
            detune_cents: Linear::new(d(OSC2_DETUNE_CENTS)),
            cutoff_log2: Linear::new(log2_f64(d(CUTOFF_HZ) as f64) as f32),
            resonance: Linear::new(d(RESONANCE)),
            env_octaves: Linear::new(d(FILTER_ENV_OCTAVES)),
            sustain: Linear::new(d(SUSTAIN)),
            fenv_sustain: Linear::new(d(FENV_SUSTAIN)),
            rates_dirty: false,
            ctl: Control {
                osc2_ratio: 1.0,
                cutoff_log2: 0.0,
                env_octaves: 0.0,
                min_cutoff_log2: log2_f64(MIN_CUTOFF_HZ),
                max_cutoff_log2: log2_f64(MAX_CUTOFF_RATIO * sr),
                k: 2.0,
                amp,
                fenv,
                sustain: 0.0,
                fenv_sustain: 0.0,
            },
            frames_to_tick: 0,
            steal_fade_frames: (STEAL_FADE_MS as f64 * 1e-3 * sr).round().max(1.0),
            stamp: 0,
            voices: [Voice::IDLE; SLOTS],
            buf_a: zeroed(max_block_frames)?,
            buf_b: zeroed(max_block_frames)?,
            buf_c: zeroed(max_block_frames)?,
            buf_d: zeroed(max_block_frames)?,
            buf_gain: zeroed(max_block_frames)?,
        };
        s.reset();
        Ok(s)
    }

    /// Set parameter row `index` of [`PARAMS`] to `value` (already clamped to
    /// the row's range by the caller); unknown rows and non-finite values are
    /// ignored. Continuous parameters ramp over the row's smoothing time.
    pub fn set(&mut self, index: usize, value: f32) {
        if index >= PARAM_COUNT || !value.is_finite() {
            return;
        }
        self.values[index] = value;
        let (sw, ss, sg) = (self.steps_wave, self.steps_smooth, self.steps_gain);
        match index {
            OSC1_WAVE => self.osc1_wave.set_target(value, sw),
            OSC2_WAVE => self.osc2_wave.set_target(value, sw),
            OSC2_SEMITONES => {}
            OSC2_DETUNE_CENTS => self.detune_cents.set_target(value, ss),
            OSC_MIX => self.mix.set_target(value, ss),
            CUTOFF_HZ => self
                .cutoff_log2
                .set_target(log2_f64(value as f64) as f32, ss),
            RESONANCE => self.resonance.set_target(value, ss),
            FILTER_ENV_OCTAVES => self.env_octaves.set_target(value, ss),
            FENV_SUSTAIN => self.fenv_sustain.set_target(value, ss),
            SUSTAIN => self.sustain.set_target(value, ss),
            GAIN_DB => self.gain.set_target(db_gain(value), sg),
            _ => self.rates_dirty = true,
        }
    }

    /// The last value set for row `index` (the target, not the ramp
    /// position); 0 for an unknown row.
    pub fn get(&self, index: usize) -> f32 {
        self.values.get(index).copied().unwrap_or(0.0)
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
            self.voices[i].retrigger(peak, stamp, &ctl, sr);
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
        for s in [
            &mut self.detune_cents,
            &mut self.cutoff_log2,
            &mut self.resonance,
            &mut self.env_octaves,
            &mut self.sustain,
            &mut self.fenv_sustain,
        ] {
            if s.is_active() {
                s.advance(CONTROL_FRAMES);
            }
        }
        self.refresh_control();
        let (ctl, sr) = (self.ctl, self.sample_rate_hz);
        for v in self.voices.iter_mut() {
            if v.is_active() {
                v.update_control(&ctl, sr);
            }
        }
        self.frames_to_tick = CONTROL_FRAMES;
    }

    fn refresh_control(&mut self) {
        let sr = self.sample_rate_hz;
        if self.rates_dirty {
            let v = &self.values;
            self.ctl.amp = EnvRates::new(sr, v[ATTACK_MS], v[DECAY_MS], v[RELEASE_MS]);
            self.ctl.fenv =
                EnvRates::new(sr, v[FENV_ATTACK_MS], v[FENV_DECAY_MS], v[FENV_RELEASE_MS]);
            self.rates_dirty = false;
        }
        let semis = self.values[OSC2_SEMITONES] as f64 + self.detune_cents.current() as f64 * 0.01;
        self.ctl.osc2_ratio = exp2_f64(semis * (1.0 / 12.0));
        self.ctl.cutoff_log2 = self.cutoff_log2.current() as f64;
        self.ctl.env_octaves = self.env_octaves.current() as f64;
        self.ctl.k = 2.0 * exp2_f64(-LOG2_Q_SPAN * self.resonance.current() as f64);
        self.ctl.sustain = self.sustain.current();
        self.ctl.fenv_sustain = self.fenv_sustain.current();
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

    fn render_chunk(&mut self, out: &mut [f32]) {
        let n = out.len();
        let mut any1 = false;
        let mut any2 = false;
        let bufs = self
            .buf_a
            .iter_mut()
            .zip(self.buf_b.iter_mut())
            .zip(self.buf_c.iter_mut())
            .zip(self.buf_d.iter_mut())
            .zip(self.buf_gain.iter_mut())
            .take(n);
        for ((((a, b), c), d), g) in bufs {
            let w1 = self.osc1_wave.tick();
            let w2 = self.osc2_wave.tick();
            let m = self.mix.tick();
            let m1 = 1.0 - m;
            *a = m1 * (1.0 - (w1 + w1));
            *b = m1 * w1;
            *c = m * (1.0 - w2);
            *d = m * w2;
            *g = self.gain.tick();
            any1 |= m != 1.0;
            any2 |= m != 0.0;
        }
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
                let ctl = &self.ctl;
                for v in self.voices.iter_mut() {
                    if !v.is_active() {
                        continue;
                    }
                    match (any1, any2) {
                        (true, false) => v.render::<true, false>(&w, o, ctl),
                        (false, true) => v.render::<false, true>(&w, o, ctl),
                        _ => v.render::<true, true>(&w, o, ctl),
                    }
                }
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
        for s in [
            &mut self.osc1_wave,
            &mut self.osc2_wave,
            &mut self.mix,
            &mut self.gain,
            &mut self.detune_cents,
            &mut self.cutoff_log2,
            &mut self.resonance,
            &mut self.env_octaves,
            &mut self.sustain,
            &mut self.fenv_sustain,
        ] {
            s.snap();
        }
        self.voices = [Voice::IDLE; SLOTS];
        self.stamp = 0;
        self.frames_to_tick = 0;
        self.rates_dirty = true;
        self.refresh_control();
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

#[cfg(test)]
mod tests {
    use super::*;

    const SR: f32 = 48000.0;

    fn synth(params: &[(usize, f32)]) -> Synth {
        let mut s = Synth::new(SR, 128).unwrap();
        for &(i, v) in params {
            s.set(i, v);
        }
        s.reset();
        s
    }

    fn render(s: &mut Synth, n: usize) -> Vec<f32> {
        let mut l = vec![0.0; n];
        let mut r = vec![0.0; n];
        s.render(&mut l, &mut r);
        assert_eq!(l, r);
        l
    }

    /// Play `events` (frame, note, velocity; velocity 0 = off) into `n` frames,
    /// rendering in blocks of the sizes in `blocks` (cycled).
    fn play(s: &mut Synth, events: &[(usize, u8, f32)], n: usize, blocks: &[usize]) -> Vec<f32> {
        play_with(s, events, &[], n, blocks)
    }

    /// [`play`] plus parameter changes `sets` (frame, row, value).
    fn play_with(
        s: &mut Synth,
        events: &[(usize, u8, f32)],
        sets: &[(usize, usize, f32)],
        n: usize,
        blocks: &[usize],
    ) -> Vec<f32> {
        let mut out = Vec::with_capacity(n);
        let mut pos = 0;
        let mut bi = 0;
        while pos < n {
            for &(_, note, vel) in events.iter().filter(|e| e.0 == pos) {
                s.note_on(note, vel);
            }
            for &(_, i, v) in sets.iter().filter(|e| e.0 == pos) {
                s.set(i, v);
            }
            let next = events
                .iter()
                .map(|e| e.0)
                .chain(sets.iter().map(|e| e.0))
                .filter(|&f| f > pos)
                .min()
                .unwrap_or(n);
            let len = blocks[bi % blocks.len()].min(next - pos).min(n - pos);
            bi += 1;
            out.extend(render(s, len));
            pos += len;
        }
        out
    }

    fn max_step(x: &[f32]) -> f32 {
        x.windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max)
    }

    #[test]
    fn release_starts_from_the_current_level() {
        // Slow attack: release midway must fall from where the attack is.
        let mut s = synth(&[(ATTACK_MS, 1000.0), (RELEASE_MS, 200.0), (SUSTAIN, 1.0)]);
        s.note_on(69, 1.0);
        render(&mut s, 4800);
        let lvl = s.voices.iter().find(|v| v.is_active()).unwrap().amp.level;
        assert!(lvl > 0.05 && lvl < 0.5, "{lvl}");
        s.note_off(69);
        render(&mut s, 1);
        let after = s.voices.iter().find(|v| v.is_active()).unwrap().amp.level;
        assert!(after < lvl && after > lvl * 0.99, "{lvl} -> {after}");
    }

    #[test]
    fn sixteen_voices_play_and_the_seventeenth_steals_without_a_click() {
        // A low cutoff keeps the signal's own slope small, so a hard cut of
        // the stolen voice would be the largest step by far (about 2x).
        let params = [(ATTACK_MS, 0.5), (SUSTAIN, 1.0), (CUTOFF_HZ, 400.0)];
        let chord: Vec<(usize, u8, f32)> =
            (0..16).map(|i| (i * 32, 36 + 2 * i as u8, 1.0)).collect();
        let steal_at = 24011;
        let mut events = chord.clone();
        events.push((steal_at, 90, 1.0));
        let mut s = synth(&params);
        let out = play(&mut s, &events, steal_at + 10, &[128]);
        assert_eq!(s.active_voices(), VOICES + 1, "the stolen voice is fading");
        let more = render(&mut s, 4800);
        assert_eq!(s.active_voices(), VOICES, "the stolen voice has ended");
        assert!(
            s.voices.iter().all(|v| !v.is_active() || v.note != 36),
            "oldest stolen"
        );
        let steady = max_step(&out[12000..steal_at]);
        let mut around = out[steal_at - 1..].to_vec();
        around.extend_from_slice(&more[..400]);
        assert!(
            max_step(&around) < steady,
            "{} >= {}",
            max_step(&around),
            steady
        );
    }

    #[test]
    fn steals_prefer_the_oldest_releasing_voice() {
        let mut s = synth(&[(RELEASE_MS, 5000.0)]);
        for i in 0..16u8 {
            s.note_on(40 + i, 1.0);
            render(&mut s, 16);
        }
        s.note_off(50);
        s.note_off(45);
        s.note_on(90, 1.0);
        render(&mut s, 200);
        let notes: Vec<u8> = s
            .voices
            .iter()
            .filter(|v| v.is_active())
            .map(|v| v.note)
            .collect();
        assert!(!notes.contains(&50) && notes.contains(&45) && notes.contains(&40));
    }

    #[test]
    fn parameter_sweeps_stay_finite_and_smooth() {
        let mut s = synth(&[(RESONANCE, 1.0), (OSC_MIX, 0.5)]);
        s.note_on(36, 1.0);
        s.note_on(84, 1.0);
        let mut all = Vec::new();
        for k in 0..200 {
            let t = k as f32 / 200.0;
            s.set(CUTOFF_HZ, 20.0 + 19980.0 * t * t);
            s.set(FILTER_ENV_OCTAVES, -4.0 + 12.0 * t);
            s.set(OSC1_WAVE, (k % 2) as f32);
            s.set(OSC2_WAVE, ((k / 3) % 2) as f32);
            s.set(OSC2_SEMITONES, (k % 49) as f32 - 24.0);
            s.set(SUSTAIN, t);
            all.extend(render(&mut s, 128));
        }
        assert!(all.iter().all(|v| v.is_finite() && v.abs() < 50.0));
        assert!(s
            .voices
            .iter()
            .all(|v| v.ic1.is_finite() && v.ic2.is_finite()));
    }
}
