// dawg-worklet-events.js — events on the audio thread (hand-written; not
// generated): the pending store of timed records (from the ring or "events"
// messages, dawg-ring.js layout, absolute frames), the session's pattern with
// its passes, and their staging into the engine once per render quantum.
// Runs in AudioWorkletGlobalScope.
//
// A pattern holds the events of one pass of a session: record word 0/6 = frame
// within the pass, word 7 = the first pass it plays in (1 for a note-off
// spilling over from the pass before). Pass k starts at absolute frame
// start + k * loop (loop 0: play once).

import { EventRing, RECORD_WORDS } from "./dawg-ring.js";
import { isCount } from "./dawg-worklet-wasm.js";

const PENDING_MAX = 8192; // events held in the worklet until their quantum
const LATE_MAX_FRAMES = 1 << 15; // pattern events later than this (0.68 s at 48 kHz) are skipped
const EVENT_NOTE_ON = 0; // event kinds, as dsp_rust/src/events.rs numbers them
const EVENT_NOTE_OFF = 1;
const EVENT_PARAM_SET = 2;
const EVENT_ALL_NOTES_OFF = 4;
const STATUS_EVENTS_FULL = -14;
const TWO_32 = 4294967296;

// Copy record `w` of `from` into record `n` of the staging area `s`, at `offset`.
function stage(s, from, w, n, offset) {
  const d = n * RECORD_WORDS;
  s[d] = offset;
  s[d + 1] = from[w + 1];
  s[d + 2] = from[w + 2];
  s[d + 3] = from[w + 3];
  s[d + 4] = from[w + 4];
  s[d + 5] = from[w + 5];
  s[d + 6] = 0;
  s[d + 7] = 0;
}

/**
 * Whether record `i` (at word `w`), due at absolute `frame` before the join
 * frame `join`, is still played (late): a note-on whose note-off comes after
 * `join`, and every record that is not a note (parameter changes are state);
 * not a note-off, nor a note-on of a note already over.
 */
function chased(words, w, noteLen, i, frame, join) {
  const kind = words[w + 1];
  if (kind === EVENT_NOTE_OFF) return false;
  if (kind !== EVENT_NOTE_ON) return true;
  return noteLen !== null && frame + noteLen[i] > join;
}

/**
 * For each record of a pattern, the frames from a note-on to its note-off
 * (the next note-off of the same target and note, in this pass or, spilled
 * over, in the next); Infinity for a note-on without one and for every other
 * record. Runs when a pattern is set (it allocates), never per quantum.
 */
function noteLengths(words, loopFrames) {
  const count = words.length / RECORD_WORDS;
  const len = new Float64Array(count).fill(Infinity);
  const open = new Map(); // target and note -> indices of note-ons not yet ended, oldest first
  const frameOf = (i) => words[i * RECORD_WORDS] + words[i * RECORD_WORDS + 6] * TWO_32;
  const keyOf = (i) => words[i * RECORD_WORDS + 2] * 256 + words[i * RECORD_WORDS + 3];
  for (let i = 0; i < count; i++) {
    const kind = words[i * RECORD_WORDS + 1];
    const key = keyOf(i);
    if (kind === EVENT_NOTE_ON) {
      if (!open.has(key)) open.set(key, []);
      open.get(key).push(i);
    } else if (kind === EVENT_NOTE_OFF && words[i * RECORD_WORDS + 7] === 0) {
      const ons = open.get(key);
      if (ons !== undefined && ons.length > 0) {
        const on = ons.shift();
        len[on] = frameOf(i) - frameOf(on);
      }
    }
  }
  // Note-offs spilled over into the next pass end the notes still open.
  for (let i = 0; i < count; i++) {
    if (words[i * RECORD_WORDS + 1] !== EVENT_NOTE_OFF || words[i * RECORD_WORDS + 7] === 0) continue;
    const ons = open.get(keyOf(i));
    if (ons !== undefined && ons.length > 0) {
      const on = ons.shift();
      len[on] = loopFrames + frameOf(i) - frameOf(on);
    }
  }
  return len;
}

/** Pending events and the pattern, staged into the engine quantum by quantum. */
export class EventQueue {
  /**
   * @param {{kindShift: number, kindMask: number, indexMask: number, channelMask: number, bus: number}} targets
   */
  constructor(targets) {
    this.kindShift = targets.kindShift;
    this.kindMask = targets.kindMask;
    this.indexMask = targets.indexMask;
    this.channelMask = targets.channelMask;
    this.busKind = targets.bus;
    this.pending = new Uint32Array(PENDING_MAX * RECORD_WORDS);
    this.pendingFloats = new Float32Array(this.pending.buffer);
    this.pendingCount = 0;
    this.ring = null;
    this.rejected = 0; // events the engine refused (bad target or value)
    this.overflow = 0; // events dropped: pending store or engine queue full
    this.patWords = null;
    this.patCount = 0;
    this.patLoop = 0;
    this.patStart = 0;
    this.patPlaying = false;
    this.patPass = 0;
    this.patIndex = 0;
    this.patStartNext = false; // start at the next render quantum
    // Joining a pattern already playing (-1: not joining; -2: join at the
    // first quantum rendered, which sets the frame): of the events due before
    // it, notes still held then start on it, notes already over and
    // note-offs are skipped, the rest is applied late as always.
    this.patJoin = -1;
    this.patNoteLen = null; // per record: frames from a note-on to its note-off (Infinity: none)
  }

  /** Read records from the ring in `buffer` (a SharedArrayBuffer, dawg-ring.js). */
  attachRing(buffer) {
    this.ring = new EventRing(buffer);
  }

  // ---- message handler / constructor ---------------------------------------------

  /** Set the pattern from {words, loopFrames, startFrame, join?}; returns null, or what is wrong. */
  setPattern(p) {
    if (p === null || typeof p !== "object") return "a pattern must be an object";
    const words = p.words;
    if (!(words instanceof Uint32Array) || words.length % RECORD_WORDS !== 0) {
      return "words must be a Uint32Array of " + RECORD_WORDS + "-word records";
    }
    if (!isCount(p.loopFrames)) return "loopFrames must be a non-negative integer";
    if (typeof p.startFrame !== "number" || !Number.isInteger(p.startFrame)) return "startFrame must be an integer";
    if (p.join !== undefined && typeof p.join !== "boolean") return "join must be true or false";
    this.patJoin = p.join === true ? -2 : -1;
    this.patNoteLen = p.join === true ? noteLengths(words, p.loopFrames) : null;
    this.patWords = words;
    this.patCount = words.length / RECORD_WORDS;
    this.patLoop = p.loopFrames;
    this.startPattern(p.startFrame);
    return null;
  }

  /** Play the pattern from absolute `frame` (negative: keep it stopped). */
  startPattern(frame) {
    this.patStartNext = false;
    this.patStart = frame;
    this.patPass = 0;
    this.patIndex = 0;
    this.patPlaying = frame >= 0 && this.patWords !== null;
  }

  /** Play the pattern from absolute `frame` (at least 0), or with -1 from the next render quantum. */
  play(frame) {
    this.startPattern(Math.max(0, Math.floor(frame)));
    this.patStartNext = frame === -1;
  }

  /** Stop the pattern and release every note of tracks 0..tracks-1 from `frame` on. */
  stopAt(frame, tracks) {
    this.patPlaying = false;
    const pending = this.pending;
    for (let t = 0; t < tracks; t++) {
      if (this.pendingCount >= PENDING_MAX) {
        this.overflow++;
        break;
      }
      const w = this.pendingCount * RECORD_WORDS;
      pending[w] = frame % TWO_32;
      pending[w + 1] = EVENT_ALL_NOTES_OFF;
      pending[w + 2] = t;
      pending[w + 3] = 0;
      pending[w + 4] = 0;
      pending[w + 5] = 0;
      pending[w + 6] = Math.floor(frame / TWO_32);
      pending[w + 7] = 0;
      this.pendingCount++;
    }
  }

  /** Add the records of an "events" message; false if `words` is not a record array. */
  add(words) {
    if (!(words instanceof Uint32Array) || words.length % RECORD_WORDS !== 0) return false;
    let n = words.length / RECORD_WORDS;
    const room = PENDING_MAX - this.pendingCount;
    if (n > room) {
      this.overflow += n - room;
      n = room;
    }
    this.pending.set(words.subarray(0, n * RECORD_WORDS), this.pendingCount * RECORD_WORDS);
    this.pendingCount += n;
    return true;
  }

  /** How many records of `words` are due before `frame`. */
  dueBefore(words, frame) {
    if (!(words instanceof Uint32Array)) return 0;
    let late = 0;
    for (let w = 0; w + RECORD_WORDS <= words.length; w += RECORD_WORDS) {
      if (words[w] + words[w + 6] * TWO_32 < frame) late++;
    }
    return late;
  }

  // ---- render thread: everything below never allocates ------------------------

  // Move new records from the ring into the pending store.
  readRing() {
    if (this.ring !== null && this.pendingCount < PENDING_MAX) {
      this.pendingCount += this.ring.readInto(this.pending, this.pendingCount, PENDING_MAX - this.pendingCount);
    }
  }

  // First quantum: parameter sets already due are initial values. Apply them
  // at once (the caller then resets), so they hold from the first sample
  // without a ramp. dawg_set_param creates nothing here: every track exists,
  // and a bus target is taken only if the bus does (`busExists`; otherwise the
  // record stays an event, which the engine refuses like any event to a
  // missing channel). Returns how many were applied.
  applyInitial(ex, handle, busExists, qStart) {
    const p = this.pending;
    const count = this.pendingCount;
    let keep = 0;
    let applied = 0;
    for (let i = 0; i < count; i++) {
      const w = i * RECORD_WORDS;
      const target = p[w + 2];
      const channel = target & this.channelMask;
      const isBus = ((channel >>> this.kindShift) & this.kindMask) === this.busKind;
      const index = channel & this.indexMask;
      if (p[w + 1] === EVENT_PARAM_SET && p[w] + p[w + 6] * TWO_32 <= qStart &&
          (!isBus || (index < busExists.length && busExists[index] === 1))) {
        if (ex.dawg_set_param(handle, target, p[w + 3], this.pendingFloats[w + 4]) < 0) this.rejected++;
        else applied++;
      } else {
        if (keep !== i) p.copyWithin(keep * RECORD_WORDS, w, w + RECORD_WORDS);
        keep++;
      }
    }
    this.pendingCount = keep;
    return applied;
  }

  // Stage the pattern's and the pending events before qEnd into `staging`
  // (at most `stagingMax`), then queue them in the engine.
  push(ex, handle, staging, stagingMax, qStart, qEnd) {
    let n = 0;
    if (this.patJoin === -2) this.patJoin = qStart;
    if (this.patStartNext) {
      this.patStart = qStart;
      this.patStartNext = false;
    }
    if (this.patPlaying) n = this.stagePattern(staging, stagingMax, qStart, qEnd, n);
    if (this.pendingCount > 0) n = this.stagePending(staging, stagingMax, qStart, qEnd, n);
    if (n > 0) this.pushStaged(ex, handle, staging, n);
  }

  // Stage the pattern's events before qEnd; returns the new staged count.
  stagePattern(staging, stagingMax, qStart, qEnd, n) {
    const words = this.patWords;
    const count = this.patCount;
    const loop = this.patLoop;
    const start = this.patStart;
    const late = qStart - LATE_MAX_FRAMES;
    const join = this.patJoin;
    const noteLen = this.patNoteLen;
    let pass = this.patPass;
    let i = this.patIndex;
    if (loop > 0 && start + (pass + 1) * loop <= late) {
      // Far behind (a stall, or a start frame long gone): skip whole passes.
      pass = Math.floor((late - start) / loop);
      i = 0;
    }
    while (n < stagingMax) {
      if (i >= count) {
        if (loop === 0) {
          this.patPlaying = false;
          break;
        }
        pass++;
        i = 0;
        if (start + pass * loop >= qEnd) break;
        continue;
      }
      const w = i * RECORD_WORDS;
      const frame = start + pass * loop + words[w] + words[w + 6] * TWO_32;
      if (frame >= qEnd) break;
      if (words[w + 7] <= pass && frame >= late && (frame >= join || chased(words, w, noteLen, i, frame, join))) {
        stage(staging, words, w, n, frame > qStart ? frame - qStart : 0);
        n++;
      }
      i++;
    }
    this.patPass = pass;
    this.patIndex = i;
    return n;
  }

  // Stage pending events before qEnd (in arrival order), keep the rest.
  stagePending(staging, stagingMax, qStart, qEnd, n) {
    const p = this.pending;
    const count = this.pendingCount;
    let keep = 0;
    for (let i = 0; i < count; i++) {
      const w = i * RECORD_WORDS;
      const frame = p[w] + p[w + 6] * TWO_32;
      if (frame < qEnd && n < stagingMax) {
        stage(staging, p, w, n, frame > qStart ? frame - qStart : 0);
        n++;
      } else {
        if (keep !== i) p.copyWithin(keep * RECORD_WORDS, w, w + RECORD_WORDS);
        keep++;
      }
    }
    this.pendingCount = keep;
    return n;
  }

  // Queue the `n` staged events: one push, or one at a time if the batch is refused.
  pushStaged(ex, handle, staging, n) {
    const code = ex.dawg_events_push(handle, n);
    if (code === 0) return;
    if (code === STATUS_EVENTS_FULL) {
      this.overflow += n;
      return;
    }
    for (let i = 0; i < n; i++) {
      if (i > 0) staging.copyWithin(0, i * RECORD_WORDS, (i + 1) * RECORD_WORDS);
      const c = ex.dawg_events_push(handle, 1);
      if (c === STATUS_EVENTS_FULL) this.overflow++;
      else if (c !== 0) this.rejected++;
    }
  }
}
