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
//!
//! By concern: this file holds the [`Engine`], its creation and its
//! structure calls (tracks, sources, inserts, samples, buses); `channel`
//! the track, bus and master channels; `targets` how a target is encoded;
//! `routing` which state each parameter addresses (one set/get path);
//! `schedule` events and ramps; `render` the process call and its passes;
//! `packing` which strip lane each track's strip lives in; `group` one
//! strip group's pass; `lanes` the channels of four tracks in lanes;
//! `meters` the meter arithmetic and auto-bypass bookkeeping.

mod channel;
mod group;
mod lanes;
mod meters;
mod packing;
mod render;
mod routing;
mod schedule;
mod targets;

pub use crate::config::{
    Config, ConfigError, BUFFER_FRAMES_MAX, BUSES_MAX, BYPASS_HOLD_MS, INSERTS_MAX,
    METER_STATE_ABSENT, METER_STATE_ACTIVE, METER_STATE_BYPASSED, METER_STRIDE,
    QUANTA_PER_CALL_MAX, QUANTUM_MAX_FRAMES, QUANTUM_MIN_FRAMES, QUIET, RAMPS_MAX,
    RAMP_STEP_FRAMES, SAMPLE_RATE_MAX_HZ, SAMPLE_RATE_MIN_HZ, TRACKS_MAX,
};
pub use crate::engine::targets::{decode, target, TARGET_BUS, TARGET_MASTER, TARGET_TRACK};

use crate::config::{try_box, zeroed};
use crate::engine::channel::{Bus, Channel, Inserts, Master, Source, Track};
use crate::engine::packing::Packing;
use crate::engine::schedule::Ramp;
use crate::events::EventQueue;
use crate::simd::{zeroed_lanes, F4};
use crate::smooth::steps_for_ms;
use crate::sources::bank::{BankError, SampleBank};
use crate::sources::sampler::Sampler;
use crate::sources::synth::Synth;
use crate::sources::SourceKind;
use crate::spec::ParamId;
use crate::strip::{StripGroup, LANES};
use crate::units::unit_info;

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
    /// The tracks' strips, four per group; [`Packing`] says whose is where.
    groups: Vec<StripGroup>,
    /// The blocks of four track indices (`4q..4q+3`) holding at least one
    /// created track, in order: whose meters a process call writes.
    used_groups: Vec<u16>,
    /// Which slot (group and lane) holds each track's strip.
    packing: Packing,
    lanes_l: Vec<F4>,
    lanes_r: Vec<F4>,
    /// One quantum of zeros: the input of a track that has none.
    silence: Vec<f32>,
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
        let group_count = (tracks + LANES - 1) / LANES;
        let mut used_groups = Vec::new();
        used_groups
            .try_reserve_exact(group_count)
            .map_err(|_| ConfigError::OutOfMemory)?;
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
            master: Master::new(q)?,
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
            used_groups,
            packing: Packing::new(tracks)?,
            lanes_l: zeroed_lanes(q)?,
            lanes_r: zeroed_lanes(q)?,
            silence: zeroed(q)?,
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

    /// A ramp of `ms` milliseconds, in frames.
    fn steps(&self, ms: f32) -> u32 {
        steps_for_ms(ms, self.config.sample_rate_hz)
    }

    /// Create track `t` if it does not exist yet (allocates).
    fn ensure_track(&mut self, t: usize) -> Result<&mut Track, ParamError> {
        let q = self.quantum;
        let silenced = self.solo_count > 0;
        let s = self.packing.slot(t);
        if let (Some(None), Some(g)) = (self.tracks.get(t), self.groups.get_mut(s / LANES)) {
            // A new track: its lane starts like a new strip, and runs.
            g.reset_lane(s % LANES);
            self.packing.stale = true;
            let group = (t / LANES) as u16;
            if let Err(at) = self.used_groups.binary_search(&group) {
                // Reserved for every group at creation: never reallocates.
                self.used_groups.insert(at, group);
            }
        }
        let slot = self.tracks.get_mut(t).ok_or(ParamError::BadTarget)?;
        if slot.is_none() {
            let mut ch = Channel::new(q).map_err(|_| ParamError::OutOfMemory)?;
            ch.set_silenced(silenced, 0);
            *slot = Some(try_box(Track::new(ch)).map_err(|_| ParamError::OutOfMemory)?);
        }
        slot.as_deref_mut().ok_or(ParamError::BadTarget)
    }

    /// Create bus `b` if it does not exist yet (allocates).
    fn ensure_bus(&mut self, b: usize) -> Result<&mut Bus, ParamError> {
        let q = self.quantum;
        let slot = self.buses.get_mut(b).ok_or(ParamError::BadTarget)?;
        if slot.is_none() {
            let ch = Channel::new(q).map_err(|_| ParamError::OutOfMemory)?;
            *slot = Some(try_box(Bus { ch }).map_err(|_| ParamError::OutOfMemory)?);
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

    /// Declare track `track`'s input silent (`true`) or fed (`false`). A
    /// silent input is silence whatever its buffer holds: the engine reads
    /// and scans nothing of it, so an asleep track with a silent input costs
    /// next to nothing. A host whose input is disconnected declares it
    /// silent once, instead of writing zeros every quantum, and declares it
    /// fed again before writing sound. Tracks start fed; [`Engine::reset`]
    /// keeps the declaration (it is the host's wiring, not audio state).
    /// Never allocates: the track must exist.
    pub fn set_input_silent(&mut self, track: usize, silent: bool) -> Result<(), ParamError> {
        match self.tracks.get_mut(track) {
            Some(Some(t)) => {
                t.input_silent = silent;
                Ok(())
            }
            _ => Err(ParamError::BadTarget),
        }
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
            SourceKind::Synth => {
                Source::Synth(try_box(Synth::new(sr, q).map_err(oom)?).map_err(oom)?)
            }
            SourceKind::Sampler => {
                Source::Sampler(try_box(Sampler::new(sr, q).map_err(oom)?).map_err(oom)?)
            }
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

    /// The insert chain of channel (`kind`, `index`), creating a missing
    /// track or bus (allocates once).
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

    /// Take track or bus (`kind`, `index`) out of auto-bypass, if it exists.
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
        let s = self.packing.slot(t);
        Some((self.groups.get(s / LANES)?, s % LANES))
    }

    /// True if channel (`kind`, `index`) exists and is auto-bypassed.
    pub fn is_bypassed(&self, kind: u32, index: usize) -> bool {
        match kind {
            TARGET_TRACK => matches!(self.tracks.get(index), Some(Some(t)) if t.ch.is_bypassed()),
            TARGET_BUS => matches!(self.buses.get(index), Some(Some(b)) if b.ch.is_bypassed()),
            _ => false,
        }
    }
}
