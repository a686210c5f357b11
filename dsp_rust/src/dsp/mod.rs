//! Building blocks the units, the strips and the engine are made of: filters
//! and their coefficients, the strip's 3-band EQ in lanes, half-band
//! resamplers, the fader/pan stage, the reverb's dense feedback delay
//! network, the true-peak reading of the limiter's detector, and the count
//! of quiet frames the units answer `is_quiet` with. None has parameters of
//! its own in the table; none allocates after construction.

pub mod biquad;
pub mod eq;
pub mod fdn;
pub mod gain_pan;
pub mod halfband;
pub mod matched;
pub mod quiet;
pub mod truepeak;
