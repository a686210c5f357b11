//! Channels: a track (source, strip lane, sends), a bus, the master, and
//! what they share: the insert chain and the fader, pan and mute of a
//! [`Channel`] with its audio buffers and auto-bypass state.

use crate::config::{zeroed, ConfigError, BUSES_MAX, INSERTS_MAX};
use crate::dsp::gain_pan::GainPan;
use crate::engine::meters::{meter_add, peak, Bypass};
use crate::math::db_to_gain;
use crate::smooth::Linear;
use crate::sources::sampler::Sampler;
use crate::sources::synth::Synth;
use crate::sources::SourceKind;
use crate::spec::{ParamId, SEND_OFF_DB};
use crate::units::Unit;

/// The insert chain of one channel.
#[derive(Debug, Default)]
pub(super) struct Inserts {
    pub(super) units: [Option<Box<dyn Unit>>; INSERTS_MAX],
    /// The unit kind in each slot (0: empty).
    pub(super) kinds: [u32; INSERTS_MAX],
}

impl Inserts {
    pub(super) fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        for u in self.units.iter_mut().flatten() {
            u.process(left, right);
        }
    }

    pub(super) fn reset(&mut self) {
        for u in self.units.iter_mut().flatten() {
            u.reset();
        }
    }

    /// True if no slot holds a unit.
    pub(super) fn is_empty(&self) -> bool {
        self.units.iter().all(Option::is_none)
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

    pub(super) fn set_tempo_bpm(&mut self, bpm: f32) {
        for u in self.units.iter_mut().flatten() {
            u.set_tempo_bpm(bpm);
        }
    }
}

/// Fader, pan and mute of a track or bus, plus its inserts.
#[derive(Debug)]
pub(super) struct Channel {
    pub(super) inserts: Inserts,
    pub(super) out: GainPan,
    pub(super) mute_gain: Linear,
    pub(super) gain_db: f32,
    pub(super) pan: f32,
    pub(super) mute: bool,
    pub(super) left: Vec<f32>,
    pub(super) right: Vec<f32>,
    bypass: Bypass,
}

impl Channel {
    pub(super) fn new(quantum: usize) -> Result<Channel, ConfigError> {
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
            bypass: Bypass::default(),
        })
    }

    /// Ramp the mute gain: silent when muted or soloed out.
    pub(super) fn set_silenced(&mut self, silenced: bool, steps: u32) {
        self.mute_gain
            .set_target(if silenced { 0.0 } else { 1.0 }, steps);
    }

    pub(super) fn apply_mute(&mut self, a: usize, b: usize) {
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

    /// True while auto-bypassed.
    pub(super) fn is_bypassed(&self) -> bool {
        self.bypass.is_asleep()
    }

    /// Leave auto-bypass (if bypassed) and start counting quiet frames over.
    pub(super) fn wake(&mut self) {
        self.bypass.wake();
    }

    /// Run the inserts on frames `a..b`; returns the peak after them.
    pub(super) fn run_inserts(&mut self, a: usize, b: usize) -> f32 {
        self.inserts
            .process(&mut self.left[a..b], &mut self.right[a..b]);
        peak(&self.left[a..b]).max(peak(&self.right[a..b]))
    }

    /// Add frames `a..b` (after the fader) into the master mix and this
    /// channel's meter (a bus: tracks join the mix in their lanes).
    pub(super) fn mix_into(
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
    pub(super) fn try_sleep(
        &mut self,
        source_quiet: bool,
        peak: f32,
        frames: usize,
        hold_base: usize,
        settled: impl FnOnce() -> bool,
    ) -> bool {
        let hold = hold_base.saturating_add(self.inserts.tail_frames());
        if self.bypass.count_quiet(source_quiet, peak, frames, hold)
            && self.inserts.is_quiet()
            && !self.mute_gain.is_active()
            && settled()
        {
            self.reset();
            self.bypass.sleep();
            true
        } else {
            false
        }
    }

    pub(super) fn reset(&mut self) {
        self.inserts.reset();
        self.out.reset();
        self.mute_gain.snap();
        self.bypass.wake();
    }
}

/// A track's send to one bus.
#[derive(Clone, Copy, Debug)]
pub(super) struct Send {
    pub(super) level_db: f32,
    pub(super) gain: Linear,
    /// Taken before the fader and pan (after the mute).
    pub(super) pre: bool,
}

impl Send {
    fn off() -> Send {
        Send {
            level_db: SEND_OFF_DB,
            gain: Linear::new(0.0),
            pre: false,
        }
    }

    pub(super) fn is_off(&self) -> bool {
        !self.gain.is_active() && self.gain.current() == 0.0
    }
}

/// The linear gain of a send level: exactly 0 at and below [`SEND_OFF_DB`].
pub(super) fn send_gain(db: f32) -> f32 {
    if db <= SEND_OFF_DB {
        0.0
    } else {
        db_to_gain(db as f64) as f32
    }
}

/// What feeds a track.
#[derive(Debug)]
pub(super) enum Source {
    Input,
    Synth(Box<Synth>),
    Sampler(Box<Sampler>),
}

impl Source {
    pub(super) fn kind(&self) -> SourceKind {
        match self {
            Source::Input => SourceKind::Input,
            Source::Synth(_) => SourceKind::Synth,
            Source::Sampler(_) => SourceKind::Sampler,
        }
    }

    pub(super) fn set(&mut self, row: usize, v: f32) {
        match self {
            Source::Input => {}
            Source::Synth(s) => s.set(row, v),
            Source::Sampler(s) => s.set(row, v),
        }
    }

    pub(super) fn get(&self, row: usize) -> Option<f32> {
        match self {
            Source::Input => None,
            Source::Synth(s) => Some(s.get(row)),
            Source::Sampler(s) => Some(s.get(row)),
        }
    }

    pub(super) fn note_on(&mut self, note: u8, velocity: f32) {
        match self {
            Source::Input => {}
            Source::Synth(s) => s.note_on(note, velocity),
            Source::Sampler(s) => s.note_on(note, velocity),
        }
    }

    pub(super) fn note_off(&mut self, note: u8) {
        match self {
            Source::Input => {}
            Source::Synth(s) => s.note_off(note),
            Source::Sampler(s) => s.note_off(note),
        }
    }

    pub(super) fn all_notes_off(&mut self) {
        match self {
            Source::Input => {}
            Source::Synth(s) => s.all_notes_off(),
            Source::Sampler(s) => s.all_notes_off(),
        }
    }

    pub(super) fn reset(&mut self) {
        match self {
            Source::Input => {}
            Source::Synth(s) => s.reset(),
            Source::Sampler(s) => s.reset(),
        }
    }
}

/// A track: its source, its input buffer, its channel and its sends. Its
/// strip lives in a lane of the engine's strip groups.
#[derive(Debug)]
pub(super) struct Track {
    pub(super) source: Source,
    /// Planar stereo input, empty until the host asks for it.
    pub(super) input: Vec<f32>,
    /// The host declared the input silent: it is not read.
    pub(super) input_silent: bool,
    pub(super) ch: Channel,
    /// Bypassed with a quiet source: skipped in the current segment.
    pub(super) skip: bool,
    pub(super) source_quiet: bool,
    pub(super) solo: bool,
    pub(super) sends: [Send; BUSES_MAX],
}

impl Track {
    /// A track fed by its (not yet allocated) input, with every send off.
    pub(super) fn new(ch: Channel) -> Track {
        Track {
            source: Source::Input,
            input: Vec::new(),
            input_silent: false,
            ch,
            skip: false,
            source_quiet: true,
            solo: false,
            sends: [Send::off(); BUSES_MAX],
        }
    }
}

/// A bus: the sum of the sends to it, through its own channel.
#[derive(Debug)]
pub(super) struct Bus {
    pub(super) ch: Channel,
}

/// The master: the sum of every track and bus, through inserts and a fader.
#[derive(Debug)]
pub(super) struct Master {
    pub(super) inserts: Inserts,
    pub(super) gain_db: f32,
    pub(super) gain: Linear,
    pub(super) left: Vec<f32>,
    pub(super) right: Vec<f32>,
}

impl Master {
    pub(super) fn new(quantum: usize) -> Result<Master, ConfigError> {
        let gain_db = ParamId::MasterGainDb.spec().default;
        Ok(Master {
            inserts: Inserts::default(),
            gain_db,
            gain: Linear::new(db_to_gain(gain_db as f64) as f32),
            left: zeroed(quantum)?,
            right: zeroed(quantum)?,
        })
    }
}
