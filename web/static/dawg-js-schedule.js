// Events and ramps (dsp_rust/src/engine/schedule.rs): checking an event
// against its target when it is queued, applying it when its frame comes,
// and stepping parameter ramps on the RAMP_STEP_FRAMES grid.

import { RAMPS_MAX } from "./dawg-js-config.js";
import {
  EVENT_NOTE_ON,
  EVENT_NOTE_OFF,
  EVENT_ALL_NOTES_OFF,
  EVENT_PARAM_SET,
  EVENT_PARAM_RAMP,
} from "./dawg-js-events.js";
import { TARGET_TRACK, targetKind, targetIndex, targetSlot } from "./dawg-js-targets.js";
import { PARAM_VALUE, checkTarget, applyParam, applyParamValue, getParam } from "./dawg-js-routing.js";
import { DAWG_OK } from "./dawg-js-status.js";

/** Parameters moving linearly from `from` to `to` over `total` frames, in parallel arrays. */
export class Ramps {
  constructor() {
    this.target = new Uint32Array(RAMPS_MAX);
    this.id = new Uint32Array(RAMPS_MAX);
    this.from = new Float32Array(RAMPS_MAX);
    this.to = new Float32Array(RAMPS_MAX);
    this.total = new Float64Array(RAMPS_MAX);
    this.done = new Float64Array(RAMPS_MAX);
    this.length = 0;
  }

  clear() {
    this.length = 0;
  }

  /** Remove the ramp of (`target`, `id`), if any, keeping the order of the rest. */
  removeFor(target, id) {
    let j = 0;
    for (let i = 0; i < this.length; i++) {
      if (this.target[i] === target && this.id[i] === id) {
        continue;
      }
      if (i !== j) {
        this.copy(i, j);
      }
      j++;
    }
    this.length = j;
  }

  copy(from, to) {
    this.target[to] = this.target[from];
    this.id[to] = this.id[from];
    this.from[to] = this.from[from];
    this.to[to] = this.to[from];
    this.total[to] = this.total[from];
    this.done[to] = this.done[from];
  }

  push(target, id, from, to, total) {
    const n = this.length;
    this.target[n] = target;
    this.id[n] = id;
    this.from[n] = from;
    this.to[n] = to;
    this.total[n] = total;
    this.done[n] = 0;
    this.length = n + 1;
  }
}

/** Whether event (`kind`, `target`, `id`) may be queued: its target exists and can take it. */
export function eventIsValid(e, kind, target, id) {
  if (kind === EVENT_NOTE_ON || kind === EVENT_NOTE_OFF || kind === EVENT_ALL_NOTES_OFF) {
    return targetKind(target) === TARGET_TRACK && targetSlot(target) === 0 && e.trackExists(targetIndex(target));
  }
  if (id >= e.params.count) {
    return false;
  }
  return checkTarget(e, target, id, false) === DAWG_OK;
}

/**
 * Apply event `i` of the queue `q`, due now: a note to its track's source,
 * or a parameter set or the start of a ramp (replacing a ramp of the same
 * parameter and target).
 */
export function applyEvent(e, q, i) {
  const kind = q.kind[i];
  const target = q.target[i];
  const id = q.id[i];
  if (kind === EVENT_NOTE_ON || kind === EVENT_NOTE_OFF || kind === EVENT_ALL_NOTES_OFF) {
    const index = targetIndex(target);
    const t = index < e.tracks.length ? e.tracks[index] : null;
    if (t !== null) {
      const note = id < 127 ? id : 127;
      if (t.source !== null) {
        if (kind === EVENT_NOTE_ON) {
          t.source.noteOn(note, q.value[i]);
        } else if (kind === EVENT_NOTE_OFF) {
          t.source.noteOff(note);
        } else {
          t.source.allNotesOff();
        }
      }
      t.ch.wake();
    }
    return;
  }
  if (kind !== EVENT_PARAM_SET && kind !== EVENT_PARAM_RAMP) {
    return;
  }
  const p = e.params;
  if (id >= p.count || checkTarget(e, target, id, false) !== DAWG_OK) {
    return;
  }
  e.ramps.removeFor(target, id);
  const to = p.clamp(id, q.value[i]);
  const total = Math.round(q.aux[i] * 1e-3 * e.sampleRateHz);
  if (kind === EVENT_PARAM_SET || total === 0 || p.stepped[id] !== 0) {
    applyParam(e, target, id, to);
  } else if (e.ramps.length < RAMPS_MAX) {
    let from = getParam(e, target, id);
    if (Number.isNaN(from)) {
      from = to;
    }
    e.ramps.push(target, id, from, to, total);
  } else {
    applyParam(e, target, id, to);
  }
}

/** Advance every ramp by `frames` and apply its new value. */
export function stepRamps(e, frames) {
  const r = e.ramps;
  let i = 0;
  while (i < r.length) {
    const total = r.total[i];
    const done = Math.min(r.done[i] + frames, total);
    r.done[i] = done;
    const finished = done >= total;
    const from = r.from[i];
    const to = r.to[i];
    PARAM_VALUE[0] = finished ? to : Math.fround(from + (to - from) * (done / total));
    applyParamValue(e, r.target[i], r.id[i]);
    if (finished) {
      const last = r.length - 1;
      if (i !== last) {
        r.copy(last, i);
      }
      r.length = last;
    } else {
      i++;
    }
  }
}
