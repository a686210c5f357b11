//! True-peak reading of a stereo frame interval, ITU-R BS.1770-4 (Annex 2):
//! the largest magnitude at a frame and at the three points a quarter, a
//! half and three quarters of a frame after it, as a digital-to-analog
//! converter would reconstruct them.
//!
//! Each point between frames `m` and `m + 1` is read by a 32-tap
//! interpolator over frames `m − 15 … m + 16` ([`WEIGHTS`]: least-squares
//! fractional delays, exact to within 0.003 dB up to 0.4167 of the rate; the
//! same interpolators as the Python true-peak meter, `dawgwasm._truepeak`,
//! rounded to f32). A reading of frame `m` therefore needs the input up to
//! frame `m + `[`DELAY_FRAMES`].
//!
//! The four readings of a channel run in the four lanes of an [`F4`]: lanes
//! 0–2 the three phases, lane 3 the frame itself (weight 1 at tap 15). Each
//! lane sums its taps in order, one multiply and one add per tap, so the
//! scalar and SIMD builds give the same bits.

use crate::simd::F4;

/// Taps per interpolator.
pub const TAPS: usize = 32;
/// Frames after frame `m` its reading needs: the interpolators read up to
/// frame `m + 16`.
pub const DELAY_FRAMES: usize = TAPS / 2;
/// Tap of frame `m` itself in the window `m − 15 … m + 16`.
const CENTRE: usize = TAPS / 2 - 1;

/// The interpolators: row `p − 1` reads the point `p/4` of a frame after
/// frame `m` from frames `m − 15 … m + 16` (tap 0 first).
pub const WEIGHTS: [[f32; TAPS]; 3] = [
    [
        -0.000053871856,
        0.00018315064,
        -0.00045386518,
        0.0009525906,
        -0.001794459,
        0.0031274015,
        -0.005138307,
        0.008065381,
        -0.012224545,
        0.018068638,
        -0.026324295,
        0.038335476,
        -0.0570556,
        0.09070005,
        -0.17393783,
        0.89762497,
        0.29927674,
        -0.1243267,
        0.074294485,
        -0.049528286,
        0.034372173,
        -0.024097534,
        0.016782133,
        -0.011477444,
        0.0076364246,
        -0.004898188,
        0.0029981788,
        -0.0017286825,
        0.0009216123,
        -0.00044082516,
        0.00017855645,
        -0.0000527311,
    ],
    [
        -0.00007528864,
        0.0002554448,
        -0.0006318161,
        0.0013234519,
        -0.002487648,
        0.0043247817,
        -0.007085063,
        0.011082447,
        -0.016724896,
        0.024582751,
        -0.035545208,
        0.051203314,
        -0.07490837,
        0.11538912,
        -0.20484585,
        0.6341321,
        0.6341321,
        -0.20484585,
        0.11538912,
        -0.07490837,
        0.051203314,
        -0.035545208,
        0.024582751,
        -0.016724896,
        0.011082447,
        -0.007085063,
        0.0043247817,
        -0.002487648,
        0.0013234519,
        -0.0006318161,
        0.0002554448,
        -0.00007528864,
    ],
    [
        -0.0000527311,
        0.00017855645,
        -0.00044082516,
        0.0009216123,
        -0.0017286825,
        0.0029981788,
        -0.004898188,
        0.0076364246,
        -0.011477444,
        0.016782133,
        -0.024097534,
        0.034372173,
        -0.049528286,
        0.074294485,
        -0.1243267,
        0.29927674,
        0.89762497,
        -0.17393783,
        0.09070005,
        -0.0570556,
        0.038335476,
        -0.026324295,
        0.018068638,
        -0.012224545,
        0.008065381,
        -0.005138307,
        0.0031274015,
        -0.001794459,
        0.0009525906,
        -0.00045386518,
        0.00018315064,
        -0.000053871856,
    ],
];

/// The interpolators laid out by tap, one lane per reading.
#[derive(Clone, Debug)]
pub struct TruePeak {
    taps: [F4; TAPS],
}

impl Default for TruePeak {
    fn default() -> Self {
        TruePeak::new()
    }
}

impl TruePeak {
    /// The interpolators of [`WEIGHTS`] plus the frame itself.
    pub fn new() -> TruePeak {
        let mut taps = [F4::splat(0.0); TAPS];
        for (j, t) in taps.iter_mut().enumerate() {
            let own = if j == CENTRE { 1.0 } else { 0.0 };
            *t = F4::from_array([WEIGHTS[0][j], WEIGHTS[1][j], WEIGHTS[2][j], own]);
        }
        TruePeak { taps }
    }

    /// The magnitudes of the four readings of one channel's frame `m` from
    /// its window `m − 15 … m + 16` (oldest first, [`TAPS`] frames).
    #[inline(always)]
    pub fn read(&self, window: &[f32]) -> F4 {
        let mut acc = F4::splat(0.0);
        for (w, x) in self.taps.iter().zip(window.iter()) {
            acc = acc + *w * F4::splat(*x);
        }
        acc.abs()
    }

    /// The true peak of a stereo frame `m`: the largest of the eight
    /// readings of its two windows.
    #[inline(always)]
    pub fn stereo(&self, left: &[f32], right: &[f32]) -> f32 {
        let [a, b, c, d] = self.read(left).max(self.read(right)).to_array();
        a.max(b).max(c).max(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarter_rate_sine_at_45_degrees_reads_its_crest() {
        // Samples at ±sin(45°) = 0.7071; the waveform's crest, −1, falls
        // half a frame after frame 15, the window's centre.
        let x: Vec<f32> = (0..TAPS)
            .map(|n| {
                (core::f64::consts::FRAC_PI_2 * n as f64 - core::f64::consts::FRAC_PI_4).sin()
                    as f32
            })
            .collect();
        let tp = TruePeak::new().stereo(&x, &x);
        assert!((tp - 1.0).abs() < 1e-3, "{}", tp);
    }

    #[test]
    fn the_frame_itself_is_read_exactly() {
        let mut x = [0.0f32; TAPS];
        x[CENTRE] = -0.375;
        let r = TruePeak::new().read(&x).to_array();
        assert_eq!(r[3], 0.375);
        assert_eq!(r[0], (WEIGHTS[0][CENTRE] * -0.375).abs());
    }

    #[test]
    fn each_interpolator_passes_dc_within_3e_5() {
        for row in WEIGHTS.iter() {
            let sum: f64 = row.iter().map(|w| *w as f64).sum();
            assert!((sum - 1.0).abs() < 3e-5, "{}", sum);
        }
    }
}
