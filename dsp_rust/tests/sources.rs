//! The track sources (`dawg_dsp::sources`): the synth, the sampler and the
//! sample bank it reads.

mod common;

mod sources {
    mod sampler;
    mod synth;
}
