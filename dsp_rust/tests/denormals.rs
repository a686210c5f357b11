//! An impulse followed by silence decays to exactly 0.0 in every unit, and
//! no state is left subnormal: wasm has no flush-to-zero, so the units flush
//! in software.

use dawg_dsp::engine::{Config, Engine};
use dawg_dsp::spec::ParamId;

fn engine(sample_rate_hz: f32) -> Engine {
    let mut e = Engine::new(Config {
        sample_rate_hz,
        tracks: 1,
        quantum_frames: 128,
        max_quanta: 1,
    })
    .unwrap();
    // Resonant, slow-decaying settings: narrow boosted peak at low frequency,
    // shelves at their extremes, a slow compressor release (20 time constants fit in 10 s).
    let settings = [
        (ParamId::LowHz, 20.0),
        (ParamId::LowGainDb, 24.0),
        (ParamId::MidHz, 100.0),
        (ParamId::MidGainDb, 24.0),
        (ParamId::MidQ, 10.0),
        (ParamId::HighHz, 20000.0),
        (ParamId::HighGainDb, -24.0),
        (ParamId::CompThresholdDb, -60.0),
        (ParamId::CompRatio, 20.0),
        (ParamId::CompReleaseMs, 500.0),
    ];
    for (id, v) in settings.iter() {
        e.set_param(0, *id as u32, *v).unwrap();
    }
    e.reset();
    e
}

#[test]
fn impulse_then_ten_seconds_of_silence_reaches_exact_zero() {
    for sr in [22050.0f32, 48000.0, 192000.0] {
        let mut e = engine(sr);
        let cap = e.capacity_frames();
        e.input_mut(0).unwrap()[0] = 1.0;
        e.input_mut(0).unwrap()[cap] = 1.0;
        e.process(1).unwrap();
        e.input_mut(0).unwrap()[0] = 0.0;
        e.input_mut(0).unwrap()[cap] = 0.0;
        let quanta = (10.0 * sr / 128.0) as usize;
        let mut last_nonzero = 0;
        for q in 0..quanta {
            e.process(1).unwrap();
            let out = e.output();
            for v in out.iter() {
                assert!(
                    *v == 0.0 || v.is_normal(),
                    "subnormal output {v:e} at {sr} Hz"
                );
            }
            let (group, lane) = e.strip_group(0).unwrap();
            assert!(
                group.eq().lane_state_is_clean(lane),
                "subnormal EQ state at {sr} Hz"
            );
            if out.iter().any(|v| *v != 0.0) {
                last_nonzero = q;
            }
        }
        assert!(
            last_nonzero < quanta - 10,
            "still sounding after 10 s at {sr} Hz"
        );
        assert!(e.output().iter().all(|v| *v == 0.0));
        let (group, lane) = e.strip_group(0).unwrap();
        assert!(group.eq().lane_state_is_silent(lane));
        assert_eq!(group.compressor().reduction_db(lane), 0.0);
    }
}
