//! Numeric helpers shared by every unit: sanitising, decibels, the fast
//! `log2`/`exp2` pair the compressor runs per sample, the synth's sine
//! polynomial, and control-rate `2^x`, `e^x`, `log2`, `sin`, `cos` and
//! `tan(π·r)` in plain f64 arithmetic (no libm), which give the same bits on
//! every runtime.
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

/// Odd polynomial for `sin(π/2 · x)` on `[-1, 1]`, a weighted least-squares
/// fit with the linear term fixed at π/2 (max error 1.7e-7 evaluated in f32):
/// `x·(SIN_C1 + x²·(SIN_C3 + x²·(SIN_C5 + x²·(SIN_C7 + x²·SIN_C9))))`.
pub const SIN_C1: f32 = core::f32::consts::FRAC_PI_2;
/// Cubic coefficient of the `sin(π/2 · x)` polynomial (see [`SIN_C1`]).
pub const SIN_C3: f32 = -0.645_964_26;
/// Quintic coefficient of the `sin(π/2 · x)` polynomial (see [`SIN_C1`]).
pub const SIN_C5: f32 = 0.079_691_41;
/// Degree-7 coefficient of the `sin(π/2 · x)` polynomial (see [`SIN_C1`]).
pub const SIN_C7: f32 = -0.004_675_879_6;
/// Degree-9 coefficient of the `sin(π/2 · x)` polynomial (see [`SIN_C1`]).
pub const SIN_C9: f32 = 0.000_152_367_68;

/// `sin(π/2 · x)` for `x` in `[-1, 1]` by the odd degree-9 polynomial of
/// [`SIN_C1`]…[`SIN_C9`]; error below 3e-7. Pure f32 arithmetic: the same
/// bits natively and in wasm.
#[inline(always)]
pub fn sin_half_pi(x: f32) -> f32 {
    let x2 = x * x;
    x * (SIN_C1 + x2 * (SIN_C3 + x2 * (SIN_C5 + x2 * (SIN_C7 + x2 * SIN_C9))))
}

// ---------------------------------------------------------------------------
// Control-rate math in plain f64 arithmetic (no libm): the same bits on every
// runtime.

/// log2(10) / 20: decibels to log2 of amplitude.
pub const LOG2_PER_DB: f64 = 0.166_096_404_744_368_1;

/// `2^x`, relative error below 1e-15; `x` is clamped to `[-1022, 1023]`.
pub fn exp2_f64(x: f64) -> f64 {
    let x = if x > 1023.0 {
        1023.0
    } else if x >= -1022.0 {
        x
    } else {
        -1022.0
    };
    let xi = x.floor();
    let f = (x - xi) * core::f64::consts::LN_2; // [0, ln 2)
    let mut p = 1.0;
    let mut k = 15;
    while k > 0 {
        p = 1.0 + f * p * INV_INT[k];
        k -= 1;
    }
    p * f64::from_bits(((xi as i64 + 1023) as u64) << 52)
}

/// `1/k` for k = 0..=22 (entry 0 unused).
pub const INV_INT: [f64; 23] = [
    0.0,
    1.0,
    1.0 / 2.0,
    1.0 / 3.0,
    1.0 / 4.0,
    1.0 / 5.0,
    1.0 / 6.0,
    1.0 / 7.0,
    1.0 / 8.0,
    1.0 / 9.0,
    1.0 / 10.0,
    1.0 / 11.0,
    1.0 / 12.0,
    1.0 / 13.0,
    1.0 / 14.0,
    1.0 / 15.0,
    1.0 / 16.0,
    1.0 / 17.0,
    1.0 / 18.0,
    1.0 / 19.0,
    1.0 / 20.0,
    1.0 / 21.0,
    1.0 / 22.0,
];

/// `log2(x)` for positive finite `x` (smaller inputs count as the smallest
/// normal f64); absolute error below 1e-15.
pub fn log2_f64(x: f64) -> f64 {
    let x = if (f64::MIN_POSITIVE..=f64::MAX).contains(&x) {
        x
    } else {
        f64::MIN_POSITIVE
    };
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > core::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // ln m = 2·atanh(t), t = (m − 1)/(m + 1), |t| ≤ 0.1716.
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let mut s = 0.0;
    let mut k = 21;
    while k > 1 {
        s = t2 * (INV_INT[k] + s);
        k -= 2;
    }
    e as f64 + 2.0 * t * (1.0 + s) * core::f64::consts::LOG2_E
}

/// `tan(π·r)` for `r` in `[0, 0.45]`, from Taylor series of sin and cos
/// (relative error below 1e-12).
pub fn tan_pi_f64(r: f64) -> f64 {
    let x = core::f64::consts::PI * r;
    let x2 = x * x;
    // sin x = x(1 − x²/(2·3)(1 − x²/(4·5)(…))), cos x = 1 − x²/(1·2)(1 − x²/(3·4)(…)).
    let mut s = 1.0;
    let mut c = 1.0;
    let mut k = 10;
    while k > 0 {
        let n = 2 * k;
        s = 1.0 - x2 * INV_INT[n] * INV_INT[n + 1] * s;
        c = 1.0 - x2 * INV_INT[n - 1] * INV_INT[n] * c;
        k -= 1;
    }
    x * s / c
}

/// `e^x` through [`exp2_f64`] (relative error below 1e-14 for `|x| < 700`).
pub fn exp_f64(x: f64) -> f64 {
    exp2_f64(x * core::f64::consts::LOG2_E)
}

/// `sin x` for `x` in `[-π/2, π/2]` by its Taylor series to `x²¹`
/// (absolute error below 1e-15).
pub fn sin_f64(x: f64) -> f64 {
    let x2 = x * x;
    // sin x = x(1 − x²/(2·3)(1 − x²/(4·5)(…))).
    let mut s = 1.0;
    let mut k = 10;
    while k > 0 {
        let n = 2 * k;
        s = 1.0 - x2 * INV_INT[n] * INV_INT[n + 1] * s;
        k -= 1;
    }
    x * s
}

/// `cos x` for `x` in `[0, π]`, as `1 − 2·sin²(x/2)` (absolute error below 1e-15).
pub fn cos_f64(x: f64) -> f64 {
    let s = sin_f64(0.5 * x);
    1.0 - 2.0 * s * s
}

/// `x`, or 0 when it is below [`FLUSH_THRESHOLD`] in magnitude or not finite.
pub fn flush_f64(x: f64) -> f64 {
    if (FLUSH_THRESHOLD as f64..=f64::MAX).contains(&x.abs()) {
        x
    } else {
        0.0
    }
}

/// Linear gain of `db` decibels (`2^(db·LOG2_PER_DB)`) in plain arithmetic,
/// the same bits on every runtime (unlike [`db_to_gain`], which uses `powf`).
pub fn db_gain(db: f32) -> f32 {
    exp2_f64(db as f64 * LOG2_PER_DB) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_rate_exp_sin_and_cos_match_libm() {
        for i in 0..=2000 {
            let x = -40.0 + 80.0 * i as f64 / 2000.0;
            let rel = (exp_f64(x) / x.exp() - 1.0).abs();
            assert!(rel < 1e-14, "exp({x}): {rel:e}");
            let t = core::f64::consts::PI * i as f64 / 2000.0;
            assert!((cos_f64(t) - t.cos()).abs() < 1e-15, "cos({t})");
            let h = t - core::f64::consts::FRAC_PI_2;
            assert!((sin_f64(h) - h.sin()).abs() < 1e-15, "sin({h})");
        }
    }

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

    #[test]
    fn control_math_is_accurate() {
        for i in -2000..2000 {
            let x = i as f64 * 0.0137;
            let rel = (exp2_f64(x) / 2f64.powf(x) - 1.0).abs();
            assert!(rel < 1e-14, "exp2({x}) rel {rel}");
        }
        let mut x = 1e-3;
        while x < 1e6 {
            assert!((log2_f64(x) - x.log2()).abs() < 1e-14, "log2({x})");
            x *= 1.37;
        }
        for i in 1..=450 {
            let r = i as f64 * 1e-3;
            let want = (core::f64::consts::PI * r).tan();
            assert!((tan_pi_f64(r) / want - 1.0).abs() < 1e-12, "tan(pi {r})");
        }
    }

    #[test]
    fn sine_polynomial_is_accurate() {
        for i in 0..=1000 {
            let x = i as f32 / 1000.0;
            let s = sin_half_pi(x);
            let want = (core::f64::consts::FRAC_PI_2 * x as f64).sin();
            assert!((s as f64 - want).abs() < 3e-7, "x={x}");
        }
    }

    #[test]
    fn flush_f64_and_db_gain_follow_their_f32_counterparts() {
        assert_eq!(flush_f64(f64::NAN), 0.0);
        assert_eq!(flush_f64(f64::NEG_INFINITY), 0.0);
        assert_eq!(flush_f64(1e-21), 0.0);
        assert_eq!(flush_f64(-0.25), -0.25);
        assert_eq!(db_gain(0.0), 1.0);
        for db in [-48.0f32, -12.0, -6.0, 3.0, 12.0] {
            let want = db_to_gain(db as f64);
            assert!((db_gain(db) as f64 / want - 1.0).abs() < 1e-6, "{db} dB");
        }
    }
}
