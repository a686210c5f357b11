//! How long a unit has been quiet: the count of consecutive frames in which
//! nothing audible entered it (or was written to its state), which its
//! `is_quiet` compares with how far back its output can reach.
//!
//! What counts as audible is the unit's own test (its input above −120 dBFS,
//! a line write above it, any nonzero comb input, ...); the counter only
//! counts. It saturates at `usize::MAX`, which is also the value of a unit
//! that has heard nothing since it was created or reset.

/// Consecutive quiet frames, saturating.
///
/// Copy it into a local before a per-frame loop and store it back after, as
/// any other per-block state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietFrames(usize);

impl QuietFrames {
    /// Quiet for as long as can be counted: the state of a unit just created
    /// or reset.
    pub const SETTLED: QuietFrames = QuietFrames(usize::MAX);

    /// Quiet for exactly `frames` frames.
    pub const fn new(frames: usize) -> QuietFrames {
        QuietFrames(frames)
    }

    /// Count one frame: a loud frame restarts the count at zero, a quiet one
    /// adds one.
    #[inline(always)]
    pub fn frame(&mut self, loud: bool) {
        self.0 = if loud { 0 } else { self.0.saturating_add(1) };
    }

    /// Consecutive quiet frames counted so far.
    #[inline]
    pub fn frames(self) -> usize {
        self.0
    }

    /// True when the last `span` frames (at least) were all quiet.
    #[inline]
    pub fn covers(self, span: usize) -> bool {
        self.0 >= span
    }

    /// True when more than the last `span` frames were all quiet.
    #[inline]
    pub fn exceeds(self, span: usize) -> bool {
        self.0 > span
    }
}

#[cfg(test)]
mod tests {
    use super::QuietFrames;

    #[test]
    fn counts_quiet_frames_restarts_on_loud_ones_and_saturates() {
        let mut q = QuietFrames::new(0);
        assert!(q.covers(0) && !q.covers(1) && !q.exceeds(0));
        q.frame(false);
        q.frame(false);
        assert_eq!(q.frames(), 2);
        assert!(q.covers(2) && !q.exceeds(2) && q.exceeds(1));
        q.frame(true);
        assert_eq!(q.frames(), 0);
        let mut s = QuietFrames::SETTLED;
        s.frame(false);
        assert_eq!(s, QuietFrames::SETTLED);
        assert!(s.covers(usize::MAX) && !s.exceeds(usize::MAX));
    }
}
