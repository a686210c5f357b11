// dawg-schedule.js — a checked session at work in the browser (hand-written; not generated).
//
// A session parsed by dawg-session.js is turned into the worklet's configure
// ops in the order python/dawgwasm/_schedule.py's apply_session() makes its
// calls, and scheduled with schedule()'s exact arithmetic:
//   frames per beat = 60 / tempo_bpm * sampleRate,
//   frame           = floor(beat * frames per beat + 0.5),
//   patterns loop every pattern length, automation every length_beats,
//   each automation pass starting with every automated parameter set back to
//   its document value (automationStart, python's Track.automation_start),
//   events sorted by frame, note-offs before the other events of a frame,
//   otherwise in generation order (track, notes then automation, loop, entry).
// So the browser and wasmtime queue the very same events on the very same frames.

import { decodeTarget, encodeTarget } from "./dawg-rules.js";
import { Checker, NOTE_OFF, NOTE_ON, PARAM_RAMP, PARAM_SET, SessionError, channelTarget, digits, nearestFrame } from "./dawg-session.js";

const WORDS = 8;
const TWO_32 = 4294967296;

/** Duration of one pass of the session (length_beats), seconds: Python's length_seconds(). */
export function lengthSeconds(session) {
  return (session.lengthBeats * 60.0) / session.tempoBpm;
}

/** Frames of one pass at `sampleRate`, as Python's render_session counts them. */
export function passFrames(session, sampleRate) {
  return nearestFrame(lengthSeconds(session) * sampleRate);
}

/**
 * Names of the samples some track plays, in $.samples order (python's
 * used_samples()): only these are loaded; a declared but unused file is never fetched.
 */
export function usedSamples(session) {
  const used = new Set(session.tracks.map((t) => t.sample).filter((name) => name !== null));
  return Array.from(session.samples.keys()).filter((name) => used.has(name));
}

/**
 * The worklet configure ops that apply `session`, in apply_session()'s order.
 * Sample ops come first as {op: "sample", name} placeholders for the loader to
 * fill, one per sample some track plays.
 */
export function sessionOps(session, manifest) {
  const c = new Checker(manifest);
  const id = (name) => c.spec(name).id;
  const ops = [];
  for (const name of usedSamples(session)) ops.push({ op: "sample", name });
  ops.push({ op: "param", target: 0, id: id("tempo_bpm"), value: session.tempoBpm });
  ops.push({ op: "param", target: 0, id: id("master_gain_db"), value: session.masterGainDb });
  const inserts = (channel, list_) => {
    list_.forEach((ins, i) => {
      const slot = i + 1;
      ops.push({ op: "insert", channel, slot, kind: c.units.indexOf(ins.unit) + 1 });
      const layout = manifest.rules.targets;
      const { kind, index } = decodeTarget(layout, channel);
      const at = encodeTarget(layout, kind, index, slot);
      for (const [name, value] of ins.params) ops.push({ op: "param", target: at, id: id(name), value });
    });
  };
  session.buses.forEach((bus, b) => {
    const target = channelTarget(manifest, "bus", b);
    for (const [name, value] of bus.channel) ops.push({ op: "param", target, id: id(name), value });
    inserts(target, bus.inserts);
  });
  inserts(channelTarget(manifest, "master", 0), session.masterInserts);
  session.tracks.forEach((track, t) => {
    const target = channelTarget(manifest, "track", t);
    ops.push({ op: "source", track: t, kind: c.sources.indexOf(track.source) });
    if (track.sample !== null) ops.push({ op: "param", target, id: id("sampler_sample"), sample: track.sample });
    for (const [name, value] of track.sourceParams) ops.push({ op: "param", target, id: id(name), value });
    for (const [name, value] of track.strip) ops.push({ op: "param", target, id: id(name), value });
    inserts(target, track.inserts);
    for (const send of track.sends) {
      ops.push({ op: "param", target, id: id("send_" + (send.bus + 1) + "_db"), value: send.levelDb });
      ops.push({ op: "param", target, id: id("send_" + (send.bus + 1) + "_pre"), value: Number(send.pre) });
    }
    for (const [name, value] of track.channel) ops.push({ op: "param", target, id: id(name), value });
  });
  ops.push({ op: "reset" });
  return ops;
}

/**
 * Every parameter `track` automates, as {name, slot, value} in order of first
 * appearance, with the value the document gives it (source, strip, insert,
 * send or fader setting, else the table's default): python's
 * Track.automation_start(). Each pass of automation starts from these values.
 */
export function automationStart(track, manifest) {
  const c = new Checker(manifest);
  const documentValue = (name, slot) => {
    const settings = slot ? [track.inserts[slot - 1].params] : [track.sourceParams, track.strip, track.channel];
    for (const pairs of settings) for (const [n, v] of pairs) if (n === name) return v;
    if (!slot) {
      for (const send of track.sends) {
        if (name === "send_" + (send.bus + 1) + "_db") return send.levelDb;
        if (name === "send_" + (send.bus + 1) + "_pre") return Number(send.pre);
      }
    }
    return c.spec(name).default;
  };
  const out = [];
  const seen = new Set();
  for (const a of track.automation) {
    const key = a.slot + ":" + a.param;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ name: a.param, slot: a.slot, value: documentValue(a.param, a.slot) });
  }
  return out;
}

// Every event of the session in Python's generation order, before sorting:
// {frame, kind, target, id, value, aux, base} where base is the beat at which
// the loop (pattern repetition or automation pass) that produced it starts;
// only loops starting before beat `baseBefore` (default: all).
function generate(session, manifest, sampleRate, frames, baseBefore = Infinity) {
  const c = new Checker(manifest);
  const fpb = (60.0 / session.tempoBpm) * sampleRate;
  const events = [];
  session.tracks.forEach((track, t) => {
    const target = channelTarget(manifest, "track", t);
    if (track.notes.length > 0) {
      const loops = Math.ceil(frames / (track.patternBeats * fpb)) + 1;
      for (let k = 0; k < loops; k++) {
        const base = k * track.patternBeats;
        if (base >= baseBefore) break;
        for (const n of track.notes) {
          const on = nearestFrame((base + n.beat) * fpb);
          const off = nearestFrame((base + n.beat + n.lengthBeats) * fpb);
          if (on < frames) events.push({ frame: on, kind: NOTE_ON, target, id: n.note, value: n.velocity, aux: 0, base });
          if (off < frames) events.push({ frame: off, kind: NOTE_OFF, target, id: n.note, value: 0, aux: 0, base });
        }
      }
    }
    if (track.automation.length > 0) {
      const loops = Math.ceil(frames / (session.lengthBeats * fpb)) + 1;
      const start = automationStart(track, manifest);
      for (let k = 0; k < loops; k++) {
        const base = k * session.lengthBeats;
        if (base >= baseBefore) break;
        const first = nearestFrame(k * session.lengthBeats * fpb);
        if (first < frames) {
          for (const s of start) {
            const tgt = channelTarget(manifest, "track", t, s.slot);
            events.push({ frame: first, kind: PARAM_SET, target: tgt, id: c.spec(s.name).id, value: s.value, aux: 0, base });
          }
        }
        for (const a of track.automation) {
          const frame = nearestFrame((k * session.lengthBeats + a.beat) * fpb);
          if (frame >= frames) continue;
          const spec = c.spec(a.param);
          const tgt = channelTarget(manifest, "track", t, a.slot);
          if (a.rampMs > 0) events.push({ frame, kind: PARAM_RAMP, target: tgt, id: spec.id, value: a.value, aux: a.rampMs, base });
          else events.push({ frame, kind: PARAM_SET, target: tgt, id: spec.id, value: a.value, aux: 0, base });
        }
      }
    }
  });
  return events;
}

function byFrameOffsFirst(a, b) {
  return a.frame - b.frame || (a.kind !== NOTE_OFF) - (b.kind !== NOTE_OFF);
}

/**
 * Every event of the first `frames` frames of the session, ordered by frame:
 * exactly python's schedule(). Events are {frame, kind, target, id, value, aux}.
 */
export function schedule(session, manifest, sampleRate, frames) {
  if (!Number.isSafeInteger(frames) || frames < 0) {
    throw new RangeError("frames = " + String(frames) + " must be a whole number of frames, at least 0");
  }
  const fpb = (60.0 / session.tempoBpm) * sampleRate;
  let bound = 0;
  for (const t of session.tracks) {
    if (t.notes.length > 0) bound += 2 * t.notes.length * (Math.ceil(frames / (t.patternBeats * fpb)) + 1);
    if (t.automation.length > 0) {
      const perPass = t.automation.length + new Set(t.automation.map((a) => a.slot + ":" + a.param)).size;
      bound += perPass * (Math.ceil(frames / (session.lengthBeats * fpb)) + 1);
    }
  }
  const most = new Checker(manifest).sessionLimits.events_per_pass_max;
  if (!(bound <= most)) {
    throw new RangeError(
      "scheduling " + frames + " frames gives up to " + (Number.isFinite(bound) ? digits(bound) : "unboundedly many") +
        " events; at most " + most + " are allowed: schedule fewer frames, or loop the session"
    );
  }
  return generate(session, manifest, sampleRate, frames).sort(byFrameOffsFirst); // stable (ES2019)
}

/**
 * The worklet pattern for the session: {words, loopFrames, events}.
 *
 * loop (default): one pass of `passFrames` frames, played over and over. Its
 * events are python's schedule() of that pass, plus the events that the
 * pass's loops produce after its end (a note-off of a note held over the
 * loop point), wrapped to their frame in a later pass and marked (word 7) with
 * the first pass they play in. Pass 0 is then exactly schedule(pass frames);
 * every later pass is the same events plus those held over, which is what
 * schedule() gives for a longer render whenever the pass is a whole number of
 * frames and every pattern length divides length_beats (otherwise later
 * passes restart the patterns at each pass).
 *
 * loop false: python's schedule() of `frames` frames, played once.
 */
export function sessionPattern(session, manifest, sampleRate, { loop = true, frames } = {}) {
  let entries;
  let loopFrames = 0;
  if (!loop) {
    const n = frames === undefined ? passFrames(session, sampleRate) : frames;
    entries = schedule(session, manifest, sampleRate, n).map((e) => ({ ...e, minPass: 0 }));
  } else {
    loopFrames = passFrames(session, sampleRate);
    if (loopFrames < 1) throw new SessionError("$.length_beats", "one pass is shorter than a frame");
    const fpb = (60.0 / session.tempoBpm) * sampleRate;
    let longest = 0;
    for (const t of session.tracks) for (const n of t.notes) longest = Math.max(longest, n.lengthBeats);
    const horizon = loopFrames + nearestFrame(longest * fpb) + 2;
    // Pass 0: exactly schedule(loopFrames), in generation order.
    entries = generate(session, manifest, sampleRate, loopFrames).map((e) => ({ ...e, minPass: 0 }));
    // Held over: produced by a loop starting inside the pass, landing after it.
    for (const e of generate(session, manifest, sampleRate, horizon, session.lengthBeats)) {
      if (e.base >= session.lengthBeats || e.frame < loopFrames) continue;
      const minPass = Math.floor(e.frame / loopFrames);
      entries.push({ ...e, frame: e.frame - minPass * loopFrames, minPass });
    }
    // At one frame: note-offs first; among equals, what is held over from an
    // earlier pass first (it comes from an earlier loop, so python generates it first).
    entries.sort((a, b) => byFrameOffsFirst(a, b) || (a.minPass > 0 ? 0 : 1) - (b.minPass > 0 ? 0 : 1));
  }
  return { words: encodeEvents(entries), loopFrames, events: entries };
}

/** Event records (dawg-ring.js layout) for events {frame, kind, target, id, value, aux, minPass?}. */
export function encodeEvents(events) {
  const words = new Uint32Array(events.length * WORDS);
  const floats = new Float32Array(words.buffer);
  events.forEach((e, i) => {
    const w = i * WORDS;
    words[w] = e.frame % TWO_32;
    words[w + 1] = e.kind;
    words[w + 2] = e.target;
    words[w + 3] = e.id;
    floats[w + 4] = e.value;
    floats[w + 5] = e.aux || 0;
    words[w + 6] = Math.floor(e.frame / TWO_32);
    words[w + 7] = e.minPass || 0;
  });
  return words;
}
