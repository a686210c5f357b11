//! Four synth voices at once, one per [`F4`] lane: their oscillators
//! ([`super::osc4`]), envelopes ([`EnvQuad`]) and filter, rendered one
//! control segment at a time and added to the output in lane order, so that
//! the mix has the bits of [`Voice::render`] run on each voice in turn.

use super::env::{Env, EnvQuad, Stage};
use super::osc4::{advance, blamp, blep_sum, naive_saw, sin_half_pi, wrap_half, Edges};
use super::params::Control;
use super::voice::{Voice, Weights};
use super::CONTROL_FRAMES;
use crate::simd::{sum_lanes_into, F4, LANES, M4};

/// The voices of one vector of [`LANES`] voices, one per lane, for one
/// control segment: their oscillator, filter and envelope state in lanes.
/// Each lane does its voice's arithmetic operation for operation, so a
/// voice sounds the same bits in whichever lane, beside whichever voices,
/// it runs; idle voices fill unused lanes and add nothing.
struct Quad {
    p1: F4,
    dt1: F4,
    inv_dt1: F4,
    p2: F4,
    dt2: F4,
    inv_dt2: F4,
    a1: F4,
    a2: F4,
    a3: F4,
    da1: F4,
    da2: F4,
    da3: F4,
    ic1: F4,
    ic2: F4,
    amp: EnvQuad,
    fenv: EnvQuad,
    /// The envelopes' stages (their levels are in `amp` and `fenv`).
    amp_envs: [Env; LANES],
    fenv_envs: [Env; LANES],
    /// Lanes whose amplitude envelope has not ended.
    sounding: M4,
}

impl Quad {
    #[inline(always)]
    fn load(q: [&Voice; LANES]) -> Quad {
        let lanes = |f: fn(&Voice) -> f32| F4::from_array([f(q[0]), f(q[1]), f(q[2]), f(q[3])]);
        let amp_envs = [q[0].amp, q[1].amp, q[2].amp, q[3].amp];
        let fenv_envs = [q[0].fenv, q[1].fenv, q[2].fenv, q[3].fenv];
        Quad {
            p1: lanes(|v| v.p1),
            dt1: lanes(|v| v.dt1),
            inv_dt1: lanes(|v| v.inv_dt1),
            p2: lanes(|v| v.p2),
            dt2: lanes(|v| v.dt2),
            inv_dt2: lanes(|v| v.inv_dt2),
            a1: lanes(|v| v.a1),
            a2: lanes(|v| v.a2),
            a3: lanes(|v| v.a3),
            da1: lanes(|v| v.da1),
            da2: lanes(|v| v.da2),
            da3: lanes(|v| v.da3),
            ic1: lanes(|v| v.ic1),
            ic2: lanes(|v| v.ic2),
            amp: EnvQuad::load(&amp_envs),
            fenv: EnvQuad::load(&fenv_envs),
            sounding: EnvQuad::sounding(&amp_envs),
            amp_envs,
            fenv_envs,
        }
    }

    /// The oscillator mix of the segment into `xs` (independent samples,
    /// throughput-bound). Away from the waveforms' jumps and corners every
    /// residual is 0 and the plain shapes are the same bits as the corrected
    /// ones (`s − 0 = s`; `tri + 0 = tri`, as `tri` is never −0), so a frame
    /// computes the residuals only when a lane may be near one ([`Edges`]).
    /// Oscillator 1 writes its part and oscillator 2 adds its own, in two
    /// loops that each keep few vectors live (`o1 + o2`, as in one loop).
    #[inline(always)]
    fn oscillators<const O1: bool, const O2: bool>(
        &mut self,
        w: &Weights,
        xs: &mut [F4],
        blep: &[f32],
    ) {
        let one = F4::splat(1.0);
        let edges = Edges::new(self.dt1, self.dt2, self.sounding);
        if O1 {
            let (mut p1, dt1, inv1) = (self.p1, self.dt1, self.inv_dt1);
            let on = self.sounding;
            let weights = w.a.iter().zip(w.b.iter());
            for (x, (&wa, &wb)) in xs.iter_mut().zip(weights) {
                let h1 = wrap_half(p1);
                let (mut s1, mut sh1) = (naive_saw(p1), naive_saw(h1));
                if edges.near_saw(s1) {
                    s1 = s1 + blep_sum(p1, inv1, on, blep);
                    sh1 = sh1 + blep_sum(h1, inv1, on, blep);
                }
                *x = F4::splat(wa) * s1 + F4::splat(wb) * sh1;
                p1 = advance(p1, dt1);
            }
            self.p1 = p1;
        }
        if O2 {
            let (mut p2, dt2, inv2) = (self.p2, self.dt2, self.inv_dt2);
            let om2 = one - dt2;
            let dt2x4 = F4::splat(4.0) * dt2;
            let weights = w.c.iter().zip(w.d.iter());
            for (x, (&wc, &wd)) in xs.iter_mut().zip(weights) {
                let tri = one - (F4::splat(4.0) * p2 - F4::splat(2.0)).abs();
                let mut tri_bl = tri;
                if edges.near_tri(tri) {
                    let corners = blamp(p2, dt2, om2, inv2) - blamp(wrap_half(p2), dt2, om2, inv2);
                    tri_bl = tri + dt2x4 * corners;
                }
                let o2 = F4::splat(wc) * sin_half_pi(tri) + F4::splat(wd) * tri_bl;
                *x = if O1 { *x + o2 } else { o2 };
                p2 = advance(p2, dt2);
            }
            self.p2 = p2;
        } else if O1 {
            // Oscillator 2's phase runs on even when it is silent.
            for _ in 0..xs.len() {
                self.p2 = advance(self.p2, self.dt2);
            }
        }
        if !O1 {
            for _ in 0..xs.len() {
                self.p1 = advance(self.p1, self.dt1);
            }
        }
    }

    /// One frame of the envelopes, the filter (coefficients `c`) and the
    /// amplitude (the recursions) from the oscillator mix `x`. A lane whose amplitude
    /// envelope has ended gives −0.0, which leaves any sum as it is.
    #[inline(always)]
    fn step(&mut self, x: F4, c: [F4; 3], ctl: &Control) -> F4 {
        if self.amp.tick(&mut self.amp_envs, &ctl.amp, ctl.sustain) {
            self.sounding = EnvQuad::sounding(&self.amp_envs);
        }
        self.fenv
            .tick(&mut self.fenv_envs, &ctl.fenv, ctl.fenv_sustain);
        let [a1, a2, a3] = c;
        let (ic1, ic2) = (self.ic1, self.ic2);
        let v3 = x - ic2;
        let v1 = a1 * ic1 + a2 * v3;
        let v2 = ic2 + a2 * ic1 + a3 * v3;
        self.ic1 = v1 + v1 - ic1;
        self.ic2 = v2 + v2 - ic2;
        F4::select(self.sounding, self.amp.scale(v2), F4::splat(-0.0))
    }

    /// Write the lanes back into their voices; a voice whose amplitude
    /// envelope has ended becomes idle.
    #[inline(always)]
    fn store(&self, voices: [Option<&mut Voice>; LANES]) {
        let state = [
            self.p1, self.p2, self.ic1, self.ic2, self.a1, self.a2, self.a3,
        ];
        let state = state.map(F4::to_array);
        for (k, v) in voices.into_iter().enumerate() {
            let v = match v {
                Some(v) => v,
                None => continue,
            };
            if self.amp_envs[k].stage == Stage::Idle {
                *v = Voice::IDLE;
                continue;
            }
            v.amp = self.amp_envs[k];
            v.amp.level = self.amp.level(k);
            v.fenv = self.fenv_envs[k];
            v.fenv.level = self.fenv.level(k);
            v.p1 = state[0][k];
            v.p2 = state[1][k];
            v.ic1 = state[2][k];
            v.ic2 = state[3][k];
            v.a1 = state[4][k];
            v.a2 = state[5][k];
            v.a3 = state[6][k];
        }
    }
}

/// Add one control segment of up to [`LANES`] voices to `out`, one voice
/// per lane, in lane order: lane `k`'s sample is added after lane
/// `k − 1`'s, which is the order of adding the voices one after another.
/// `O1`/`O2`: whether oscillator 1/2 has a nonzero weight anywhere in the
/// segment (skipping a zero-weight term gives the same bits). `out` holds
/// at most [`CONTROL_FRAMES`] frames.
#[inline(always)]
pub(super) fn render_quad<const O1: bool, const O2: bool>(
    voices: [Option<&mut Voice>; LANES],
    w: &Weights,
    out: &mut [f32],
    ctl: &Control,
    blep: &[f32],
) {
    const N: usize = CONTROL_FRAMES as usize;
    let n = out.len().min(N);
    let v = |k: usize| voices[k].as_deref().unwrap_or(&Voice::IDLE);
    let mut quad = Quad::load([v(0), v(1), v(2), v(3)]);
    let mut xs = [F4::splat(0.0); N];
    quad.oscillators::<O1, O2>(w, &mut xs[..n], blep);
    let mut ys = [F4::splat(-0.0); N];
    let ys = &mut ys[..n];
    let zero = F4::splat(0.0);
    if quad
        .da1
        .eq(zero)
        .and(quad.da2.eq(zero))
        .and(quad.da3.eq(zero))
        .all()
    {
        // No lane's filter is ramping: `a + 0` would leave every coefficient as it is.
        let c = [quad.a1, quad.a2, quad.a3];
        for (y, &x) in ys.iter_mut().zip(xs.iter()) {
            *y = quad.step(x, c, ctl);
        }
    } else {
        let (mut a1, mut a2, mut a3) = (quad.a1, quad.a2, quad.a3);
        let (d1, d2, d3) = (quad.da1, quad.da2, quad.da3);
        for (y, &x) in ys.iter_mut().zip(xs.iter()) {
            a1 = a1 + d1;
            a2 = a2 + d2;
            a3 = a3 + d3;
            *y = quad.step(x, [a1, a2, a3], ctl);
        }
        (quad.a1, quad.a2, quad.a3) = (a1, a2, a3);
    }
    sum_lanes_into(ys, out);
    quad.store(voices);
}
