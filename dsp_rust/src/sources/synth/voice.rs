//! One synth voice: its two oscillators, its filter and amplitude
//! envelopes, and its state-variable low-pass filter, rendered one control
//! segment at a time ([`Voice::render`]; `quad.rs` renders four at once with
//! the same bits).

use super::env::{Env, Stage};
use super::osc::{advance, blamp, saw, wrap_half};
use super::params::Control;
use super::{CONTROL_FRAMES, MAX_PHASE_INC};
use crate::math::{exp2_f64, flush, flush_f64, sin_half_pi, tan_pi_f64};

/// Per-sample oscillator weights: saw(t), saw(t + ½), sine, triangle.
pub(super) struct Weights<'a> {
    pub(super) a: &'a [f32],
    pub(super) b: &'a [f32],
    pub(super) c: &'a [f32],
    pub(super) d: &'a [f32],
}

/// One voice slot: a note's oscillators, envelopes and filter.
#[derive(Clone, Copy, Debug)]
pub(super) struct Voice {
    pub(super) note: u8,
    pub(super) held: bool,
    pub(super) on_stamp: u64,
    pub(super) off_stamp: u64,
    pub(super) amp: Env,
    pub(super) fenv: Env,
    /// Note frequency over the sample rate, before clamping.
    note_inc: f64,
    pub(super) p1: f32,
    pub(super) dt1: f32,
    pub(super) inv_dt1: f32,
    pub(super) p2: f32,
    pub(super) dt2: f32,
    pub(super) inv_dt2: f32,
    /// Clamped log2 cutoff and damping the filter coefficients were made for.
    cutoff_log2: f64,
    k: f64,
    /// Filter coefficients for `cutoff_log2` and `k`, which the ramp reaches
    /// at the end of the control segment.
    t1: f32,
    t2: f32,
    t3: f32,
    /// Filter coefficients of the last sample, and their per-sample steps.
    pub(super) a1: f32,
    pub(super) a2: f32,
    pub(super) a3: f32,
    pub(super) da1: f32,
    pub(super) da2: f32,
    pub(super) da3: f32,
    pub(super) ic1: f32,
    pub(super) ic2: f32,
}

impl Voice {
    pub(super) const IDLE: Voice = Voice {
        note: 0,
        held: false,
        on_stamp: 0,
        off_stamp: 0,
        amp: Env::IDLE,
        fenv: Env::IDLE,
        note_inc: 0.0,
        p1: 0.0,
        dt1: 0.0,
        inv_dt1: 0.0,
        p2: 0.25,
        dt2: 0.0,
        inv_dt2: 0.0,
        cutoff_log2: f64::NAN,
        k: f64::NAN,
        t1: 0.0,
        t2: 0.0,
        t3: 0.0,
        a1: 0.0,
        a2: 0.0,
        a3: 0.0,
        da1: 0.0,
        da2: 0.0,
        da3: 0.0,
        ic1: 0.0,
        ic2: 0.0,
    };

    #[inline(always)]
    pub(super) fn is_active(&self) -> bool {
        self.amp.stage != Stage::Idle
    }

    #[inline(always)]
    pub(super) fn is_fading(&self) -> bool {
        self.amp.stage == Stage::Fade
    }

    /// Refresh envelope stages, oscillator 2 pitch and the filter's
    /// coefficient ramp (see [`Voice::ramp_filter`]).
    pub(super) fn update_control(&mut self, ctl: &Control, sample_rate_hz: f64) {
        self.amp.configure(&ctl.amp, ctl.sustain);
        self.fenv.configure(&ctl.fenv, ctl.fenv_sustain);
        self.amp.level = flush_f64(self.amp.level);
        self.fenv.level = flush_f64(self.fenv.level);
        self.ic1 = flush(self.ic1);
        self.ic2 = flush(self.ic2);

        let dt2 = (self.note_inc * ctl.osc2_ratio).min(MAX_PHASE_INC) as f32;
        self.dt2 = dt2;
        self.inv_dt2 = (1.0 / dt2 as f64) as f32;
        self.ramp_filter(ctl, sample_rate_hz);
    }

    /// The filter coefficients for the current cutoff (the filter
    /// envelope's level now) become the ramp's target: from the previous
    /// target, which the ramp has reached, the coefficients move by
    /// 1/[`CONTROL_FRAMES`] of the difference every sample, reaching the new
    /// target on the last sample of the segment.
    fn ramp_filter(&mut self, ctl: &Control, sample_rate_hz: f64) {
        let (t1, t2, t3) = (self.t1, self.t2, self.t3);
        self.set_filter_target(ctl, sample_rate_hz);
        const STEP: f32 = 1.0 / CONTROL_FRAMES as f32;
        self.a1 = t1;
        self.a2 = t2;
        self.a3 = t3;
        self.da1 = flush((self.t1 - t1) * STEP);
        self.da2 = flush((self.t2 - t2) * STEP);
        self.da3 = flush((self.t3 - t3) * STEP);
    }

    /// Compute the target coefficients `t1..t3` for the filter envelope's
    /// current level (unchanged when the clamped cutoff and the damping are).
    fn set_filter_target(&mut self, ctl: &Control, sample_rate_hz: f64) {
        let l = ctl.cutoff_log2 + ctl.env_octaves * self.fenv.level;
        let l = if l > ctl.max_cutoff_log2 {
            ctl.max_cutoff_log2
        } else if l >= ctl.min_cutoff_log2 {
            l
        } else {
            ctl.min_cutoff_log2
        };
        if l == self.cutoff_log2 && ctl.k == self.k {
            return;
        }
        self.cutoff_log2 = l;
        self.k = ctl.k;
        let g = tan_pi_f64(exp2_f64(l) / sample_rate_hz);
        let a1 = 1.0 / (1.0 + g * (g + ctl.k));
        let a2 = g * a1;
        self.t1 = a1 as f32;
        self.t2 = a2 as f32;
        self.t3 = (g * a2) as f32;
    }

    /// Start a new note on this (idle) slot.
    pub(super) fn start(
        &mut self,
        note: u8,
        peak: f64,
        stamp: u64,
        ctl: &Control,
        sample_rate_hz: f64,
    ) {
        *self = Voice::IDLE;
        self.note = note;
        self.held = true;
        self.on_stamp = stamp;
        self.note_inc = 440.0 * exp2_f64((note as f64 - 69.0) / 12.0) / sample_rate_hz;
        let dt1 = self.note_inc.min(MAX_PHASE_INC) as f32;
        self.dt1 = dt1;
        self.inv_dt1 = (1.0 / dt1 as f64) as f32;
        self.amp.trigger(peak, &ctl.amp, ctl.sustain);
        self.fenv.trigger(1.0, &ctl.fenv, ctl.fenv_sustain);
        self.update_control(ctl, sample_rate_hz);
        // A new note's filter starts at its coefficients, without a ramp.
        (self.a1, self.a2, self.a3) = (self.t1, self.t2, self.t3);
        (self.da1, self.da2, self.da3) = (0.0, 0.0, 0.0);
    }

    /// Restart the envelopes from their current levels; the filter's ramp
    /// runs on (the filter envelope's level is continuous).
    pub(super) fn retrigger(&mut self, peak: f64, stamp: u64, ctl: &Control) {
        self.held = true;
        self.on_stamp = stamp;
        self.amp.trigger(peak, &ctl.amp, ctl.sustain);
        self.fenv.trigger(1.0, &ctl.fenv, ctl.fenv_sustain);
    }

    /// Release the note from the envelopes' current levels.
    pub(super) fn release(&mut self, stamp: u64, ctl: &Control) {
        self.held = false;
        self.off_stamp = stamp;
        self.amp.release(&ctl.amp, ctl.sustain);
        self.fenv.release(&ctl.fenv, ctl.fenv_sustain);
    }

    /// Fade out linearly from the current level over `frames` frames.
    pub(super) fn steal(&mut self, frames: f64) {
        self.held = false;
        self.amp.fade_out(frames);
    }

    /// Add this voice's output for one control segment to `out`; `blep` is
    /// the band-limited step's tail table ([`super::osc::blep_tail_table`]).
    /// `O1`/`O2`: whether oscillator 1/2 has a nonzero weight anywhere in
    /// the segment (skipping a zero-weight term gives the same bits).
    #[inline(always)]
    pub(super) fn render<const O1: bool, const O2: bool>(
        &mut self,
        w: &Weights,
        out: &mut [f32],
        ctl: &Control,
        blep: &[f32],
    ) {
        let (mut p1, dt1, inv1) = (self.p1, self.dt1, self.inv_dt1);
        let (mut p2, dt2, inv2) = (self.p2, self.dt2, self.inv_dt2);
        let om2 = 1.0 - dt2;
        let dt2x4 = 4.0 * dt2;
        // Pass 1: the oscillator mix (independent samples, throughput-bound).
        let mut xs = [0.0f32; CONTROL_FRAMES as usize];
        let weights = w.a.iter().zip(w.b.iter()).zip(w.c.iter()).zip(w.d.iter());
        for (x, (((&wa, &wb), &wc), &wd)) in xs.iter_mut().zip(weights) {
            let o1 = if O1 {
                let s = saw(p1, inv1, blep);
                let h = saw(wrap_half(p1), inv1, blep);
                wa * s + wb * h
            } else {
                0.0
            };
            let o2 = if O2 {
                let tri = 1.0 - (4.0 * p2 - 2.0).abs();
                let sine = sin_half_pi(tri);
                let corners = blamp(p2, dt2, om2, inv2) - blamp(wrap_half(p2), dt2, om2, inv2);
                let tri_bl = tri + dt2x4 * corners;
                wc * sine + wd * tri_bl
            } else {
                0.0
            };
            *x = if O1 && O2 {
                o1 + o2
            } else if O1 {
                o1
            } else {
                o2
            };
            p1 = advance(p1, dt1);
            p2 = advance(p2, dt2);
        }
        // Pass 2: envelopes, filter and amplitude (the recursions).
        let mut f = FilterState {
            amp: self.amp,
            fenv: self.fenv,
            a: [self.a1, self.a2, self.a3],
            ic: [self.ic1, self.ic2],
        };
        let da = [self.da1, self.da2, self.da3];
        if da == [0.0; 3] {
            // No ramp: `a + 0` would leave every coefficient as it is.
            f.run::<false>(da, &xs, out, ctl);
        } else {
            f.run::<true>(da, &xs, out, ctl);
        }
        let FilterState { amp, fenv, a, ic } = f;
        if amp.stage == Stage::Idle {
            *self = Voice::IDLE;
            return;
        }
        self.amp = amp;
        self.fenv = fenv;
        self.p1 = p1;
        self.p2 = p2;
        [self.a1, self.a2, self.a3] = a;
        [self.ic1, self.ic2] = ic;
    }
}

/// One voice's recursions over a control segment: its envelopes, its
/// filter coefficients and its filter state.
struct FilterState {
    amp: Env,
    fenv: Env,
    a: [f32; 3],
    ic: [f32; 2],
}

impl FilterState {
    /// Envelopes, filter and amplitude from the oscillator mix `xs`, added
    /// to `out`; `RAMP`: the coefficients step by `da` every sample (else
    /// `da` is 0 and they stay). Stops where the amplitude envelope ends.
    #[inline(always)]
    fn run<const RAMP: bool>(&mut self, da: [f32; 3], xs: &[f32], out: &mut [f32], ctl: &Control) {
        let (mut amp, mut fenv) = (self.amp, self.fenv);
        let [mut a1, mut a2, mut a3] = self.a;
        let [mut ic1, mut ic2] = self.ic;
        for (o, &x) in out.iter_mut().zip(xs.iter()) {
            amp.tick(&ctl.amp, ctl.sustain);
            if amp.stage == Stage::Idle {
                break;
            }
            fenv.tick(&ctl.fenv, ctl.fenv_sustain);
            if RAMP {
                a1 += da[0];
                a2 += da[1];
                a3 += da[2];
            }
            let v3 = x - ic2;
            let v1 = a1 * ic1 + a2 * v3;
            let v2 = ic2 + a2 * ic1 + a3 * v3;
            ic1 = v1 + v1 - ic1;
            ic2 = v2 + v2 - ic2;
            *o += v2 * amp.level as f32;
        }
        (self.amp, self.fenv) = (amp, fenv);
        self.a = [a1, a2, a3];
        self.ic = [ic1, ic2];
    }
}
