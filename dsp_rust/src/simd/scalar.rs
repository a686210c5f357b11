//! [`F4`], [`I4`] and [`M4`] as arrays, computed lane by lane: the scalar
//! wasm build and native hosts (where LLVM turns the loops into SSE).

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

    /// The 4×4 transpose: lane `j` of row `k` becomes lane `k` of row `j`
    /// (exact: only moves bits).
    #[inline(always)]
    pub fn transpose(rows: [F4; 4]) -> [F4; 4] {
        let [a, b, c, d] = rows.map(|r| r.0);
        [
            F4([a[0], b[0], c[0], d[0]]),
            F4([a[1], b[1], c[1], d[1]]),
            F4([a[2], b[2], c[2], d[2]]),
            F4([a[3], b[3], c[3], d[3]]),
        ]
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

    /// Lane-wise signed maximum.
    #[inline(always)]
    pub fn max_s(self, o: I4) -> I4 {
        I4(izip(self.0, o.0, |x, y| x.max(y)))
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

/// Four f64 lanes, computed lane by lane.
#[derive(Clone, Copy)]
#[repr(C, align(16))]
pub struct D4([f64; 4]);

impl D4 {
    /// All lanes `v`.
    #[inline(always)]
    pub fn splat(v: f64) -> D4 {
        D4([v; 4])
    }

    /// Lanes from an array, lane 0 first.
    #[inline(always)]
    pub fn from_array(a: [f64; 4]) -> D4 {
        D4(a)
    }

    /// The lanes as an array, lane 0 first.
    #[inline(always)]
    pub fn to_array(self) -> [f64; 4] {
        self.0
    }

    /// Lane `k` (0.0 for `k` ≥ 4).
    #[inline(always)]
    pub fn lane(self, k: usize) -> f64 {
        self.0.get(k).copied().unwrap_or(0.0)
    }

    #[inline(always)]
    pub(super) fn add(self, o: D4) -> D4 {
        let (a, b) = (self.0, o.0);
        D4([a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]])
    }

    #[inline(always)]
    pub(super) fn mul(self, o: D4) -> D4 {
        let (a, b) = (self.0, o.0);
        D4([a[0] * b[0], a[1] * b[1], a[2] * b[2], a[3] * b[3]])
    }

    /// Per lane `lo < self && self < hi` (false for NaN).
    #[inline(always)]
    pub fn inside(self, lo: D4, hi: D4) -> M4 {
        let (x, l, h) = (self.0, lo.0, hi.0);
        let m = |k: usize| mask(x[k] > l[k] && x[k] < h[k]);
        M4([m(0), m(1), m(2), m(3)])
    }

    /// Per lane `v × (self as f32)`: each lane rounded to the nearest f32,
    /// times the f32 lane of `v`.
    #[inline(always)]
    pub fn mul_f32(self, v: F4) -> F4 {
        let (x, v) = (self.0, v.to_array());
        F4([
            v[0] * x[0] as f32,
            v[1] * x[1] as f32,
            v[2] * x[2] as f32,
            v[3] * x[3] as f32,
        ])
    }
}
