// dawg-meters.js — the main thread's copy of the processor's meters
// (hand-written; not generated).
//
// A meter window is `meter_stride` floats per track, bus and the master (peak
// left and right, RMS left and right, state). It arrives in a seqlock-published
// SharedArrayBuffer block (dawg-ring.js; header words: 1 rejected, 2 overflow,
// 3 windows, 4 dropped) or in {type: "meters", data, rejected, overflow,
// dropped} messages whose buffers go back to the processor for reuse.

import { SEQLOCK_HEADER_WORDS, seqlockRead } from "./dawg-ring.js";

const METER_STATES = ["absent", "active", "bypassed"];

/** Floats in one meter window of an engine with `tracks` tracks. */
export function metersLength(limits, tracks) {
  return (tracks + (limits.buses_max || 8) + 1) * (limits.meter_stride || 6);
}

/** The latest meter window and the processor's counters. */
export class MeterReader {
  #data;
  #header = null;
  #shared = null;
  #stats = { windows: 0, rejected: 0, overflow: 0, dropped: 0 };

  /**
   * @param {object} limits  the manifest's limits
   * @param {number} tracks
   * @param {SharedArrayBuffer|null|undefined} shared  the seqlock block, or nothing (messages)
   */
  constructor(limits, tracks, shared) {
    const length = metersLength(limits, tracks);
    this.#data = new Float32Array(length);
    if (shared) {
      this.#header = new Int32Array(shared, 0, SEQLOCK_HEADER_WORDS);
      this.#shared = new Float32Array(shared, SEQLOCK_HEADER_WORDS * 4, length);
    }
  }

  /** Whether the meters come through shared memory. */
  get isShared() {
    return this.#shared !== null;
  }

  /** Take a "meters" message; returns whether it carried a window (whose buffer goes back). */
  receive(message) {
    if (!(message.data instanceof Float32Array)) return false;
    if (message.data.length === this.#data.length) this.#data.set(message.data);
    this.#stats.rejected = message.rejected;
    this.#stats.overflow = message.overflow;
    this.#stats.dropped = message.dropped;
    this.#stats.windows++;
    return true;
  }

  /** Take the counters of a "pong" (current as of every window completed before its ping). */
  counters(message) {
    this.#stats.rejected = message.rejected;
    this.#stats.overflow = message.overflow;
    this.#stats.dropped = message.dropped;
  }

  /**
   * The latest window per track, bus and master, with the counters; `refused`
   * (records the main thread could not write into the ring) adds to overflow.
   */
  read(limits, tracks, refused) {
    const data = this.#data;
    if (this.#shared !== null) {
      const seq = seqlockRead(this.#header, this.#shared, data);
      if (seq >= 0) {
        this.#stats.rejected = Atomics.load(this.#header, 1);
        this.#stats.overflow = Atomics.load(this.#header, 2);
        this.#stats.windows = Atomics.load(this.#header, 3);
        this.#stats.dropped = Atomics.load(this.#header, 4);
      }
    }
    const stride = limits.meter_stride || 6;
    const row = (i) => {
      const o = i * stride;
      return {
        peak: [data[o], data[o + 1]],
        rms: [data[o + 2], data[o + 3]],
        state: METER_STATES[data[o + 4]] || "absent",
      };
    };
    const buses = limits.buses_max || 8;
    const trackRows = [];
    for (let t = 0; t < tracks; t++) trackRows.push(row(t));
    const busRows = [];
    for (let b = 0; b < buses; b++) busRows.push(row(tracks + b));
    return {
      windows: this.#stats.windows,
      dropped: this.#stats.dropped,
      rejected: this.#stats.rejected,
      overflow: this.#stats.overflow + refused,
      tracks: trackRows,
      buses: busRows,
      master: row(tracks + buses),
    };
  }
}
