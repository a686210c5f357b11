//! The parametric EQ's rows of the parameter table, their layout (four
//! rows per band) and the band types the type row selects.

use super::BANDS;
use crate::spec::{ParamSpec, Scope, FLAG_STEPPED};

/// Parameter rows per band: type, frequency, gain, Q (in that order).
pub const PARAMS_PER_BAND: usize = 4;
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
