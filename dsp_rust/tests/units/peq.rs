use dawg_dsp::units::peq::*;

use crate::common::Rng;
use dawg_dsp::dsp::biquad::{radians, MAX_FREQ_RATIO, MIN_FREQ_HZ};
use dawg_dsp::dsp::matched;
use dawg_dsp::spec::{Scope, FLAG_STEPPED};

fn idx(band: usize, row: usize) -> usize {
    param_index(band, row)
}

fn set_band(eq: &mut ParametricEq, band: usize, kind: BandType, hz: f32, gain_db: f32, q: f32) {
    eq.set(idx(band, ROW_TYPE), kind as u32 as f32);
    eq.set(idx(band, ROW_HZ), hz);
    eq.set(idx(band, ROW_GAIN_DB), gain_db);
    eq.set(idx(band, ROW_Q), q);
}

/// The f64 biquad `(b0, b1, b2, a1, a2)` (normalised) a band is designed
/// as: the RBJ cookbook's shelves, the matched bell and passes.
fn design(kind: BandType, fs: f64, f: f64, q: f64, gain_db: f64) -> [f64; 5] {
    let a = 10f64.powf(gain_db / 40.0);
    let f = f.max(MIN_FREQ_HZ).min(MAX_FREQ_RATIO * fs);
    let w0 = 2.0 * core::f64::consts::PI * f / fs;
    let (c, s) = (w0.cos(), w0.sin());
    let al = s / (2.0 * q);
    let k = 2.0 * a.sqrt() * al;
    let (b, d) = match kind {
        BandType::Off => ([1.0, 0.0, 0.0], [1.0, 0.0, 0.0]),
        BandType::Peak => return section(matched::peaking(radians(fs, f), q, gain_db)),
        BandType::LowShelf => (
            [
                a * ((a + 1.0) - (a - 1.0) * c + k),
                2.0 * a * ((a - 1.0) - (a + 1.0) * c),
                a * ((a + 1.0) - (a - 1.0) * c - k),
            ],
            [
                (a + 1.0) + (a - 1.0) * c + k,
                -2.0 * ((a - 1.0) + (a + 1.0) * c),
                (a + 1.0) + (a - 1.0) * c - k,
            ],
        ),
        BandType::HighShelf => (
            [
                a * ((a + 1.0) + (a - 1.0) * c + k),
                -2.0 * a * ((a - 1.0) + (a + 1.0) * c),
                a * ((a + 1.0) + (a - 1.0) * c - k),
            ],
            [
                (a + 1.0) - (a - 1.0) * c + k,
                2.0 * ((a - 1.0) - (a + 1.0) * c),
                (a + 1.0) - (a - 1.0) * c - k,
            ],
        ),
        BandType::LowPass => return section(matched::low_pass(radians(fs, f), q)),
        BandType::HighPass => return section(matched::high_pass(radians(fs, f), q)),
    };
    [
        b[0] / d[0],
        b[1] / d[0],
        b[2] / d[0],
        d[1] / d[0],
        d[2] / d[0],
    ]
}

fn section(s: matched::Section) -> [f64; 5] {
    [s.b[0], s.b[1], s.b[2], s.a1, s.a2]
}

fn impulse(c: [f64; 5], n: usize) -> Vec<f64> {
    let (mut s1, mut s2) = (0.0, 0.0);
    (0..n)
        .map(|i| {
            let x = if i == 0 { 1.0 } else { 0.0 };
            let y = c[0] * x + s1;
            s1 = c[1] * x - c[3] * y + s2;
            s2 = c[2] * x - c[4] * y;
            y
        })
        .collect()
}

#[test]
fn params_are_named_per_band_with_defaults_in_range() {
    assert_eq!(PARAMS.len(), 32);
    for b in 1..=BANDS {
        let rows = [
            (ROW_TYPE, format!("peq_{b}_type")),
            (ROW_HZ, format!("peq_{b}_hz")),
            (ROW_GAIN_DB, format!("peq_{b}_gain_db")),
            (ROW_Q, format!("peq_{b}_q")),
        ];
        for (row, name) in rows {
            let p = &PARAMS[idx(b, row)];
            assert_eq!(p.name, name);
            assert!(p.min < p.max && p.default >= p.min && p.default <= p.max);
            assert_eq!(p.scope, Scope::Insert);
            assert!(!p.doc.is_empty());
        }
        assert_eq!(PARAMS[idx(b, ROW_TYPE)].default, 0.0);
        assert_eq!(PARAMS[idx(b, ROW_TYPE)].flags, FLAG_STEPPED);
        assert_eq!(PARAMS[idx(b, ROW_HZ)].default, DEFAULT_HZ[b - 1]);
    }
    let eq = ParametricEq::new(48000.0, 128).unwrap();
    for (i, p) in PARAMS.iter().enumerate() {
        assert_eq!(eq.get(i), p.default);
    }
}

#[test]
fn default_is_bit_exact_identity_and_costs_no_band() {
    let mut eq = ParametricEq::new(48000.0, 128).unwrap();
    assert_eq!(eq.active_bands(), 0);
    let mut rng = Rng(7);
    let x: Vec<f32> = (0..4096).map(|_| rng.range(-1.0, 1.0)).collect();
    let (mut l, mut r) = (x.clone(), x.clone());
    l.reverse();
    for (lb, rb) in l.chunks_mut(100).zip(r.chunks_mut(100)) {
        eq.process(lb, rb);
    }
    l.reverse();
    assert_eq!(l, x);
    assert_eq!(r, x);
    // Gain, frequency and Q of bands that are off change nothing either.
    eq.set(idx(3, ROW_GAIN_DB), 12.0);
    eq.set(idx(3, ROW_Q), 5.0);
    let mut l2 = x.clone();
    let mut r2 = x.clone();
    eq.process(&mut l2, &mut r2);
    assert_eq!(l2, x);
    assert_eq!(eq.active_bands(), 0);
}

#[test]
fn each_band_type_runs_as_its_design_biquad() {
    let n = 1 << 14;
    for &fs in &[22050.0f32, 48000.0, 192000.0] {
        for &(kind, hz, gain, q) in &[
            (BandType::Peak, 1000.0, 9.0, 2.0),
            (BandType::Peak, 60.0, 24.0, 18.0),
            (BandType::LowShelf, 200.0, -12.0, 0.707),
            (BandType::LowShelf, 60.0, 24.0, 3.0),
            (BandType::HighShelf, 5000.0, 6.0, 0.707),
            (BandType::HighShelf, 15000.0, -24.0, 0.3),
            (BandType::LowPass, 800.0, 0.0, 0.707),
            (BandType::LowPass, 20000.0, 0.0, 5.0),
            (BandType::HighPass, 60.0, 0.0, 18.0),
            (BandType::HighPass, 3000.0, 0.0, 0.1),
        ] {
            let mut eq = ParametricEq::new(fs, 128).unwrap();
            set_band(&mut eq, 5, kind, hz, gain, q);
            eq.reset();
            let mut l = vec![0.0f32; n];
            l[0] = 1.0;
            let mut r = l.clone();
            eq.process(&mut l, &mut r);
            let want = impulse(design(kind, fs as f64, hz as f64, q as f64, gain as f64), n);
            let err = l
                .iter()
                .zip(want.iter())
                .map(|(a, b)| (*a as f64 - b).abs())
                .fold(0.0, f64::max);
            assert!(
                err < 2e-5,
                "{kind:?} {hz} Hz {gain} dB Q {q} at {fs}: {err:e}"
            );
            assert_eq!(l, r);
        }
    }
}

fn decaying_settings(eq: &mut ParametricEq) {
    set_band(eq, 1, BandType::HighPass, 60.0, 0.0, 18.0);
    set_band(eq, 2, BandType::LowShelf, 300.0, 24.0, 18.0);
    set_band(eq, 3, BandType::Peak, 100.0, -24.0, 18.0);
    set_band(eq, 4, BandType::Peak, 1000.0, 24.0, 18.0);
    set_band(eq, 5, BandType::Peak, 3000.0, 24.0, 0.1);
    set_band(eq, 6, BandType::HighShelf, 5000.0, -24.0, 18.0);
    set_band(eq, 7, BandType::LowPass, 200.0, 0.0, 18.0);
    set_band(eq, 8, BandType::HighShelf, 12000.0, 24.0, 18.0);
}

#[test]
fn impulse_decays_to_exact_zero_within_ten_seconds() {
    for &fs in &[48000.0f32, 192000.0] {
        let mut eq = ParametricEq::new(fs, 128).unwrap();
        decaying_settings(&mut eq);
        eq.reset();
        let mut l = [0.0f32; 128];
        let mut r = [0.0f32; 128];
        l[0] = 1.0;
        r[0] = -1.0;
        let blocks = (10.0 * fs) as usize / 128;
        let mut quiet_at = None;
        for k in 0..blocks {
            eq.process(&mut l, &mut r);
            assert!(eq.state_is_clean());
            if k == 0 {
                assert!(l.iter().any(|v| v.abs() > 1e-3));
            }
            if quiet_at.is_none() && eq.is_quiet() {
                quiet_at = Some(k);
            }
            let worst = l.iter().chain(r.iter()).fold(0.0f32, |m, v| m.max(v.abs()));
            if let Some(q) = quiet_at {
                assert!(worst < QUIET, "{fs}: block {k}, quiet at {q}: {worst}");
            }
            if k + 1 < blocks {
                l = [0.0; 128];
                r = [0.0; 128];
            }
        }
        assert!(l.iter().chain(r.iter()).all(|v| *v == 0.0));
        assert!(eq.state_is_silent(), "{fs}");
        assert!(quiet_at.is_some());
    }
}

#[test]
fn hostile_input_never_yields_nan_inf_or_subnormal() {
    let mut eq = ParametricEq::new(44100.0, 512).unwrap();
    decaying_settings(&mut eq);
    let mut rng = Rng(99);
    let specials = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        -f32::MAX,
        1e30,
        1e-40,
        -1e-39,
        f32::MIN_POSITIVE,
        0.0,
    ];
    for block in 0..400 {
        let len = 1 + (rng.next() % 512) as usize;
        let mut l: Vec<f32> = (0..len).map(|_| rng.range(-1.0, 1.0)).collect();
        let mut r = l.clone();
        if block % 3 == 0 {
            for _ in 0..4 {
                let i = (rng.next() as usize) % len;
                l[i] = specials[(rng.next() % specials.len() as u64) as usize];
                let j = (rng.next() as usize) % len;
                r[j] = specials[(rng.next() % specials.len() as u64) as usize];
            }
        }
        if block % 5 == 0 {
            let p = (rng.next() % PARAMS.len() as u64) as usize;
            let spec = &PARAMS[p];
            eq.set(p, rng.range(spec.min, spec.max));
        }
        eq.process(&mut l, &mut r);
        for v in l.iter().chain(r.iter()) {
            assert!(*v == 0.0 || v.is_normal(), "block {block}: {v}");
        }
        assert!(eq.state_is_clean());
    }
    // Out-of-range indices and non-finite values are ignored.
    eq.set(1000, 1.0);
    eq.set(idx(1, ROW_HZ), f32::NAN);
    assert_eq!(eq.get(1000), 0.0);
    assert!(eq.get(idx(1, ROW_HZ)).is_finite());
    // After the storm, ordinary input gives ordinary output.
    eq.reset();
    let mut l = vec![0.25f32; 4096];
    let mut r = l.clone();
    eq.process(&mut l, &mut r);
    assert!(l.iter().chain(r.iter()).all(|v| v.is_finite()));
    assert!(l.iter().any(|v| *v != 0.0));
}

/// Renders `x` with the parameter `events` (frame, row, value) applied
/// between blocks, splitting blocks at every event and wherever `split`
/// says.
fn render_split(
    x: &[f32],
    events: &[(usize, usize, f32)],
    mut split: impl FnMut() -> usize,
) -> (Vec<f32>, Vec<f32>) {
    let mut eq = ParametricEq::new(48000.0, 4096).unwrap();
    let mut l = x.to_vec();
    let mut r: Vec<f32> = x.iter().map(|v| -0.5 * v).collect();
    let mut pos = 0;
    let mut ev = 0;
    while pos < x.len() {
        while ev < events.len() && events[ev].0 == pos {
            eq.set(events[ev].1, events[ev].2);
            ev += 1;
        }
        let next_event = events.get(ev).map_or(x.len(), |e| e.0);
        let end = pos
            .saturating_add(split().max(1))
            .min(next_event)
            .min(x.len());
        let (lb, rb) = (&mut l[pos..end], &mut r[pos..end]);
        eq.process(lb, rb);
        pos = end;
    }
    (l, r)
}

#[test]
fn block_splits_give_bit_identical_output() {
    let mut rng = Rng(5);
    let x: Vec<f32> = (0..48000).map(|_| rng.range(-0.5, 0.5)).collect();
    let events = [
        (0, idx(1, ROW_TYPE), 1.0),
        (0, idx(1, ROW_GAIN_DB), 9.0),
        (0, idx(2, ROW_TYPE), 4.0),
        (0, idx(2, ROW_HZ), 8000.0),
        (1000, idx(1, ROW_HZ), 3000.0),
        (1003, idx(1, ROW_Q), 6.0),
        (5000, idx(2, ROW_TYPE), 5.0),
        (5000, idx(3, ROW_TYPE), 2.0),
        (7777, idx(3, ROW_GAIN_DB), -12.0),
        (9000, idx(1, ROW_TYPE), 0.0),
        (9100, idx(1, ROW_TYPE), 3.0),
        (12001, idx(8, ROW_TYPE), 1.0),
        (12001, idx(8, ROW_GAIN_DB), 24.0),
        (20000, idx(2, ROW_HZ), 20.0),
        (30000, idx(3, ROW_TYPE), 0.0),
    ];
    let whole = render_split(&x, &events, || usize::MAX);
    for seed in 1..6u64 {
        let mut r = Rng(seed * 7919);
        let split = render_split(&x, &events, || 1 + (r.next() % 300) as usize);
        assert!(whole.0 == split.0 && whole.1 == split.1, "seed {seed}");
    }
    let quanta = render_split(&x, &events, || 128);
    assert!(whole.0 == quanta.0 && whole.1 == quanta.1);
    assert!(whole.0 != x);
}

#[test]
fn ramps_land_exactly_on_the_designed_target() {
    let fs = 48000.0;
    let mut eq = ParametricEq::new(fs, 128).unwrap();
    set_band(&mut eq, 2, BandType::Peak, 1000.0, 6.0, 1.0);
    let mut l = vec![0.1f32; 4800];
    let mut r = l.clone();
    eq.process(&mut l, &mut r);
    eq.set(idx(2, ROW_HZ), 3000.0);
    eq.set(idx(2, ROW_GAIN_DB), -6.0);
    eq.set(idx(2, ROW_Q), 4.0);
    eq.process(&mut l, &mut r);
    let want = SvfCoefs::design(BandType::Peak, fs as f64, 3000.0, 4.0, -6.0);
    assert_eq!(eq.coefs(1), want);
    assert_eq!(eq.active_bands(), 1);
    eq.set(idx(2, ROW_TYPE), 0.0);
    eq.process(&mut l, &mut r);
    assert_eq!(eq.active_bands(), 0);
    assert!(eq.state_is_silent());
}

#[test]
fn eight_boosted_narrow_peaks_become_quiet_within_ten_seconds() {
    // Every band a +18 dB, Q 18 peak at its default frequency: the 60 Hz
    // band rings with a 0.27 s time constant.
    for &fs in &[22050.0f32, 48000.0, 192000.0] {
        let mut eq = ParametricEq::new(fs, 512).unwrap();
        for b in 1..=BANDS {
            set_band(&mut eq, b, BandType::Peak, DEFAULT_HZ[b - 1], 18.0, 18.0);
        }
        eq.reset();
        let (mut l, mut r) = (vec![0.0f32; 512], vec![0.0f32; 512]);
        l[0] = 1.0;
        r[0] = 1.0;
        let mut quiet_at = None;
        let mut k = 0;
        while k < (10.0 * fs) as usize / 512 {
            eq.process(&mut l, &mut r);
            if let Some(q) = quiet_at {
                let worst = l.iter().chain(r.iter()).fold(0.0f32, |m, v| m.max(v.abs()));
                assert!(worst < QUIET, "{fs}: {worst} after quiet at {q}");
            } else if eq.is_quiet() {
                quiet_at = Some(k);
            }
            l.iter_mut().chain(r.iter_mut()).for_each(|v| *v = 0.0);
            k += 1;
        }
        let t = quiet_at.map(|q| q as f32 * 512.0 / fs);
        assert!(t.map_or(false, |t| t < 9.0), "{fs}: quiet at {t:?} s");
    }
}

#[test]
fn is_quiet_only_once_the_tail_is_below_minus_120_db() {
    let mut rng = Rng(1234);
    for trial in 0..40 {
        let fs = [44100.0f32, 48000.0, 96000.0][trial % 3];
        let mut eq = ParametricEq::new(fs, 128).unwrap();
        for b in 1..=BANDS {
            let kind = BandType::from_value((rng.next() % 6) as f32);
            let hz = 2f32.powf(rng.range(20f32.log2(), 20000f32.log2()));
            set_band(
                &mut eq,
                b,
                kind,
                hz,
                rng.range(-24.0, 24.0),
                rng.range(0.1, 6.0),
            );
        }
        eq.reset();
        let mut quiet_at = None;
        for k in 0..(6.0 * fs) as usize / 128 {
            let (mut l, mut r) = ([0.0f32; 128], [0.0f32; 128]);
            if k < 40 {
                for (a, b) in l.iter_mut().zip(r.iter_mut()) {
                    *a = rng.range(-1.0, 1.0);
                    *b = rng.range(-1.0, 1.0);
                }
            }
            eq.process(&mut l, &mut r);
            if k >= 40 {
                if let Some(q) = quiet_at {
                    let worst = l.iter().chain(r.iter()).fold(0.0f32, |m, v| m.max(v.abs()));
                    assert!(worst < QUIET, "trial {trial}: {worst} after quiet at {q}");
                } else if eq.is_quiet() {
                    quiet_at = Some(k);
                }
            }
        }
    }
}
