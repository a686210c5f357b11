use crate::common::{hostile_stereo, lcg_noise};
use dawg_dsp::units::reverb::*;

fn run(u: &mut Reverb, l: &mut [f32], r: &mut [f32], block: usize) {
    for (a, b) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
        u.process(a, b);
    }
}

#[test]
fn impulse_tail_ends_in_exact_zero() {
    for sr in [8000.0f32, 22050.0, 48000.0, 192000.0, 384000.0] {
        let mut u = Reverb::new(sr, 128).unwrap();
        let n = (sr * 10.0) as usize + 1;
        let mut l = vec![0.0f32; n];
        let mut r = vec![0.0f32; n];
        l[0] = 1.0;
        r[0] = 1.0;
        run(&mut u, &mut l, &mut r, 128);
        let nz = l.iter().rposition(|v| *v != 0.0);
        assert!(nz.is_some() && nz < Some(n - 1));
        assert_eq!(l[n - 1], 0.0);
        assert_eq!(r[n - 1], 0.0);
        assert!(u.state_is_silent(), "sr {sr}");
        assert!(u.is_quiet());
    }
}

#[test]
fn hostile_input_never_leaves_nan_or_subnormals() {
    for algorithm in [ALGORITHM_DENSE, ALGORITHM_FREEVERB] {
        let mut u = Reverb::new(44100.0, 128).unwrap();
        u.set(Reverb::ALGORITHM, algorithm);
        u.set(Reverb::SIZE, 1.0);
        u.set(Reverb::DAMPING, 0.0);
        u.set(Reverb::MIX, 1.0);
        let (mut l, mut r) = hostile_stereo(20000);
        u.set(Reverb::PREDELAY_MS, 150.0);
        run(&mut u, &mut l, &mut r, 97);
        assert!(l.iter().chain(&r).all(|v| *v == 0.0 || v.is_normal()));
        assert!(u.state_is_clean());
    }
}

#[test]
fn block_split_does_not_change_output() {
    let x = lcg_noise(30000, 5);
    let y = lcg_noise(30000, 6);
    let render = |sizes: &[usize]| {
        let mut u = Reverb::new(48000.0, 512).unwrap();
        let (mut l, mut r) = (x.clone(), y.clone());
        let mut k = 0;
        let len = l.len();
        // Then a switch to Freeverb (crossfade), back to dense during the
        // fade, and to Freeverb again from rest.
        for (seg, (a, b)) in [(0, 12288), (12288, 13000), (13000, 20000), (20000, len)]
            .into_iter()
            .enumerate()
        {
            let mut i = a;
            while i < b {
                let n = sizes[k % sizes.len()].min(b - i);
                u.process(&mut l[i..i + n], &mut r[i..i + n]);
                i += n;
                k += 1;
            }
            if seg == 0 {
                u.set(Reverb::SIZE, 0.95);
                u.set(Reverb::DAMPING, 0.1);
                u.set(Reverb::WIDTH, 0.3);
                u.set(Reverb::PREDELAY_MS, 37.3);
                u.set(Reverb::MIX, 0.8);
            }
            let algorithm = [ALGORITHM_FREEVERB, ALGORITHM_DENSE, ALGORITHM_FREEVERB, 0.0][seg];
            u.set(Reverb::ALGORITHM, algorithm);
        }
        (l, r)
    };
    let a = render(&[128]);
    assert!(a == render(&[1, 7, 64, 56, 512, 3, 65]));
    assert!(a == render(&[4096]));
}

#[test]
fn quiet_after_the_tail_and_reset_leaves_zeros() {
    let mut u = Reverb::new(48000.0, 128).unwrap();
    assert!(u.is_quiet());
    let mut l = lcg_noise(4800, 9);
    let mut r = lcg_noise(4800, 10);
    run(&mut u, &mut l, &mut r, 128);
    assert!(!u.is_quiet());
    let mut probe = u.clone();
    probe.reset();
    assert!(probe.state_is_silent());
    assert!(probe.is_quiet());
    let mut frames = 0;
    let (mut l, mut r) = (vec![0.0f32; 128], vec![0.0f32; 128]);
    while !u.is_quiet() {
        l.iter_mut().chain(r.iter_mut()).for_each(|v| *v = 0.0);
        u.process(&mut l, &mut r);
        frames += 128;
        assert!(frames < 48000 * 30);
    }
    assert!(frames > 48000, "quiet only after the tail died down");
    assert!(u.state_is_silent());
}

#[test]
fn width_zero_gives_identical_sides() {
    let mut u = Reverb::new(48000.0, 128).unwrap();
    u.set(Reverb::WIDTH, 0.0);
    u.set(Reverb::MIX, 1.0);
    let mut l = lcg_noise(20000, 1);
    let mut r = lcg_noise(20000, 2);
    run(&mut u, &mut l, &mut r, 128);
    assert!(l == r);
    assert!(l.iter().any(|v| *v != 0.0));
}

#[test]
fn size_lengthens_the_decay() {
    let energy_late = |size: f32| {
        let mut u = Reverb::new(48000.0, 128).unwrap();
        u.set(Reverb::SIZE, size);
        u.set(Reverb::MIX, 1.0);
        let mut l = vec![0.0f32; 96000];
        let mut r = vec![0.0f32; 96000];
        l[0] = 1.0;
        run(&mut u, &mut l, &mut r, 128);
        l[48000..].iter().map(|v| (*v as f64).powi(2)).sum::<f64>()
    };
    let e = [0.2, 0.5, 0.8, 1.0].map(energy_late);
    assert!(e[0] < e[1] && e[1] < e[2] && e[2] < e[3], "{e:?}");
}
