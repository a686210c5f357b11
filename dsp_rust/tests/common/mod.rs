//! What the integration tests share: one seeded random number generator and
//! the noise and hostile signals the unit tests feed.
//!
//! Every test binary includes this module and uses part of it.
#![allow(dead_code)]

use dawg_dsp::spec::{ParamSpec, FLAG_STEPPED};

/// Marsaglia's xorshift64 (shifts 13, 7, 17): a fixed seed gives the same
/// sequence on every platform, so a failing case can be replayed.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits. The seed must not be 0.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [0, 1), on a 2^-24 grid.
    pub fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Any bit pattern: normals, subnormals, zeros, infinities, NaNs.
    pub fn any_f32(&mut self) -> f32 {
        f32::from_bits(self.next() as u32)
    }

    /// A value in the range of parameter row `s`: log-uniform for Hz rows,
    /// uniform otherwise, rounded for stepped rows.
    pub fn in_spec(&mut self, s: &ParamSpec) -> f32 {
        let v = if s.unit == "Hz" {
            (s.min.ln() + self.unit() * (s.max.ln() - s.min.ln())).exp()
        } else {
            s.min + self.unit() * (s.max - s.min)
        };
        let v = v.max(s.min).min(s.max);
        if s.flags & FLAG_STEPPED != 0 {
            v.round()
        } else {
            v
        }
    }
}

/// `n` frames of uniform noise in [-0.5, 0.5) from a 32-bit LCG seeded by
/// `seed`.
pub fn lcg_noise(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(747_796_405).wrapping_add(1);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        })
        .collect()
}

/// `len` frames of uniform noise in [-amp, amp] from a 32-bit xorshift
/// (13, 17, 5) seeded by `seed`.
pub fn xorshift_noise(len: usize, seed: u32, amp: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s as f32 / u32::MAX as f32 * 2.0 - 1.0) * amp
        })
        .collect()
}

/// Values no unit may pass on: NaN, infinities, the float32 extremes,
/// subnormals and an overflow-bound 1e30.
pub const HOSTILE: [f32; 8] = [
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::MAX,
    -f32::MAX,
    1e-40,
    -1e-39,
    1e30,
];

/// `n` frames of [`HOSTILE`] values, cycled differently on each channel.
pub fn hostile_stereo(n: usize) -> (Vec<f32>, Vec<f32>) {
    let left = (0..n).map(|i| HOSTILE[i % HOSTILE.len()]).collect();
    let right = (0..n)
        .map(|i| HOSTILE[(i * 3 + 1) % HOSTILE.len()])
        .collect();
    (left, right)
}
