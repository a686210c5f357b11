//! Rendering: a process call renders its quanta in segments split at event
//! offsets and on the ramp grid; a segment runs the passes of the signal
//! flow in order: sources, strips, track channels (inserts, mute, sends,
//! fader and pan), buses, master.

use crate::config::{BUSES_MAX, METER_STATE_ACTIVE, QUIET, RAMP_STEP_FRAMES};
use crate::engine::channel::{Source, Track};
use crate::engine::group::{reads_input, Frames, GroupPass};
use crate::engine::meters::{self, channel_meter, meter_add, peak};
use crate::engine::{Engine, ProcessError};
use crate::math::flush;
use crate::simd::{any_at_least, F4};
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
        for c in meter_channels(&self.used_groups, self.tracks.len()) {
            meters::clear(channel_meter(&mut self.meters, c));
        }
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
        let Engine {
            used_groups,
            meters,
            tracks,
            buses,
            ..
        } = self;
        let n = tracks.len();
        for c in meter_channels(used_groups, n) {
            let state = if c < n {
                meters::state(tracks[c].as_ref().map(|t| t.ch.is_bypassed()))
            } else if c < n + BUSES_MAX {
                meters::state(buses[c - n].as_ref().map(|b| b.ch.is_bypassed()))
            } else {
                METER_STATE_ACTIVE
            };
            meters::finish(channel_meter(meters, c), frames, state);
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
        self.render_tracks(start, a, b, hold_base);
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

    /// Every track: sources, then the running tracks four at a time in
    /// dense strip groups ([`super::packing`]): strips, channels, into the
    /// master mix in track order; then auto-bypass.
    fn render_tracks(&mut self, start: usize, a: usize, b: usize, hold_base: usize) {
        let running = self.render_sources(start, a, b);
        if self.packing.stale {
            let tracks = &self.tracks;
            let runs = |t: usize| matches!(tracks.get(t), Some(Some(t)) if !t.skip);
            self.packing.pack(&mut self.groups, runs);
        }
        if running == 0 {
            return;
        }
        let cap = self.capacity;
        let Engine {
            tracks,
            groups,
            lanes_l,
            lanes_r,
            silence,
            meters,
            buses,
            master,
            ..
        } = self;
        let mut pass = GroupPass {
            frames: Frames { start, a, b, cap },
            hold_base,
            ll: &mut lanes_l[..b - a],
            lr: &mut lanes_r[..b - a],
            silence: &silence[..b - a],
            meters,
            buses,
            master,
        };
        let mut batch: [Option<(usize, &mut Track)>; LANES] = [None, None, None, None];
        let mut k = 0;
        let mut g = 0;
        let live = tracks
            .iter_mut()
            .enumerate()
            .filter_map(|(i, t)| t.as_deref_mut().map(|t| (i, t)))
            .filter(|(_, t)| !t.skip);
        for (i, t) in live {
            batch[k] = Some((i, t));
            k += 1;
            if k == LANES {
                pass.run(&mut groups[g], &mut batch);
                batch = [None, None, None, None];
                k = 0;
                g += 1;
            }
        }
        if k > 0 {
            pass.run(&mut groups[g], &mut batch);
        }
    }

    /// Every track's source on frames `a..b` of the quantum starting at call
    /// frame `start`: a synth or sampler renders into its channel's buffers,
    /// an asleep input is scanned for sound (a fed input of an awake track
    /// is read later, in place). A bypassed track whose source is quiet
    /// skips the segment, one with sound wakes. Returns how many tracks run.
    fn render_sources(&mut self, start: usize, a: usize, b: usize) -> usize {
        let (cap, bank) = (self.capacity, &self.bank);
        let mut running = 0;
        let mut changed = false;
        for t in self.tracks.iter_mut().flatten() {
            let bypassed = t.ch.is_bypassed();
            if reads_input(t) {
                if bypassed {
                    let (l, r) = t.input.split_at(cap);
                    t.source_quiet = !any_at_least(&l[start + a..start + b], QUIET)
                        && !any_at_least(&r[start + a..start + b], QUIET);
                }
            } else {
                t.source_quiet = render_source(t, bank, a, b);
            }
            let skip = bypassed && t.source_quiet;
            if bypassed && !t.source_quiet {
                t.ch.wake();
            }
            changed |= skip != t.skip;
            t.skip = skip;
            running += usize::from(!skip);
        }
        self.packing.stale |= changed;
        running
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
        let (dst_l, dst_r) = (
            &mut out_l[start + a..start + b],
            &mut out_r[start + a..start + b],
        );
        if g.is_active() {
            for i in a..b {
                let gain = g.tick();
                dst_l[i - a] = flush(master.left[i] * gain);
                dst_r[i - a] = flush(master.right[i] * gain);
            }
        } else {
            scale_flushed(&master.left[a..b], g.current(), dst_l);
            scale_flushed(&master.right[a..b], g.current(), dst_r);
        }
        let m = channel_meter(&mut self.meters, self.tracks.len() + BUSES_MAX);
        meter_add(
            m,
            &out_l[start + a..start + b],
            &out_r[start + a..start + b],
        );
    }
}

/// `dst[i] = flush(src[i] · gain)`, four frames at a time.
fn scale_flushed(src: &[f32], gain: f32, dst: &mut [f32]) {
    let k = F4::splat(gain);
    let mut d = dst.chunks_exact_mut(LANES);
    let mut s = src.chunks_exact(LANES);
    for (o, x) in (&mut d).zip(&mut s) {
        let v = F4::from_array([x[0], x[1], x[2], x[3]]);
        o.copy_from_slice(&(v * k).flush().to_array());
    }
    for (o, x) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *o = flush(x * gain);
    }
}

/// The meters a process call writes, given the strip groups in use and the
/// number of track slots: those of the tracks in those groups, of the buses
/// and of the master. (The others belong to tracks never created: zero, with
/// the absent state, from the start.)
fn meter_channels(used_groups: &[u16], tracks: usize) -> impl Iterator<Item = usize> + '_ {
    let in_groups = used_groups
        .iter()
        .flat_map(move |&g| g as usize * LANES..(g as usize * LANES + LANES).min(tracks));
    in_groups.chain(tracks..tracks + BUSES_MAX + 1)
}

/// Render the synth or sampler of track `t` on frames `a..b` into its
/// channel buffers; true if the source is quiet. A bypassed track whose
/// source is quiet is left untouched, and so is an input (the caller reads
/// an input's buffer in place; one never written is silence).
fn render_source(t: &mut Track, bank: &SampleBank, a: usize, b: usize) -> bool {
    let bypassed = t.ch.is_bypassed();
    let (l, r) = (&mut t.ch.left[a..b], &mut t.ch.right[a..b]);
    match &mut t.source {
        Source::Input => true,
        Source::Synth(s) => {
            if !(bypassed && s.is_quiet()) {
                s.render(l, r);
            }
            s.is_quiet()
        }
        Source::Sampler(s) => {
            if !(bypassed && s.is_quiet()) {
                s.render(bank, l, r);
            }
            s.is_quiet()
        }
    }
}
