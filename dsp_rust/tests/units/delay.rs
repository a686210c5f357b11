use crate::common::{hostile_stereo, lcg_noise};
use dawg_dsp::config::QUIET;
use dawg_dsp::units::delay::*;

fn run(d: &mut Delay, l: &mut [f32], r: &mut [f32], block: usize) {
    for (a, b) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
        d.process(a, b);
    }
}

#[test]
fn echo_lands_at_the_delay_time_in_frames() {
    let mut d = Delay::new(48000.0, 128).unwrap();
    d.set(Delay::TIME_MS, 250.0);
    d.set(Delay::MIX, 1.0);
    let mut l = vec![0.0f32; 30000];
    let mut r = vec![0.0f32; 30000];
    l[0] = 1.0;
    r[0] = 0.5;
    run(&mut d, &mut l, &mut r, 128);
    assert_eq!(l.iter().position(|v| *v != 0.0), Some(12000));
    assert_eq!(l[12000], 1.0);
    assert_eq!(r[12000], 0.5);
    assert_eq!(l[12001..24000].iter().filter(|v| **v != 0.0).count(), 0);
    assert!(l[24000] > 0.0, "the second echo starts one delay later");
}

#[test]
fn sync_follows_the_tempo() {
    let mut d = Delay::new(48000.0, 128).unwrap();
    d.set(Delay::SYNC, 1.0);
    assert_eq!(d.delay_frames(), 24000.0);
    d.set_tempo_bpm(90.0);
    assert_eq!(d.delay_frames(), 32000.0);
    d.set(Delay::SYNC, 3.0);
    assert_eq!(d.delay_frames(), 24000.0);
    d.set_tempo_bpm(5.0);
    d.set(Delay::SYNC, 6.0);
    assert_eq!(d.delay_frames(), 288000.0);
    d.set_tempo_bpm(120.0);
    d.set(Delay::SYNC, 0.0);
    assert_eq!(d.delay_frames(), 18000.0);
}

#[test]
fn hostile_input_never_leaves_nan_or_subnormals() {
    let mut d = Delay::new(44100.0, 128).unwrap();
    d.set(Delay::FEEDBACK, 0.95);
    d.set(Delay::TIME_MS, 1.0);
    d.set(Delay::PING_PONG, 1.0);
    d.set(Delay::DAMPING_HZ, 20000.0);
    let (mut l, mut r) = hostile_stereo(20000);
    d.set(Delay::TIME_MS, 700.0);
    run(&mut d, &mut l, &mut r, 97);
    assert!(l.iter().chain(&r).all(|v| *v == 0.0 || v.is_normal()));
    assert!(d.state_is_clean());
}

#[test]
fn block_split_does_not_change_output() {
    let x = lcg_noise(40000, 3);
    let y = lcg_noise(40000, 4);
    let render = |sizes: &[usize]| {
        let mut d = Delay::new(48000.0, 512).unwrap();
        d.set(Delay::FEEDBACK, 0.7);
        d.set(Delay::TIME_MS, 33.3);
        let (mut l, mut r) = (x.clone(), y.clone());
        let mut k = 0;
        for (a, b) in [(0, 12288), (12288, l.len())] {
            let mut i = a;
            while i < b {
                let n = sizes[k % sizes.len()].min(b - i);
                d.process(&mut l[i..i + n], &mut r[i..i + n]);
                i += n;
                k += 1;
            }
            d.set(Delay::PING_PONG, 1.0);
            d.set(Delay::TIME_MS, 51.7);
            d.set(Delay::DAMPING_HZ, 1200.0);
            d.set(Delay::MIX, 0.8);
        }
        (l, r)
    };
    let a = render(&[128]);
    assert!(a == render(&[1, 7, 64, 56, 512, 3]));
    assert!(a == render(&[4096]));
}

#[test]
fn quiet_after_the_tail_and_reset_leaves_zeros() {
    let mut d = Delay::new(48000.0, 128).unwrap();
    assert!(d.is_quiet());
    d.set(Delay::FEEDBACK, 0.5);
    let mut l = lcg_noise(4800, 9);
    let mut r = lcg_noise(4800, 10);
    run(&mut d, &mut l, &mut r, 128);
    assert!(!d.is_quiet());
    let mut frames = 0;
    let (mut l, mut r) = (vec![0.0f32; 128], vec![0.0f32; 128]);
    while !d.is_quiet() {
        l.iter_mut().chain(r.iter_mut()).for_each(|v| *v = 0.0);
        d.process(&mut l, &mut r);
        frames += 128;
        assert!(frames < 48000 * 30);
    }
    assert!(frames > 18000, "quiet only after the echoes died down");
    let mut l = vec![0.0f32; 96000];
    let mut r = vec![0.0f32; 96000];
    let mut copy = d.clone();
    copy.process(&mut l, &mut r);
    assert!(l.iter().chain(&r).all(|v| v.abs() < QUIET));
    d.reset();
    assert!(d.state_is_silent());
    assert!(d.is_quiet());
}

#[test]
fn time_change_glides_without_a_jump() {
    let mut d = Delay::new(48000.0, 128).unwrap();
    d.set(Delay::MIX, 1.0);
    d.set(Delay::FEEDBACK, 0.0);
    let n = 96000;
    let sine: Vec<f32> = (0..n)
        .map(|i| (i as f32 * 2.0 * core::f32::consts::PI * 220.0 / 48000.0).sin() * 0.5)
        .collect();
    let (mut l, mut r) = (sine.clone(), sine.clone());
    d.process(&mut l[..24000], &mut r[..24000]);
    d.set(Delay::TIME_MS, 600.0);
    d.process(&mut l[24000..], &mut r[24000..]);
    let max_step = l[20000..]
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0f32, f32::max);
    // A 220 Hz sine of amplitude 0.5 moves at most 0.0144 per frame; the
    // read head runs at most 1.5x as fast during the glide.
    assert!(max_step < 0.0144 * 1.5 + 1e-3, "max step {max_step}");
    assert!((d.delay_frames() - 28800.0).abs() < 1.0);
}

#[test]
fn ping_pong_alternates_sides() {
    let mut d = Delay::new(48000.0, 128).unwrap();
    d.set(Delay::TIME_MS, 100.0);
    d.set(Delay::PING_PONG, 1.0);
    d.set(Delay::MIX, 1.0);
    d.set(Delay::FEEDBACK, 0.5);
    let mut l = vec![0.0f32; 20000];
    let mut r = vec![0.0f32; 20000];
    l[0] = 1.0;
    r[0] = 1.0;
    run(&mut d, &mut l, &mut r, 128);
    let energy = |x: &[f32], k: usize| {
        x[k * 4800..k * 4800 + 4800]
            .iter()
            .map(|v| v * v)
            .sum::<f32>()
    };
    assert!(energy(&l, 1) > 0.9 && energy(&r, 1) == 0.0);
    assert!(energy(&r, 2) > 0.01 && energy(&l, 2) == 0.0);
    assert!(energy(&l, 3) > 0.001 && energy(&r, 3) == 0.0);
}
