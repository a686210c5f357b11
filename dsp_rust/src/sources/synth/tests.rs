//! The synth's tests that read its voices: envelope levels, which notes
//! sound after a steal, filter state.

use super::*;

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

/// Play `events` (frame, note, velocity, in frame order) into `n` frames,
/// in blocks of at most 128 frames that end at each event.
fn play(s: &mut Synth, events: &[(usize, u8, f32)], n: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(n);
    for &(frame, note, vel) in events.iter().chain(core::iter::once(&(n, 0, 0.0))) {
        while out.len() < frame {
            let len = (frame - out.len()).min(128);
            out.extend(render(s, len));
        }
        if frame < n {
            s.note_on(note, vel);
        }
    }
    out
}

fn max_step(x: &[f32]) -> f32 {
    x.windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f32::max)
}

#[test]
fn release_starts_from_the_current_level() {
    // Slow attack: release midway must fall from where the attack is.
    let mut s = synth(&[(ATTACK_MS, 1000.0), (RELEASE_MS, 200.0), (SUSTAIN, 1.0)]);
    s.note_on(69, 1.0);
    render(&mut s, 4800);
    let lvl = s.voices.iter().find(|v| v.is_active()).unwrap().amp.level;
    assert!(lvl > 0.05 && lvl < 0.5, "{lvl}");
    s.note_off(69);
    render(&mut s, 1);
    let after = s.voices.iter().find(|v| v.is_active()).unwrap().amp.level;
    assert!(after < lvl && after > lvl * 0.99, "{lvl} -> {after}");
}

#[test]
fn sixteen_voices_play_and_the_seventeenth_steals_without_a_click() {
    // A low cutoff keeps the signal's own slope small, so a hard cut of
    // the stolen voice would be the largest step by far (about 2x).
    let params = [(ATTACK_MS, 0.5), (SUSTAIN, 1.0), (CUTOFF_HZ, 400.0)];
    let chord: Vec<(usize, u8, f32)> = (0..16).map(|i| (i * 32, 36 + 2 * i as u8, 1.0)).collect();
    let steal_at = 24011;
    let mut events = chord.clone();
    events.push((steal_at, 90, 1.0));
    let mut s = synth(&params);
    let out = play(&mut s, &events, steal_at + 10);
    assert_eq!(s.active_voices(), VOICES + 1, "the stolen voice is fading");
    let more = render(&mut s, 4800);
    assert_eq!(s.active_voices(), VOICES, "the stolen voice has ended");
    assert!(
        s.voices.iter().all(|v| !v.is_active() || v.note != 36),
        "oldest stolen"
    );
    let steady = max_step(&out[12000..steal_at]);
    let mut around = out[steal_at - 1..].to_vec();
    around.extend_from_slice(&more[..400]);
    assert!(
        max_step(&around) < steady,
        "{} >= {}",
        max_step(&around),
        steady
    );
}

#[test]
fn steals_prefer_the_oldest_releasing_voice() {
    let mut s = synth(&[(RELEASE_MS, 5000.0)]);
    for i in 0..16u8 {
        s.note_on(40 + i, 1.0);
        render(&mut s, 16);
    }
    s.note_off(50);
    s.note_off(45);
    s.note_on(90, 1.0);
    render(&mut s, 200);
    let notes: Vec<u8> = s
        .voices
        .iter()
        .filter(|v| v.is_active())
        .map(|v| v.note)
        .collect();
    assert!(!notes.contains(&50) && notes.contains(&45) && notes.contains(&40));
}

#[test]
fn parameter_sweeps_stay_finite_and_smooth() {
    let mut s = synth(&[(RESONANCE, 1.0), (OSC_MIX, 0.5)]);
    s.note_on(36, 1.0);
    s.note_on(84, 1.0);
    let mut all = Vec::new();
    for k in 0..200 {
        let t = k as f32 / 200.0;
        s.set(CUTOFF_HZ, 20.0 + 19980.0 * t * t);
        s.set(FILTER_ENV_OCTAVES, -4.0 + 12.0 * t);
        s.set(OSC1_WAVE, (k % 2) as f32);
        s.set(OSC2_WAVE, ((k / 3) % 2) as f32);
        s.set(OSC2_SEMITONES, (k % 49) as f32 - 24.0);
        s.set(SUSTAIN, t);
        all.extend(render(&mut s, 128));
    }
    assert!(all.iter().all(|v| v.is_finite() && v.abs() < 50.0));
    assert!(s
        .voices
        .iter()
        .all(|v| v.ic1.is_finite() && v.ic2.is_finite()));
}
