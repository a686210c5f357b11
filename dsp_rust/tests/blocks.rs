//! The building blocks below the units and the channel strips made of them:
//! f32x4 lanes (`dawg_dsp::simd`), the strip's EQ lanes and the half-band
//! resamplers (`dawg_dsp::dsp`), and the four-lane channel strip
//! (`dawg_dsp::strip`) against a scalar reference strip.

mod common;

mod blocks {
    mod eq;
    mod halfband;
    mod simd;
    mod strip;
    mod strip_reference;
}
