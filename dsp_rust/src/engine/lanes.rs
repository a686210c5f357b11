//! The channel of four tracks at once, in the lanes of their strip group.
//!
//! A track with no insert and no send has nothing between its strip and the
//! master but its mute, its fader and pan and its meter, so all four of a
//! group's tracks go through those together: track `k` in lane `k` of every
//! [`F4`], from the strip's output straight to the master sum. The lane
//! arithmetic is the per-track path's ([`super::channel::Channel`],
//! [`GainPan`]) lane for lane: the mute ramp ticks like [`Linear::tick`]
//! ([`LaneRamp`]), the matrix is applied and flushed like
//! [`GainPan::process`] (a lane at rest on the identity passes untouched,
//! as there), the meters add peaks and squares frame by frame in the same
//! order, and [`crate::simd::sum_lanes_into`] adds the tracks into the
//! master one after another. So a track gives the same bits on either path.

use crate::dsp::gain_pan::GainPan;
use crate::simd::{LaneRamp, F4, LANES, M4};
use crate::smooth::Linear;

/// A lane's mute and fader/pan, as the lane pass reads them.
pub(super) struct LaneGains<'a> {
    pub(super) mute: &'a Linear,
    pub(super) pan: &'a GainPan,
}

/// What the lane pass measured, per lane.
#[derive(Clone, Copy)]
pub(super) struct LaneLevels {
    /// Largest magnitude of the strip's output (before the mute), both channels.
    pub(super) strip_peak: F4,
    /// Peaks and sums of squares after the fader, left and right.
    pub(super) peak: [F4; 2],
    pub(super) squares: [F4; 2],
}

/// The four lanes' state as the pass reads it, and which work it skips.
struct Plan {
    mute: LaneRamp<F4>,
    matrix: [LaneRamp<F4>; 4],
    /// Lanes whose matrix rests on the identity: passed untouched.
    identity: M4,
    mute_runs: bool,
    matrix_ramps: bool,
    matrix_runs: bool,
}

impl Plan {
    fn of(lanes: &[Option<LaneGains<'_>>; LANES]) -> Plan {
        let rest = Linear::new(1.0);
        let zero = Linear::new(0.0);
        let identity_matrix = [Linear::new(1.0), zero, zero, Linear::new(1.0)];
        let mute = LaneRamp::of(&[0, 1, 2, 3].map(|k| lanes[k].as_ref().map_or(&rest, |g| g.mute)));
        let matrix_of = |k: usize| -> &[Linear; 4] {
            lanes[k]
                .as_ref()
                .map_or(&identity_matrix, |g| g.pan.matrix())
        };
        let matrix = [0, 1, 2, 3].map(|e| LaneRamp::of(&[0, 1, 2, 3].map(|k| &matrix_of(k)[e])));
        let ramping = |k: usize| matrix_of(k).iter().any(Linear::is_active);
        #[allow(clippy::float_cmp)]
        let at_identity = |k: usize| {
            let m = matrix_of(k);
            !ramping(k)
                && m[0].current() == 1.0
                && m[1].current() == 0.0
                && m[2].current() == 0.0
                && m[3].current() == 1.0
        };
        let identity = M4::from_bools([0, 1, 2, 3].map(at_identity));
        #[allow(clippy::float_cmp)]
        let mute_runs = lanes
            .iter()
            .flatten()
            .any(|g| g.mute.is_active() || g.mute.current() != 1.0);
        let matrix_ramps = (0..LANES).any(ramping);
        Plan {
            mute,
            matrix,
            identity,
            mute_runs,
            matrix_ramps,
            matrix_runs: !identity.all(),
        }
    }
}

/// Mute, fader and pan on the strip's output in place, lanes given in
/// `lanes` (others pass through as the identity), measuring as it goes.
/// Afterwards the caller advances each lane's ramps by the frame count
/// ([`advance`]).
pub(super) fn run(
    left: &mut [F4],
    right: &mut [F4],
    lanes: &[Option<LaneGains<'_>>; LANES],
) -> LaneLevels {
    let plan = Plan::of(lanes);
    match (plan.mute_runs, plan.matrix_ramps) {
        (false, false) => run_with::<false, false>(left, right, plan),
        (false, true) => run_with::<false, true>(left, right, plan),
        (true, false) => run_with::<true, false>(left, right, plan),
        (true, true) => run_with::<true, true>(left, right, plan),
    }
}

#[inline(always)]
fn run_with<const MUTE: bool, const RAMP: bool>(
    left: &mut [F4],
    right: &mut [F4],
    mut plan: Plan,
) -> LaneLevels {
    let zero = F4::splat(0.0);
    let mut levels = LaneLevels {
        strip_peak: zero,
        peak: [zero; 2],
        squares: [zero; 2],
    };
    let [mut ll, mut rl, mut lr, mut rr] = plan.matrix.map(|m| m.current());
    let keep = plan.identity;
    let runs = plan.matrix_runs;
    for (l, r) in left.iter_mut().zip(right.iter_mut()) {
        let (mut x, mut y) = (*l, *r);
        levels.strip_peak = levels
            .strip_peak
            .max_magnitude(x.abs())
            .max_magnitude(y.abs());
        if MUTE {
            let g = plan.mute.tick();
            x = x * g;
            y = y * g;
        }
        if RAMP {
            ll = plan.matrix[0].tick();
            rl = plan.matrix[1].tick();
            lr = plan.matrix[2].tick();
            rr = plan.matrix[3].tick();
        }
        if runs {
            let out_l = (x * ll + y * rl).flush();
            let out_r = (x * lr + y * rr).flush();
            x = F4::select(keep, x, out_l);
            y = F4::select(keep, y, out_r);
        }
        levels.peak[0] = levels.peak[0].max_magnitude(x.abs());
        levels.peak[1] = levels.peak[1].max_magnitude(y.abs());
        levels.squares[0] = levels.squares[0] + x * x;
        levels.squares[1] = levels.squares[1] + y * y;
        *l = x;
        *r = y;
    }
    levels
}

/// Advance a lane's mute and matrix by `frames` steps, as the lane pass did.
pub(super) fn advance(mute: &mut Linear, pan: &mut GainPan, frames: u32) {
    if mute.is_active() {
        mute.advance(frames);
    }
    for m in pan.matrix_mut().iter_mut() {
        if m.is_active() {
            m.advance(frames);
        }
    }
}
