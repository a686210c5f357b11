//! Second-order IIR sections: shelves from the RBJ Audio EQ Cookbook
//! (Robert Bristow-Johnson; W3C "Audio EQ Cookbook" note), the peaking band
//! matched to its analog prototype ([`crate::dsp::matched`]).
//!
//! Coefficients are computed in f64 and stored normalised (`a0 = 1`) in f32;
//! the filter runs in transposed direct form II in f32.

use crate::dsp::matched;
use crate::math::{flush, FLUSH_THRESHOLD};

/// Normalised biquad coefficients: `H(z) = (b0 + b1 z⁻¹ + b2 z⁻²) / (1 + a1 z⁻¹ + a2 z⁻²)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BiquadCoefs {
    /// Feed-forward coefficient of `x[n]`.
    pub b0: f32,
    /// Feed-forward coefficient of `x[n-1]`.
    pub b1: f32,
    /// Feed-forward coefficient of `x[n-2]`.
    pub b2: f32,
    /// Feedback coefficient of `y[n-1]`.
    pub a1: f32,
    /// Feedback coefficient of `y[n-2]`.
    pub a2: f32,
}

/// Highest corner frequency used, as a fraction of the sample rate.
pub const MAX_FREQ_RATIO: f64 = 0.45;
/// Lowest corner frequency used, in Hz.
pub const MIN_FREQ_HZ: f64 = 10.0;

struct Trig {
    cos_w0: f64,
    sin_w0: f64,
}

/// `freq_hz`, held within [`MIN_FREQ_HZ`] and [`MAX_FREQ_RATIO`] × the
/// rate, in radians per sample.
pub fn radians(sample_rate_hz: f64, freq_hz: f64) -> f64 {
    let f = freq_hz
        .max(MIN_FREQ_HZ)
        .min(MAX_FREQ_RATIO * sample_rate_hz);
    2.0 * core::f64::consts::PI * f / sample_rate_hz
}

fn trig(sample_rate_hz: f64, freq_hz: f64) -> Trig {
    let w0 = radians(sample_rate_hz, freq_hz);
    Trig {
        cos_w0: w0.cos(),
        sin_w0: w0.sin(),
    }
}

impl BiquadCoefs {
    /// The identity filter.
    pub const IDENTITY: BiquadCoefs = BiquadCoefs {
        b0: 1.0,
        b1: 0.0,
        b2: 0.0,
        a1: 0.0,
        a2: 0.0,
    };

    fn normalised(b0: f64, b1: f64, b2: f64, a0: f64, a1: f64, a2: f64) -> Self {
        let c = BiquadCoefs {
            b0: (b0 / a0) as f32,
            b1: (b1 / a0) as f32,
            b2: (b2 / a0) as f32,
            a1: (a1 / a0) as f32,
            a2: (a2 / a0) as f32,
        };
        if [c.b0, c.b1, c.b2, c.a1, c.a2].iter().all(|v| v.is_finite()) {
            c
        } else {
            BiquadCoefs::IDENTITY
        }
    }

    /// Low shelf at `freq_hz` with `gain_db` of shelf gain and slope S = 1.
    pub fn low_shelf(sample_rate_hz: f64, freq_hz: f64, gain_db: f64) -> Self {
        let t = trig(sample_rate_hz, freq_hz);
        let a = 10f64.powf(gain_db / 40.0);
        let alpha = t.sin_w0 / 2.0 * core::f64::consts::SQRT_2;
        let k = 2.0 * a.sqrt() * alpha;
        Self::normalised(
            a * ((a + 1.0) - (a - 1.0) * t.cos_w0 + k),
            2.0 * a * ((a - 1.0) - (a + 1.0) * t.cos_w0),
            a * ((a + 1.0) - (a - 1.0) * t.cos_w0 - k),
            (a + 1.0) + (a - 1.0) * t.cos_w0 + k,
            -2.0 * ((a - 1.0) + (a + 1.0) * t.cos_w0),
            (a + 1.0) + (a - 1.0) * t.cos_w0 - k,
        )
    }

    /// High shelf at `freq_hz` with `gain_db` of shelf gain and slope S = 1.
    pub fn high_shelf(sample_rate_hz: f64, freq_hz: f64, gain_db: f64) -> Self {
        let t = trig(sample_rate_hz, freq_hz);
        let a = 10f64.powf(gain_db / 40.0);
        let alpha = t.sin_w0 / 2.0 * core::f64::consts::SQRT_2;
        let k = 2.0 * a.sqrt() * alpha;
        Self::normalised(
            a * ((a + 1.0) + (a - 1.0) * t.cos_w0 + k),
            -2.0 * a * ((a - 1.0) + (a + 1.0) * t.cos_w0),
            a * ((a + 1.0) + (a - 1.0) * t.cos_w0 - k),
            (a + 1.0) - (a - 1.0) * t.cos_w0 + k,
            2.0 * ((a - 1.0) - (a + 1.0) * t.cos_w0),
            (a + 1.0) - (a - 1.0) * t.cos_w0 - k,
        )
    }

    /// Peaking band at `freq_hz` with quality factor `q` and `gain_db` at the
    /// centre, matched to the cookbook's analog prototype up to Nyquist
    /// ([`matched::peaking`]).
    pub fn peaking(sample_rate_hz: f64, freq_hz: f64, q: f64, gain_db: f64) -> Self {
        let s = matched::peaking(radians(sample_rate_hz, freq_hz), q, gain_db);
        Self::normalised(s.b[0], s.b[1], s.b[2], 1.0, s.a1, s.a2)
    }
}

/// State of one channel of a biquad (transposed direct form II).
#[derive(Clone, Copy, Debug, Default)]
pub struct BiquadState {
    s1: f32,
    s2: f32,
}

impl BiquadState {
    /// Filter `buf` in place with `c`. Output samples are flushed
    /// ([`flush`]); call [`BiquadState::settle`] at the end of each block.
    #[inline]
    pub fn process(&mut self, c: &BiquadCoefs, buf: &mut [f32]) {
        let (mut s1, mut s2) = (self.s1, self.s2);
        for v in buf.iter_mut() {
            let x = *v;
            let y = c.b0 * x + s1;
            s1 = c.b1 * x - c.a1 * y + s2;
            s2 = c.b2 * x - c.a2 * y;
            *v = flush(y);
        }
        self.s1 = s1;
        self.s2 = s2;
    }

    /// One sample through the filter (no output flush; see [`BiquadState::process`]).
    #[inline(always)]
    pub fn tick(&mut self, c: &BiquadCoefs, x: f32) -> f32 {
        let y = c.b0 * x + self.s1;
        self.s1 = c.b1 * x - c.a1 * y + self.s2;
        self.s2 = c.b2 * x - c.a2 * y;
        y
    }

    /// Flush subnormal state to zero and reset the filter if its state has
    /// become non-finite. Called once per block, off the per-sample path.
    pub fn settle(&mut self) {
        if !(self.s1.is_finite() && self.s2.is_finite()) {
            *self = BiquadState::default();
        }
        if self.s1.abs() < FLUSH_THRESHOLD {
            self.s1 = 0.0;
        }
        if self.s2.abs() < FLUSH_THRESHOLD {
            self.s2 = 0.0;
        }
    }

    /// Clear the state.
    pub fn reset(&mut self) {
        *self = BiquadState::default();
    }

    /// The two state values `[s1, s2]`.
    pub fn values(&self) -> [f32; 2] {
        [self.s1, self.s2]
    }

    /// True when both state values are exactly zero.
    pub fn is_silent(&self) -> bool {
        self.s1 == 0.0 && self.s2 == 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_gain_shelves_are_flat_at_dc_and_nyquist() {
        for c in [
            BiquadCoefs::low_shelf(48000.0, 200.0, 0.0),
            BiquadCoefs::high_shelf(48000.0, 3000.0, 0.0),
            BiquadCoefs::peaking(48000.0, 1000.0, 1.0, 0.0),
        ] {
            let dc = (c.b0 + c.b1 + c.b2) / (1.0 + c.a1 + c.a2);
            let ny = (c.b0 - c.b1 + c.b2) / (1.0 - c.a1 + c.a2);
            assert!((dc - 1.0).abs() < 1e-5 && (ny - 1.0).abs() < 1e-4, "{c:?}");
        }
    }

    #[test]
    fn shelf_gains_land_where_the_cookbook_says() {
        let c = BiquadCoefs::low_shelf(48000.0, 200.0, 6.0);
        let dc = (c.b0 + c.b1 + c.b2) / (1.0 + c.a1 + c.a2);
        assert!((20.0 * dc.log10() - 6.0).abs() < 1e-3);
        let c = BiquadCoefs::high_shelf(48000.0, 3000.0, -6.0);
        let ny = (c.b0 - c.b1 + c.b2) / (1.0 - c.a1 + c.a2);
        assert!((20.0 * ny.log10() + 6.0).abs() < 1e-2);
    }

    #[test]
    fn impulse_tail_reaches_exact_zero() {
        let c = BiquadCoefs::peaking(48000.0, 1000.0, 8.0, 12.0);
        let mut s = BiquadState::default();
        let mut block = [0.0f32; 128];
        block[0] = 1.0;
        for _ in 0..4000 {
            s.process(&c, &mut block);
            s.settle();
            block = [0.0; 128];
        }
        assert!(s.is_silent());
    }
}
