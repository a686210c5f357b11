//! Track sources: what feeds a track's channel strip.
//!
//! A track plays its external input (the worklet's input, or a buffer the
//! host fills), a polyphonic synth, or a sampler reading the engine's
//! sample bank.

use crate::spec::ParamSpec;

pub mod bank;
pub mod resample;
pub mod sampler;
pub mod synth;

/// Each source kind with parameters, and its rows of the parameter table.
pub const SOURCE_PARAMS: &[(SourceKind, &[ParamSpec])] = &[
    (SourceKind::Synth, &synth::PARAMS),
    (SourceKind::Sampler, &sampler::PARAMS),
];

/// Source kinds as the ABI numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum SourceKind {
    /// The track's external input buffer.
    Input = 0,
    /// The polyphonic synth ([`synth::Synth`]).
    Synth = 1,
    /// The sampler ([`sampler::Sampler`]) playing the engine's sample bank.
    Sampler = 2,
}

impl SourceKind {
    /// Every kind in ABI order.
    pub const ALL: [SourceKind; 3] = [SourceKind::Input, SourceKind::Synth, SourceKind::Sampler];

    /// The kind numbered `n`.
    pub fn from_u32(n: u32) -> Option<SourceKind> {
        SourceKind::ALL.get(n as usize).copied()
    }

    /// Name used in sessions, Python and JS.
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Input => "input",
            SourceKind::Synth => "synth",
            SourceKind::Sampler => "sampler",
        }
    }
}
