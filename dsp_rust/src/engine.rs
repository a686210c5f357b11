//! The mixer: tracks → buses → master, rendered one quantum at a time.
//!
//! Signal flow of a track: source (external input, synth or sampler) →
//! channel strip (EQ, compressor) → up to [`INSERTS_MAX`] insert units →
//! mute/solo → pre-fader sends → fader and pan → post-fader sends → master.
//! Buses sum their sends, run their own inserts and fader, and feed the
//! master, which has inserts and a fader too.
//!
//! Tracks are created on first use (a parameter, a source, an insert or an
//! input buffer asked for): a track slot never used costs no memory and no
//! time. Creation, sources, inserts and samples allocate; rendering,
//! parameter changes and events never do.
//!
//! Events ([`crate::events`]) apply at their frame: a quantum is rendered
//! in segments split at event offsets, and every unit gives the same output
//! however its input is split into blocks, so a segmented quantum sounds as
//! if each event had been applied between two samples.
//!
//! Auto-bypass: a track or bus whose source is silent and whose output has
//! stayed below [`QUIET`] (−120 dBFS) for its longest insert tail plus
//! [`BYPASS_HOLD_MS`], with every unit's state decayed, is reset to exact
//! zeros and skipped until its next event or input above [`QUIET`]; the
//! output it would have produced meanwhile is below [`QUIET`].

pub use crate::config::{
    zeroed, Config, ConfigError, BUFFER_FRAMES_MAX, BUSES_MAX, BYPASS_HOLD_MS, INSERTS_MAX,
    METER_STATE_ABSENT, METER_STATE_ACTIVE, METER_STATE_BYPASSED, METER_STRIDE,
    QUANTA_PER_CALL_MAX, QUANTUM_MAX_FRAMES, QUANTUM_MIN_FRAMES, QUIET, RAMPS_MAX,
    RAMP_STEP_FRAMES, SAMPLE_RATE_MAX_HZ, SAMPLE_RATE_MIN_HZ, TRACKS_MAX,
};
use crate::dsp::gain_pan::GainPan;
use crate::events::{
    EventError, EventQueue, EventRecord, EVENT_ALL_NOTES_OFF, EVENT_NOTE_OFF, EVENT_NOTE_ON,
    EVENT_PARAM_RAMP, EVENT_PARAM_SET,
};
use crate::math::{db_to_gain, flush};
use crate::params::{self, Owner};
use crate::simd::{deinterleave, interleave, zeroed_lanes, F4};
use crate::smooth::{steps_for_ms, Linear};
use crate::sources::bank::{BankError, SampleBank};
use crate::sources::sampler::Sampler;
use crate::sources::synth::Synth;
use crate::sources::SourceKind;
use crate::spec::{clamp_to_spec, ParamId, ParamSpec, Scope, FADER_SMOOTHING_MS, SEND_OFF_DB};
use crate::strip::{StripGroup, LANES};
use crate::units::{unit_info, Unit};

/// Target kind: a track (index 0..tracks).
pub const TARGET_TRACK: u32 = 0;
/// Target kind: a bus (index 0..BUSES_MAX).
pub const TARGET_BUS: u32 = 1;
/// Target kind: the master (index 0).
pub const TARGET_MASTER: u32 = 2;

/// Encode a target: `slot << 16 | kind << 12 | index`; slot 0 is the
/// channel itself, slots 1..=8 its inserts.
pub const fn target(kind: u32, index: u32, slot: u32) -> u32 {
    slot << 16 | kind << 12 | index
}

/// Why a parameter change or a structural change was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamError {
    /// No parameter has this id.
    UnknownParam,
    /// The target does not exist, or does not hold this parameter's unit or source.
    BadTarget,
    /// The value is NaN or infinite.
    NotFinite,
    /// No unit or source has this kind.
    UnknownKind,
    /// The allocator could not provide the memory.
    OutOfMemory,
}

/// Why a process call was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessError {
    /// More quanta than the engine was created for.
    TooManyQuanta,
}

/// The insert chain of one channel.
#[derive(Debug, Default)]
struct Inserts {
    units: [Option<Box<dyn Unit>>; INSERTS_MAX],
    kinds: [u32; INSERTS_MAX],
}

impl Inserts {
    fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        for u in self.units.iter_mut().flatten() {
            u.process(left, right);
        }
    }

    fn reset(&mut self) {
        for u in self.units.iter_mut().flatten() {
            u.reset();
        }
    }

    fn is_quiet(&self) -> bool {
        self.units.iter().flatten().all(|u| u.is_quiet())
    }

    fn tail_frames(&self) -> usize {
        self.units
            .iter()
            .flatten()
            .map(|u| u.tail_frames())
            .max()
            .unwrap_or(0)
    }

    fn set_tempo_bpm(&mut self, bpm: f32) {
        for u in self.units.iter_mut().flatten() {
            u.set_tempo_bpm(bpm);
        }
    }
}

/// Fader, pan and mute of a track or bus, plus its inserts.
#[derive(Debug)]
struct Channel {
    inserts: Inserts,
    out: GainPan,
    mute_gain: Linear,
    gain_db: f32,
    pan: f32,
    mute: bool,
    left: Vec<f32>,
    right: Vec<f32>,
    quiet_frames: usize,
    bypassed: bool,
}

impl Channel {
    fn new(quantum: usize) -> Result<Channel, ConfigError> {
        Ok(Channel {
            inserts: Inserts::default(),
            out: GainPan::new(
                ParamId::GainDb.spec().default,
                ParamId::Pan.spec().default,
                false,
            ),
            mute_gain: Linear::new(1.0),
            gain_db: ParamId::GainDb.spec().default,
            pan: ParamId::Pan.spec().default,
            mute: false,
            left: zeroed(quantum)?,
            right: zeroed(quantum)?,
            quiet_frames: 0,
            bypassed: false,
        })
    }

    /// Ramp the mute gain: silent when muted or soloed out.
    fn set_silenced(&mut self, silenced: bool, steps: u32) {
        self.mute_gain
            .set_target(if silenced { 0.0 } else { 1.0 }, steps);
    }

    fn apply_mute(&mut self, a: usize, b: usize) {
        let m = &mut self.mute_gain;
        if !m.is_active() && m.current() == 1.0 {
            return;
        }
        for i in a..b {
            let g = m.tick();
            self.left[i] *= g;
            self.right[i] *= g;
        }
    }

    fn wake(&mut self) {
        self.bypassed = false;
        self.quiet_frames = 0;
    }

    /// Run the inserts on frames `a..b`; returns the peak after them.
    fn run_inserts(&mut self, a: usize, b: usize) -> f32 {
        self.inserts
            .process(&mut self.left[a..b], &mut self.right[a..b]);
        peak(&self.left[a..b]).max(peak(&self.right[a..b]))
    }

    /// Add frames `a..b` (after the fader) into the master mix and this
    /// channel's meter.
    fn mix_into(
        &self,
        mix_l: &mut [f32],
        mix_r: &mut [f32],
        meter: &mut [f32],
        a: usize,
        b: usize,
    ) {
        for i in a..b {
            mix_l[i] += self.left[i];
            mix_r[i] += self.right[i];
        }
        meter_add(meter, &self.left[a..b], &self.right[a..b]);
    }

    /// Bypass bookkeeping after a segment of `frames` frames whose source
    /// was quiet or not and whose post-insert peak was `peak`. Goes to sleep
    /// (reset, bypassed) once it has been quiet for `hold_base` plus its
    /// inserts' tails, its own ramps are done and `settled()` agrees (the
    /// caller's state of the channel: strip lane, sends). True if it slept.
    fn try_sleep(
        &mut self,
        source_quiet: bool,
        peak: f32,
        frames: usize,
        hold_base: usize,
        settled: impl FnOnce() -> bool,
    ) -> bool {
        if source_quiet && peak < QUIET {
            self.quiet_frames = self.quiet_frames.saturating_add(frames);
        } else {
            self.quiet_frames = 0;
        }
        let hold = hold_base.saturating_add(self.inserts.tail_frames());
        if self.quiet_frames >= hold
            && self.inserts.is_quiet()
            && !self.mute_gain.is_active()
            && settled()
        {
            self.reset();
            self.bypassed = true;
            self.quiet_frames = usize::MAX;
            true
        } else {
            false
        }
    }

    fn reset(&mut self) {
        self.inserts.reset();
        self.out.reset();
        self.mute_gain.snap();
        self.quiet_frames = 0;
        self.bypassed = false;
    }
}

#[derive(Clone, Copy, Debug)]
struct Send {
    level_db: f32,
    gain: Linear,
    pre: bool,
}

impl Send {
    fn off() -> Send {
        Send {
            level_db: SEND_OFF_DB,
            gain: Linear::new(0.0),
            pre: false,
        }
    }

    fn is_off(&self) -> bool {
        !self.gain.is_active() && self.gain.current() == 0.0
    }
}

fn send_gain(db: f32) -> f32 {
    if db <= SEND_OFF_DB {
        0.0
    } else {
        db_to_gain(db as f64) as f32
    }
}

/// What feeds a track.
#[derive(Debug)]
enum Source {
    Input,
    Synth(Box<Synth>),
    Sampler(Box<Sampler>),
}

impl Source {
    fn kind(&self) -> SourceKind {
        match self {
            Source::Input => SourceKind::Input,
            Source::Synth(_) => SourceKind::Synth,
            Source::Sampler(_) => SourceKind::Sampler,
        }
    }

    fn set(&mut self, row: usize, v: f32) {
        match self {
            Source::Input => {}
            Source::Synth(s) => s.set(row, v),
            Source::Sampler(s) => s.set(row, v),
        }
    }

    fn get(&self, row: usize) -> Option<f32> {
        match self {
            Source::Input => None,
            Source::Synth(s) => Some(s.get(row)),
            Source::Sampler(s) => Some(s.get(row)),
        }
    }

    fn note_on(&mut self, note: u8, velocity: f32) {
        match self {
            Source::Input => {}
            Source::Synth(s) => s.note_on(note, velocity),
            Source::Sampler(s) => s.note_on(note, velocity),
        }
    }

    fn note_off(&mut self, note: u8) {
        match self {
            Source::Input => {}
            Source::Synth(s) => s.note_off(note),
            Source::Sampler(s) => s.note_off(note),
        }
    }

    fn all_notes_off(&mut self) {
        match self {
            Source::Input => {}
            Source::Synth(s) => s.all_notes_off(),
            Source::Sampler(s) => s.all_notes_off(),
        }
    }

    fn reset(&mut self) {
        match self {
            Source::Input => {}
            Source::Synth(s) => s.reset(),
            Source::Sampler(s) => s.reset(),
        }
    }
}

#[derive(Debug)]
struct Track {
    source: Source,
    input: Vec<f32>,
    ch: Channel,
    /// Bypassed with a quiet source: skipped in the current segment.
    skip: bool,
    source_quiet: bool,
    solo: bool,
    sends: [Send; BUSES_MAX],
}

#[derive(Debug)]
struct Bus {
    ch: Channel,
}

#[derive(Debug)]
struct Master {
    inserts: Inserts,
    gain_db: f32,
    gain: Linear,
    left: Vec<f32>,
    right: Vec<f32>,
}

#[derive(Clone, Copy, Debug)]
struct Ramp {
    target: u32,
    id: u32,
    from: f32,
    to: f32,
    total: u64,
    done: u64,
}

/// The mixer engine.
#[derive(Debug)]
pub struct Engine {
    config: Config,
    capacity: usize,
    quantum: usize,
    tracks: Vec<Option<Box<Track>>>,
    buses: Vec<Option<Box<Bus>>>,
    master: Master,
    output: Vec<f32>,
    meters: Vec<f32>,
    events: EventQueue,
    ramps: Vec<Ramp>,
    solo_count: usize,
    tempo_bpm: f32,
    auto_bypass: bool,
    frame: u64,
    hold_base: usize,
    bank: SampleBank,
    /// Strips of tracks `4g..4g+3` in the lanes of group `g`.
    groups: Vec<StripGroup>,
    lanes_l: Vec<F4>,
    lanes_r: Vec<F4>,
}

fn peak(x: &[f32]) -> f32 {
    x.iter().fold(0.0f32, |p, v| p.max(v.abs()))
}

fn sum_sq_peak(x: &[f32]) -> (f32, f32) {
    let mut peak = 0.0f32;
    let mut sq = 0.0f32;
    for &v in x {
        peak = peak.max(v.abs());
        sq += v * v;
    }
    (peak, sq)
}

fn meter_add(m: &mut [f32], left: &[f32], right: &[f32]) -> f32 {
    let (pl, sl) = sum_sq_peak(left);
    let (pr, sr) = sum_sq_peak(right);
    m[0] = m[0].max(pl);
    m[1] = m[1].max(pr);
    m[2] += sl;
    m[3] += sr;
    pl.max(pr)
}

fn add_scaled(dst: &mut [f32], src: &[f32], g: &mut Linear) {
    if g.is_active() {
        for (d, s) in dst.iter_mut().zip(src) {
            *d += s * g.tick();
        }
    } else {
        let k = g.current();
        for (d, s) in dst.iter_mut().zip(src) {
            *d += s * k;
        }
    }
}

fn add_sends(
    sends: &mut [Send; BUSES_MAX],
    pre: bool,
    buses: &mut [Option<Box<Bus>>],
    left: &[f32],
    right: &[f32],
    a: usize,
    b: usize,
) {
    for (s, bus) in sends.iter_mut().zip(buses.iter_mut()) {
        if s.pre != pre || s.is_off() {
            continue;
        }
        let bus = match bus {
            Some(bus) => bus,
            None => continue,
        };
        let mut gl = s.gain;
        add_scaled(&mut bus.ch.left[a..b], &left[a..b], &mut gl);
        add_scaled(&mut bus.ch.right[a..b], &right[a..b], &mut s.gain);
    }
}

impl Engine {
    /// Allocate an engine with no tracks or buses yet; its fixed buffers
    /// (output, meters, event queue) are allocated here.
    pub fn new(config: Config) -> Result<Engine, ConfigError> {
        config.validate()?;
        let q = config.quantum_frames as usize;
        let capacity = q * config.max_quanta as usize;
        let tracks = config.tracks as usize;
        let mut track_slots = Vec::new();
        track_slots
            .try_reserve_exact(tracks)
            .map_err(|_| ConfigError::OutOfMemory)?;
        track_slots.resize_with(tracks, || None);
        let mut buses = Vec::new();
        buses
            .try_reserve_exact(BUSES_MAX)
            .map_err(|_| ConfigError::OutOfMemory)?;
        buses.resize_with(BUSES_MAX, || None);
        let mut ramps = Vec::new();
        ramps
            .try_reserve_exact(RAMPS_MAX)
            .map_err(|_| ConfigError::OutOfMemory)?;
        let master_gain_db = ParamId::MasterGainDb.spec().default;
        let group_count = (tracks + LANES - 1) / LANES;
        let mut groups = Vec::new();
        groups
            .try_reserve_exact(group_count)
            .map_err(|_| ConfigError::OutOfMemory)?;
        for _ in 0..group_count {
            let mut g = StripGroup::new(config.sample_rate_hz);
            for k in 0..LANES {
                g.set_lane_paused(k, true);
            }
            groups.push(g);
        }
        Ok(Engine {
            config,
            capacity,
            quantum: q,
            tracks: track_slots,
            buses,
            master: Master {
                inserts: Inserts::default(),
                gain_db: master_gain_db,
                gain: Linear::new(db_to_gain(master_gain_db as f64) as f32),
                left: zeroed(q)?,
                right: zeroed(q)?,
            },
            output: zeroed(2 * capacity)?,
            meters: zeroed((tracks + BUSES_MAX + 1) * METER_STRIDE)?,
            events: EventQueue::new()?,
            ramps,
            solo_count: 0,
            tempo_bpm: ParamId::TempoBpm.spec().default,
            auto_bypass: ParamId::AutoBypass.spec().default >= 0.5,
            frame: 0,
            hold_base: steps_for_ms(BYPASS_HOLD_MS, config.sample_rate_hz) as usize,
            bank: SampleBank::new(),
            groups,
            lanes_l: zeroed_lanes(q)?,
            lanes_r: zeroed_lanes(q)?,
        })
    }

    /// The configuration this engine was created with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Frames per channel in each input and in the output buffer.
    pub fn capacity_frames(&self) -> usize {
        self.capacity
    }

    fn steps(&self, ms: f32) -> u32 {
        steps_for_ms(ms, self.config.sample_rate_hz)
    }

    /// Create track `t` if it does not exist yet (allocates).
    fn ensure_track(&mut self, t: usize) -> Result<&mut Track, ParamError> {
        let q = self.quantum;
        let silenced = self.solo_count > 0;
        if let (Some(None), Some(g)) = (self.tracks.get(t), self.groups.get_mut(t / LANES)) {
            // A new track: its lane starts like a new strip.
            g.reset_lane(t % LANES);
        }
        let slot = self.tracks.get_mut(t).ok_or(ParamError::BadTarget)?;
        if slot.is_none() {
            let oom = |_| ParamError::OutOfMemory;
            let mut ch = Channel::new(q).map_err(oom)?;
            ch.set_silenced(silenced, 0);
            let track = Track {
                source: Source::Input,
                input: Vec::new(),
                ch,
                skip: false,
                source_quiet: true,
                solo: false,
                sends: [Send::off(); BUSES_MAX],
            };
            *slot = Some(Box::new(track));
        }
        slot.as_deref_mut().ok_or(ParamError::BadTarget)
    }

    fn ensure_bus(&mut self, b: usize) -> Result<&mut Bus, ParamError> {
        let q = self.quantum;
        let slot = self.buses.get_mut(b).ok_or(ParamError::BadTarget)?;
        if slot.is_none() {
            let ch = Channel::new(q).map_err(|_| ParamError::OutOfMemory)?;
            *slot = Some(Box::new(Bus { ch }));
        }
        slot.as_deref_mut().ok_or(ParamError::BadTarget)
    }

    /// True if track `t` has been created.
    pub fn track_exists(&self, t: usize) -> bool {
        matches!(self.tracks.get(t), Some(Some(_)))
    }

    /// Planar stereo input of `track` (`[L; capacity][R; capacity]`),
    /// creating the track and its input buffer on first use.
    pub fn input_mut(&mut self, track: usize) -> Option<&mut [f32]> {
        let cap = self.capacity;
        let t = self.ensure_track(track).ok()?;
        if t.input.is_empty() {
            t.input = zeroed(2 * cap).ok()?;
        }
        Some(&mut t.input)
    }

    /// Planar stereo master output (`[L; capacity][R; capacity]`).
    pub fn output(&self) -> &[f32] {
        &self.output
    }

    /// Mutable master output, for hosts that map it.
    pub fn output_mut(&mut self) -> &mut [f32] {
        &mut self.output
    }

    /// The meter area: [`METER_STRIDE`] floats per channel, tracks first,
    /// then the [`BUSES_MAX`] buses, then the master. Peaks and RMS cover
    /// the frames of the last process call.
    pub fn meters(&self) -> &[f32] {
        &self.meters
    }

    /// Mutable meter area, for hosts that map it.
    pub fn meters_mut(&mut self) -> &mut [f32] {
        &mut self.meters
    }

    /// Set track `track`'s source (creates the track; allocates).
    pub fn set_source(&mut self, track: usize, kind: u32) -> Result<(), ParamError> {
        let kind = SourceKind::from_u32(kind).ok_or(ParamError::UnknownKind)?;
        self.ensure_track(track)?;
        let (sr, q) = (self.config.sample_rate_hz, self.quantum);
        let oom = |_| ParamError::OutOfMemory;
        let source = match kind {
            SourceKind::Input => Source::Input,
            SourceKind::Synth => Source::Synth(Box::new(Synth::new(sr, q).map_err(oom)?)),
            SourceKind::Sampler => Source::Sampler(Box::new(Sampler::new(sr, q).map_err(oom)?)),
        };
        let t = self.ensure_track(track)?;
        t.source = source;
        t.ch.wake();
        Ok(())
    }

    /// The source kind of `track` (input for a track not yet created).
    pub fn source_kind(&self, track: usize) -> Option<SourceKind> {
        match self.tracks.get(track)? {
            Some(t) => Some(t.source.kind()),
            None => Some(SourceKind::Input),
        }
    }

    fn inserts_mut(&mut self, kind: u32, index: usize) -> Result<&mut Inserts, ParamError> {
        match kind {
            TARGET_TRACK => Ok(&mut self.ensure_track(index)?.ch.inserts),
            TARGET_BUS => Ok(&mut self.ensure_bus(index)?.ch.inserts),
            TARGET_MASTER if index == 0 => Ok(&mut self.master.inserts),
            _ => Err(ParamError::BadTarget),
        }
    }

    /// Put effect unit `unit_kind` (0: empty) in insert `slot` (1..=8) of
    /// the channel `channel` (a target with slot 0). Allocates.
    pub fn set_insert(
        &mut self,
        channel: u32,
        slot: u32,
        unit_kind: u32,
    ) -> Result<(), ParamError> {
        let (kind, index, s) = decode(channel);
        if s != 0 || slot == 0 || slot as usize > INSERTS_MAX {
            return Err(ParamError::BadTarget);
        }
        let unit = if unit_kind == 0 {
            None
        } else {
            let info = unit_info(unit_kind).ok_or(ParamError::UnknownKind)?;
            let mut u = (info.make)(self.config.sample_rate_hz, self.quantum)
                .map_err(|_| ParamError::OutOfMemory)?;
            u.set_tempo_bpm(self.tempo_bpm);
            Some(u)
        };
        let ins = self.inserts_mut(kind, index)?;
        ins.units[slot as usize - 1] = unit;
        ins.kinds[slot as usize - 1] = unit_kind;
        self.wake(kind, index);
        Ok(())
    }

    /// The unit kind in insert `slot` of `channel` (0 if empty or absent).
    pub fn insert_kind(&self, channel: u32, slot: u32) -> u32 {
        let (kind, index, _) = decode(channel);
        let ins = match kind {
            TARGET_TRACK => self
                .tracks
                .get(index)
                .and_then(|t| t.as_ref())
                .map(|t| &t.ch.inserts),
            TARGET_BUS => self
                .buses
                .get(index)
                .and_then(|b| b.as_ref())
                .map(|b| &b.ch.inserts),
            TARGET_MASTER if index == 0 => Some(&self.master.inserts),
            _ => None,
        };
        match (ins, (slot as usize).checked_sub(1)) {
            (Some(ins), Some(i)) if i < INSERTS_MAX => ins.kinds[i],
            _ => 0,
        }
    }

    fn wake(&mut self, kind: u32, index: usize) {
        match kind {
            TARGET_TRACK => {
                if let Some(Some(t)) = self.tracks.get_mut(index) {
                    t.ch.wake();
                }
            }
            TARGET_BUS => {
                if let Some(Some(b)) = self.buses.get_mut(index) {
                    b.ch.wake();
                }
            }
            _ => {}
        }
    }

    /// Set parameter `id` of `target` (see [`target`]; master parameters
    /// take target 0). Out-of-range values are clamped; `Ok(true)` says one was.
    /// May create the addressed track or bus (allocates once).
    pub fn set_param(&mut self, target: u32, id: u32, value: f32) -> Result<bool, ParamError> {
        let (owner, spec) = params::lookup(id).ok_or(ParamError::UnknownParam)?;
        if !value.is_finite() {
            return Err(ParamError::NotFinite);
        }
        self.check_target(target, owner, spec, true)?;
        let (v, clamped) = clamp_to_spec(spec, value);
        self.apply_param(target, owner, spec, v);
        Ok(clamped)
    }

    /// Whether `target` can hold parameter (`owner`, `spec`); with `create`,
    /// a missing track or bus is created first.
    fn check_target(
        &mut self,
        target: u32,
        owner: Owner,
        spec: &ParamSpec,
        create: bool,
    ) -> Result<(), ParamError> {
        let (kind, index, slot) = decode(target);
        let exists = |e: &Engine| match kind {
            TARGET_TRACK => e.track_exists(index),
            TARGET_BUS => matches!(e.buses.get(index), Some(Some(_))),
            _ => true,
        };
        if create && slot == 0 && !exists(self) {
            match (kind, spec.scope) {
                (TARGET_TRACK, Scope::Track | Scope::Channel) => {
                    self.ensure_track(index)?;
                }
                (TARGET_BUS, Scope::Channel) => {
                    self.ensure_bus(index)?;
                }
                _ => {}
            }
        }
        let ok = match owner {
            Owner::Core(_) => match spec.scope {
                Scope::Master => target == 0,
                Scope::Track => kind == TARGET_TRACK && slot == 0 && self.track_exists(index),
                Scope::Channel => {
                    slot == 0 && (kind == TARGET_TRACK || kind == TARGET_BUS) && exists(self)
                }
                _ => false,
            },
            Owner::Unit { kind: unit, .. } => {
                slot >= 1 && exists(self) && self.insert_kind(target & 0xffff, slot as u32) == unit
            }
            Owner::Source { kind: source, .. } => {
                kind == TARGET_TRACK
                    && slot == 0
                    && self.track_exists(index)
                    && self.source_kind(index) == Some(source)
            }
        };
        if ok {
            Ok(())
        } else {
            Err(ParamError::BadTarget)
        }
    }

    /// Apply an in-range value to a checked target. Never allocates.
    fn apply_param(&mut self, target: u32, owner: Owner, spec: &ParamSpec, v: f32) {
        let (kind, index, slot) = decode(target);
        let steps = self.steps(spec.smoothing_ms);
        match owner {
            Owner::Core(pid) => self.apply_core(kind, index, pid, v, steps),
            Owner::Unit { index: row, .. } => {
                let ins = match kind {
                    TARGET_TRACK => self.tracks[index].as_mut().map(|t| &mut t.ch.inserts),
                    TARGET_BUS => self.buses[index].as_mut().map(|b| &mut b.ch.inserts),
                    _ => Some(&mut self.master.inserts),
                };
                if let Some(Some(u)) = ins.map(|i| &mut i.units[slot - 1]) {
                    u.set(row, v);
                }
            }
            Owner::Source { index: row, .. } => {
                if let Some(Some(t)) = self.tracks.get_mut(index) {
                    t.source.set(row, v);
                }
            }
        }
        self.wake(kind, index);
    }

    fn apply_core(&mut self, kind: u32, index: usize, pid: ParamId, v: f32, steps: u32) {
        let fader_steps = self.steps(FADER_SMOOTHING_MS);
        match pid {
            ParamId::MasterGainDb => {
                self.master.gain_db = v;
                self.master
                    .gain
                    .set_target(db_to_gain(v as f64) as f32, steps);
            }
            ParamId::TempoBpm => {
                self.tempo_bpm = v;
                self.for_each_inserts(|i| i.set_tempo_bpm(v));
            }
            ParamId::AutoBypass => {
                self.auto_bypass = v >= 0.5;
                if !self.auto_bypass {
                    for t in self.tracks.iter_mut().flatten() {
                        t.ch.wake();
                    }
                    for b in self.buses.iter_mut().flatten() {
                        b.ch.wake();
                    }
                }
            }
            ParamId::GainDb | ParamId::Pan | ParamId::Mute => {
                let solo_active = self.solo_count > 0;
                let (ch, solo) = match kind {
                    TARGET_TRACK => match self.tracks[index].as_mut() {
                        Some(t) => (&mut t.ch, Some(t.solo)),
                        None => return,
                    },
                    _ => match self.buses[index].as_mut() {
                        Some(b) => (&mut b.ch, None),
                        None => return,
                    },
                };
                match pid {
                    ParamId::GainDb => {
                        ch.gain_db = v;
                        ch.out.set_gain_db(v, steps);
                    }
                    ParamId::Pan => {
                        ch.pan = v;
                        ch.out.set_pan(v, steps);
                    }
                    _ => {
                        ch.mute = v >= 0.5;
                        let soloed_out = solo_active && solo == Some(false);
                        ch.set_silenced(ch.mute || soloed_out, steps);
                    }
                }
            }
            ParamId::Solo => {
                let on = v >= 0.5;
                let t = match self.tracks[index].as_mut() {
                    Some(t) => t,
                    None => return,
                };
                if t.solo == on {
                    return;
                }
                t.solo = on;
                if on {
                    self.solo_count += 1;
                } else {
                    self.solo_count -= 1;
                }
                let solo_active = self.solo_count > 0;
                for t in self.tracks.iter_mut().flatten() {
                    let silenced = t.ch.mute || (solo_active && !t.solo);
                    t.ch.set_silenced(silenced, fader_steps);
                    t.ch.wake();
                }
            }
            _ => {
                let t = match self.tracks[index].as_mut() {
                    Some(t) => t,
                    None => return,
                };
                let n = pid as usize;
                let db0 = ParamId::Send1Db as usize;
                let pre0 = ParamId::Send1Pre as usize;
                if (db0..db0 + BUSES_MAX).contains(&n) {
                    let s = &mut t.sends[n - db0];
                    s.level_db = v;
                    s.gain.set_target(send_gain(v), steps);
                } else if (pre0..pre0 + BUSES_MAX).contains(&n) {
                    t.sends[n - pre0].pre = v >= 0.5;
                } else {
                    if let Some(g) = self.groups.get_mut(index / LANES) {
                        g.set(index % LANES, pid, v);
                    }
                }
            }
        }
    }

    fn for_each_inserts(&mut self, mut f: impl FnMut(&mut Inserts)) {
        for t in self.tracks.iter_mut().flatten() {
            f(&mut t.ch.inserts);
        }
        for b in self.buses.iter_mut().flatten() {
            f(&mut b.ch.inserts);
        }
        f(&mut self.master.inserts);
    }

    /// The last value set for parameter `id` of `target` (the default for a
    /// track or bus not created yet).
    pub fn get_param(&self, target: u32, id: u32) -> Result<f32, ParamError> {
        let (owner, spec) = params::lookup(id).ok_or(ParamError::UnknownParam)?;
        let (kind, index, slot) = decode(target);
        let track = match kind {
            TARGET_TRACK if index < self.tracks.len() => Some(self.tracks[index].as_deref()),
            _ => None,
        };
        let bus = match kind {
            TARGET_BUS if index < BUSES_MAX => Some(self.buses[index].as_deref()),
            _ => None,
        };
        match owner {
            Owner::Core(pid) => match spec.scope {
                Scope::Master if target == 0 => Ok(match pid {
                    ParamId::TempoBpm => self.tempo_bpm,
                    ParamId::AutoBypass => self.auto_bypass as u32 as f32,
                    _ => self.master.gain_db,
                }),
                Scope::Track | Scope::Channel if slot == 0 => {
                    let ch = match (track, bus) {
                        (Some(Some(t)), _) => Some(&t.ch),
                        (_, Some(Some(b))) => Some(&b.ch),
                        (Some(None), _) | (_, Some(None)) => None,
                        _ => return Err(ParamError::BadTarget),
                    };
                    if spec.scope == Scope::Track && track.is_none() {
                        return Err(ParamError::BadTarget);
                    }
                    let ch = match ch {
                        Some(ch) => ch,
                        None => return Ok(spec.default),
                    };
                    let n = pid as usize;
                    let db0 = ParamId::Send1Db as usize;
                    let pre0 = ParamId::Send1Pre as usize;
                    Ok(match pid {
                        ParamId::GainDb => ch.gain_db,
                        ParamId::Pan => ch.pan,
                        ParamId::Mute => ch.mute as u32 as f32,
                        _ => match track {
                            Some(Some(t)) if pid == ParamId::Solo => t.solo as u32 as f32,
                            Some(Some(t)) if (db0..db0 + BUSES_MAX).contains(&n) => {
                                t.sends[n - db0].level_db
                            }
                            Some(Some(t)) if (pre0..pre0 + BUSES_MAX).contains(&n) => {
                                t.sends[n - pre0].pre as u32 as f32
                            }
                            Some(Some(_)) => self
                                .groups
                                .get(index / LANES)
                                .map_or(spec.default, |g| g.get(index % LANES, pid)),
                            _ => spec.default,
                        },
                    })
                }
                _ => Err(ParamError::BadTarget),
            },
            Owner::Unit {
                kind: unit,
                index: row,
            } => {
                if slot == 0 || self.insert_kind(target & 0xffff, slot as u32) != unit {
                    return Err(ParamError::BadTarget);
                }
                let ins = match kind {
                    TARGET_TRACK => self.tracks[index].as_ref().map(|t| &t.ch.inserts),
                    TARGET_BUS => self.buses[index].as_ref().map(|b| &b.ch.inserts),
                    _ => Some(&self.master.inserts),
                };
                match ins.and_then(|i| i.units[slot - 1].as_ref()) {
                    Some(u) => Ok(u.get(row)),
                    None => Err(ParamError::BadTarget),
                }
            }
            Owner::Source {
                kind: source,
                index: row,
            } => match track {
                Some(Some(t)) if slot == 0 && t.source.kind() == source => {
                    t.source.get(row).ok_or(ParamError::BadTarget)
                }
                _ => Err(ParamError::BadTarget),
            },
        }
    }

    /// Add a sample of `frames` frames and `channels` channels (1 or 2)
    /// recorded at `sample_rate_hz` to the bank, zero-filled; returns its id
    /// for `sampler_sample`. The host then writes it through
    /// [`Engine::sample_data_mut`] and calls [`Engine::commit_sample`].
    /// Allocates: load samples before playback.
    pub fn add_sample(
        &mut self,
        frames: usize,
        channels: usize,
        sample_rate_hz: f32,
    ) -> Result<u32, BankError> {
        self.bank.add(frames, channels, sample_rate_hz)
    }

    /// Planar storage of sample `id` for the host to fill.
    pub fn sample_data_mut(&mut self, id: u32) -> Option<&mut [f32]> {
        self.bank.data_mut(id)
    }

    /// Finish loading sample `id`: NaN, infinities and subnormals become 0.
    pub fn commit_sample(&mut self, id: u32) -> bool {
        if self.bank.get(id).is_none() {
            return false;
        }
        self.bank.sanitize(id);
        true
    }

    /// The event staging area hosts fill before [`Engine::push_events`].
    pub fn event_staging_mut(&mut self) -> &mut [EventRecord] {
        self.events.staging_mut()
    }

    /// Queue the first `count` staged events (all or none). Events must
    /// address existing targets: they never create anything.
    pub fn push_events(&mut self, count: usize) -> Result<(), EventError> {
        let mut events = core::mem::replace(&mut self.events, EventQueue::empty());
        let result = events.commit(count, |e| self.check_event(e));
        self.events = events;
        result
    }

    fn check_event(&mut self, e: &EventRecord) -> Result<(), EventError> {
        let (kind, index, slot) = decode(e.target);
        match e.kind {
            EVENT_NOTE_ON | EVENT_NOTE_OFF | EVENT_ALL_NOTES_OFF => {
                if kind == TARGET_TRACK && slot == 0 && self.track_exists(index) {
                    Ok(())
                } else {
                    Err(EventError::Malformed)
                }
            }
            _ => {
                let (owner, spec) = params::lookup(e.id).ok_or(EventError::Malformed)?;
                self.check_target(e.target, owner, spec, false)
                    .map_err(|_| EventError::Malformed)
            }
        }
    }

    /// Events waiting in the queue.
    pub fn queued_events(&self) -> usize {
        self.events.len()
    }

    fn apply_event(&mut self, e: EventRecord) {
        let (_, index, _) = decode(e.target);
        match e.kind {
            EVENT_NOTE_ON | EVENT_NOTE_OFF | EVENT_ALL_NOTES_OFF => {
                if let Some(Some(t)) = self.tracks.get_mut(index) {
                    let note = e.id.min(127) as u8;
                    match e.kind {
                        EVENT_NOTE_ON => t.source.note_on(note, e.value),
                        EVENT_NOTE_OFF => t.source.note_off(note),
                        _ => t.source.all_notes_off(),
                    }
                    t.ch.wake();
                }
            }
            EVENT_PARAM_SET | EVENT_PARAM_RAMP => {
                let (owner, spec) = match params::lookup(e.id) {
                    Some(x) => x,
                    None => return,
                };
                if self.check_target(e.target, owner, spec, false).is_err() {
                    return;
                }
                self.ramps
                    .retain(|r| !(r.target == e.target && r.id == e.id));
                let (to, _) = clamp_to_spec(spec, e.value);
                let total =
                    (e.aux as f64 * 1e-3 * self.config.sample_rate_hz as f64).round() as u64;
                if e.kind == EVENT_PARAM_SET
                    || total == 0
                    || spec.flags & crate::spec::FLAG_STEPPED != 0
                {
                    self.apply_param(e.target, owner, spec, to);
                } else if self.ramps.len() < RAMPS_MAX {
                    let from = self.get_param(e.target, e.id).unwrap_or(to);
                    self.ramps.push(Ramp {
                        target: e.target,
                        id: e.id,
                        from,
                        to,
                        total,
                        done: 0,
                    });
                } else {
                    self.apply_param(e.target, owner, spec, to);
                }
            }
            _ => {}
        }
    }

    /// Advance every ramp by `frames` and apply its new value.
    fn step_ramps(&mut self, frames: u64) {
        let mut i = 0;
        while i < self.ramps.len() {
            let r = &mut self.ramps[i];
            r.done = (r.done + frames).min(r.total);
            let finished = r.done >= r.total;
            let x = r.done as f64 / r.total as f64;
            let v = if finished {
                r.to
            } else {
                (r.from as f64 + (r.to as f64 - r.from as f64) * x) as f32
            };
            let (target, id) = (r.target, r.id);
            if let Some((owner, spec)) = params::lookup(id) {
                self.apply_param(target, owner, spec, v);
            }
            if finished {
                self.ramps.swap_remove(i);
            } else {
                i += 1;
            }
        }
    }

    /// Render `quanta` render quanta: apply due events, run every channel,
    /// write the master output.
    pub fn process(&mut self, quanta: u32) -> Result<(), ProcessError> {
        if quanta > self.config.max_quanta {
            return Err(ProcessError::TooManyQuanta);
        }
        let q = self.quantum;
        for m in self.meters.chunks_exact_mut(METER_STRIDE) {
            m[..4].iter_mut().for_each(|v| *v = 0.0);
        }
        for k in 0..quanta as usize {
            let start = k * q;
            let mut pos = 0;
            while pos < q {
                while let Some(e) = self.events.pop_due((start + pos) as u32) {
                    self.apply_event(e);
                }
                let mut end = q;
                if let Some(o) = self.events.next_offset() {
                    let o = o as usize;
                    if o < start + q {
                        end = end.min(o - start);
                    }
                }
                if !self.ramps.is_empty() {
                    let to_grid = RAMP_STEP_FRAMES - self.frame % RAMP_STEP_FRAMES;
                    end = end.min(pos + to_grid as usize);
                }
                self.render_segment(start, pos, end);
                self.frame += (end - pos) as u64;
                pos = end;
                if !self.ramps.is_empty() && self.frame % RAMP_STEP_FRAMES == 0 {
                    self.step_ramps(RAMP_STEP_FRAMES);
                }
            }
        }
        let frames = (quanta as usize * q).max(1) as f32;
        let tracks = self.tracks.len();
        for (c, m) in self.meters.chunks_exact_mut(METER_STRIDE).enumerate() {
            m[2] = (m[2] / frames).sqrt();
            m[3] = (m[3] / frames).sqrt();
            let ch = if c < tracks {
                self.tracks[c].as_ref().map(|t| &t.ch)
            } else if c < tracks + BUSES_MAX {
                self.buses[c - tracks].as_ref().map(|b| &b.ch)
            } else {
                m[4] = METER_STATE_ACTIVE;
                continue;
            };
            m[4] = match ch {
                None => METER_STATE_ABSENT,
                Some(ch) if ch.bypassed => METER_STATE_BYPASSED,
                Some(_) => METER_STATE_ACTIVE,
            };
        }
        self.events.consume(quanta * q as u32);
        Ok(())
    }

    /// Render frames `a..b` of the quantum starting at call frame `start`.
    fn render_segment(&mut self, start: usize, a: usize, b: usize) {
        let n = b - a;
        let cap = self.capacity;
        let hold_base = if self.auto_bypass {
            self.hold_base
        } else {
            usize::MAX
        };
        let tracks = self.tracks.len();
        self.master.left[a..b].iter_mut().for_each(|v| *v = 0.0);
        self.master.right[a..b].iter_mut().for_each(|v| *v = 0.0);
        for bus in self.buses.iter_mut().flatten() {
            bus.ch.left[a..b].iter_mut().for_each(|v| *v = 0.0);
            bus.ch.right[a..b].iter_mut().for_each(|v| *v = 0.0);
        }
        let bank = &self.bank;
        for t in self.tracks.iter_mut().flatten() {
            // Source.
            let source_quiet = match &mut t.source {
                Source::Input if t.ch.bypassed && input_is_quiet(&t.input, cap, start + a, n) => {
                    true // asleep and nothing to wake it: touch nothing
                }
                Source::Input => {
                    let (l, r) = (&mut t.ch.left[a..b], &mut t.ch.right[a..b]);
                    if t.input.is_empty() {
                        l.iter_mut().for_each(|v| *v = 0.0);
                        r.iter_mut().for_each(|v| *v = 0.0);
                        true
                    } else {
                        let (il, ir) = t.input.split_at(cap);
                        let mut peak = 0.0f32;
                        for i in 0..n {
                            let (x, y) = (flush(il[start + a + i]), flush(ir[start + a + i]));
                            l[i] = x;
                            r[i] = y;
                            peak = peak.max(x.abs()).max(y.abs());
                        }
                        peak < QUIET
                    }
                }
                Source::Synth(s) => {
                    if t.ch.bypassed && s.is_quiet() {
                        true
                    } else {
                        s.render(&mut t.ch.left[a..b], &mut t.ch.right[a..b]);
                        s.is_quiet()
                    }
                }
                Source::Sampler(s) => {
                    if t.ch.bypassed && s.is_quiet() {
                        true
                    } else {
                        s.render(bank, &mut t.ch.left[a..b], &mut t.ch.right[a..b]);
                        s.is_quiet()
                    }
                }
            };
            t.source_quiet = source_quiet;
            t.skip = t.ch.bypassed && source_quiet;
            if t.ch.bypassed && !source_quiet {
                t.ch.wake();
            }
        }
        // Strips, four tracks per group; skipped and absent tracks are paused lanes.
        for (g, group) in self.groups.iter_mut().enumerate() {
            let mut ins_l: [Option<&[f32]>; LANES] = [None; LANES];
            let mut ins_r: [Option<&[f32]>; LANES] = [None; LANES];
            for (k, (il, ir)) in ins_l.iter_mut().zip(ins_r.iter_mut()).enumerate() {
                if let Some(Some(t)) = self.tracks.get(g * LANES + k) {
                    if !t.skip {
                        *il = Some(&t.ch.left[a..b]);
                        *ir = Some(&t.ch.right[a..b]);
                    }
                }
                group.set_lane_paused(k, il.is_none());
            }
            if ins_l.iter().all(|x| x.is_none()) {
                continue;
            }
            let (ll, lr) = (&mut self.lanes_l[..n], &mut self.lanes_r[..n]);
            interleave(ins_l, ll);
            interleave(ins_r, lr);
            group.process(ll, lr);
            for k in 0..LANES {
                if let Some(Some(t)) = self.tracks.get_mut(g * LANES + k) {
                    if !t.skip {
                        deinterleave(ll, k, &mut t.ch.left[a..b]);
                        deinterleave(lr, k, &mut t.ch.right[a..b]);
                    }
                }
            }
        }
        for (ti, slot) in self.tracks.iter_mut().enumerate() {
            let t = match slot {
                Some(t) if !t.skip => t,
                _ => continue,
            };
            let group = &mut self.groups[ti / LANES];
            let ch = &mut t.ch;
            let post_inserts_peak = ch.run_inserts(a, b);
            ch.apply_mute(a, b);
            add_sends(
                &mut t.sends,
                true,
                &mut self.buses,
                &ch.left,
                &ch.right,
                a,
                b,
            );
            ch.out.process(&mut ch.left[a..b], &mut ch.right[a..b]);
            add_sends(
                &mut t.sends,
                false,
                &mut self.buses,
                &ch.left,
                &ch.right,
                a,
                b,
            );
            let meter = &mut self.meters[ti * METER_STRIDE..(ti + 1) * METER_STRIDE];
            ch.mix_into(&mut self.master.left, &mut self.master.right, meter, a, b);
            let lane = ti % LANES;
            let sends = &t.sends;
            let slept = ch.try_sleep(t.source_quiet, post_inserts_peak, n, hold_base, || {
                group.lane_is_quiet(lane) && sends.iter().all(|s| !s.gain.is_active())
            });
            if slept {
                group.reset_lane(lane);
            }
        }
        for (bi, slot) in self.buses.iter_mut().enumerate() {
            let bus = match slot {
                Some(b) => b,
                None => continue,
            };
            let ch = &mut bus.ch;
            let source_quiet = peak(&ch.left[a..b]).max(peak(&ch.right[a..b])) < QUIET;
            if ch.bypassed {
                if source_quiet {
                    continue;
                }
                ch.wake();
            }
            let post_inserts_peak = ch.run_inserts(a, b);
            ch.apply_mute(a, b);
            ch.out.process(&mut ch.left[a..b], &mut ch.right[a..b]);
            let c = tracks + bi;
            let meter = &mut self.meters[c * METER_STRIDE..(c + 1) * METER_STRIDE];
            ch.mix_into(&mut self.master.left, &mut self.master.right, meter, a, b);
            ch.try_sleep(source_quiet, post_inserts_peak, n, hold_base, || true);
        }
        let master = &mut self.master;
        master
            .inserts
            .process(&mut master.left[a..b], &mut master.right[a..b]);
        let (out_l, out_r) = self.output.split_at_mut(cap);
        let g = &mut master.gain;
        for i in a..b {
            let gain = g.tick();
            out_l[start + i] = flush(master.left[i] * gain);
            out_r[start + i] = flush(master.right[i] * gain);
        }
        let c = tracks + BUSES_MAX;
        let m = &mut self.meters[c * METER_STRIDE..(c + 1) * METER_STRIDE];
        meter_add(
            m,
            &out_l[start + a..start + b],
            &out_r[start + a..start + b],
        );
    }

    /// Clear all audio state, drop queued events and ramps, and jump every
    /// parameter ramp to its target.
    pub fn reset(&mut self) {
        for g in self.groups.iter_mut() {
            g.reset();
        }
        for t in self.tracks.iter_mut().flatten() {
            t.source.reset();
            t.ch.reset();
            for s in t.sends.iter_mut() {
                s.gain.snap();
            }
        }
        for b in self.buses.iter_mut().flatten() {
            b.ch.reset();
        }
        self.master.inserts.reset();
        self.master.gain.snap();
        self.events.clear();
        self.ramps.clear();
        self.frame = 0;
    }

    /// The strip group holding track `t`, and the track's lane in it.
    pub fn strip_group(&self, t: usize) -> Option<(&StripGroup, usize)> {
        self.tracks.get(t)?.as_ref()?;
        Some((self.groups.get(t / LANES)?, t % LANES))
    }

    /// True if channel (`kind`, `index`) exists and is auto-bypassed.
    pub fn is_bypassed(&self, kind: u32, index: usize) -> bool {
        match kind {
            TARGET_TRACK => matches!(self.tracks.get(index), Some(Some(t)) if t.ch.bypassed),
            TARGET_BUS => matches!(self.buses.get(index), Some(Some(b)) if b.ch.bypassed),
            _ => false,
        }
    }
}

/// True if frames `from..from + n` of a planar input (empty: no input yet)
/// hold nothing at or above [`QUIET`] (non-finite values are flushed to zero
/// on the way in, so they count as quiet too).
fn input_is_quiet(input: &[f32], cap: usize, from: usize, n: usize) -> bool {
    if input.is_empty() {
        return true;
    }
    let loud = |v: &f32| flush(*v).abs() >= QUIET;
    !(input[from..from + n].iter().any(loud) || input[cap + from..cap + from + n].iter().any(loud))
}

/// Split a target into (kind, index, slot).
pub fn decode(target: u32) -> (u32, usize, usize) {
    (
        (target >> 12) & 0xf,
        (target & 0xfff) as usize,
        (target >> 16) as usize,
    )
}
