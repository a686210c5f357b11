use crate::common::Rng;
use dawg_dsp::simd::F4;
use dawg_dsp::spec::Scope;
use dawg_dsp::units::compressor::*;

fn db(x: f32) -> f64 {
    20.0 * (x.abs() as f64).log10()
}

/// Textbook soft-knee static curve (Giannoulis et al. 2012, eq. 4), dB.
fn soft_knee_db(x: f64, thr: f64, ratio: f64, knee: f64) -> f64 {
    if 2.0 * (x - thr) < -knee || (knee == 0.0 && x <= thr) {
        x
    } else if 2.0 * (x - thr).abs() <= knee {
        x + (1.0 / ratio - 1.0) * (x - thr + knee / 2.0).powi(2) / (2.0 * knee)
    } else {
        thr + (x - thr) / ratio
    }
}

fn unit(settings: &[(CompressorParam, f32)]) -> CompressorUnit {
    let mut u = CompressorUnit::new(48000.0, 128).unwrap();
    for (p, v) in settings {
        u.set(*p as usize, *v);
    }
    u.reset();
    u
}

fn steady_gain_db(u: &mut CompressorUnit, left: f32, right: f32) -> (f64, f64) {
    let mut l = vec![left; 48000];
    let mut r = vec![right; 48000];
    u.process(&mut l, &mut r);
    (db(l[47999] / left), db(r[47999] / right))
}

#[test]
fn four_lanes_and_four_single_compressors_agree_bit_for_bit() {
    let mut rng = Rng(42);
    let mut lanes = Compressor::<F4>::new(44100.0);
    let mut singles: Vec<Compressor<f32>> = (0..4).map(|_| Compressor::new(44100.0)).collect();
    let settings = |rng: &mut Rng, k: usize| {
        CompressorParam::ALL.map(|p| {
            let s = &CompressorUnit::PARAMS[p as usize];
            let v = s.min + rng.unit() * (s.max - s.min);
            let v = if p == CompressorParam::Detector {
                ((k + 1) % 2) as f32
            } else {
                v
            };
            (p, v)
        })
    };
    for (k, single) in singles.iter_mut().enumerate() {
        for (p, v) in settings(&mut rng, k) {
            apply_param(&mut lanes, k, p, v, 300);
            apply_param(single, 0, p, v, 300);
        }
    }
    let frames = 30_000;
    let sig: Vec<[[f32; 2]; 4]> = (0..frames)
        .map(|i| {
            let env = if (i / 3000) % 3 == 0 {
                0.0
            } else {
                ((i / 3000) % 5) as f32 * 0.3
            };
            [0, 1, 2, 3].map(|k| {
                let a = (rng.unit() * 2.0 - 1.0) * env;
                [a, a * (0.2 * k as f32)]
            })
        })
        .collect();
    let mut pos = 0;
    let mut block = 0;
    while pos < frames {
        let n = (1 + (block * 37) % 200).min(frames - pos);
        if block % 9 == 4 {
            let k = block % 4;
            for (p, v) in settings(&mut rng, k + 1) {
                apply_param(&mut lanes, k, p, v, 300);
                apply_param(&mut singles[k], 0, p, v, 300);
            }
        }
        let mut l: Vec<F4> = (pos..pos + n)
            .map(|i| F4::from_array([0, 1, 2, 3].map(|k| sig[i][k][0])))
            .collect();
        let mut r: Vec<F4> = (pos..pos + n)
            .map(|i| F4::from_array([0, 1, 2, 3].map(|k| sig[i][k][1])))
            .collect();
        lanes.process(&mut l, &mut r);
        for (k, c) in singles.iter_mut().enumerate() {
            let mut sl: Vec<f32> = (pos..pos + n).map(|i| sig[i][k][0]).collect();
            let mut sr: Vec<f32> = (pos..pos + n).map(|i| sig[i][k][1]).collect();
            c.process(&mut sl, &mut sr);
            for i in 0..n {
                assert_eq!(
                    l[i].lane(k).to_bits(),
                    sl[i].to_bits(),
                    "lane {k} frame {}",
                    pos + i
                );
                assert_eq!(
                    r[i].lane(k).to_bits(),
                    sr[i].to_bits(),
                    "lane {k} frame {}",
                    pos + i
                );
            }
        }
        pos += n;
        block += 1;
    }
}

#[test]
fn static_curve_matches_the_soft_knee_formula() {
    for (thr, ratio, knee) in [
        (-20.0f32, 4.0f32, 0.0f32),
        (-20.0, 4.0, 12.0),
        (-30.0, 10.0, 24.0),
        (-6.0, 2.0, 6.0),
    ] {
        let mut x = -50.0f32;
        while x <= 0.0 {
            let mut u = unit(&[
                (CompressorParam::ThresholdDb, thr),
                (CompressorParam::Ratio, ratio),
                (CompressorParam::KneeDb, knee),
                (CompressorParam::AttackMs, 1.0),
                (CompressorParam::ReleaseMs, 20.0),
            ]);
            let level = 10f32.powf(x / 20.0);
            let (gl, gr) = steady_gain_db(&mut u, level, level);
            let want = soft_knee_db(x as f64, thr as f64, ratio as f64, knee as f64) - x as f64;
            assert!(
                (gl - want).abs() < 1e-3,
                "{thr}/{ratio}/{knee} at {x}: {gl} vs {want}"
            );
            assert_eq!(gl, gr);
            x += 1.25;
        }
    }
}

#[test]
fn link_zero_compresses_each_channel_on_its_own() {
    let base = [
        (CompressorParam::ThresholdDb, -20.0),
        (CompressorParam::Ratio, 4.0),
        (CompressorParam::KneeDb, 0.0),
    ];
    let loud = 1.0; // 0 dBFS: 15 dB of reduction
    let quiet = 0.01; // −40 dBFS: below the threshold
    let mut u = unit(&base);
    u.set(CompressorParam::Link as usize, 0.0);
    let (gl, gr) = steady_gain_db(&mut u, loud, quiet);
    assert!((gl + 15.0).abs() < 1e-3, "{gl}");
    assert_eq!(gr, 0.0, "the quiet channel is untouched");
    let mut u = unit(&base);
    let (gl, gr) = steady_gain_db(&mut u, loud, quiet);
    assert!(
        (gl + 15.0).abs() < 1e-3 && (gr - gl).abs() < 1e-9,
        "{gl} {gr}"
    );
    // Half link: the quiet channel sees about half the louder one (−6 dB),
    // about 14 dB over the threshold: about 10.5 dB of reduction.
    let mut u = unit(&base);
    u.set(CompressorParam::Link as usize, 0.5);
    let mut l = vec![loud; 48000];
    let mut r = vec![quiet; 48000];
    u.process(&mut l, &mut r);
    let d = 0.5 * loud + 0.5 * quiet;
    let want = soft_knee_db(db(d), -20.0, 4.0, 0.0) - db(d);
    assert!((db(r[47999] / quiet) - want).abs() < 1e-3);
}

#[test]
fn rms_detector_reads_a_sine_3_db_below_its_peak() {
    let mut u = unit(&[
        (CompressorParam::ThresholdDb, -40.0),
        (CompressorParam::Ratio, 4.0),
        (CompressorParam::KneeDb, 0.0),
        (CompressorParam::AttackMs, 50.0),
        (CompressorParam::ReleaseMs, 50.0),
        (CompressorParam::Detector, 1.0),
    ]);
    let n = 96000;
    let x: Vec<f32> = (0..n)
        .map(|i| 0.5 * (2.0 * core::f32::consts::PI * 1000.0 * i as f32 / 48000.0).sin())
        .collect();
    let (mut l, mut r) = (x.clone(), x.clone());
    u.process(&mut l, &mut r);
    // Average gain over the last 100 ms (the mean square ripples at 2 kHz).
    let tail = n - 4800..n;
    let ratio: f64 = tail.clone().map(|i| (l[i] as f64).powi(2)).sum::<f64>()
        / tail.map(|i| (x[i] as f64).powi(2)).sum::<f64>();
    let got = 10.0 * ratio.log10();
    let rms_db = db(0.5) - 10.0 * 2f64.log10();
    let want = soft_knee_db(rms_db, -40.0, 4.0, 0.0) - rms_db;
    assert!((got - want).abs() < 0.1, "{got} vs {want}");
}

#[test]
fn makeup_ramps_to_its_gain_over_ten_ms() {
    let mut u = unit(&[(CompressorParam::Ratio, 1.0)]);
    u.set(CompressorParam::MakeupDb as usize, 12.0);
    let mut l = vec![0.25f32; 960];
    let mut r = l.clone();
    u.process(&mut l, &mut r);
    assert!(
        (db(l[239] / 0.25) - 6.0).abs() < 0.05,
        "{}",
        db(l[239] / 0.25)
    );
    assert!((db(l[479] / 0.25) - 12.0).abs() < 1e-4);
    assert_eq!(l[479], l[959]);
    assert!(l[..480].windows(2).all(|w| w[1] > w[0]));
}

#[test]
fn parameter_table_and_set_get() {
    let names: Vec<&str> = CompressorUnit::PARAMS.iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        [
            "compressor_threshold_db",
            "compressor_ratio",
            "compressor_knee_db",
            "compressor_attack_ms",
            "compressor_release_ms",
            "compressor_makeup_db",
            "compressor_detector",
            "compressor_link"
        ]
    );
    let mut u = CompressorUnit::new(48000.0, 128).unwrap();
    for (i, p) in CompressorUnit::PARAMS.iter().enumerate() {
        assert_eq!(p.scope, Scope::Insert);
        assert!(p.min <= p.default && p.default <= p.max);
        assert_eq!(u.get(i), p.default);
        u.set(i, p.max);
        assert_eq!(u.get(i), p.max);
    }
    assert!(u.get(8).is_nan());
    u.set(99, 1.0);
    assert_eq!(u.tail_frames(), 0);
}

#[test]
fn hostile_input_stays_finite_and_silence_ends_in_exact_zeros() {
    for detector in [0.0, 1.0] {
        let mut u = unit(&[
            (CompressorParam::Ratio, 20.0),
            (CompressorParam::MakeupDb, 24.0),
            (CompressorParam::Detector, detector),
            (CompressorParam::Link, 0.3),
        ]);
        let mut x = vec![0.0f32; 12000];
        x[10] = f32::NAN;
        x[20] = f32::INFINITY;
        x[30] = f32::NEG_INFINITY;
        x[100..200].iter_mut().for_each(|v| *v = 3e38);
        x[300..400].iter_mut().for_each(|v| *v = 1e-39);
        x[1000..1200].iter_mut().for_each(|v| *v = -3e38);
        x[2000] = 1.0;
        let (mut l, mut r) = (x.clone(), x);
        for (a, b) in l.chunks_mut(128).zip(r.chunks_mut(128)) {
            u.process(a, b);
            assert!(a
                .iter()
                .chain(b.iter())
                .all(|v| v.is_finite() && (*v == 0.0 || v.is_normal())));
        }
        for _ in 0..(10 * 48000 / 128) {
            let (mut a, mut b) = (vec![0.0f32; 128], vec![0.0f32; 128]);
            u.process(&mut a, &mut b);
            assert!(a.iter().chain(b.iter()).all(|v| *v == 0.0));
        }
        assert!(u.is_quiet());
        assert_eq!(u.compressor().reduction_db(0), 0.0);
    }
}

#[test]
fn block_size_does_not_change_the_unit_output() {
    let mut rng = Rng(8);
    let x: Vec<f32> = (0..20_000)
        .map(|i| (rng.unit() * 2.0 - 1.0) * if (i / 2500) % 2 == 0 { 0.8 } else { 0.02 })
        .collect();
    let run = |sizes: &[usize]| {
        let mut u = unit(&[
            (CompressorParam::Detector, 1.0),
            (CompressorParam::Link, 0.6),
        ]);
        let (mut l, mut r) = (x.clone(), x.iter().map(|v| v * 0.5).collect::<Vec<_>>());
        let mut pos = 0;
        let mut k = 0;
        while pos < l.len() {
            let n = sizes[k % sizes.len()].min(l.len() - pos);
            if pos <= 9000 && 9000 < pos + n && pos != 9000 {
                let n = 9000 - pos;
                u.process(&mut l[pos..pos + n], &mut r[pos..pos + n]);
                pos += n;
                continue;
            }
            if pos == 9000 {
                u.set(CompressorParam::MakeupDb as usize, 9.0);
            }
            u.process(&mut l[pos..pos + n], &mut r[pos..pos + n]);
            pos += n;
            k += 1;
        }
        (l, r)
    };
    let whole = run(&[usize::MAX]);
    assert_eq!(run(&[1, 7, 128, 3]), whole);
    assert_eq!(run(&[128]), whole);
}
