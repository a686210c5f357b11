//! Rendering: a process call renders its quanta in segments split at event
//! offsets and on the ramp grid; a segment runs the passes of the signal
//! flow in order: sources, strips, track channels (inserts, mute, sends,
//! fader and pan), buses, master.

use crate::config::{BUSES_MAX, METER_STATE_ACTIVE, METER_STRIDE, QUIET, RAMP_STEP_FRAMES};
use crate::engine::channel::{Bus, Send, Source, Track};
use crate::engine::meters::{self, channel_meter, input_is_quiet, meter_add, peak};
use crate::engine::{Engine, ProcessError};
use crate::math::flush;
use crate::simd::{deinterleave, interleave};
use crate::smooth::Linear;
use crate::sources::bank::SampleBank;
use crate::strip::LANES;

impl Engine {
    /// Render `quanta` render quanta: apply due events, run every channel,
    /// write the master output.
    pub fn process(&mut self, quanta: u32) -> Result<(), ProcessError> {
        if quanta > self.config.max_quanta {
            return Err(ProcessError::TooManyQuanta);
        }
        let q = self.quantum;
        meters::clear(&mut self.meters);
        for k in 0..quanta as usize {
            let start = k * q;
            let mut pos = 0;
            while pos < q {
                while let Some(e) = self.events.pop_due((start + pos) as u32) {
                    self.apply_event(e);
                }
                let mut end = q;
                if let Some(o) = self.events.next_offset() {
                    let o = o as usize;
                    if o < start + q {
                        end = end.min(o - start);
                    }
                }
                if !self.ramps.is_empty() {
                    let to_grid = RAMP_STEP_FRAMES - self.frame % RAMP_STEP_FRAMES;
                    end = end.min(pos + to_grid as usize);
                }
                self.render_segment(start, pos, end);
                self.frame += (end - pos) as u64;
                pos = end;
                if !self.ramps.is_empty() && self.frame % RAMP_STEP_FRAMES == 0 {
                    self.step_ramps(RAMP_STEP_FRAMES);
                }
            }
        }
        self.finish_meters(quanta as usize * q);
        self.events.consume(quanta * q as u32);
        Ok(())
    }

    /// Finish every meter after a call of `frames` frames: RMS and state.
    fn finish_meters(&mut self, frames: usize) {
        let frames = frames.max(1) as f32;
        let tracks = self.tracks.len();
        for (c, m) in self.meters.chunks_exact_mut(METER_STRIDE).enumerate() {
            let state = if c < tracks {
                meters::state(self.tracks[c].as_ref().map(|t| t.ch.is_bypassed()))
            } else if c < tracks + BUSES_MAX {
                meters::state(self.buses[c - tracks].as_ref().map(|b| b.ch.is_bypassed()))
            } else {
                METER_STATE_ACTIVE
            };
            meters::finish(m, frames, state);
        }
    }

    /// Render frames `a..b` of the quantum starting at call frame `start`.
    fn render_segment(&mut self, start: usize, a: usize, b: usize) {
        let hold_base = if self.auto_bypass {
            self.hold_base
        } else {
            usize::MAX
        };
        self.clear_mix(a, b);
        self.render_sources(start, a, b);
        self.render_strips(a, b);
        self.render_track_channels(a, b, hold_base);
        self.render_buses(a, b, hold_base);
        self.render_master(start, a, b);
    }

    /// Zero frames `a..b` of the master mix and of every bus.
    fn clear_mix(&mut self, a: usize, b: usize) {
        self.master.left[a..b].iter_mut().for_each(|v| *v = 0.0);
        self.master.right[a..b].iter_mut().for_each(|v| *v = 0.0);
        for bus in self.buses.iter_mut().flatten() {
            bus.ch.left[a..b].iter_mut().for_each(|v| *v = 0.0);
            bus.ch.right[a..b].iter_mut().for_each(|v| *v = 0.0);
        }
    }

    /// Every track's source into its channel buffers; a bypassed track with
    /// a quiet source is marked to skip this segment, one with sound wakes.
    fn render_sources(&mut self, start: usize, a: usize, b: usize) {
        let (cap, bank) = (self.capacity, &self.bank);
        for t in self.tracks.iter_mut().flatten() {
            let source_quiet = render_source(t, bank, cap, start, a, b);
            t.source_quiet = source_quiet;
            t.skip = t.ch.is_bypassed() && source_quiet;
            if t.ch.is_bypassed() && !source_quiet {
                t.ch.wake();
            }
        }
    }

    /// Strips, four tracks per group; skipped and absent tracks are paused lanes.
    fn render_strips(&mut self, a: usize, b: usize) {
        let n = b - a;
        for (g, group) in self.groups.iter_mut().enumerate() {
            let mut ins_l: [Option<&[f32]>; LANES] = [None; LANES];
            let mut ins_r: [Option<&[f32]>; LANES] = [None; LANES];
            for (k, (il, ir)) in ins_l.iter_mut().zip(ins_r.iter_mut()).enumerate() {
                if let Some(Some(t)) = self.tracks.get(g * LANES + k) {
                    if !t.skip {
                        *il = Some(&t.ch.left[a..b]);
                        *ir = Some(&t.ch.right[a..b]);
                    }
                }
                group.set_lane_paused(k, il.is_none());
            }
            if ins_l.iter().all(|x| x.is_none()) {
                continue;
            }
            let (ll, lr) = (&mut self.lanes_l[..n], &mut self.lanes_r[..n]);
            interleave(ins_l, ll);
            interleave(ins_r, lr);
            group.process(ll, lr);
            for k in 0..LANES {
                if let Some(Some(t)) = self.tracks.get_mut(g * LANES + k) {
                    if !t.skip {
                        deinterleave(ll, k, &mut t.ch.left[a..b]);
                        deinterleave(lr, k, &mut t.ch.right[a..b]);
                    }
                }
            }
        }
    }

    /// Each track after its strip: inserts, mute, pre-fader sends, fader
    /// and pan, post-fader sends, into the master mix; then auto-bypass.
    fn render_track_channels(&mut self, a: usize, b: usize, hold_base: usize) {
        let n = b - a;
        for (ti, slot) in self.tracks.iter_mut().enumerate() {
            let t = match slot {
                Some(t) if !t.skip => t,
                _ => continue,
            };
            let group = &mut self.groups[ti / LANES];
            let ch = &mut t.ch;
            let post_inserts_peak = ch.run_inserts(a, b);
            ch.apply_mute(a, b);
            add_sends(
                &mut t.sends,
                true,
                &mut self.buses,
                &ch.left,
                &ch.right,
                a,
                b,
            );
            ch.out.process(&mut ch.left[a..b], &mut ch.right[a..b]);
            add_sends(
                &mut t.sends,
                false,
                &mut self.buses,
                &ch.left,
                &ch.right,
                a,
                b,
            );
            let meter = channel_meter(&mut self.meters, ti);
            ch.mix_into(&mut self.master.left, &mut self.master.right, meter, a, b);
            let lane = ti % LANES;
            let sends = &t.sends;
            let slept = ch.try_sleep(t.source_quiet, post_inserts_peak, n, hold_base, || {
                group.lane_is_quiet(lane) && sends.iter().all(|s| !s.gain.is_active())
            });
            if slept {
                group.reset_lane(lane);
            }
        }
    }

    /// Each bus: inserts, mute, fader and pan, into the master mix; a
    /// bypassed bus with nothing sent to it stays asleep.
    fn render_buses(&mut self, a: usize, b: usize, hold_base: usize) {
        let n = b - a;
        let tracks = self.tracks.len();
        for (bi, slot) in self.buses.iter_mut().enumerate() {
            let bus = match slot {
                Some(b) => b,
                None => continue,
            };
            let ch = &mut bus.ch;
            let source_quiet = peak(&ch.left[a..b]).max(peak(&ch.right[a..b])) < QUIET;
            if ch.is_bypassed() {
                if source_quiet {
                    continue;
                }
                ch.wake();
            }
            let post_inserts_peak = ch.run_inserts(a, b);
            ch.apply_mute(a, b);
            ch.out.process(&mut ch.left[a..b], &mut ch.right[a..b]);
            let meter = channel_meter(&mut self.meters, tracks + bi);
            ch.mix_into(&mut self.master.left, &mut self.master.right, meter, a, b);
            ch.try_sleep(source_quiet, post_inserts_peak, n, hold_base, || true);
        }
    }

    /// The master: inserts, then its fader into the output, then its meter.
    fn render_master(&mut self, start: usize, a: usize, b: usize) {
        let cap = self.capacity;
        let master = &mut self.master;
        master
            .inserts
            .process(&mut master.left[a..b], &mut master.right[a..b]);
        let (out_l, out_r) = self.output.split_at_mut(cap);
        let g = &mut master.gain;
        for i in a..b {
            let gain = g.tick();
            out_l[start + i] = flush(master.left[i] * gain);
            out_r[start + i] = flush(master.right[i] * gain);
        }
        let m = channel_meter(&mut self.meters, self.tracks.len() + BUSES_MAX);
        meter_add(
            m,
            &out_l[start + a..start + b],
            &out_r[start + a..start + b],
        );
    }
}

/// Render track `t`'s source on frames `a..b` of the quantum starting at
/// call frame `start` into its channel buffers; true if the source was
/// quiet. A bypassed track whose source is quiet is left untouched.
fn render_source(
    t: &mut Track,
    bank: &SampleBank,
    cap: usize,
    start: usize,
    a: usize,
    b: usize,
) -> bool {
    let n = b - a;
    match &mut t.source {
        Source::Input if t.ch.is_bypassed() && input_is_quiet(&t.input, cap, start + a, n) => {
            true // asleep and nothing to wake it: touch nothing
        }
        Source::Input => {
            let (l, r) = (&mut t.ch.left[a..b], &mut t.ch.right[a..b]);
            if t.input.is_empty() {
                l.iter_mut().for_each(|v| *v = 0.0);
                r.iter_mut().for_each(|v| *v = 0.0);
                true
            } else {
                let (il, ir) = t.input.split_at(cap);
                let mut peak = 0.0f32;
                for i in 0..n {
                    let (x, y) = (flush(il[start + a + i]), flush(ir[start + a + i]));
                    l[i] = x;
                    r[i] = y;
                    peak = peak.max(x.abs()).max(y.abs());
                }
                peak < QUIET
            }
        }
        Source::Synth(s) => {
            if t.ch.is_bypassed() && s.is_quiet() {
                true
            } else {
                s.render(&mut t.ch.left[a..b], &mut t.ch.right[a..b]);
                s.is_quiet()
            }
        }
        Source::Sampler(s) => {
            if t.ch.is_bypassed() && s.is_quiet() {
                true
            } else {
                s.render(bank, &mut t.ch.left[a..b], &mut t.ch.right[a..b]);
                s.is_quiet()
            }
        }
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
