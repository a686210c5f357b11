use crate::common::xorshift_noise;
use dawg_dsp::math::db_to_gain;
use dawg_dsp::smooth::{steps_for_ms, Linear};
use dawg_dsp::units::limiter::*;

const SR: f32 = 48000.0;

fn limiter(ceiling_db: f32, release_ms: f32, lookahead_ms: f32) -> Limiter {
    let mut lim = Limiter::new(SR).unwrap();
    lim.set(CEILING_DB, ceiling_db);
    lim.set(RELEASE_MS, release_ms);
    lim.set(LOOKAHEAD_MS, lookahead_ms);
    lim.reset();
    lim
}

fn render(lim: &mut Limiter, l: &[f32], r: &[f32], block: usize) -> (Vec<f32>, Vec<f32>) {
    let (mut l, mut r) = (l.to_vec(), r.to_vec());
    for (a, b) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
        lim.process(a, b);
    }
    (l, r)
}

fn hostile_signals() -> Vec<(&'static str, Vec<f32>, Vec<f32>)> {
    let len = 12000;
    let square = |period: usize, amp: f32| -> Vec<f32> {
        (0..len)
            .map(|i| {
                if (i / (period / 2)) % 2 == 0 {
                    amp
                } else {
                    -amp
                }
            })
            .collect()
    };
    let impulses: Vec<f32> = (0..len)
        .map(|i| if i % 997 == 5 { 1.0 } else { 0.0 })
        .collect();
    let alternating: Vec<f32> = (0..len)
        .map(|i| if i % 2 == 0 { 3e38 } else { -3e38 })
        .collect();
    let bursts: Vec<f32> = (0..len)
        .map(|i| if (i / 300) % 2 == 0 { 3e38 } else { 1e-3 })
        .collect();
    vec![
        ("square 1 kHz full scale", square(48, 1.0), square(48, -1.0)),
        (
            "square 20 Hz full scale",
            square(2400, 1.0),
            square(2400, 1.0),
        ),
        ("impulses", impulses.clone(), vec![0.0; len]),
        ("3e38", vec![3e38; len], vec![-3e38; len]),
        ("alternating 3e38", alternating.clone(), alternating),
        ("bursts of 3e38", bursts.clone(), bursts),
        (
            "noise +40 dB",
            xorshift_noise(len, 3, 100.0),
            xorshift_noise(len, 4, 100.0),
        ),
        (
            "noise +40 dB left only",
            xorshift_noise(len, 5, 100.0),
            vec![0.0; len],
        ),
    ]
}

#[test]
fn output_never_exceeds_the_ceiling_and_the_clamp_never_engages() {
    for (name, l, r) in hostile_signals() {
        for ceiling_db in [0.0f32, -0.3, -24.0] {
            for (release, lookahead) in [(1.0, 0.0), (100.0, 2.0), (1000.0, 5.0), (5.0, 0.1)] {
                let mut lim = limiter(ceiling_db, release, lookahead);
                let c = db_to_gain(ceiling_db as f64) as f32;
                let (yl, yr) = render(&mut lim, &l, &r, 128);
                let peak = yl.iter().chain(&yr).fold(0.0f32, |m, v| m.max(v.abs()));
                assert!(peak <= c, "{name} {ceiling_db} dB: peak {peak} > {c}");
                assert!(yl.iter().chain(&yr).all(|v| v.is_finite()));
                assert_eq!(
                    lim.clamp_count(),
                    0,
                    "{name} {ceiling_db} {release} {lookahead}"
                );
            }
        }
    }
}

#[test]
fn non_finite_input_is_treated_as_silence() {
    let mut lim = limiter(-1.0, 50.0, 2.0);
    let l: Vec<f32> = (0..2000)
        .map(|i| [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e-39, 0.5][i % 5])
        .collect();
    let (yl, yr) = render(&mut lim, &l, &l, 64);
    for v in yl.iter().chain(&yr) {
        assert!(*v == 0.0 || v.is_normal());
    }
}

/// The ceiling trajectory the limiter follows, computed by ticking the
/// same smoother in step.
#[test]
fn ceiling_ramps_are_never_exceeded() {
    let len = 48000;
    let l = xorshift_noise(len, 7, 4.0);
    let r = xorshift_noise(len, 8, 3.0);
    let changes: Vec<(usize, f32)> = (1..24)
        .map(|k| {
            (
                k * 2000 + (k * 37) % 500,
                [-24.0, 0.0, -6.0, -0.3, -18.0, -12.0][k % 6],
            )
        })
        .collect();
    for lookahead in [0.0, 2.0, 5.0] {
        let mut lim = limiter(-3.0, 20.0, lookahead);
        let mut c = Linear::new(db_to_gain(-3.0) as f32);
        let steps = steps_for_ms(CEILING_SMOOTHING_MS, SR);
        let lat = lim.latency_frames();
        let (mut out, mut ceilings) = (Vec::new(), Vec::new());
        let mut start = 0;
        for (at, db) in changes.iter().copied().chain([(len, 0.0)]) {
            let (a, b) = render(&mut lim, &l[start..at], &r[start..at], 100);
            for (x, y) in a.iter().zip(&b) {
                out.push(x.abs().max(y.abs()));
                ceilings.push(c.tick());
            }
            lim.set(CEILING_DB, db);
            c.set_target(db_to_gain(db as f64) as f32, steps);
            start = at;
        }
        for n in 0..len {
            // Under the ceiling in force now and the one in force when the
            // sample entered.
            let bound = ceilings[n].min(ceilings[n.saturating_sub(lat)]);
            assert!(
                out[n] <= bound,
                "lookahead {lookahead}: frame {n}: {} > {bound}",
                out[n]
            );
        }
        // The clamp only catches samples already in flight when a ramp down starts.
        let downs = changes.len() as u64;
        assert!(
            lim.clamp_count() <= 2 * downs * lat as u64,
            "{}",
            lim.clamp_count()
        );
    }
}

/// Noise (seeds `seeds`, left 10× louder) through a limiter at −6 dB, 30 ms
/// release and `lookahead_ms`, in calls of `block` frames, with `change`
/// applied after each of 13 stretches of `stretch` frames; the output stays
/// under the ceiling and the final clamp never engages. Returns the output.
fn limit_with_changes(
    seeds: (u32, u32),
    lookahead_ms: f32,
    stretch: usize,
    block: usize,
    change: &dyn Fn(&mut Limiter, usize),
) -> Vec<(f32, f32)> {
    let len = 30000;
    let l = xorshift_noise(len, seeds.0, 10.0);
    let r = xorshift_noise(len, seeds.1, 1.0);
    let mut lim = limiter(-6.0, 30.0, lookahead_ms);
    let c = db_to_gain(-6.0) as f32;
    let mut out = Vec::new();
    let mut start = 0;
    for (k, at) in (1..14).map(|k| (k, k * stretch)) {
        let (a, b) = render(&mut lim, &l[start..at], &r[start..at], block);
        out.extend(a.iter().zip(&b).map(|(x, y)| (*x, *y)));
        change(&mut lim, k);
        start = at;
    }
    let (a, b) = render(&mut lim, &l[start..], &r[start..], block);
    out.extend(a.iter().zip(&b).map(|(x, y)| (*x, *y)));
    assert!(out.iter().all(|(x, y)| x.abs() <= c && y.abs() <= c));
    assert_eq!(lim.clamp_count(), 0);
    out
}

/// [`limit_with_changes`] gives the same output in calls of 1, 128 and
/// 4096 frames.
fn assert_block_splits_agree(
    seeds: (u32, u32),
    lookahead_ms: f32,
    stretch: usize,
    change: &dyn Fn(&mut Limiter, usize),
) {
    let reference = limit_with_changes(seeds, lookahead_ms, stretch, 1, change);
    for block in [128, 4096] {
        assert_eq!(
            limit_with_changes(seeds, lookahead_ms, stretch, block, change),
            reference
        );
    }
}

#[test]
fn lookahead_changes_crossfade_and_stay_under_the_ceiling() {
    // Includes changes during a running crossfade (5 ms = 240 frames).
    let change =
        |lim: &mut Limiter, k: usize| lim.set(LOOKAHEAD_MS, [0.0, 5.0, 1.3, 0.02, 4.9][k % 5]);
    assert_block_splits_agree((9, 10), 2.0, 2013, &change);
}

#[test]
fn below_the_ceiling_the_output_is_the_input_delayed() {
    let len = 20000;
    let l = xorshift_noise(len, 11, 0.95);
    let r = xorshift_noise(len, 12, 0.5);
    for lookahead in [0.0, 2.0, 5.0] {
        let mut lim = limiter(-0.3, 100.0, lookahead);
        let lat = lim.latency_frames();
        assert_eq!(lat, (lookahead * 48.0).round() as usize);
        let (yl, yr) = render(&mut lim, &l, &r, 128);
        assert!(yl[..lat].iter().all(|v| *v == 0.0));
        assert_eq!(&yl[lat..], &l[..len - lat]);
        assert_eq!(&yr[lat..], &r[..len - lat]);
    }
}

#[test]
fn block_splits_give_bit_identical_output() {
    let len = 20000;
    let l = xorshift_noise(len, 13, 6.0);
    let r = xorshift_noise(len, 14, 2.0);
    let run = |block: usize| {
        let mut lim = limiter(-1.0, 50.0, 3.0);
        let (mut a, mut b) = render(&mut lim, &l[..9600], &r[..9600], block);
        lim.set(CEILING_DB, -9.0);
        lim.set(RELEASE_MS, 7.0);
        let (c, d) = render(&mut lim, &l[9600..], &r[9600..], block);
        a.extend(c);
        b.extend(d);
        (a, b)
    };
    let reference = run(9600);
    for block in [1, 17, 64, 128, 512] {
        assert_eq!(run(block), reference, "block {block}");
    }
}

#[test]
fn impulse_then_ten_seconds_of_silence_is_exact_zero() {
    for sr in [22050.0f32, 48000.0, 192000.0] {
        let mut lim = Limiter::new(sr).unwrap();
        // 500 ms: the gain is back at exactly 1 after 17 time constants.
        lim.set(CEILING_DB, -24.0);
        lim.set(RELEASE_MS, 500.0);
        lim.reset();
        let len = (10.0 * sr) as usize;
        let mut l = vec![0.0f32; len];
        l[0] = 1.0;
        let r = l.clone();
        let (yl, yr) = render(&mut lim, &l, &r, 128);
        let lat = lim.latency_frames();
        assert!(yl[lat] > 0.0 && yl[lat] <= db_to_gain(-24.0) as f32);
        assert!(yl[lat + 1..]
            .iter()
            .chain(&yr[lat + 1..])
            .all(|v| *v == 0.0));
        assert!(lim.state_is_at_rest());
        assert!(lim.is_quiet());
    }
}

#[test]
fn gain_recovers_with_the_release_time_constant() {
    // One frame at +20 dB over the ceiling, then a quiet tone: the gain
    // reduction decays as exp(−t/τ) once the peak has left the window.
    let release_ms = 50.0;
    let mut lim = limiter(0.0, release_ms, 0.0);
    let mut x = vec![0.0f32; 48000];
    x[0] = 10.0;
    let _ = render(&mut lim, &x[..1], &x[..1], 1);
    let tau = (release_ms * 48.0) as usize;
    let mut gains = Vec::new();
    for _ in 0..4 * tau {
        let _ = render(&mut lim, &[0.0], &[0.0], 1);
        gains.push(lim.gain() as f64);
    }
    let reduction0 = 1.0 - 0.1;
    for (t, g) in gains.iter().enumerate().step_by(97) {
        let want = 1.0 - reduction0 * (-((t + 1) as f64) / tau as f64).exp();
        assert!((g - want).abs() < 2e-4, "t={t}: {g} vs {want}");
    }
}

#[test]
fn true_peak_mode_switches_crossfade_and_stay_under_the_sample_ceiling() {
    // Mode and lookahead changes, some during a running crossfade.
    let change = |lim: &mut Limiter, k: usize| {
        lim.set(TRUE_PEAK, (k % 2) as f32);
        if k % 3 == 0 {
            lim.set(LOOKAHEAD_MS, [0.0, 5.0, 1.3][(k / 3) % 3]);
        }
    };
    assert_block_splits_agree((21, 22), 0.5, 2017, &change);
}

#[test]
fn true_peak_mode_latency_is_the_lookahead_and_at_least_48_frames() {
    for (lookahead_ms, want) in [(0.0, 48), (0.5, 48), (2.0, 96), (5.0, 240)] {
        let mut lim = limiter(-0.3, 100.0, lookahead_ms);
        lim.set(TRUE_PEAK, 1.0);
        lim.reset();
        assert_eq!(lim.get(TRUE_PEAK), 1.0);
        assert_eq!(lim.latency_frames(), want);
        assert_eq!(TRUE_PEAK_MIN_LATENCY, 48);
        // Below the ceiling, true peaks included, the output is the input
        // delayed, bit for bit.
        let x = xorshift_noise(4000, 3, 0.25);
        let (y, _) = render(&mut lim, &x, &x, 128);
        assert!(y[..want].iter().all(|v| *v == 0.0));
        assert_eq!(&y[want..], &x[..4000 - want]);
    }
}
