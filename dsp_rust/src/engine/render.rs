//! Rendering: a process call renders its quanta in segments split at event
//! offsets and on the ramp grid; a segment runs the passes of the signal
//! flow in order: sources, strips, track channels (inserts, mute, sends,
//! fader and pan), buses, master.

use crate::config::{BUSES_MAX, METER_STATE_ACTIVE, QUIET, RAMP_STEP_FRAMES};
use crate::engine::channel::{Bus, Send, Source, Track};
use crate::engine::lanes::{self, LaneGains};
use crate::engine::meters::{self, channel_meter, meter_add, peak};
use crate::engine::{Engine, ProcessError};
use crate::math::flush;
use crate::simd::{deinterleave, gather_flushed, sum_lanes_into, F4};
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

    /// Every track, four at a time: sources, strips, channels, into the
    /// master mix; then auto-bypass.
    fn render_tracks(&mut self, start: usize, a: usize, b: usize, hold_base: usize) {
        for i in 0..self.used_groups.len() {
            let g = self.used_groups[i] as usize;
            self.render_group(g, start, a, b, hold_base);
        }
    }

    /// Tracks `4g..4g+3` on frames `a..b` of the quantum starting at call
    /// frame `start`. Their sources go into the lanes of strip group `g`
    /// (an input straight from its buffer, flushed); a bypassed track whose
    /// source is quiet is a paused lane, one with sound wakes. After the
    /// strips, a track with inserts or sends runs its channel on its own
    /// buffers; the others run theirs in the lanes ([`super::lanes`]).
    /// Every track's output then joins the master mix in track order.
    fn render_group(&mut self, g: usize, start: usize, a: usize, b: usize, hold_base: usize) {
        let n = b - a;
        let cap = self.capacity;
        let Engine {
            tracks,
            groups,
            bank,
            lanes_l,
            lanes_r,
            silence,
            meters,
            buses,
            master,
            ..
        } = self;
        let base = g * LANES;
        let end = (base + LANES).min(tracks.len());
        let tracks = match tracks.get_mut(base..end) {
            Some(t) if t.iter().any(Option::is_some) => t,
            _ => return,
        };
        let group = &mut groups[g];
        let (ll, lr) = (&mut lanes_l[..n], &mut lanes_r[..n]);

        // Sources: a fed input with a buffer is read in place, the others
        // render into the channel's buffers. A lane whose source is known
        // to be quiet before reading anything, on an asleep track, stays
        // paused; if every lane does, nothing is read at all.
        let mut direct = [false; LANES];
        let mut needed = false;
        for (k, slot) in tracks.iter_mut().enumerate() {
            if let Some(t) = slot {
                direct[k] =
                    matches!(t.source, Source::Input) && !t.input.is_empty() && !t.input_silent;
                if !direct[k] {
                    t.source_quiet = render_source(t, bank, a, b);
                }
                needed |= direct[k] || !(t.source_quiet && t.ch.is_bypassed());
            }
        }
        if !needed {
            for t in tracks.iter_mut().flatten() {
                t.skip = true;
            }
            for k in 0..LANES {
                group.set_lane_paused(k, true);
            }
            return;
        }
        let silence = &silence[..n];
        let mut ins_l = [silence; LANES];
        let mut ins_r = [silence; LANES];
        for (k, slot) in tracks.iter().enumerate() {
            match slot {
                Some(t) if direct[k] => {
                    let (il, ir) = t.input.split_at(cap);
                    ins_l[k] = &il[start + a..start + b];
                    ins_r[k] = &ir[start + a..start + b];
                }
                Some(t) if !matches!(t.source, Source::Input) => {
                    ins_l[k] = &t.ch.left[a..b];
                    ins_r[k] = &t.ch.right[a..b];
                }
                _ => {}
            }
        }
        let source_peak = gather_flushed(ins_l, ll).max(gather_flushed(ins_r, lr));

        // Which lanes run.
        let mut live = [false; LANES];
        for (k, slot) in tracks.iter_mut().enumerate() {
            if let Some(t) = slot {
                if direct[k] {
                    t.source_quiet = source_peak.lane(k) < QUIET;
                }
                let bypassed = t.ch.is_bypassed();
                t.skip = bypassed && t.source_quiet;
                if bypassed && !t.source_quiet {
                    t.ch.wake();
                }
                live[k] = !t.skip;
            }
        }
        for (k, l) in live.iter().enumerate() {
            group.set_lane_paused(k, !l);
        }
        if !live.iter().any(|l| *l) {
            return;
        }
        group.process_flushed(ll, lr);

        // Channels: tracks with inserts or sends one by one, on their own
        // buffers; the rest in the lanes.
        let mut strip_peaks = [0.0f32; LANES];
        let mut own = [false; LANES];
        for (k, slot) in tracks.iter_mut().enumerate() {
            let t = match slot {
                Some(t) if live[k] => t,
                _ => continue,
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
            add_sends(&mut t.sends, true, buses, &ch.left, &ch.right, a, b);
            ch.out.process(&mut ch.left[a..b], &mut ch.right[a..b]);
            add_sends(&mut t.sends, false, buses, &ch.left, &ch.right, a, b);
            meter_add(
                channel_meter(meters, base + k),
                &ch.left[a..b],
                &ch.right[a..b],
            );
        }
        let in_lanes = [0, 1, 2, 3].map(|k| live[k] && !own[k]);
        if in_lanes.iter().any(|x| *x) {
            let gains = [0, 1, 2, 3].map(|k| match tracks.get(k) {
                Some(Some(t)) if in_lanes[k] => Some(LaneGains {
                    mute: &t.ch.mute_gain,
                    pan: &t.ch.out,
                }),
                _ => None,
            });
            let levels = lanes::run(ll, lr, &gains);
            for (k, slot) in tracks.iter_mut().enumerate() {
                let t = match slot {
                    Some(t) if in_lanes[k] => t,
                    _ => continue,
                };
                lanes::advance(&mut t.ch.mute_gain, &mut t.ch.out, n as u32);
                strip_peaks[k] = levels.strip_peak.lane(k);
                let m = channel_meter(meters, base + k);
                m[0] = m[0].max(levels.peak[0].lane(k));
                m[1] = m[1].max(levels.peak[1].lane(k));
                m[2] += levels.squares[0].lane(k);
                m[3] += levels.squares[1].lane(k);
            }
        }
        for (k, slot) in tracks.iter().enumerate() {
            if let Some(t) = slot {
                if own[k] {
                    reinterleave(&t.ch.left[a..b], k, ll);
                    reinterleave(&t.ch.right[a..b], k, lr);
                }
            }
        }
        sum_lanes_into(ll, &mut master.left[a..b]);
        sum_lanes_into(lr, &mut master.right[a..b]);

        // Auto-bypass.
        for (k, slot) in tracks.iter_mut().enumerate() {
            let t = match slot {
                Some(t) if live[k] => t,
                _ => continue,
            };
            let sends = &t.sends;
            let settled = || group.lane_is_quiet(k) && sends.iter().all(|s| !s.gain.is_active());
            if t.ch
                .try_sleep(t.source_quiet, strip_peaks[k], n, hold_base, settled)
            {
                group.reset_lane(k);
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
