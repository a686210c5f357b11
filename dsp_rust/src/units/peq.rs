//! Stereo 8-band parametric EQ: each band is off, a peak, a low or high
//! shelf, or a low or high pass, with separate filter state for the left
//! and right channels. Bands run in series, band 1 first.
//!
//! Filters: every band has the transfer function of the RBJ Audio EQ
//! Cookbook biquad of its type (Robert Bristow-Johnson; W3C "Audio EQ
//! Cookbook" note): the bilinear transform, prewarped at the band frequency,
//! of the cookbook's analog prototypes. Shelves take the cookbook's Q form
//! (`Q = 1/√2` is its shelf slope S = 1). They are realised as the linear
//! trapezoidal state-variable filter (Andrew Simper, Cytomic, "Solving the
//! continuous SVF equations using trapezoidal integration and equivalent
//! currents", 2013), whose output is a mix `m0·v0 + m1·v1 + m2·v2` of the
//! input, band-pass and low-pass states. In exact arithmetic the response is
//! the cookbook's; in f32 the SVF keeps it where a direct-form biquad does
//! not: with its `a1 ≈ −2` rounded to f32, a direct form puts a 60 Hz, Q 18
//! peak at 192 kHz off by about 2 dB, while the SVF stays within 1e-3 dB.
//! The SVF also tolerates coefficient changes while it runs, which the
//! parameter ramps rely on.
//!
//! Frequencies are held within [`MIN_FREQ_HZ`], `MAX_FREQ_RATIO × rate`
//! (10 Hz to 0.45 × the sample rate), as in [`crate::dsp::biquad`].
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

use crate::config::ConfigError;
use crate::dsp::biquad::{MAX_FREQ_RATIO, MIN_FREQ_HZ};
use crate::math::{flush, FLUSH_THRESHOLD};
use crate::smooth::{steps_for_ms, Linear};
use crate::spec::{ParamSpec, Scope, FLAG_STEPPED};
use crate::units::Unit;

/// Number of bands.
pub const BANDS: usize = 8;
/// Parameter rows per band: type, frequency, gain, Q (in that order).
pub const PARAMS_PER_BAND: usize = 4;
/// Frames between coefficient updates while a ramp or fade is active.
pub const COEF_UPDATE_FRAMES: u32 = 16;
/// Row offset of a band's type within its [`PARAMS_PER_BAND`] rows.
pub const ROW_TYPE: usize = 0;
/// Row offset of a band's frequency.
pub const ROW_HZ: usize = 1;
/// Row offset of a band's gain.
pub const ROW_GAIN_DB: usize = 2;
/// Row offset of a band's Q.
pub const ROW_Q: usize = 3;
/// Default frequency of each band, Hz.
pub const DEFAULT_HZ: [f32; BANDS] = [60.0, 150.0, 400.0, 1000.0, 2500.0, 5000.0, 10000.0, 16000.0];
/// Silence threshold of [`ParametricEq::is_quiet`] (−120 dBFS).
pub const QUIET: f32 = 1e-6;
/// Bound on the ratio of a band's peak gain for any signal (the sum of the
/// magnitudes of its impulse response) to its largest frequency-response
/// magnitude; at most 2.6 over the legal settings (a wide, deep cut).
const THROUGH_FACTOR: f64 = 3.0;

const SMOOTHING_MS: f32 = 20.0;
const TYPE_FADE_MS: f32 = 10.0;

macro_rules! peq_rows {
    ($(($b:literal, $hz:expr)),* $(,)?) => {
        [$(
            ParamSpec {
                name: concat!("peq_", $b, "_type"),
                unit: "",
                scope: Scope::Insert,
                min: 0.0,
                max: 5.0,
                default: 0.0,
                smoothing_ms: TYPE_FADE_MS,
                flags: FLAG_STEPPED,
                doc: concat!(
                    "Parametric EQ band ", $b, " type: 0 off, 1 peak, 2 low shelf, 3 high shelf, ",
                    "4 low pass, 5 high pass (12 dB/octave); a change fades through the dry signal in 10 ms."
                ),
            },
            ParamSpec {
                name: concat!("peq_", $b, "_hz"),
                unit: "Hz",
                scope: Scope::Insert,
                min: 20.0,
                max: 20000.0,
                default: $hz,
                smoothing_ms: SMOOTHING_MS,
                flags: 0,
                doc: concat!(
                    "Parametric EQ band ", $b, " centre or corner frequency, 20 to 20000 Hz, ",
                    "held below 0.45 x the sample rate."
                ),
            },
            ParamSpec {
                name: concat!("peq_", $b, "_gain_db"),
                unit: "dB",
                scope: Scope::Insert,
                min: -24.0,
                max: 24.0,
                default: 0.0,
                smoothing_ms: SMOOTHING_MS,
                flags: 0,
                doc: concat!(
                    "Parametric EQ band ", $b, " gain of a peak or shelf, -24 to +24 dB; ",
                    "low and high pass ignore it."
                ),
            },
            ParamSpec {
                name: concat!("peq_", $b, "_q"),
                unit: "",
                scope: Scope::Insert,
                min: 0.1,
                max: 18.0,
                default: 0.707,
                smoothing_ms: SMOOTHING_MS,
                flags: 0,
                doc: concat!(
                    "Parametric EQ band ", $b, " quality factor, 0.1 to 18: peak width, shelf steepness ",
                    "and pass-filter resonance (0.707: slope-1 shelf, Butterworth pass)."
                ),
            },
        )*]
    };
}

/// The parameter rows: band `b` (1-based) owns rows `4·(b−1)` to `4·(b−1)+3`,
/// `peq_<b>_type`, `peq_<b>_hz`, `peq_<b>_gain_db`, `peq_<b>_q`.
pub const PARAMS: [ParamSpec; BANDS * PARAMS_PER_BAND] = peq_rows![
    (1, 60.0),
    (2, 150.0),
    (3, 400.0),
    (4, 1000.0),
    (5, 2500.0),
    (6, 5000.0),
    (7, 10000.0),
    (8, 16000.0),
];

/// The row index of band `band` (1-based) and row offset `row` (`ROW_*`).
pub const fn param_index(band: usize, row: usize) -> usize {
    band.saturating_sub(1) * PARAMS_PER_BAND + row
}

/// A band's filter type, the value of its `peq_<b>_type` row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BandType {
    /// The band does nothing and costs nothing.
    Off = 0,
    /// Peaking (bell) band.
    Peak = 1,
    /// Low shelf.
    LowShelf = 2,
    /// High shelf.
    HighShelf = 3,
    /// Low pass, 12 dB/octave.
    LowPass = 4,
    /// High pass, 12 dB/octave.
    HighPass = 5,
}

impl BandType {
    /// The type for a parameter value (rounded; out-of-range or NaN is off).
    pub fn from_value(v: f32) -> BandType {
        let r = v.round();
        if r == 1.0 {
            BandType::Peak
        } else if r == 2.0 {
            BandType::LowShelf
        } else if r == 3.0 {
            BandType::HighShelf
        } else if r == 4.0 {
            BandType::LowPass
        } else if r == 5.0 {
            BandType::HighPass
        } else {
            BandType::Off
        }
    }
}

/// Coefficients of one trapezoidal SVF section, stored pre-scaled for the
/// per-sample update: with `g = tan(π f / fs)` the prewarped frequency,
/// `k = 1/Q`, the integrator terms are `a1 = 1/(1 + g(g + k))`, `a2 = g·a1`,
/// `a3 = g·a2`, and the output is `m0·v0 + m1·v1 + m2·v2`. Doubling and
/// halving are exact in floating point, so the scaling changes no result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SvfCoefs {
    /// `2·a1`.
    pub two_a1: f32,
    /// `2·a2`.
    pub two_a2: f32,
    /// `2·a3`.
    pub two_a3: f32,
    /// Output weight of the input, `m0`.
    pub m0: f32,
    /// Half the output weight of the band-pass state, `m1/2`.
    pub half_m1: f32,
    /// Output weight of the low-pass state, `m2`.
    pub m2: f32,
}

impl SvfCoefs {
    /// The identity filter.
    pub const IDENTITY: SvfCoefs = SvfCoefs {
        two_a1: 2.0,
        two_a2: 0.0,
        two_a3: 0.0,
        m0: 1.0,
        half_m1: 0.0,
        m2: 0.0,
    };

    /// Coefficients of a band of type `kind` at `freq_hz` (held within 10 Hz
    /// and 0.45 × `sample_rate_hz`), quality factor `q` and `gain_db` (peaks
    /// and shelves). Computed in f64; the identity if anything is not finite.
    pub fn design(kind: BandType, sample_rate_hz: f64, freq_hz: f64, q: f64, gain_db: f64) -> Self {
        Prototype::new(kind, sample_rate_hz, freq_hz, q, gain_db).coefs()
    }

    /// Bound on the output of a section whose input is silent from now on,
    /// per unit of the state's Euclidean norm: the norm of the map from
    /// state to output. With zero input the state update is a contraction
    /// (the trapezoidal rule keeps the SVF passive), so this bounds every
    /// later output too.
    fn ring_gain(&self) -> f32 {
        let (a1, a2, a3) = (0.5 * self.two_a1, 0.5 * self.two_a2, 0.5 * self.two_a3);
        let m1 = 2.0 * self.half_m1;
        let c1 = m1 * a1 + self.m2 * a2;
        let c2 = self.m2 * (1.0 - a3) - m1 * a2;
        (c1 * c1 + c2 * c2).sqrt()
    }
}

/// A band's analog prototype in SVF form: prewarped frequency `g`,
/// damping `k` and output mix `m0, m1, m2`, so that
/// `H(s) = (m0·s² + (m0·k + m1)·s + m0 + m2) / (s² + k·s + 1)` with `s`
/// in units of `g`.
#[derive(Clone, Copy, Debug)]
struct Prototype {
    g: f64,
    k: f64,
    m0: f64,
    m1: f64,
    m2: f64,
}

impl Prototype {
    fn new(kind: BandType, sample_rate_hz: f64, freq_hz: f64, q: f64, gain_db: f64) -> Self {
        let f = freq_hz
            .max(MIN_FREQ_HZ)
            .min(MAX_FREQ_RATIO * sample_rate_hz);
        let t = (core::f64::consts::PI * f / sample_rate_hz).tan();
        let k = 1.0 / q.max(1e-3);
        let a = 10f64.powf(gain_db / 40.0);
        let (g, k, m0, m1, m2) = match kind {
            BandType::Off => (0.0, 1.0, 1.0, 0.0, 0.0),
            BandType::Peak => {
                let k = k / a;
                (t, k, 1.0, k * (a * a - 1.0), 0.0)
            }
            BandType::LowShelf => (t / a.sqrt(), k, 1.0, k * (a - 1.0), a * a - 1.0),
            BandType::HighShelf => (t * a.sqrt(), k, a * a, k * (1.0 - a) * a, 1.0 - a * a),
            BandType::LowPass => (t, k, 0.0, 0.0, 1.0),
            BandType::HighPass => (t, k, 1.0, -k, -1.0),
        };
        Prototype { g, k, m0, m1, m2 }
    }

    fn coefs(&self) -> SvfCoefs {
        let Prototype { g, k, m0, m1, m2 } = *self;
        let a1 = 1.0 / (1.0 + g * (g + k));
        let a2 = g * a1;
        let a3 = g * a2;
        let c = SvfCoefs {
            two_a1: (2.0 * a1) as f32,
            two_a2: (2.0 * a2) as f32,
            two_a3: (2.0 * a3) as f32,
            m0: m0 as f32,
            half_m1: (0.5 * m1) as f32,
            m2: m2 as f32,
        };
        if [c.two_a1, c.two_a2, c.two_a3, c.m0, c.half_m1, c.m2]
            .iter()
            .all(|v| v.is_finite())
        {
            c
        } else {
            SvfCoefs::IDENTITY
        }
    }

    /// The largest magnitude of the frequency response. On `s = jΩ`,
    /// `|H|² = P(u)/Q(u)` with `u = Ω²`, `P` and `Q` quadratics; the maximum
    /// over `u ≥ 0` lies at `u = 0`, `u → ∞` or a root of `P'Q − PQ'`,
    /// which is quadratic too.
    fn max_gain(&self) -> f64 {
        let Prototype { k, m0, m1, m2, .. } = *self;
        let c = m0 + m2;
        let e = m0 * k + m1;
        let (p2, p1, p0) = (m0 * m0, e * e - 2.0 * c * m0, c * c);
        let q1 = k * k - 2.0;
        let ratio = |u: f64| {
            let den = (u + q1) * u + 1.0;
            if u >= 0.0 && den > 0.0 {
                (((p2 * u + p1) * u + p0) / den).max(0.0).sqrt()
            } else {
                0.0
            }
        };
        // (p2·q1 − p1)·u² + 2·(p2 − p0)·u + (p1 − p0·q1) = 0
        let (qa, qb, qc) = (p2 * q1 - p1, 2.0 * (p2 - p0), p1 - p0 * q1);
        let mut best = c.abs().max(m0.abs()).max(ratio(1.0));
        if qa != 0.0 {
            let disc = qb * qb - 4.0 * qa * qc;
            if disc >= 0.0 {
                let sq = disc.sqrt();
                best = best
                    .max(ratio((-qb + sq) / (2.0 * qa)))
                    .max(ratio((-qb - sq) / (2.0 * qa)));
            }
        } else if qb != 0.0 {
            best = best.max(ratio(-qc / qb));
        }
        if best.is_finite() {
            best
        } else {
            f64::MAX
        }
    }
}

/// State of one channel of one SVF section (the integrators' equivalent
/// currents).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SvfState {
    ic1: f32,
    ic2: f32,
}

impl SvfState {
    /// One sample through the section (output not flushed).
    #[inline(always)]
    pub fn tick(&mut self, c: &SvfCoefs, v0: f32) -> f32 {
        // Simper's update `v1 = a1·ic1 + a2·v3`, `v2 = ic2 + a2·ic1 + a3·v3`,
        // `ic1 ← 2·v1 − ic1`, `ic2 ← 2·v2 − ic2`, arranged so the recurrence
        // through `ic2` is four operations long and the small low-frequency
        // increment is added to `ic2` once.
        let v3 = v0 - self.ic2;
        let w1 = c.two_a1 * self.ic1 + c.two_a2 * v3; // 2·v1
        let d2 = c.two_a2 * self.ic1 + c.two_a3 * v3; // 2·(v2 − ic2)
        let v2 = self.ic2 + 0.5 * d2;
        self.ic1 = w1 - self.ic1;
        self.ic2 += d2;
        c.m0 * v0 + c.half_m1 * w1 + c.m2 * v2
    }

    /// Clear non-finite state and flush magnitudes below 1e-20 to zero.
    /// Called once per block, off the per-sample path.
    pub fn settle(&mut self) {
        if !(self.ic1.is_finite() && self.ic2.is_finite()) {
            *self = SvfState::default();
        }
        if self.ic1.abs() < FLUSH_THRESHOLD {
            self.ic1 = 0.0;
        }
        if self.ic2.abs() < FLUSH_THRESHOLD {
            self.ic2 = 0.0;
        }
    }

    /// The two state values.
    pub fn values(&self) -> [f32; 2] {
        [self.ic1, self.ic2]
    }

    /// Euclidean norm of the state.
    fn norm(&self) -> f32 {
        (self.ic1 * self.ic1 + self.ic2 * self.ic2).sqrt()
    }
}

/// One band: its parameters, ramps, fade and stereo state.
#[derive(Clone, Debug)]
struct Band {
    /// The filter running now.
    kind: BandType,
    /// The type last set; `kind` follows it through a fade.
    pending: BandType,
    log2_hz: Linear,
    gain_db: Linear,
    q: Linear,
    /// Wet amount of the band: 0 dry, 1 the filter alone.
    fade: Linear,
    coefs: SvfCoefs,
    left: SvfState,
    right: SvfState,
    /// Bound on the band's output per unit of state norm, input silent
    /// ([`SvfCoefs::ring_gain`]).
    ring: f32,
    /// Bound on the band's peak gain for any signal ([`THROUGH_FACTOR`] ×
    /// its largest response magnitude).
    through: f32,
}

impl Band {
    fn ramping(&self) -> bool {
        self.fade.is_active()
            || self.log2_hz.is_active()
            || self.gain_db.is_active()
            || self.q.is_active()
    }

    fn snap(&mut self) {
        self.log2_hz.snap();
        self.gain_db.snap();
        self.q.snap();
    }

    fn clear(&mut self) {
        self.left = SvfState::default();
        self.right = SvfState::default();
    }
}

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
            let hz = if band.log2_hz.is_active() {
                2f64.powf(band.log2_hz.current() as f64)
            } else {
                set_hz
            };
            let p = Prototype::new(
                band.kind,
                sr,
                hz,
                band.q.current() as f64,
                band.gain_db.current() as f64,
            );
            band.coefs = p.coefs();
            band.ring = band.coefs.ring_gain();
            band.through = (THROUGH_FACTOR * p.max_gain()).min(f32::MAX as f64) as f32;
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
            if self.fading(k) {
                self.run_fading(k, left, right);
            } else {
                self.run_single(k, left, right);
            }
        }
    }

    fn fading(&self, k: usize) -> bool {
        self.active
            .get(k)
            .and_then(|&b| self.bands.get(b as usize))
            .map_or(false, |b| b.fade.is_active())
    }

    /// Active band `k`, left and right in one loop.
    fn run_single(&mut self, k: usize, left: &mut [f32], right: &mut [f32]) {
        let band = match self
            .active
            .get(k)
            .and_then(|&b| self.bands.get_mut(b as usize))
        {
            Some(x) => x,
            None => return,
        };
        let c = band.coefs;
        let (mut sl, mut sr) = (band.left, band.right);
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            *l = sl.tick(&c, *l);
            *r = sr.tick(&c, *r);
        }
        band.left = sl;
        band.right = sr;
    }

    /// Active band `k`, fading between dry and wet: `x + m·(band(x) − x)`.
    fn run_fading(&mut self, k: usize, left: &mut [f32], right: &mut [f32]) {
        let band = match self
            .active
            .get(k)
            .and_then(|&b| self.bands.get_mut(b as usize))
        {
            Some(x) => x,
            None => return,
        };
        let c = band.coefs;
        let (mut sl, mut sr) = (band.left, band.right);
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let m = band.fade.tick();
            let (xl, xr) = (*l, *r);
            let yl = sl.tick(&c, xl);
            let yr = sr.tick(&c, xr);
            *l = xl + m * (yl - xl);
            *r = xr + m * (yr - xr);
        }
        band.left = sl;
        band.right = sr;
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

    /// xorshift64 (13, 7, 17), as in `tests/common`: the analysis test below
    /// needs the band prototype, which is private, so it runs in this file.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn range(&mut self, lo: f32, hi: f32) -> f32 {
            lo + (hi - lo) * ((self.next() >> 40) as f32 / (1u64 << 24) as f32)
        }
    }

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

    #[test]
    fn max_gain_and_ring_bounds_hold() {
        let mut rng = Rng(77);
        let fs = 48000.0f64;
        let mut checked = 0;
        for _ in 0..400 {
            let kind = BandType::from_value(1.0 + (rng.next() % 5) as f32);
            let hz = 2f64.powf(rng.range(7.0, 14.3) as f64);
            let q = 2f64.powf(rng.range(-3.3, 4.2) as f64);
            let gain = rng.range(-24.0, 24.0) as f64;
            let p = Prototype::new(kind, fs, hz, q, gain);
            // Dense scan of |H| on the analog axis (the bilinear map covers it).
            let mut scan = 0.0f64;
            for i in 0..20000 {
                let w = 2f64.powf(-12.0 + 24.0 * i as f64 / 20000.0);
                let (re_n, im_n) = (p.m0 + p.m2 - p.m0 * w * w, (p.m0 * p.k + p.m1) * w);
                let (re_d, im_d) = (1.0 - w * w, p.k * w);
                scan = scan.max(((re_n * re_n + im_n * im_n) / (re_d * re_d + im_d * im_d)).sqrt());
            }
            let mg = p.max_gain();
            assert!(
                mg >= scan * (1.0 - 1e-9) && mg <= scan * 1.01,
                "{kind:?} {hz} {q} {gain}: {mg} vs {scan}"
            );
            // The impulse response's absolute sum stays within `through`.
            let c = p.coefs();
            let mut s = SvfState::default();
            let (mut l1, mut tail) = (0.0f64, 0.0f64);
            let n = 1 << 16;
            for i in 0..n {
                let y = s.tick(&c, if i == 0 { 1.0 } else { 0.0 }) as f64;
                l1 += y.abs();
                if i > n - 1000 {
                    tail = tail.max(y.abs());
                }
            }
            if tail < 1e-9 {
                checked += 1;
                assert!(
                    l1 <= THROUGH_FACTOR * mg,
                    "{kind:?} {hz} {q} {gain}: {l1} > 3 x {mg}"
                );
            }
            // Free ringing never exceeds ring_gain x the state norm at its start.
            let mut free = SvfState::default();
            for i in 0..64 {
                free.tick(&c, rng.range(-1.0, 1.0) * (i % 3) as f32);
            }
            let bound = c.ring_gain() * free.norm();
            for i in 0..4096 {
                let y = free.tick(&c, 0.0);
                assert!(
                    y.abs() <= bound * 1.0001,
                    "{kind:?} {hz} {q} {gain}: step {i} {y} > {bound}"
                );
            }
        }
        assert!(checked > 200);
    }
}
