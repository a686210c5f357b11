use dawg_dsp::sources::synth::*;
use dawg_dsp::spec::Scope;

const SR: f32 = 48000.0;

fn synth(params: &[(usize, f32)]) -> Synth {
    let mut s = Synth::new(SR, 128).unwrap();
    for &(i, v) in params {
        s.set(i, v);
    }
    s.reset();
    s
}

fn render(s: &mut Synth, n: usize) -> Vec<f32> {
    let mut l = vec![0.0; n];
    let mut r = vec![0.0; n];
    s.render(&mut l, &mut r);
    assert_eq!(l, r);
    l
}

/// Play `events` (frame, note, velocity; velocity 0 = off) into `n` frames,
/// rendering in blocks of the sizes in `blocks` (cycled).
fn play(s: &mut Synth, events: &[(usize, u8, f32)], n: usize, blocks: &[usize]) -> Vec<f32> {
    play_with(s, events, &[], n, blocks)
}

/// [`play`] plus parameter changes `sets` (frame, row, value).
fn play_with(
    s: &mut Synth,
    events: &[(usize, u8, f32)],
    sets: &[(usize, usize, f32)],
    n: usize,
    blocks: &[usize],
) -> Vec<f32> {
    let mut out = Vec::with_capacity(n);
    let mut pos = 0;
    let mut bi = 0;
    while pos < n {
        for &(_, note, vel) in events.iter().filter(|e| e.0 == pos) {
            s.note_on(note, vel);
        }
        for &(_, i, v) in sets.iter().filter(|e| e.0 == pos) {
            s.set(i, v);
        }
        let next = events
            .iter()
            .map(|e| e.0)
            .chain(sets.iter().map(|e| e.0))
            .filter(|&f| f > pos)
            .min()
            .unwrap_or(n);
        let len = blocks[bi % blocks.len()].min(next - pos).min(n - pos);
        bi += 1;
        out.extend(render(s, len));
        pos += len;
    }
    out
}

fn max_step(x: &[f32]) -> f32 {
    x.windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f32::max)
}

#[test]
fn params_are_prefixed_unique_and_defaults_in_range() {
    for (i, p) in PARAMS.iter().enumerate() {
        assert!(p.name.starts_with("synth_"), "{}", p.name);
        assert_eq!(p.scope, Scope::Synth);
        assert!(p.min <= p.default && p.default <= p.max, "{}", p.name);
        for q in &PARAMS[i + 1..] {
            assert_ne!(p.name, q.name);
        }
    }
    let mut s = Synth::new(SR, 64).unwrap();
    s.set(CUTOFF_HZ, 440.0);
    assert_eq!(s.get(CUTOFF_HZ), 440.0);
    assert_eq!(s.get(99), 0.0);
    s.set(99, 1.0);
}

#[test]
fn note_is_zero_at_its_frame_and_sounds_from_the_next() {
    let mut s = synth(&[]);
    let out = play(&mut s, &[(37, 69, 1.0)], 200, &[128]);
    assert!(out[..38].iter().all(|&v| v == 0.0));
    assert!(out[38] != 0.0);
}

#[test]
fn output_is_independent_of_block_size() {
    let params = [
        (OSC_MIX, 0.4),
        (OSC1_WAVE, 1.0),
        (OSC2_WAVE, 1.0),
        (RESONANCE, 0.6),
        (FILTER_ENV_OCTAVES, 3.0),
        (RELEASE_MS, 30.0),
    ];
    let events = [
        (0, 60, 0.8),
        (100, 64, 0.5),
        (333, 67, 1.0),
        (1000, 60, 0.0),
        (1500, 64, 0.3),
        (3000, 64, 0.0),
        (3001, 67, 0.0),
    ];
    let sets = [
        (50, CUTOFF_HZ, 400.0),
        (777, OSC_MIX, 0.9),
        (800, OSC1_WAVE, 0.0),
        (1201, SUSTAIN, 0.2),
        (1300, DECAY_MS, 20.0),
        (2000, OSC2_DETUNE_CENTS, -40.0),
        (2100, OSC2_SEMITONES, 5.0),
        (2222, GAIN_DB, 3.0),
        (2500, RESONANCE, 0.0),
        (2600, FENV_SUSTAIN, 0.5),
    ];
    let mut s = synth(&params);
    let want = play_with(&mut s, &events, &sets, 6000, &[128]);
    assert!(want.iter().any(|&v| v != 0.0));
    for blocks in [&[1usize][..], &[7, 64, 3], &[128, 5], &[17]] {
        let mut s2 = synth(&params);
        let got = play_with(&mut s2, &events, &sets, 6000, blocks);
        assert_eq!(got, want, "blocks {blocks:?}");
    }
    // a long render is split internally
    s.reset();
    s.note_on(60, 0.8);
    let mut l = vec![0.0; 1000];
    let mut r = vec![0.0; 1000];
    s.render(&mut l, &mut r);
    s.reset();
    let want = play(&mut s, &[(0, 60, 0.8)], 1000, &[128]);
    assert_eq!(l, want);
}

#[test]
fn release_reaches_exact_zero_and_voices_end() {
    let mut s = synth(&[(RELEASE_MS, 50.0), (RESONANCE, 1.0)]);
    s.note_on(48, 1.0);
    s.note_on(55, 0.7);
    render(&mut s, 4800);
    assert_eq!(s.active_voices(), 2);
    s.all_notes_off();
    // 50 ms = 2400 frames from the peak; the sustain level ends sooner.
    let tail = render(&mut s, 2500);
    assert!(tail[..100].iter().any(|&v| v != 0.0));
    assert!(s.is_quiet());
    assert!(render(&mut s, 48000).iter().all(|&v| v == 0.0));
}

#[test]
fn retrigger_starts_from_the_current_level() {
    let mut s = synth(&[(ATTACK_MS, 50.0), (RELEASE_MS, 500.0)]);
    let out = play(
        &mut s,
        &[(0, 57, 1.0), (9600, 57, 0.0), (12000, 57, 0.6)],
        16000,
        &[128],
    );
    assert_eq!(s.active_voices(), 1);
    let steady = max_step(&out[4800..9600]);
    assert!(max_step(&out[11000..13000]) <= steady * 1.01);
}

#[test]
fn many_simultaneous_steals_stay_bounded() {
    let mut s = synth(&[(ATTACK_MS, 0.5)]);
    for n in 0..128u8 {
        s.note_on(n, 1.0);
    }
    let out = render(&mut s, 4800);
    assert!(s.active_voices() <= VOICES);
    assert!(out.iter().all(|v| v.is_finite() && v.abs() < 20.0));
    s.note_on(200, f32::NAN); // note-off of 127
    s.note_on(60, 7.0);
    render(&mut s, 128);
}

#[test]
fn pitch_matches_equal_temperament() {
    for (note, semis, cents, mix) in [
        (69u8, 0.0, 0.0, 0.0),
        (45, 0.0, 0.0, 0.0),
        (60, 7.0, -13.0, 1.0),
    ] {
        let mut s = synth(&[
            (SUSTAIN, 1.0),
            (OSC_MIX, mix),
            (OSC2_SEMITONES, semis),
            (OSC2_DETUNE_CENTS, cents),
            (CUTOFF_HZ, 1000.0),
        ]);
        s.note_on(note, 1.0);
        let out = render(&mut s, 96000);
        let x = &out[4800..];
        let mut crossings = Vec::new();
        for (i, w) in x.windows(2).enumerate() {
            if w[0] < 0.0 && w[1] >= 0.0 {
                crossings.push(i as f64 + (w[0] / (w[0] - w[1])) as f64);
            }
        }
        let periods = (crossings.len() - 1) as f64;
        let f = periods * SR as f64 / (crossings[crossings.len() - 1] - crossings[0]);
        let want =
            440.0 * 2f64.powf((note as f64 - 69.0 + semis as f64 + cents as f64 / 100.0) / 12.0);
        let cents_off = 1200.0 * (f / want).log2();
        assert!(cents_off.abs() < 0.1, "note {note}: {f} vs {want}");
    }
}

#[test]
fn silence_costs_nothing_and_reset_is_exact() {
    let mut s = synth(&[(FILTER_ENV_OCTAVES, 5.0), (RESONANCE, 0.9)]);
    assert!(s.is_quiet());
    assert!(render(&mut s, 256).iter().all(|&v| v == 0.0));
    s.note_on(30, 1.0);
    let a = render(&mut s, 3000);
    s.reset();
    assert!(s.is_quiet() && s.active_voices() == 0);
    s.note_on(30, 1.0);
    assert_eq!(render(&mut s, 3000), a);
}

#[test]
fn held_note_with_zero_sustain_ends() {
    let mut s = synth(&[(SUSTAIN, 0.0), (DECAY_MS, 10.0)]);
    s.note_on(60, 1.0);
    render(&mut s, 48000);
    assert!(s.is_quiet());
}

/// Voices run four to a vector, grouped afresh each control segment from the
/// sounding slots. Nine notes that start one after another (slots 0–8) and
/// end at different times keep changing lanes and groups; the mix must be
/// bit-identical to each note rendered alone, added in slot order.
#[test]
fn voices_sound_the_same_in_any_lane_and_add_in_slot_order() {
    let params = [
        (GAIN_DB, 0.0),
        (RELEASE_MS, 30.0),
        (OSC_MIX, 0.5),
        (OSC1_WAVE, 1.0),
    ];
    let n = 24_000;
    let notes: Vec<(usize, usize, u8)> = (0..9u8)
        .map(|k| {
            (
                37 * k as usize,
                2000 + 1700 * ((k as usize * 5) % 9),
                40 + 7 * k,
            )
        })
        .collect();
    let events_of = |which: &[(usize, usize, u8)]| {
        let mut e: Vec<(usize, u8, f32)> = which
            .iter()
            .flat_map(|&(on, off, note)| [(on, note, 0.9), (off, note, 0.0)])
            .collect();
        e.sort_by_key(|e| e.0);
        e
    };
    let mut all = synth(&params);
    let mix = play(&mut all, &events_of(&notes), n, &[128, 77, 128, 5]);
    let mut sum = vec![0.0f32; n];
    for note in &notes {
        let mut one = synth(&params);
        let alone = play(&mut one, &events_of(&[*note]), n, &[128]);
        for (s, x) in sum.iter_mut().zip(&alone) {
            *s += *x;
        }
    }
    assert!(mix.iter().any(|x| x.abs() > 0.1), "the notes sound");
    for (i, (m, s)) in mix.iter().zip(&sum).enumerate() {
        assert_eq!(
            m.to_bits(),
            s.to_bits(),
            "frame {i}: mix {m} vs voices added one by one {s}"
        );
    }
}

/// Each oscillator's phase runs on while the mix gives it no weight, so
/// fading it in later picks up where it would have been: after the mix
/// moves from one oscillator to the other, the output matches a note that
/// played the second oscillator all along (up to the filter's memory of
/// the first, long decayed).
#[test]
fn oscillator_phases_run_on_while_the_mix_silences_them() {
    let base = [
        (CUTOFF_HZ, 12000.0),
        (FILTER_ENV_OCTAVES, 0.0),
        (RESONANCE, 0.0),
    ];
    for (from, to) in [(0.0, 1.0), (1.0, 0.0)] {
        let with = |mix: f32| {
            let mut p = base.to_vec();
            p.push((OSC_MIX, mix));
            synth(&p)
        };
        let n = 6000;
        // Middle C: 2400 frames are 13.08 cycles, so a phase that stood
        // still would be off by 0.08 of a cycle.
        let mut all_along = with(to);
        let want = play(&mut all_along, &[(0, 60, 0.9)], n, &[128]);
        let mut switched = with(from);
        let got = play_with(
            &mut switched,
            &[(0, 60, 0.9)],
            &[(2400, OSC_MIX, to)],
            n,
            &[128],
        );
        let tail = 5000..n;
        let peak = want[tail.clone()]
            .iter()
            .fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(peak > 0.05, "the note sounds ({peak})");
        let diff = got[tail.clone()]
            .iter()
            .zip(&want[tail])
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(
            diff < 1e-4 * peak,
            "mix {from} → {to}: off by {diff} (peak {peak})"
        );
    }
}
