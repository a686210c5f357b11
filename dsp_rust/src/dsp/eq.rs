//! Stereo 3-band EQ for four tracks at once: low shelf and high shelf (RBJ
//! cookbook) around a peaking band matched to its analog prototype
//! ([`crate::dsp::biquad`]), track `k` in lane
//! `k` of every [`F4`], with separate filter state per channel and lane.
//!
//! The six sections (three bands, two channels) run in two passes over
//! each segment (low shelf and peak, then high shelf), each on four lanes,
//! so one vector recurrence does the work of four scalar ones. Each section is transposed direct form II,
//! `y = b0·x + s1; s1 = b1·x − a1·y + s2; s2 = b2·x − a2·y`, the arithmetic
//! of [`crate::dsp::biquad::BiquadState`]; the output of the last band is
//! flushed ([`F4::flush`]).
//!
//! Each lane has update points every [`COEF_UPDATE_FRAMES`] frames, counted
//! from that lane's last reset (so a lane reset later behaves exactly like a
//! strip created at that moment). At an update point the lane's ramps
//! advance and its coefficients are recomputed if anything changed, and its
//! filter state is settled: a section whose two state values are both below
//! [`FLUSH_THRESHOLD`] (−400 dBFS), or not finite, is set to exactly zero.
//! Nothing depends on how the signal is split into blocks, and a decaying
//! tail ends in exact zeros. Only a whole, negligible state is zeroed:
//! flushing state values (or a section's output) one at a time near a
//! resonant section's zero crossings feeds it energy, and it can sustain a
//! limit cycle around 1e-18 instead of decaying.
//!
//! Parameter changes ramp per lane: frequencies move linearly in log2(Hz),
//! gains in dB and Q linearly, over each parameter's smoothing time.
//!
//! When every lane's coefficients are an exact identity (all gains 0 dB:
//! `b0 = 1`, `b1 = a1`, `b2 = a2`) and all state is zero, a segment passes
//! through untouched; that is bit-identical to filtering it.

use crate::dsp::biquad::BiquadCoefs;
use crate::math::FLUSH_THRESHOLD;
use crate::simd::{F4, I4, LANES, M4};
use crate::smooth::Linear;

/// Frames between a lane's update points (coefficient updates while a
/// parameter ramps, state settling), counted from the lane's last reset.
pub const COEF_UPDATE_FRAMES: u32 = 16;

/// Which EQ parameter to set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EqParam {
    /// Low shelf corner, Hz.
    LowHz,
    /// Low shelf gain, dB.
    LowGainDb,
    /// Peaking band centre, Hz.
    MidHz,
    /// Peaking band gain, dB.
    MidGainDb,
    /// Peaking band quality factor.
    MidQ,
    /// High shelf corner, Hz.
    HighHz,
    /// High shelf gain, dB.
    HighGainDb,
}

impl EqParam {
    fn is_frequency(self) -> bool {
        matches!(self, EqParam::LowHz | EqParam::MidHz | EqParam::HighHz)
    }
}

/// Initial values of the EQ parameters.
#[derive(Clone, Copy, Debug)]
pub struct EqSettings {
    /// Low shelf corner, Hz.
    pub low_hz: f32,
    /// Low shelf gain, dB.
    pub low_gain_db: f32,
    /// Peaking band centre, Hz.
    pub mid_hz: f32,
    /// Peaking band gain, dB.
    pub mid_gain_db: f32,
    /// Peaking band quality factor.
    pub mid_q: f32,
    /// High shelf corner, Hz.
    pub high_hz: f32,
    /// High shelf gain, dB.
    pub high_gain_db: f32,
}

const BANDS: usize = 3;

/// `[b0, b1, b2, a1, a2]` of one band, one lane per track.
type LaneCoefs = [F4; 5];
/// `[s1, s2]` of one section, one lane per track.
type LaneState = [F4; 2];

/// Control state of one lane: smoothers (log2 Hz, dB, Q) in [`EqParam`]
/// order, and the coefficient-update schedule.
#[derive(Clone, Copy, Debug)]
struct LaneControl {
    smoothers: [Linear; 7],
    /// Frames since the lane's reset, modulo [`COEF_UPDATE_FRAMES`].
    phase: u32,
    /// Coefficients must be recomputed at the next update point.
    dirty: bool,
    /// The lane's coefficients are an exact identity.
    flat: bool,
}

impl LaneControl {
    fn new(s: &EqSettings) -> Self {
        let v = [
            s.low_hz.log2(),
            s.low_gain_db,
            s.mid_hz.log2(),
            s.mid_gain_db,
            s.mid_q,
            s.high_hz.log2(),
            s.high_gain_db,
        ];
        LaneControl {
            smoothers: v.map(Linear::new),
            phase: 0,
            dirty: true,
            flat: false,
        }
    }

    fn coefs(&self, sample_rate_hz: f64) -> [BiquadCoefs; BANDS] {
        let v = |p: EqParam| self.smoothers[p as usize].current() as f64;
        let hz = |p: EqParam| 2f64.powf(v(p));
        [
            BiquadCoefs::low_shelf(sample_rate_hz, hz(EqParam::LowHz), v(EqParam::LowGainDb)),
            BiquadCoefs::peaking(
                sample_rate_hz,
                hz(EqParam::MidHz),
                v(EqParam::MidQ),
                v(EqParam::MidGainDb),
            ),
            BiquadCoefs::high_shelf(sample_rate_hz, hz(EqParam::HighHz), v(EqParam::HighGainDb)),
        ]
    }
}

/// Everything one lane carries, for [`EqLanes::save_lane`].
#[derive(Clone, Copy, Debug)]
pub struct EqLaneSnapshot {
    control: LaneControl,
    coefs: [BiquadCoefs; BANDS],
    left: [[f32; 2]; BANDS],
    right: [[f32; 2]; BANDS],
}

/// The 3-band EQ of four tracks, one per lane.
#[derive(Clone, Debug)]
pub struct EqLanes {
    sample_rate_hz: f64,
    lanes: [LaneControl; LANES],
    coefs: [LaneCoefs; BANDS],
    left: [LaneState; BANDS],
    right: [LaneState; BANDS],
}

impl EqLanes {
    /// An EQ at `sample_rate_hz` with every lane resting at `s`.
    pub fn new(sample_rate_hz: f32, s: EqSettings) -> Self {
        let mut eq = EqLanes {
            sample_rate_hz: sample_rate_hz as f64,
            lanes: [LaneControl::new(&s); LANES],
            coefs: [[F4::splat(0.0); 5]; BANDS],
            left: [[F4::splat(0.0); 2]; BANDS],
            right: [[F4::splat(0.0); 2]; BANDS],
        };
        for k in 0..LANES {
            eq.update_coefs(k);
        }
        eq
    }

    /// Ramp parameter `p` of lane `lane` to `value` over `steps` frames
    /// (ignored for `lane` ≥ [`LANES`]).
    pub fn set(&mut self, lane: usize, p: EqParam, value: f32, steps: u32) {
        if let Some(c) = self.lanes.get_mut(lane) {
            let v = if p.is_frequency() {
                value.log2()
            } else {
                value
            };
            c.smoothers[p as usize].set_target(v, steps);
            c.dirty = true;
        }
    }

    fn update_coefs(&mut self, k: usize) {
        let c = match self.lanes.get_mut(k) {
            Some(c) => c,
            None => return,
        };
        let bands = c.coefs(self.sample_rate_hz);
        #[allow(clippy::float_cmp)]
        let flat = bands
            .iter()
            .all(|b| b.b0 == 1.0 && b.b1 == b.a1 && b.b2 == b.a2);
        c.flat = flat;
        // The coefficients now follow the smoothers: nothing to redo until
        // a parameter changes (a ramp in progress recomputes on its own).
        c.dirty = false;
        self.write_lane_coefs(k, &bands);
    }

    fn write_lane_coefs(&mut self, k: usize, bands: &[BiquadCoefs; BANDS]) {
        for (dst, b) in self.coefs.iter_mut().zip(bands.iter()) {
            let v = [b.b0, b.b1, b.b2, b.a1, b.a2];
            for (d, x) in dst.iter_mut().zip(v) {
                *d = d.with_lane(k, x);
            }
        }
    }

    /// An update point of lane `k`: advance its ramps and recompute its
    /// coefficients if anything changed.
    fn update_point(&mut self, k: usize) {
        let c = match self.lanes.get_mut(k) {
            Some(c) => c,
            None => return,
        };
        let mut ramping = false;
        for s in c.smoothers.iter_mut() {
            if s.is_active() {
                s.advance(COEF_UPDATE_FRAMES);
                ramping = true;
            }
        }
        if ramping || c.dirty {
            self.update_coefs(k);
        }
    }

    /// Filter a block in place: frame `i` of every lane is `left[i]`, `right[i]`.
    pub fn process(&mut self, left: &mut [F4], right: &mut [F4]) {
        let n = left.len().min(right.len());
        let mut i = 0;
        while i < n {
            let mut due = [false; LANES];
            for (k, d) in due.iter_mut().enumerate() {
                if self.lanes[k].phase == 0 {
                    *d = true;
                    self.update_point(k);
                }
            }
            if due.iter().any(|d| *d) {
                self.settle(M4::from_bools(due));
            }
            let mut seg = n - i;
            for c in self.lanes.iter() {
                seg = seg.min((COEF_UPDATE_FRAMES - c.phase) as usize);
            }
            self.process_segment(&mut left[i..i + seg], &mut right[i..i + seg]);
            for c in self.lanes.iter_mut() {
                c.phase = (c.phase + seg as u32) % COEF_UPDATE_FRAMES;
            }
            i += seg;
        }
    }

    /// In the lanes of `m`: zero a section's state when both its values are
    /// below [`FLUSH_THRESHOLD`] (it can no longer reach the output, and
    /// would otherwise decay into the subnormal range) or either is not
    /// finite. Zeroing only a whole, negligible state never feeds a section
    /// energy; flushing its values one at a time can (see the module doc).
    fn settle(&mut self, m: M4) {
        let threshold = I4::splat(FLUSH_THRESHOLD.to_bits() as i32);
        let magnitude = |v: F4| v.to_bits().and(I4::splat(0x7fff_ffff));
        for s in self.left.iter_mut().chain(self.right.iter_mut()) {
            let tiny = magnitude(s[0])
                .lt_u(threshold)
                .and(magnitude(s[1]).lt_u(threshold));
            let keep = s[0].is_finite().and(s[1].is_finite()).and_not(tiny);
            s[0] = F4::select(m, s[0].keep(keep), s[0]);
            s[1] = F4::select(m, s[1].keep(keep), s[1]);
        }
    }

    fn is_identity(&self) -> bool {
        if !self.lanes.iter().all(|c| c.flat) {
            return false;
        }
        let zero = F4::splat(0.0);
        let mut z = M4::from_bools([true; 4]);
        for s in self.left.iter().chain(self.right.iter()) {
            z = z.and(s[0].eq(zero)).and(s[1].eq(zero));
        }
        z.all()
    }

    /// Two passes over the segment, left and right side by side: the low
    /// shelf and the peak, then the high shelf (flushed). The recurrences
    /// of a pass overlap in the CPU, and each pass keeps at most two bands'
    /// coefficients and state live (vector registers are few under a JIT:
    /// about a fifth faster than all six sections in one pass under V8).
    fn process_segment(&mut self, left: &mut [F4], right: &mut [F4]) {
        if self.is_identity() {
            return;
        }
        let [c0, c1, c2] = self.coefs;
        let [mut l0, mut l1, mut l2] = self.left;
        let [mut r0, mut r1, mut r2] = self.right;
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            *l = tick(&c1, &mut l1, tick(&c0, &mut l0, *l));
            *r = tick(&c1, &mut r1, tick(&c0, &mut r0, *r));
        }
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            *l = tick(&c2, &mut l2, *l).flush();
            *r = tick(&c2, &mut r2, *r).flush();
        }
        self.left = [l0, l1, l2];
        self.right = [r0, r1, r2];
    }

    /// Jump lane `lane`'s ramps to their targets, clear its filter state and
    /// restart its update schedule, as if the lane's strip were new.
    pub fn reset_lane(&mut self, lane: usize) {
        let c = match self.lanes.get_mut(lane) {
            Some(c) => c,
            None => return,
        };
        for s in c.smoothers.iter_mut() {
            s.snap();
        }
        c.phase = 0;
        c.dirty = true;
        for s in self.left.iter_mut().chain(self.right.iter_mut()) {
            s[0] = s[0].with_lane(lane, 0.0);
            s[1] = s[1].with_lane(lane, 0.0);
        }
        self.update_coefs(lane);
    }

    /// [`EqLanes::reset_lane`] for every lane.
    pub fn reset(&mut self) {
        for k in 0..LANES {
            self.reset_lane(k);
        }
    }

    fn lane_state_values(&self, lane: usize) -> impl Iterator<Item = f32> + '_ {
        self.left
            .iter()
            .chain(self.right.iter())
            .flat_map(move |s| [s[0].lane(lane), s[1].lane(lane)])
    }

    /// True when every filter state value of lane `lane` is below `limit`
    /// in magnitude.
    pub fn lane_state_below(&self, lane: usize, limit: f32) -> bool {
        self.lane_state_values(lane).all(|v| v.abs() < limit)
    }

    /// True when every filter state value of lane `lane` is exactly zero.
    pub fn lane_state_is_silent(&self, lane: usize) -> bool {
        self.lane_state_values(lane).all(|v| v == 0.0)
    }

    /// True when every filter state value of lane `lane` is exactly zero or
    /// a normal float (never subnormal, NaN or infinite).
    pub fn lane_state_is_clean(&self, lane: usize) -> bool {
        self.lane_state_values(lane)
            .all(|v| v == 0.0 || v.is_normal())
    }

    /// The coefficients lane `lane` uses for the low shelf, peaking band and
    /// high shelf.
    pub fn lane_coefs(&self, lane: usize) -> [BiquadCoefs; BANDS] {
        self.coefs.map(|c| BiquadCoefs {
            b0: c[0].lane(lane),
            b1: c[1].lane(lane),
            b2: c[2].lane(lane),
            a1: c[3].lane(lane),
            a2: c[4].lane(lane),
        })
    }

    /// Everything lane `lane` carries (ramps, schedule, filter state).
    pub fn save_lane(&self, lane: usize) -> EqLaneSnapshot {
        let k = lane.min(LANES - 1);
        EqLaneSnapshot {
            control: self.lanes[k],
            coefs: self.lane_coefs(k),
            left: self.left.map(|s| [s[0].lane(k), s[1].lane(k)]),
            right: self.right.map(|s| [s[0].lane(k), s[1].lane(k)]),
        }
    }

    /// Put back what [`EqLanes::save_lane`] returned (coefficients included).
    pub fn restore_lane(&mut self, lane: usize, snap: &EqLaneSnapshot) {
        if lane >= LANES {
            return;
        }
        self.lanes[lane] = snap.control;
        for (s, v) in self.left.iter_mut().zip(snap.left.iter()) {
            s[0] = s[0].with_lane(lane, v[0]);
            s[1] = s[1].with_lane(lane, v[1]);
        }
        for (s, v) in self.right.iter_mut().zip(snap.right.iter()) {
            s[0] = s[0].with_lane(lane, v[0]);
            s[1] = s[1].with_lane(lane, v[1]);
        }
        self.write_lane_coefs(lane, &snap.coefs);
    }
}

/// One transposed-direct-form-II section on four lanes.
#[inline(always)]
fn tick(c: &LaneCoefs, s: &mut LaneState, x: F4) -> F4 {
    let y = c[0] * x + s[0];
    s[0] = c[1] * x - c[3] * y + s[1];
    s[1] = c[2] * x - c[4] * y;
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> EqSettings {
        EqSettings {
            low_hz: 200.0,
            low_gain_db: 0.0,
            mid_hz: 1000.0,
            mid_gain_db: 0.0,
            mid_q: 0.707,
            high_hz: 3000.0,
            high_gain_db: 0.0,
        }
    }

    #[test]
    fn restore_lane_puts_everything_back() {
        let mut eq = EqLanes::new(48000.0, settings());
        eq.set(2, EqParam::MidGainDb, 9.0, 960);
        let mut l = vec![F4::splat(0.25); 100];
        let mut r = l.clone();
        eq.process(&mut l, &mut r);
        let snap = eq.save_lane(2);
        let coefs = eq.lane_coefs(2);
        eq.process(&mut l, &mut r);
        assert_ne!(eq.lane_coefs(2), coefs);
        eq.restore_lane(2, &snap);
        assert_eq!(eq.lane_coefs(2), coefs);
        assert_eq!(eq.save_lane(2).left, snap.left);
    }
}
