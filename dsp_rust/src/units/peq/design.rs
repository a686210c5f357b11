//! Filter design: a band's analog prototype from its type, frequency, Q
//! and gain, the section coefficients it gives, and the bounds the silence
//! check relies on (largest response magnitude, ringing per unit of state).

use super::svf::SvfCoefs;
use super::BandType;
use crate::dsp::biquad::{radians, MAX_FREQ_RATIO, MIN_FREQ_HZ};
use crate::dsp::matched::{self, Section};

/// Bound on the ratio of a band's peak gain for any signal (the sum of the
/// magnitudes of its impulse response) to its largest frequency-response
/// magnitude; at most 2.6 over the legal settings (a wide, deep cut).
pub(super) const THROUGH_FACTOR: f64 = 3.0;

impl SvfCoefs {
    /// Coefficients of a band of type `kind` at `freq_hz` (held within 10 Hz
    /// and 0.45 × `sample_rate_hz`), quality factor `q` and `gain_db` (peaks
    /// and shelves). Computed in f64; the identity if anything is not finite.
    pub fn design(kind: BandType, sample_rate_hz: f64, freq_hz: f64, q: f64, gain_db: f64) -> Self {
        Prototype::new(kind, sample_rate_hz, freq_hz, q, gain_db).coefs()
    }

    /// Bound on the output of a section whose input is silent from now on,
    /// per unit of the state's Euclidean norm: the norm of the map from
    /// state to output. With zero input the state update is a contraction
    /// (the trapezoidal rule keeps the SVF passive), so this bounds every
    /// later output too.
    pub(super) fn ring_gain(&self) -> f32 {
        let (a1, a2, a3) = (0.5 * self.two_a1, 0.5 * self.two_a2, 0.5 * self.two_a3);
        let m1 = 2.0 * self.half_m1;
        let c1 = m1 * a1 + self.m2 * a2;
        let c2 = self.m2 * (1.0 - a3) - m1 * a2;
        (c1 * c1 + c2 * c2).sqrt()
    }
}

/// A band's analog prototype in SVF form: prewarped frequency `g`,
/// damping `k` and output mix `m0, m1, m2`, so that
/// `H(s) = (m0·s² + (m0·k + m1)·s + m0 + m2) / (s² + k·s + 1)` with `s`
/// in units of `g`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Prototype {
    g: f64,
    k: f64,
    m0: f64,
    m1: f64,
    m2: f64,
}

impl Prototype {
    pub(super) fn new(
        kind: BandType,
        sample_rate_hz: f64,
        freq_hz: f64,
        q: f64,
        gain_db: f64,
    ) -> Self {
        let w0 = radians(sample_rate_hz, freq_hz);
        match kind {
            BandType::Off => {
                return Prototype {
                    g: 0.0,
                    k: 1.0,
                    m0: 1.0,
                    m1: 0.0,
                    m2: 0.0,
                }
            }
            BandType::Peak => return Self::of_section(&matched::peaking(w0, q, gain_db)),
            BandType::LowPass => return Self::of_section(&matched::low_pass(w0, q)),
            BandType::HighPass => return Self::of_section(&matched::high_pass(w0, q)),
            BandType::LowShelf | BandType::HighShelf => {}
        }
        // The cookbook's shelves, prewarped at the band frequency.
        let f = freq_hz
            .max(MIN_FREQ_HZ)
            .min(MAX_FREQ_RATIO * sample_rate_hz);
        let t = (core::f64::consts::PI * f / sample_rate_hz).tan();
        let k = 1.0 / q.max(1e-3);
        let a = 10f64.powf(gain_db / 40.0);
        let (g, m0, m1, m2) = if kind == BandType::LowShelf {
            (t / a.sqrt(), 1.0, k * (a - 1.0), a * a - 1.0)
        } else {
            (t * a.sqrt(), a * a, k * (1.0 - a) * a, 1.0 - a * a)
        };
        Prototype { g, k, m0, m1, m2 }
    }

    /// The SVF whose trapezoidal response is the digital section `s`: the
    /// inverse bilinear transform `s = (1 − z⁻¹)/(1 + z⁻¹)` gives the analog
    /// section it came from, `(n2·s² + n1·s + n0)/(d2·s² + d1·s + d0)`, read
    /// in units of `g = √(d0/d2)`.
    fn of_section(sec: &Section) -> Self {
        let [b0, b1, b2] = sec.b;
        let (d2, d1, d0) = (
            1.0 - sec.a1 + sec.a2,
            2.0 * (1.0 - sec.a2),
            1.0 + sec.a1 + sec.a2,
        );
        let (n2, n1, n0) = (b0 - b1 + b2, 2.0 * (b0 - b2), b0 + b1 + b2);
        let g = (d0 / d2).sqrt();
        let k = d1 / (d2 * g);
        let m0 = n2 / d2;
        Prototype {
            g,
            k,
            m0,
            m1: n1 / (d2 * g) - m0 * k,
            m2: n0 / (d2 * g * g) - m0,
        }
    }

    pub(super) fn coefs(&self) -> SvfCoefs {
        let Prototype { g, k, m0, m1, m2 } = *self;
        let a1 = 1.0 / (1.0 + g * (g + k));
        let a2 = g * a1;
        let a3 = g * a2;
        let c = SvfCoefs {
            two_a1: (2.0 * a1) as f32,
            two_a2: (2.0 * a2) as f32,
            two_a3: (2.0 * a3) as f32,
            m0: m0 as f32,
            half_m1: (0.5 * m1) as f32,
            m2: m2 as f32,
        };
        if [c.two_a1, c.two_a2, c.two_a3, c.m0, c.half_m1, c.m2]
            .iter()
            .all(|v| v.is_finite())
        {
            c
        } else {
            SvfCoefs::IDENTITY
        }
    }

    /// The largest magnitude of the frequency response. On `s = jΩ`,
    /// `|H|² = P(u)/Q(u)` with `u = Ω²`, `P` and `Q` quadratics; the maximum
    /// over `u ≥ 0` lies at `u = 0`, `u → ∞` or a root of `P'Q − PQ'`,
    /// which is quadratic too.
    pub(super) fn max_gain(&self) -> f64 {
        let Prototype { k, m0, m1, m2, .. } = *self;
        let c = m0 + m2;
        let e = m0 * k + m1;
        let (p2, p1, p0) = (m0 * m0, e * e - 2.0 * c * m0, c * c);
        let q1 = k * k - 2.0;
        let ratio = |u: f64| {
            let den = (u + q1) * u + 1.0;
            if u >= 0.0 && den > 0.0 {
                (((p2 * u + p1) * u + p0) / den).max(0.0).sqrt()
            } else {
                0.0
            }
        };
        // (p2·q1 − p1)·u² + 2·(p2 − p0)·u + (p1 − p0·q1) = 0
        let (qa, qb, qc) = (p2 * q1 - p1, 2.0 * (p2 - p0), p1 - p0 * q1);
        let mut best = c.abs().max(m0.abs()).max(ratio(1.0));
        if qa != 0.0 {
            let disc = qb * qb - 4.0 * qa * qc;
            if disc >= 0.0 {
                let sq = disc.sqrt();
                best = best
                    .max(ratio((-qb + sq) / (2.0 * qa)))
                    .max(ratio((-qb - sq) / (2.0 * qa)));
            }
        } else if qb != 0.0 {
            best = best.max(ratio(-qc / qb));
        }
        if best.is_finite() {
            best
        } else {
            f64::MAX
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::peq::svf::SvfState;

    /// xorshift64 (13, 7, 17), as in `tests/common`: the analysis test below
    /// needs the band prototype, which is private, so it runs in this file.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn range(&mut self, lo: f32, hi: f32) -> f32 {
            lo + (hi - lo) * ((self.next() >> 40) as f32 / (1u64 << 24) as f32)
        }
    }

    #[test]
    fn max_gain_and_ring_bounds_hold() {
        let mut rng = Rng(77);
        let fs = 48000.0f64;
        let mut checked = 0;
        for _ in 0..400 {
            let kind = BandType::from_value(1.0 + (rng.next() % 5) as f32);
            let hz = 2f64.powf(rng.range(7.0, 14.3) as f64);
            let q = 2f64.powf(rng.range(-3.3, 4.2) as f64);
            let gain = rng.range(-24.0, 24.0) as f64;
            let p = Prototype::new(kind, fs, hz, q, gain);
            // Dense scan of |H| on the analog axis (the bilinear map covers it).
            let mut scan = 0.0f64;
            for i in 0..20000 {
                let w = 2f64.powf(-12.0 + 24.0 * i as f64 / 20000.0);
                let (re_n, im_n) = (p.m0 + p.m2 - p.m0 * w * w, (p.m0 * p.k + p.m1) * w);
                let (re_d, im_d) = (1.0 - w * w, p.k * w);
                scan = scan.max(((re_n * re_n + im_n * im_n) / (re_d * re_d + im_d * im_d)).sqrt());
            }
            let mg = p.max_gain();
            assert!(
                mg >= scan * (1.0 - 1e-9) && mg <= scan * 1.01,
                "{kind:?} {hz} {q} {gain}: {mg} vs {scan}"
            );
            // The impulse response's absolute sum stays within `through`.
            let c = p.coefs();
            let mut s = SvfState::default();
            let (mut l1, mut tail) = (0.0f64, 0.0f64);
            let n = 1 << 16;
            for i in 0..n {
                let y = s.tick(&c, if i == 0 { 1.0 } else { 0.0 }) as f64;
                l1 += y.abs();
                if i > n - 1000 {
                    tail = tail.max(y.abs());
                }
            }
            if tail < 1e-9 {
                checked += 1;
                assert!(
                    l1 <= THROUGH_FACTOR * mg,
                    "{kind:?} {hz} {q} {gain}: {l1} > 3 x {mg}"
                );
            }
            // Free ringing never exceeds ring_gain x the state norm at its start.
            let mut free = SvfState::default();
            for i in 0..64 {
                free.tick(&c, rng.range(-1.0, 1.0) * (i % 3) as f32);
            }
            let bound = c.ring_gain() * free.norm();
            for i in 0..4096 {
                let y = free.tick(&c, 0.0);
                assert!(
                    y.abs() <= bound * 1.0001,
                    "{kind:?} {hz} {q} {gain}: step {i} {y} > {bound}"
                );
            }
        }
        assert!(checked > 200);
    }
}
