//! Four f32 lanes, [`F4`]: the vector the channel strips run in, one track
//! per lane, and the synth's voices, one voice per lane; [`D4`], four f64
//! lanes, carries the voices' envelopes.
//!
//! Two implementations with one interface:
//!
//! * wasm32 built with `-C target-feature=+simd128`: a `v128` and the
//!   `core::arch::wasm32` f32x4/i32x4 instructions (safe functions when the
//!   feature is enabled at compile time);
//! * everywhere else (the scalar wasm build, native hosts): `[f32; 4]` with
//!   lane-by-lane operations, which LLVM turns into SSE on x86_64.
//!
//! Both give the same bits for the same inputs: add, sub, mul and div are
//! IEEE-754 single-precision (double for [`D4`]) operations, rounded to nearest in both;
//! [`F4::max`] and [`F4::min`] are the wasm *pseudo* min/max (`a < b ? b : a`
//! and `b < a ? b : a`), which the array version spells out the same way, so
//! even NaN and signed-zero operands pick the same operand (the DSP never
//! feeds them NaN: inputs are flushed, see [`F4::flush`]); comparisons and
//! bit operations are exact. [`F4::floor`] and the integer conversions are
//! exact in both for the ranges documented on them. [`F4::fast_log2`],
//! [`F4::fast_exp2`] and [`F4::flush`] are written once on top of these
//! primitives and reproduce [`crate::math::fast_log2`],
//! [`crate::math::fast_exp2`] and [`crate::math::flush`] bit for bit, so they
//! inherit their error bounds: `log2` absolute error below
//! `2e-7 + 2^-23·|log2 x|`, `exp2` relative error below 1.5e-6.
//!
//! The [`Lanes`] trait lets a unit be written once for one lane (`f32`) and
//! for four ([`F4`]); both instantiations give the same bits per lane.

use core::fmt;
use core::ops::{Add, Div, Mul, Sub};

use crate::config::ConfigError;
use crate::math::FLUSH_THRESHOLD;

pub use imp::{D4, F4, I4, M4};
pub use ramp::LaneRamp;

mod ramp;

/// Lanes in an [`F4`].
pub const LANES: usize = 4;

/// True where an [`F4`] operation is one vector instruction (wasm SIMD,
/// x86-64's SSE): four lanes then cost about what one does. In the scalar
/// wasm build each lane is its own instruction, and lanes that carry nothing
/// are work wasted.
pub const F4_IS_VECTOR: bool = cfg!(any(
    all(target_arch = "wasm32", target_feature = "simd128"),
    target_arch = "x86_64"
));

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[path = "simd128.rs"]
mod imp;

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[path = "scalar.rs"]
mod imp;

impl Add for F4 {
    type Output = F4;
    #[inline(always)]
    fn add(self, o: F4) -> F4 {
        F4::add(self, o)
    }
}

impl Sub for F4 {
    type Output = F4;
    #[inline(always)]
    fn sub(self, o: F4) -> F4 {
        F4::sub(self, o)
    }
}

impl Mul for F4 {
    type Output = F4;
    #[inline(always)]
    fn mul(self, o: F4) -> F4 {
        F4::mul(self, o)
    }
}

impl Div for F4 {
    type Output = F4;
    #[inline(always)]
    fn div(self, o: F4) -> F4 {
        F4::div(self, o)
    }
}

impl Add for D4 {
    type Output = D4;
    #[inline(always)]
    fn add(self, o: D4) -> D4 {
        D4::add(self, o)
    }
}

impl Mul for D4 {
    type Output = D4;
    #[inline(always)]
    fn mul(self, o: D4) -> D4 {
        D4::mul(self, o)
    }
}

impl fmt::Debug for D4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "D4{:?}", self.to_array())
    }
}

impl Default for F4 {
    fn default() -> F4 {
        F4::splat(0.0)
    }
}

impl fmt::Debug for F4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "F4{:?}", self.to_array())
    }
}

impl fmt::Debug for I4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "I4{:?}", self.to_array())
    }
}

impl fmt::Debug for M4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b: [bool; 4] = [self.lane(0), self.lane(1), self.lane(2), self.lane(3)];
        write!(f, "M4{b:?}")
    }
}

/// Written once on the primitives above: the same bits in both builds.
impl F4 {
    /// Zero every lane that is NaN, infinite or below
    /// [`FLUSH_THRESHOLD`] in magnitude; lane-wise [`crate::math::flush`].
    #[inline(always)]
    pub fn flush(self) -> F4 {
        // `T ≤ |x| ≤ MAX` is false for NaN and ±∞, as in `math::flush`.
        let a = self.abs();
        self.keep(
            a.ge(F4::splat(FLUSH_THRESHOLD))
                .and(a.le(F4::splat(f32::MAX))),
        )
    }

    /// The larger of two magnitudes per lane, compared as the integers of
    /// their bit patterns (one instruction on wasm SIMD). For non-negative
    /// floats that is their order, NaN above +∞; on such lanes it equals
    /// [`F4::max`] wherever neither is NaN. Both builds give the same bits
    /// for any input.
    #[inline(always)]
    pub fn max_magnitude(self, o: F4) -> F4 {
        F4::from_bits(self.to_bits().max_s(o.to_bits()))
    }

    /// Per lane: set where the lane is finite (not NaN or infinite).
    #[inline(always)]
    pub fn is_finite(self) -> M4 {
        let inf = f32::INFINITY.to_bits() as i32;
        self.to_bits()
            .and(I4::splat(0x7fff_ffff))
            .lt_u(I4::splat(inf))
    }

    /// Lane-wise [`crate::math::fast_log2`], bit for bit: `x = m·2^e` with
    /// `m` in `[√½, √2)`, `log2 m` from the atanh series to `t^7`.
    #[inline(always)]
    pub fn fast_log2(self) -> F4 {
        // `min < x ? x : min`: below the smallest normal, and NaN, become it.
        let x = F4::splat(f32::MIN_POSITIVE).max(self);
        let bits = x.to_bits();
        // `x` is positive here: the sign bit is clear, so the shift alone
        // leaves the biased exponent.
        let biased = bits.shr_logical(23);
        let m = F4::from_bits(bits.and(I4::splat(0x007f_ffff)).or(I4::splat(0x3f80_0000)));
        let big = m.gt(F4::splat(core::f32::consts::SQRT_2));
        let m = F4::select(big, m * F4::splat(0.5), m);
        // `big` is −1 where set: subtracting it adds one to the exponent.
        let e = biased
            .wrapping_sub(I4::splat(127))
            .wrapping_sub(big.to_int())
            .to_f32();
        let one = F4::splat(1.0);
        let t = (m - one) / (m + one);
        let t2 = t * t;
        let series = t
            * (one
                + t2 * (F4::splat(1.0f32 / 3.0)
                    + t2 * (F4::splat(1.0f32 / 5.0) + t2 * F4::splat(1.0f32 / 7.0))));
        e + series * F4::splat(2.0f32 / core::f32::consts::LN_2)
    }

    /// Lane-wise [`crate::math::fast_exp2`], bit for bit: the argument is
    /// clamped to `[-126, 127]`, split into integer and fraction, `e^(f·ln2)`
    /// from a degree-7 Taylor polynomial, the integer part in the exponent.
    #[inline(always)]
    pub fn fast_exp2(self) -> F4 {
        let hi = F4::splat(127.0);
        let lo = F4::splat(-126.0);
        // `lo < x ? x : lo` (NaN becomes `lo`), then at most `hi`.
        let x = lo.max(self).min(hi);
        let xi = x.floor();
        let f = (x - xi) * F4::splat(core::f32::consts::LN_2);
        let c = F4::splat;
        let p = c(1.0)
            + f * (c(1.0)
                + f * (c(1.0f32 / 2.0)
                    + f * (c(1.0f32 / 6.0)
                        + f * (c(1.0f32 / 24.0)
                            + f * (c(1.0f32 / 120.0)
                                + f * (c(1.0f32 / 720.0) + f * c(1.0f32 / 5040.0)))))));
        // `xi + 127 + 2^23` is an exact integer below 2^24, so its low 23
        // bits are `xi + 127`; shifted into the exponent field they give
        // `2^xi` (the bits above shift out).
        let scale = F4::from_bits((xi + F4::splat(8_388_735.0)).to_bits().shl_logical(23));
        p * scale
    }
}

/// Copy lane `lane` of `src` into `out` (as many frames as both hold).
pub fn deinterleave(src: &[F4], lane: usize, out: &mut [f32]) {
    for (o, v) in out.iter_mut().zip(src) {
        *o = v.lane(lane);
    }
}

/// Four consecutive samples as one vector.
#[inline(always)]
fn load4(c: &[f32]) -> F4 {
    F4::from_array([c[0], c[1], c[2], c[3]])
}

/// Copy four planar channels into lanes, flushed: frame `i` of `tracks[k]`
/// becomes lane `k` of `out[i]`, through [`F4::flush`]. Returns each lane's
/// largest flushed magnitude (`+0.0` for no frames). Every track must hold
/// at least `out.len()` frames. Four frames at a time move with one
/// [`F4::transpose`].
pub fn gather_flushed(tracks: [&[f32]; LANES], out: &mut [F4]) -> F4 {
    let n = out.len();
    let [t0, t1, t2, t3] = tracks.map(|t| &t[..n]);
    let mut peak = F4::splat(0.0);
    let whole = n - n % LANES;
    let (body, tail) = out.split_at_mut(whole);
    for (i, o) in body.chunks_exact_mut(LANES).enumerate() {
        let j = i * LANES;
        let rows = [
            load4(&t0[j..j + 4]),
            load4(&t1[j..j + 4]),
            load4(&t2[j..j + 4]),
            load4(&t3[j..j + 4]),
        ];
        for (v, r) in o.iter_mut().zip(F4::transpose(rows)) {
            let x = r.flush();
            peak = peak.max_magnitude(x.abs());
            *v = x;
        }
    }
    for (i, v) in tail.iter_mut().enumerate() {
        let j = whole + i;
        let x = F4::from_array([t0[j], t1[j], t2[j], t3[j]]).flush();
        peak = peak.max_magnitude(x.abs());
        *v = x;
    }
    peak
}

/// True if any sample of `x` is finite and at least `level` in magnitude
/// (NaN and ±∞ never count), four samples at a time.
pub fn any_at_least(x: &[f32], level: f32) -> bool {
    let (lo, hi) = (F4::splat(level), F4::splat(f32::MAX));
    let mut hit = M4::from_bools([false; LANES]);
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        let a = load4(c).abs();
        hit = hit.or(a.ge(lo).and(a.le(hi)));
    }
    let loud = |v: &f32| v.abs() >= level && v.abs() <= f32::MAX;
    hit.any() || chunks.remainder().iter().any(loud)
}

/// Add the lanes of every frame into `out`, lane 0 first: `out[i]` becomes
/// `(((out[i] + l0) + l1) + l2) + l3` for the lanes `l0…l3` of `lanes[i]`,
/// the order and rounding of adding four planar channels one after another.
pub fn sum_lanes_into(lanes: &[F4], out: &mut [f32]) {
    let n = lanes.len().min(out.len());
    let whole = n - n % LANES;
    let (body, tail) = out[..n].split_at_mut(whole);
    for (o, l) in body.chunks_exact_mut(LANES).zip(lanes.chunks_exact(LANES)) {
        let [r0, r1, r2, r3] = F4::transpose([l[0], l[1], l[2], l[3]]);
        let sum = load4(o) + r0 + r1 + r2 + r3;
        o.copy_from_slice(&sum.to_array());
    }
    for (o, l) in tail.iter_mut().zip(&lanes[whole..n]) {
        let [x0, x1, x2, x3] = l.to_array();
        *o = *o + x0 + x1 + x2 + x3;
    }
}

/// A buffer of `n` all-zero vectors, or `OutOfMemory` instead of aborting.
pub fn zeroed_lanes(n: usize) -> Result<Vec<F4>, ConfigError> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| ConfigError::OutOfMemory)?;
    v.resize(n, F4::splat(0.0));
    Ok(v)
}

/// A value with `COUNT` f32 lanes: `f32` (one lane) or [`F4`] (four), so
/// that a unit's per-sample code is written once for both.
pub trait Lanes:
    Copy + fmt::Debug + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self>
{
    /// Per-lane truth values.
    type Mask: Copy;
    /// Number of lanes.
    const COUNT: usize;
    /// All lanes `v`.
    fn splat(v: f32) -> Self;
    /// Lane `k` (0.0 past the last lane).
    fn lane(self, k: usize) -> f32;
    /// A copy with lane `k` replaced (unchanged past the last lane).
    fn with_lane(self, k: usize, v: f32) -> Self;
    /// Magnitude.
    fn abs(self) -> Self;
    /// Pseudo-maximum `self < o ? o : self`.
    fn max(self, o: Self) -> Self;
    /// Pseudo-minimum `o < self ? o : self`.
    fn min(self, o: Self) -> Self;
    /// [`F4::max_magnitude`]: the larger bit pattern as a signed integer.
    fn max_magnitude(self, o: Self) -> Self;
    /// `self` where `m`, else `+0.0`.
    fn keep(self, m: Self::Mask) -> Self;
    /// Per lane `self < o`.
    fn lt(self, o: Self) -> Self::Mask;
    /// Per lane `self > o`.
    fn gt(self, o: Self) -> Self::Mask;
    /// `a` where `m`, else `b`.
    fn select(m: Self::Mask, a: Self, b: Self) -> Self;
    /// [`crate::math::flush`] per lane.
    fn flush(self) -> Self;
    /// [`crate::math::fast_log2`] per lane.
    fn fast_log2(self) -> Self;
    /// [`crate::math::fast_exp2`] per lane.
    fn fast_exp2(self) -> Self;
}

impl Lanes for f32 {
    type Mask = bool;
    const COUNT: usize = 1;
    #[inline(always)]
    fn splat(v: f32) -> f32 {
        v
    }
    #[inline(always)]
    fn lane(self, k: usize) -> f32 {
        if k == 0 {
            self
        } else {
            0.0
        }
    }
    #[inline(always)]
    fn with_lane(self, k: usize, v: f32) -> f32 {
        if k == 0 {
            v
        } else {
            self
        }
    }
    #[inline(always)]
    fn abs(self) -> f32 {
        f32::abs(self)
    }
    #[inline(always)]
    fn max(self, o: f32) -> f32 {
        if self < o {
            o
        } else {
            self
        }
    }
    #[inline(always)]
    fn min(self, o: f32) -> f32 {
        if o < self {
            o
        } else {
            self
        }
    }
    #[inline(always)]
    fn max_magnitude(self, o: f32) -> f32 {
        f32::from_bits((self.to_bits() as i32).max(o.to_bits() as i32) as u32)
    }
    #[inline(always)]
    fn keep(self, m: bool) -> f32 {
        if m {
            self
        } else {
            0.0
        }
    }
    #[inline(always)]
    fn lt(self, o: f32) -> bool {
        self < o
    }
    #[inline(always)]
    fn gt(self, o: f32) -> bool {
        self > o
    }
    #[inline(always)]
    fn select(m: bool, a: f32, b: f32) -> f32 {
        if m {
            a
        } else {
            b
        }
    }
    #[inline(always)]
    fn flush(self) -> f32 {
        crate::math::flush(self)
    }
    #[inline(always)]
    fn fast_log2(self) -> f32 {
        crate::math::fast_log2(self)
    }
    #[inline(always)]
    fn fast_exp2(self) -> f32 {
        crate::math::fast_exp2(self)
    }
}

impl Lanes for F4 {
    type Mask = M4;
    const COUNT: usize = LANES;
    #[inline(always)]
    fn splat(v: f32) -> F4 {
        F4::splat(v)
    }
    #[inline(always)]
    fn lane(self, k: usize) -> f32 {
        F4::lane(self, k)
    }
    #[inline(always)]
    fn with_lane(self, k: usize, v: f32) -> F4 {
        F4::with_lane(self, k, v)
    }
    #[inline(always)]
    fn abs(self) -> F4 {
        F4::abs(self)
    }
    #[inline(always)]
    fn max(self, o: F4) -> F4 {
        F4::max(self, o)
    }
    #[inline(always)]
    fn min(self, o: F4) -> F4 {
        F4::min(self, o)
    }
    #[inline(always)]
    fn max_magnitude(self, o: F4) -> F4 {
        F4::max_magnitude(self, o)
    }
    #[inline(always)]
    fn keep(self, m: M4) -> F4 {
        F4::keep(self, m)
    }
    #[inline(always)]
    fn lt(self, o: F4) -> M4 {
        F4::lt(self, o)
    }
    #[inline(always)]
    fn gt(self, o: F4) -> M4 {
        F4::gt(self, o)
    }
    #[inline(always)]
    fn select(m: M4, a: F4, b: F4) -> F4 {
        F4::select(m, a, b)
    }
    #[inline(always)]
    fn flush(self) -> F4 {
        F4::flush(self)
    }
    #[inline(always)]
    fn fast_log2(self) -> F4 {
        F4::fast_log2(self)
    }
    #[inline(always)]
    fn fast_exp2(self) -> F4 {
        F4::fast_exp2(self)
    }
}
