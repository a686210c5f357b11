//! [`F4`], [`I4`] and [`M4`] on wasm SIMD: one `v128` each and the
//! `core::arch::wasm32` f32x4/i32x4 instructions.

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

    /// The 4×4 transpose: lane `j` of row `k` becomes lane `k` of row `j`
    /// (exact: only moves bits).
    #[inline(always)]
    pub fn transpose(rows: [F4; 4]) -> [F4; 4] {
        let [a, b, c, d] = rows.map(|r| r.0);
        let t0 = i32x4_shuffle::<0, 4, 1, 5>(a, b);
        let t1 = i32x4_shuffle::<2, 6, 3, 7>(a, b);
        let t2 = i32x4_shuffle::<0, 4, 1, 5>(c, d);
        let t3 = i32x4_shuffle::<2, 6, 3, 7>(c, d);
        [
            F4(i64x2_shuffle::<0, 2>(t0, t2)),
            F4(i64x2_shuffle::<1, 3>(t0, t2)),
            F4(i64x2_shuffle::<0, 2>(t1, t3)),
            F4(i64x2_shuffle::<1, 3>(t1, t3)),
        ]
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

    /// Lane-wise signed maximum.
    #[inline(always)]
    pub fn max_s(self, o: I4) -> I4 {
        I4(i32x4_max(self.0, o.0))
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

/// Four f64 lanes in two wasm `v128` (f64x2 each): lanes 0–1, then 2–3.
#[derive(Clone, Copy)]
pub struct D4(v128, v128);

impl D4 {
    /// All lanes `v`.
    #[inline(always)]
    pub fn splat(v: f64) -> D4 {
        D4(f64x2_splat(v), f64x2_splat(v))
    }

    /// Lanes from an array, lane 0 first.
    #[inline(always)]
    pub fn from_array(a: [f64; 4]) -> D4 {
        D4(f64x2(a[0], a[1]), f64x2(a[2], a[3]))
    }

    /// The lanes as an array, lane 0 first.
    #[inline(always)]
    pub fn to_array(self) -> [f64; 4] {
        [
            f64x2_extract_lane::<0>(self.0),
            f64x2_extract_lane::<1>(self.0),
            f64x2_extract_lane::<0>(self.1),
            f64x2_extract_lane::<1>(self.1),
        ]
    }

    /// Lane `k` (0.0 for `k` ≥ 4).
    #[inline(always)]
    pub fn lane(self, k: usize) -> f64 {
        match k {
            0 => f64x2_extract_lane::<0>(self.0),
            1 => f64x2_extract_lane::<1>(self.0),
            2 => f64x2_extract_lane::<0>(self.1),
            3 => f64x2_extract_lane::<1>(self.1),
            _ => 0.0,
        }
    }

    #[inline(always)]
    pub(super) fn add(self, o: D4) -> D4 {
        D4(f64x2_add(self.0, o.0), f64x2_add(self.1, o.1))
    }

    #[inline(always)]
    pub(super) fn mul(self, o: D4) -> D4 {
        D4(f64x2_mul(self.0, o.0), f64x2_mul(self.1, o.1))
    }

    /// Per lane `lo < self && self < hi` (false for NaN).
    #[inline(always)]
    pub fn inside(self, lo: D4, hi: D4) -> M4 {
        let a = v128_and(f64x2_gt(self.0, lo.0), f64x2_lt(self.0, hi.0));
        let b = v128_and(f64x2_gt(self.1, lo.1), f64x2_lt(self.1, hi.1));
        M4(i32x4_shuffle::<0, 2, 4, 6>(a, b))
    }

    /// Per lane `v × (self as f32)`: each lane rounded to the nearest f32,
    /// times the f32 lane of `v`.
    #[inline(always)]
    pub fn mul_f32(self, v: F4) -> F4 {
        let lo = f32x4_demote_f64x2_zero(self.0);
        let hi = f32x4_demote_f64x2_zero(self.1);
        F4(f32x4_mul(v.0, i32x4_shuffle::<0, 1, 4, 5>(lo, hi)))
    }
}
