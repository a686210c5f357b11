//! The mixer: N tracks, each a [`Strip`] with its own stereo input buffer,
//! summed into a stereo master with its own smoothed gain.
//!
//! Buffers are planar: each track's input holds `capacity_frames` left
//! samples followed by `capacity_frames` right samples, and so does the
//! master output, where `capacity_frames = quantum_frames · max_quanta`. One
//! [`Engine::process`] call renders up to `max_quanta` render quanta.

use crate::math::{db_to_gain, flush};
use crate::smooth::{steps_for_ms, Linear};
use crate::spec::{clamp_to_spec, ParamId, Scope};
use crate::strip::Strip;

/// Lowest accepted sample rate, Hz.
pub const SAMPLE_RATE_MIN_HZ: f32 = 8000.0;
/// Highest accepted sample rate, Hz.
pub const SAMPLE_RATE_MAX_HZ: f32 = 384_000.0;
/// Most tracks an engine can have.
pub const TRACKS_MAX: u32 = 256;
/// Smallest render quantum, frames.
pub const QUANTUM_MIN_FRAMES: u32 = 16;
/// Largest render quantum, frames.
pub const QUANTUM_MAX_FRAMES: u32 = 4096;
/// Most quanta one process call can render.
pub const QUANTA_PER_CALL_MAX: u32 = 1024;
/// Largest input+output buffer space an engine may ask for, in frames per channel summed over tracks.
pub const BUFFER_FRAMES_MAX: u64 = 1 << 24;

/// Why an engine configuration was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// Sample rate outside [`SAMPLE_RATE_MIN_HZ`, `SAMPLE_RATE_MAX_HZ`] or not finite.
    SampleRate,
    /// Track count 0 or above [`TRACKS_MAX`].
    Tracks,
    /// Quantum outside [`QUANTUM_MIN_FRAMES`, `QUANTUM_MAX_FRAMES`].
    Quantum,
    /// Quanta per call 0, above [`QUANTA_PER_CALL_MAX`], or buffers too large.
    Quanta,
    /// The allocator could not provide the buffers.
    OutOfMemory,
}

/// A zero-filled buffer of `n` samples, or `OutOfMemory` instead of aborting.
pub(crate) fn zeroed(n: usize) -> Result<Vec<f32>, ConfigError> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| ConfigError::OutOfMemory)?;
    v.resize(n, 0.0);
    Ok(v)
}

/// Engine creation parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// Sample rate in Hz.
    pub sample_rate_hz: f32,
    /// Number of tracks.
    pub tracks: u32,
    /// Frames per render quantum (128 in today's Web Audio).
    pub quantum_frames: u32,
    /// How many quanta one process call may render.
    pub max_quanta: u32,
}

impl Config {
    /// Check every field against the engine's limits.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let sr = self.sample_rate_hz;
        if !(SAMPLE_RATE_MIN_HZ..=SAMPLE_RATE_MAX_HZ).contains(&sr) {
            return Err(ConfigError::SampleRate);
        }
        if self.tracks == 0 || self.tracks > TRACKS_MAX {
            return Err(ConfigError::Tracks);
        }
        if self.quantum_frames < QUANTUM_MIN_FRAMES || self.quantum_frames > QUANTUM_MAX_FRAMES {
            return Err(ConfigError::Quantum);
        }
        let capacity = self.quantum_frames as u64 * self.max_quanta as u64;
        if self.max_quanta == 0
            || self.max_quanta > QUANTA_PER_CALL_MAX
            || capacity * (self.tracks as u64 + 1) > BUFFER_FRAMES_MAX
        {
            return Err(ConfigError::Quanta);
        }
        Ok(())
    }
}

/// Why a parameter change was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamError {
    /// No parameter has this id.
    UnknownParam,
    /// The target index does not exist for the parameter's scope.
    BadTarget,
    /// The value is NaN or infinite.
    NotFinite,
}

/// Why a process call was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessError {
    /// More quanta than the engine was created for.
    TooManyQuanta,
}

/// The mixer engine.
#[derive(Debug)]
pub struct Engine {
    config: Config,
    capacity: usize,
    strips: Vec<Strip>,
    inputs: Vec<f32>,
    output: Vec<f32>,
    mix_left: Vec<f32>,
    mix_right: Vec<f32>,
    master_gain_db: f32,
    master_gain: Linear,
}

impl Engine {
    /// Allocate an engine; every buffer it will ever use is allocated here.
    /// Allocation failure is reported as [`ConfigError::OutOfMemory`].
    pub fn new(config: Config) -> Result<Engine, ConfigError> {
        config.validate()?;
        let q = config.quantum_frames as usize;
        let capacity = q * config.max_quanta as usize;
        let tracks = config.tracks as usize;
        let master_gain_db = ParamId::MasterGainDb.spec().default;
        let mut strips = Vec::new();
        strips
            .try_reserve_exact(tracks)
            .map_err(|_| ConfigError::OutOfMemory)?;
        for _ in 0..tracks {
            strips.push(Strip::new(config.sample_rate_hz, q)?);
        }
        Ok(Engine {
            config,
            capacity,
            strips,
            inputs: zeroed(tracks * 2 * capacity)?,
            output: zeroed(2 * capacity)?,
            mix_left: zeroed(q)?,
            mix_right: zeroed(q)?,
            master_gain_db,
            master_gain: Linear::new(db_to_gain(master_gain_db as f64) as f32),
        })
    }

    /// The configuration this engine was created with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Frames per channel in each input and in the output buffer.
    pub fn capacity_frames(&self) -> usize {
        self.capacity
    }

    /// Planar stereo input of `track` (`[L; capacity][R; capacity]`).
    pub fn input_mut(&mut self, track: usize) -> Option<&mut [f32]> {
        let span = 2 * self.capacity;
        self.inputs.get_mut(track * span..(track + 1) * span)
    }

    /// Planar stereo master output (`[L; capacity][R; capacity]`).
    pub fn output(&self) -> &[f32] {
        &self.output
    }

    /// Mutable master output, for hosts that map it.
    pub fn output_mut(&mut self) -> &mut [f32] {
        &mut self.output
    }

    /// Set parameter `id` of `target` (a track index, or 0 for the master).
    /// Out-of-range values are clamped; `Ok(true)` says one was.
    pub fn set_param(&mut self, target: u32, id: u32, value: f32) -> Result<bool, ParamError> {
        let pid = ParamId::from_u32(id).ok_or(ParamError::UnknownParam)?;
        let spec = pid.spec();
        if !value.is_finite() {
            return Err(ParamError::NotFinite);
        }
        let (v, clamped) = clamp_to_spec(spec, value);
        match spec.scope {
            Scope::Track => {
                let strip = self
                    .strips
                    .get_mut(target as usize)
                    .ok_or(ParamError::BadTarget)?;
                strip.set(pid, v);
            }
            Scope::Master => {
                if target != 0 {
                    return Err(ParamError::BadTarget);
                }
                self.master_gain_db = v;
                let steps = steps_for_ms(spec.smoothing_ms, self.config.sample_rate_hz);
                self.master_gain
                    .set_target(db_to_gain(v as f64) as f32, steps);
            }
        }
        Ok(clamped)
    }

    /// The last value set for parameter `id` of `target`.
    pub fn get_param(&self, target: u32, id: u32) -> Result<f32, ParamError> {
        let pid = ParamId::from_u32(id).ok_or(ParamError::UnknownParam)?;
        match pid.spec().scope {
            Scope::Track => self
                .strips
                .get(target as usize)
                .map(|s| s.get(pid))
                .ok_or(ParamError::BadTarget),
            Scope::Master if target == 0 => Ok(self.master_gain_db),
            Scope::Master => Err(ParamError::BadTarget),
        }
    }

    /// Render `quanta` render quanta from the inputs into the output.
    pub fn process(&mut self, quanta: u32) -> Result<(), ProcessError> {
        if quanta > self.config.max_quanta {
            return Err(ProcessError::TooManyQuanta);
        }
        let q = self.config.quantum_frames as usize;
        let cap = self.capacity;
        for k in 0..quanta as usize {
            let (start, end) = (k * q, (k + 1) * q);
            self.mix_left.iter_mut().for_each(|v| *v = 0.0);
            self.mix_right.iter_mut().for_each(|v| *v = 0.0);
            for (t, strip) in self.strips.iter_mut().enumerate() {
                let base = t * 2 * cap;
                let input = &self.inputs[base..base + 2 * cap];
                strip.process_add(
                    &input[start..end],
                    &input[cap + start..cap + end],
                    &mut self.mix_left,
                    &mut self.mix_right,
                );
            }
            let (out_l, out_r) = self.output.split_at_mut(cap);
            let g = &mut self.master_gain;
            for i in 0..q {
                let gain = g.tick();
                out_l[start + i] = flush(self.mix_left[i] * gain);
                out_r[start + i] = flush(self.mix_right[i] * gain);
            }
        }
        Ok(())
    }

    /// Clear all audio state and jump every parameter ramp to its target.
    pub fn reset(&mut self) {
        for s in self.strips.iter_mut() {
            s.reset();
        }
        self.master_gain.snap();
    }

    /// Track `t`'s strip, for inspection.
    pub fn strip(&self, t: usize) -> Option<&Strip> {
        self.strips.get(t)
    }
}
