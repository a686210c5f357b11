// Rendering (dsp_rust/src/engine/render.rs): a process call renders its
// quanta in segments split at event offsets and on the ramp grid; a segment
// runs the passes of the signal flow in order: sources, strips, track
// channels (inserts, mute, sends, fader and pan), buses, master.
//
// Real-time code: nothing here allocates, builds closures or throws.

import {
  BUSES_MAX,
  METER_STATE_ACTIVE,
  METER_STRIDE,
  RAMP_STEP_FRAMES,
  FLUSH_THRESHOLD,
  F32_MAX,
} from "./dawg-js-config.js";
import { quiet2 } from "./dawg-js-channel.js";
import { copyFlushed } from "./dawg-js-strip.js";
import { SOURCE_INPUT, SOURCE_SYNTH } from "./dawg-js-sources.js";
import { meterAdd, clearMeters, finishMeter, meterState, inputIsQuiet } from "./dawg-js-meters.js";
import { applyEvent, stepRamps } from "./dawg-js-schedule.js";

const fr = Math.fround;

/** Render `quanta` quanta of engine `e` into its output (the caller checked the count). */
export function renderQuanta(e, quanta) {
  const q = e.quantum;
  const events = e.events;
  const ramps = e.ramps;
  clearMeters(e.meters);
  for (let k = 0; k < quanta; k++) {
    const start = k * q;
    let pos = 0;
    while (pos < q) {
      let due = events.popDue(start + pos);
      while (due >= 0) {
        applyEvent(e, events, due);
        due = events.popDue(start + pos);
      }
      let end = q;
      const o = events.nextOffset();
      if (o >= 0 && o < start + q) {
        const at = o - start;
        if (at < end) {
          end = at;
        }
      }
      if (ramps.length > 0) {
        const toGrid = RAMP_STEP_FRAMES - (e.frame % RAMP_STEP_FRAMES);
        if (pos + toGrid < end) {
          end = pos + toGrid;
        }
      }
      renderSegment(e, start, pos, end);
      e.frame += end - pos;
      pos = end;
      if (ramps.length > 0 && e.frame % RAMP_STEP_FRAMES === 0) {
        stepRamps(e, RAMP_STEP_FRAMES);
      }
    }
  }
  finishMeters(e, quanta * q);
  events.consume(quanta * q);
}

function finishMeters(e, frames) {
  const n = fr(frames > 1 ? frames : 1);
  const meters = e.meters;
  const tracks = e.tracks;
  const nt = tracks.length;
  for (let c = 0; c < nt; c++) {
    const t = tracks[c];
    finishMeter(meters, c * METER_STRIDE, n, meterState(t !== null, t !== null && t.ch.bypass.asleep));
  }
  for (let b = 0; b < BUSES_MAX; b++) {
    const bus = e.buses[b];
    finishMeter(meters, (nt + b) * METER_STRIDE, n, meterState(bus !== null, bus !== null && bus.ch.bypass.asleep));
  }
  finishMeter(meters, (nt + BUSES_MAX) * METER_STRIDE, n, METER_STATE_ACTIVE);
}

/** Render frames `a..b` of the quantum starting at call frame `start`. */
function renderSegment(e, start, a, b) {
  const holdBase = e.autoBypass ? e.holdBase : Infinity;
  clearMix(e, a, b);
  renderSources(e, start, a, b);
  renderStrips(e, start, a, b);
  renderTrackChannels(e, a, b, holdBase);
  renderBuses(e, a, b, holdBase);
  renderMaster(e, start, a, b);
}

function clearMix(e, a, b) {
  e.master.left.fill(0, a, b);
  e.master.right.fill(0, a, b);
  const buses = e.buses;
  for (let i = 0; i < BUSES_MAX; i++) {
    const bus = buses[i];
    if (bus !== null) {
      bus.ch.left.fill(0, a, b);
      bus.ch.right.fill(0, a, b);
    }
  }
}

/**
 * Every track's source into its channel buffers; a bypassed track with a
 * quiet source is marked to skip this segment, one with sound wakes.
 */
function renderSources(e, start, a, b) {
  const tracks = e.tracks;
  const cap = e.capacity;
  for (let i = 0; i < tracks.length; i++) {
    const t = tracks[i];
    if (t === null) {
      continue;
    }
    const bypassed = t.ch.bypass.asleep;
    let quiet;
    if (t.sourceKind === SOURCE_INPUT) {
      if (!bypassed && t.input !== null && !t.inputSilent) {
        // The strip reads the input itself (renderStrips) and finds if it is quiet.
        t.inputPending = true;
        t.skip = false;
        continue;
      }
      quiet = renderInput(t, cap, start, a, b, bypassed);
    } else {
      const s = t.source;
      if (bypassed && s.isQuiet()) {
        quiet = true;
      } else {
        if (t.sourceKind === SOURCE_SYNTH) {
          s.render(t.ch.left, t.ch.right, a, b);
        } else {
          s.render(e.bank, t.ch.left, t.ch.right, a, b);
        }
        quiet = s.isQuiet();
      }
    }
    t.sourceQuiet = quiet;
    t.skip = bypassed && quiet;
    if (bypassed && !quiet) {
      t.ch.wake();
    }
  }
}

/** A track's input (flushed) into its channel buffers; true if quiet. */
function renderInput(t, cap, start, a, b, bypassed) {
  const input = t.inputSilent ? null : t.input;
  if (bypassed && inputIsQuiet(input, cap, start + a, b - a)) {
    return true; // asleep and nothing to wake it: touch nothing
  }
  const l = t.ch.left;
  const r = t.ch.right;
  if (input === null) {
    l.fill(0, a, b);
    r.fill(0, a, b);
    return true;
  }
  return copyFlushed(input, start, input, cap + start, l, r, a, b);
}

/**
 * Each live track's strip (EQ and compressor); skipped tracks stand still.
 * A track whose input renderSources left to its strip has it read and
 * flushed there (the same bits as renderInput's copy), and learns here
 * whether it was quiet.
 */
function renderStrips(e, start, a, b) {
  const tracks = e.tracks;
  const cap = e.capacity;
  for (let i = 0; i < tracks.length; i++) {
    const t = tracks[i];
    if (t === null || t.skip) {
      continue;
    }
    if (t.inputPending) {
      t.inputPending = false;
      const input = t.input;
      t.strip.processInput(input, start, input, cap + start, t.ch.left, t.ch.right, a, b);
      t.sourceQuiet = t.strip.inputQuiet;
    } else {
      // An input track's buffers hold its input flushed (renderInput).
      t.strip.process(t.ch.left, t.ch.right, a, b, t.sourceKind === SOURCE_INPUT);
    }
  }
}

/**
 * Each track after its strip: inserts, mute, pre-fader sends, fader and
 * pan, post-fader sends, into the master mix; then auto-bypass.
 */
function renderTrackChannels(e, a, b, holdBase) {
  const tracks = e.tracks;
  const buses = e.buses;
  const master = e.master;
  const meters = e.meters;
  const n = b - a;
  for (let ti = 0; ti < tracks.length; ti++) {
    const t = tracks[ti];
    if (t === null || t.skip) {
      continue;
    }
    const ch = t.ch;
    const afterQuiet = ch.runInserts(a, b, t.sourceQuiet);
    ch.applyMute(a, b);
    addSends(t.sends, true, buses, ch.left, ch.right, a, b);
    if (ch.out.isActive() || ch.out.isIdentity() || hasPostSends(t.sends)) {
      ch.out.process(ch.left, ch.right, a, b);
      addSends(t.sends, false, buses, ch.left, ch.right, a, b);
      mixAndMeter(master.left, master.right, ch.left, ch.right, a, b, meters, ti * METER_STRIDE);
    } else {
      // Nothing reads the post-fader signal but the mix and the meter: one pass.
      panMixAndMeter(ch.out.cur, master.left, master.right, ch.left, ch.right, a, b, meters, ti * METER_STRIDE);
    }
    let settled = false;
    if (ch.bypass.quietFrames + n >= holdBase) {
      settled = t.strip.isQuiet() && sendsSettled(t.sends);
    }
    if (ch.trySleep(t.sourceQuiet, afterQuiet, n, holdBase, settled)) {
      t.strip.resetLane();
    }
  }
}

function sendsSettled(sends) {
  for (let s = 0; s < BUSES_MAX; s++) {
    if (sends[s].gain.remaining !== 0) {
      return false;
    }
  }
  return true;
}

/**
 * Add frames `a..b` of (`left`, `right`) into the master mix and into the
 * meter at float `m` of `meters` (peaks, and sums of squares in f64: no f32
 * rounding on the loop's dependency chain; within f32 rounding of meterAdd's).
 */
function mixAndMeter(mixL, mixR, left, right, a, b, meters, m) {
  let pl = 0;
  let pr = 0;
  let sl = 0;
  let sr = 0;
  for (let i = a; i < b; i++) {
    const x = left[i];
    const y = right[i];
    mixL[i] += x;
    mixR[i] += y;
    const ax = Math.abs(x);
    const ay = Math.abs(y);
    if (ax > pl) {
      pl = ax;
    }
    if (ay > pr) {
      pr = ay;
    }
    sl += x * x;
    sr += y * y;
  }
  if (pl > meters[m]) {
    meters[m] = pl;
  }
  if (pr > meters[m + 1]) {
    meters[m + 1] = pr;
  }
  meters[m + 2] += sl;
  meters[m + 3] += sr;
}

/** True when any of `sends` is post-fader and not off. */
function hasPostSends(sends) {
  for (let s = 0; s < BUSES_MAX; s++) {
    const send = sends[s];
    if (!send.pre && !send.isOff()) {
      return true;
    }
  }
  return false;
}

/**
 * The fader and pan at rest (matrix `c`: [ll, rl, lr, rr], GainPan.process)
 * applied to frames `a..b` of (`left`, `right`), mixed into (`mixL`, `mixR`)
 * and metered at float `m` of `meters`, as GainPan.process then mixAndMeter
 * do in two passes, with the same bits (a ramp ending inside a segment
 * switches between the two, so output must not depend on which ran); the
 * channel's buffers keep the pre-fader signal.
 */
function panMixAndMeter(c, mixL, mixR, left, right, a, b, meters, m) {
  const ll = c[0];
  const rl = c[1];
  const lr = c[2];
  const rr = c[3];
  const T = FLUSH_THRESHOLD;
  const M = F32_MAX;
  let pl = 0;
  let pr = 0;
  let sl = 0;
  let sr = 0;
  for (let i = a; i < b; i++) {
    const u = left[i];
    const v = right[i];
    const xu = u * ll + v * rl;
    const yu = u * lr + v * rr;
    const ax0 = Math.abs(xu);
    const ay0 = Math.abs(yu);
    const x = fr(ax0 >= T && ax0 <= M ? xu : 0.0);
    const y = fr(ay0 >= T && ay0 <= M ? yu : 0.0);
    mixL[i] += x;
    mixR[i] += y;
    const ax = Math.abs(x);
    const ay = Math.abs(y);
    if (ax > pl) {
      pl = ax;
    }
    if (ay > pr) {
      pr = ay;
    }
    sl += x * x;
    sr += y * y;
  }
  if (pl > meters[m]) {
    meters[m] = pl;
  }
  if (pr > meters[m + 1]) {
    meters[m + 1] = pr;
  }
  meters[m + 2] += sl;
  meters[m + 3] += sr;
}

/** Add frames `a..b` of a track into every bus its pre-fader (`pre`) or post-fader sends reach. */
function addSends(sends, pre, buses, left, right, a, b) {
  for (let s = 0; s < BUSES_MAX; s++) {
    const send = sends[s];
    if (send.pre !== pre || send.isOff()) {
      continue;
    }
    const bus = buses[s];
    if (bus === null) {
      continue;
    }
    const g = send.gain;
    const dl = bus.ch.left;
    const dr = bus.ch.right;
    if (g.remaining === 0) {
      const k = g.current;
      for (let i = a; i < b; i++) {
        dl[i] += fr(left[i] * k);
        dr[i] += fr(right[i] * k);
      }
      continue;
    }
    // Both channels take the same gain sequence; the ramp advances once.
    const target = g.target;
    const step = g.step;
    let remaining = g.remaining;
    let current = g.current;
    for (let i = a; i < b; i++) {
      if (remaining > 0) {
        remaining--;
        current = fr(target - fr(step * remaining));
      }
      dl[i] += fr(left[i] * current);
      dr[i] += fr(right[i] * current);
    }
    g.remaining = remaining;
    g.current = current;
  }
}

/**
 * Each bus: inserts, mute, fader and pan, into the master mix; a bypassed
 * bus with nothing sent to it stays asleep.
 */
function renderBuses(e, a, b, holdBase) {
  const n = b - a;
  const nt = e.tracks.length;
  const master = e.master;
  const meters = e.meters;
  for (let bi = 0; bi < BUSES_MAX; bi++) {
    const bus = e.buses[bi];
    if (bus === null) {
      continue;
    }
    const ch = bus.ch;
    const sourceQuiet = quiet2(ch.left, ch.right, a, b);
    if (ch.bypass.asleep) {
      if (sourceQuiet) {
        continue;
      }
      ch.wake();
    }
    const afterQuiet = ch.runInserts(a, b, sourceQuiet);
    ch.applyMute(a, b);
    ch.out.process(ch.left, ch.right, a, b);
    mixAndMeter(master.left, master.right, ch.left, ch.right, a, b, meters, (nt + bi) * METER_STRIDE);
    ch.trySleep(sourceQuiet, afterQuiet, n, holdBase, true);
  }
}

/** The master: inserts, then its fader into the output, then its meter. */
function renderMaster(e, start, a, b) {
  const master = e.master;
  master.inserts.process(master.left, master.right, a, b);
  const out = e.output;
  const cap = e.capacity;
  const ml = master.left;
  const mr = master.right;
  const g = master.gain;
  const target = g.target;
  const step = g.step;
  let remaining = g.remaining;
  let gain = g.current;
  for (let i = a; i < b; i++) {
    if (remaining > 0) {
      remaining--;
      gain = fr(target - fr(step * remaining));
    }
    const x = fr(ml[i] * gain);
    const y = fr(mr[i] * gain);
    const ax = Math.abs(x);
    const ay = Math.abs(y);
    out[start + i] = ax >= FLUSH_THRESHOLD && ax <= F32_MAX ? x : 0;
    out[cap + start + i] = ay >= FLUSH_THRESHOLD && ay <= F32_MAX ? y : 0;
  }
  g.remaining = remaining;
  g.current = gain;
  meterAdd(e.meters, (e.tracks.length + BUSES_MAX) * METER_STRIDE, out, start + a, out, cap + start + a, b - a);
}
