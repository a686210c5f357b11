//! The insertable effect units (`dawg_dsp::units`), each against its
//! documented behaviour: responses, ramps, tails, block-size independence.

mod common;

mod units {
    mod compressor;
    mod delay;
    mod limiter;
    mod peq;
    mod reverb;
    mod saturator;
}
