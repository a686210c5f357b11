//! Dense lane groups: which strip lane each track's strip lives in.
//!
//! Slot `s` is lane `s % 4` of strip group `s / 4`. Before each segment
//! the tracks that run in it (awake, or woken by their source) take slots
//! `0, 1, 2, …` in track order and every other track follows, also in track
//! order, so the groups that run are full but for the last one, and no
//! group runs a lane for a track that sleeps while a track elsewhere runs.
//! A track whose slot changes takes its whole lane with it
//! ([`StripLane`]: parameters, settings, ramps, update schedule, state);
//! lanes never depend on their neighbours, so where a track's strip runs
//! changes nothing in its output, and running the groups in slot order
//! sums the tracks into the master in track order, as one by one.
//!
//! Lanes only move when the set of running tracks changes (a track wakes
//! or goes to sleep, or is created); the scratch space for a repack is
//! reserved with the engine, so a repack never allocates.

use crate::config::ConfigError;
use crate::strip::{StripGroup, StripLane, LANES};

/// The slot of every track and the track in every slot.
#[derive(Debug)]
pub(super) struct Packing {
    slot_of: Vec<u16>,
    /// The new track of each slot, during a repack.
    order: Vec<u16>,
    /// The lanes that change slot, during a repack.
    moving: Vec<(u16, StripLane)>,
    /// The running set may have changed since the last repack.
    pub(super) stale: bool,
}

fn reserved<T>(n: usize) -> Result<Vec<T>, ConfigError> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| ConfigError::OutOfMemory)?;
    Ok(v)
}

impl Packing {
    /// Track `t` in slot `t`, for `tracks` tracks.
    pub(super) fn new(tracks: usize) -> Result<Packing, ConfigError> {
        let mut slot_of = reserved(tracks)?;
        slot_of.extend((0..tracks).map(|t| t as u16));
        Ok(Packing {
            slot_of,
            order: reserved(tracks)?,
            moving: reserved(tracks)?,
            stale: true,
        })
    }

    /// The slot holding track `t`'s strip.
    pub(super) fn slot(&self, t: usize) -> usize {
        self.slot_of.get(t).map_or(t, |s| *s as usize)
    }

    /// Put the tracks for which `runs` holds in slots `0, 1, …` in track
    /// order and the others after them, moving every lane whose slot
    /// changes.
    pub(super) fn pack(&mut self, groups: &mut [StripGroup], runs: impl Fn(usize) -> bool) {
        let n = self.slot_of.len();
        self.order.clear();
        self.order
            .extend((0..n as u16).filter(|&t| runs(t as usize)));
        self.order
            .extend((0..n as u16).filter(|&t| !runs(t as usize)));
        self.moving.clear();
        for (s, &t) in self.order.iter().enumerate() {
            let from = self.slot_of[t as usize] as usize;
            if from != s {
                let lane = groups[from / LANES].lane(from % LANES);
                self.moving.push((s as u16, lane));
            }
        }
        for (s, lane) in self.moving.iter() {
            let s = *s as usize;
            groups[s / LANES].set_lane(s % LANES, lane);
        }
        for (s, &t) in self.order.iter().enumerate() {
            self.slot_of[t as usize] = s as u16;
        }
        self.stale = false;
    }
}
