//! Configuration: the engine's limits, why a configuration is refused, and
//! fallible zeroed buffers. A leaf: it imports nothing from the crate, and
//! every other module may import it.

/// Lowest accepted sample rate, Hz.
pub const SAMPLE_RATE_MIN_HZ: f32 = 8000.0;
/// Highest accepted sample rate, Hz.
pub const SAMPLE_RATE_MAX_HZ: f32 = 384_000.0;
/// Most tracks an engine can have.
pub const TRACKS_MAX: u32 = 256;
/// Most buses an engine can have.
pub const BUSES_MAX: usize = 8;
/// Insert slots per track, bus and master.
pub const INSERTS_MAX: usize = 8;
/// Smallest render quantum, frames.
pub const QUANTUM_MIN_FRAMES: u32 = 16;
/// Largest render quantum, frames.
pub const QUANTUM_MAX_FRAMES: u32 = 4096;
/// Most quanta one process call can render.
pub const QUANTA_PER_CALL_MAX: u32 = 1024;
/// Largest input+output buffer space an engine may ask for, in frames per channel summed over tracks.
pub const BUFFER_FRAMES_MAX: u64 = 1 << 24;
/// Auto-bypass threshold: −120 dBFS.
pub const QUIET: f32 = 1e-6;
/// How long a channel must stay quiet, beyond its insert tails, before it is bypassed.
pub const BYPASS_HOLD_MS: f32 = 50.0;
/// Floats per channel in the meter area: peak L, peak R, RMS L, RMS R, state, reserved.
pub const METER_STRIDE: usize = 6;
/// Meter state: the channel does not exist.
pub const METER_STATE_ABSENT: f32 = 0.0;
/// Meter state: the channel was processed.
pub const METER_STATE_ACTIVE: f32 = 1.0;
/// Meter state: the channel is auto-bypassed.
pub const METER_STATE_BYPASSED: f32 = 2.0;
/// Parameter ramps that can run at once.
pub const RAMPS_MAX: usize = 256;
/// Ramps advance on this grid of absolute frames.
pub const RAMP_STEP_FRAMES: u64 = 16;

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
pub fn zeroed(n: usize) -> Result<Vec<f32>, ConfigError> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| ConfigError::OutOfMemory)?;
    v.resize(n, 0.0);
    Ok(v)
}

/// `Box::new(value)` that reports an exhausted allocator as
/// [`ConfigError::OutOfMemory`] instead of aborting: room for one `T` is
/// reserved and released first, and the box takes the block just released
/// (the allocator is single-threaded; nothing allocates in between).
pub fn try_box<T>(value: T) -> Result<Box<T>, ConfigError> {
    let mut room: Vec<T> = Vec::new();
    room.try_reserve_exact(1)
        .map_err(|_| ConfigError::OutOfMemory)?;
    drop(room);
    Ok(Box::new(value))
}

/// Engine creation parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// Sample rate in Hz.
    pub sample_rate_hz: f32,
    /// Number of track slots.
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
