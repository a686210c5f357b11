//! `dawg_dsp`: the mixer DSP that dawgwasm ships to the browser.
//!
//! One crate, three runtimes: compiled to `wasm32-unknown-unknown` (with and
//! without `simd128`) it runs inside an AudioWorklet and under wasmtime;
//! compiled for the host it is the native baseline. All three are driven
//! through the same C ABI in [`abi`], the only module with `unsafe` code.
//!
//! Signal flow of one track ([`strip::Strip`]):
//! input → 3-band EQ ([`units::eq`]) → compressor ([`units::compressor`]) →
//! gain, pan and mute ([`units::gain_pan`]) → master sum → master gain.
//!
//! Real-time contract: every buffer is allocated when an [`engine::Engine`] is
//! created; rendering allocates nothing, locks nothing and never panics on
//! bad data. No NaN, infinity or subnormal leaves a unit ([`math::flush`]).
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations, trivial_numeric_casts)]

pub mod abi;
pub mod engine;
pub mod events;
pub mod math;
pub mod params;
pub mod smooth;
pub mod sources;
pub mod spec;
pub mod strip;
pub mod units;
