//! The sample-accurate event queue.
//!
//! Hosts write [`EventRecord`]s into a staging area in linear memory and
//! commit them with one call; the engine keeps them ordered by frame offset
//! (stable for equal offsets, so events at one frame apply in the order
//! they were pushed) and applies each at its frame while rendering. Offsets
//! count frames from the start of the next process call; events beyond the
//! frames one call renders stay queued for the next call.
//!
//! Capacity is fixed at creation: pushing never allocates.

use crate::config::ConfigError;

/// Start a note: `id` is the MIDI note (0..=127), `value` the velocity (0..=1).
pub const EVENT_NOTE_ON: u32 = 0;
/// Release a note: `id` is the MIDI note.
pub const EVENT_NOTE_OFF: u32 = 1;
/// Set parameter `id` of `target` to `value` (ramped over its smoothing time).
pub const EVENT_PARAM_SET: u32 = 2;
/// Ramp parameter `id` of `target` linearly to `value` over `aux` milliseconds.
pub const EVENT_PARAM_RAMP: u32 = 3;
/// Release every note of the track `target`.
pub const EVENT_ALL_NOTES_OFF: u32 = 4;

/// Most events a staging area holds (one commit).
pub const EVENTS_STAGING_MAX: usize = 1024;
/// Most events the queue holds at once.
pub const EVENTS_QUEUE_MAX: usize = 8192;

/// One event as the host writes it: eight 32-bit words.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
pub struct EventRecord {
    /// Frame offset from the start of the next process call.
    pub offset_frames: u32,
    /// One of the `EVENT_*` kinds.
    pub kind: u32,
    /// Target (track, bus or master channel, and slot), as for parameters.
    pub target: u32,
    /// MIDI note or parameter id.
    pub id: u32,
    /// Velocity or parameter value.
    pub value: f32,
    /// Ramp duration in ms (ramps only).
    pub aux: f32,
    /// Reserved, write 0.
    pub reserved: [u32; 2],
}

/// Why a commit was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventError {
    /// More events than the staging area holds, or the queue would overflow.
    Full,
    /// An event of unknown kind, or a note outside 0..=127, or a non-finite value.
    Malformed,
}

/// Ordered queue plus the staging area hosts write into.
#[derive(Debug)]
pub struct EventQueue {
    staging: Vec<EventRecord>,
    queue: Vec<EventRecord>,
    head: usize,
}

impl EventQueue {
    /// An empty queue with its fixed capacity allocated.
    pub fn new() -> Result<EventQueue, ConfigError> {
        let mut staging = Vec::new();
        staging
            .try_reserve_exact(EVENTS_STAGING_MAX)
            .map_err(|_| ConfigError::OutOfMemory)?;
        staging.resize(EVENTS_STAGING_MAX, EventRecord::default());
        let mut queue = Vec::new();
        queue
            .try_reserve_exact(EVENTS_QUEUE_MAX)
            .map_err(|_| ConfigError::OutOfMemory)?;
        Ok(EventQueue {
            staging,
            queue,
            head: 0,
        })
    }

    /// A queue with no capacity (allocates nothing), used as a placeholder.
    pub fn empty() -> EventQueue {
        EventQueue {
            staging: Vec::new(),
            queue: Vec::new(),
            head: 0,
        }
    }

    /// The staging area the host fills before [`EventQueue::commit`].
    pub fn staging_mut(&mut self) -> &mut [EventRecord] {
        &mut self.staging
    }

    /// Check one record's shape (kind, note range, finite values).
    pub fn check(e: &EventRecord) -> Result<(), EventError> {
        let ok = match e.kind {
            EVENT_NOTE_ON => e.id <= 127 && e.value.is_finite(),
            EVENT_NOTE_OFF | EVENT_ALL_NOTES_OFF => e.id <= 127,
            EVENT_PARAM_SET => e.value.is_finite(),
            EVENT_PARAM_RAMP => e.value.is_finite() && e.aux.is_finite() && e.aux >= 0.0,
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(EventError::Malformed)
        }
    }

    /// Move the first `count` staged events into the queue, each after every
    /// queued event with an offset not greater than its own. All or nothing:
    /// `validate` sees each record first and may refuse the whole commit.
    pub fn commit(
        &mut self,
        count: usize,
        mut validate: impl FnMut(&EventRecord) -> Result<(), EventError>,
    ) -> Result<(), EventError> {
        self.compact();
        if count > self.staging.len() || self.queue.len() + count > EVENTS_QUEUE_MAX {
            return Err(EventError::Full);
        }
        for e in &self.staging[..count] {
            Self::check(e)?;
            validate(e)?;
        }
        for i in 0..count {
            let e = self.staging[i];
            let at = self
                .queue
                .iter()
                .rposition(|q| q.offset_frames <= e.offset_frames)
                .map_or(0, |p| p + 1);
            self.queue.insert(at, e);
        }
        Ok(())
    }

    /// Offset of the earliest queued event, if any.
    pub fn next_offset(&self) -> Option<u32> {
        self.queue.get(self.head).map(|e| e.offset_frames)
    }

    /// Remove and return the earliest event if its offset is `offset` or less.
    pub fn pop_due(&mut self, offset: u32) -> Option<EventRecord> {
        let e = *self.queue.get(self.head)?;
        if e.offset_frames <= offset {
            self.head += 1;
            Some(e)
        } else {
            None
        }
    }

    fn compact(&mut self) {
        if self.head > 0 {
            self.queue.drain(..self.head);
            self.head = 0;
        }
    }

    /// Shift every queued offset back by `frames` (after a call rendered them).
    pub fn consume(&mut self, frames: u32) {
        self.compact();
        for e in self.queue.iter_mut() {
            e.offset_frames = e.offset_frames.saturating_sub(frames);
        }
    }

    /// Events waiting.
    pub fn len(&self) -> usize {
        self.queue.len() - self.head
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drop every queued event.
    pub fn clear(&mut self) {
        self.queue.clear();
        self.head = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(offset: u32, id: u32) -> EventRecord {
        EventRecord {
            offset_frames: offset,
            kind: EVENT_PARAM_SET,
            id,
            ..EventRecord::default()
        }
    }

    #[test]
    fn events_come_out_in_offset_order_and_stable() {
        let mut q = EventQueue::new().unwrap();
        let s = q.staging_mut();
        s[0] = ev(10, 1);
        s[1] = ev(5, 2);
        s[2] = ev(10, 3);
        s[3] = ev(0, 4);
        q.commit(4, |_| Ok(())).unwrap();
        let mut ids = Vec::new();
        while let Some(e) = q.pop_due(100) {
            ids.push(e.id);
        }
        assert_eq!(ids, vec![4, 2, 1, 3]);
    }

    #[test]
    fn a_bad_record_refuses_the_whole_commit() {
        let mut q = EventQueue::new().unwrap();
        q.staging_mut()[0] = ev(0, 1);
        q.staging_mut()[1] = EventRecord {
            kind: 99,
            ..EventRecord::default()
        };
        assert_eq!(q.commit(2, |_| Ok(())), Err(EventError::Malformed));
        assert!(q.is_empty());
        assert_eq!(
            q.commit(EVENTS_STAGING_MAX + 1, |_| Ok(())),
            Err(EventError::Full)
        );
    }

    #[test]
    fn consume_shifts_offsets() {
        let mut q = EventQueue::new().unwrap();
        q.staging_mut()[0] = ev(300, 1);
        q.commit(1, |_| Ok(())).unwrap();
        assert!(q.pop_due(255).is_none());
        q.consume(256);
        assert_eq!(q.next_offset(), Some(44));
    }
}
