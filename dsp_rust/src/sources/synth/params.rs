//! The synth's parameters: its rows of the parameter table, the state
//! they set (the last value per row and the ramps that follow it), and the
//! control values every voice reads, derived from that state on the control
//! tick.

use super::env::EnvRates;
use super::CONTROL_FRAMES;
use crate::math::{db_gain, exp2_f64, log2_f64};
use crate::smooth::{steps_for_ms, Linear};
use crate::spec::{ParamSpec, Scope, FLAG_STEPPED};

/// Crossfade time of the stepped waveform switches, ms.
const WAVE_SMOOTHING_MS: f32 = 10.0;
/// Ramp time of the continuous parameters, ms.
const SMOOTHING_MS: f32 = 20.0;
/// Ramp time of the output gain, ms.
const GAIN_SMOOTHING_MS: f32 = 10.0;

const MIN_CUTOFF_HZ: f64 = 10.0;
const MAX_CUTOFF_RATIO: f64 = 0.45;
/// log2(20): resonance 1 gives Q = 0.5 · 20.
const LOG2_Q_SPAN: f64 = 4.321_928_094_887_363;

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

/// Control values shared by every voice, refreshed on the control tick.
#[derive(Clone, Copy, Debug)]
pub(super) struct Control {
    /// Oscillator 2 frequency over the note's frequency.
    pub(super) osc2_ratio: f64,
    pub(super) cutoff_log2: f64,
    pub(super) env_octaves: f64,
    /// Cutoff limits in log2(Hz): 10 Hz and 0.45 × the sample rate.
    pub(super) min_cutoff_log2: f64,
    pub(super) max_cutoff_log2: f64,
    /// SVF damping `k = 1/Q`.
    pub(super) k: f64,
    pub(super) amp: EnvRates,
    pub(super) fenv: EnvRates,
    pub(super) sustain: f32,
    pub(super) fenv_sustain: f32,
}

impl Control {
    /// Control values at `sample_rate_hz` before the first refresh: the
    /// cutoff limits and the default envelope rates.
    pub(super) fn new(sample_rate_hz: f64) -> Control {
        let sr = sample_rate_hz;
        let d = |i: usize| PARAMS[i].default;
        Control {
            osc2_ratio: 1.0,
            cutoff_log2: 0.0,
            env_octaves: 0.0,
            min_cutoff_log2: log2_f64(MIN_CUTOFF_HZ),
            max_cutoff_log2: log2_f64(MAX_CUTOFF_RATIO * sr),
            k: 2.0,
            amp: EnvRates::new(sr, d(ATTACK_MS), d(DECAY_MS), d(RELEASE_MS)),
            fenv: EnvRates::new(sr, d(FENV_ATTACK_MS), d(FENV_DECAY_MS), d(FENV_RELEASE_MS)),
            sustain: 0.0,
            fenv_sustain: 0.0,
        }
    }
}

/// The synth's parameter state: the last value set for each row and the
/// ramps that follow the continuous rows.
#[derive(Clone, Debug)]
pub(super) struct ParamState {
    values: [f32; PARAM_COUNT],
    steps_wave: u32,
    steps_smooth: u32,
    steps_gain: u32,
    // Per-sample smoothers.
    pub(super) osc1_wave: Linear,
    pub(super) osc2_wave: Linear,
    pub(super) mix: Linear,
    pub(super) gain: Linear,
    // Control-rate smoothers, advanced CONTROL_FRAMES at a time.
    detune_cents: Linear,
    cutoff_log2: Linear,
    resonance: Linear,
    env_octaves: Linear,
    sustain: Linear,
    fenv_sustain: Linear,
    /// Envelope times changed: recompute the rates at the next refresh.
    rates_dirty: bool,
}

impl ParamState {
    /// Every row at its default, ramps at rest, at `sample_rate_hz`.
    pub(super) fn new(sample_rate_hz: f32) -> ParamState {
        let d = |i: usize| PARAMS[i].default;
        let mut values = [0.0; PARAM_COUNT];
        for (v, p) in values.iter_mut().zip(PARAMS.iter()) {
            *v = p.default;
        }
        ParamState {
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
        }
    }

    /// Set row `index` to `value` (see [`super::Synth::set`]).
    pub(super) fn set(&mut self, index: usize, value: f32) {
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

    /// The last value set for row `index`; 0 for an unknown row.
    pub(super) fn get(&self, index: usize) -> f32 {
        self.values.get(index).copied().unwrap_or(0.0)
    }

    /// Advance the control-rate ramps by [`CONTROL_FRAMES`].
    pub(super) fn advance_control(&mut self) {
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
    }

    /// Jump every ramp to its target; the next refresh recomputes the
    /// envelope rates.
    pub(super) fn snap(&mut self) {
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
        self.rates_dirty = true;
    }

    /// Write the control values for the ramps' current positions into `ctl`.
    pub(super) fn refresh(&mut self, ctl: &mut Control, sample_rate_hz: f64) {
        let sr = sample_rate_hz;
        if self.rates_dirty {
            let v = &self.values;
            ctl.amp = EnvRates::new(sr, v[ATTACK_MS], v[DECAY_MS], v[RELEASE_MS]);
            ctl.fenv = EnvRates::new(sr, v[FENV_ATTACK_MS], v[FENV_DECAY_MS], v[FENV_RELEASE_MS]);
            self.rates_dirty = false;
        }
        let semis = self.values[OSC2_SEMITONES] as f64 + self.detune_cents.current() as f64 * 0.01;
        ctl.osc2_ratio = exp2_f64(semis * (1.0 / 12.0));
        ctl.cutoff_log2 = self.cutoff_log2.current() as f64;
        ctl.env_octaves = self.env_octaves.current() as f64;
        ctl.k = 2.0 * exp2_f64(-LOG2_Q_SPAN * self.resonance.current() as f64);
        ctl.sustain = self.sustain.current();
        ctl.fenv_sustain = self.fenv_sustain.current();
    }
}
