//! Stereo reverb with two algorithms behind one set of controls: a dense
//! feedback delay network (the default, [`crate::dsp::fdn`]) and Jezar's
//! Freeverb, with a shared predelay and smoothed controls.
//!
//! Both take the same mono input: the pair summed, scaled by [`FIXED_GAIN`]
//! and delayed by the predelay (linear interpolation). Both give a left and
//! a right wet signal mixed by the same width and wet/dry law (below).
//!
//! ## Dense (`reverb_algorithm` 0)
//!
//! Eight input allpasses and 16 mutually-prime delay lines (32 to 100 ms,
//! 0.96 s in all) under a lossless Hadamard matrix, each line with a
//! one-pole absorption filter; see [`crate::dsp::fdn`] for the recursion and
//! the proof that it is bounded. The size sets the decay time at low
//! frequencies, `T60 = 0.25 s · 24^size` ([`DENSE_T60_MIN_S`],
//! [`DENSE_T60_RATIO`]: 0.25 s at 0, 2.3 s at the default 0.7, 6 s at 1), and
//! the damping the decay time at Nyquist, `T60·(1 − 0.85·damping)`
//! ([`DENSE_HF_SPREAD`]). The total line length meets Schroeder's rule for
//! modal density (at least `0.15·T60` modes per Hz, i.e. total delay at
//! least `0.15·T60` s) up to `T60` = 6.4 s, so at every size. The line
//! coefficients ramp linearly over the size and damping rows' 50 ms. The
//! network's input gain (3.75, [`crate::dsp::fdn::INPUT_GAIN`]) gives noise
//! through the default settings Freeverb's wet level (within 0.2 %).
//! Measured on the impulse response (`scripts/bench_reverb.py`): the
//! normalized echo density reaches 0.9 at 43 ms (Freeverb: 225 ms); at size
//! 1 the total line length is 1.07 times Schroeder's `0.15·T60` (Freeverb's
//! combs: 0.15 times).
//!
//! ## Freeverb (`reverb_algorithm` 1)
//!
//! Topology (Freeverb 3, public domain): the input pair is summed to mono,
//! scaled by [`FIXED_GAIN`] and delayed by the predelay (linear
//! interpolation); per side it feeds 8 parallel lowpass-feedback comb
//! filters, whose summed output runs through 4 series allpasses:
//!
//! ```text
//! comb:    y = buf[i];  s = y·(1 − damp) + s·damp;  buf[i] = x + s·room
//! allpass: b = buf[i];  buf[i] = x + 0.5·b;         out = b − x
//! ```
//!
//! Comb lengths are [`COMB_TUNINGS`] and allpass lengths [`ALLPASS_TUNINGS`]
//! frames at 44.1 kHz, scaled to the sample rate and rounded; the right side
//! is [`STEREO_SPREAD`] frames longer. `room = size·0.28 + 0.7`
//! ([`SCALE_ROOM`], [`OFFSET_ROOM`]) and `damp = damping·0.4`
//! ([`SCALE_DAMP`]), as in Freeverb. The outputs are
//!
//! ```text
//! outL = wet·(½ + ½w)·combL + wet·(½ − ½w)·combR + dry·inL      (w: width)
//! outR = wet·(½ + ½w)·combR + wet·(½ − ½w)·combL + dry·inR
//! ```
//!
//! with the equal-power wet/dry law `dry = sin((1 − mix)·π/2)`,
//! `wet = 3·sin(mix·π/2)` (3 is Freeverb's wet scale). Width 0 gives both
//! sides the same wet signal.
//!
//! ## Switching
//!
//! Both algorithms are allocated at construction. A switch crossfades
//! linearly over the algorithm row's 50 ms: while the fade runs, both
//! algorithms process the input and their wet signals are blended
//! `(1 − b)·dense + b·freeverb`, `b` ramping to 0 (dense) or 1 (Freeverb).
//! The incoming algorithm starts from silence: when a switch starts from
//! rest, its state is cleared (a memset of its lines, no allocation, skipped
//! when it has not run since it was last cleared); a switch back during a fade
//! only reverses the ramp (both are running, nothing is cleared). At rest
//! only the selected algorithm runs, and its output is exactly what it
//! would give alone.
//!
//! Every control ramps linearly per frame over its row's smoothing time:
//! the comb feedback and damping coefficients (no zipper noise from size or
//! damping), the width, the wet and dry gains and the predelay in frames.
//!
//! Recirculating values below [`STATE_FLOOR`] (−180 dBFS, under the 24-bit
//! noise floor) are set to exactly zero, so a tail ends in exact silence:
//! at the default size an impulse's tail is exactly zero within 10 s.

use crate::config::{zeroed, ConfigError, QUIET};
use crate::dsp::fdn::Fdn;
use crate::dsp::quiet::QuietFrames;
use crate::math::flush;
use crate::smooth::{steps_for_ms, Linear};
use crate::spec::{ParamSpec, Scope, FLAG_STEPPED};
use crate::units::Unit;

/// Comb filter lengths in frames at [`TUNING_RATE_HZ`] (left side).
pub const COMB_TUNINGS: [usize; 8] = [1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617];
/// Allpass lengths in frames at [`TUNING_RATE_HZ`] (left side), in series order.
pub const ALLPASS_TUNINGS: [usize; 4] = [556, 441, 341, 225];
/// Extra length of every right-side filter, frames at [`TUNING_RATE_HZ`].
pub const STEREO_SPREAD: usize = 23;
/// Sample rate the tunings are given at.
pub const TUNING_RATE_HZ: f64 = 44100.0;
/// Gain of the mono input into the combs.
pub const FIXED_GAIN: f32 = 0.015;
/// Wet gain at mix 1.
pub const SCALE_WET: f32 = 3.0;
/// Comb damping coefficient per unit of `reverb_damping`.
pub const SCALE_DAMP: f32 = 0.4;
/// Comb feedback per unit of `reverb_size`.
pub const SCALE_ROOM: f32 = 0.28;
/// Comb feedback at size 0.
pub const OFFSET_ROOM: f32 = 0.7;
/// Allpass feedback.
pub const ALLPASS_FEEDBACK: f32 = 0.5;
/// Longest predelay, ms.
pub const MAX_PREDELAY_MS: f64 = 200.0;
/// Recirculating values smaller than this are replaced by exact zero.
pub const STATE_FLOOR: f32 = 1e-9;
/// Dense algorithm: low-frequency decay time at size 0, seconds.
pub const DENSE_T60_MIN_S: f64 = 0.25;
/// Dense algorithm: decay time at size 1 over that at size 0.
pub const DENSE_T60_RATIO: f64 = 24.0;
/// log2 of [`DENSE_T60_RATIO`].
const LOG2_T60_RATIO: f64 = 4.584_962_500_721_156;
/// Dense algorithm: share of the decay time damping 1 takes off at Nyquist.
pub const DENSE_HF_SPREAD: f64 = 0.85;
/// `reverb_algorithm` value of the dense network.
pub const ALGORITHM_DENSE: f32 = 0.0;
/// `reverb_algorithm` value of Freeverb.
pub const ALGORITHM_FREEVERB: f32 = 1.0;

/// The dense algorithm's decay times `(T60 at low frequencies, T60 at
/// Nyquist)` in seconds for a size and a damping (see the module doc).
pub fn dense_decay_s(size: f32, damping: f32) -> (f64, f64) {
    let t60 = DENSE_T60_MIN_S * crate::math::exp2_f64(size as f64 * LOG2_T60_RATIO);
    (t60, t60 * (1.0 - DENSE_HF_SPREAD * damping as f64))
}

/// Frames processed per inner pass: the combs run one after another over
/// a stack chunk of this many frames (same arithmetic per frame, in the
/// same order, whatever the block length).
const CHUNK: usize = 64;

/// The reverb's parameter rows; `set`/`get` take an index into this table.
pub const PARAMS: [ParamSpec; 6] = [
    ParamSpec {
        name: "reverb_size",
        unit: "",
        scope: Scope::Insert,
        min: 0.0,
        max: 1.0,
        default: 0.7,
        smoothing_ms: 50.0,
        flags: 0,
        doc: "Room size, 0 to 1: dense decay time 0.25 s to 6 s (Freeverb: comb feedback 0.7 to 0.98).",
    },
    ParamSpec {
        name: "reverb_damping",
        unit: "",
        scope: Scope::Insert,
        min: 0.0,
        max: 1.0,
        default: 0.5,
        smoothing_ms: 50.0,
        flags: 0,
        doc: "High-frequency damping of the tail, 0 (bright) to 1 (dark).",
    },
    ParamSpec {
        name: "reverb_width",
        unit: "",
        scope: Scope::Insert,
        min: 0.0,
        max: 1.0,
        default: 1.0,
        smoothing_ms: 20.0,
        flags: 0,
        doc: "Stereo width of the reverb, 0 (mono) to 1 (full).",
    },
    ParamSpec {
        name: "reverb_predelay_ms",
        unit: "ms",
        scope: Scope::Insert,
        min: 0.0,
        max: 200.0,
        default: 10.0,
        smoothing_ms: 100.0,
        flags: 0,
        doc: "Delay before the reverb starts, 0 to 200 ms (rounded to whole frames).",
    },
    ParamSpec {
        name: "reverb_mix",
        unit: "",
        scope: Scope::Insert,
        min: 0.0,
        max: 1.0,
        default: 0.3,
        smoothing_ms: 20.0,
        flags: 0,
        doc: "Wet/dry balance, 0 (dry) to 1 (reverb only), equal-power.",
    },
    ParamSpec {
        name: "reverb_algorithm",
        unit: "",
        scope: Scope::Insert,
        min: 0.0,
        max: 1.0,
        default: 0.0,
        smoothing_ms: 50.0,
        flags: FLAG_STEPPED,
        doc: "Algorithm: 0 dense (16-line feedback delay network), 1 Freeverb; a switch crossfades over 50 ms.",
    },
];

/// `x`, or exactly zero when it is below [`STATE_FLOOR`] in magnitude or not finite.
#[inline(always)]
fn floor_state(x: f32) -> f32 {
    if (STATE_FLOOR..=f32::MAX).contains(&x.abs()) {
        x
    } else {
        0.0
    }
}

/// `tuning` frames at 44.1 kHz, in frames at `sample_rate_hz` (at least 1).
fn scaled(tuning: usize, sample_rate_hz: f64) -> usize {
    let n = (tuning as f64 * sample_rate_hz / TUNING_RATE_HZ).round();
    if n >= 1.0 {
        n as usize
    } else {
        1
    }
}

#[derive(Clone, Debug)]
struct Comb {
    buf: Vec<f32>,
    index: usize,
    store: f32,
}

impl Comb {
    fn new(len: usize) -> Result<Comb, ConfigError> {
        Ok(Comb {
            buf: zeroed(len.max(1))?,
            index: 0,
            store: 0.0,
        })
    }

    /// Run four combs over a chunk as four independent recursions side by
    /// side (the CPU overlaps them): `c[0]` then `c[1]` add their outputs to
    /// `acc_l`, `c[2]` then `c[3]` to `acc_r`, in that order per frame. `x` is
    /// the input, `room`, `damp` and `undamp` the per-frame coefficients; the
    /// largest write goes to `peak`.
    #[allow(clippy::too_many_arguments)]
    fn run_quad(
        c: [&mut Comb; 4],
        x: &[f32],
        room: &[f32],
        damp: &[f32],
        undamp: &[f32],
        acc_l: &mut [f32],
        acc_r: &mut [f32],
        peak: &mut [f32],
    ) {
        let n = x
            .len()
            .min(room.len())
            .min(damp.len())
            .min(undamp.len())
            .min(acc_l.len())
            .min(acc_r.len())
            .min(peak.len());
        let [c0, c1, c2, c3] = c;
        let len = [c0.buf.len(), c1.buf.len(), c2.buf.len(), c3.buf.len()];
        let mut i = [c0.index, c1.index, c2.index, c3.index];
        let mut s = [c0.store, c1.store, c2.store, c3.store];
        for f in 0..n {
            // i[j] < len[j]: each starts below its length and wraps to 0 on reaching it.
            let y = [c0.buf[i[0]], c1.buf[i[1]], c2.buf[i[2]], c3.buf[i[3]]];
            let mut w = [0.0f32; 4];
            for j in 0..4 {
                s[j] = floor_state(y[j] * undamp[f] + s[j] * damp[f]);
                w[j] = floor_state(x[f] + s[j] * room[f]);
            }
            c0.buf[i[0]] = w[0];
            c1.buf[i[1]] = w[1];
            c2.buf[i[2]] = w[2];
            c3.buf[i[3]] = w[3];
            for j in 0..4 {
                i[j] += 1;
                if i[j] >= len[j] {
                    i[j] = 0;
                }
            }
            acc_l[f] = acc_l[f] + y[0] + y[1];
            acc_r[f] = acc_r[f] + y[2] + y[3];
            peak[f] = peak[f]
                .max(w[0].abs())
                .max(w[1].abs())
                .max(w[2].abs())
                .max(w[3].abs());
        }
        for (j, cj) in [c0, c1, c2, c3].into_iter().enumerate() {
            cj.index = i[j];
            cj.store = s[j];
        }
    }

    fn clear(&mut self, buffers: bool) {
        if buffers {
            self.buf.iter_mut().for_each(|v| *v = 0.0);
        }
        self.index = 0;
        self.store = 0.0;
    }
}

#[derive(Clone, Debug)]
struct Allpass {
    buf: Vec<f32>,
    index: usize,
}

impl Allpass {
    fn new(len: usize) -> Result<Allpass, ConfigError> {
        Ok(Allpass {
            buf: zeroed(len.max(1))?,
            index: 0,
        })
    }

    /// Run the left allpass `l` over `io_l` and the right one `r` over
    /// `io_r`, in place, side by side; the largest write goes to `peak`.
    fn run_pair(
        l: &mut Allpass,
        r: &mut Allpass,
        io_l: &mut [f32],
        io_r: &mut [f32],
        peak: &mut [f32],
    ) {
        let n = io_l.len().min(io_r.len()).min(peak.len());
        let (len_l, len_r) = (l.buf.len(), r.buf.len());
        let (mut il, mut ir) = (l.index, r.index);
        for f in 0..n {
            // il < len_l and ir < len_r: they start below and wrap to 0 on reaching it.
            let (xl, xr) = (io_l[f], io_r[f]);
            let (bl, br) = (l.buf[il], r.buf[ir]);
            let wl = floor_state(xl + bl * ALLPASS_FEEDBACK);
            let wr = floor_state(xr + br * ALLPASS_FEEDBACK);
            l.buf[il] = wl;
            r.buf[ir] = wr;
            il += 1;
            if il >= len_l {
                il = 0;
            }
            ir += 1;
            if ir >= len_r {
                ir = 0;
            }
            io_l[f] = -xl + bl;
            io_r[f] = -xr + br;
            peak[f] = peak[f].max(wl.abs()).max(wr.abs());
        }
        l.index = il;
        r.index = ir;
    }

    fn clear(&mut self, buffers: bool) {
        if buffers {
            self.buf.iter_mut().for_each(|v| *v = 0.0);
        }
        self.index = 0;
    }
}

/// The reverb unit.
#[derive(Clone, Debug)]
pub struct Reverb {
    sample_rate_hz: f64,
    values: [f32; 6],
    steps: [u32; 6],
    combs_left: Vec<Comb>,
    combs_right: Vec<Comb>,
    allpasses_left: Vec<Allpass>,
    allpasses_right: Vec<Allpass>,
    predelay_buf: Vec<f32>,
    predelay_write: usize,
    predelay_frames: Linear,
    room: Linear,
    damp: Linear,
    width: Linear,
    wet: Linear,
    dry: Linear,
    longest_comb: usize,
    span: usize,
    quiet: QuietFrames,
    fdn: Fdn,
    blend: Linear,
    freeverb_dirty: bool,
    dense_dirty: bool,
}

impl Reverb {
    /// Row index of `reverb_size`.
    pub const SIZE: usize = 0;
    /// Row index of `reverb_damping`.
    pub const DAMPING: usize = 1;
    /// Row index of `reverb_width`.
    pub const WIDTH: usize = 2;
    /// Row index of `reverb_predelay_ms`.
    pub const PREDELAY_MS: usize = 3;
    /// Row index of `reverb_mix`.
    pub const MIX: usize = 4;
    /// Row index of `reverb_algorithm`.
    pub const ALGORITHM: usize = 5;

    /// A reverb at `sample_rate_hz` with every parameter at its default.
    /// Allocates all filter lines and the 200 ms predelay line; any block
    /// length can be processed, `_max_block_frames` is not needed.
    pub fn new(sample_rate_hz: f32, _max_block_frames: usize) -> Result<Self, ConfigError> {
        if !(sample_rate_hz.is_finite() && sample_rate_hz >= 1.0) {
            return Err(ConfigError::SampleRate);
        }
        let sr = sample_rate_hz as f64;
        let mut combs_left = Vec::new();
        let mut combs_right = Vec::new();
        let mut allpasses_left = Vec::new();
        let mut allpasses_right = Vec::new();
        for v in [&mut combs_left, &mut combs_right] {
            v.try_reserve_exact(COMB_TUNINGS.len())
                .map_err(|_| ConfigError::OutOfMemory)?;
        }
        for v in [&mut allpasses_left, &mut allpasses_right] {
            v.try_reserve_exact(ALLPASS_TUNINGS.len())
                .map_err(|_| ConfigError::OutOfMemory)?;
        }
        for t in COMB_TUNINGS {
            combs_left.push(Comb::new(scaled(t, sr))?);
            combs_right.push(Comb::new(scaled(t + STEREO_SPREAD, sr))?);
        }
        for t in ALLPASS_TUNINGS {
            allpasses_left.push(Allpass::new(scaled(t, sr))?);
            allpasses_right.push(Allpass::new(scaled(t + STEREO_SPREAD, sr))?);
        }
        let predelay_len = (MAX_PREDELAY_MS * 1e-3 * sr).ceil() as usize + 2;
        let longest_comb = combs_left
            .iter()
            .chain(combs_right.iter())
            .map(|c| c.buf.len())
            .max()
            .unwrap_or(1);
        let longest_allpass = allpasses_left
            .iter()
            .chain(allpasses_right.iter())
            .map(|a| a.buf.len())
            .max()
            .unwrap_or(1);
        let fdn = Fdn::new(sr)?;
        let span = predelay_len
            .max(longest_comb)
            .max(longest_allpass)
            .max(fdn.longest_frames());
        let mut r = Reverb {
            sample_rate_hz: sr,
            values: [0.0; 6],
            steps: [0; 6],
            combs_left,
            combs_right,
            allpasses_left,
            allpasses_right,
            predelay_buf: zeroed(predelay_len)?,
            predelay_write: 0,
            predelay_frames: Linear::new(0.0),
            room: Linear::new(0.0),
            damp: Linear::new(0.0),
            width: Linear::new(0.0),
            wet: Linear::new(0.0),
            dry: Linear::new(0.0),
            longest_comb,
            span,
            quiet: QuietFrames::SETTLED,
            fdn,
            blend: Linear::new(0.0),
            freeverb_dirty: false,
            dense_dirty: false,
        };
        for (i, p) in PARAMS.iter().enumerate() {
            r.steps[i] = steps_for_ms(p.smoothing_ms, sample_rate_hz);
            r.set(i, p.default);
        }
        Ok(r)
    }

    /// Set row `index` of [`PARAMS`] to `value` (already clamped by the caller;
    /// clamped again here). Unknown rows are ignored. While the unit is quiet
    /// (all state exactly zero, see [`Reverb::is_quiet`]) changes take effect
    /// at once: there is nothing to click.
    pub fn set(&mut self, index: usize, value: f32) {
        let spec = match PARAMS.get(index) {
            Some(s) => s,
            None => return,
        };
        let mut v = value.max(spec.min).min(spec.max);
        if spec.flags & FLAG_STEPPED != 0 {
            v = v.round();
        }
        self.values[index] = v;
        let steps = self.steps[index];
        match index {
            Self::SIZE => {
                self.room.set_target(v * SCALE_ROOM + OFFSET_ROOM, steps);
                self.set_dense_decay(steps);
            }
            Self::DAMPING => {
                self.damp.set_target(v * SCALE_DAMP, steps);
                self.set_dense_decay(steps);
            }
            Self::ALGORITHM => self.switch_to(v, steps),
            Self::WIDTH => self.width.set_target(v, steps),
            Self::PREDELAY_MS => {
                let max = self.predelay_buf.len().saturating_sub(2) as f64;
                let frames = (v as f64 * 1e-3 * self.sample_rate_hz).round().min(max);
                self.predelay_frames.set_target(frames as f32, steps);
            }
            _ => {
                let half_pi = core::f64::consts::FRAC_PI_2;
                let wet = (v as f64 * half_pi).sin() * SCALE_WET as f64;
                let dry = ((1.0 - v as f64) * half_pi).sin();
                self.wet.set_target(wet as f32, steps);
                self.dry.set_target(dry as f32, steps);
            }
        }
        if self.is_quiet() {
            self.snap();
        }
    }

    /// The last value set for row `index` (0 for unknown rows).
    pub fn get(&self, index: usize) -> f32 {
        self.values.get(index).copied().unwrap_or(0.0)
    }

    fn set_dense_decay(&mut self, steps: u32) {
        let (t60, t60_hf) = dense_decay_s(self.values[Self::SIZE], self.values[Self::DAMPING]);
        self.fdn.set_decay(t60, t60_hf, steps);
    }

    /// Start the crossfade to `algorithm` (see the module doc): from rest,
    /// the incoming algorithm's state is cleared first.
    fn switch_to(&mut self, algorithm: f32, steps: u32) {
        #[allow(clippy::float_cmp)]
        let same = algorithm == self.blend.target();
        if same {
            return;
        }
        if !self.blend.is_active() {
            if algorithm == ALGORITHM_FREEVERB {
                if self.freeverb_dirty {
                    self.clear_freeverb();
                }
            } else if self.dense_dirty {
                self.fdn.clear(true);
                self.dense_dirty = false;
            }
        }
        self.blend.set_target(algorithm, steps);
    }

    fn clear_freeverb(&mut self) {
        for c in self
            .combs_left
            .iter_mut()
            .chain(self.combs_right.iter_mut())
        {
            c.clear(true);
        }
        for a in self
            .allpasses_left
            .iter_mut()
            .chain(self.allpasses_right.iter_mut())
        {
            a.clear(true);
        }
        self.freeverb_dirty = false;
    }

    /// Which algorithms run in the next chunk: `(dense, freeverb)`.
    fn running(&self) -> (bool, bool) {
        let fading = self.blend.is_active();
        let b = self.blend.current();
        (fading || b == 0.0, fading || b != 0.0)
    }

    fn snap(&mut self) {
        self.fdn.snap();
        for s in [
            &mut self.predelay_frames,
            &mut self.room,
            &mut self.damp,
            &mut self.width,
            &mut self.wet,
            &mut self.dry,
            &mut self.blend,
        ] {
            s.snap();
        }
    }

    /// The predelay in whole frames the current setting asks for.
    pub fn predelay_frames(&self) -> usize {
        self.predelay_frames.target() as usize
    }

    /// Process a stereo block in place (any length; the shorter slice rules).
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len().min(right.len());
        let mut start = 0;
        while start < n {
            let m = (n - start).min(CHUNK);
            self.process_chunk(&mut left[start..start + m], &mut right[start..start + m]);
            start += m;
        }
    }

    fn process_chunk(&mut self, left: &mut [f32], right: &mut [f32]) {
        let m = left.len().min(right.len()).min(CHUNK);
        let mut x = [0.0f32; CHUNK];
        let mut room = [0.0f32; CHUNK];
        let mut damp = [0.0f32; CHUNK];
        let mut undamp = [0.0f32; CHUNK];
        let mut peak = [0.0f32; CHUNK];
        let pd_len = self.predelay_buf.len();
        if pd_len < 2 {
            return;
        }
        let wrap = |i: usize| if i >= pd_len { i - pd_len } else { i };
        let mut w = self.predelay_write.min(pd_len - 1);
        for f in 0..m {
            let input = floor_state((left[f] + right[f]) * FIXED_GAIN);
            self.predelay_buf[w] = input;
            let d = self.predelay_frames.tick();
            let whole = d.floor();
            let t = d - whole;
            // k in [0, pd_len-2]: both taps below are in [0, pd_len).
            let k = (whole as usize).min(pd_len - 2);
            let a = self.predelay_buf[wrap(w + pd_len - k)];
            let b = self.predelay_buf[wrap(w + pd_len - k - 1)];
            x[f] = a + t * (b - a);
            w = wrap(w + 1);
            room[f] = self.room.tick();
            let dm = self.damp.tick();
            damp[f] = dm;
            undamp[f] = 1.0 - dm;
            peak[f] = input.abs();
        }
        self.predelay_write = w;

        let mut acc_l = [0.0f32; CHUNK];
        let mut acc_r = [0.0f32; CHUNK];
        let (dense, freeverb) = self.running();
        let mut fv_peak = [0.0f32; CHUNK];
        if freeverb {
            self.freeverb_dirty = true;
            self.run_freeverb(
                (&x[..m], &room[..m], &damp[..m], &undamp[..m]),
                &mut acc_l[..m],
                &mut acc_r[..m],
                &mut fv_peak[..m],
            );
        }
        let mut dn_l = [0.0f32; CHUNK];
        let mut dn_r = [0.0f32; CHUNK];
        let mut dn_peak = [0.0f32; CHUNK];
        if dense {
            self.dense_dirty = true;
            self.fdn
                .process(&x[..m], &mut dn_l[..m], &mut dn_r[..m], &mut dn_peak[..m]);
        }
        if dense && freeverb {
            // The crossfade: each algorithm's writes count as sound only
            // while its weight is above zero.
            for f in 0..m {
                let b = self.blend.tick();
                let a = 1.0 - b;
                acc_l[f] = dn_l[f] * a + acc_l[f] * b;
                acc_r[f] = dn_r[f] * a + acc_r[f] * b;
                let loud = (a > 0.0 && dn_peak[f] > 0.0) || (b > 0.0 && fv_peak[f] > 0.0);
                if loud {
                    peak[f] = 1.0;
                }
            }
        } else if dense {
            acc_l = dn_l;
            acc_r = dn_r;
            for (p, d) in peak[..m].iter_mut().zip(&dn_peak[..m]) {
                *p = p.max(*d);
            }
        } else {
            for (p, d) in peak[..m].iter_mut().zip(&fv_peak[..m]) {
                *p = p.max(*d);
            }
        }

        let mut quiet = self.quiet;
        for f in 0..m {
            let wet = self.wet.tick();
            let dry = self.dry.tick();
            let width = self.width.tick();
            let wet1 = wet * (0.5 + 0.5 * width);
            let wet2 = wet * (0.5 - 0.5 * width);
            let (al, ar) = (acc_l[f], acc_r[f]);
            let (il, ir) = (left[f], right[f]);
            left[f] = flush(al * wet1 + ar * wet2 + il * dry);
            right[f] = flush(ar * wet1 + al * wet2 + ir * dry);
            let loud = peak[f] > 0.0 || il.abs().max(ir.abs()) > QUIET;
            quiet.frame(loud);
        }
        self.quiet = quiet;
    }

    /// Freeverb's combs and allpasses over one chunk: `inputs` are the
    /// input, room, damp and undamp per frame; the wet pair goes to `acc_l`
    /// and `acc_r` (zeroed by the caller), the largest write to `peak`.
    fn run_freeverb(
        &mut self,
        inputs: (&[f32], &[f32], &[f32], &[f32]),
        acc_l: &mut [f32],
        acc_r: &mut [f32],
        peak: &mut [f32],
    ) {
        let (x, room, damp, undamp) = inputs;
        for (l, r) in self
            .combs_left
            .chunks_exact_mut(2)
            .zip(self.combs_right.chunks_exact_mut(2))
        {
            let (l0, l1) = l.split_at_mut(1);
            let (r0, r1) = r.split_at_mut(1);
            if let (Some(a), Some(b), Some(c), Some(d)) = (
                l0.first_mut(),
                l1.first_mut(),
                r0.first_mut(),
                r1.first_mut(),
            ) {
                Comb::run_quad([a, b, c, d], x, room, damp, undamp, acc_l, acc_r, peak);
            }
        }
        for (al, ar) in self
            .allpasses_left
            .iter_mut()
            .zip(self.allpasses_right.iter_mut())
        {
            Allpass::run_pair(al, ar, acc_l, acc_r, peak);
        }
    }

    /// True when the input and every write of the running algorithms have
    /// been zero for the longest line and their filter stores hold zero.
    fn state_is_zero(&self) -> bool {
        if !self.quiet.covers(self.span) {
            return false;
        }
        let (dense, freeverb) = self.running();
        let combs_zero = || {
            self.combs_left
                .iter()
                .chain(self.combs_right.iter())
                .all(|c| c.store == 0.0)
        };
        (!freeverb || combs_zero()) && (!dense || self.fdn.stores_are_zero())
    }

    /// Clear every line and filter of both algorithms to exact zeros and end
    /// every ramp (lines already known to hold zeros are not rewritten).
    pub fn reset(&mut self) {
        let zero = self.state_is_zero();
        let (dense, freeverb) = self.running();
        let fv_buffers = self.freeverb_dirty && !(zero && freeverb);
        for c in self
            .combs_left
            .iter_mut()
            .chain(self.combs_right.iter_mut())
        {
            c.clear(fv_buffers);
        }
        for a in self
            .allpasses_left
            .iter_mut()
            .chain(self.allpasses_right.iter_mut())
        {
            a.clear(fv_buffers);
        }
        self.freeverb_dirty = false;
        self.fdn.clear(self.dense_dirty && !(zero && dense));
        self.dense_dirty = false;
        if !zero {
            self.predelay_buf.iter_mut().for_each(|v| *v = 0.0);
        }
        self.predelay_write = 0;
        self.quiet = QuietFrames::SETTLED;
        self.snap();
    }

    /// True when the input has stayed below −120 dBFS and every value written
    /// to the predelay, comb and allpass lines has been exactly zero for the
    /// longest line's length, and the comb filters hold zero: the whole state
    /// is zero, so the output for silent input is zero.
    pub fn is_quiet(&self) -> bool {
        self.state_is_zero()
    }

    /// True when the predelay, comb (lines and filter stores) and allpass
    /// state holds exact zeros.
    pub fn state_is_silent(&self) -> bool {
        self.state_values().all(|v| v == 0.0)
    }

    /// True when every state value is exactly zero or a normal float (never
    /// subnormal, NaN or infinite).
    pub fn state_is_clean(&self) -> bool {
        self.state_values().all(|v| v == 0.0 || v.is_normal())
    }

    /// Every value of the predelay, comb and allpass state.
    fn state_values(&self) -> impl Iterator<Item = f32> + '_ {
        let combs = self.combs_left.iter().chain(self.combs_right.iter());
        let allpasses = self
            .allpasses_left
            .iter()
            .chain(self.allpasses_right.iter());
        self.predelay_buf
            .iter()
            .copied()
            .chain(combs.flat_map(|c| c.buf.iter().copied().chain(core::iter::once(c.store))))
            .chain(allpasses.flat_map(|a| a.buf.iter().copied()))
            .chain(self.fdn.state_values())
    }

    /// The longest an input takes to reach the output, in frames: the
    /// predelay (the longer of its target and current value) plus the
    /// longest comb or dense line with its diffusers, whichever is longer.
    pub fn tail_frames(&self) -> usize {
        let pd = self
            .predelay_frames
            .target()
            .max(self.predelay_frames.current());
        pd.ceil() as usize + 1 + self.longest_comb.max(self.fdn.longest_frames())
    }
}

forward_unit!(Reverb);

/// Constructor for the insert-slot table: a boxed [`Reverb`].
pub fn make(sample_rate_hz: f32, max_block_frames: usize) -> Result<Box<dyn Unit>, ConfigError> {
    Ok(Box::new(Reverb::new(sample_rate_hz, max_block_frames)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(747_796_405).wrapping_add(1);
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect()
    }

    fn run(u: &mut Reverb, l: &mut [f32], r: &mut [f32], block: usize) {
        for (a, b) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
            u.process(a, b);
        }
    }

    #[test]
    fn predelay_shifts_the_onset() {
        let onset = |ms: f32, algorithm: f32| {
            let mut u = Reverb::new(48000.0, 128).unwrap();
            u.set(Reverb::ALGORITHM, algorithm);
            u.set(Reverb::PREDELAY_MS, ms);
            u.set(Reverb::MIX, 1.0);
            let mut l = vec![0.0f32; 20000];
            let mut r = vec![0.0f32; 20000];
            l[0] = 1.0;
            run(&mut u, &mut l, &mut r, 128);
            l.iter().position(|v| *v != 0.0)
        };
        let first_comb = scaled(COMB_TUNINGS[0], 48000.0);
        assert_eq!(onset(0.0, ALGORITHM_FREEVERB), Some(first_comb));
        assert_eq!(onset(50.0, ALGORITHM_FREEVERB), Some(first_comb + 2400));
        assert_eq!(onset(200.0, ALGORITHM_FREEVERB), Some(first_comb + 9600));
        let first_line = crate::dsp::fdn::line_frames(48000.0)[0];
        assert_eq!(onset(0.0, ALGORITHM_DENSE), Some(first_line));
        assert_eq!(onset(200.0, ALGORITHM_DENSE), Some(first_line + 9600));
    }

    #[test]
    fn dense_line_lengths_are_distinct_primes_meeting_schroeders_rule() {
        for sr in [1.0, 8000.0, 44100.0, 48000.0, 96000.0, 192000.0] {
            let n = crate::dsp::fdn::line_frames(sr);
            assert!(n.windows(2).all(|w| w[0] < w[1]), "{sr}: {n:?}");
            assert!(n
                .iter()
                .all(|&k| (2..k).take_while(|d| d * d <= k).all(|d| k % d != 0)));
            if sr >= 8000.0 {
                let total_s = n.iter().sum::<usize>() as f64 / sr;
                let (t60_max, _) = dense_decay_s(1.0, 0.0);
                assert!(total_s >= 0.15 * t60_max, "{sr}: {total_s} s");
            }
        }
    }

    #[test]
    fn switching_algorithm_crossfades_without_a_step() {
        let mut u = Reverb::new(48000.0, 128).unwrap();
        u.set(Reverb::MIX, 1.0);
        let mut l = noise(9600, 5);
        let mut r = noise(9600, 6);
        run(&mut u, &mut l[..4800], &mut r[..4800], 128);
        u.set(Reverb::ALGORITHM, ALGORITHM_FREEVERB);
        assert!(u.blend.is_active());
        let steps = steps_for_ms(PARAMS[Reverb::ALGORITHM].smoothing_ms, 48000.0) as usize;
        run(&mut u, &mut l[4800..], &mut r[4800..], 128);
        assert!(!u.blend.is_active() && u.blend.current() == 1.0);
        // The largest step between frames across the switch is no larger
        // than the signal's own largest step before it.
        let step = |x: &[f32]| {
            x.windows(2)
                .map(|w| (w[1] - w[0]).abs())
                .fold(0.0, f32::max)
        };
        assert!(step(&l[4800..4800 + steps]) <= 1.5 * step(&l[2400..4800]));
        // Back to dense from rest: its stale state is cleared first.
        u.set(Reverb::ALGORITHM, ALGORITHM_DENSE);
        assert!(u.fdn.state_values().all(|v| v == 0.0));
    }

    #[test]
    fn parameter_changes_ramp_instead_of_stepping() {
        let mut u = Reverb::new(48000.0, 128).unwrap();
        let mut l = noise(4800, 3);
        let mut r = noise(4800, 4);
        run(&mut u, &mut l, &mut r, 128);
        u.set(Reverb::SIZE, 0.0);
        u.set(Reverb::MIX, 1.0);
        assert!(u.room.is_active() && u.wet.is_active() && u.dry.is_active());
        let mut l = vec![0.0f32; 4800];
        let mut r = vec![0.0f32; 4800];
        run(&mut u, &mut l, &mut r, 128);
        assert!(!u.room.is_active());
        assert_eq!(u.room.current(), OFFSET_ROOM);
    }
}
