//! One track's channel strip: EQ → compressor.

use crate::engine::{zeroed, ConfigError};
use crate::smooth::steps_for_ms;
use crate::spec::ParamId;
use crate::units::compressor::Compressor;
use crate::units::eq::{EqParam, EqSettings, ThreeBandEq};

/// A channel strip with its own scratch buffers (sized once, at creation).
#[derive(Clone, Debug)]
pub struct Strip {
    sample_rate_hz: f32,
    eq: ThreeBandEq,
    comp: Compressor,
    values: [f32; ParamId::ALL.len()],
    left: Vec<f32>,
    right: Vec<f32>,
}

fn default_of(id: ParamId) -> f32 {
    id.spec().default
}

impl Strip {
    /// A strip at `sample_rate_hz` with every parameter at its default,
    /// processing blocks of up to `max_block_frames`.
    pub fn new(sample_rate_hz: f32, max_block_frames: usize) -> Result<Self, ConfigError> {
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
        let mut values = [0.0; ParamId::ALL.len()];
        for id in ParamId::ALL {
            values[id as usize] = default_of(id);
        }
        Ok(Strip {
            sample_rate_hz,
            eq,
            comp,
            values,
            left: zeroed(max_block_frames)?,
            right: zeroed(max_block_frames)?,
        })
    }

    /// Set a track-scoped parameter to an in-range `value` (the caller clamps).
    pub fn set(&mut self, id: ParamId, value: f32) {
        self.values[id as usize] = value;
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
            ParamId::CompKneeDb
            | ParamId::CompMakeupDb
            | ParamId::CompDetector
            | ParamId::CompLink => {}
            _ => {} // not a strip parameter: the engine owns it
        }
    }

    /// The last value set for `id` (its target, not the ramp position).
    pub fn get(&self, id: ParamId) -> f32 {
        self.values[id as usize]
    }

    /// Run the strip on one block in place.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        self.eq.process(left, right);
        self.comp.process(left, right);
    }

    /// True when the strip's state is negligible (no EQ memory, no gain reduction).
    pub fn is_quiet(&self) -> bool {
        self.eq.state_is_silent() && self.comp.reduction_db() == 0.0
    }

    /// Clear all audio state and jump every ramp to its target.
    pub fn reset(&mut self) {
        self.eq.reset();
        self.comp.reset();
    }

    /// The EQ, for inspection.
    pub fn eq(&self) -> &ThreeBandEq {
        &self.eq
    }

    /// The compressor, for inspection.
    pub fn compressor(&self) -> &Compressor {
        &self.comp
    }
}
