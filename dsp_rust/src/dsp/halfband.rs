//! Linear-phase halfband FIR filters for 2× up- and downsampling, in
//! polyphase form.
//!
//! A halfband lowpass `h` of length `4K − 1` has every other tap zero except
//! the centre tap, which is exactly `1/2`:
//! `H(z) = ½·(z^−(2K−1) + G(z²))`, where `G` is an even-length (`2K`),
//! symmetric lowpass. So a 2× interpolator is one `2K`-tap FIR branch plus
//! a pure delay, and a 2× decimator is the same branch on the even input
//! samples plus half the odd sample from `K` input pairs ago. Only the `K`
//! unique taps of `G` are stored ([`Stage::taps`]); `G`'s taps sum to 1
//! (within the equiripple error) and both the interpolator and the decimator
//! use them directly.
//!
//! Two designs are provided, both equiripple (Parks–McClellan on `G`, taps
//! rounded to f32):
//!
//! * [`STAGE_2X`] (`K = 12`, 47 taps), for rate `fs → 2fs`: passband edge
//!   `0.4·fs` (19.2 kHz at 48 kHz), stopband from `0.6·fs` (the mirror
//!   image of the passband edge about `fs/2`) up to `fs`, attenuation
//!   81 dB, passband ripple ±0.0008 dB per filter. Everything the
//!   decimator folds into `[0, 0.4·fs]` comes from `[0.6·fs, fs]` and is
//!   down by at least 81 dB; every image the interpolator makes of
//!   `[0, 0.4·fs]` is down by as much.
//! * [`STAGE_4X`] (`K = 4`, 15 taps), for rate `2fs → 4fs` behind
//!   [`STAGE_2X`]: passband edge `0.4·fs` (relative to the 4× rate: 0.1),
//!   stopband from `1.6·fs` to `2fs` (4× rate: 0.4 to 0.5), attenuation
//!   89 dB, ripple ±0.0003 dB. Its decimator folds `[1.6·fs, 2fs]` onto
//!   `[0, 0.4·fs]`; what it folds onto `[0.4·fs, fs]` is removed by the
//!   [`STAGE_2X`] decimator that follows.
//!
//! Latency: an interpolator followed by a decimator of one stage delays by
//! `2·(2K − 1)` samples of the fast rate, i.e. exactly `2K − 1` samples of
//! the slow rate ([`Stage::pair_latency_fast`]): 23 samples of `fs` for
//! [`STAGE_2X`] (0.48 ms at 48 kHz), 7 samples of `2fs` for [`STAGE_4X`].
//! Both filters are linear phase, so the delay is the same at every frequency.
//!
//! The filters work on blocks: the history and the block are laid out as one
//! contiguous buffer and each tap is one multiply-add pass over the block,
//! which vectorises. The terms of every output are still added in the same
//! order, so splitting a signal into blocks of any length gives the same
//! bits. All state is in fixed arrays: nothing allocates.

/// The largest number of unique taps a [`Stage`] may have.
pub const MAX_UNIQUE_TAPS: usize = 12;

/// Longest polyphase branch: `2·MAX_UNIQUE_TAPS` taps.
const MAX_BRANCH: usize = 2 * MAX_UNIQUE_TAPS;

/// One halfband design: the unique taps of its even-length branch `G`.
#[derive(Clone, Copy, Debug)]
pub struct Stage {
    /// The first `K` taps of the symmetric `2K`-tap branch `G`
    /// (`G[i] = G[2K−1−i]`); the halfband filter is
    /// `h[2i] = G[i]/2`, `h[2K−1] = 1/2`, other odd taps 0.
    pub taps: &'static [f32],
}

impl Stage {
    /// Number of unique taps `K`.
    pub const fn unique_taps(&self) -> usize {
        self.taps.len()
    }

    /// Delay of one interpolator followed by one decimator of this stage,
    /// in samples of the faster rate: `2·(2K − 1)`; equal to `2K − 1`
    /// samples of the slower rate.
    pub const fn pair_latency_fast(&self) -> usize {
        2 * (2 * self.taps.len()).saturating_sub(1)
    }
}

/// Unique taps of the `fs → 2fs` design (`K = 12`): passband `[0, 0.2]`,
/// stopband `[0.3, 0.5]` of the fast rate; 81 dB.
pub const TAPS_2X: [f32; 12] = [
    -0.000_395_782_3,
    0.001_153_451_3,
    -0.002_704_224_5,
    0.005_458_378_2,
    -0.009_976_57,
    0.016_999_302,
    -0.027_577_516,
    0.043_426_882,
    -0.067_960_51,
    0.109_889_99,
    -0.201_314_9,
    0.632_914_8,
];

/// Unique taps of the `2fs → 4fs` design (`K = 4`): passband `[0, 0.1]`,
/// stopband `[0.4, 0.5]` of the fast rate; 89 dB.
pub const TAPS_4X: [f32; 4] = [-0.004_940_612_2, 0.033_909_142, -0.135_330_02, 0.606_328_1];

/// The `fs → 2fs` stage (see the module docs).
pub const STAGE_2X: Stage = Stage { taps: &TAPS_2X };

/// The `2fs → 4fs` stage (see the module docs).
pub const STAGE_4X: Stage = Stage { taps: &TAPS_4X };

/// Input samples a block function takes per pass (longer blocks are
/// processed in passes of this length).
pub const CHUNK: usize = 128;

/// The branch `G` over a block: `acc[j] = Σ_{i<K} taps[i]·(buf[h + j − i] +
/// buf[j + i])`, `h = 2K − 1`, where `buf` holds `h` samples of history
/// followed by the block. The terms are added in the order `i = 0, 1, …`
/// for every `j`, so the result does not depend on the block length; the
/// loop over `j` is an independent multiply-add per lane (vectorisable
/// without reassociation, so every runtime computes the same bits).
#[inline(always)]
fn branch(taps: &[f32], buf: &[f32], acc: &mut [f32]) {
    let m = acc.len();
    let h = 2 * taps.len() - 1;
    for a in acc.iter_mut() {
        *a = 0.0;
    }
    for (i, t) in taps.iter().enumerate() {
        if let (Some(near), Some(far)) = (buf.get(h - i..h - i + m), buf.get(i..i + m)) {
            for ((a, x), y) in acc.iter_mut().zip(near).zip(far) {
                *a += *t * (*x + *y);
            }
        }
    }
}

fn stage_taps(stage: Stage) -> &'static [f32] {
    let k = stage.taps.len().clamp(1, MAX_UNIQUE_TAPS);
    stage.taps.get(..k).unwrap_or(&TAPS_2X)
}

/// 2× interpolator: each input sample becomes two output samples, with the
/// passband gain 1.
#[derive(Clone, Copy, Debug)]
pub struct Upsampler {
    taps: &'static [f32],
    /// The last `2K − 1` inputs, oldest first.
    hist: [f32; MAX_BRANCH],
}

impl Upsampler {
    /// An interpolator for `stage`, with silent history.
    pub fn new(stage: Stage) -> Self {
        Upsampler {
            taps: stage_taps(stage),
            hist: [0.0; MAX_BRANCH],
        }
    }

    /// Interpolate `input` (`x[n]`, …) into `output` (`y[2n]`, `y[2n+1]`, …):
    /// `y[2n] = Σ G[i]·x[n−i]` (the branch, at a half-sample position) and
    /// `y[2n+1] = x[n−K+1]` (the centre tap: a pure delay). Processes
    /// `min(input.len(), output.len()/2)` samples.
    pub fn process_block(&mut self, input: &[f32], output: &mut [f32]) {
        let k = self.taps.len();
        let h = 2 * k - 1;
        let n = input.len().min(output.len() / 2);
        let mut buf = [0.0f32; MAX_BRANCH + CHUNK];
        let mut acc = [0.0f32; CHUNK];
        for (inp, out) in input[..n].chunks(CHUNK).zip(output.chunks_mut(2 * CHUNK)) {
            let m = inp.len();
            buf[..h].copy_from_slice(&self.hist[..h]);
            buf[h..h + m].copy_from_slice(inp);
            branch(self.taps, &buf[..h + m], &mut acc[..m]);
            for ((pair, a), centre) in out.chunks_exact_mut(2).zip(&acc[..m]).zip(&buf[k..k + m]) {
                pair[0] = *a;
                pair[1] = *centre;
            }
            self.hist[..h].copy_from_slice(&buf[m..m + h]);
        }
    }

    /// One input sample to its two output samples (see
    /// [`Upsampler::process_block`]).
    pub fn process(&mut self, x: f32) -> [f32; 2] {
        let mut y = [0.0; 2];
        self.process_block(&[x], &mut y);
        y
    }

    /// Forget the history.
    pub fn reset(&mut self) {
        self.hist = [0.0; MAX_BRANCH];
    }

    /// True when the whole history is exactly zero.
    pub fn is_silent(&self) -> bool {
        self.hist.iter().all(|v| *v == 0.0)
    }
}

/// 2× decimator: each pair of input samples becomes one output sample, with
/// the passband gain 1.
#[derive(Clone, Copy, Debug)]
pub struct Downsampler {
    taps: &'static [f32],
    /// The last `2K − 1` even inputs, oldest first.
    even: [f32; MAX_BRANCH],
    /// The last `K` odd inputs, oldest first.
    odd: [f32; MAX_UNIQUE_TAPS],
}

impl Downsampler {
    /// A decimator for `stage`, with silent history.
    pub fn new(stage: Stage) -> Self {
        Downsampler {
            taps: stage_taps(stage),
            even: [0.0; MAX_BRANCH],
            odd: [0.0; MAX_UNIQUE_TAPS],
        }
    }

    /// Decimate `input` (`u[2n]`, `u[2n+1]`, …) into `output`:
    /// `y[n] = ½·(Σ G[i]·u[2n−2i] + u[2n−2K+1])`. Processes
    /// `min(input.len()/2, output.len())` samples.
    pub fn process_block(&mut self, input: &[f32], output: &mut [f32]) {
        let k = self.taps.len();
        let h = 2 * k - 1;
        let n = (input.len() / 2).min(output.len());
        let mut even = [0.0f32; MAX_BRANCH + CHUNK];
        let mut odd = [0.0f32; MAX_UNIQUE_TAPS + CHUNK];
        let mut acc = [0.0f32; CHUNK];
        for (inp, out) in input[..2 * n]
            .chunks(2 * CHUNK)
            .zip(output.chunks_mut(CHUNK))
        {
            let m = inp.len() / 2;
            even[..h].copy_from_slice(&self.even[..h]);
            odd[..k].copy_from_slice(&self.odd[..k]);
            for ((pair, e), o) in inp
                .chunks_exact(2)
                .zip(&mut even[h..h + m])
                .zip(&mut odd[k..k + m])
            {
                *e = pair[0];
                *o = pair[1];
            }
            branch(self.taps, &even[..h + m], &mut acc[..m]);
            // u[2n−2K+1] is the odd sample K pairs back: odd[k + j − k].
            for ((y, a), o) in out.iter_mut().zip(&acc[..m]).zip(&odd[..m]) {
                *y = 0.5 * (*a + *o);
            }
            self.even[..h].copy_from_slice(&even[m..m + h]);
            self.odd[..k].copy_from_slice(&odd[m..m + k]);
        }
    }

    /// One input pair to its output sample (see
    /// [`Downsampler::process_block`]).
    pub fn process(&mut self, u: [f32; 2]) -> f32 {
        let mut y = [0.0];
        self.process_block(&u, &mut y);
        y[0]
    }

    /// Forget the history.
    pub fn reset(&mut self) {
        self.even = [0.0; MAX_BRANCH];
        self.odd = [0.0; MAX_UNIQUE_TAPS];
    }

    /// True when the whole history is exactly zero.
    pub fn is_silent(&self) -> bool {
        self.even.iter().chain(self.odd.iter()).all(|v| *v == 0.0)
    }
}
