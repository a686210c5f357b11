//! The limiter's gain computer: sliding minimum of the required gains,
//! release and attack mean, in integers of 2⁻⁴⁰ (see the unit's module
//! documentation for the algorithm and why it never overshoots), and the
//! mode it is set up for.

use crate::config::ConfigError;
use crate::dsp::truepeak::DELAY_FRAMES;

use super::{GAIN_ONE, TRUE_PEAK_HOLD, TRUE_PEAK_MIN_LATENCY};

pub(super) fn alloc<T: Copy>(n: usize, value: T) -> Result<Vec<T>, ConfigError> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| ConfigError::OutOfMemory)?;
    v.resize(n, value);
    Ok(v)
}

/// Sliding minimum, release and attack averaging for one lookahead length.
#[derive(Clone, Debug)]
pub(super) struct GainComputer {
    /// Length of the attack mean, less one, frames.
    pub(super) lookahead: usize,
    /// Arrivals the sliding minimum spans beyond `lookahead`.
    pub(super) hold: usize,
    /// Delay of the samples this computer's gains apply to, frames.
    pub(super) latency: usize,
    /// Whether its required gains include the true peak.
    pub(super) true_peak: bool,
    pub(super) mask: usize,
    /// Monotonic deque (increasing gains from head to tail) of
    /// `(frame, required gain)`, in a ring.
    pub(super) dq_frame: Vec<u32>,
    pub(super) dq_gain: Vec<u64>,
    pub(super) dq_head: usize,
    pub(super) dq_len: usize,
    /// Release-shaped gains `e`, indexed by frame & mask.
    pub(super) held: Vec<u64>,
    /// Sum of `held` over the attack window.
    pub(super) sum: u64,
    pub(super) last: u64,
    /// `1 / ((L + 1)·GAIN_ONE)`.
    pub(super) scale: f64,
}

impl GainComputer {
    pub(super) fn new(cap: usize) -> Result<Self, ConfigError> {
        Ok(GainComputer {
            lookahead: 0,
            hold: 0,
            latency: 0,
            true_peak: false,
            mask: cap - 1,
            dq_frame: alloc(cap, 0u32)?,
            dq_gain: alloc(cap, GAIN_ONE)?,
            dq_head: 0,
            dq_len: 0,
            held: alloc(cap, GAIN_ONE)?,
            sum: GAIN_ONE,
            last: GAIN_ONE,
            scale: 1.0 / GAIN_ONE as f64,
        })
    }

    /// Configure for `mode`: its latency, and in true-peak mode the hold
    /// and the shorter attack mean.
    pub(super) fn set_mode(&mut self, mode: Mode) {
        // Mode::new keeps a true-peak latency at TRUE_PEAK_MIN_LATENCY or
        // more; the ring holds every latency up to its length less two.
        let latency = mode.latency.min(self.mask - 1);
        let (lookahead, hold) = if mode.true_peak {
            (
                latency.saturating_sub(DELAY_FRAMES + TRUE_PEAK_HOLD),
                2 * TRUE_PEAK_HOLD,
            )
        } else {
            (latency, 0)
        };
        self.lookahead = lookahead;
        self.hold = hold;
        self.latency = latency;
        self.true_peak = mode.true_peak;
        self.scale = 1.0 / ((self.lookahead + 1) as f64 * GAIN_ONE as f64);
    }

    pub(super) fn mode(&self) -> Mode {
        Mode {
            latency: self.latency,
            true_peak: self.true_peak,
        }
    }

    /// Unity gain everywhere: the state after silence.
    pub(super) fn rest(&mut self, mode: Mode) {
        self.set_mode(mode);
        self.dq_head = 0;
        self.dq_len = 0;
        for v in self.held.iter_mut() {
            *v = GAIN_ONE;
        }
        self.sum = (self.lookahead as u64 + 1) * GAIN_ONE;
        self.last = GAIN_ONE;
    }

    /// Set up for `mode` just before frame `frame`, from the required
    /// gains of the previous frames (`required`, indexed by frame & mask) and
    /// a gain `ceiling` the history must not exceed. Every gain the attack
    /// window still holds from before `frame` is set to the minimum of the
    /// last `lookahead + hold` required gains (and `ceiling`), which keeps
    /// the no-overshoot argument valid from the first frame.
    pub(super) fn start(&mut self, mode: Mode, frame: u32, required: &[u64], ceiling: u64) {
        self.set_mode(mode);
        let l = self.lookahead;
        self.dq_head = 0;
        self.dq_len = 0;
        let mut floor = ceiling;
        for back in (1..=l + self.hold).rev() {
            let f = frame.wrapping_sub(back as u32);
            let q = required.get(f as usize & self.mask).copied().unwrap_or(0);
            floor = floor.min(q);
            self.push_deque(f, q);
        }
        for back in 1..=(l + 1) {
            let f = frame.wrapping_sub(back as u32);
            if let Some(v) = self.held.get_mut(f as usize & self.mask) {
                *v = floor;
            }
        }
        self.sum = (l as u64 + 1) * floor;
        self.last = floor;
    }

    #[inline(always)]
    fn push_deque(&mut self, frame: u32, q: u64) {
        let mask = self.mask;
        while self.dq_len > 0 {
            let back = (self.dq_head + self.dq_len - 1) & mask;
            if self.dq_gain[back] >= q {
                self.dq_len -= 1;
            } else {
                break;
            }
        }
        let slot = (self.dq_head + self.dq_len) & mask;
        self.dq_gain[slot] = q;
        self.dq_frame[slot] = frame;
        self.dq_len += 1;
    }

    /// Take frame `frame`'s required gain `q`; return the gain for the
    /// sample leaving the delay line now (frame `frame − L`).
    #[inline(always)]
    pub(super) fn tick(&mut self, frame: u32, q: u64, release: f64) -> f32 {
        let mask = self.mask;
        self.push_deque(frame, q);
        let l = self.lookahead as u32;
        let span = l + self.hold as u32;
        // The newest entry never expires, so this stops with dq_len ≥ 1.
        while self.dq_len > 1 && frame.wrapping_sub(self.dq_frame[self.dq_head]) > span {
            self.dq_head = (self.dq_head + 1) & mask;
            self.dq_len -= 1;
        }
        let h = self.dq_gain[self.dq_head];
        let last = self.last;
        let e = if h <= last {
            h
        } else {
            // Truncation keeps e ≤ h; the step of at least one unit lands
            // exactly on h instead of creeping towards it.
            last + (((h - last) as f64 * release) as u64).max(1)
        };
        self.last = e;
        let old = self.held[frame.wrapping_sub(l + 1) as usize & mask];
        self.held[frame as usize & mask] = e;
        self.sum = self.sum.wrapping_sub(old).wrapping_add(e);
        (self.sum as f64 * self.scale) as f32
    }

    pub(super) fn at_rest(&self) -> bool {
        self.last == GAIN_ONE && self.sum == (self.lookahead as u64 + 1) * GAIN_ONE
    }
}

/// What a gain computer is set up for: its latency, frames, and whether it
/// reads true peaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Mode {
    latency: usize,
    true_peak: bool,
}

impl Mode {
    /// The mode for a lookahead of `lookahead` frames: in true-peak mode the
    /// latency is at least [`TRUE_PEAK_MIN_LATENCY`].
    pub(super) fn new(lookahead: usize, true_peak: bool) -> Mode {
        let latency = if true_peak {
            lookahead.max(TRUE_PEAK_MIN_LATENCY)
        } else {
            lookahead
        };
        Mode { latency, true_peak }
    }
}
