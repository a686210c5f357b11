// dawg-worklet-meters.js — meter windows on the audio thread (hand-written;
// not generated). Runs in AudioWorkletGlobalScope.
//
// Every render quantum's meters (per track, bus and master: peak left and
// right, RMS left and right, state; `stride` floats each) are folded into a
// window of `quanta` quanta: peaks are the window's maximum, RMS its root mean
// square, the state the last one. A full window is published in a seqlock
// SharedArrayBuffer block (dawg-ring.js; header words below), or posted as
// {type: "meters", data, rejected, overflow, dropped, frame, busyMs, quanta} in a buffer from a
// pool that the main thread hands back ("meter-buffer"). A window completed
// while no buffer is free is dropped and counted. The pool holds METER_POOL
// buffers, or for an OfflineAudioContext one per window of the render, at most
// METER_POOL_BYTES_MAX bytes in all: allocated in setup(), never per quantum.

import { SEQLOCK_HEADER_WORDS } from "./dawg-ring.js";

const METER_POOL = 4; // meter buffers in flight (realtime)
const METER_POOL_BYTES_MAX = 8 * 1024 * 1024; // meter buffers of an offline render, bytes
// Seqlock header words of the meters block.
const M_SEQ = 0;
const M_REJECTED = 1;
const M_OVERFLOW = 2;
const M_WINDOWS = 3;
const M_DROPPED = 4;
const M_BUSY_MS = 5; // the processor's load counters (dawg-worklet-core.js)
const M_QUANTA = 6;

/** The meter window being gathered, and how full windows leave the audio thread. */
export class MeterWindow {
  /**
   * @param {MessagePort} port  where windows are posted without shared memory
   * @param {number} stride  floats per channel
   */
  constructor(port, stride) {
    this.port = port;
    this.stride = stride;
    this.quanta = 8; // quanta per window
    this.len = 0; // floats per window
    this.acc = null; // Float32Array window accumulator
    this.count = 0; // quanta in the window so far
    this.windows = 0; // windows completed (published or dropped)
    this.dropped = 0; // windows dropped: no free buffer in the pool
    this.poolSize = METER_POOL;
    this.header = null; // Int32Array (SharedArrayBuffer) or null
    this.shared = null; // Float32Array (SharedArrayBuffer) or null
    this.pool = null; // Float32Arrays to post, without a SharedArrayBuffer
    this.poolCount = 0;
    this.message = {
      type: "meters", data: null, rejected: 0, overflow: 0, dropped: 0, frame: 0, busyMs: 0, quanta: 0,
    };
    this.transfer = [null];
  }

  /**
   * Allocate for windows of `len` floats: views over the seqlock block `shared`
   * (a SharedArrayBuffer), or with `shared` null a pool of buffers sized for a
   * render of `renderFrames` frames (0: realtime) in quanta of `quantumFrames`.
   */
  setup(len, shared, renderFrames, quantumFrames) {
    this.len = len;
    this.acc = new Float32Array(len);
    if (shared !== null) {
      const need = (SEQLOCK_HEADER_WORDS + len) * 4;
      if (shared.byteLength < need) {
        throw new RangeError("processorOptions.meters holds " + shared.byteLength + " bytes; " + need + " needed");
      }
      this.header = new Int32Array(shared, 0, SEQLOCK_HEADER_WORDS);
      this.shared = new Float32Array(shared, SEQLOCK_HEADER_WORDS * 4, len);
    } else {
      // Offline, the whole render may be done before the main thread hands a
      // buffer back: hold one per window of the render, within the cap.
      const windows = Math.floor(Math.ceil(renderFrames / quantumFrames) / this.quanta);
      const most = Math.max(METER_POOL, Math.floor(METER_POOL_BYTES_MAX / (len * 4)));
      this.poolSize = Math.max(METER_POOL, Math.min(windows, most));
      this.pool = new Array(this.poolSize);
      for (let i = 0; i < this.poolSize; i++) this.pool[i] = new Float32Array(len);
      this.poolCount = this.poolSize;
    }
  }

  /** Take back a buffer the main thread is done with (a "meter-buffer" message). */
  giveBack(data) {
    if (this.pool !== null && data instanceof Float32Array &&
        data.length === this.len && this.poolCount < this.poolSize) {
      this.pool[this.poolCount++] = data;
    }
  }

  // ---- render thread: never allocates -------------------------------------------

  // Fold this quantum's meters (`m`, the engine's meter block) into the window;
  // publish a full window with the counters, the quantum's first frame and the
  // load counters (whole ms of work, quanta measured).
  fold(m, rejected, overflow, frame, busyMs, quanta) {
    const acc = this.acc;
    const stride = this.stride;
    const len = this.len;
    for (let c = 0; c + stride <= len; c += stride) {
      if (m[c] > acc[c]) acc[c] = m[c];
      if (m[c + 1] > acc[c + 1]) acc[c + 1] = m[c + 1];
      acc[c + 2] += m[c + 2] * m[c + 2];
      acc[c + 3] += m[c + 3] * m[c + 3];
      acc[c + 4] = m[c + 4];
    }
    if (++this.count < this.quanta) return;
    const inv = 1 / this.count;
    for (let c = 0; c + stride <= len; c += stride) {
      acc[c + 2] = Math.sqrt(acc[c + 2] * inv);
      acc[c + 3] = Math.sqrt(acc[c + 3] * inv);
    }
    this.windows++;
    if (this.shared !== null) {
      const h = this.header;
      Atomics.add(h, M_SEQ, 1); // odd: a write is in progress
      this.shared.set(acc);
      h[M_REJECTED] = rejected;
      h[M_OVERFLOW] = overflow;
      h[M_WINDOWS] = this.windows;
      h[M_DROPPED] = this.dropped;
      h[M_BUSY_MS] = busyMs;
      h[M_QUANTA] = quanta;
      Atomics.add(h, M_SEQ, 1); // even: consistent again
    } else if (this.poolCount > 0) {
      const buf = this.pool[--this.poolCount];
      this.pool[this.poolCount] = null;
      buf.set(acc);
      const msg = this.message;
      msg.data = buf;
      msg.rejected = rejected;
      msg.overflow = overflow;
      msg.dropped = this.dropped;
      msg.frame = frame;
      msg.busyMs = busyMs;
      msg.quanta = quanta;
      this.transfer[0] = buf.buffer;
      this.port.postMessage(msg, this.transfer);
      msg.data = null;
      this.transfer[0] = null;
    } else {
      this.dropped++;
    }
    acc.fill(0);
    this.count = 0;
  }
}
