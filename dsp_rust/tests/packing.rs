//! Dense lane groups: the running tracks fill the strip groups from the
//! first lane on, in track order, whatever tracks sleep between them; a
//! track keeps its whole strip (settings, ramps, state) as it changes lane
//! and group, and sounds bit for bit as it would alone.

use dawg_dsp::engine::{target, Config, Engine, TARGET_TRACK};
use dawg_dsp::math::flush;
use dawg_dsp::spec::ParamId;

const QUANTUM: usize = 128;

fn engine(tracks: u32) -> Engine {
    Engine::new(Config {
        sample_rate_hz: 48000.0,
        tracks,
        quantum_frames: QUANTUM as u32,
        max_quanta: 1,
    })
    .unwrap()
}

/// A strip of its own for track `t`, so that a lane carrying the wrong
/// track's settings would sound different.
fn set_strip(e: &mut Engine, engine_track: usize, t: usize) {
    let tg = target(TARGET_TRACK, engine_track as u32, 0);
    let k = t as f32;
    let settings = [
        (ParamId::LowGainDb, 2.0 + k),
        (ParamId::MidHz, 300.0 + 150.0 * k),
        (ParamId::MidGainDb, -6.0 + k),
        (ParamId::HighGainDb, 4.0 - k),
        (ParamId::CompThresholdDb, -30.0 + 2.0 * k),
        (ParamId::CompRatio, 2.0 + k),
        (ParamId::CompReleaseMs, 20.0 + 10.0 * k),
        (ParamId::GainDb, -1.0 - 0.5 * k),
        (ParamId::Pan, -0.8 + 0.2 * k),
    ];
    for (id, v) in settings {
        e.set_param(tg, id as u32, v).unwrap();
    }
}

/// Track `t`'s input for quantum `q`: noise, except in silences long enough
/// for it to fall asleep, at times that differ from track to track.
fn input(t: usize, q: usize, seed: &mut u32) -> [[f32; QUANTUM]; 2] {
    let mut out = [[0.0; QUANTUM]; 2];
    let period = 90 + 17 * t;
    let silent = (q + 13 * t) % period < period / 2;
    for ch in out.iter_mut() {
        for v in ch.iter_mut() {
            *seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let x = (*seed >> 8) as f32 / 16_777_216.0 - 0.5;
            *v = if silent {
                0.0
            } else {
                x * (0.2 + 0.1 * t as f32)
            };
        }
    }
    out
}

fn feed(e: &mut Engine, engine_track: usize, x: &[[f32; QUANTUM]; 2]) {
    let cap = e.capacity_frames();
    let buf = e.input_mut(engine_track).unwrap();
    buf[..QUANTUM].copy_from_slice(&x[0]);
    buf[cap..cap + QUANTUM].copy_from_slice(&x[1]);
}

#[test]
fn running_tracks_fill_the_groups_in_track_order() {
    let mut e = engine(10);
    for t in 0..10 {
        set_strip(&mut e, t, t);
        e.input_mut(t).unwrap();
    }
    // Tracks 0, 2, 3 and 7 get silence and fall asleep; the others play.
    let asleep = [0, 2, 3, 7];
    let mut seed = 1u32;
    for _ in 0..200 {
        for t in 0..10 {
            let mut x = [[0.0; QUANTUM]; 2];
            if !asleep.contains(&t) {
                for v in x.iter_mut().flatten() {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    *v = (seed >> 8) as f32 / 16_777_216.0 - 0.5;
                }
            }
            feed(&mut e, t, &x);
        }
        e.process(1).unwrap();
    }
    let running: Vec<usize> = (0..10).filter(|t| !asleep.contains(t)).collect();
    for (slot, t) in running.iter().enumerate() {
        let (group, lane) = e.strip_group(*t).unwrap();
        let first = e.strip_group(running[0]).unwrap().0 as *const _;
        let expected_group = slot / 4;
        assert_eq!(lane, slot % 4, "track {t}");
        let same_as_first = core::ptr::eq(group, first);
        assert_eq!(same_as_first, expected_group == 0, "track {t}");
    }
}

#[test]
fn a_track_sounds_as_alone_whatever_lane_and_group_it_runs_in() {
    const TRACKS: usize = 9;
    const QUANTA: usize = 1500;
    let mut mix = engine(TRACKS as u32);
    let mut alone: Vec<Engine> = (0..TRACKS).map(|_| engine(1)).collect();
    for (t, one) in alone.iter_mut().enumerate() {
        set_strip(&mut mix, t, t);
        set_strip(one, 0, t);
        mix.input_mut(t).unwrap();
        one.input_mut(0).unwrap();
    }
    mix.reset();
    let mut moved = 0;
    let mut sounding = 0;
    let mut last_slots = [(0usize, 0usize); TRACKS];
    let mut seeds: Vec<u32> = (0..TRACKS as u32).map(|t| 7 + t).collect();
    for q in 0..QUANTA {
        let mut sum = [[0.0f32; QUANTUM]; 2];
        for (t, (one, seed)) in alone.iter_mut().zip(seeds.iter_mut()).enumerate() {
            let x = input(t, q, seed);
            feed(&mut mix, t, &x);
            feed(one, 0, &x);
            one.process(1).unwrap();
            let cap = one.capacity_frames();
            let out = one.output();
            for i in 0..QUANTUM {
                // The master adds the tracks one after another, in order.
                sum[0][i] += out[i];
                sum[1][i] += out[cap + i];
            }
        }
        mix.process(1).unwrap();
        for v in sum.iter_mut().flatten() {
            *v = flush(*v); // the master fader, at 0 dB, flushes
        }
        let cap = mix.capacity_frames();
        let out = mix.output();
        sounding += usize::from(out[..QUANTUM].iter().any(|v| v.abs() > 0.01));
        for i in 0..QUANTUM {
            assert_eq!(
                out[i].to_bits(),
                sum[0][i].to_bits(),
                "quantum {q} frame {i} left"
            );
            assert_eq!(
                out[cap + i].to_bits(),
                sum[1][i].to_bits(),
                "quantum {q} frame {i} right"
            );
        }
        for (t, last) in last_slots.iter_mut().enumerate() {
            let (group, lane) = mix.strip_group(t).unwrap();
            let now = (group as *const _ as usize, lane);
            if q > 0 && now != *last {
                moved += 1;
            }
            *last = now;
        }
    }
    assert!(moved > 50, "the tracks changed lanes only {moved} times");
    assert!(sounding > QUANTA / 2, "only {sounding} quanta sounded");
}
