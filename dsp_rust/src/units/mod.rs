//! The insertable effect units, one per file. Each owns its state, takes
//! parameter targets, and processes stereo blocks in place; none allocates
//! after construction. Their building blocks live in [`crate::dsp`].
//!
//! The effect units that can sit in an insert slot implement [`Unit`] and
//! are listed in [`UNITS`]; a slot's unit kind is its index there plus one
//! (kind 0 is an empty slot).

use crate::config::ConfigError;
use crate::spec::ParamSpec;

/// Implements [`Unit`] for a unit type whose inherent methods already have
/// the trait's names and signatures; `forward_unit!(T, tempo)` also forwards
/// `set_tempo_bpm`.
macro_rules! forward_unit {
    ($t:ty) => {
        forward_unit!($t, {});
    };
    ($t:ty, tempo) => {
        forward_unit!($t, {
            fn set_tempo_bpm(&mut self, bpm: f32) {
                <$t>::set_tempo_bpm(self, bpm);
            }
        });
    };
    ($t:ty, { $($extra:tt)* }) => {
        impl $crate::units::Unit for $t {
            fn set(&mut self, index: usize, value: f32) {
                <$t>::set(self, index, value);
            }
            fn get(&self, index: usize) -> f32 {
                <$t>::get(self, index)
            }
            fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
                <$t>::process(self, left, right);
            }
            fn reset(&mut self) {
                <$t>::reset(self);
            }
            fn is_quiet(&self) -> bool {
                <$t>::is_quiet(self)
            }
            fn tail_frames(&self) -> usize {
                <$t>::tail_frames(self)
            }
            $($extra)*
        }
    };
}

pub mod compressor;
pub mod delay;
pub mod limiter;
pub mod peq;
pub mod reverb;
pub mod saturator;

/// An effect unit as an insert slot drives it.
///
/// Contract: `set`, `process`, `reset`, `is_quiet` never allocate, lock or
/// panic; `process` works in place on any block length up to the one given
/// at construction, and splitting a signal into different block lengths
/// gives bit-identical output.
pub trait Unit: core::fmt::Debug + Send {
    /// Set row `index` of the unit's parameter table to an in-range `value`.
    fn set(&mut self, index: usize, value: f32);
    /// The last value set for row `index`.
    fn get(&self, index: usize) -> f32;
    /// Process one stereo block in place.
    fn process(&mut self, left: &mut [f32], right: &mut [f32]);
    /// Clear all audio state to exact zeros and jump ramps to their targets.
    fn reset(&mut self);
    /// True when the output stays below −120 dBFS for silent input from now on.
    fn is_quiet(&self) -> bool;
    /// Longest time, in frames, an input can take to reach the output.
    fn tail_frames(&self) -> usize;
    /// The session tempo, for tempo-synced units.
    fn set_tempo_bpm(&mut self, _bpm: f32) {}
}

/// Creates a unit at a sample rate for blocks of up to a number of frames.
pub type MakeUnit = fn(f32, usize) -> Result<Box<dyn Unit>, ConfigError>;

/// One kind of effect unit.
#[derive(Clone, Copy)]
pub struct UnitInfo {
    /// Name used in sessions, Python and JS (`"delay"`).
    pub name: &'static str,
    /// The unit's rows of the parameter table.
    pub params: &'static [ParamSpec],
    /// Constructor.
    pub make: MakeUnit,
}

impl core::fmt::Debug for UnitInfo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UnitInfo")
            .field("name", &self.name)
            .finish()
    }
}

/// Every insertable unit; kind = index + 1.
pub const UNITS: &[UnitInfo] = &[
    UnitInfo {
        name: "peq",
        params: &peq::PARAMS,
        make: peq::make,
    },
    UnitInfo {
        name: "compressor",
        params: &compressor::PARAMS,
        make: compressor::make,
    },
    UnitInfo {
        name: "saturator",
        params: &saturator::PARAMS,
        make: saturator::make,
    },
    UnitInfo {
        name: "delay",
        params: &delay::PARAMS,
        make: delay::make,
    },
    UnitInfo {
        name: "reverb",
        params: &reverb::PARAMS,
        make: reverb::make,
    },
    UnitInfo {
        name: "limiter",
        params: &limiter::PARAMS,
        make: limiter::make,
    },
];

/// The unit of kind `kind` (1-based), if any.
pub fn unit_info(kind: u32) -> Option<&'static UnitInfo> {
    (kind as usize).checked_sub(1).and_then(|i| UNITS.get(i))
}
