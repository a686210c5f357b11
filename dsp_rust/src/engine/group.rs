//! One strip group's pass over a segment: up to four running tracks, in
//! slot order, from their sources to the master mix.
//!
//! Sources go into the group's lanes (a fed input straight from its
//! buffer, flushed; a synth or sampler from its channel's buffers), the
//! strips run, then a track with inserts or sends runs its channel on its
//! own buffers and the others run theirs in the lanes ([`super::lanes`]);
//! every track's output joins the master mix in slot order, which is track
//! order ([`super::packing`]), and each track's auto-bypass is counted.

use crate::config::{BUSES_MAX, QUIET};
use crate::engine::channel::{Bus, Master, Send, Source, Track};
use crate::engine::lanes::{self, LaneGains};
use crate::engine::meters::{channel_meter, meter_add};
use crate::simd::{deinterleave, gather_flushed, sum_lanes_into, F4};
use crate::smooth::Linear;
use crate::strip::{StripGroup, LANES};

/// Frames `a..b` of the quantum starting at call frame `start`, of inputs
/// holding `cap` frames per channel.
#[derive(Clone, Copy)]
pub(super) struct Frames {
    pub(super) start: usize,
    pub(super) a: usize,
    pub(super) b: usize,
    pub(super) cap: usize,
}

/// True if track `t` is fed by an input whose buffer the engine reads.
pub(super) fn reads_input(t: &Track) -> bool {
    matches!(t.source, Source::Input) && !t.input.is_empty() && !t.input_silent
}

/// What every group of a segment shares: the frames, the lane buffers,
/// meters, buses and the master mix.
pub(super) struct GroupPass<'a> {
    pub(super) frames: Frames,
    pub(super) hold_base: usize,
    pub(super) ll: &'a mut [F4],
    pub(super) lr: &'a mut [F4],
    pub(super) silence: &'a [f32],
    pub(super) meters: &'a mut [f32],
    pub(super) buses: &'a mut [Option<Box<Bus>>],
    pub(super) master: &'a mut Master,
}

impl GroupPass<'_> {
    /// Run `group` on `tracks` (track index and track, lane by lane; the
    /// lanes without one are paused).
    pub(super) fn run(
        &mut self,
        group: &mut StripGroup,
        tracks: &mut [Option<(usize, &mut Track)>; LANES],
    ) {
        let Frames { start, a, b, cap } = self.frames;
        let n = b - a;
        let (ll, lr) = (&mut *self.ll, &mut *self.lr);

        let mut ins_l = [self.silence; LANES];
        let mut ins_r = [self.silence; LANES];
        for (k, slot) in tracks.iter().enumerate() {
            group.set_lane_paused(k, slot.is_none());
            match slot {
                Some((_, t)) if reads_input(t) => {
                    let (il, ir) = t.input.split_at(cap);
                    ins_l[k] = &il[start + a..start + b];
                    ins_r[k] = &ir[start + a..start + b];
                }
                Some((_, t)) if !matches!(t.source, Source::Input) => {
                    ins_l[k] = &t.ch.left[a..b];
                    ins_r[k] = &t.ch.right[a..b];
                }
                _ => {}
            }
        }
        let source_peak = gather_flushed(ins_l, ll).max(gather_flushed(ins_r, lr));
        for (k, slot) in tracks.iter_mut().enumerate() {
            if let Some((_, t)) = slot {
                if reads_input(t) {
                    t.source_quiet = source_peak.lane(k) < QUIET;
                }
            }
        }
        group.process_flushed(ll, lr);

        // Channels: tracks with inserts or sends one by one, on their own
        // buffers; the rest in the lanes.
        let mut strip_peaks = [0.0f32; LANES];
        let mut own = [false; LANES];
        for (k, slot) in tracks.iter_mut().enumerate() {
            let (ti, t) = match slot {
                Some((ti, t)) => (*ti, t),
                None => continue,
            };
            own[k] = !t.ch.inserts.is_empty() || t.sends.iter().any(|s| !s.is_off());
            if !own[k] {
                continue;
            }
            let ch = &mut t.ch;
            deinterleave(ll, k, &mut ch.left[a..b]);
            deinterleave(lr, k, &mut ch.right[a..b]);
            strip_peaks[k] = ch.run_inserts(a, b);
            ch.apply_mute(a, b);
            add_sends(&mut t.sends, true, self.buses, &ch.left, &ch.right, a, b);
            ch.out.process(&mut ch.left[a..b], &mut ch.right[a..b]);
            add_sends(&mut t.sends, false, self.buses, &ch.left, &ch.right, a, b);
            meter_add(
                channel_meter(self.meters, ti),
                &ch.left[a..b],
                &ch.right[a..b],
            );
        }
        let in_lanes = [0, 1, 2, 3].map(|k| tracks[k].is_some() && !own[k]);
        if in_lanes.iter().any(|x| *x) {
            let gains = [0, 1, 2, 3].map(|k| match &tracks[k] {
                Some((_, t)) if in_lanes[k] => Some(LaneGains {
                    mute: &t.ch.mute_gain,
                    pan: &t.ch.out,
                }),
                _ => None,
            });
            let levels = lanes::run(ll, lr, &gains);
            for (k, slot) in tracks.iter_mut().enumerate() {
                let (ti, t) = match slot {
                    Some((ti, t)) if in_lanes[k] => (*ti, t),
                    _ => continue,
                };
                lanes::advance(&mut t.ch.mute_gain, &mut t.ch.out, n as u32);
                strip_peaks[k] = levels.strip_peak.lane(k);
                let m = channel_meter(self.meters, ti);
                m[0] = m[0].max(levels.peak[0].lane(k));
                m[1] = m[1].max(levels.peak[1].lane(k));
                m[2] += levels.squares[0].lane(k);
                m[3] += levels.squares[1].lane(k);
            }
        }
        for (k, slot) in tracks.iter().enumerate() {
            if let Some((_, t)) = slot {
                if own[k] {
                    reinterleave(&t.ch.left[a..b], k, ll);
                    reinterleave(&t.ch.right[a..b], k, lr);
                }
            }
        }
        sum_lanes_into(ll, &mut self.master.left[a..b]);
        sum_lanes_into(lr, &mut self.master.right[a..b]);

        // Auto-bypass.
        for (k, slot) in tracks.iter_mut().enumerate() {
            let t = match slot {
                Some((_, t)) => t,
                None => continue,
            };
            let sends = &t.sends;
            let settled = || group.lane_is_quiet(k) && sends.iter().all(|s| !s.gain.is_active());
            if t.ch
                .try_sleep(t.source_quiet, strip_peaks[k], n, self.hold_base, settled)
            {
                group.reset_lane(k);
            }
        }
    }
}

/// Write `src` into lane `lane` of `lanes`, frame by frame.
fn reinterleave(src: &[f32], lane: usize, lanes: &mut [F4]) {
    for (v, x) in lanes.iter_mut().zip(src) {
        *v = v.with_lane(lane, *x);
    }
}

/// Add `src` scaled by the (possibly ramping) gain `g` into `dst`.
fn add_scaled(dst: &mut [f32], src: &[f32], g: &mut Linear) {
    if g.is_active() {
        for (d, s) in dst.iter_mut().zip(src) {
            *d += s * g.tick();
        }
    } else {
        let k = g.current();
        for (d, s) in dst.iter_mut().zip(src) {
            *d += s * k;
        }
    }
}

/// Add frames `a..b` of a track into every bus its pre-fader (`pre`) or
/// post-fader sends reach.
fn add_sends(
    sends: &mut [Send; BUSES_MAX],
    pre: bool,
    buses: &mut [Option<Box<Bus>>],
    left: &[f32],
    right: &[f32],
    a: usize,
    b: usize,
) {
    for (s, bus) in sends.iter_mut().zip(buses.iter_mut()) {
        if s.pre != pre || s.is_off() {
            continue;
        }
        let bus = match bus {
            Some(bus) => bus,
            None => continue,
        };
        let mut gl = s.gain;
        add_scaled(&mut bus.ch.left[a..b], &left[a..b], &mut gl);
        add_scaled(&mut bus.ch.right[a..b], &right[a..b], &mut s.gain);
    }
}
