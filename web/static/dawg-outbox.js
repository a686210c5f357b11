// dawg-outbox.js — how the main thread's parameter changes and events reach the
// processor (hand-written; not generated).
//
// With a ring (SharedArrayBuffer), parameter sets and timed events are written
// into it at once; a record the full ring refuses is counted and sent by
// message instead. Without one, they wait here and go in one {type: "events",
// words} message per flush: parameter sets coalesced (last write per target and
// parameter wins), then timed events in call order. Changes that may create a
// track or bus go in a {type: "params", changes} message. Flushes are scheduled
// once per animation frame (a timer covers a hidden tab), in a microtask
// without animation frames, and at once on an OfflineAudioContext.

import { PARAM_SET } from "./dawg-session.js";

const KEY_STRIDE = 65536; // coalescing key = target * KEY_STRIDE + id
const FLUSH_FALLBACK_MS = 50; // flush even if requestAnimationFrame never fires (tab hidden)
const WORDS = 8;
const TWO_32 = 4294967296;

/** Changes and events on their way to the processor. */
export class Outbox {
  #ring;
  #offline;
  #flush;
  #beforeStart;
  #pendingParams = new Map(); // "params" messages (may create a track or bus)
  #pendingSets = new Map(); // PARAM_SET now, coalesced (message transport)
  #pendingEvents = []; // words of timed events (message transport)
  #rafId = null;
  #timerId = null;
  #microtaskQueued = false;

  /**
   * @param {import("./dawg-ring.js").EventRing|null} ring  the event ring, or null (messages only)
   * @param {boolean} offline  on an OfflineAudioContext: every change is sent at once
   * @param {() => void} flush  called when a scheduled flush is due
   * @param {() => boolean} beforeStart  whether the context has not rendered a quantum yet
   */
  constructor(ring, offline, flush, beforeStart) {
    /** Records the full ring refused (sent by message instead). */
    this.ringRefusals = 0;
    this.#ring = ring;
    this.#offline = offline;
    this.#flush = flush;
    this.#beforeStart = beforeStart;
  }

  /** A change the processor applies with dawg_set_param on arrival (it may create a track or bus). */
  param(target, id, value) {
    this.#pendingParams.set(target * KEY_STRIDE + id, [target, id, value]);
    this.#schedule();
  }

  /** A parameter set, applied at the start of the next render quantum. */
  set(target, id, value) {
    if (this.#ring !== null) {
      if (this.#ring.push(0, PARAM_SET, target, id, value, 0)) return;
      this.ringRefusals++;
    }
    this.#pendingSets.set(target * KEY_STRIDE + id, [target, id, value]);
    this.#schedule();
  }

  /** A timed event at absolute context `frame`. */
  event(frame, kind, target, id, value, aux) {
    if (this.#ring !== null) {
      if (this.#ring.push(frame, kind, target, id, value, aux)) return;
      this.ringRefusals++;
    }
    const f = new Float32Array(2);
    f[0] = value;
    f[1] = aux;
    const bits = new Uint32Array(f.buffer);
    this.#pendingEvents.push(frame % TWO_32, kind, target, id, bits[0], bits[1], Math.floor(frame / TWO_32), 0);
    this.#schedule();
  }

  /** Post everything pending to `port`. */
  send(port) {
    if (this.#pendingParams.size > 0) {
      const changes = new Float64Array(this.#pendingParams.size * 3);
      let i = 0;
      for (const [target, id, value] of this.#pendingParams.values()) {
        changes[i] = target;
        changes[i + 1] = id;
        changes[i + 2] = value;
        i += 3;
      }
      this.#pendingParams.clear();
      port.postMessage({ type: "params", changes, beforeStart: this.#beforeStart() }, [changes.buffer]);
    }
    const sets = this.#pendingSets.size;
    const timed = this.#pendingEvents.length;
    if (sets + timed === 0) return;
    const words = new Uint32Array(sets * WORDS + timed);
    const floats = new Float32Array(words.buffer);
    let w = 0;
    for (const [target, id, value] of this.#pendingSets.values()) {
      words[w + 1] = PARAM_SET;
      words[w + 2] = target;
      words[w + 3] = id;
      floats[w + 4] = value;
      w += WORDS;
    }
    words.set(this.#pendingEvents, w);
    this.#pendingSets.clear();
    this.#pendingEvents = [];
    port.postMessage({ type: "events", words, beforeStart: this.#beforeStart() }, [words.buffer]);
  }

  /** Forget everything pending. */
  clear() {
    this.#pendingParams.clear();
    this.#pendingSets.clear();
    this.#pendingEvents = [];
  }

  #schedule() {
    if (this.#offline) {
      // No animation frames drive an offline render: send at once.
      this.#flush();
      return;
    }
    if (this.#rafId !== null || this.#timerId !== null || this.#microtaskQueued) return;
    const visible =
      typeof document === "undefined" || document.visibilityState === undefined ||
      document.visibilityState === "visible";
    if (typeof requestAnimationFrame === "function" && typeof document !== "undefined" && visible) {
      this.#rafId = requestAnimationFrame(() => {
        this.#rafId = null;
        this.#flush();
      });
      // A tab hidden after scheduling gets no frames; do not strand the changes.
      this.#timerId = setTimeout(() => {
        this.#timerId = null;
        this.#flush();
      }, FLUSH_FALLBACK_MS);
    } else if (typeof queueMicrotask === "function") {
      this.#microtaskQueued = true;
      queueMicrotask(() => {
        this.#microtaskQueued = false;
        this.#flush();
      });
    } else {
      this.#timerId = setTimeout(() => {
        this.#timerId = null;
        this.#flush();
      }, 0);
    }
  }

  /** Cancel a scheduled flush. */
  cancel() {
    if (this.#rafId !== null) {
      cancelAnimationFrame(this.#rafId);
      this.#rafId = null;
    }
    if (this.#timerId !== null) {
      clearTimeout(this.#timerId);
      this.#timerId = null;
    }
    // A queued microtask cannot be cancelled; it finds nothing pending and returns.
  }
}
