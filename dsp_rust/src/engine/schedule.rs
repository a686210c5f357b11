//! Events and ramps: queueing events (each checked against its target),
//! applying an event when its frame comes, and stepping parameter ramps on
//! the [`RAMP_STEP_FRAMES`](crate::config::RAMP_STEP_FRAMES) grid.

use crate::config::RAMPS_MAX;
use crate::engine::targets::{decode, TARGET_TRACK};
use crate::engine::Engine;
use crate::events::{
    EventError, EventQueue, EventRecord, EVENT_ALL_NOTES_OFF, EVENT_NOTE_OFF, EVENT_NOTE_ON,
    EVENT_PARAM_RAMP, EVENT_PARAM_SET,
};
use crate::params;
use crate::spec::{clamp_to_spec, FLAG_STEPPED};

/// A parameter moving linearly from `from` to `to` over `total` frames.
#[derive(Clone, Copy, Debug)]
pub(super) struct Ramp {
    target: u32,
    id: u32,
    from: f32,
    to: f32,
    total: u64,
    done: u64,
}

impl Engine {
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

    /// Apply event `e`, due now: a note to its track's source, or a
    /// parameter set or the start of a ramp (replacing a ramp of the same
    /// parameter and target).
    pub(super) fn apply_event(&mut self, e: EventRecord) {
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
                if e.kind == EVENT_PARAM_SET || total == 0 || spec.flags & FLAG_STEPPED != 0 {
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
    pub(super) fn step_ramps(&mut self, frames: u64) {
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
}
