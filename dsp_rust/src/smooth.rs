//! Linear parameter smoothing: a change reaches its target in exactly `N`
//! steps (the nih-plug `SmoothingStyle::Linear` contract). Each value is
//! computed as `target − step·remaining`, so rounding never accumulates along
//! the ramp and the last step lands exactly on the target.

/// A linearly ramping value.
#[derive(Clone, Copy, Debug)]
pub struct Linear {
    current: f32,
    target: f32,
    step: f32,
    remaining: u32,
}

impl Linear {
    /// A smoother resting at `value`.
    pub fn new(value: f32) -> Self {
        Linear {
            current: value,
            target: value,
            step: 0.0,
            remaining: 0,
        }
    }

    /// Ramp from the current value to `target` over `steps` steps
    /// (`steps == 0` jumps at once).
    pub fn set_target(&mut self, target: f32, steps: u32) {
        self.target = target;
        if steps == 0 || target == self.current {
            self.snap();
        } else {
            self.remaining = steps;
            self.step = (target - self.current) / steps as f32;
        }
    }

    /// Jump to the target now.
    pub fn snap(&mut self) {
        self.current = self.target;
        self.remaining = 0;
        self.step = 0.0;
    }

    /// True while a ramp is in progress.
    #[inline(always)]
    pub fn is_active(&self) -> bool {
        self.remaining != 0
    }

    /// The value the ramp is heading for.
    pub fn target(&self) -> f32 {
        self.target
    }

    /// The change per step of the ramp in progress.
    pub fn step(&self) -> f32 {
        self.step
    }

    /// Steps left in the ramp in progress (0 at rest).
    pub fn remaining(&self) -> u32 {
        self.remaining
    }

    /// The current value, without advancing.
    #[inline(always)]
    pub fn current(&self) -> f32 {
        self.current
    }

    /// Advance one step and return the new value.
    #[inline(always)]
    pub fn tick(&mut self) -> f32 {
        if self.remaining > 0 {
            self.remaining -= 1;
            self.current = self.target - self.step * self.remaining as f32;
        }
        self.current
    }

    /// Advance `n` steps at once and return the new value.
    pub fn advance(&mut self, n: u32) -> f32 {
        if n >= self.remaining {
            self.snap();
        } else {
            self.remaining -= n;
            self.current = self.target - self.step * self.remaining as f32;
        }
        self.current
    }
}

/// Number of smoothing steps for `ms` milliseconds at `sample_rate_hz`.
pub fn steps_for_ms(ms: f32, sample_rate_hz: f32) -> u32 {
    let n = (ms as f64 * 1e-3 * sample_rate_hz as f64).round();
    if n > 0.0 {
        n as u32
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_reaches_target_in_exactly_n_steps() {
        let mut s = Linear::new(0.0);
        s.set_target(1.0, 10);
        for i in 1..10 {
            let v = s.tick();
            assert!(v < 1.0, "step {i} reached the target early");
        }
        assert_eq!(s.tick(), 1.0);
        assert!(!s.is_active());
        assert_eq!(s.tick(), 1.0);
    }

    #[test]
    fn zero_steps_jumps() {
        let mut s = Linear::new(0.0);
        s.set_target(3.0, 0);
        assert_eq!(s.current(), 3.0);
        assert!(!s.is_active());
    }

    #[test]
    fn advance_past_the_end_snaps() {
        let mut s = Linear::new(0.0);
        s.set_target(1.0, 100);
        s.advance(40);
        assert!((s.current() - 0.4).abs() < 1e-6);
        s.advance(1000);
        assert_eq!(s.current(), 1.0);
    }
}
