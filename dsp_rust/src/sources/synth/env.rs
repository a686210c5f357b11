//! The synth's ADSR envelopes: per-sample one-pole stages in f64, their
//! per-sample coefficients from the stage times, and the linear fade-out of
//! a stolen voice. The synth's module documentation gives the shapes.

use crate::math::exp2_f64;
use crate::simd::{D4, F4, LANES, M4};

/// Attack target above the peak, as a fraction of the peak.
const ATTACK_OVERSHOOT: f64 = 0.3;
/// Release target below zero, as a fraction of the peak.
const RELEASE_UNDERSHOOT: f64 = 0.001;
/// log2((1 + 0.3) / 0.3): attack time constants from 0 to the peak.
const LOG2_ATTACK_SPAN: f64 = 2.115_477_217_419_936;
/// log2(1000): decay covers 99.9 % of the distance to the sustain level.
const LOG2_DECAY_SPAN: f64 = 9.965_784_284_662_087;
/// log2((1 + 0.001) / 0.001): release time constants from the peak to 0.
const LOG2_RELEASE_SPAN: f64 = 9.967_226_258_835_993;
/// A held note with sustain 0 ends below this envelope level.
const SILENT_LEVEL: f64 = 1e-9;

/// The stage an envelope is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stage {
    Idle,
    Attack,
    Decay,
    Release,
    Fade,
}

/// Per-sample coefficients of the three timed stages.
#[derive(Clone, Copy, Debug)]
pub(super) struct EnvRates {
    attack: f64,
    decay: f64,
    release: f64,
}

impl EnvRates {
    /// Coefficients for stage times in milliseconds at `sample_rate_hz`.
    pub(super) fn new(sample_rate_hz: f64, attack_ms: f32, decay_ms: f32, release_ms: f32) -> Self {
        let coef = |span: f64, ms: f32| {
            let frames = (ms as f64 * 1e-3 * sample_rate_hz).max(1.0);
            exp2_f64(-span / frames)
        };
        EnvRates {
            attack: coef(LOG2_ATTACK_SPAN, attack_ms),
            decay: coef(LOG2_DECAY_SPAN, decay_ms),
            release: coef(LOG2_RELEASE_SPAN, release_ms),
        }
    }
}

/// One ADSR, in f64: `level ← base + level·coef` per sample; leaving
/// `(lo, hi)` ends the stage (stepped four at a time by [`EnvQuad`]). (In f32 a one-pole with a coefficient near 1
/// would settle up to 0.1 % off its target and run up to 0.4 % off its time.)
#[derive(Clone, Copy, Debug)]
pub(super) struct Env {
    pub(super) level: f64,
    base: f64,
    coef: f64,
    lo: f64,
    hi: f64,
    peak: f64,
    pub(super) stage: Stage,
}

impl Env {
    pub(super) const IDLE: Env = Env {
        level: 0.0,
        base: 0.0,
        coef: 0.0,
        lo: f64::NEG_INFINITY,
        hi: f64::INFINITY,
        peak: 1.0,
        stage: Stage::Idle,
    };

    /// Stage coefficients from the current rates and sustain fraction.
    pub(super) fn configure(&mut self, r: &EnvRates, sustain: f32) {
        let peak = self.peak;
        let (base, coef, lo, hi) = match self.stage {
            Stage::Idle => (0.0, 0.0, f64::NEG_INFINITY, f64::INFINITY),
            Stage::Attack => {
                let c = r.attack;
                let base = peak * (1.0 + ATTACK_OVERSHOOT) * (1.0 - c);
                (base, c, f64::NEG_INFINITY, self.peak)
            }
            Stage::Decay => {
                let c = r.decay;
                let s = sustain as f64 * peak;
                let lo = if s == 0.0 {
                    SILENT_LEVEL
                } else {
                    f64::NEG_INFINITY
                };
                (s * (1.0 - c), c, lo, f64::INFINITY)
            }
            Stage::Release => {
                let c = r.release;
                (
                    -RELEASE_UNDERSHOOT * peak * (1.0 - c),
                    c,
                    0.0,
                    f64::INFINITY,
                )
            }
            Stage::Fade => return,
        };
        self.base = base;
        self.coef = coef;
        self.lo = lo;
        self.hi = hi;
    }

    /// Start (or restart) the attack from the current level.
    pub(super) fn trigger(&mut self, peak: f64, r: &EnvRates, sustain: f32) {
        self.peak = peak;
        self.stage = if self.level >= peak {
            Stage::Decay
        } else {
            Stage::Attack
        };
        self.configure(r, sustain);
    }

    /// Start the release from the current level.
    pub(super) fn release(&mut self, r: &EnvRates, sustain: f32) {
        if self.stage != Stage::Idle {
            self.stage = Stage::Release;
            self.configure(r, sustain);
        }
    }

    /// The per-sample step; ends the stage when the level leaves `(lo, hi)`
    /// (as [`EnvQuad::tick`] does lane by lane).
    #[inline(always)]
    pub(super) fn tick(&mut self, r: &EnvRates, sustain: f32) {
        self.level = self.base + self.level * self.coef;
        if !(self.level < self.hi && self.level > self.lo) {
            self.end_stage(r, sustain);
        }
    }

    /// Fade out linearly from the current level to 0 over `frames` frames.
    pub(super) fn fade_out(&mut self, frames: f64) {
        self.stage = Stage::Fade;
        self.base = -self.level / frames;
        self.coef = 1.0;
        self.lo = 0.0;
        self.hi = f64::INFINITY;
    }

    #[cold]
    fn end_stage(&mut self, r: &EnvRates, sustain: f32) {
        match self.stage {
            Stage::Attack => {
                self.level = self.peak;
                self.stage = Stage::Decay;
                self.configure(r, sustain);
            }
            _ => *self = Env::IDLE,
        }
    }
}

/// Four envelopes stepped together, one per lane: the per-sample
/// recursion `level ← base + level·coef` in [`D4`] lanes, and, when a
/// level leaves `(lo, hi)`, the rare end of a stage lane by lane on the
/// caller's [`Env`]s, which hold the stages (their levels are the lanes'
/// once [`EnvQuad::store`]d).
#[derive(Clone, Copy)]
pub(super) struct EnvQuad {
    level: D4,
    base: D4,
    coef: D4,
    lo: D4,
    hi: D4,
}

impl EnvQuad {
    /// The four envelopes' state in lanes.
    #[inline(always)]
    pub(super) fn load(envs: &[Env; LANES]) -> Self {
        let lanes = |f: fn(&Env) -> f64| {
            D4::from_array([f(&envs[0]), f(&envs[1]), f(&envs[2]), f(&envs[3])])
        };
        EnvQuad {
            level: lanes(|e| e.level),
            base: lanes(|e| e.base),
            coef: lanes(|e| e.coef),
            lo: lanes(|e| e.lo),
            hi: lanes(|e| e.hi),
        }
    }

    /// Lane `k`'s level.
    #[inline(always)]
    pub(super) fn level(&self, k: usize) -> f64 {
        self.level.lane(k)
    }

    /// Lanes whose envelope in `envs` is not idle.
    #[inline(always)]
    pub(super) fn sounding(envs: &[Env; LANES]) -> M4 {
        let on = |k: usize| envs[k].stage != Stage::Idle;
        M4::from_bools([on(0), on(1), on(2), on(3)])
    }

    /// Per lane `v × level`, the level rounded to f32.
    #[inline(always)]
    pub(super) fn scale(&self, v: F4) -> F4 {
        self.level.mul_f32(v)
    }

    /// One sample on every lane, ending the stage of `envs` where the level
    /// leaves `(lo, hi)`; true if a stage ended on some lane.
    #[inline(always)]
    pub(super) fn tick(&mut self, envs: &mut [Env; LANES], r: &EnvRates, sustain: f32) -> bool {
        self.level = self.base + self.level * self.coef;
        let inside = self.level.inside(self.lo, self.hi);
        if inside.all() {
            return false;
        }
        let (levels, inside) = (self.level.to_array(), inside.to_int().to_array());
        end_stages(envs, levels, inside, r, sustain);
        *self = EnvQuad::load(envs);
        true
    }
}

/// End the stage of each envelope whose lane is not `inside` (0 where
/// not), from the lanes' `levels`.
#[cold]
#[inline(never)]
fn end_stages(
    envs: &mut [Env; LANES],
    levels: [f64; LANES],
    inside: [i32; LANES],
    r: &EnvRates,
    sustain: f32,
) {
    for ((e, level), inside) in envs.iter_mut().zip(levels).zip(inside) {
        e.level = level;
        if inside == 0 {
            e.end_stage(r, sustain);
        }
    }
}
