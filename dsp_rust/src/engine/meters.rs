//! Meters and auto-bypass: the peak and RMS arithmetic of the meter area,
//! and the bookkeeping that puts a quiet track or bus to sleep.

use crate::config::{
    METER_STATE_ABSENT, METER_STATE_ACTIVE, METER_STATE_BYPASSED, METER_STRIDE, QUIET,
};

/// Auto-bypass state of a track or bus.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Bypass {
    /// Frames the channel has been quiet, source and output.
    quiet_frames: usize,
    /// Reset and skipped until something wakes it.
    asleep: bool,
}

impl Bypass {
    pub(super) fn is_asleep(&self) -> bool {
        self.asleep
    }

    /// Awake, with the quiet count started over.
    pub(super) fn wake(&mut self) {
        self.asleep = false;
        self.quiet_frames = 0;
    }

    /// Count a segment of `frames` frames whose source was quiet or not and
    /// whose post-insert peak was `peak`; true once the channel has been
    /// quiet for at least `hold` frames.
    pub(super) fn count_quiet(
        &mut self,
        source_quiet: bool,
        peak: f32,
        frames: usize,
        hold: usize,
    ) -> bool {
        if source_quiet && peak < QUIET {
            self.quiet_frames = self.quiet_frames.saturating_add(frames);
        } else {
            self.quiet_frames = 0;
        }
        self.quiet_frames >= hold
    }

    /// Go to sleep (the caller has reset the channel).
    pub(super) fn sleep(&mut self) {
        self.asleep = true;
        self.quiet_frames = usize::MAX;
    }
}

/// Largest magnitude in `x`.
pub(super) fn peak(x: &[f32]) -> f32 {
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

/// The meter of channel `c` in the meter area (tracks, then buses, then
/// the master).
pub(super) fn channel_meter(meters: &mut [f32], c: usize) -> &mut [f32] {
    &mut meters[c * METER_STRIDE..(c + 1) * METER_STRIDE]
}

/// Add a stereo segment to meter `m`: peaks and sums of squares. Returns
/// the segment's peak.
pub(super) fn meter_add(m: &mut [f32], left: &[f32], right: &[f32]) -> f32 {
    let (pl, sl) = sum_sq_peak(left);
    let (pr, sr) = sum_sq_peak(right);
    m[0] = m[0].max(pl);
    m[1] = m[1].max(pr);
    m[2] += sl;
    m[3] += sr;
    pl.max(pr)
}

/// Zero a meter's peaks and sums of squares before a process call.
pub(super) fn clear(m: &mut [f32]) {
    m[..4].iter_mut().for_each(|v| *v = 0.0);
}

/// Finish meter `m` after a process call of `frames` frames: the sums of
/// squares become RMS, and the channel's state (`METER_STATE_*`) is written.
pub(super) fn finish(m: &mut [f32], frames: f32, state: f32) {
    m[2] = (m[2] / frames).sqrt();
    m[3] = (m[3] / frames).sqrt();
    m[4] = state;
}

/// The meter state of a track or bus: `None` if not created, else whether
/// it is auto-bypassed.
pub(super) fn state(bypassed: Option<bool>) -> f32 {
    match bypassed {
        None => METER_STATE_ABSENT,
        Some(true) => METER_STATE_BYPASSED,
        Some(false) => METER_STATE_ACTIVE,
    }
}
