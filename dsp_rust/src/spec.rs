//! The row format of the parameter table, and the engine's own rows:
//! channel strip, fader, pan, mute, solo, sends, master and tempo.
//!
//! Effect units and sources define their rows in their own files; the whole
//! table (the `params` module) is these rows followed by theirs. It is exported
//! through the ABI; the Python API and sessions validate
//! against it, the generated AudioWorklet glue and the demo UI are built from
//! it. The engine's own ids are the indices into [`PARAMS`]; all ids are
//! stable within an ABI version.

/// Where a parameter lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Scope {
    /// One value per track; the ABI target is the track index.
    Track = 0,
    /// One value for the master bus; the ABI target must be 0.
    Master = 1,
    /// One value per track or bus channel (fader, pan, mute).
    Channel = 2,
    /// One value per insert slot holding the parameter's effect unit.
    Insert = 3,
    /// One value per track whose source is the synth.
    Synth = 4,
    /// One value per track whose source is the sampler.
    Sampler = 5,
}

/// Flag: the parameter only takes whole-number values (e.g. a switch).
pub const FLAG_STEPPED: u32 = 1;

/// One row of the parameter table.
#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    /// Identifier used everywhere (Python, JS, JSON); carries its unit.
    pub name: &'static str,
    /// Unit symbol for display (`"Hz"`, `"dB"`, `"ms"`, `""` for unitless).
    pub unit: &'static str,
    /// Track or master.
    pub scope: Scope,
    /// Smallest legal value.
    pub min: f32,
    /// Largest legal value.
    pub max: f32,
    /// Value at creation and after reset of the parameter state.
    pub default: f32,
    /// Ramp time of a change, in milliseconds (0: the unit smooths itself).
    pub smoothing_ms: f32,
    /// Bit set of `FLAG_*`.
    pub flags: u32,
    /// One sentence for users: what it does, units and range.
    pub doc: &'static str,
}

/// Parameter ids, the indices into [`PARAMS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
#[allow(missing_docs)]
pub enum ParamId {
    LowHz = 0,
    LowGainDb,
    MidHz,
    MidGainDb,
    MidQ,
    HighHz,
    HighGainDb,
    CompThresholdDb,
    CompRatio,
    CompAttackMs,
    CompReleaseMs,
    CompKneeDb,
    CompMakeupDb,
    CompDetector,
    CompLink,
    GainDb,
    Pan,
    Mute,
    MasterGainDb,
    Solo,
    TempoBpm,
    AutoBypass,
    Send1Db,
    Send2Db,
    Send3Db,
    Send4Db,
    Send5Db,
    Send6Db,
    Send7Db,
    Send8Db,
    Send1Pre,
    Send2Pre,
    Send3Pre,
    Send4Pre,
    Send5Pre,
    Send6Pre,
    Send7Pre,
    Send8Pre,
}

impl ParamId {
    /// All ids in table order.
    pub const ALL: [ParamId; 38] = [
        ParamId::LowHz,
        ParamId::LowGainDb,
        ParamId::MidHz,
        ParamId::MidGainDb,
        ParamId::MidQ,
        ParamId::HighHz,
        ParamId::HighGainDb,
        ParamId::CompThresholdDb,
        ParamId::CompRatio,
        ParamId::CompAttackMs,
        ParamId::CompReleaseMs,
        ParamId::CompKneeDb,
        ParamId::CompMakeupDb,
        ParamId::CompDetector,
        ParamId::CompLink,
        ParamId::GainDb,
        ParamId::Pan,
        ParamId::Mute,
        ParamId::MasterGainDb,
        ParamId::Solo,
        ParamId::TempoBpm,
        ParamId::AutoBypass,
        ParamId::Send1Db,
        ParamId::Send2Db,
        ParamId::Send3Db,
        ParamId::Send4Db,
        ParamId::Send5Db,
        ParamId::Send6Db,
        ParamId::Send7Db,
        ParamId::Send8Db,
        ParamId::Send1Pre,
        ParamId::Send2Pre,
        ParamId::Send3Pre,
        ParamId::Send4Pre,
        ParamId::Send5Pre,
        ParamId::Send6Pre,
        ParamId::Send7Pre,
        ParamId::Send8Pre,
    ];

    /// The id with numeric value `id`, if any.
    pub fn from_u32(id: u32) -> Option<ParamId> {
        ParamId::ALL.get(id as usize).copied()
    }

    /// This parameter's row of the table.
    pub fn spec(self) -> &'static ParamSpec {
        &PARAMS[self as usize]
    }
}

const EQ_SMOOTHING_MS: f32 = 20.0;
pub(crate) const FADER_SMOOTHING_MS: f32 = 10.0;
/// Send level at and below which a send is off (exactly silent, no work).
pub const SEND_OFF_DB: f32 = -96.0;

/// The level row of the send to bus `$bus` (a string literal, 1-based).
macro_rules! send_db_row {
    ($bus:literal) => {
        ParamSpec {
            name: concat!("send_", $bus, "_db"),
            unit: "dB",
            scope: Scope::Track,
            min: SEND_OFF_DB,
            max: 6.0,
            default: SEND_OFF_DB,
            smoothing_ms: FADER_SMOOTHING_MS,
            flags: 0,
            doc: concat!(
                "Level of the track's send to bus ",
                $bus,
                ", -96 (off) to +6 dB."
            ),
        }
    };
}

/// The pre/post switch row of the send to bus `$bus` (a string literal, 1-based).
macro_rules! send_pre_row {
    ($bus:literal) => {
        ParamSpec {
            name: concat!("send_", $bus, "_pre"),
            unit: "",
            scope: Scope::Track,
            min: 0.0,
            max: 1.0,
            default: 0.0,
            smoothing_ms: 0.0,
            flags: FLAG_STEPPED,
            doc: concat!(
                "Send to bus ",
                $bus,
                " taken before (1) or after (0) the track's fader and pan."
            ),
        }
    };
}

/// The parameter table, indexed by [`ParamId`].
pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "low_hz",
        unit: "Hz",
        scope: Scope::Track,
        min: 20.0,
        max: 1000.0,
        default: 200.0,
        smoothing_ms: EQ_SMOOTHING_MS,
        flags: 0,
        doc: "Corner frequency of the EQ's low shelf (RBJ, slope 1), 20 to 1000 Hz.",
    },
    ParamSpec {
        name: "low_gain_db",
        unit: "dB",
        scope: Scope::Track,
        min: -24.0,
        max: 24.0,
        default: 0.0,
        smoothing_ms: EQ_SMOOTHING_MS,
        flags: 0,
        doc: "Gain of the EQ's low shelf, -24 to +24 dB; 0 dB is flat.",
    },
    ParamSpec {
        name: "mid_hz",
        unit: "Hz",
        scope: Scope::Track,
        min: 100.0,
        max: 10000.0,
        default: 1000.0,
        smoothing_ms: EQ_SMOOTHING_MS,
        flags: 0,
        doc: "Centre frequency of the EQ's peaking band, 100 to 10000 Hz.",
    },
    ParamSpec {
        name: "mid_gain_db",
        unit: "dB",
        scope: Scope::Track,
        min: -24.0,
        max: 24.0,
        default: 0.0,
        smoothing_ms: EQ_SMOOTHING_MS,
        flags: 0,
        doc: "Gain of the EQ's peaking band, -24 to +24 dB; 0 dB is flat.",
    },
    ParamSpec {
        name: "mid_q",
        unit: "",
        scope: Scope::Track,
        min: 0.1,
        max: 10.0,
        default: 0.707,
        smoothing_ms: EQ_SMOOTHING_MS,
        flags: 0,
        doc: "Quality factor of the EQ's peaking band, 0.1 (wide) to 10 (narrow).",
    },
    ParamSpec {
        name: "high_hz",
        unit: "Hz",
        scope: Scope::Track,
        min: 1000.0,
        max: 20000.0,
        default: 3000.0,
        smoothing_ms: EQ_SMOOTHING_MS,
        flags: 0,
        doc: "Corner frequency of the EQ's high shelf (RBJ, slope 1), 1000 to 20000 Hz, held below 0.45 x the sample rate.",
    },
    ParamSpec {
        name: "high_gain_db",
        unit: "dB",
        scope: Scope::Track,
        min: -24.0,
        max: 24.0,
        default: 0.0,
        smoothing_ms: EQ_SMOOTHING_MS,
        flags: 0,
        doc: "Gain of the EQ's high shelf, -24 to +24 dB; 0 dB is flat.",
    },
    ParamSpec {
        name: "comp_threshold_db",
        unit: "dB",
        scope: Scope::Track,
        min: -60.0,
        max: 0.0,
        default: 0.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Compressor threshold on the stereo peak, -60 to 0 dBFS.",
    },
    ParamSpec {
        name: "comp_ratio",
        unit: ":1",
        scope: Scope::Track,
        min: 1.0,
        max: 20.0,
        default: 1.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Compressor ratio above the threshold, 1 (off) to 20.",
    },
    ParamSpec {
        name: "comp_attack_ms",
        unit: "ms",
        scope: Scope::Track,
        min: 0.1,
        max: 200.0,
        default: 3.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Compressor attack: time constant of rising gain reduction, 0.1 to 200 ms.",
    },
    ParamSpec {
        name: "comp_release_ms",
        unit: "ms",
        scope: Scope::Track,
        min: 5.0,
        max: 2000.0,
        default: 100.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Compressor release: time constant of falling gain reduction, 5 to 2000 ms.",
    },
    ParamSpec {
        name: "comp_knee_db",
        unit: "dB",
        scope: Scope::Track,
        min: 0.0,
        max: 24.0,
        default: 0.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Compressor knee width centred on the threshold, 0 (hard) to 24 dB.",
    },
    ParamSpec {
        name: "comp_makeup_db",
        unit: "dB",
        scope: Scope::Track,
        min: 0.0,
        max: 24.0,
        default: 0.0,
        smoothing_ms: FADER_SMOOTHING_MS,
        flags: 0,
        doc: "Compressor makeup gain, 0 to 24 dB.",
    },
    ParamSpec {
        name: "comp_detector",
        unit: "",
        scope: Scope::Track,
        min: 0.0,
        max: 1.0,
        default: 0.0,
        smoothing_ms: 0.0,
        flags: FLAG_STEPPED,
        doc: "Compressor level detector, 0 (peak) or 1 (RMS over 10 ms).",
    },
    ParamSpec {
        name: "comp_link",
        unit: "",
        scope: Scope::Track,
        min: 0.0,
        max: 1.0,
        default: 1.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Compressor stereo link, 0 (each channel on its own level) to 1 (both on the louder channel).",
    },
    ParamSpec {
        name: "gain_db",
        unit: "dB",
        scope: Scope::Channel,
        min: -96.0,
        max: 12.0,
        default: 0.0,
        smoothing_ms: FADER_SMOOTHING_MS,
        flags: 0,
        doc: "Track or bus fader, -96 to +12 dB.",
    },
    ParamSpec {
        name: "pan",
        unit: "",
        scope: Scope::Channel,
        min: -1.0,
        max: 1.0,
        default: 0.0,
        smoothing_ms: FADER_SMOOTHING_MS,
        flags: 0,
        doc: "Stereo pan, -1 (left) to +1 (right), with the Web Audio StereoPannerNode law for stereo input.",
    },
    ParamSpec {
        name: "mute",
        unit: "",
        scope: Scope::Channel,
        min: 0.0,
        max: 1.0,
        default: 0.0,
        smoothing_ms: FADER_SMOOTHING_MS,
        flags: FLAG_STEPPED,
        doc: "Mute switch, 0 (sounding) or 1 (muted); fades rather than clicks.",
    },
    ParamSpec {
        name: "master_gain_db",
        unit: "dB",
        scope: Scope::Master,
        min: -96.0,
        max: 12.0,
        default: 0.0,
        smoothing_ms: FADER_SMOOTHING_MS,
        flags: 0,
        doc: "Master fader, -96 to +12 dB.",
    },
    ParamSpec {
        name: "solo",
        unit: "",
        scope: Scope::Track,
        min: 0.0,
        max: 1.0,
        default: 0.0,
        smoothing_ms: FADER_SMOOTHING_MS,
        flags: FLAG_STEPPED,
        doc: "Solo switch: while any track is soloed, tracks that are not are silenced (with their sends).",
    },
    ParamSpec {
        name: "tempo_bpm",
        unit: "BPM",
        scope: Scope::Master,
        min: 20.0,
        max: 300.0,
        default: 120.0,
        smoothing_ms: 0.0,
        flags: 0,
        doc: "Session tempo for tempo-synced units, 20 to 300 BPM.",
    },
    ParamSpec {
        name: "auto_bypass",
        unit: "",
        scope: Scope::Master,
        min: 0.0,
        max: 1.0,
        default: 1.0,
        smoothing_ms: 0.0,
        flags: FLAG_STEPPED,
        doc: "Auto-bypass switch: 1 skips tracks and buses that stayed below -120 dBFS; 0 processes every channel always.",
    },
    send_db_row!("1"),
    send_db_row!("2"),
    send_db_row!("3"),
    send_db_row!("4"),
    send_db_row!("5"),
    send_db_row!("6"),
    send_db_row!("7"),
    send_db_row!("8"),
    send_pre_row!("1"),
    send_pre_row!("2"),
    send_pre_row!("3"),
    send_pre_row!("4"),
    send_pre_row!("5"),
    send_pre_row!("6"),
    send_pre_row!("7"),
    send_pre_row!("8"),
];

/// A group of the engine's own rows: the rows `first..=last` of [`PARAMS`],
/// which live together (the parameters a session's `strip` section holds,
/// a channel's fader, the sends...). Hosts list, check and document
/// parameters by group; effect unit and source rows are grouped by their
/// owner (the unit's or source's name), so no group here takes such a name.
#[derive(Clone, Copy, Debug)]
pub struct ParamGroup {
    /// Lowercase identifier, unique among groups, unit and source names.
    pub name: &'static str,
    /// First row of the group.
    pub first: ParamId,
    /// Last row of the group (inclusive).
    pub last: ParamId,
}

/// The groups of the engine's own rows, in table order; together they
/// cover [`PARAMS`] exactly once.
pub const GROUPS: &[ParamGroup] = &[
    ParamGroup {
        name: "strip",
        first: ParamId::LowHz,
        last: ParamId::CompLink,
    },
    ParamGroup {
        name: "fader",
        first: ParamId::GainDb,
        last: ParamId::Mute,
    },
    ParamGroup {
        name: "master",
        first: ParamId::MasterGainDb,
        last: ParamId::MasterGainDb,
    },
    ParamGroup {
        name: "solo",
        first: ParamId::Solo,
        last: ParamId::Solo,
    },
    ParamGroup {
        name: "tempo",
        first: ParamId::TempoBpm,
        last: ParamId::TempoBpm,
    },
    ParamGroup {
        name: "auto_bypass",
        first: ParamId::AutoBypass,
        last: ParamId::AutoBypass,
    },
    ParamGroup {
        name: "sends",
        first: ParamId::Send1Db,
        last: ParamId::Send8Pre,
    },
];

impl ParamId {
    /// The name of the group this row belongs to.
    pub fn group(self) -> &'static str {
        let id = self as u32;
        GROUPS
            .iter()
            .find(|g| g.first as u32 <= id && id <= g.last as u32)
            .map(|g| g.name)
            .unwrap_or("")
    }
}

/// Clamp `value` into the legal range of `spec` (rounding stepped values).
/// Returns the value and whether it had to change. `value` must be finite.
pub fn clamp_to_spec(spec: &ParamSpec, value: f32) -> (f32, bool) {
    let mut v = value.max(spec.min).min(spec.max);
    if spec.flags & FLAG_STEPPED != 0 {
        v = v.round();
    }
    (v, v != value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_table_order() {
        assert_eq!(ParamId::ALL.len(), PARAMS.len());
        for (i, id) in ParamId::ALL.iter().enumerate() {
            assert_eq!(*id as usize, i);
        }
    }

    #[test]
    fn defaults_lie_inside_ranges_and_names_are_unique() {
        for (i, p) in PARAMS.iter().enumerate() {
            assert!(p.min < p.max, "{}", p.name);
            assert!(p.default >= p.min && p.default <= p.max, "{}", p.name);
            assert!(p.smoothing_ms >= 0.0);
            for q in &PARAMS[i + 1..] {
                assert_ne!(p.name, q.name);
            }
        }
    }

    #[test]
    fn groups_cover_every_row_once_in_order() {
        let mut next = 0u32;
        for g in GROUPS {
            assert_eq!(
                g.first as u32, next,
                "{} starts where the previous ends",
                g.name
            );
            assert!(g.first as u32 <= g.last as u32, "{}", g.name);
            next = g.last as u32 + 1;
        }
        assert_eq!(next as usize, PARAMS.len());
        for id in ParamId::ALL {
            assert!(!id.group().is_empty());
        }
        for (i, g) in GROUPS.iter().enumerate() {
            let scope = g.first.spec().scope;
            for id in g.first as u32..=g.last as u32 {
                assert_eq!(PARAMS[id as usize].scope, scope, "{} mixes scopes", g.name);
            }
            for h in &GROUPS[i + 1..] {
                assert_ne!(g.name, h.name);
            }
        }
        assert_eq!(ParamId::CompLink.group(), "strip");
        assert_eq!(ParamId::Send8Pre.group(), "sends");
    }

    #[test]
    fn clamp_reports_changes_and_rounds_stepped() {
        let gain = ParamId::GainDb.spec();
        assert_eq!(clamp_to_spec(gain, 3.0), (3.0, false));
        assert_eq!(clamp_to_spec(gain, 100.0), (12.0, true));
        let mute = ParamId::Mute.spec();
        assert_eq!(clamp_to_spec(mute, 0.7), (1.0, true));
    }
}
