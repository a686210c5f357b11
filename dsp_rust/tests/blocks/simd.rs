use crate::common::Rng;
use dawg_dsp::math::FLUSH_THRESHOLD;
use dawg_dsp::math::{fast_exp2, fast_log2, flush};
use dawg_dsp::simd::*;

fn check4(xs: [f32; 4]) {
    let v = F4::from_array(xs);
    let (l, e, f) = (
        v.fast_log2().to_array(),
        v.fast_exp2().to_array(),
        v.flush().to_array(),
    );
    for k in 0..4 {
        let x = xs[k];
        assert_eq!(l[k].to_bits(), fast_log2(x).to_bits(), "log2({x:e})");
        assert_eq!(e[k].to_bits(), fast_exp2(x).to_bits(), "exp2({x:e})");
        assert_eq!(f[k].to_bits(), flush(x).to_bits(), "flush({x:e})");
    }
}

#[test]
fn lane_log2_exp2_flush_are_bit_identical_to_scalar() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    // Random bit patterns cover every exponent, NaN, ±inf, subnormals.
    for _ in 0..1_000_000 {
        check4([rng.any_f32(), rng.any_f32(), rng.any_f32(), rng.any_f32()]);
    }
    // Dense sweeps over the ranges the compressor uses.
    let mut x = -140.0f32;
    while x < 140.0 {
        check4([x, -x, x * 0.37, x + 0.5]);
        x += 0.000_731;
    }
    let mut x = 1e-30f32;
    while x < 1e30 {
        check4([
            x,
            x * 1.000_001,
            x * core::f32::consts::SQRT_2,
            x * core::f32::consts::FRAC_1_SQRT_2,
        ]);
        x *= 1.000_37;
    }
    let special = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        f32::MIN_POSITIVE,
        f32::MAX,
        -f32::MAX,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        FLUSH_THRESHOLD,
        -FLUSH_THRESHOLD,
        core::f32::consts::SQRT_2,
        127.0,
        -126.0,
        126.999_99,
        -125.999_99,
        -0.5,
        0.5,
    ];
    for a in special {
        for b in special {
            check4([a, b, -a, b * 0.5]);
        }
    }
}

#[test]
fn primitives_match_scalar_semantics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..200_000 {
        let a = [rng.any_f32(), rng.any_f32(), rng.any_f32(), rng.any_f32()];
        let b = [rng.any_f32(), rng.any_f32(), rng.any_f32(), rng.any_f32()];
        let (va, vb) = (F4::from_array(a), F4::from_array(b));
        let mx = va.max(vb).to_array();
        let mn = va.min(vb).to_array();
        let sel = F4::select(va.lt(vb), va, vb).to_array();
        for k in 0..4 {
            let pmax = if a[k] < b[k] { b[k] } else { a[k] };
            let pmin = if b[k] < a[k] { b[k] } else { a[k] };
            assert_eq!(mx[k].to_bits(), pmax.to_bits());
            assert_eq!(mn[k].to_bits(), pmin.to_bits());
            let s = if a[k] < b[k] { a[k] } else { b[k] };
            assert_eq!(sel[k].to_bits(), s.to_bits());
        }
    }
    // floor and the exact integer conversion over the exp2 range.
    let mut x = -130.0f32;
    while x < 130.0 {
        let v = F4::from_array([x, -x, x + 0.25, x - 0.75]);
        let fl = v.floor().to_array();
        let ints = v.floor().to_int_exact().to_array();
        for (k, want) in v.to_array().iter().enumerate() {
            assert_eq!(fl[k], want.floor(), "floor({want})");
            assert_eq!(ints[k], want.floor() as i32);
        }
        x += 0.013_7;
    }
}

#[test]
fn lanes_trait_agrees_for_f32_and_f4() {
    let xs = [0.3f32, -2.0, 1e-25, 7.5];
    let v = F4::from_array(xs);
    for (k, &x) in xs.iter().enumerate() {
        assert_eq!(Lanes::fast_log2(v).lane(k), Lanes::fast_log2(x));
        assert_eq!(Lanes::fast_exp2(v).lane(k), Lanes::fast_exp2(x));
        assert_eq!(Lanes::flush(v).lane(k), Lanes::flush(x));
    }
    assert_eq!(v.with_lane(2, 9.0).lane(2), 9.0);
    assert_eq!(v.lane(7), 0.0);
    assert_eq!(v.with_lane(7, 1.0).to_array(), xs);
}

#[test]
fn transpose_swaps_lanes_and_rows() {
    let rows = [0, 1, 2, 3].map(|r| F4::from_array([0, 1, 2, 3].map(|c| (4 * r + c) as f32)));
    let t = F4::transpose(rows);
    for (c, row) in t.iter().enumerate() {
        assert_eq!(row.to_array(), [0, 1, 2, 3].map(|r| (4 * r + c) as f32));
    }
    assert_eq!(F4::transpose(t).map(F4::to_array), rows.map(F4::to_array));
}

#[test]
fn gather_flushes_each_track_into_its_lane_and_round_trips() {
    // 7 frames: one transposed block of four, then three frame by frame.
    let a = [1.0f32, -2.0, 3.0, 1e-39, f32::NAN, 0.5, -0.25];
    let b = [4.0f32, 5.0, f32::INFINITY, -6.0, 7.0, 8.0, 9.0];
    let c = [0.0f32; 7];
    let d = [-1.0f32, 1e30, -1e30, 2.0, -3.0, 4.0, -5.0];
    let mut lanes = [F4::splat(9.0); 7];
    let peak = gather_flushed([&a, &b, &c, &d], &mut lanes);
    for (k, t) in [a, b, c, d].iter().enumerate() {
        let mut out = [0.0f32; 7];
        deinterleave(&lanes, k, &mut out);
        let want = t.map(flush);
        assert_eq!(out.map(f32::to_bits), want.map(f32::to_bits), "track {k}");
        let most = want.iter().fold(0.0f32, |p, v| p.max(v.abs()));
        assert_eq!(peak.lane(k), most, "peak of track {k}");
    }
}

#[test]
fn lane_sums_add_the_tracks_in_lane_order() {
    // Values whose sum depends on the order: 1e8 + 1 − 1e8 + 1 rounds.
    let mut rng = Rng(3);
    let lanes: Vec<F4> = (0..9)
        .map(|_| F4::from_array([1e8, rng.range(-1.0, 1.0), -1e8, rng.range(-1.0, 1.0)]))
        .collect();
    let mut out: Vec<f32> = (0..9).map(|i| 0.5 * i as f32).collect();
    let mut want = out.clone();
    for (w, v) in want.iter_mut().zip(&lanes) {
        for x in v.to_array() {
            *w += x;
        }
    }
    sum_lanes_into(&lanes, &mut out);
    assert_eq!(
        out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        want.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
}

#[test]
fn any_at_least_sees_one_loud_finite_sample_anywhere() {
    for n in [0usize, 3, 4, 9] {
        let quiet = vec![1e-7f32; n];
        assert!(!any_at_least(&quiet, 1e-6));
        for at in 0..n {
            let mut x = quiet.clone();
            x[at] = -2e-6;
            assert!(any_at_least(&x, 1e-6), "n {n}, at {at}");
            x[at] = f32::NAN;
            assert!(!any_at_least(&x, 1e-6), "NaN counted, n {n}, at {at}");
            x[at] = f32::NEG_INFINITY;
            assert!(!any_at_least(&x, 1e-6), "infinity counted, n {n}, at {at}");
        }
    }
}

#[test]
fn max_magnitude_is_the_larger_magnitude() {
    let a = F4::from_array([0.0, 1.5, 3.0, f32::INFINITY]);
    let b = F4::from_array([1e-45, 2.5, 1.0, 7.0]);
    assert_eq!(
        a.max_magnitude(b).to_array(),
        [1e-45, 2.5, 3.0, f32::INFINITY]
    );
}

#[test]
fn f64_lanes_step_compare_and_scale_like_scalar_f64() {
    let mut rng = Rng(0x51ed_270b_2ef1_b5c3);
    let special = [
        0.0,
        -0.0,
        1e-300,
        -1e-300,
        f64::INFINITY,
        f64::NAN,
        1.3,
        -0.001,
    ];
    let any = |rng: &mut Rng| -> f64 {
        match rng.below(4) {
            0 => special[rng.below(special.len())],
            1 => f64::from_bits(rng.next()),
            _ => rng.range(-2.0, 2.0) as f64 * (1.0 + rng.unit() as f64 * 1e-9),
        }
    };
    for _ in 0..100_000 {
        let (a, b, c, lo, hi) = (
            [0; 4].map(|_| any(&mut rng)),
            [0; 4].map(|_| any(&mut rng)),
            [0; 4].map(|_| any(&mut rng)),
            [0; 4].map(|_| any(&mut rng)),
            [0; 4].map(|_| any(&mut rng)),
        );
        let v = [0; 4].map(|_| rng.any_f32());
        let d = |x: [f64; 4]| D4::from_array(x);
        let step = (d(a) + d(b) * d(c)).to_array();
        let x = d(a) + d(b) * d(c);
        let inside = x.inside(d(lo), d(hi));
        let scaled = x.mul_f32(F4::from_array(v)).to_array();
        for k in 0..4 {
            let want = a[k] + b[k] * c[k];
            assert_eq!(
                step[k].to_bits(),
                want.to_bits(),
                "{} + {}·{}",
                a[k],
                b[k],
                c[k]
            );
            assert_eq!(x.lane(k).to_bits(), want.to_bits());
            assert_eq!(
                inside.lane(k),
                lo[k] < want && want < hi[k],
                "{} in ({}, {})",
                want,
                lo[k],
                hi[k]
            );
            let s = v[k] * want as f32;
            assert!(
                scaled[k].to_bits() == s.to_bits() || (scaled[k].is_nan() && s.is_nan()),
                "{} × {} as f32",
                v[k],
                want
            );
        }
    }
}
