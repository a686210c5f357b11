//! [`LaneRamp`]: a linear ramp per lane with [`Linear`]'s arithmetic
//! (`value = target − step·remaining`), ticked on all lanes at once, so a
//! lane gives the bits its own [`Linear`] would.

use crate::simd::Lanes;
use crate::smooth::Linear;

/// `L::COUNT` linear ramps side by side. A lane at rest holds
/// `current == target` and `target − step·0` is `target`, so ticking it
/// leaves it where it is.
#[derive(Clone, Copy, Debug)]
pub struct LaneRamp<L> {
    current: L,
    target: L,
    step: L,
    remaining: L,
}

impl<L: Lanes> LaneRamp<L> {
    /// Every lane resting at `v`.
    pub fn new(v: f32) -> Self {
        let z = L::splat(0.0);
        LaneRamp {
            current: L::splat(v),
            target: L::splat(v),
            step: z,
            remaining: z,
        }
    }

    /// Lane `k` as ramp `r[k]` is now (lanes past `r` resting at 0).
    pub fn of(r: &[&Linear]) -> Self {
        let mut m = LaneRamp::new(0.0);
        for (k, x) in r.iter().enumerate().take(L::COUNT) {
            m.set_lane_state(k, [x.current(), x.target(), x.step(), x.remaining() as f32]);
        }
        m
    }

    /// Ramp lane `k` from where it is to `target` over `steps` steps
    /// (`steps == 0` jumps at once), as [`Linear::set_target`].
    pub fn set_target(&mut self, k: usize, target: f32, steps: u32) {
        let current = self.current.lane(k);
        self.target = self.target.with_lane(k, target);
        #[allow(clippy::float_cmp)]
        if steps == 0 || target == current {
            self.snap(k);
        } else {
            self.remaining = self.remaining.with_lane(k, steps as f32);
            self.step = self.step.with_lane(k, (target - current) / steps as f32);
        }
    }

    /// Jump lane `k` to its target.
    pub fn snap(&mut self, k: usize) {
        self.current = self.current.with_lane(k, self.target.lane(k));
        self.remaining = self.remaining.with_lane(k, 0.0);
        self.step = self.step.with_lane(k, 0.0);
    }

    /// True while any lane ramps.
    pub fn is_active(&self) -> bool {
        (0..L::COUNT).any(|k| self.remaining.lane(k) != 0.0)
    }

    /// The values now, without advancing.
    #[inline(always)]
    pub fn current(&self) -> L {
        self.current
    }

    /// Advance every lane one step and return the new values.
    #[inline(always)]
    pub fn tick(&mut self) -> L {
        let zero = L::splat(0.0);
        self.remaining = (self.remaining - L::splat(1.0)).max(zero);
        self.current = self.target - self.step * self.remaining;
        self.current
    }

    /// Lane `k`'s `[current, target, step, remaining]`.
    pub fn lane_state(&self, k: usize) -> [f32; 4] {
        [self.current, self.target, self.step, self.remaining].map(|v| v.lane(k))
    }

    /// Put back what [`LaneRamp::lane_state`] returned.
    pub fn set_lane_state(&mut self, k: usize, s: [f32; 4]) {
        let fields = [
            &mut self.current,
            &mut self.target,
            &mut self.step,
            &mut self.remaining,
        ];
        for (f, v) in fields.into_iter().zip(s) {
            *f = f.with_lane(k, v);
        }
    }
}
