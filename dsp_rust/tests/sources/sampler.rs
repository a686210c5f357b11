use dawg_dsp::config::ConfigError;
use dawg_dsp::math::db_to_gain;
use dawg_dsp::smooth::steps_for_ms;
use dawg_dsp::sources::bank::SampleBank;
use dawg_dsp::sources::resample::kernel_value;
use dawg_dsp::sources::sampler::*;
use dawg_dsp::spec::Scope;

const SR: f32 = 48000.0;

/// A bank holding one mono sample of `data` recorded at `sr`.
fn bank_with(data: &[f32], sr: f32) -> SampleBank {
    let mut b = SampleBank::new();
    let id = b.add(data.len(), 1, sr).unwrap();
    b.data_mut(id).unwrap().copy_from_slice(data);
    b.sanitize(id);
    b
}

fn ramp_data(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i as f32) * 0.37).sin() * 0.5 + 0.1)
        .collect()
}

fn render(s: &mut Sampler, bank: &SampleBank, n: usize, block: usize) -> (Vec<f32>, Vec<f32>) {
    let (mut l, mut r) = (vec![0.0; n], vec![0.0; n]);
    let mut i = 0;
    while i < n {
        let m = block.min(n - i);
        s.render(bank, &mut l[i..i + m], &mut r[i..i + m]);
        i += m;
    }
    (l, r)
}

fn onset_steps() -> usize {
    steps_for_ms(MIN_ONSET_MS, SR) as usize
}

#[test]
fn params_are_well_formed() {
    for (i, p) in PARAMS.iter().enumerate() {
        assert!(p.name.starts_with("sampler_"), "{}", p.name);
        assert_eq!(p.scope, Scope::Sampler);
        assert!(p.min <= p.default && p.default <= p.max, "{}", p.name);
        assert!(!p.doc.is_empty());
        for q in PARAMS.iter().skip(i + 1) {
            assert_ne!(p.name, q.name);
        }
    }
    let s = Sampler::new(SR, 128).unwrap();
    for (i, p) in PARAMS.iter().enumerate() {
        assert_eq!(s.get(i), p.default);
    }
    assert_eq!(s.get(PARAM_COUNT), 0.0);
}

#[test]
fn new_rejects_bad_configuration() {
    assert_eq!(Sampler::new(0.0, 128).unwrap_err(), ConfigError::SampleRate);
    assert_eq!(
        Sampler::new(f32::NAN, 128).unwrap_err(),
        ConfigError::SampleRate
    );
    assert_eq!(Sampler::new(SR, 0).unwrap_err(), ConfigError::Quantum);
}

#[test]
fn root_note_plays_the_sample_bit_exactly_after_the_onset_ramp() {
    let data = ramp_data(1000);
    let bank = bank_with(&data, SR);
    let mut s = Sampler::new(SR, 128).unwrap();
    s.note_on(60, 1.0);
    let (l, r) = render(&mut s, &bank, 1200, 128);
    let a = onset_steps();
    assert_eq!(a, 24);
    for i in 0..a {
        let env = 1.0 - (1.0 / a as f32) * (a - 1 - i) as f32;
        assert!((l[i] - data[i] * env).abs() < 1e-6, "frame {i}");
    }
    assert_eq!(&l[a - 1..1000], &data[a - 1..]);
    assert_eq!(l, r);
    assert!(l[1000..].iter().all(|v| *v == 0.0));
    assert!(s.is_quiet());
}

#[test]
fn octave_up_reads_the_half_band_level_frame_by_frame() {
    // At rate exactly 2 the voice reads pyramid level 1 at whole frames,
    // where the kernel is 1 at its centre and 0 at every other tap.
    let data = ramp_data(1000);
    let bank = bank_with(&data, SR);
    let (level1, _) = bank.get(0).unwrap().level(1).unwrap();
    let mut s = Sampler::new(SR, 128).unwrap();
    s.note_on(72, 1.0);
    let (l, _) = render(&mut s, &bank, 600, 64);
    for k in onset_steps()..500 {
        assert_eq!(l[k], level1[k], "frame {k}");
    }
    assert!(l[500..].iter().all(|v| *v == 0.0));
}

#[test]
fn half_rate_sample_plays_whole_frames_exactly_and_windowed_sinc_between() {
    let data = ramp_data(100);
    let bank = bank_with(&data, 24000.0);
    let mut s = Sampler::new(SR, 128).unwrap();
    s.note_on(60, 1.0);
    let (l, _) = render(&mut s, &bank, 210, 17);
    for k in 30..99 {
        assert_eq!(l[2 * k], data[k]);
        // Halfway: the prototype kernel at half-integer offsets, in f64.
        let mid: f64 = (0..data.len())
            .map(|i| data[i] as f64 * kernel_value(i as f64 - k as f64 - 0.5))
            .sum();
        assert!(
            (l[2 * k + 1] as f64 - mid).abs() < 2e-6,
            "frame {}",
            2 * k + 1
        );
    }
    assert!(l[200..].iter().all(|v| *v == 0.0));
}

#[test]
fn tune_and_root_note_set_the_rate() {
    let data = ramp_data(4000);
    let bank = bank_with(&data, SR);
    let mut s = Sampler::new(SR, 128).unwrap();
    s.set(P_ROOT_NOTE, 48.0);
    s.set(P_TUNE_CENTS, -1200.0);
    s.note_on(60, 1.0);
    let (l, _) = render(&mut s, &bank, 600, 128);
    assert_eq!(&l[100..600], &data[100..600]);
}

#[test]
fn one_shot_ignores_note_off_and_sustained_mode_releases() {
    let data = vec![0.5f32; 48000];
    let bank = bank_with(&data, SR);
    let mut s = Sampler::new(SR, 128).unwrap();
    s.note_on(60, 1.0);
    render(&mut s, &bank, 1000, 128);
    s.note_off(60);
    let (l, _) = render(&mut s, &bank, 10_000, 128);
    assert!(l.iter().all(|v| *v == 0.5));

    let mut s = Sampler::new(SR, 128).unwrap();
    s.set(P_MODE, 1.0);
    s.set(P_RELEASE_MS, 10.0);
    s.note_on(60, 1.0);
    render(&mut s, &bank, 1000, 128);
    s.note_off(61);
    assert_eq!(s.active_voices(), 1);
    s.note_off(60);
    let (l, _) = render(&mut s, &bank, 1000, 128);
    assert!((l[0] - 0.5 * 479.0 / 480.0).abs() < 1e-6);
    assert!(l.windows(2).take(479).all(|w| w[1] < w[0]));
    assert_eq!(l[479], 0.0);
    assert!(l[480..].iter().all(|v| *v == 0.0));
    assert!(s.is_quiet());
}

#[test]
fn all_notes_off_releases_one_shots_too() {
    let bank = bank_with(&[0.5f32; 48000], SR);
    let mut s = Sampler::new(SR, 128).unwrap();
    s.note_on(60, 1.0);
    s.note_on(64, 1.0);
    render(&mut s, &bank, 100, 128);
    s.all_notes_off();
    let (l, _) = render(&mut s, &bank, 5000, 128);
    assert!(s.is_quiet());
    assert_eq!(l[2399], 0.0);
}

#[test]
fn a_burst_of_notes_never_overflows_the_slots() {
    let bank = bank_with(&[0.01f32; 4800], SR);
    let mut s = Sampler::new(SR, 128).unwrap();
    for _ in 0..500 {
        s.note_on(60, 0.5);
    }
    assert_eq!(s.active_voices(), 2 * VOICES);
    let (l, _) = render(&mut s, &bank, 512, 128);
    assert!(l.iter().all(|v| v.is_finite() && v.abs() < 0.2));
    assert_eq!(s.active_voices(), VOICES);
}

#[test]
fn choke_cuts_the_ringing_voice_with_a_short_fade() {
    let bank = bank_with(&[0.25f32; 48000], SR);
    let mut s = Sampler::new(SR, 128).unwrap();
    s.set(P_CHOKE, 1.0);
    s.note_on(60, 1.0);
    render(&mut s, &bank, 100, 128);
    s.note_on(60, 1.0);
    let (l, _) = render(&mut s, &bank, 200, 128);
    assert_eq!(s.active_voices(), 1);
    // Fade-out of the old voice plus fade-in of the new one: no jump.
    assert!(l.windows(2).all(|w| (w[1] - w[0]).abs() < 0.02));
    assert_eq!(l[150], 0.25);
}

#[test]
fn missing_sample_plays_silence() {
    let bank = bank_with(&ramp_data(100), SR);
    let mut s = Sampler::new(SR, 128).unwrap();
    s.set(P_SAMPLE, 7.0);
    s.note_on(60, 1.0);
    let (l, r) = render(&mut s, &bank, 256, 128);
    assert!(l.iter().chain(r.iter()).all(|v| *v == 0.0));
    assert!(s.is_quiet());
    let empty = SampleBank::new();
    s.set(P_SAMPLE, 0.0);
    s.note_on(60, 1.0);
    let (l, _) = render(&mut s, &empty, 256, 128);
    assert!(l.iter().all(|v| *v == 0.0));
}

#[test]
fn stereo_samples_keep_their_channels() {
    let mut bank = SampleBank::new();
    let id = bank.add(200, 2, SR).unwrap();
    let d = bank.data_mut(id).unwrap();
    for (i, v) in d.iter_mut().enumerate() {
        *v = if i < 200 { 0.5 } else { -0.25 };
    }
    let mut s = Sampler::new(SR, 128).unwrap();
    s.note_on(60, 0.5);
    let (l, r) = render(&mut s, &bank, 256, 128);
    assert_eq!(l[100], 0.25);
    assert_eq!(r[100], -0.125);
}

#[test]
fn gain_ramps_to_its_target() {
    let bank = bank_with(&[0.5f32; 48000], SR);
    let mut s = Sampler::new(SR, 128).unwrap();
    s.note_on(60, 1.0);
    render(&mut s, &bank, 100, 128);
    s.set(P_GAIN_DB, -6.0);
    let (l, _) = render(&mut s, &bank, 1000, 128);
    let want = 0.5 * db_to_gain(-6.0) as f32;
    assert!(l[0] > want && l[0] < 0.5);
    assert!(l.windows(2).take(479).all(|w| w[1] < w[0]));
    assert!((l[600] - want).abs() < 1e-7);
}

#[test]
fn output_does_not_depend_on_block_size() {
    let mut bank = SampleBank::new();
    let id = bank.add(3000, 2, 44100.0).unwrap();
    for (i, v) in bank.data_mut(id).unwrap().iter_mut().enumerate() {
        *v = ((i as f32) * 0.013).sin();
    }
    // (frame, note, velocity, on); note 0 with "on" false sets the gain.
    let events: [(usize, u8, f32, bool); 9] = [
        (0, 60, 1.0, true),
        (37, 67, 0.7, true),
        (500, 60, 0.0, false),
        (700, 72, 0.3, true),
        (701, 48, 0.9, true),
        (1000, 0, 0.0, false),
        (1500, 67, 0.0, false),
        (2000, 55, 1.0, true),
        (2500, 55, 0.0, false),
    ];
    let run = |block: usize| {
        let mut s = Sampler::new(SR, 128).unwrap();
        s.set(P_MODE, 1.0);
        s.set(P_TUNE_CENTS, 13.0);
        s.set(P_ATTACK_MS, 3.0);
        s.set(P_RELEASE_MS, 7.0);
        let (mut l, mut r) = (vec![0.0; 4000], vec![0.0; 4000]);
        let mut i = 0;
        let mut e = 0;
        while i < 4000 {
            while e < events.len() && events[e].0 == i {
                let (_, note, vel, on) = events[e];
                if on {
                    s.note_on(note, vel);
                } else if note == 0 {
                    s.set(P_GAIN_DB, -12.0);
                } else {
                    s.note_off(note);
                }
                e += 1;
            }
            let next = events.get(e).map_or(4000, |ev| ev.0);
            let m = block.min(next - i);
            s.render(&bank, &mut l[i..i + m], &mut r[i..i + m]);
            i += m;
        }
        (l, r)
    };
    let reference = run(4000);
    assert!(reference.0.iter().any(|v| v.abs() > 0.1));
    for block in [1, 3, 16, 128, 1000] {
        let got = run(block);
        let same = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(same(&got.0, &reference.0), "block {block}");
        assert!(same(&got.1, &reference.1), "block {block}");
    }
}

#[test]
fn odd_inputs_never_panic_or_leak_non_finite_values() {
    let mut bank = bank_with(&[f32::NAN, f32::INFINITY, 1e-40, 0.5], SR);
    bank.sanitize(0);
    let mut s = Sampler::new(SR, 128).unwrap();
    s.note_on(60, f32::NAN);
    s.note_on(200, 1.0);
    assert!(s.is_quiet());
    s.set(P_ROOT_NOTE, 0.0);
    s.set(P_TUNE_CENTS, 1200.0);
    s.note_on(127, 2.0);
    s.set(P_ROOT_NOTE, 127.0);
    s.set(P_TUNE_CENTS, -1200.0);
    s.note_on(0, 1.0);
    s.set(99, 1.0);
    s.set(P_GAIN_DB, f32::NAN);
    let (l, r) = render(&mut s, &bank, 2000, 128);
    assert!(l.iter().chain(r.iter()).all(|v| v.is_finite()));
    s.render(&bank, &mut [], &mut []);
    let mut short = [1.0f32; 3];
    let mut long = [1.0f32; 7];
    s.render(&bank, &mut short, &mut long);
    assert!(long.iter().all(|v| v.is_finite()));
}

#[test]
fn velocity_zero_is_a_note_off_and_reset_silences() {
    let bank = bank_with(&[0.5f32; 48000], SR);
    let mut s = Sampler::new(SR, 128).unwrap();
    s.set(P_MODE, 1.0);
    s.note_on(60, 1.0);
    render(&mut s, &bank, 100, 128);
    s.note_on(60, 0.0);
    render(&mut s, &bank, 48000, 128);
    assert!(s.is_quiet());
    s.note_on(60, 1.0);
    render(&mut s, &bank, 100, 128);
    s.reset();
    assert!(s.is_quiet());
    let (l, _) = render(&mut s, &bank, 100, 128);
    assert!(l.iter().all(|v| *v == 0.0));
    assert_eq!(s.tail_frames(), 0);
}

/// Cost of one voice, ns per voice-sample, natively: 32 voices of one
/// sampler at one rate over a 10 s noise sample, best of 5 runs of 48000
/// frames in 128-frame blocks (run with `--ignored --nocapture`).
#[test]
#[ignore]
fn sampler_voice_cost_ns_per_voice_sample() {
    let n = 480_000;
    let data: Vec<f32> = (0..n)
        .map(|i| ((i as u64 * 2_654_435_761) % 1000) as f32 / 1000.0 - 0.5)
        .collect();
    let bank = bank_with(&data, SR);
    for (name, root, cents) in [
        ("root (rate 1)", 60.0, 0.0),
        ("octave down (0.5)", 72.0, 0.0),
        ("fifth down (0.667)", 67.0, 0.0),
        ("fifth up (1.5)", 53.0, 0.0),
        ("octave up (2.0)", 48.0, 0.0),
        ("rate 1.9", 60.0, 1111.0),
    ] {
        let mut best = f64::MAX;
        for _ in 0..5 {
            let mut s = Sampler::new(SR, 128).unwrap();
            s.set(P_ROOT_NOTE, root);
            s.set(P_TUNE_CENTS, cents);
            s.set(P_MODE, 1.0);
            for _ in 0..32 {
                s.note_on(60, 0.5);
            }
            let (mut l, mut r) = (vec![0.0f32; 128], vec![0.0f32; 128]);
            let t = std::time::Instant::now();
            for _ in 0..375 {
                s.render(&bank, &mut l, &mut r);
            }
            let ns = t.elapsed().as_nanos() as f64 / (32.0 * 48_000.0);
            best = best.min(ns);
            assert!(l.iter().any(|v| *v != 0.0));
        }
        println!("{name}: {best:.2} ns per voice-sample");
    }
}
