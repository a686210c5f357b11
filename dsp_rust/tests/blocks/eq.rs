use dawg_dsp::dsp::eq::*;
use dawg_dsp::simd::{F4, LANES};

fn settings() -> EqSettings {
    EqSettings {
        low_hz: 200.0,
        low_gain_db: 0.0,
        mid_hz: 1000.0,
        mid_gain_db: 0.0,
        mid_q: 0.707,
        high_hz: 3000.0,
        high_gain_db: 0.0,
    }
}

#[test]
fn zero_gain_is_an_exact_identity() {
    let mut eq = EqLanes::new(48000.0, settings());
    let mut l: Vec<F4> = (0..300)
        .map(|i| F4::from_array([i as f32 * 0.01, -0.3, 0.7, (i as f32).sin()]))
        .collect();
    let mut r = l.clone();
    let want = l.clone();
    eq.process(&mut l, &mut r);
    for (a, b) in l.iter().zip(want.iter()) {
        assert_eq!(a.to_array(), b.to_array());
    }
    assert!((0..LANES).all(|k| eq.lane_state_is_silent(k)));
}
