//! Numeric helpers shared by every unit: sanitising, decibels and the fast
//! `log2`/`exp2` pair the compressor runs per sample.
//!
//! WebAssembly has no flush-to-zero mode, so subnormals are flushed in
//! software: [`flush`] maps NaN, ±infinity and anything smaller in magnitude
//! than [`FLUSH_THRESHOLD`] (−400 dBFS) to exactly `0.0`.

/// Magnitudes below this are flushed to zero (−400 dB, far above the f32
/// subnormal range that starts at 1.18e-38).
pub const FLUSH_THRESHOLD: f32 = 1e-20;

/// `x` if it is finite and at least [`FLUSH_THRESHOLD`] in magnitude, else `0.0`.
#[inline(always)]
pub fn flush(x: f32) -> f32 {
    let a = x.abs();
    if (FLUSH_THRESHOLD..=f32::MAX).contains(&a) {
        x
    } else {
        0.0
    }
}

/// Amplitude gain of `db` decibels (`10^(db/20)`), computed in f64.
#[inline]
pub fn db_to_gain(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// Decibels per unit of `log2` of amplitude: `20·log10(2)`.
pub const DB_PER_LOG2: f32 = 6.020_6;

/// Base-2 logarithm of a positive, finite `x`; absolute error below
/// `2e-7 + 2^-23·|log2 x|` (series error plus rounding of the result), i.e.
/// under 1.2e-6 dB + 7e-7·|dB| once scaled by [`DB_PER_LOG2`].
///
/// Pure f32 arithmetic (no libm), so it gives the same bits natively and
/// in wasm. Inputs ≤ 0 or subnormal are treated as the smallest normal float.
#[inline(always)]
pub fn fast_log2(x: f32) -> f32 {
    let x = if x >= f32::MIN_POSITIVE {
        x
    } else {
        f32::MIN_POSITIVE
    };
    let bits = x.to_bits();
    let mut e = ((bits >> 23) & 0xff) as i32 - 127;
    let mut m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000); // [1, 2)
    if m > core::f32::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // log2(m) = 2/ln2 · atanh(t), t = (m-1)/(m+1), |t| ≤ 0.1716.
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let series = t * (1.0 + t2 * (1.0 / 3.0 + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0))));
    e as f32 + series * (2.0 / core::f32::consts::LN_2)
}

/// `2^x` for `x` in `[-126, 127]` (clamped to that range); relative error
/// below 1.5e-6 (1.3e-5 dB). `fast_exp2(0.0)` is exactly `1.0`.
///
/// Pure f32 arithmetic (no libm): the same bits natively and in wasm.
#[inline(always)]
pub fn fast_exp2(x: f32) -> f32 {
    let x = if x > 127.0 {
        127.0
    } else if x >= -126.0 {
        x
    } else {
        -126.0
    };
    let xi = x.floor();
    let f = (x - xi) * core::f32::consts::LN_2; // [0, ln2)
                                                // e^f, Taylor to degree 7: truncation below 1.3e-6.
    let p = 1.0
        + f * (1.0
            + f * (1.0 / 2.0
                + f * (1.0 / 6.0
                    + f * (1.0 / 24.0
                        + f * (1.0 / 120.0 + f * (1.0 / 720.0 + f * (1.0 / 5040.0)))))));
    let scale = f32::from_bits(((xi as i32 + 127) as u32) << 23);
    p * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flush_maps_non_finite_and_tiny_values_to_zero() {
        assert_eq!(flush(f32::NAN), 0.0);
        assert_eq!(flush(f32::INFINITY), 0.0);
        assert_eq!(flush(f32::NEG_INFINITY), 0.0);
        assert_eq!(flush(1e-30), 0.0);
        assert_eq!(flush(-1e-39), 0.0);
        assert_eq!(flush(0.5), 0.5);
        assert_eq!(flush(-f32::MAX), -f32::MAX);
    }

    #[test]
    fn fast_log2_error_is_below_stated_bound() {
        let mut x = 1e-20f32;
        while x < 1e20 {
            let err = (fast_log2(x) as f64 - (x as f64).log2()).abs();
            let bound = 2e-7 + (x as f64).log2().abs() * 2f64.powi(-23);
            assert!(err < bound, "x={x} err={err} bound={bound}");
            x *= 1.013;
        }
    }

    #[test]
    fn fast_exp2_error_is_below_stated_bound() {
        let mut x = -126.0f32;
        while x < 127.0 {
            let want = 2f64.powf(x as f64);
            let rel = ((fast_exp2(x) as f64 - want) / want).abs();
            assert!(rel < 1.5e-6, "x={x} rel={rel}");
            x += 0.0137;
        }
        assert_eq!(fast_exp2(0.0), 1.0);
        assert_eq!(fast_exp2(-1000.0), f32::MIN_POSITIVE);
    }
}
