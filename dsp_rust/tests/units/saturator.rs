use crate::common::xorshift_noise;
use dawg_dsp::units::saturator::*;

const SR: f32 = 48000.0;

fn render(sat: &mut Saturator, l: &[f32], r: &[f32], blocks: &[usize]) -> (Vec<f32>, Vec<f32>) {
    let (mut l, mut r) = (l.to_vec(), r.to_vec());
    let mut i = 0;
    let mut k = 0;
    while i < l.len() {
        let n = blocks[k % blocks.len()].min(l.len() - i);
        sat.process(&mut l[i..i + n], &mut r[i..i + n]);
        i += n;
        k += 1;
    }
    (l, r)
}

#[test]
fn hostile_input_never_produces_nan_inf_or_subnormal() {
    let hostile = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        3e38,
        -3e38,
        f32::MAX,
        1e-40,
        -1e-39,
        1.0,
        -1.0,
        0.0,
    ];
    for curve in [0.0, 1.0] {
        for (drive, mix, out) in [(36.0, 1.0, 12.0), (36.0, 0.5, 12.0), (0.0, 0.0, -24.0)] {
            let mut s = Saturator::new(SR).unwrap();
            s.set(DRIVE_DB, drive);
            s.set(CURVE, curve);
            s.set(MIX, mix);
            s.set(OUTPUT_DB, out);
            s.reset();
            let l: Vec<f32> = (0..4000).map(|i| hostile[i % hostile.len()]).collect();
            let r: Vec<f32> = (0..4000)
                .map(|i| hostile[(i * 7 + 3) % hostile.len()])
                .collect();
            let (yl, yr) = render(&mut s, &l, &r, &[128]);
            for y in yl.iter().chain(yr.iter()) {
                assert!(*y == 0.0 || y.is_normal(), "{y}");
            }
            // The wet path alone stays bounded by the curves' ±1 times the
            // L1 norm of the decimation chain (1.758) times the output gain.
            if mix == 1.0 {
                assert!(yl.iter().chain(yr.iter()).all(|y| y.abs() < 1.758 * 3.982));
            }
            // And a hostile burst leaves nothing behind.
            let z = vec![0.0f32; 200];
            let (zl, zr) = render(&mut s, &z, &z, &[64]);
            assert!(zl[TAIL_FRAMES..]
                .iter()
                .chain(&zr[TAIL_FRAMES..])
                .all(|v| *v == 0.0));
            assert!(s.state_is_silent());
        }
    }
}

#[test]
fn block_splits_give_bit_identical_output() {
    let l = xorshift_noise(6000, 1, 1.5);
    let r = xorshift_noise(6000, 2, 0.7);
    let run = |blocks: &[usize]| {
        let mut s = Saturator::new(SR).unwrap();
        s.set(DRIVE_DB, 18.0);
        s.set(MIX, 0.7);
        s.reset();
        let (mut ol, mut or_) = render(&mut s, &l[..2048], &r[..2048], blocks);
        // Changes at frame 2048 (a boundary of every split below): ramps and a curve crossfade.
        s.set(CURVE, 1.0);
        s.set(DRIVE_DB, 30.0);
        s.set(OUTPUT_DB, -6.0);
        s.set(MIX, 0.2);
        let (bl, br) = render(&mut s, &l[2048..], &r[2048..], blocks);
        ol.extend(bl);
        or_.extend(br);
        (ol, or_)
    };
    let reference = run(&[2048]);
    for blocks in [
        &[1usize][..],
        &[3, 61, 128],
        &[512],
        &[7, 1, 1024, 13],
        &[16],
    ] {
        assert_eq!(run(blocks), reference, "blocks {blocks:?}");
    }
}

#[test]
fn impulse_then_ten_seconds_of_silence_is_exact_zero() {
    for sr in [22050.0f32, 48000.0, 192000.0] {
        let mut s = Saturator::new(sr).unwrap();
        s.set(DRIVE_DB, 36.0);
        s.set(MIX, 0.5);
        s.set(OUTPUT_DB, 12.0);
        s.reset();
        let len = (10.0 * sr) as usize;
        let mut l = vec![0.0f32; len];
        let mut r = vec![0.0f32; len];
        l[0] = 1.0;
        r[0] = -1.0;
        let (yl, yr) = render(&mut s, &l, &r, &[128]);
        let last_nonzero = yl
            .iter()
            .zip(&yr)
            .rposition(|(a, b)| *a != 0.0 || *b != 0.0)
            .unwrap_or(0);
        assert!(
            last_nonzero < TAIL_FRAMES,
            "last non-zero frame {last_nonzero}"
        );
        assert_eq!(*yl.last().unwrap(), 0.0);
        assert!(s.state_is_silent());
        assert!(s.is_quiet());
    }
}

#[test]
fn dry_and_wet_are_aligned_by_the_latency() {
    // Small band-limited signal, drive 0 dB: the curves are linear to
    // 3e-7 here, so wet ≈ dry; any misalignment would comb-filter the mix.
    let len = 8192;
    let x: Vec<f32> = (0..len)
        .map(|i| {
            let t = i as f64 / SR as f64;
            let v = (2.0 * std::f64::consts::PI * 997.0 * t).sin()
                + (2.0 * std::f64::consts::PI * 15013.0 * t).sin()
                + 0.5 * (2.0 * std::f64::consts::PI * 18503.0 * t).sin();
            (1e-3 * v) as f32
        })
        .collect();
    for curve in [0.0, 1.0] {
        for mix in [0.0, 0.5, 1.0] {
            let mut s = Saturator::new(SR).unwrap();
            s.set(CURVE, curve);
            s.set(MIX, mix);
            s.reset();
            let (y, _) = render(&mut s, &x, &x, &[128]);
            let err = y[LATENCY_FRAMES + 200..]
                .iter()
                .zip(&x[200..])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            // Passband ripple of four filters ≤ 0.0045 dB: 5e-4 relative of 2.5e-3 peak.
            assert!(err < 2e-6, "curve {curve} mix {mix}: err {err}");
            if mix == 0.0 {
                assert_eq!(&y[LATENCY_FRAMES..], &x[..len - LATENCY_FRAMES]);
            }
        }
    }
}

#[test]
fn curves_have_unity_slope_and_saturate_at_one() {
    for f in [soft_clip, cubic_clip] {
        assert!((f(1e-4) - 1e-4).abs() < 1e-9);
        assert_eq!(f(100.0), 1.0);
        assert_eq!(f(-1e30), -1.0);
        assert_eq!(f(0.0), 0.0);
        let mut prev = -2.0;
        for i in -4000..=4000 {
            let y = f(i as f32 * 1e-3);
            // Monotonic and within ±1, up to f32 rounding.
            assert!(y >= prev - 2e-7 && y.abs() <= 1.0 + 2e-7, "{i}: {y}");
            prev = y;
        }
    }
    assert_eq!(soft_clip(3.0), 1.0);
    assert_eq!(cubic_clip(1.5), 1.0);
}

#[test]
fn curve_switch_crossfades_without_a_step() {
    // A 100 Hz sine at 30 dB drive: the largest frame-to-frame change
    // while the curve switches stays within that of steady operation.
    let len = 9600;
    let x: Vec<f32> = (0..len)
        .map(|i| (0.5 * (2.0 * std::f64::consts::PI * 100.0 * i as f64 / 48000.0).sin()) as f32)
        .collect();
    let max_step = |y: &[f32]| {
        y.windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0f32, f32::max)
    };
    let mut s = Saturator::new(SR).unwrap();
    s.set(DRIVE_DB, 30.0);
    s.reset();
    let (a, _) = render(&mut s, &x[..4800], &x[..4800], &[128]);
    s.set(CURVE, 1.0);
    let (b, _) = render(&mut s, &x[4800..], &x[4800..], &[128]);
    let steady = max_step(&a[1000..]).max(max_step(&b[2000..]));
    let switching = max_step(&b[..1000]);
    assert!(switching <= 1.05 * steady, "{switching} vs {steady}");
    assert_eq!(s.get(CURVE), 1.0);
}
