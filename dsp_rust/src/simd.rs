//! Four f32 lanes, [`F4`]: the vector the channel strips run in, one track
//! per lane.
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
//! IEEE-754 single-precision operations, rounded to nearest in both;
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

pub use imp::{F4, I4, M4};

/// Lanes in an [`F4`].
pub const LANES: usize = 4;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::*;

    /// Four f32 lanes in a wasm `v128`.
    #[derive(Clone, Copy)]
    #[repr(transparent)]
    pub struct F4(v128);

    /// Four i32 lanes in a wasm `v128`.
    #[derive(Clone, Copy)]
    #[repr(transparent)]
    pub struct I4(v128);

    /// A lane mask: all bits set (true) or clear (false) per lane.
    #[derive(Clone, Copy)]
    #[repr(transparent)]
    pub struct M4(v128);

    impl F4 {
        /// All lanes `v`.
        #[inline(always)]
        pub fn splat(v: f32) -> F4 {
            F4(f32x4_splat(v))
        }

        /// Lanes from an array, lane 0 first.
        #[inline(always)]
        pub fn from_array(a: [f32; 4]) -> F4 {
            F4(f32x4(a[0], a[1], a[2], a[3]))
        }

        /// The lanes as an array, lane 0 first.
        #[inline(always)]
        pub fn to_array(self) -> [f32; 4] {
            [
                f32x4_extract_lane::<0>(self.0),
                f32x4_extract_lane::<1>(self.0),
                f32x4_extract_lane::<2>(self.0),
                f32x4_extract_lane::<3>(self.0),
            ]
        }

        /// Lane `k` (0.0 for `k` ≥ 4).
        #[inline(always)]
        pub fn lane(self, k: usize) -> f32 {
            match k {
                0 => f32x4_extract_lane::<0>(self.0),
                1 => f32x4_extract_lane::<1>(self.0),
                2 => f32x4_extract_lane::<2>(self.0),
                3 => f32x4_extract_lane::<3>(self.0),
                _ => 0.0,
            }
        }

        /// A copy with lane `k` replaced by `v` (unchanged for `k` ≥ 4).
        #[inline(always)]
        pub fn with_lane(self, k: usize, v: f32) -> F4 {
            F4(match k {
                0 => f32x4_replace_lane::<0>(self.0, v),
                1 => f32x4_replace_lane::<1>(self.0, v),
                2 => f32x4_replace_lane::<2>(self.0, v),
                3 => f32x4_replace_lane::<3>(self.0, v),
                _ => self.0,
            })
        }

        #[inline(always)]
        pub(super) fn add(self, o: F4) -> F4 {
            F4(f32x4_add(self.0, o.0))
        }

        #[inline(always)]
        pub(super) fn sub(self, o: F4) -> F4 {
            F4(f32x4_sub(self.0, o.0))
        }

        #[inline(always)]
        pub(super) fn mul(self, o: F4) -> F4 {
            F4(f32x4_mul(self.0, o.0))
        }

        #[inline(always)]
        pub(super) fn div(self, o: F4) -> F4 {
            F4(f32x4_div(self.0, o.0))
        }

        /// Magnitude (sign bit cleared).
        #[inline(always)]
        pub fn abs(self) -> F4 {
            F4(f32x4_abs(self.0))
        }

        /// Pseudo-maximum: per lane `self < o ? o : self`.
        #[inline(always)]
        pub fn max(self, o: F4) -> F4 {
            F4(f32x4_pmax(self.0, o.0))
        }

        /// Pseudo-minimum: per lane `o < self ? o : self`.
        #[inline(always)]
        pub fn min(self, o: F4) -> F4 {
            F4(f32x4_pmin(self.0, o.0))
        }

        /// Round towards −∞ (exact).
        #[inline(always)]
        pub fn floor(self) -> F4 {
            F4(f32x4_floor(self.0))
        }

        /// Per lane `self < o`.
        #[inline(always)]
        pub fn lt(self, o: F4) -> M4 {
            M4(f32x4_lt(self.0, o.0))
        }

        /// Per lane `self > o`.
        #[inline(always)]
        pub fn gt(self, o: F4) -> M4 {
            M4(f32x4_gt(self.0, o.0))
        }

        /// Per lane `self >= o`.
        #[inline(always)]
        pub fn ge(self, o: F4) -> M4 {
            M4(f32x4_ge(self.0, o.0))
        }

        /// Per lane `self <= o`.
        #[inline(always)]
        pub fn le(self, o: F4) -> M4 {
            M4(f32x4_le(self.0, o.0))
        }

        /// Per lane `self == o` (IEEE: `0.0 == -0.0`, NaN never equal).
        #[inline(always)]
        pub fn eq(self, o: F4) -> M4 {
            M4(f32x4_eq(self.0, o.0))
        }

        /// Per lane: `a` where `m` is set, else `b`.
        #[inline(always)]
        pub fn select(m: M4, a: F4, b: F4) -> F4 {
            F4(v128_bitselect(a.0, b.0, m.0))
        }

        /// Per lane: `self` where `m` is set, else `+0.0`.
        #[inline(always)]
        pub fn keep(self, m: M4) -> F4 {
            F4(v128_and(self.0, m.0))
        }

        /// The bit patterns of the lanes.
        #[inline(always)]
        pub fn to_bits(self) -> I4 {
            I4(self.0)
        }

        /// Lanes with the given bit patterns.
        #[inline(always)]
        pub fn from_bits(b: I4) -> F4 {
            F4(b.0)
        }

        /// Convert integral lanes in `[-2^22, 2^22)` to i32 (exact).
        #[inline(always)]
        pub fn to_int_exact(self) -> I4 {
            I4(i32x4_trunc_sat_f32x4(self.0))
        }
    }

    impl I4 {
        /// All lanes `v`.
        #[inline(always)]
        pub fn splat(v: i32) -> I4 {
            I4(i32x4_splat(v))
        }

        /// Wrapping lane-wise addition.
        #[inline(always)]
        pub fn wrapping_add(self, o: I4) -> I4 {
            I4(i32x4_add(self.0, o.0))
        }

        /// Wrapping lane-wise subtraction.
        #[inline(always)]
        pub fn wrapping_sub(self, o: I4) -> I4 {
            I4(i32x4_sub(self.0, o.0))
        }

        /// Bitwise and.
        #[inline(always)]
        pub fn and(self, o: I4) -> I4 {
            I4(v128_and(self.0, o.0))
        }

        /// Per lane `self < o` as unsigned integers.
        #[inline(always)]
        pub fn lt_u(self, o: I4) -> M4 {
            M4(u32x4_lt(self.0, o.0))
        }

        /// Bitwise or.
        #[inline(always)]
        pub fn or(self, o: I4) -> I4 {
            I4(v128_or(self.0, o.0))
        }

        /// Logical shift right by `n` (< 32).
        #[inline(always)]
        pub fn shr_logical(self, n: u32) -> I4 {
            I4(u32x4_shr(self.0, n))
        }

        /// Shift left by `n` (< 32).
        #[inline(always)]
        pub fn shl_logical(self, n: u32) -> I4 {
            I4(i32x4_shl(self.0, n))
        }

        /// Convert to f32 (exact for magnitudes up to 2^24).
        #[inline(always)]
        pub fn to_f32(self) -> F4 {
            F4(f32x4_convert_i32x4(self.0))
        }

        /// The lanes as an array, lane 0 first.
        #[inline(always)]
        pub fn to_array(self) -> [i32; 4] {
            [
                i32x4_extract_lane::<0>(self.0),
                i32x4_extract_lane::<1>(self.0),
                i32x4_extract_lane::<2>(self.0),
                i32x4_extract_lane::<3>(self.0),
            ]
        }
    }

    impl M4 {
        /// A mask from booleans, lane 0 first.
        #[inline(always)]
        pub fn from_bools(b: [bool; 4]) -> M4 {
            let m = |v: bool| if v { -1 } else { 0 };
            M4(i32x4(m(b[0]), m(b[1]), m(b[2]), m(b[3])))
        }

        /// Lanes set in both.
        #[inline(always)]
        pub fn and(self, o: M4) -> M4 {
            M4(v128_and(self.0, o.0))
        }

        /// Lanes set in `self` but not in `o`.
        #[inline(always)]
        pub fn and_not(self, o: M4) -> M4 {
            M4(v128_andnot(self.0, o.0))
        }

        /// Lanes set in either.
        #[inline(always)]
        pub fn or(self, o: M4) -> M4 {
            M4(v128_or(self.0, o.0))
        }

        /// True if any lane is set.
        #[inline(always)]
        pub fn any(self) -> bool {
            v128_any_true(self.0)
        }

        /// True if every lane is set.
        #[inline(always)]
        pub fn all(self) -> bool {
            i32x4_all_true(self.0)
        }

        /// The mask as integers: −1 where set, 0 elsewhere.
        #[inline(always)]
        pub fn to_int(self) -> I4 {
            I4(self.0)
        }

        /// Lane `k` (false for `k` ≥ 4).
        #[inline(always)]
        pub fn lane(self, k: usize) -> bool {
            match k {
                0 => i32x4_extract_lane::<0>(self.0) != 0,
                1 => i32x4_extract_lane::<1>(self.0) != 0,
                2 => i32x4_extract_lane::<2>(self.0) != 0,
                3 => i32x4_extract_lane::<3>(self.0) != 0,
                _ => false,
            }
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    /// Four f32 lanes, computed lane by lane.
    #[derive(Clone, Copy)]
    #[repr(C, align(16))]
    pub struct F4([f32; 4]);

    /// Four i32 lanes.
    #[derive(Clone, Copy)]
    #[repr(C, align(16))]
    pub struct I4([i32; 4]);

    /// A lane mask: all bits set (true) or clear (false) per lane.
    #[derive(Clone, Copy)]
    #[repr(C, align(16))]
    pub struct M4([i32; 4]);

    #[inline(always)]
    fn map(a: [f32; 4], f: impl Fn(f32) -> f32) -> [f32; 4] {
        [f(a[0]), f(a[1]), f(a[2]), f(a[3])]
    }

    #[inline(always)]
    fn zip(a: [f32; 4], b: [f32; 4], f: impl Fn(f32, f32) -> f32) -> [f32; 4] {
        [f(a[0], b[0]), f(a[1], b[1]), f(a[2], b[2]), f(a[3], b[3])]
    }

    /// All bits set for `true`. (Written as a branch, not `-(b as i32)`:
    /// LLVM then keeps the comparison a single `cmpps`.)
    #[inline(always)]
    fn mask(b: bool) -> i32 {
        if b {
            -1
        } else {
            0
        }
    }

    #[inline(always)]
    fn cmp(a: [f32; 4], b: [f32; 4], f: impl Fn(f32, f32) -> bool) -> M4 {
        M4([
            mask(f(a[0], b[0])),
            mask(f(a[1], b[1])),
            mask(f(a[2], b[2])),
            mask(f(a[3], b[3])),
        ])
    }

    #[inline(always)]
    fn izip(a: [i32; 4], b: [i32; 4], f: impl Fn(i32, i32) -> i32) -> [i32; 4] {
        [f(a[0], b[0]), f(a[1], b[1]), f(a[2], b[2]), f(a[3], b[3])]
    }

    /// 1.5·2^23: adding and subtracting it rounds an f32 of magnitude below
    /// 2^22 to the nearest integer (ties to even), exactly.
    const ROUND_MAGIC: f32 = 12_582_912.0;

    impl F4 {
        /// All lanes `v`.
        #[inline(always)]
        pub fn splat(v: f32) -> F4 {
            F4([v; 4])
        }

        /// Lanes from an array, lane 0 first.
        #[inline(always)]
        pub fn from_array(a: [f32; 4]) -> F4 {
            F4(a)
        }

        /// The lanes as an array, lane 0 first.
        #[inline(always)]
        pub fn to_array(self) -> [f32; 4] {
            self.0
        }

        /// Lane `k` (0.0 for `k` ≥ 4).
        #[inline(always)]
        pub fn lane(self, k: usize) -> f32 {
            self.0.get(k).copied().unwrap_or(0.0)
        }

        /// A copy with lane `k` replaced by `v` (unchanged for `k` ≥ 4).
        #[inline(always)]
        pub fn with_lane(mut self, k: usize, v: f32) -> F4 {
            if let Some(x) = self.0.get_mut(k) {
                *x = v;
            }
            self
        }

        #[inline(always)]
        pub(super) fn add(self, o: F4) -> F4 {
            F4(zip(self.0, o.0, |a, b| a + b))
        }

        #[inline(always)]
        pub(super) fn sub(self, o: F4) -> F4 {
            F4(zip(self.0, o.0, |a, b| a - b))
        }

        #[inline(always)]
        pub(super) fn mul(self, o: F4) -> F4 {
            F4(zip(self.0, o.0, |a, b| a * b))
        }

        #[inline(always)]
        pub(super) fn div(self, o: F4) -> F4 {
            F4(zip(self.0, o.0, |a, b| a / b))
        }

        /// Magnitude (sign bit cleared).
        #[inline(always)]
        pub fn abs(self) -> F4 {
            F4(map(self.0, f32::abs))
        }

        /// Pseudo-maximum: per lane `self < o ? o : self`.
        #[inline(always)]
        pub fn max(self, o: F4) -> F4 {
            F4(zip(self.0, o.0, |a, b| if a < b { b } else { a }))
        }

        /// Pseudo-minimum: per lane `o < self ? o : self`.
        #[inline(always)]
        pub fn min(self, o: F4) -> F4 {
            F4(zip(self.0, o.0, |a, b| if b < a { b } else { a }))
        }

        /// Round towards −∞; exact for magnitudes below 2^22 (the only use:
        /// the argument of `exp2`, within ±127). Returns `+0.0` for `-0.0`.
        #[inline(always)]
        pub fn floor(self) -> F4 {
            F4(map(self.0, |x| {
                let r = (x + ROUND_MAGIC) - ROUND_MAGIC;
                if r > x {
                    r - 1.0
                } else {
                    r
                }
            }))
        }

        /// Per lane `self < o`.
        #[inline(always)]
        pub fn lt(self, o: F4) -> M4 {
            cmp(self.0, o.0, |a, b| a < b)
        }

        /// Per lane `self > o`.
        #[inline(always)]
        pub fn gt(self, o: F4) -> M4 {
            cmp(self.0, o.0, |a, b| a > b)
        }

        /// Per lane `self >= o`.
        #[inline(always)]
        pub fn ge(self, o: F4) -> M4 {
            cmp(self.0, o.0, |a, b| a >= b)
        }

        /// Per lane `self <= o`.
        #[inline(always)]
        pub fn le(self, o: F4) -> M4 {
            cmp(self.0, o.0, |a, b| a <= b)
        }

        /// Per lane `self == o` (IEEE: `0.0 == -0.0`, NaN never equal).
        #[inline(always)]
        #[allow(clippy::float_cmp)]
        pub fn eq(self, o: F4) -> M4 {
            cmp(self.0, o.0, |a, b| a == b)
        }

        /// Per lane: `a` where `m` is set, else `b`.
        #[inline(always)]
        pub fn select(m: M4, a: F4, b: F4) -> F4 {
            let (a, b) = (a.to_bits().0, b.to_bits().0);
            F4::from_bits(I4(izip(
                izip(a, m.0, |x, y| x & y),
                izip(b, m.0, |x, y| x & !y),
                |x, y| x | y,
            )))
        }

        /// Per lane: `self` where `m` is set, else `+0.0`.
        #[inline(always)]
        pub fn keep(self, m: M4) -> F4 {
            F4::from_bits(I4(izip(self.to_bits().0, m.0, |x, y| x & y)))
        }

        /// The bit patterns of the lanes.
        #[inline(always)]
        pub fn to_bits(self) -> I4 {
            let b = |x: f32| x.to_bits() as i32;
            I4([b(self.0[0]), b(self.0[1]), b(self.0[2]), b(self.0[3])])
        }

        /// Lanes with the given bit patterns.
        #[inline(always)]
        pub fn from_bits(b: I4) -> F4 {
            let f = |x: i32| f32::from_bits(x as u32);
            F4([f(b.0[0]), f(b.0[1]), f(b.0[2]), f(b.0[3])])
        }

        /// Convert integral lanes in `[-2^22, 2^22)` to i32 (exact): the
        /// bits of `x + 1.5·2^23` are `0x4B40_0000 + x`.
        #[inline(always)]
        pub fn to_int_exact(self) -> I4 {
            let biased = F4(map(self.0, |x| x + ROUND_MAGIC)).to_bits();
            biased.wrapping_sub(I4::splat(0x4B40_0000))
        }
    }

    impl I4 {
        /// All lanes `v`.
        #[inline(always)]
        pub fn splat(v: i32) -> I4 {
            I4([v; 4])
        }

        /// Wrapping lane-wise addition.
        #[inline(always)]
        pub fn wrapping_add(self, o: I4) -> I4 {
            I4(izip(self.0, o.0, i32::wrapping_add))
        }

        /// Wrapping lane-wise subtraction.
        #[inline(always)]
        pub fn wrapping_sub(self, o: I4) -> I4 {
            I4(izip(self.0, o.0, i32::wrapping_sub))
        }

        /// Bitwise and.
        #[inline(always)]
        pub fn and(self, o: I4) -> I4 {
            I4(izip(self.0, o.0, |a, b| a & b))
        }

        /// Per lane `self < o` as unsigned integers.
        #[inline(always)]
        pub fn lt_u(self, o: I4) -> M4 {
            let (a, b) = (self.0, o.0);
            let f = |x: i32, y: i32| mask((x as u32) < (y as u32));
            M4([f(a[0], b[0]), f(a[1], b[1]), f(a[2], b[2]), f(a[3], b[3])])
        }

        /// Bitwise or.
        #[inline(always)]
        pub fn or(self, o: I4) -> I4 {
            I4(izip(self.0, o.0, |a, b| a | b))
        }

        /// Logical shift right by `n` (< 32).
        #[inline(always)]
        pub fn shr_logical(self, n: u32) -> I4 {
            let s = |x: i32| ((x as u32) >> (n & 31)) as i32;
            I4([s(self.0[0]), s(self.0[1]), s(self.0[2]), s(self.0[3])])
        }

        /// Shift left by `n` (< 32).
        #[inline(always)]
        pub fn shl_logical(self, n: u32) -> I4 {
            let s = |x: i32| x << (n & 31);
            I4([s(self.0[0]), s(self.0[1]), s(self.0[2]), s(self.0[3])])
        }

        /// Convert to f32 (exact for magnitudes up to 2^24).
        #[inline(always)]
        pub fn to_f32(self) -> F4 {
            F4([
                self.0[0] as f32,
                self.0[1] as f32,
                self.0[2] as f32,
                self.0[3] as f32,
            ])
        }

        /// The lanes as an array, lane 0 first.
        #[inline(always)]
        pub fn to_array(self) -> [i32; 4] {
            self.0
        }
    }

    impl M4 {
        /// A mask from booleans, lane 0 first.
        #[inline(always)]
        pub fn from_bools(b: [bool; 4]) -> M4 {
            M4([mask(b[0]), mask(b[1]), mask(b[2]), mask(b[3])])
        }

        /// Lanes set in both.
        #[inline(always)]
        pub fn and(self, o: M4) -> M4 {
            M4(izip(self.0, o.0, |a, b| a & b))
        }

        /// Lanes set in `self` but not in `o`.
        #[inline(always)]
        pub fn and_not(self, o: M4) -> M4 {
            M4(izip(self.0, o.0, |a, b| a & !b))
        }

        /// Lanes set in either.
        #[inline(always)]
        pub fn or(self, o: M4) -> M4 {
            M4(izip(self.0, o.0, |a, b| a | b))
        }

        /// True if any lane is set.
        #[inline(always)]
        pub fn any(self) -> bool {
            (self.0[0] | self.0[1] | self.0[2] | self.0[3]) != 0
        }

        /// True if every lane is set.
        #[inline(always)]
        pub fn all(self) -> bool {
            (self.0[0] & self.0[1] & self.0[2] & self.0[3]) != 0
        }

        /// The mask as integers: −1 where set, 0 elsewhere.
        #[inline(always)]
        pub fn to_int(self) -> I4 {
            I4(self.0)
        }

        /// Lane `k` (false for `k` ≥ 4).
        #[inline(always)]
        pub fn lane(self, k: usize) -> bool {
            self.0.get(k).map_or(false, |v| *v != 0)
        }
    }
}

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
        // Non-negative floats order like their bit patterns, so
        // `T ≤ |x| ≤ MAX` (false for NaN) is one unsigned comparison:
        // `bits(|x|) − bits(T) < bits(∞) − bits(T)`.
        let t = FLUSH_THRESHOLD.to_bits() as i32;
        let inf = f32::INFINITY.to_bits() as i32;
        let magnitude = self.to_bits().and(I4::splat(0x7fff_ffff));
        self.keep(
            magnitude
                .wrapping_sub(I4::splat(t))
                .lt_u(I4::splat(inf - t)),
        )
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
        let min = F4::splat(f32::MIN_POSITIVE);
        let x = F4::select(self.ge(min), self, min);
        let bits = x.to_bits();
        let biased = bits.shr_logical(23).and(I4::splat(0xff));
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
        let x = F4::select(self.gt(hi), hi, F4::select(self.ge(lo), self, lo));
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
        let scale = F4::from_bits(
            xi.to_int_exact()
                .wrapping_add(I4::splat(127))
                .shl_logical(23),
        );
        p * scale
    }
}

/// Copy four planar channels into lanes: frame `i` of `tracks[k]` becomes
/// lane `k` of `out[i]`. A `None` track, or a track shorter than `out`,
/// contributes `0.0`.
pub fn interleave(tracks: [Option<&[f32]>; LANES], out: &mut [F4]) {
    let get = |t: Option<&[f32]>, i: usize| t.and_then(|s| s.get(i)).copied().unwrap_or(0.0);
    for (i, v) in out.iter_mut().enumerate() {
        *v = F4::from_array([
            get(tracks[0], i),
            get(tracks[1], i),
            get(tracks[2], i),
            get(tracks[3], i),
        ]);
    }
}

/// Copy lane `lane` of `src` into `out` (as many frames as both hold).
pub fn deinterleave(src: &[F4], lane: usize, out: &mut [f32]) {
    for (o, v) in out.iter_mut().zip(src) {
        *o = v.lane(lane);
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
