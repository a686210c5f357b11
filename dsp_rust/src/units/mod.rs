//! DSP units, one per file. Each owns its state, takes parameter targets,
//! and processes stereo blocks in place; none allocates after construction.

pub mod biquad;
pub mod compressor;
pub mod eq;
pub mod gain_pan;
