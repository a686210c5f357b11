//! Channel strips, four tracks at a time: [`StripGroup`] runs the 3-band EQ
//! ([`crate::dsp::eq`]) and the compressor ([`crate::units::compressor`])
//! of up to [`LANES`] tracks, track `k` in lane `k` of every [`F4`].
//!
//! With wasm SIMD one f32x4 recurrence does the work of four serial ones, so
//! a lane-sample costs a third to a quarter of a scalar strip's sample.
//! Builds without SIMD run the four lanes one after another, at about the
//! cost of four scalar strips whether or not every lane holds a track.
//!
//! Every lane behaves exactly like a strip of its own: its output depends
//! only on its own input and parameters, never on what the other lanes
//! carry (work is only skipped where skipping gives the same bits). Each
//! lane counts its update frames from its own last reset
//! ([`StripGroup::reset_lane`]), so a track created later behaves like a
//! strip created at that moment; a lane whose track the engine skips
//! (auto-bypass) is paused ([`StripGroup::set_lane_paused`]): it stands
//! still and later resumes where it stopped.
//!
//! The fader, pan and mute ([`crate::dsp::gain_pan`]) stay per track; the
//! engine applies them after the inserts.

use crate::config::QUIET;
use crate::dsp::eq::{EqLaneSnapshot, EqLanes, EqParam, EqSettings};
use crate::simd::{F4, M4};
use crate::smooth::steps_for_ms;
use crate::spec::ParamId;
use crate::units::compressor::{
    apply_param, Compressor, CompressorLane, CompressorLaneSnapshot, CompressorParam,
};

pub use crate::simd::LANES;

/// The parameters a strip owns, in [`ParamId`] order.
pub const STRIP_PARAMS: [ParamId; 15] = [
    ParamId::LowHz,
    ParamId::LowGainDb,
    ParamId::MidHz,
    ParamId::MidGainDb,
    ParamId::MidQ,
    ParamId::HighHz,
    ParamId::HighGainDb,
    ParamId::CompThresholdDb,
    ParamId::CompRatio,
    ParamId::CompAttackMs,
    ParamId::CompReleaseMs,
    ParamId::CompKneeDb,
    ParamId::CompMakeupDb,
    ParamId::CompDetector,
    ParamId::CompLink,
];

/// Where a strip parameter goes.
#[derive(Clone, Copy)]
enum Route {
    Eq(EqParam),
    Comp(CompressorParam),
}

fn route(id: ParamId) -> Option<Route> {
    Some(match id {
        ParamId::LowHz => Route::Eq(EqParam::LowHz),
        ParamId::LowGainDb => Route::Eq(EqParam::LowGainDb),
        ParamId::MidHz => Route::Eq(EqParam::MidHz),
        ParamId::MidGainDb => Route::Eq(EqParam::MidGainDb),
        ParamId::MidQ => Route::Eq(EqParam::MidQ),
        ParamId::HighHz => Route::Eq(EqParam::HighHz),
        ParamId::HighGainDb => Route::Eq(EqParam::HighGainDb),
        ParamId::CompThresholdDb => Route::Comp(CompressorParam::ThresholdDb),
        ParamId::CompRatio => Route::Comp(CompressorParam::Ratio),
        ParamId::CompAttackMs => Route::Comp(CompressorParam::AttackMs),
        ParamId::CompReleaseMs => Route::Comp(CompressorParam::ReleaseMs),
        ParamId::CompKneeDb => Route::Comp(CompressorParam::KneeDb),
        ParamId::CompMakeupDb => Route::Comp(CompressorParam::MakeupDb),
        ParamId::CompDetector => Route::Comp(CompressorParam::Detector),
        ParamId::CompLink => Route::Comp(CompressorParam::Link),
        _ => return None,
    })
}

fn slot(id: ParamId) -> Option<usize> {
    STRIP_PARAMS.iter().position(|p| *p == id)
}

fn default_of(id: ParamId) -> f32 {
    id.spec().default
}

/// Everything a strip lane carries (parameters, settings, ramps, update
/// schedule, filter and detector state), to move a track's strip from one
/// lane or group to another ([`StripGroup::lane`]).
#[derive(Clone, Copy, Debug)]
pub struct StripLane {
    eq: EqLaneSnapshot,
    comp: CompressorLane,
    values: [f32; STRIP_PARAMS.len()],
    paused: bool,
}

/// The EQ and compressor of up to four tracks, one per lane.
#[derive(Clone, Debug)]
pub struct StripGroup {
    sample_rate_hz: f32,
    eq: EqLanes,
    comp: Compressor<F4>,
    values: [[f32; STRIP_PARAMS.len()]; LANES],
    paused: [bool; LANES],
}

impl StripGroup {
    /// A group at `sample_rate_hz`, every lane at the parameter defaults.
    /// Allocates nothing: the engine owns the lane buffers.
    pub fn new(sample_rate_hz: f32) -> StripGroup {
        let eq = EqLanes::new(
            sample_rate_hz,
            EqSettings {
                low_hz: default_of(ParamId::LowHz),
                low_gain_db: default_of(ParamId::LowGainDb),
                mid_hz: default_of(ParamId::MidHz),
                mid_gain_db: default_of(ParamId::MidGainDb),
                mid_q: default_of(ParamId::MidQ),
                high_hz: default_of(ParamId::HighHz),
                high_gain_db: default_of(ParamId::HighGainDb),
            },
        );
        let mut g = StripGroup {
            sample_rate_hz,
            eq,
            comp: Compressor::new(sample_rate_hz),
            values: [STRIP_PARAMS.map(default_of); LANES],
            paused: [false; LANES],
        };
        for k in 0..LANES {
            for id in STRIP_PARAMS {
                if let Some(Route::Comp(p)) = route(id) {
                    apply_param(&mut g.comp, k, p, default_of(id), 0);
                }
            }
        }
        g
    }

    /// Set strip parameter `id` of lane `lane` to an in-range `value` (the
    /// caller clamps). Other ids and lanes ≥ [`LANES`] are ignored.
    pub fn set(&mut self, lane: usize, id: ParamId, value: f32) {
        let (r, i) = match (route(id), slot(id)) {
            (Some(r), Some(i)) if lane < LANES => (r, i),
            _ => return,
        };
        self.values[lane][i] = value;
        let steps = steps_for_ms(id.spec().smoothing_ms, self.sample_rate_hz);
        match r {
            Route::Eq(p) => self.eq.set(lane, p, value, steps),
            Route::Comp(p) => apply_param(&mut self.comp, lane, p, value, steps),
        }
    }

    /// The last value set for `id` on lane `lane` (its target, not the ramp
    /// position); NaN for a parameter the strip does not own or a bad lane.
    pub fn get(&self, lane: usize, id: ParamId) -> f32 {
        match (self.values.get(lane), slot(id)) {
            (Some(v), Some(i)) => v[i],
            _ => f32::NAN,
        }
    }

    /// Run the strips on one block in place: frame `i` of track `k` is lane
    /// `k` of `left[i]`, `right[i]` (`min(left.len(), right.len())` frames).
    /// Input samples that are NaN, infinite or subnormal count as silence.
    /// Paused lanes come out as exact zeros and keep their state.
    pub fn process(&mut self, left: &mut [F4], right: &mut [F4]) {
        let n = left.len().min(right.len());
        let (left, right) = (&mut left[..n], &mut right[..n]);
        for v in left.iter_mut().chain(right.iter_mut()) {
            *v = v.flush();
        }
        self.process_flushed(left, right);
    }

    /// [`StripGroup::process`] on input already flushed ([`F4::flush`]),
    /// as [`crate::simd::gather_flushed`] leaves it: the same bits, one
    /// pass fewer.
    pub fn process_flushed(&mut self, left: &mut [F4], right: &mut [F4]) {
        let n = left.len().min(right.len());
        let (left, right) = (&mut left[..n], &mut right[..n]);
        let mut saved: [Option<(EqLaneSnapshot, CompressorLaneSnapshot)>; LANES] = [None; LANES];
        for (k, s) in saved.iter_mut().enumerate() {
            if self.paused[k] {
                *s = Some((self.eq.save_lane(k), self.comp.save_lane(k)));
            }
        }
        self.eq.process(left, right);
        self.comp.process(left, right);
        if self.paused.iter().any(|p| *p) {
            for (k, s) in saved.iter().enumerate() {
                if let Some((e, c)) = s {
                    self.eq.restore_lane(k, e);
                    self.comp.restore_lane(k, c);
                }
            }
            let live = M4::from_bools(self.paused.map(|p| !p));
            for v in left.iter_mut().chain(right.iter_mut()) {
                *v = v.keep(live);
            }
        }
    }

    /// Everything lane `k` carries (lane 3 for `k` ≥ [`LANES`]).
    pub fn lane(&self, k: usize) -> StripLane {
        let k = k.min(LANES - 1);
        StripLane {
            eq: self.eq.save_lane(k),
            comp: self.comp.lane(k),
            values: self.values[k],
            paused: self.paused[k],
        }
    }

    /// Make lane `k` what [`StripGroup::lane`] returned, of this group or
    /// another: it continues exactly as that lane would have (ignored for
    /// `k` ≥ [`LANES`]).
    pub fn set_lane(&mut self, k: usize, lane: &StripLane) {
        if k >= LANES {
            return;
        }
        self.eq.restore_lane(k, &lane.eq);
        self.comp.set_lane(k, &lane.comp);
        self.values[k] = lane.values;
        self.paused[k] = lane.paused;
    }

    /// Pause or resume lane `lane`. A paused lane is not processed: its
    /// output is exact zeros and its state, ramps and coefficient-update
    /// count stand still, as for a track the engine skips (auto-bypass), so
    /// it resumes exactly where it stopped. Parameter changes still apply.
    pub fn set_lane_paused(&mut self, lane: usize, paused: bool) {
        if let Some(p) = self.paused.get_mut(lane) {
            *p = paused;
        }
    }

    /// True if lane `lane` is paused.
    pub fn lane_is_paused(&self, lane: usize) -> bool {
        self.paused.get(lane).copied().unwrap_or(false)
    }

    /// Clear lane `lane`'s audio state to exact zeros, jump its ramps to
    /// their targets and restart its coefficient-update count, as for a new
    /// strip. The other lanes are untouched.
    pub fn reset_lane(&mut self, lane: usize) {
        if lane < LANES {
            self.eq.reset_lane(lane);
            self.comp.reset_lane(lane);
        }
    }

    /// [`StripGroup::reset_lane`] for every lane.
    pub fn reset(&mut self) {
        for k in 0..LANES {
            self.reset_lane(k);
        }
    }

    /// True when lane `lane`'s EQ state is below −120 dBFS and its
    /// compressor holds no gain reduction: silence in gives output below
    /// −120 dBFS, and [`StripGroup::reset_lane`] changes nothing audible.
    pub fn lane_is_quiet(&self, lane: usize) -> bool {
        lane < LANES && self.eq.lane_state_below(lane, QUIET) && self.comp.lane_is_quiet(lane)
    }

    /// The EQ, for inspection.
    pub fn eq(&self) -> &EqLanes {
        &self.eq
    }

    /// The compressor, for inspection.
    pub fn compressor(&self) -> &Compressor<F4> {
        &self.comp
    }
}
