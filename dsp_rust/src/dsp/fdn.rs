//! A dense reverberator: eight series input allpasses (diffusion) feeding a
//! 16-line feedback delay network with a Hadamard feedback matrix and a
//! one-pole absorption filter per line, the lines four to an [`F4`].
//!
//! Per frame, with `x` the mono input (f32, every step rounded as written):
//!
//! ```text
//! diffuser k:  d = buf_k[i];  w = x − g_k·d;  buf_k[i] = w;  x = d + g_k·w
//! line i:      y_i = line_i[p_i]                       (the line's output)
//!              s_i = b_i·y_i + a_i·s_i                 (absorption filter)
//!              z   = H·s                               (16 × 16 Hadamard)
//!              line_i[p_i] = z_i + σ_i·x               (σ_i = ±1)
//! out:         L = Σ λ_i·y_i,  R = Σ ρ_i·y_i           (λ, ρ: orthogonal ±1 patterns)
//! ```
//!
//! Line `i` is lane `k` of vector `j` (`i = 4j + k`). `H` is applied as a
//! radix-4 butterfly across the four vectors, an [`F4::transpose`], and the
//! same butterfly again: `z_{4j+k} = Σ h_{jj'}·h_{kk'}·s_{4k'+j'}` with `h`
//! the 4 × 4 Sylvester Hadamard matrix, so `H = P·(h ⊗ h)` for a permutation
//! `P`; `(h ⊗ h)/4` is orthogonal and its factor ¼ is folded into `b_i`
//! (exact: a power of two). The output sums run `(Y0 + Y1) − (Y2 + Y3)` and
//! `(Y0 − Y1) + (Y2 − Y3)` lane-wise, then over the lanes as
//! `(l0 + l1) + (l2 + l3)`.
//!
//! Lengths: line `i` is the smallest prime not below
//! `round(LINE_MS[i]·fs/1000)` and above the line before (distinct primes
//! are mutually prime: no two lines share a mode series); diffuser `k` is
//! `round(DIFFUSER_MS[k]·fs/1000)` frames (at least 1).
//!
//! Absorption: for a low-frequency decay time `T` and a decay time `T_hf` at
//! Nyquist (both set by [`Fdn::set_decay`]), line `i` of `n_i` frames
//! gets `g = 10^(−3·n_i/(fs·T))` at DC and `h = 10^(−3·n_i/(fs·T_hf))` at
//! Nyquist: `a_i = (g − h)/(g + h)`, `b_i = g·(1 − a_i)`, so the filter
//! `b/(1 − a·z⁻¹)` has gain `g` at DC and `h` at Nyquist, and every line
//! loses exactly 60 dB in `T` (at DC) whatever its length. The coefficients
//! are computed in f64 with [`exp2_f64`] (the same bits in every runtime),
//! rounded to f32 and ramped linearly per frame ([`LaneRamp`]).
//!
//! Bounded (proof): with `0 ≤ a_i` and `a_i + b_i < 1`, each line filter
//! has `|H_i(e^{jω})| ≤ b_i/(1 − a_i) = g_i < 1` at every frequency; the
//! feedback matrix `(h ⊗ h)/4` with a permutation is orthogonal (lossless,
//! `‖Qv‖₂ = ‖v‖₂`); the delays are lossless. The loop gain in ℓ² is thus at
//! most `max_i g_i < 1` and the small-gain theorem bounds the network.
//! The coefficients stay in that set: `0 < T_hf ≤ T` gives `0 < h ≤ g < 1`,
//! so `0 ≤ a < 1` and `a + b = g + a·(1 − g) < 1` (with the ¼: `a + 4b < 1`);
//! the set `{a ≥ 0, b ≥ 0, a + 4b < 1}` is convex, so the linear ramps
//! between two such pairs never leave it (and per frame
//! `|s| ≤ 4b·|y| + a·|s_prev|` never grows a state). The longest decay
//! (`T` = 6 s) gives `g` = 0.964 on the 32 ms line, 0.891 on the 100 ms one;
//! rounding to f32 moves `a + 4b` by about 1e-7, far from 1.
//!
//! Every state value below [`STATE_FLOOR`] in magnitude (and any value that
//! is not finite) is written as exact zero, so no subnormal survives and a
//! tail ends in exact zeros.

use crate::config::{zeroed, ConfigError};
use crate::math::exp2_f64;
use crate::simd::{LaneRamp, F4, I4};
use core::f64::consts::LOG2_10;

/// Lines in the network.
pub const LINES: usize = 16;
/// Nominal line lengths, ms (geometric from 32 to 100 ms; 961.8 ms in all).
pub const LINE_MS: [f64; LINES] = [
    32.0, 34.5, 37.3, 40.2, 43.4, 46.8, 50.5, 54.5, 58.8, 63.4, 68.4, 73.8, 79.6, 85.9, 92.7, 100.0,
];
/// Input diffusers in series.
pub const DIFFUSERS: usize = 8;
/// Input diffuser lengths, ms, in series order.
pub const DIFFUSER_MS: [f64; DIFFUSERS] = [4.771, 3.595, 12.735, 9.307, 2.1, 7.3, 5.9, 1.3];
/// Input diffuser coefficients, in series order (exact in binary).
pub const DIFFUSER_GAINS: [f32; DIFFUSERS] = [0.75, 0.75, 0.625, 0.625, 0.625, 0.625, 0.625, 0.625];
/// Gain of the input into the diffusers.
pub const INPUT_GAIN: f32 = 3.75;
/// Signs `σ` of the input into the lines, per vector.
const INPUT_SIGNS: [[f32; 4]; 4] = [
    [1.0, -1.0, 1.0, -1.0],
    [1.0, 1.0, -1.0, -1.0],
    [1.0, -1.0, -1.0, 1.0],
    [-1.0, 1.0, 1.0, -1.0],
];
/// Recirculating values smaller than this are replaced by exact zero.
pub const STATE_FLOOR: f32 = 1e-9;

/// `x`, or exactly zero when it is below [`STATE_FLOOR`] in magnitude or not finite.
#[inline(always)]
fn floor1(x: f32) -> f32 {
    if (STATE_FLOOR..=f32::MAX).contains(&x.abs()) {
        x
    } else {
        0.0
    }
}

/// [`floor1`] per lane.
#[inline(always)]
fn floor4(x: F4) -> F4 {
    let a = x.abs();
    x.keep(a.ge(F4::splat(STATE_FLOOR)).and(a.le(F4::splat(f32::MAX))))
}

/// The radix-4 Hadamard butterfly across four vectors (unnormalised).
#[inline(always)]
fn butterfly(s: [F4; 4]) -> [F4; 4] {
    let t0 = s[0] + s[1];
    let t1 = s[0] - s[1];
    let t2 = s[2] + s[3];
    let t3 = s[2] - s[3];
    [t0 + t2, t1 + t3, t0 - t2, t1 - t3]
}

/// `(v0 + v1) + (v2 + v3)` over the lanes of `v`.
#[inline(always)]
fn lane_sum(v: F4) -> f32 {
    let a = v.to_array();
    (a[0] + a[1]) + (a[2] + a[3])
}

fn is_prime(n: usize) -> bool {
    if n < 2 {
        return false;
    }
    let mut d = 2;
    while d * d <= n {
        if n % d == 0 {
            return false;
        }
        d += 1;
    }
    true
}

/// Line lengths in frames at `sample_rate_hz`: distinct primes (see the module doc).
pub fn line_frames(sample_rate_hz: f64) -> [usize; LINES] {
    let mut out = [0usize; LINES];
    let mut floor = 0usize;
    for (o, ms) in out.iter_mut().zip(LINE_MS) {
        let mut n = ((ms * 1e-3 * sample_rate_hz).round() as usize).max(floor + 1);
        while !is_prime(n) {
            n += 1;
        }
        *o = n;
        floor = n;
    }
    out
}

/// Diffuser lengths in frames at `sample_rate_hz` (at least 1).
pub fn diffuser_frames(sample_rate_hz: f64) -> [usize; DIFFUSERS] {
    DIFFUSER_MS.map(|ms| ((ms * 1e-3 * sample_rate_hz).round() as usize).max(1))
}

/// The dense reverberator's state and coefficients.
#[derive(Clone, Debug)]
pub struct Fdn {
    sample_rate_hz: f64,
    lines: Vec<f32>,
    start: [usize; LINES],
    end: [usize; LINES],
    at: [usize; LINES],
    store: [F4; 4],
    a: [LaneRamp<F4>; 4],
    b: [LaneRamp<F4>; 4],
    ramp_left: u32,
    diffusers: Vec<f32>,
    d_start: [usize; DIFFUSERS],
    d_end: [usize; DIFFUSERS],
    d_at: [usize; DIFFUSERS],
    longest: usize,
}

impl Fdn {
    /// A silent network at `sample_rate_hz` (lines and diffusers allocated
    /// here), decay set to 1 s at every frequency.
    pub fn new(sample_rate_hz: f64) -> Result<Fdn, ConfigError> {
        let lens = line_frames(sample_rate_hz);
        let dlens = diffuser_frames(sample_rate_hz);
        let mut start = [0usize; LINES];
        let mut end = [0usize; LINES];
        let mut total = 0usize;
        for i in 0..LINES {
            start[i] = total;
            total += lens[i];
            end[i] = total;
        }
        let mut d_start = [0usize; DIFFUSERS];
        let mut d_end = [0usize; DIFFUSERS];
        let mut dtotal = 0usize;
        for k in 0..DIFFUSERS {
            d_start[k] = dtotal;
            dtotal += dlens[k];
            d_end[k] = dtotal;
        }
        let longest = lens[LINES - 1] + dlens.iter().sum::<usize>();
        let mut f = Fdn {
            sample_rate_hz,
            lines: zeroed(total)?,
            start,
            end,
            at: start,
            store: [F4::splat(0.0); 4],
            a: [LaneRamp::new(0.0); 4],
            b: [LaneRamp::new(0.0); 4],
            ramp_left: 0,
            diffusers: zeroed(dtotal)?,
            d_start,
            d_end,
            d_at: d_start,
            longest,
        };
        f.set_decay(1.0, 1.0, 0);
        Ok(f)
    }

    /// Decay 60 dB in `t60_s` at low frequencies and `t60_hf_s` at Nyquist
    /// (`0 < t60_hf_s ≤ t60_s`), the coefficients ramping there over `steps`
    /// frames (0: at once).
    pub fn set_decay(&mut self, t60_s: f64, t60_hf_s: f64, steps: u32) {
        let lens = line_frames(self.sample_rate_hz);
        for (i, n) in lens.iter().enumerate() {
            let per = -3.0 * LOG2_10 * *n as f64 / self.sample_rate_hz;
            let g = exp2_f64(per / t60_s);
            let h = exp2_f64(per / t60_hf_s);
            let a = (g - h) / (g + h);
            let b = g * (1.0 - a) * 0.25;
            self.a[i / 4].set_target(i % 4, a as f32, steps);
            self.b[i / 4].set_target(i % 4, b as f32, steps);
        }
        self.ramp_left = self.ramp_left.max(steps);
    }

    /// Jump every coefficient ramp to its target.
    pub fn snap(&mut self) {
        for r in self.a.iter_mut().chain(self.b.iter_mut()) {
            for k in 0..4 {
                r.snap(k);
            }
        }
        self.ramp_left = 0;
    }

    /// The longest an input takes to reach the output, frames: the
    /// diffusers plus the longest line.
    pub fn longest_frames(&self) -> usize {
        self.longest
    }

    /// Run frames `0..m` of `x`: the outputs go to `out_l` and `out_r`
    /// (overwritten); `loud[f]` is set to 1.0 where frame `f` wrote a
    /// nonzero value into a line or diffuser.
    pub fn process(&mut self, x: &[f32], out_l: &mut [f32], out_r: &mut [f32], loud: &mut [f32]) {
        let m = x.len().min(out_l.len()).min(out_r.len()).min(loud.len());
        let signs = INPUT_SIGNS.map(F4::from_array);
        let zero_bits = I4::splat(0);
        let mut s = self.store;
        let mut at = self.at;
        let mut d_at = self.d_at;
        let mut a = self.a.map(|r| r.current());
        let mut b = self.b.map(|r| r.current());
        for f in 0..m {
            if self.ramp_left > 0 {
                self.ramp_left -= 1;
                for (v, r) in a.iter_mut().zip(self.a.iter_mut()) {
                    *v = r.tick();
                }
                for (v, r) in b.iter_mut().zip(self.b.iter_mut()) {
                    *v = r.tick();
                }
            }
            // Diffusers (scalar, in series).
            let mut u = x[f] * INPUT_GAIN;
            let mut wrote = false;
            for k in 0..DIFFUSERS {
                let p = d_at[k];
                let g = DIFFUSER_GAINS[k];
                let d = self.diffusers[p];
                let w = floor1(u - g * d);
                self.diffusers[p] = w;
                wrote |= w != 0.0;
                u = d + g * w;
                d_at[k] = if p + 1 >= self.d_end[k] {
                    self.d_start[k]
                } else {
                    p + 1
                };
            }
            // Line outputs, four lines to a vector.
            let mut y = [F4::splat(0.0); 4];
            for (j, yj) in y.iter_mut().enumerate() {
                let i = 4 * j;
                *yj = F4::from_array([
                    self.lines[at[i]],
                    self.lines[at[i + 1]],
                    self.lines[at[i + 2]],
                    self.lines[at[i + 3]],
                ]);
            }
            for j in 0..4 {
                s[j] = floor4(b[j] * y[j] + a[j] * s[j]);
            }
            let z = butterfly(F4::transpose(butterfly(s)));
            let uu = F4::splat(u);
            let mut nz = zero_bits;
            for j in 0..4 {
                let w = floor4(z[j] + uu * signs[j]);
                nz = nz.or(w.to_bits());
                let v = w.to_array();
                for (k, vk) in v.iter().enumerate() {
                    let i = 4 * j + k;
                    self.lines[at[i]] = *vk;
                    at[i] = if at[i] + 1 >= self.end[i] {
                        self.start[i]
                    } else {
                        at[i] + 1
                    };
                }
            }
            let p = y[0] + y[1];
            let q = y[2] + y[3];
            let d0 = y[0] - y[1];
            let d1 = y[2] - y[3];
            out_l[f] = lane_sum(p - q);
            out_r[f] = lane_sum(d0 + d1);
            if wrote || zero_bits.lt_u(nz).any() {
                loud[f] = 1.0;
            }
        }
        self.store = s;
        self.at = at;
        self.d_at = d_at;
    }

    /// True when every filter store is exactly zero.
    pub fn stores_are_zero(&self) -> bool {
        self.store
            .iter()
            .all(|v| v.to_array().iter().all(|x| *x == 0.0))
    }

    /// Zero the stores and rewind the read positions; with `buffers`, zero
    /// every line and diffuser too (without, the caller knows they hold zeros).
    pub fn clear(&mut self, buffers: bool) {
        if buffers {
            self.lines.iter_mut().for_each(|v| *v = 0.0);
            self.diffusers.iter_mut().for_each(|v| *v = 0.0);
        }
        self.store = [F4::splat(0.0); 4];
        self.at = self.start;
        self.d_at = self.d_start;
    }

    /// Every state value: lines, diffusers, stores.
    pub fn state_values(&self) -> impl Iterator<Item = f32> + '_ {
        self.lines
            .iter()
            .copied()
            .chain(self.diffusers.iter().copied())
            .chain(self.store.iter().flat_map(|v| v.to_array()))
    }
}
