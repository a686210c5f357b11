//! Second-order sections matched to their analog prototypes (M. Vicanek,
//! "Matched Second Order Digital Filters", 2016). The bilinear transform of
//! the RBJ cookbook squeezes the whole analog axis below Nyquist, so a bell
//! or a corner high in the spectrum is narrowed and loses level (a 16 kHz
//! +6 dB bell reads −3.35 dB against its prototype at 20 kHz, 44.1 kHz).
//! Here the poles are the analog poles by impulse invariance, and the
//! numerator is solved from the squared magnitude so that the response
//! equals the prototype's at DC and at the corner, a bell having its
//! extremum exactly there.
//!
//! The squared magnitude of `b0 + b1·z⁻¹ + b2·z⁻²` on the unit circle is
//! `B0·φ0 + B1·φ1 + B2·φ2` with `φ1 = sin²(ω/2)`, `φ0 = 1 − φ1`,
//! `φ2 = 4·φ0·φ1` and `B0 = (b0 + b1 + b2)²`, `B1 = (b0 − b1 + b2)²`,
//! `B2 = −4·b0·b2`; the same holds for the denominator with `A0…A2`.
//! All in f64 through [`crate::math`]'s plain arithmetic: the same bits on
//! every runtime.

use crate::math::{cos_f64, exp2_f64, exp_f64, sin_f64, LOG2_PER_DB};

/// A section `(b0 + b1 z⁻¹ + b2 z⁻²) / (1 + a1 z⁻¹ + a2 z⁻²)` in f64.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Section {
    /// Numerator `b0, b1, b2`.
    pub b: [f64; 3],
    /// Denominator coefficient of `z⁻¹`.
    pub a1: f64,
    /// Denominator coefficient of `z⁻²`.
    pub a2: f64,
}

/// The analog poles of `s² + (ω0/q)·s + ω0²` mapped by impulse invariance
/// (`z = e^{sT}`): `(a1, a2)`. `w0` is in radians per sample.
fn poles(w0: f64, q: f64) -> (f64, f64) {
    let zeta = 0.5 / q.max(1e-3);
    let decay = exp_f64(-zeta * w0);
    let a1 = if zeta <= 1.0 {
        -2.0 * decay * cos_f64(w0 * (1.0 - zeta * zeta).sqrt())
    } else {
        // Two real poles: cosh(x) = (e^x + e^−x)/2.
        let x = w0 * (zeta * zeta - 1.0).sqrt();
        -decay * (exp_f64(x) + exp_f64(-x))
    };
    (a1, decay * decay)
}

/// `φ0, φ1, φ2` at `w` radians per sample (`0 < w < π`).
fn phi(w: f64) -> [f64; 3] {
    let s = sin_f64(0.5 * w);
    let p1 = s * s;
    let p0 = 1.0 - p1;
    [p0, p1, 4.0 * p0 * p1]
}

/// `A0, A1, A2` of the denominator `1 + a1 z⁻¹ + a2 z⁻²`.
fn squared(a1: f64, a2: f64) -> [f64; 3] {
    let dc = 1.0 + a1 + a2;
    let ny = 1.0 - a1 + a2;
    [dc * dc, ny * ny, -4.0 * a2]
}

fn dot(a: [f64; 3], p: [f64; 3]) -> f64 {
    a[0] * p[0] + a[1] * p[1] + a[2] * p[2]
}

/// The minimum-phase numerator whose squared magnitude has `B0, B1, B2`
/// (negative squares, from rounding, count as 0).
fn numerator(big_b0: f64, big_b1: f64, big_b2: f64) -> [f64; 3] {
    let r0 = big_b0.max(0.0).sqrt();
    let r1 = big_b1.max(0.0).sqrt();
    let w = 0.5 * (r0 + r1);
    let b0 = 0.5 * (w + (w * w + big_b2).max(0.0).sqrt());
    let b2 = if b0 != 0.0 { -big_b2 / (4.0 * b0) } else { 0.0 };
    [b0, 0.5 * (r0 - r1), b2]
}

/// Peaking band at `w0` radians per sample, quality factor `q`, `gain_db` at
/// the centre: the prototype `(s² + s·A/q + 1)/(s² + s/(A·q) + 1)`,
/// `A = 10^(gain_db/40)`, matched at DC (1) and at `w0` (gain and zero slope).
/// A cut is the exact inverse of the boost by as many dB, as its prototype
/// is (the boost's numerator is minimum-phase, so the inverse is stable):
/// boosts and cuts depart from the prototype alike.
pub fn peaking(w0: f64, q: f64, gain_db: f64) -> Section {
    if gain_db < 0.0 {
        let boost = peaking_boost(w0, q, -gain_db);
        let [b0, b1, b2] = boost.b;
        return Section {
            b: [1.0 / b0, boost.a1 / b0, boost.a2 / b0],
            a1: b1 / b0,
            a2: b2 / b0,
        };
    }
    peaking_boost(w0, q, gain_db)
}

fn peaking_boost(w0: f64, q: f64, gain_db: f64) -> Section {
    let a = exp2_f64(0.5 * gain_db * LOG2_PER_DB);
    let g2 = (a * a) * (a * a); // the centre's squared gain
    let (a1, a2) = poles(w0, a * q.max(1e-3));
    let big_a = squared(a1, a2);
    let p = phi(w0);
    let r1 = g2 * dot(big_a, p);
    // The slope of the denominator's squared magnitude in φ1, times the gain.
    let r2 = g2 * (-big_a[0] + big_a[1] + 4.0 * (p[0] - p[1]) * big_a[2]);
    let big_b0 = big_a[0];
    let big_b2 = (r1 - r2 * p[1] - big_b0) / (4.0 * p[1] * p[1]);
    let big_b1 = r2 + big_b0 + 4.0 * (p[1] - p[0]) * big_b2;
    Section {
        b: numerator(big_b0, big_b1, big_b2),
        a1,
        a2,
    }
}

/// Low-pass at `w0` radians per sample, quality factor `q`: the prototype
/// `1/(s² + s/q + 1)`, matched at DC (1) and at `w0` (`q`).
pub fn low_pass(w0: f64, q: f64) -> Section {
    let q = q.max(1e-3);
    let (a1, a2) = poles(w0, q);
    let big_a = squared(a1, a2);
    let p = phi(w0);
    let big_b0 = big_a[0];
    let big_b1 = (dot(big_a, p) * q * q - big_b0 * p[0]) / p[1];
    Section {
        b: numerator(big_b0, big_b1, 0.0),
        a1,
        a2,
    }
}

/// High-pass at `w0` radians per sample, quality factor `q`: the prototype
/// `s²/(s² + s/q + 1)`, a double zero at DC, matched at `w0` (`q`).
pub fn high_pass(w0: f64, q: f64) -> Section {
    let q = q.max(1e-3);
    let (a1, a2) = poles(w0, q);
    let p = phi(w0);
    let b0 = q * dot(squared(a1, a2), p).sqrt() / (4.0 * p[1]);
    Section {
        b: [b0, -2.0 * b0, b0],
        a1,
        a2,
    }
}

impl Section {
    /// Squared magnitude at `w` radians per sample.
    pub fn power(&self, w: f64) -> f64 {
        let [b0, b1, b2] = self.b;
        let p = phi(w);
        let dc = b0 + b1 + b2;
        let ny = b0 - b1 + b2;
        dot([dc * dc, ny * ny, -4.0 * b0 * b2], p) / dot(squared(self.a1, self.a2), p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::f64::consts::PI;

    /// `|H(jΩ)|²` of `(n[2]·s² + n[1]·s + n[0])/(s² + s/q + 1)` at `Ω`.
    fn analog(n: [f64; 3], q: f64, w: f64) -> f64 {
        let (re_n, im_n) = (n[0] - n[2] * w * w, n[1] * w);
        let (re_d, im_d) = (1.0 - w * w, w / q);
        (re_n * re_n + im_n * im_n) / (re_d * re_d + im_d * im_d)
    }

    fn worst_db(s: &Section, fs: f64, f0: f64, proto: impl Fn(f64) -> f64) -> f64 {
        let mut worst: f64 = 0.0;
        for i in 0..=400 {
            let f = 20.0 * (1000f64).powf(i as f64 / 400.0);
            let w = 2.0 * PI * f / fs;
            let want = proto(f / f0);
            let got = s.power(w);
            worst = worst.max((10.0 * (got / want).log10()).abs());
        }
        worst
    }

    #[test]
    fn high_bells_and_corners_keep_the_analog_shape_to_20_khz() {
        for fs in [44100.0, 48000.0] {
            let (f0, q, g) = (16000.0, 1.0, 6.0);
            let a = 10f64.powf(g / 40.0);
            let s = peaking(2.0 * PI * f0 / fs, q, g);
            let e = worst_db(&s, fs, f0, |w| analog([1.0, a / q, 1.0], a * q, w));
            assert!(e < 0.5, "bell at {fs}: {e} dB");
            let q = core::f64::consts::FRAC_1_SQRT_2;
            let s = low_pass(2.0 * PI * 18000.0 / fs, q);
            let e = worst_db(&s, fs, 18000.0, |w| analog([1.0, 0.0, 0.0], q, w));
            assert!(e < 0.5, "low-pass at {fs}: {e} dB");
        }
    }

    #[test]
    fn gains_land_at_dc_and_the_corner() {
        let w0 = 2.0 * PI * 9000.0 / 48000.0;
        for g in [-24.0, -6.0, 0.0, 6.0, 24.0] {
            let s = peaking(w0, 2.0, g);
            assert!((s.power(1e-9) - 1.0).abs() < 1e-9);
            let at = 10.0 * s.power(w0).log10();
            assert!((at - g).abs() < 1e-9, "{g}: {at}");
            // A cut is the inverse of the boost.
            let w = 2.0 * PI * 15000.0 / 48000.0;
            let product = peaking(w0, 2.0, g).power(w) * peaking(w0, 2.0, -g).power(w);
            assert!((product - 1.0).abs() < 1e-9, "{g}: {product}");
        }
        let s = low_pass(w0, 4.0);
        assert!((s.power(1e-9) - 1.0).abs() < 1e-9);
        assert!((s.power(w0) - 16.0).abs() < 1e-9);
        let s = high_pass(w0, 4.0);
        assert!(s.power(1e-6) < 1e-18);
        assert!((s.power(w0) - 16.0).abs() < 1e-9);
    }
}
