use dawg_dsp::dsp::halfband::*;

/// Amplitude of the `cycles`-per-`n` component of `x` (rectangular
/// window, exact bin: no leakage for periodic input).
fn bin_amplitude(x: &[f32], cycles: usize) -> f64 {
    let n = x.len() as f64;
    let (mut re, mut im) = (0.0f64, 0.0f64);
    for (i, v) in x.iter().enumerate() {
        let ph = 2.0 * std::f64::consts::PI * cycles as f64 * i as f64 / n;
        re += *v as f64 * ph.cos();
        im += *v as f64 * ph.sin();
    }
    2.0 * (re * re + im * im).sqrt() / n
}

fn sine(len: usize, cycles: usize, period: usize, amp: f64) -> Vec<f32> {
    (0..len)
        .map(|i| {
            let ph = 2.0 * std::f64::consts::PI * cycles as f64 * i as f64 / period as f64;
            (amp * ph.sin()) as f32
        })
        .collect()
}

const N: usize = 4096; // analysis length in slow-rate samples
const SETTLE: usize = 256;

fn up_block(stage: Stage, x: &[f32]) -> Vec<f32> {
    let mut up = Upsampler::new(stage);
    x.iter().flat_map(|v| up.process(*v)).collect()
}

fn down_block(stage: Stage, u: &[f32]) -> Vec<f32> {
    let mut down = Downsampler::new(stage);
    u.chunks_exact(2)
        .map(|p| down.process([p[0], p[1]]))
        .collect()
}

/// Worst image of an interpolated tone in `[0, 0.4·fs]`: the image sits at
/// `fs − f` (fast rate `2fs`), in the stopband.
fn worst_image_db(stage: Stage) -> f64 {
    let mut worst = f64::NEG_INFINITY;
    for cycles in (1..=(N * 4 / 10)).step_by(37) {
        let x = sine(N + SETTLE, cycles, N, 0.9);
        let y = up_block(stage, &x);
        let tail = &y[2 * SETTLE..];
        let tone = bin_amplitude(tail, cycles);
        let image = bin_amplitude(tail, N - cycles);
        worst = worst.max(20.0 * (image / tone).log10());
    }
    worst
}

/// Worst alias of a fast-rate tone in the stopband `[0.6·fs, fs]` after
/// decimation, relative to the tone's amplitude.
fn worst_alias_db(stage: Stage) -> f64 {
    let mut worst = f64::NEG_INFINITY;
    // Tone at `cycles` per 2N fast samples = `cycles`·fs/N; it folds to bin N − cycles.
    for cycles in (((N * 6 + 9) / 10)..N).step_by(41) {
        let u = sine(2 * (N + SETTLE), cycles, 2 * N, 0.9);
        let y = down_block(stage, &u);
        let tail = &y[SETTLE..];
        let alias = bin_amplitude(tail, N - cycles);
        worst = worst.max(20.0 * (alias / 0.9).log10());
    }
    worst
}

#[test]
fn stage_2x_interpolator_images_are_81_db_down() {
    let db = worst_image_db(STAGE_2X);
    assert!(db < -80.0, "worst image {db:.1} dB");
}

#[test]
fn stage_2x_decimator_aliases_are_81_db_down() {
    let db = worst_alias_db(STAGE_2X);
    assert!(db < -80.0, "worst alias {db:.1} dB");
}

#[test]
fn stage_2x_pair_passband_ripple_and_latency() {
    // fs → 2fs → fs: gain within ±0.002 dB up to 0.4·fs, delay exactly 23 samples.
    let lat = STAGE_2X.pair_latency_fast() / 2;
    assert_eq!(lat, 23);
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for cycles in (1..=(N * 4 / 10)).step_by(29) {
        let x = sine(N + SETTLE, cycles, N, 0.5);
        let y = down_block(STAGE_2X, &up_block(STAGE_2X, &x));
        let tail = &y[SETTLE..];
        let g = 20.0 * (bin_amplitude(tail, cycles) / 0.5).log10();
        lo = lo.min(g);
        hi = hi.max(g);
        // Delay: y[n] matches x[n − 23] within the ripple.
        let err = tail
            .iter()
            .zip(&x[SETTLE - lat..])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(err < 1e-3, "cycles {cycles}: delayed error {err}");
    }
    assert!(lo > -0.002 && hi < 0.002, "pair ripple {lo:.5}..{hi:.5} dB");
}

#[test]
fn stage_4x_images_and_aliases_are_89_db_down() {
    // At the 4× stage's own rates: passband [0, 0.2] of its slow rate, stopband
    // from 0.8 of its slow rate (= 0.4 of the fast rate).
    let mut worst = f64::NEG_INFINITY;
    for cycles in (1..=(N * 2 / 10)).step_by(31) {
        let x = sine(N + SETTLE, cycles, N, 0.9);
        let y = up_block(STAGE_4X, &x);
        let tail = &y[2 * SETTLE..];
        let tone = bin_amplitude(tail, cycles);
        worst = worst.max(20.0 * (bin_amplitude(tail, N - cycles) / tone).log10());
    }
    for cycles in (((N * 8 + 9) / 10)..N).step_by(31) {
        let u = sine(2 * (N + SETTLE), cycles, 2 * N, 0.9);
        let y = down_block(STAGE_4X, &u);
        worst = worst.max(20.0 * (bin_amplitude(&y[SETTLE..], N - cycles) / 0.9).log10());
    }
    assert!(worst < -88.0, "worst image/alias {worst:.1} dB");
    let mut ripple = 0.0f64;
    for cycles in (1..=(N * 2 / 10)).step_by(23) {
        let x = sine(N + SETTLE, cycles, N, 0.5);
        let y = down_block(STAGE_4X, &up_block(STAGE_4X, &x));
        let g = 20.0 * (bin_amplitude(&y[SETTLE..], cycles) / 0.5).log10();
        ripple = ripple.max(g.abs());
    }
    assert!(ripple < 0.001, "pair ripple {ripple:.5} dB");
    assert_eq!(STAGE_4X.pair_latency_fast(), 14);
}

#[test]
fn any_block_split_gives_the_same_bits() {
    let x: Vec<f32> = (0..1000)
        .map(|i| ((i * 7919) % 1013) as f32 / 500.0 - 1.0)
        .collect();
    for stage in [STAGE_2X, STAGE_4X] {
        let whole_up = up_block(stage, &x);
        let whole_down = down_block(stage, &x);
        for split in [1usize, 3, 64, 127, 128, 129, 300] {
            let mut up = Upsampler::new(stage);
            let mut down = Downsampler::new(stage);
            let mut u = vec![0.0f32; 2 * x.len()];
            let mut d = vec![0.0f32; x.len() / 2];
            for (i, c) in x.chunks(split).enumerate() {
                up.process_block(c, &mut u[2 * i * split..]);
            }
            for (i, c) in x.chunks(2 * split).enumerate() {
                down.process_block(c, &mut d[i * split..]);
            }
            assert_eq!(u, whole_up, "split {split}");
            assert_eq!(d, whole_down, "split {split}");
        }
    }
}

#[test]
fn filters_are_exactly_silent_after_their_length() {
    let mut up = Upsampler::new(STAGE_2X);
    let mut down = Downsampler::new(STAGE_2X);
    let mut last = [1.0f32; 2];
    for i in 0..100 {
        let x = if i == 0 { 1.0 } else { 0.0 };
        last = up.process(x);
        let _ = down.process(last);
    }
    assert_eq!(last, [0.0, 0.0]);
    assert!(up.is_silent() && down.is_silent());
    up.process(0.3);
    up.reset();
    assert!(up.is_silent());
}
