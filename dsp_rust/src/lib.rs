//! `dawg_dsp`: the mixer DSP that dawgwasm ships to the browser.
//!
//! One crate, three runtimes: compiled to `wasm32-unknown-unknown` (with and
//! without `simd128`) it runs inside an AudioWorklet and under wasmtime;
//! compiled for the host it is the native baseline. All three are driven
//! through the same C ABI in [`abi`], the only module with `unsafe` code.
//!
//! Signal flow ([`engine`]): a track's source (external input, the synth in
//! [`sources::synth`] or the sampler in [`sources::sampler`]) → channel
//! strip (3-band EQ and compressor, four tracks at a time in the f32x4 lanes
//! of a [`strip::StripGroup`]; see [`simd`]) → insert units ([`units`], built
//! from [`dsp`]) → mute/solo → pre-fader sends → fader and pan
//! ([`dsp::gain_pan`]) → post-fader sends → master; buses and the master
//! run their own inserts and faders. Events ([`events`]) apply at their
//! sample; parameters come from one table ([`params`], [`spec`]).
//!
//! Real-time contract: every buffer is allocated when an [`engine::Engine`] is
//! created; rendering allocates nothing, locks nothing and never panics on
//! bad data. No NaN, infinity or subnormal leaves a unit ([`math::flush`]).
//!
//! Layers, lowest first: [`config`], [`math`], [`smooth`], [`simd`],
//! [`spec`], [`events`], [`dsp`], [`units`], [`sources`], [`strip`],
//! [`params`], [`engine`], [`abi`]. A module uses only the layers below it
//! (and its own child modules, and the other modules of its folder);
//! `tests/layers.rs` holds the crate to that.
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations, trivial_numeric_casts)]

pub mod abi;
pub mod config;
pub mod dsp;
pub mod engine;
pub mod events;
pub mod math;
pub mod params;
pub mod simd;
pub mod smooth;
pub mod sources;
pub mod spec;
pub mod strip;
pub mod units;
