//! Parameter routing: whether a target can hold a parameter, and the one
//! set/get path every parameter takes to the state it addresses.
//!
//! Unit and source parameters go to the unit in the addressed insert slot
//! or the track's source. The engine's own (core) parameters are described
//! once, by [`Field::of`]: the state each one addresses. Setting and
//! getting both go through that description, and each [`Field`] is written
//! by [`Engine::write_core`] and read by [`Engine::read_core`].

use crate::config::BUSES_MAX;
use crate::engine::channel::{send_gain, Channel, Inserts, Track};
use crate::engine::targets::{decode, TARGET_BUS, TARGET_TRACK};
use crate::engine::{Engine, ParamError};
use crate::math::db_to_gain;
use crate::params::{self, Owner};
use crate::spec::{clamp_to_spec, ParamId, ParamSpec, Scope, FADER_SMOOTHING_MS};
use crate::strip::LANES;

/// The state a core parameter addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    /// The master fader, dB (its gain ramps).
    MasterGainDb,
    /// The tempo, BPM, which every insert follows.
    TempoBpm,
    /// The auto-bypass switch; off wakes every channel.
    AutoBypass,
    /// A track's or bus's fader, dB.
    GainDb,
    /// A track's or bus's pan.
    Pan,
    /// A track's or bus's mute switch.
    Mute,
    /// A track's solo switch; a change re-silences every track.
    Solo,
    /// The level of a track's send to bus `n` (0-based), dB.
    SendDb(usize),
    /// Whether a track's send to bus `n` (0-based) is taken before the fader.
    SendPre(usize),
    /// A row of the track's channel strip, held by its strip-group lane.
    Strip(ParamId),
}

impl Field {
    /// The state core parameter `pid` addresses.
    fn of(pid: ParamId) -> Field {
        let n = pid as usize;
        let db0 = ParamId::Send1Db as usize;
        let pre0 = ParamId::Send1Pre as usize;
        match pid {
            ParamId::MasterGainDb => Field::MasterGainDb,
            ParamId::TempoBpm => Field::TempoBpm,
            ParamId::AutoBypass => Field::AutoBypass,
            ParamId::GainDb => Field::GainDb,
            ParamId::Pan => Field::Pan,
            ParamId::Mute => Field::Mute,
            ParamId::Solo => Field::Solo,
            _ if (db0..db0 + BUSES_MAX).contains(&n) => Field::SendDb(n - db0),
            _ if (pre0..pre0 + BUSES_MAX).contains(&n) => Field::SendPre(n - pre0),
            _ => Field::Strip(pid),
        }
    }
}

/// A switch parameter's state: on at 0.5 and above.
fn switch(v: f32) -> bool {
    v >= 0.5
}

/// A switch's value: 1 on, 0 off.
fn switch_value(on: bool) -> f32 {
    on as u32 as f32
}

impl Engine {
    /// Set parameter `id` of `target` (see [`target`](crate::engine::target);
    /// master parameters take target 0). Out-of-range values are clamped;
    /// `Ok(true)` says one was. May create the addressed track or bus
    /// (allocates once).
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
    pub(super) fn check_target(
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
    pub(super) fn apply_param(&mut self, target: u32, owner: Owner, spec: &ParamSpec, v: f32) {
        let (kind, index, slot) = decode(target);
        let steps = self.steps(spec.smoothing_ms);
        match owner {
            Owner::Core(pid) => self.write_core(kind, index, Field::of(pid), v, steps),
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

    /// Write value `v` (in range) to `field` of the master or of the
    /// checked channel (`kind`, `index`); `steps` is the parameter's ramp.
    fn write_core(&mut self, kind: u32, index: usize, field: Field, v: f32, steps: u32) {
        match field {
            Field::MasterGainDb => {
                self.master.gain_db = v;
                self.master
                    .gain
                    .set_target(db_to_gain(v as f64) as f32, steps);
            }
            Field::TempoBpm => {
                self.tempo_bpm = v;
                self.for_each_inserts(|i| i.set_tempo_bpm(v));
            }
            Field::AutoBypass => {
                self.auto_bypass = switch(v);
                if !self.auto_bypass {
                    for t in self.tracks.iter_mut().flatten() {
                        t.ch.wake();
                    }
                    for b in self.buses.iter_mut().flatten() {
                        b.ch.wake();
                    }
                }
            }
            Field::GainDb | Field::Pan | Field::Mute => {
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
                match field {
                    Field::GainDb => {
                        ch.gain_db = v;
                        ch.out.set_gain_db(v, steps);
                    }
                    Field::Pan => {
                        ch.pan = v;
                        ch.out.set_pan(v, steps);
                    }
                    _ => {
                        ch.mute = switch(v);
                        let soloed_out = solo_active && solo == Some(false);
                        ch.set_silenced(ch.mute || soloed_out, steps);
                    }
                }
            }
            Field::Solo => {
                let fader_steps = self.steps(FADER_SMOOTHING_MS);
                let on = switch(v);
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
            Field::SendDb(n) => {
                if let Some(t) = self.tracks[index].as_mut() {
                    let s = &mut t.sends[n];
                    s.level_db = v;
                    s.gain.set_target(send_gain(v), steps);
                }
            }
            Field::SendPre(n) => {
                if let Some(t) = self.tracks[index].as_mut() {
                    t.sends[n].pre = switch(v);
                }
            }
            Field::Strip(pid) => {
                if self.tracks[index].is_some() {
                    let s = self.packing.slot(index);
                    if let Some(g) = self.groups.get_mut(s / LANES) {
                        g.set(s % LANES, pid, v);
                    }
                }
            }
        }
    }

    /// The value `field` holds on the master, or on channel `ch` of track
    /// `track` (at `index`) or of a bus (`track` is `None`); `None` where
    /// the channel holds no such state.
    fn read_core(
        &self,
        field: Field,
        ch: Option<&Channel>,
        track: Option<&Track>,
        index: usize,
    ) -> Option<f32> {
        Some(match field {
            Field::MasterGainDb => self.master.gain_db,
            Field::TempoBpm => self.tempo_bpm,
            Field::AutoBypass => switch_value(self.auto_bypass),
            Field::GainDb => ch?.gain_db,
            Field::Pan => ch?.pan,
            Field::Mute => switch_value(ch?.mute),
            Field::Solo => switch_value(track?.solo),
            Field::SendDb(n) => track?.sends[n].level_db,
            Field::SendPre(n) => switch_value(track?.sends[n].pre),
            Field::Strip(pid) => {
                track?;
                let s = self.packing.slot(index);
                self.groups.get(s / LANES)?.get(s % LANES, pid)
            }
        })
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
            Owner::Core(pid) => {
                let field = Field::of(pid);
                match spec.scope {
                    Scope::Master if target == 0 => Ok(self
                        .read_core(field, None, None, index)
                        .unwrap_or(spec.default)),
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
                        Ok(match ch {
                            Some(ch) => self
                                .read_core(field, Some(ch), track.flatten(), index)
                                .unwrap_or(spec.default),
                            None => spec.default,
                        })
                    }
                    _ => Err(ParamError::BadTarget),
                }
            }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{target, Config, TARGET_MASTER};

    fn engine() -> Engine {
        Engine::new(Config {
            sample_rate_hz: 48000.0,
            tracks: 8,
            quantum_frames: 128,
            max_quanta: 1,
        })
        .unwrap()
    }

    /// An in-range value other than the default (whole for a stepped row).
    fn other_value(spec: &ParamSpec) -> f32 {
        let v = spec.min + (spec.max - spec.min) * 0.375;
        let v = clamp_to_spec(spec, v).0;
        if v != spec.default {
            v
        } else if spec.default != spec.max {
            spec.max
        } else {
            spec.min
        }
    }

    #[test]
    fn every_core_parameter_addresses_state_of_its_table_scope() {
        for pid in ParamId::ALL {
            let scope = match Field::of(pid) {
                Field::MasterGainDb | Field::TempoBpm | Field::AutoBypass => Scope::Master,
                Field::GainDb | Field::Pan | Field::Mute => Scope::Channel,
                Field::Solo | Field::SendDb(_) | Field::SendPre(_) | Field::Strip(_) => {
                    Scope::Track
                }
            };
            assert_eq!(scope, pid.spec().scope, "{:?}", pid);
        }
    }

    #[test]
    fn every_core_parameter_reads_back_what_was_set() {
        for pid in ParamId::ALL {
            let spec = pid.spec();
            let targets = match spec.scope {
                Scope::Master => vec![0],
                Scope::Channel => vec![target(TARGET_TRACK, 5, 0), target(TARGET_BUS, 2, 0)],
                _ => vec![target(TARGET_TRACK, 5, 0)],
            };
            for t in targets {
                let mut e = engine();
                assert_eq!(e.get_param(t, pid as u32), Ok(spec.default), "{:?}", pid);
                let v = other_value(spec);
                assert_eq!(e.set_param(t, pid as u32, v), Ok(false), "{:?}", pid);
                assert_eq!(e.get_param(t, pid as u32), Ok(v), "{:?} at {:#x}", pid, t);
            }
        }
    }

    #[test]
    fn a_core_parameter_is_refused_on_a_target_of_another_scope() {
        let mut e = engine();
        let bus = target(TARGET_BUS, 1, 0);
        let master = target(TARGET_MASTER, 0, 0);
        let solo = ParamId::Solo as u32;
        assert_eq!(e.set_param(bus, solo, 1.0), Err(ParamError::BadTarget));
        assert_eq!(e.get_param(bus, solo), Err(ParamError::BadTarget));
        let gain = ParamId::GainDb as u32;
        assert_eq!(e.get_param(master, gain), Err(ParamError::BadTarget));
        let tempo = ParamId::TempoBpm as u32;
        assert_eq!(e.get_param(bus, tempo), Err(ParamError::BadTarget));
    }
}
