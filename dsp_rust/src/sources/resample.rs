//! Band-limited resampling for the sampler: a Kaiser-windowed sinc read
//! from a finely sampled table, and the per-octave pyramid of half-band
//! decimated copies each sample gets when it is loaded.
//!
//! Prototype kernel: `h(t) = sinc(t) · kaiser(t / Z)` with
//! `sinc(t) = sin(πt)/(πt)` (cut-off at half the sample rate),
//! `Z = `[`ZERO_CROSSINGS`] and the Kaiser window of `β = `[`KAISER_BETA`].
//! Its transition band runs from 0.4535 to 0.5465 of the sample rate
//! (20 kHz and 24.1 kHz at 44.1 kHz); beyond it the response stays below
//! −100 dB, inside it the ripple is below 0.001 dB.
//!
//! Playback at rate `r` (frames of the sample per output frame): level `k`
//! of the pyramid is the sample low-passed and decimated by `2^k`; a voice
//! reads level `k = max(0, ⌊log2 r⌋)`, where its rate `r_k = r/2^k` is below
//! 2. At `r_k ≤ 1` (pitch down, level 0 only) the kernel is the prototype:
//! images of content below 0.4535 of the sample rate land above 0.5465 and
//! are suppressed. At `1 < r_k < 2` it is stretched by `s = r_k`
//! (`h(t/s)/s`), moving its transition band to 0.4535..0.5465 of the OUTPUT
//! rate, so content that would fold below 0.4535 of the output rate is
//! suppressed before it folds. The cost per output frame and channel is
//! `2·⌈Z·s⌉` taps rounded up to a multiple of 4 (for the four lanes the
//! sums run in): 72 at `s = 1`, at most 144 in all.
//!
//! The pyramid's half-band filter (`h[n] = sinc(n/2)/2 · kaiser(n/N)`,
//! `N = `[`HALFBAND_REACH`], 73 taps not zero) passes 0..0.2267 and stops
//! 0.2733..0.5 of the finer level's rate below −100 dB: everything a level
//! holds below 0.4535 of its own rate is clean, and what folds into
//! 0.4535..0.5465 lands where a reading voice's kernel maps it above 0.4535
//! of the output rate. Levels are built until one holds a single frame; they
//! add at most `n + 25` frames per channel to a sample of `n` frames.
//!
//! Table: `h` at [`TABLE_STEPS`] points per unit of `t`, in f32, with the
//! difference to the next point, so a tap at table position `p` (16.16 fixed
//! point) is `h[m] + d[m]·w` with `m = p >> 16`, `w = (p & 0xffff)/2^16`
//! (linear interpolation, error below −116 dB of the peak). Every value of
//! the table and of the half-band taps is computed in f64 with additions,
//! multiplications, divisions, square roots and [`sin_f64`] only, so every
//! runtime builds the same bits.

use crate::math::sin_f64;
use crate::simd::F4;

/// Zero crossings of the prototype kernel on each side of its centre.
pub const ZERO_CROSSINGS: usize = 36;
/// Table points per unit of the prototype's time (per zero crossing).
pub const TABLE_STEPS: usize = 512;
/// Kaiser window shape of the interpolation kernel and the half-band filter.
pub const KAISER_BETA: f64 = 10.5;
/// Half-length of the half-band filter, in frames of the finer level.
pub const HALFBAND_REACH: usize = 72;
/// Most taps a voice reads per output frame and channel (`4·Z`).
pub const MAX_TAPS: usize = 4 * ZERO_CROSSINGS;
/// Most pyramid levels a sample has, the original included (2^24 frames
/// halve to one frame in 24 steps).
pub const MAX_LEVELS: usize = 25;
/// Table index of `t = 0`: two units of zeros pad each end, so that the
/// first and last taps of a stretched kernel stay inside the table (they
/// reach less than `(Z·s + 2)/s ≤ Z + 2` units from the centre: `⌈Z·s⌉`
/// rounded up to an even count of taps on each side).
const TABLE_CENTER: usize = (ZERO_CROSSINGS + 2) * TABLE_STEPS;
/// Table entries: a power of two above `2·TABLE_CENTER`, so that any 16-bit
/// index is inside it.
const TABLE_SIZE: usize = 1 << 16;
/// Fraction bits of the table position.
const POS_BITS: u32 = 16;
/// One prototype time unit in table-position units (`L·2^16`).
const UNIT: f64 = (TABLE_STEPS << POS_BITS) as f64;

/// `I0(x)`, the modified Bessel function of the first kind of order 0, by
/// its power series `Σ ((x/2)^k / k!)²` to `k = 50` (converged to f64
/// precision for `x ≤ 12`).
pub fn bessel_i0(x: f64) -> f64 {
    let half = 0.5 * x;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut k = 1.0;
    while k <= 50.0 {
        term = term * half / k;
        sum += term * term;
        k += 1.0;
    }
    sum
}

/// The Kaiser window of shape [`KAISER_BETA`] at `x` in `[-1, 1]`
/// (`I0(β·√(1 − x²)) / I0(β)`), 0 outside.
pub fn kaiser(x: f64) -> f64 {
    if !(x > -1.0 && x < 1.0) {
        return 0.0;
    }
    bessel_i0(KAISER_BETA * (1.0 - x * x).sqrt()) / bessel_i0(KAISER_BETA)
}

/// `sin(πt)`, reduced to `sin_f64` on `[0, π/2]` (exact reduction for the
/// table's positions, multiples of 2^-9).
pub fn sin_pi(t: f64) -> f64 {
    let n = t.floor();
    let u = t - n;
    let v = if u > 0.5 { 1.0 - u } else { u };
    let s = sin_f64(core::f64::consts::PI * v);
    if n % 2.0 == 0.0 {
        s
    } else {
        -s
    }
}

/// The prototype kernel `sinc(t) · kaiser(t/Z)`.
pub fn kernel_value(t: f64) -> f64 {
    let x = t / ZERO_CROSSINGS as f64;
    if t == 0.0 {
        return 1.0;
    }
    sin_pi(t) / (core::f64::consts::PI * t) * kaiser(x)
}

/// Taps of the half-band filter at odd offsets `n = 1, 3, …, N − 1`
/// (`sinc(n/2)/2 · kaiser(n/N)`; the centre tap is 1/2, the even ones 0).
pub fn halfband_taps() -> [f64; HALFBAND_REACH / 2] {
    let mut taps = [0.0; HALFBAND_REACH / 2];
    for (k, c) in taps.iter_mut().enumerate() {
        let n = (2 * k + 1) as f64;
        *c = sin_pi(0.5 * n) / (core::f64::consts::PI * n) * kaiser(n / HALFBAND_REACH as f64);
    }
    taps
}

/// Frames of pyramid level `k` of an `n`-frame sample (`⌈n/2^k⌉`).
pub fn level_frames(n: usize, k: usize) -> usize {
    if k >= usize::BITS as usize {
        return 1;
    }
    (n + (1 << k) - 1) >> k
}

/// Levels of an `n`-frame sample's pyramid, the original included: halving
/// stops at a single frame.
pub fn level_count(n: usize) -> usize {
    let mut k = 1;
    while k < MAX_LEVELS && level_frames(n, k - 1) > 1 {
        k += 1;
    }
    k
}

/// One octave down: `dst[m] = ½·src[2m] + Σ c_k·(src[2m−n] + src[2m+n])`
/// over the odd `n` of [`halfband_taps`] in ascending order, summed in f64
/// and rounded once to f32 (frames outside `src` are 0). `dst` should hold
/// `⌈src.len()/2⌉` frames.
pub fn decimate(src: &[f32], dst: &mut [f32], taps: &[f64; HALFBAND_REACH / 2]) {
    let n = src.len() as isize;
    let at = |i: isize| -> f64 {
        if i >= 0 && i < n {
            src[i as usize] as f64
        } else {
            0.0
        }
    };
    for (m, y) in dst.iter_mut().enumerate() {
        let c = 2 * m as isize;
        let mut acc = 0.5 * at(c);
        let reach = HALFBAND_REACH as isize;
        if c - reach >= 0 && c + reach < n {
            let (lo, hi) = (
                &src[(c - reach + 1) as usize..=c as usize],
                &src[c as usize..],
            );
            for (k, tap) in taps.iter().enumerate() {
                let off = 2 * k + 1;
                acc += tap * (lo[lo.len() - 1 - off] as f64 + hi[off] as f64);
            }
        } else {
            for (k, tap) in taps.iter().enumerate() {
                let off = (2 * k + 1) as isize;
                acc += tap * (at(c - off) + at(c + off));
            }
        }
        *y = acc as f32;
    }
}

/// The interpolation kernel's table: `[h, d]` pairs, `h` the prototype at
/// `t = (index − centre)/L` and `d` the step to the next entry (a stretched
/// kernel's taps lie far apart in it: the pair shares one cache line).
pub struct Kernel {
    table: Box<[[f32; 2]; TABLE_SIZE]>,
    /// The same entries for the unstretched kernel, phase by phase and in
    /// two planes (`h`, `d`): row `ph` holds entries `BASE + ph + j·L`,
    /// `j = 0..2Z`, the taps of one output frame side by side (the table
    /// proper puts them `L` entries apart, a stride that thrashes the cache
    /// and rules out vector loads).
    row_val: Box<[f32]>,
    row_dif: Box<[f32]>,
}

/// Table index of the first tap's entry at phase 0 of the unstretched kernel.
const ROWS_BASE: usize = TABLE_CENTER - ZERO_CROSSINGS * TABLE_STEPS;
/// Taps of the unstretched kernel.
const ROW_TAPS: usize = 2 * ZERO_CROSSINGS;
/// Phases of the unstretched kernel's rows (`L + 1`: both ends included).
const ROW_PHASES: usize = TABLE_STEPS + 1;

impl core::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Kernel")
    }
}

/// A zeroed plane of `n` f32, or `None` when the allocator cannot provide it.
fn plane(n: usize) -> Option<Vec<f32>> {
    let mut v: Vec<f32> = Vec::new();
    v.try_reserve_exact(n).ok()?;
    v.resize(n, 0.0);
    Some(v)
}

impl Kernel {
    /// Build the table (512 KiB) and its phase-major copy for the
    /// unstretched kernel (two planes of 144 KiB); `None` when the allocator
    /// cannot provide them.
    pub fn new() -> Option<Kernel> {
        let mut val = plane(TABLE_SIZE)?;
        let mut dif = plane(TABLE_SIZE)?;
        let mut table: Vec<[f32; 2]> = Vec::new();
        table.try_reserve_exact(TABLE_SIZE).ok()?;
        let last = 2 * TABLE_CENTER;
        for m in 0..=last {
            let t = (m as f64 - TABLE_CENTER as f64) / TABLE_STEPS as f64;
            if let Some(e) = val.get_mut(m) {
                *e = kernel_value(t) as f32;
            }
        }
        for m in 0..last {
            dif[m] = val[m + 1] - val[m];
        }
        let mut row_val = plane(ROW_PHASES * ROW_TAPS)?;
        let mut row_dif = plane(ROW_PHASES * ROW_TAPS)?;
        for ph in 0..ROW_PHASES {
            for j in 0..ROW_TAPS {
                let m = ROWS_BASE + ph + j * TABLE_STEPS;
                row_val[ph * ROW_TAPS + j] = val.get(m).copied().unwrap_or(0.0);
                row_dif[ph * ROW_TAPS + j] = dif.get(m).copied().unwrap_or(0.0);
            }
        }
        table.extend(val.iter().zip(&dif).map(|(v, d)| [*v, *d]));
        let table: Box<[[f32; 2]; TABLE_SIZE]> = table.into_boxed_slice().try_into().ok()?;
        Some(Kernel {
            table,
            row_val: row_val.into_boxed_slice(),
            row_dif: row_dif.into_boxed_slice(),
        })
    }

    /// The phase-major rows (values, steps) of the unstretched taps starting
    /// at table position `p` (16.16), if `p` lies on one.
    #[inline(always)]
    fn row(&self, p: u32) -> Option<(&[f32], &[f32])> {
        let ph = ((p >> POS_BITS) as usize).checked_sub(ROWS_BASE)?;
        let range = ph * ROW_TAPS..(ph + 1) * ROW_TAPS;
        Some((self.row_val.get(range.clone())?, self.row_dif.get(range)?))
    }

    /// Entry `m` of the table (`[h, d]`, `h` at `t = (m − centre)/L`), for
    /// tests.
    pub fn entry(&self, m: usize) -> [f32; 2] {
        self.table[m & (TABLE_SIZE - 1)]
    }

    /// Coefficients of the four taps at table positions `p + k·step`,
    /// `k = 0..4`: `h[m] + d[m]·w` per lane, `m` and `w` the integer and
    /// fractional parts of the position.
    #[inline(always)]
    fn coefficients(&self, p: u32, step: u32) -> F4 {
        let mut v = [0.0f32; 4];
        let mut d = [0.0f32; 4];
        let mut w = [0.0f32; 4];
        let mut q = p;
        for k in 0..4 {
            let e = self.table[(q >> POS_BITS) as usize & (TABLE_SIZE - 1)];
            v[k] = e[0];
            d[k] = e[1];
            w[k] = (q & 0xffff) as f32 * (1.0 / 65_536.0);
            q = q.wrapping_add(step);
        }
        F4::from_array(v) + F4::from_array(d) * F4::from_array(w)
    }
}

/// How a voice at a given increment reads the pyramid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    /// Pyramid level.
    pub level: usize,
    /// Table-position step per tap (16.16), `L·2^16 / max(1, r_k)`.
    pub step: u32,
    /// Taps per output frame (`2·⌈Z·L·2^16/step⌉` rounded up to a multiple
    /// of 4).
    pub taps: usize,
    /// Gain making the stretched kernel's taps sum to 1: `step / (L·2^16)`.
    pub scale: f32,
}

/// The plan for read-position increment `inc` (32.32 fixed point, level-0
/// frames per output frame).
pub fn plan(inc: u64) -> Plan {
    let mut level = 0;
    while level + 1 < MAX_LEVELS && inc >= 1u64 << (33 + level) {
        level += 1;
    }
    let one = (1u64 << (32 + level)) as f64;
    let step = if inc as f64 <= one {
        UNIT
    } else {
        (UNIT * one / inc as f64).floor()
    };
    let step_int = step as u32;
    let reach = ZERO_CROSSINGS as u64 * UNIT as u64;
    let half = (reach + step_int as u64 - 1) / step_int as u64;
    // Even, so that the taps fill whole groups of four lanes: an added tap
    // at each end lies at or beyond the edge of the kernel's support.
    let half = (half + 1) & !1;
    Plan {
        level,
        step: step_int,
        taps: 2 * half as usize,
        scale: (step / UNIT) as f32,
    }
}

/// Table position (16.16) of the first tap of a frame read at fraction
/// `frac` (32 bits) with `plan`: `centre + (1 − taps/2 − frac)·step`.
#[inline(always)]
pub fn first_position(plan: &Plan, frac: u32) -> u32 {
    let j0 = 1.0 - (plan.taps / 2) as f64;
    let f = frac as f64 * (1.0 / 4_294_967_296.0);
    let p = (TABLE_CENTER << POS_BITS) as f64 + (j0 - f) * plan.step as f64;
    p.floor() as u32
}

/// Four f32 lanes from `x[0..4]`.
#[inline(always)]
fn load(x: &[f32]) -> F4 {
    F4::from_array([x[0], x[1], x[2], x[3]])
}

/// The lanes' total in a fixed order, `(l0 + l1) + (l2 + l3)`.
#[inline(always)]
fn total(a: F4) -> f32 {
    let a = a.to_array();
    (a[0] + a[1]) + (a[2] + a[3])
}

/// Lane sums of `x[j]·c_j` and `y[j]·c_j` (`y` read only when `STEREO`):
/// lane `l` adds taps `j = 4i + l` in ascending `i`, `c_j` the table entry
/// at position `p + j·step`.
#[inline(always)]
fn lanes<const STEREO: bool>(kernel: &Kernel, x: &[f32], y: &[f32], p: u32, step: u32) -> (F4, F4) {
    let (mut al, mut ar) = (F4::splat(0.0), F4::splat(0.0));
    if step as f64 == UNIT && x.len() == ROW_TAPS {
        if let Some((rv, rd)) = kernel.row(p) {
            let w = F4::splat((p & 0xffff) as f32 * (1.0 / 65_536.0));
            let taps = x.chunks_exact(4).zip(y.chunks_exact(4));
            for ((a, b), (v, d)) in taps.zip(rv.chunks_exact(4).zip(rd.chunks_exact(4))) {
                let c = load(v) + load(d) * w;
                al = al + load(a) * c;
                if STEREO {
                    ar = ar + load(b) * c;
                }
            }
            return (al, ar);
        }
    }
    let step4 = step.wrapping_mul(4);
    let mut p = p;
    for (a, b) in x.chunks_exact(4).zip(y.chunks_exact(4)) {
        let c = kernel.coefficients(p, step);
        al = al + load(a) * c;
        if STEREO {
            ar = ar + load(b) * c;
        }
        p = p.wrapping_add(step4);
    }
    (al, ar)
}

/// `Σ x[j]·c_j` over the window `x` (`plan.taps` frames, a multiple of 4;
/// a remainder is ignored), with `c_j` the table entry at position
/// `p + j·step`: f32 sums of the taps `j ≡ l (mod 4)` in ascending order
/// for each lane `l`, totalled as `(l0 + l1) + (l2 + l3)`.
///
/// Unstretched (`step` = one unit): the taps' entries are one row of the
/// phase-major copy and share the weight `w`; the values and the order of
/// the operations are the same.
#[inline(always)]
pub fn dot(kernel: &Kernel, x: &[f32], p: u32, step: u32) -> f32 {
    total(lanes::<false>(kernel, x, x, p, step).0)
}

/// [`dot`] of two channels sharing the coefficients (over the frames both
/// windows have).
#[inline(always)]
pub fn dot2(kernel: &Kernel, xl: &[f32], xr: &[f32], p: u32, step: u32) -> (f32, f32) {
    let (l, r) = lanes::<true>(kernel, xl, xr, p, step);
    (total(l), total(r))
}

/// The `taps` frames of `x` from index `first` (may be negative), frames
/// outside `x` as 0, copied into `buf`; returns the filled part.
pub fn window<'a>(x: &[f32], first: isize, taps: usize, buf: &'a mut [f32; MAX_TAPS]) -> &'a [f32] {
    let taps = taps.min(MAX_TAPS);
    for (j, b) in buf.iter_mut().take(taps).enumerate() {
        let i = first + j as isize;
        *b = if i >= 0 {
            x.get(i as usize).copied().unwrap_or(0.0)
        } else {
            0.0
        };
    }
    &buf[..taps]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_is_one_at_zero_and_zero_at_other_integers_and_outside() {
        let k = Kernel::new().unwrap();
        assert_eq!(k.entry(TABLE_CENTER)[0], 1.0);
        for j in 1..=ZERO_CROSSINGS + 1 {
            assert!(k.entry(TABLE_CENTER + j * TABLE_STEPS)[0].abs() < 1e-15);
            assert!(k.entry(TABLE_CENTER - j * TABLE_STEPS)[0].abs() < 1e-15);
        }
        assert_eq!(k.entry(0), [0.0, 0.0]);
        assert_eq!(k.entry(2 * TABLE_CENTER), [0.0, 0.0]);
    }

    #[test]
    fn taps_fill_whole_lane_groups_and_stay_inside_the_table() {
        let one = 1u64 << 32;
        let end = ((2 * TABLE_CENTER) << POS_BITS) as u64;
        for k in 0..=4096u64 {
            let inc = one + k * (one / 4096) - (k == 4096) as u64;
            let pl = plan(inc);
            assert_eq!(pl.taps % 4, 0, "inc {inc}");
            assert!(pl.taps <= MAX_TAPS);
            for frac in [0u32, 1 << 31, u32::MAX] {
                let p = first_position(&pl, frac) as u64;
                let last = p + (pl.taps as u64 - 1) * pl.step as u64;
                // The first tap's position is not clamped at 0 and the
                // last one is inside the table's zeros or before them.
                let exact = (TABLE_CENTER << POS_BITS) as f64
                    + (1.0 - (pl.taps / 2) as f64 - frac as f64 / 4_294_967_296.0) * pl.step as f64;
                assert!(exact >= 0.0, "inc {inc} frac {frac}");
                assert!(p > 0 && last < end, "inc {inc} frac {frac}");
            }
        }
    }

    #[test]
    fn bessel_i0_matches_known_values() {
        assert_eq!(bessel_i0(0.0), 1.0);
        assert!((bessel_i0(1.0) - 1.266_065_877_752_008_4).abs() < 1e-15);
        assert!((bessel_i0(10.5) / 4_527.441_714_638_887 - 1.0).abs() < 1e-3);
    }

    #[test]
    fn plans_keep_the_rate_of_the_level_below_two_and_taps_bounded() {
        let one = 1u64 << 32;
        assert_eq!(plan(one).level, 0);
        assert_eq!(plan(one).taps, 2 * ZERO_CROSSINGS);
        assert_eq!(plan(one / 2).step, UNIT as u32);
        assert_eq!(plan(2 * one).level, 1);
        assert_eq!(plan(2 * one).taps, 2 * ZERO_CROSSINGS);
        assert_eq!(plan(2 * one - 1).level, 0);
        assert!(plan(2 * one - 1).taps <= MAX_TAPS);
        assert_eq!(plan(1u64 << 56).level, 24);
    }
}
