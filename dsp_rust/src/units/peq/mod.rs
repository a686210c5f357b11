//! Stereo 8-band parametric EQ: each band is off, a peak, a low or high
//! shelf, or a low or high pass, with separate filter state for the left
//! and right channels. Bands run in series, band 1 first.
//!
//! Filters: shelves have the transfer functions of the RBJ Audio EQ
//! Cookbook biquads (Robert Bristow-Johnson; W3C "Audio EQ Cookbook" note),
//! the bilinear transform, prewarped at the band frequency, of the
//! cookbook's analog prototypes, in its Q form (`Q = 1/√2` is its shelf
//! slope S = 1). Peaks and low and high passes are matched to the same
//! analog prototypes instead ([`crate::dsp::matched`]): impulse-invariant
//! poles and a numerator solved for the prototype's magnitude, so a band
//! high in the spectrum keeps its width and level up to Nyquist. Every band
//! is realised as the linear trapezoidal state-variable filter (Andrew
//! Simper, Cytomic, "Solving the continuous SVF equations using trapezoidal
//! integration and equivalent currents", 2013), whose output is a mix
//! `m0·v0 + m1·v1 + m2·v2` of the input, band-pass and low-pass states; a
//! matched section becomes an SVF through the inverse bilinear transform
//! (`design.rs`). In f32 the SVF keeps the response where a direct-form
//! biquad does not: with its `a1 ≈ −2` rounded to f32, a direct form puts a
//! 60 Hz, Q 18 peak at 192 kHz off by about 2 dB, while the SVF stays within
//! 1e-3 dB. The SVF also tolerates coefficient changes while it runs, which
//! the parameter ramps rely on.
//!
//! Frequencies are held within [`MIN_FREQ_HZ`](crate::dsp::biquad::MIN_FREQ_HZ),
//! `MAX_FREQ_RATIO × rate` (10 Hz to 0.45 × the sample rate), as in
//! [`crate::dsp::biquad`].
//!
//! Parameter changes ramp: a band's frequency moves linearly in log2(Hz), its
//! gain in dB and its Q linearly, over the row's smoothing time. While a
//! ramp is active the band's coefficients are recomputed every
//! [`COEF_UPDATE_FRAMES`] frames, counted from the last reset, so the output
//! does not depend on how the signal is split into blocks. A band that is
//! off takes new frequency, gain and Q values at once.
//!
//! Type changes fade: the band's output is faded to its dry input
//! (`x + m·(band(x) − x)`, `m` going 1 → 0 linearly per sample) over half the
//! type row's smoothing time, the filter is switched and its state cleared
//! while the band is fully dry, and the new filter is faded in over the
//! other half. Switching a band on only fades in; switching it off only
//! fades out. The fades are whole multiples of [`COEF_UPDATE_FRAMES`], so
//! they start and end on coefficient-update frames.
//!
//! Cost: bands that are off (and not fading out) are skipped entirely; with
//! every band off the unit only sanitises its output ([`flush`]), so its
//! output equals its input bit for bit (apart from NaN, ±infinity and
//! magnitudes below 1e-20, which become 0).
//!
//! # Files
//! This file holds the [`ParametricEq`]: parameter handling, coefficient
//! updates, type-change fades and the band chain. `params.rs` holds the
//! parameter rows and [`BandType`]; `band.rs` one band's state and its
//! per-segment loops; `svf.rs` the filter section ([`SvfCoefs`],
//! [`SvfState`]); `design.rs` the prototypes, coefficient computation and
//! the silence bounds.

pub use self::params::{
    param_index, BandType, DEFAULT_HZ, PARAMS, PARAMS_PER_BAND, ROW_GAIN_DB, ROW_HZ, ROW_Q,
    ROW_TYPE,
};
pub use self::svf::{SvfCoefs, SvfState};

use self::band::Band;
use crate::config::ConfigError;
use crate::math::flush;
use crate::smooth::{steps_for_ms, Linear};
use crate::spec::FLAG_STEPPED;
use crate::units::Unit;

mod band;
mod design;
mod params;
mod svf;

/// Number of bands.
pub const BANDS: usize = 8;
/// Frames between coefficient updates while a ramp or fade is active.
pub const COEF_UPDATE_FRAMES: u32 = 16;
/// Silence threshold of [`ParametricEq::is_quiet`] (−120 dBFS).
pub const QUIET: f32 = 1e-6;

/// The parametric EQ unit.
#[derive(Clone, Debug)]
pub struct ParametricEq {
    sample_rate_hz: f64,
    values: [f32; BANDS * PARAMS_PER_BAND],
    /// Ramp lengths of the frequency, gain and Q rows, in frames.
    ramp_steps: [u32; PARAMS_PER_BAND],
    /// Length of one half of a type change, in frames (a multiple of 16).
    fade_steps: u32,
    bands: [Band; BANDS],
    /// Indices of the bands that run, in series order; the first
    /// `active_len` entries are valid.
    active: [u8; BANDS],
    active_len: usize,
    /// Frames since the last coefficient-update frame, `0..16`.
    phase: u32,
    /// A parameter was set and awaits the next coefficient-update frame.
    dirty: bool,
    /// Some ramp or fade is in progress.
    busy: bool,
}

impl ParametricEq {
    /// A parametric EQ at `sample_rate_hz` with every parameter at its
    /// default (every band off). It allocates nothing; `_max_block_frames`
    /// is accepted for the common unit constructor and not needed.
    pub fn new(sample_rate_hz: f32, _max_block_frames: usize) -> Result<Self, ConfigError> {
        if !(sample_rate_hz.is_finite() && sample_rate_hz > 0.0) {
            return Err(ConfigError::SampleRate);
        }
        let mut values = [0.0; BANDS * PARAMS_PER_BAND];
        for (v, p) in values.iter_mut().zip(PARAMS.iter()) {
            *v = p.default;
        }
        let mut ramp_steps = [0; PARAMS_PER_BAND];
        for (s, p) in ramp_steps.iter_mut().zip(PARAMS.iter()) {
            *s = steps_for_ms(p.smoothing_ms, sample_rate_hz);
        }
        let half = steps_for_ms(PARAMS[ROW_TYPE].smoothing_ms * 0.5, sample_rate_hz);
        let fade_steps = ((half.max(1) - 1) / COEF_UPDATE_FRAMES + 1) * COEF_UPDATE_FRAMES;
        let band = Band {
            kind: BandType::Off,
            pending: BandType::Off,
            log2_hz: Linear::new(0.0),
            gain_db: Linear::new(0.0),
            q: Linear::new(1.0),
            fade: Linear::new(0.0),
            coefs: SvfCoefs::IDENTITY,
            left: SvfState::default(),
            right: SvfState::default(),
            ring: 0.0,
            through: 1.0,
        };
        let mut eq = ParametricEq {
            sample_rate_hz: sample_rate_hz as f64,
            values,
            ramp_steps,
            fade_steps,
            bands: [
                band.clone(),
                band.clone(),
                band.clone(),
                band.clone(),
                band.clone(),
                band.clone(),
                band.clone(),
                band,
            ],
            active: [0; BANDS],
            active_len: 0,
            phase: 0,
            dirty: false,
            busy: false,
        };
        for b in 0..BANDS {
            for row in 0..PARAMS_PER_BAND {
                let i = b * PARAMS_PER_BAND + row;
                eq.set(i, eq.values[i]);
            }
        }
        eq.reset();
        Ok(eq)
    }

    /// Set row `index` of [`PARAMS`] to `value` (already clamped to the row's
    /// range by the caller; clamped again here, non-finite values ignored).
    /// Frequency, gain and Q ramp over the row's smoothing time (at once for
    /// a band that is off); a type change fades as the module doc describes.
    /// Takes effect at the next coefficient-update frame.
    pub fn set(&mut self, index: usize, value: f32) {
        let spec = match PARAMS.get(index) {
            Some(s) => s,
            None => return,
        };
        if !value.is_finite() {
            return;
        }
        let mut v = value.max(spec.min).min(spec.max);
        if spec.flags & FLAG_STEPPED != 0 {
            v = v.round();
        }
        let row = index % PARAMS_PER_BAND;
        let steps = self.ramp_steps.get(row).copied().unwrap_or(0);
        let band = match self.bands.get_mut(index / PARAMS_PER_BAND) {
            Some(b) => b,
            None => return,
        };
        if let Some(slot) = self.values.get_mut(index) {
            *slot = v;
        }
        let steps = if band.kind == BandType::Off { 0 } else { steps };
        match row {
            ROW_TYPE => band.pending = BandType::from_value(v),
            ROW_HZ => band.log2_hz.set_target(v.log2(), steps),
            ROW_GAIN_DB => band.gain_db.set_target(v, steps),
            _ => band.q.set_target(v, steps),
        }
        self.dirty = true;
    }

    /// The last value set for row `index` (0 for an unknown row).
    pub fn get(&self, index: usize) -> f32 {
        self.values.get(index).copied().unwrap_or(0.0)
    }

    /// Recompute band `b`'s coefficients and silence bounds from its
    /// current (possibly ramping) parameter values.
    fn redesign(&mut self, b: usize) {
        let sr = self.sample_rate_hz;
        // At rest use the exact value set, not 2^log2(value).
        let set_hz = self.get(b * PARAMS_PER_BAND + ROW_HZ) as f64;
        if let Some(band) = self.bands.get_mut(b) {
            band.redesign(sr, set_hz);
        }
    }

    /// Work at a coefficient-update frame: advance ramps, recompute the
    /// coefficients that moved, move fades along and switch band types.
    fn control(&mut self) {
        let mut list_changed = false;
        let mut busy = false;
        let fade_steps = self.fade_steps;
        for b in 0..BANDS {
            let mut recompute = false;
            if let Some(band) = self.bands.get_mut(b) {
                if band.kind != BandType::Off {
                    for s in [&mut band.log2_hz, &mut band.gain_db, &mut band.q] {
                        if s.is_active() {
                            s.advance(COEF_UPDATE_FRAMES);
                            recompute = true;
                        }
                    }
                }
                let wet = band.pending == band.kind && band.kind != BandType::Off;
                let want = if wet { 1.0 } else { 0.0 };
                if band.fade.target() != want {
                    band.fade.set_target(want, fade_steps);
                }
                if !band.fade.is_active() && band.fade.current() == 0.0 && band.pending != band.kind
                {
                    // Fully dry: switch the filter.
                    band.kind = band.pending;
                    band.snap();
                    band.clear();
                    list_changed = true;
                    recompute = true;
                    if band.kind != BandType::Off {
                        band.fade.set_target(1.0, fade_steps);
                    }
                }
                if band.kind == BandType::Off {
                    band.snap();
                }
            }
            if recompute {
                self.redesign(b);
            }
            if let Some(band) = self.bands.get(b) {
                busy |= band.kind != BandType::Off && band.ramping();
            }
        }
        if list_changed {
            self.rebuild_active();
        }
        self.busy = busy;
        self.dirty = false;
    }

    fn rebuild_active(&mut self) {
        let mut n = 0;
        for (b, band) in self.bands.iter().enumerate() {
            if band.kind != BandType::Off {
                if let Some(slot) = self.active.get_mut(n) {
                    *slot = b as u8;
                    n += 1;
                }
            }
        }
        self.active_len = n;
    }

    /// Filter a stereo block in place (blocks of any length; both channels
    /// are processed over the shorter one's length).
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len().min(right.len());
        let (left, right) = (&mut left[..n], &mut right[..n]);
        let mut i = 0;
        while i < n {
            let waiting = self.busy || self.dirty;
            if self.phase == 0 && waiting {
                self.control();
            }
            let waiting = self.busy || self.dirty;
            let seg = if waiting {
                ((COEF_UPDATE_FRAMES - self.phase) as usize).min(n - i)
            } else {
                n - i
            };
            self.process_segment(&mut left[i..i + seg], &mut right[i..i + seg]);
            self.phase = ((self.phase as usize + seg) % COEF_UPDATE_FRAMES as usize) as u32;
            i += seg;
        }
        for l in left.iter_mut() {
            *l = flush(*l);
        }
        for r in right.iter_mut() {
            *r = flush(*r);
        }
        for k in 0..self.active_len {
            if let Some(band) = self
                .active
                .get(k)
                .and_then(|&b| self.bands.get_mut(b as usize))
            {
                band.left.settle();
                band.right.settle();
            }
        }
    }

    /// Every running band over one segment, in series order, band after
    /// band. Within a band the left and right recurrences share one loop,
    /// so their latency chains overlap.
    fn process_segment(&mut self, left: &mut [f32], right: &mut [f32]) {
        for k in 0..self.active_len {
            if let Some(band) = self
                .active
                .get(k)
                .and_then(|&b| self.bands.get_mut(b as usize))
            {
                if band.fade.is_active() {
                    band.run_fading(left, right);
                } else {
                    band.run(left, right);
                }
            }
        }
    }

    /// Jump every ramp and fade to its target (types switch at once), clear
    /// all filter state to exact zeros and restart the coefficient-update
    /// frame count.
    pub fn reset(&mut self) {
        for b in 0..BANDS {
            if let Some(band) = self.bands.get_mut(b) {
                band.kind = band.pending;
                band.snap();
                band.clear();
                let wet = if band.kind == BandType::Off { 0.0 } else { 1.0 };
                band.fade = Linear::new(wet);
            }
            self.redesign(b);
        }
        self.rebuild_active();
        self.phase = 0;
        self.dirty = false;
        self.busy = false;
    }

    /// True when the output stays below [`QUIET`] for silent input from
    /// now on: every filter state is zero, or no ramp or fade is running and
    /// the bound `Σ_b ring_b·|state_b|·Π_{c after b} through_c` on all later
    /// output is below it. `ring_b` bounds band `b`'s own ringing per unit
    /// of state norm (its state decays without growing), `through_c` the
    /// peak gain band `c` can apply to that ringing.
    pub fn is_quiet(&self) -> bool {
        let mut silent = true;
        let mut bound = 0.0f32;
        let mut downstream = 1.0f32;
        for k in (0..self.active_len).rev() {
            if let Some(band) = self.active.get(k).and_then(|&b| self.bands.get(b as usize)) {
                let norm = band.left.norm().max(band.right.norm());
                silent &= norm == 0.0;
                bound += band.ring * norm * downstream;
                downstream *= band.through;
            }
        }
        silent || (!self.busy && !self.dirty && bound < QUIET)
    }

    /// Longest time an input takes to reach the output: 0 frames (no delay
    /// line; the filters' ringing is covered by [`ParametricEq::is_quiet`]).
    pub fn tail_frames(&self) -> usize {
        0
    }

    /// Number of bands running now (on, or fading out).
    pub fn active_bands(&self) -> usize {
        self.active_len
    }

    /// The filter type running in band `band` (0-based), which lags the
    /// type set while a fade is in progress.
    pub fn band_type(&self, band: usize) -> BandType {
        self.bands.get(band).map_or(BandType::Off, |b| b.kind)
    }

    /// The coefficients in use in band `band` (0-based).
    pub fn coefs(&self, band: usize) -> SvfCoefs {
        self.bands.get(band).map_or(SvfCoefs::IDENTITY, |b| b.coefs)
    }

    /// True when every filter state value is exactly zero or a normal float.
    pub fn state_is_clean(&self) -> bool {
        self.bands.iter().all(|b| {
            b.left
                .values()
                .iter()
                .chain(b.right.values().iter())
                .all(|v| *v == 0.0 || v.is_normal())
        })
    }

    /// True when every filter state value is exactly zero.
    pub fn state_is_silent(&self) -> bool {
        self.bands.iter().all(|b| {
            b.left
                .values()
                .iter()
                .chain(b.right.values().iter())
                .all(|v| *v == 0.0)
        })
    }
}

forward_unit!(ParametricEq);

/// Constructor for the unit table ([`crate::units::MakeUnit`]).
pub fn make(sample_rate_hz: f32, max_block_frames: usize) -> Result<Box<dyn Unit>, ConfigError> {
    Ok(Box::new(ParametricEq::new(
        sample_rate_hz,
        max_block_frames,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(band: usize, row: usize) -> usize {
        param_index(band, row)
    }

    fn set_band(eq: &mut ParametricEq, band: usize, kind: BandType, hz: f32, gain_db: f32, q: f32) {
        eq.set(idx(band, ROW_TYPE), kind as u32 as f32);
        eq.set(idx(band, ROW_HZ), hz);
        eq.set(idx(band, ROW_GAIN_DB), gain_db);
        eq.set(idx(band, ROW_Q), q);
    }

    #[test]
    fn type_changes_fade_instead_of_clicking() {
        let fs = 48000.0f32;
        let mut eq = ParametricEq::new(fs, 128).unwrap();
        set_band(&mut eq, 1, BandType::Peak, 100.0, 12.0, 2.0);
        eq.reset();
        let w = 2.0 * core::f32::consts::PI * 100.0 / fs;
        let n = 48000;
        let x: Vec<f32> = (0..n).map(|i| 0.25 * (w * i as f32).sin()).collect();
        let (mut l, mut r) = (x.clone(), x.clone());
        let switches = [
            (4800, 5.0),
            (9600, 4.0),
            (14400, 0.0),
            (19200, 2.0),
            (19300, 3.0),
        ];
        let mut pos = 0;
        for (at, t) in switches {
            eq.process(&mut l[pos..at], &mut r[pos..at]);
            eq.set(idx(1, ROW_TYPE), t);
            pos = at;
        }
        eq.process(&mut l[pos..], &mut r[pos..]);
        let peak = l.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        // A sine's steepest step at the largest level, plus the fade's own
        // slope across the largest wet/dry difference. Without the fade the
        // restarted filters step by up to the full level.
        let bound = w * peak + 2.0 * peak / (0.005 * fs);
        let jump = l
            .windows(2)
            .map(|p| (p[1] - p[0]).abs())
            .fold(0.0, f32::max);
        assert!(jump <= bound, "jump {jump} bound {bound}");
        assert!(peak > 0.9);
        assert_eq!(eq.band_type(0), BandType::HighShelf);
        // Off in between: the dry signal, bit for bit.
        assert_eq!(l[15000..19200], x[15000..19200]);
        assert_eq!(eq.fade_steps % COEF_UPDATE_FRAMES, 0);
        assert!(eq.fade_steps as f32 >= 0.005 * fs);
    }
}
