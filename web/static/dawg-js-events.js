// The sample-accurate event queue (dsp_rust/src/events.rs).
//
// Hosts write event records (eight 32-bit words: offset, kind, target, id,
// value f32, aux f32, 0, 0) into a staging area and commit them with one
// call; the queue keeps them ordered by frame offset (stable for equal
// offsets, so events at one frame apply in the order they were pushed).
// Offsets count frames from the start of the next process call; events
// beyond the frames one call renders stay queued for the next call.
// Capacity is fixed at creation: pushing never allocates.

/** Start a note: `id` is the MIDI note (0..=127), `value` the velocity. */
export const EVENT_NOTE_ON = 0;
/** Release a note: `id` is the MIDI note. */
export const EVENT_NOTE_OFF = 1;
/** Set parameter `id` of `target` to `value`. */
export const EVENT_PARAM_SET = 2;
/** Ramp parameter `id` of `target` linearly to `value` over `aux` milliseconds. */
export const EVENT_PARAM_RAMP = 3;
/** Release every note of the track `target`. */
export const EVENT_ALL_NOTES_OFF = 4;

/** Most events a staging area holds (one commit). */
export const EVENTS_STAGING_MAX = 1024;
/** Most events the queue holds at once. */
export const EVENTS_QUEUE_MAX = 8192;
/** 32-bit words per event record. */
export const EVENT_WORDS = 8;

/** Why a commit was refused: more events than fit. */
export const EVENT_ERR_FULL = 1;
/** Why a commit was refused: a malformed record or a target that cannot take it. */
export const EVENT_ERR_MALFORMED = 2;

/**
 * True if a record's shape is legal (kind, note range, finite values); its
 * value and aux are floats[w + 4] and floats[w + 5] (read here: doubles passed
 * to a call that is not inlined would be boxed).
 */
export function recordIsWellFormed(kind, id, floats, w) {
  const value = floats[w + 4];
  const aux = floats[w + 5];
  switch (kind) {
    case EVENT_NOTE_ON:
      return id <= 127 && Number.isFinite(value);
    case EVENT_NOTE_OFF:
    case EVENT_ALL_NOTES_OFF:
      return id <= 127;
    case EVENT_PARAM_SET:
      return Number.isFinite(value);
    case EVENT_PARAM_RAMP:
      return Number.isFinite(value) && Number.isFinite(aux) && aux >= 0;
    default:
      return false;
  }
}

/** The ordered queue, held in parallel typed arrays (`head` is the next event). */
export class EventQueue {
  constructor() {
    this.offset = new Uint32Array(EVENTS_QUEUE_MAX);
    this.kind = new Uint32Array(EVENTS_QUEUE_MAX);
    this.target = new Uint32Array(EVENTS_QUEUE_MAX);
    this.id = new Uint32Array(EVENTS_QUEUE_MAX);
    this.value = new Float32Array(EVENTS_QUEUE_MAX);
    this.aux = new Float32Array(EVENTS_QUEUE_MAX);
    this.head = 0;
    this.end = 0;
  }

  /**
   * Move `count` records, read from `words` (Uint32Array) and `floats`
   * (Float32Array) over the same memory starting at word `base`, into the
   * queue, each after every queued event with an offset not greater than
   * its own. All or nothing: `judge.acceptsEvent(kind, target, id)` sees
   * each record first and may refuse the whole commit. Returns 0 or an
   * EVENT_ERR_* code.
   */
  commit(count, words, floats, base, judge) {
    this.compact();
    if (count > EVENTS_STAGING_MAX || this.end + count > EVENTS_QUEUE_MAX) {
      return EVENT_ERR_FULL;
    }
    for (let i = 0; i < count; i++) {
      const w = base + i * EVENT_WORDS;
      const kind = words[w + 1];
      const id = words[w + 3];
      if (!recordIsWellFormed(kind, id, floats, w)) {
        return EVENT_ERR_MALFORMED;
      }
      if (!judge.acceptsEvent(kind, words[w + 2], id)) {
        return EVENT_ERR_MALFORMED;
      }
    }
    for (let i = 0; i < count; i++) {
      const w = base + i * EVENT_WORDS;
      const offset = words[w];
      let at = this.end;
      while (at > 0 && this.offset[at - 1] > offset) {
        at--;
      }
      this.offset.copyWithin(at + 1, at, this.end);
      this.kind.copyWithin(at + 1, at, this.end);
      this.target.copyWithin(at + 1, at, this.end);
      this.id.copyWithin(at + 1, at, this.end);
      this.value.copyWithin(at + 1, at, this.end);
      this.aux.copyWithin(at + 1, at, this.end);
      this.offset[at] = offset;
      this.kind[at] = words[w + 1];
      this.target[at] = words[w + 2];
      this.id[at] = words[w + 3];
      this.value[at] = floats[w + 4];
      this.aux[at] = floats[w + 5];
      this.end++;
    }
    return 0;
  }

  /** Offset of the earliest queued event, or -1 when none is queued. */
  nextOffset() {
    return this.head < this.end ? this.offset[this.head] : -1;
  }

  /** Index of the earliest event if its offset is `offset` or less (and pop it), else -1. */
  popDue(offset) {
    const h = this.head;
    if (h < this.end && this.offset[h] <= offset) {
      this.head = h + 1;
      return h;
    }
    return -1;
  }

  /** Drop the events already applied, keeping the order of the rest. */
  compact() {
    const h = this.head;
    if (h > 0) {
      const e = this.end;
      this.offset.copyWithin(0, h, e);
      this.kind.copyWithin(0, h, e);
      this.target.copyWithin(0, h, e);
      this.id.copyWithin(0, h, e);
      this.value.copyWithin(0, h, e);
      this.aux.copyWithin(0, h, e);
      this.end = e - h;
      this.head = 0;
    }
  }

  /** Shift every queued offset back by `frames` (after a call rendered them). */
  consume(frames) {
    this.compact();
    const off = this.offset;
    for (let i = 0; i < this.end; i++) {
      const o = off[i];
      off[i] = o > frames ? o - frames : 0;
    }
  }

  /** Events waiting. */
  get length() {
    return this.end - this.head;
  }

  /** Drop every queued event. */
  clear() {
    this.head = 0;
    this.end = 0;
  }
}
