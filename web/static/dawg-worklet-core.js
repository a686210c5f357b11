// dawg-worklet-core.js — the AudioWorklet side of dawgwasm (hand-written; not generated).
//
// Runs in AudioWorkletGlobalScope, where `registerProcessor`, `sampleRate`,
// `currentFrame` and `AudioWorkletProcessor` exist but `performance`, `fetch`
// and `TextDecoder` are not guaranteed. The generated `dawg-processor.js`
// imports this module and calls `registerDawgProcessor(config)` with the
// engine's data (processor name, ABI version, quantum, limits, parameter
// table, status texts); all code lives here.
//
// One processor hosts the whole mixer: input i of the node is track i (read
// only while track i's source is its input), output 0 is the stereo master.
// The wasm module arrives compiled in `processorOptions.module` and is
// instantiated synchronously in the constructor, so `process()` never runs
// before the engine exists.
//
// processorOptions: {module, tracks, maxQuanta, params: [[target, id, value]],
//   configure?: ops (applied in the constructor, see "configure" below),
//   pattern?: {words, loopFrames, startFrame} (as the "pattern" message),
//   ring?: SharedArrayBuffer (dawg-ring.js event ring; this side reads),
//   meters?: SharedArrayBuffer (seqlock block the meters are published in),
//   meterQuanta?: quanta per meter window (default 8),
//   renderFrames?: length of the OfflineAudioContext, frames (sizes the meter pool)}
//
// Before the first render quantum. A parameter set that reaches the processor
// before its first process() (a PARAM_SET record due at or before that
// quantum's first frame, from the ring or an "events" message, or a "params"
// or "configure" message) is an initial value: the first process() applies
// the records with dawg_set_param and then dawg_reset, so every such value
// holds from the first sample with no ramp (like the constructor's params, and
// Python's set-then-reset). Timed events (notes, ramps) then land on their
// frames as usual. Messages the main thread sent before an
// OfflineAudioContext started rendering carry `beforeStart: true`; one that
// arrives after rendering began is applied late and reported (a non-fatal
// error naming the frame), never silently.
//
// Messages from the main thread (port):
//   {type: "configure", seq, ops}  structure, applied in order (these allocate in
//       the engine: load time only), then every view of linear memory is rebuilt.
//       ops: {op: "source", track, kind} | {op: "insert", channel, slot, kind} |
//            {op: "sample", name, channels, frames, sampleRate, data: Float32Array planar} |
//            {op: "param", target, id, value} (or `sample: name` instead of value:
//                the id the bank gave that sample) | {op: "reset"}
//       Reply: {type: "configured", seq, ok, error?, applied}; the first failing op stops.
//   {type: "events", words: Uint32Array}  event records (dawg-ring.js layout, absolute
//       frames) — the path used when SharedArrayBuffer is not available.
//   {type: "pattern", seq, words: Uint32Array, loopFrames, startFrame}  the events of one
//       pass of a session: record word 0/6 = frame within the pass, word 7 = the first
//       pass it plays in (1 for a note-off spilling over from the pass before). Pass k
//       starts at absolute frame startFrame + k * loopFrames (loopFrames 0: play once);
//       startFrame < 0 keeps it stopped. Reply: {type: "pattern", seq, ok}.
//   {type: "transport", playing, frame}  start the pattern at absolute `frame` (-1: at
//       the next render quantum), or stop it now and release every note of every
//       track (ALL_NOTES_OFF) at `frame`.
//   {type: "params", changes}  [target, id, value, ...]: dawg_set_param at once (may
//       create a track or bus).
//   "events", "params" and "transport" may carry beforeStart: true (see above).
//   {type: "meter-buffer", data}  a meters Float32Array handed back for reuse.
//   {type: "ping", seq}  replied {type: "pong", seq, windows, dropped, rejected, overflow}
//       (every earlier message is applied; the counters are current).
//   {type: "reset"}            clear audio state; every parameter ramp jumps to its target.
//   {type: "dispose"}          free the engine; process() then returns false.
// Messages to the main thread (port):
//   {type: "meters", data: Float32Array, rejected, overflow, dropped, frame}  without a
//       meters SharedArrayBuffer, every meter window. Buffers come from a pool and are
//       transferred; the main thread hands them back with "meter-buffer". A window
//       completed while no buffer is free is dropped and counted (`dropped`). The pool
//       holds 4 buffers, or for an OfflineAudioContext (renderFrames) one per window of
//       the render, at most METER_POOL_BYTES_MAX bytes in all: allocated here in the
//       constructor, never in process().
//   {type: "error", message, fatal}  fatal: the processor outputs silence from now
//       on (posted once); not fatal: a rejected parameter change.
//
// Per quantum, process(): move new records from the ring into a preallocated
// pending store; stage (in the engine's event staging area) the pattern's
// events and the pending events whose absolute frame is before the end of this
// quantum, at offset frame - currentFrame (0 for late events); one
// dawg_events_push; copy inputs; dawg_process(h, 1); copy the output; fold the
// meters into the window. Real-time rules: no allocation (no array/object
// literals, closures or string building on the normal path), never throws.

import { EventRing, RECORD_WORDS, SEQLOCK_HEADER_WORDS } from "./dawg-ring.js";

const WEB_AUDIO_QUANTUM_FRAMES = 128;
const PENDING_MAX = 8192; // events held in the worklet until their quantum
const LATE_MAX_FRAMES = 1 << 15; // pattern events later than this (0.68 s at 48 kHz) are skipped
const METER_POOL = 4; // meter buffers in flight (realtime)
const METER_POOL_BYTES_MAX = 8 * 1024 * 1024; // meter buffers of an offline render, bytes
const EVENT_PARAM_SET = 2;
const STATUS_EVENTS_FULL = -14;
const EVENT_ALL_NOTES_OFF = 4;
const TWO_32 = 4294967296;
// Seqlock header words of the meters block.
const M_SEQ = 0;
const M_REJECTED = 1;
const M_OVERFLOW = 2;
const M_WINDOWS = 3;
const M_DROPPED = 4;

const REQUIRED_EXPORTS = [
  "memory",
  "dawg_abi_version",
  "dawg_engine_new",
  "dawg_capacity_frames",
  "dawg_input_ptr",
  "dawg_output_ptr",
  "dawg_set_param",
  "dawg_reset",
  "dawg_process",
  "dawg_track_source",
  "dawg_insert_set",
  "dawg_events_ptr",
  "dawg_events_push",
  "dawg_meters_ptr",
  "dawg_meters_len",
];

const SAMPLE_EXPORTS = ["dawg_sample_add", "dawg_sample_ptr", "dawg_sample_commit"];

function errorText(err) {
  if (err instanceof Error) return err.message;
  return String(err);
}

function fillSilence(channels) {
  if (channels === undefined) return;
  for (let c = 0; c < channels.length; c++) channels[c].fill(0);
}

function isCount(x) {
  return Number.isInteger(x) && x >= 0;
}

/**
 * Define and register the dawgwasm AudioWorkletProcessor.
 *
 * @param {{processor_name: string, abi_version: number, quantum_frames: number,
 *          limits: Object<string, number>,
 *          params: Array<{id: number, name: string, scope: string, min: number, max: number}>,
 *          status: Object<string, string>}} config  data from the build's manifest
 * @returns {Function} the registered processor class
 */
export function registerDawgProcessor(config) {
  if (config === null || typeof config !== "object") {
    throw new TypeError("registerDawgProcessor: config must be an object");
  }
  if (typeof config.processor_name !== "string" || config.processor_name === "") {
    throw new TypeError("registerDawgProcessor: config.processor_name must be a non-empty string");
  }
  const status = config.status && typeof config.status === "object" ? config.status : {};
  const limits = config.limits && typeof config.limits === "object" ? config.limits : {};
  const paramNames = new Map();
  for (const p of Array.isArray(config.params) ? config.params : []) paramNames.set(p.id, p.name);
  // The target layout (manifest.rules.targets), as plain numbers for the audio thread.
  const layout = config.rules && config.rules.targets;
  if (layout === null || typeof layout !== "object" || layout.kinds === null || typeof layout.kinds !== "object") {
    throw new TypeError("registerDawgProcessor: config.rules.targets must be the manifest's target layout");
  }
  const KIND_SHIFT = layout.kind_shift;
  const KIND_MASK = (1 << layout.kind_bits) - 1;
  const INDEX_MASK = (1 << layout.index_bits) - 1;
  const CHANNEL_MASK = (1 << layout.slot_shift) - 1;
  const TARGET_BUS = layout.kinds.bus;

  function statusText(code) {
    const text = status[String(code)];
    return text === undefined ? "status " + code : text + " (status " + code + ")";
  }

  function paramLabel(id) {
    const name = paramNames.get(id);
    return name === undefined ? "parameter id " + id : name + " (id " + id + ")";
  }

  class DawgProcessor extends AudioWorkletProcessor {
    constructor(options) {
      super();
      this.failed = false;
      this.disposed = false;
      this.errorPosted = false;
      this.exports = null;
      this.memory = null;
      this.handle = 0;
      this.tracks = 0;
      this.capacity = 0;
      this.sourceKinds = null; // Int32Array: source kind per track (0 input)
      this.inputPtrs = null; // Uint32Array: input buffer per track, 0 if not mapped
      this.inputList = null; // Int32Array: mapped tracks, inputCount of them
      this.inputCount = 0;
      this.outputPtr = 0;
      this.inL = null;
      this.inR = null;
      this.outL = null;
      this.outR = null;
      this.viewsBuffer = null;
      this.sampleIds = new Map();
      // Events.
      this.stagingPtr = 0;
      this.stagingMax = 0;
      this.staging = null; // Uint32Array over the engine's staging area
      this.pending = new Uint32Array(PENDING_MAX * RECORD_WORDS);
      this.pendingFloats = new Float32Array(this.pending.buffer);
      this.pendingCount = 0;
      this.ring = null;
      this.rejected = 0; // events the engine refused (bad target or value)
      this.overflow = 0; // events dropped: pending store or engine queue full
      // Before the first render quantum (see the header).
      this.started = false; // process() has rendered a quantum
      this.nextFrame = 0; // first frame of the next quantum to render
      this.resetAtStart = false; // a parameter was set by message before the first quantum
      this.busExists = null; // Uint8Array: bus b created (dawg_set_param on it cannot allocate)
      // Pattern (session transport).
      this.patWords = null;
      this.patCount = 0;
      this.patLoop = 0;
      this.patStart = 0;
      this.patPlaying = false;
      this.patPass = 0;
      this.patIndex = 0;
      this.patStartNext = false; // start at the next render quantum
      // Meters.
      this.metersPtr = 0;
      this.metersLen = 0;
      this.metersView = null;
      this.meterStride = limits.meter_stride > 0 ? limits.meter_stride : 6;
      this.meterQuanta = 8;
      this.meterAcc = null; // Float32Array window accumulator
      this.meterCount = 0; // quanta in the window so far
      this.meterWindows = 0; // windows completed (published or dropped)
      this.meterDropped = 0; // windows dropped: no free buffer in the pool
      this.meterPoolSize = METER_POOL;
      this.meterHeader = null; // Int32Array (SharedArrayBuffer) or null
      this.meterShared = null; // Float32Array (SharedArrayBuffer) or null
      this.meterPool = null; // Float32Arrays to post, without a SharedArrayBuffer
      this.meterPoolCount = 0;
      this.meterMessage = { type: "meters", data: null, rejected: 0, overflow: 0, dropped: 0, frame: 0 };
      this.meterTransfer = [null];
      this.port.onmessage = (event) => this.onMessage(event.data);
      try {
        this.init(options);
      } catch (err) {
        this.fail("could not start: " + errorText(err));
      }
    }

    init(options) {
      const opts = options && options.processorOptions;
      if (!opts || typeof opts !== "object") {
        throw new TypeError("processorOptions missing; create the node with createDawgEngine()");
      }
      if (config.quantum_frames !== WEB_AUDIO_QUANTUM_FRAMES) {
        throw new RangeError(
          "this build renders " + config.quantum_frames + "-frame quanta but Web Audio renders " +
          WEB_AUDIO_QUANTUM_FRAMES + "-frame quanta; rebuild with a quantum of " +
          WEB_AUDIO_QUANTUM_FRAMES + " frames"
        );
      }
      if (!(opts.module instanceof WebAssembly.Module)) {
        throw new TypeError("processorOptions.module must be a compiled WebAssembly.Module");
      }
      const tracks = opts.tracks;
      if (!Number.isInteger(tracks) || tracks < 1) {
        throw new RangeError("processorOptions.tracks must be a positive integer, got " + tracks);
      }
      const maxQuanta = opts.maxQuanta === undefined ? 1 : opts.maxQuanta;
      if (!Number.isInteger(maxQuanta) || maxQuanta < 1) {
        throw new RangeError("processorOptions.maxQuanta must be a positive integer, got " + maxQuanta);
      }
      if (opts.meterQuanta !== undefined) {
        if (!Number.isInteger(opts.meterQuanta) || opts.meterQuanta < 1) {
          throw new RangeError("processorOptions.meterQuanta must be a positive integer");
        }
        this.meterQuanta = opts.meterQuanta;
      }

      const renderFrames = opts.renderFrames === undefined ? 0 : opts.renderFrames;
      if (!Number.isSafeInteger(renderFrames) || renderFrames < 0) {
        throw new RangeError("processorOptions.renderFrames must be a non-negative integer");
      }

      const instance = new WebAssembly.Instance(opts.module, {});
      const ex = instance.exports;
      const missing = REQUIRED_EXPORTS.filter((name) => !(name in ex));
      if (missing.length > 0) {
        throw new Error("the wasm module lacks the exports " + missing.join(", ") + "; it is not a dawgwasm engine");
      }
      const abi = ex.dawg_abi_version() >>> 0;
      if (abi !== config.abi_version) {
        throw new Error(
          "the wasm module implements ABI v" + abi + " but this glue expects v" + config.abi_version +
          "; serve the dist/ folder from one `dawgwasm build`"
        );
      }

      const handle = ex.dawg_engine_new(sampleRate, tracks, WEB_AUDIO_QUANTUM_FRAMES, maxQuanta);
      if (handle < 1) {
        throw new Error(
          "dawg_engine_new(sampleRate=" + sampleRate + ", tracks=" + tracks + ", quantum=" +
          WEB_AUDIO_QUANTUM_FRAMES + ", maxQuanta=" + maxQuanta + ") failed: " + statusText(handle)
        );
      }
      this.exports = ex;
      this.memory = ex.memory;
      this.handle = handle;
      this.tracks = tracks;
      this.sourceKinds = new Int32Array(tracks); // every track starts as an input track
      this.inputPtrs = new Uint32Array(tracks);
      this.inputList = new Int32Array(tracks);
      this.inL = new Array(tracks).fill(null);
      this.inR = new Array(tracks).fill(null);
      this.busExists = new Uint8Array(limits.buses_max > 0 ? limits.buses_max : 8);

      this.capacity = ex.dawg_capacity_frames(handle) >>> 0;
      if (this.capacity < WEB_AUDIO_QUANTUM_FRAMES) {
        throw new Error("engine buffers hold " + this.capacity + " frames, fewer than one render quantum");
      }

      if (opts.configure !== undefined) {
        const result = this.applyOps(opts.configure);
        if (result.error !== null) throw new Error("processorOptions.configure: " + result.error);
      }
      const initial = opts.params === undefined ? [] : opts.params;
      if (!Array.isArray(initial)) {
        throw new TypeError("processorOptions.params must be an array of [target, id, value]");
      }
      for (const entry of initial) {
        if (!Array.isArray(entry) || entry.length !== 3) {
          throw new TypeError("processorOptions.params entries must be [target, id, value]");
        }
        const problem = this.setParam(entry[0], entry[1], entry[2]);
        if (problem !== null) throw new Error("initial parameter rejected: " + problem);
      }
      // Initial values hold from the first sample: no ramp from the defaults.
      ex.dawg_reset(handle);

      this.outputPtr = ex.dawg_output_ptr(handle) >>> 0;
      if (this.outputPtr === 0 || this.outputPtr % 4 !== 0) {
        throw new Error("dawg_output_ptr returned " + this.outputPtr);
      }
      this.stagingPtr = ex.dawg_events_ptr(handle) >>> 0;
      this.stagingMax = limits.events_per_push_max > 0 ? limits.events_per_push_max : 0;
      if (this.stagingPtr === 0 || this.stagingMax === 0) {
        throw new Error("the engine has no event staging area (dawg_events_ptr returned " + this.stagingPtr + ")");
      }
      this.metersPtr = ex.dawg_meters_ptr(handle) >>> 0;
      this.metersLen = ex.dawg_meters_len(handle) >>> 0;
      this.meterAcc = new Float32Array(this.metersLen);
      // Without cross-origin isolation SharedArrayBuffer is not even defined.
      const shared = typeof SharedArrayBuffer === "function";
      if (shared && opts.meters instanceof SharedArrayBuffer) {
        const need = (SEQLOCK_HEADER_WORDS + this.metersLen) * 4;
        if (opts.meters.byteLength < need) {
          throw new RangeError("processorOptions.meters holds " + opts.meters.byteLength + " bytes; " + need + " needed");
        }
        this.meterHeader = new Int32Array(opts.meters, 0, SEQLOCK_HEADER_WORDS);
        this.meterShared = new Float32Array(opts.meters, SEQLOCK_HEADER_WORDS * 4, this.metersLen);
      } else {
        // Offline, the whole render may be done before the main thread hands a
        // buffer back: hold one per window of the render, within the cap.
        const windows = Math.floor(Math.ceil(renderFrames / WEB_AUDIO_QUANTUM_FRAMES) / this.meterQuanta);
        const most = Math.max(METER_POOL, Math.floor(METER_POOL_BYTES_MAX / (this.metersLen * 4)));
        this.meterPoolSize = Math.max(METER_POOL, Math.min(windows, most));
        this.meterPool = new Array(this.meterPoolSize);
        for (let i = 0; i < this.meterPoolSize; i++) this.meterPool[i] = new Float32Array(this.metersLen);
        this.meterPoolCount = this.meterPoolSize;
      }
      if (shared && opts.ring instanceof SharedArrayBuffer) this.ring = new EventRing(opts.ring);
      this.mapInputs();
      this.buildViews();
      if (opts.pattern !== undefined && opts.pattern !== null) {
        const problem = this.setPattern(opts.pattern);
        if (problem !== null) throw new Error("processorOptions.pattern: " + problem);
      }
    }

    // Map the input buffer of every track whose source is its input (creating
    // the buffer, and the track, on first use); forget the others. Allocates.
    mapInputs() {
      const ex = this.exports;
      let n = 0;
      for (let t = 0; t < this.tracks; t++) {
        if (this.sourceKinds[t] !== 0) {
          this.inputPtrs[t] = 0;
          continue;
        }
        if (this.inputPtrs[t] === 0) {
          const ptr = ex.dawg_input_ptr(this.handle, t) >>> 0;
          if (ptr === 0 || ptr % 4 !== 0) throw new Error("dawg_input_ptr(track " + t + ") returned " + ptr);
          this.inputPtrs[t] = ptr;
        }
        this.inputList[n++] = t;
      }
      this.inputCount = n;
    }

    // (Re)build the typed-array views over linear memory. Pointers stay valid
    // for the engine's life; only the ArrayBuffer changes when memory grows.
    buildViews() {
      const buffer = this.memory.buffer;
      const q = WEB_AUDIO_QUANTUM_FRAMES;
      const rightOffset = this.capacity * 4;
      for (let t = 0; t < this.tracks; t++) {
        const ptr = this.inputPtrs[t];
        this.inL[t] = ptr === 0 ? null : new Float32Array(buffer, ptr, q);
        this.inR[t] = ptr === 0 ? null : new Float32Array(buffer, ptr + rightOffset, q);
      }
      this.outL = new Float32Array(buffer, this.outputPtr, q);
      this.outR = new Float32Array(buffer, this.outputPtr + rightOffset, q);
      this.staging = new Uint32Array(buffer, this.stagingPtr, this.stagingMax * RECORD_WORDS);
      this.metersView = new Float32Array(buffer, this.metersPtr, this.metersLen);
      this.viewsBuffer = buffer;
    }

    // Apply one change; returns null when applied (or clamped), else a description.
    setParam(target, id, value) {
      if (!Number.isInteger(target) || target < 0 || !Number.isInteger(id) || id < 0) {
        return "target " + target + " / id " + id + " must be non-negative integers";
      }
      if (typeof value !== "number") return paramLabel(id) + " value must be a number, got " + typeof value;
      const code = this.exports.dawg_set_param(this.handle, target, id, value);
      if (code < 0) return paramLabel(id) + " on target " + target + " = " + value + ": " + statusText(code);
      this.noteBus(target);
      return null;
    }

    // Remember that the bus of `target` exists (a call on it succeeded).
    noteBus(target) {
      const index = target & INDEX_MASK;
      if (((target >>> KIND_SHIFT) & KIND_MASK) === TARGET_BUS && index < this.busExists.length) this.busExists[index] = 1;
    }

    // ---- configuration (message handler / constructor only: allocates) ----------

    applyOps(ops) {
      if (!Array.isArray(ops)) return { applied: 0, error: "ops must be an array" };
      let error = null;
      let applied = 0;
      try {
        for (; applied < ops.length; applied++) {
          const problem = this.applyOp(ops[applied]);
          if (problem !== null) {
            error = "op " + applied + " (" + describeOp(ops[applied]) + "): " + problem;
            break;
          }
        }
      } finally {
        // Whatever happened, memory may have grown and sources changed.
        if (this.staging !== null || this.viewsBuffer !== null) {
          this.mapInputs();
          this.buildViews();
        }
      }
      return { applied, error };
    }

    applyOp(op) {
      if (op === null || typeof op !== "object") return "an op must be an object";
      const ex = this.exports;
      const h = this.handle;
      switch (op.op) {
        case "source": {
          if (!isCount(op.track) || op.track >= this.tracks) return "track must be 0.." + (this.tracks - 1);
          if (!isCount(op.kind)) return "kind must be a source kind number";
          const code = ex.dawg_track_source(h, op.track, op.kind);
          if (code < 0) return statusText(code);
          this.sourceKinds[op.track] = op.kind;
          return null;
        }
        case "insert": {
          if (!isCount(op.channel) || !isCount(op.slot) || !isCount(op.kind)) {
            return "channel, slot and kind must be non-negative integers";
          }
          const code = ex.dawg_insert_set(h, op.channel, op.slot, op.kind);
          if (code < 0) return statusText(code);
          this.noteBus(op.channel);
          return null;
        }
        case "sample":
          return this.addSample(op);
        case "param": {
          let value = op.value;
          if (op.sample !== undefined) {
            value = this.sampleIds.get(op.sample);
            if (value === undefined) return "no sample named " + JSON.stringify(op.sample) + " was added";
          }
          return this.setParam(op.target, op.id, value);
        }
        case "reset":
          ex.dawg_reset(h);
          return null;
        default:
          return "unknown op " + JSON.stringify(op.op) + "; ops are source, insert, sample, param, reset";
      }
    }

    addSample(op) {
      const ex = this.exports;
      for (const name of SAMPLE_EXPORTS) {
        if (!(name in ex)) return "this engine build has no sample bank (" + name + " missing)";
      }
      const { channels, frames, sampleRate: rate, data } = op;
      if ((channels !== 1 && channels !== 2) || !Number.isInteger(frames) || frames < 1) {
        return "channels must be 1 or 2 and frames a positive integer";
      }
      if (!(data instanceof Float32Array) || data.length !== channels * frames) {
        return "data must be a Float32Array of channels * frames (" + channels * frames + ") planar samples";
      }
      if (typeof rate !== "number" || !Number.isFinite(rate)) return "sampleRate must be a finite number";
      const id = ex.dawg_sample_add(this.handle, frames, channels, rate);
      if (id < 0) return statusText(id);
      const ptr = ex.dawg_sample_ptr(this.handle, id) >>> 0;
      if (ptr === 0 || ptr % 4 !== 0) return "dawg_sample_ptr returned " + ptr;
      new Float32Array(this.memory.buffer, ptr, channels * frames).set(data);
      const code = ex.dawg_sample_commit(this.handle, id);
      if (code < 0) return statusText(code);
      if (typeof op.name === "string") this.sampleIds.set(op.name, id);
      return null;
    }

    setPattern(p) {
      if (p === null || typeof p !== "object") return "a pattern must be an object";
      const words = p.words;
      if (!(words instanceof Uint32Array) || words.length % RECORD_WORDS !== 0) {
        return "words must be a Uint32Array of " + RECORD_WORDS + "-word records";
      }
      if (!isCount(p.loopFrames)) return "loopFrames must be a non-negative integer";
      if (typeof p.startFrame !== "number" || !Number.isInteger(p.startFrame)) return "startFrame must be an integer";
      this.patWords = words;
      this.patCount = words.length / RECORD_WORDS;
      this.patLoop = p.loopFrames;
      this.startPattern(p.startFrame);
      return null;
    }

    startPattern(frame) {
      this.patStartNext = false;
      this.patStart = frame;
      this.patPass = 0;
      this.patIndex = 0;
      this.patPlaying = frame >= 0 && this.patWords !== null;
    }

    // Stop the pattern and release every note from `frame` on (all created tracks).
    stopAt(frame) {
      this.patPlaying = false;
      const pending = this.pending;
      for (let t = 0; t < this.tracks; t++) {
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

    addEvents(words) {
      if (!(words instanceof Uint32Array) || words.length % RECORD_WORDS !== 0) {
        this.postError("ignored an events message: words must be a Uint32Array of " + RECORD_WORDS + "-word records", false);
        return;
      }
      let n = words.length / RECORD_WORDS;
      const room = PENDING_MAX - this.pendingCount;
      if (n > room) {
        this.overflow += n - room;
        n = room;
      }
      this.pending.set(words.subarray(0, n * RECORD_WORDS), this.pendingCount * RECORD_WORDS);
      this.pendingCount += n;
    }

    onMessage(data) {
      if (this.failed || this.disposed || data === null || typeof data !== "object") {
        if (data && typeof data === "object" && data.seq !== undefined) this.reply(data, false, "the processor is not running");
        return;
      }
      try {
        switch (data.type) {
          case "configure": {
            const result = this.applyOps(data.ops);
            if (!this.started) this.resetAtStart = true;
            this.port.postMessage({
              type: "configured",
              seq: data.seq,
              ok: result.error === null,
              error: result.error === null ? undefined : result.error,
              applied: result.applied,
            });
            break;
          }
          case "events":
            if (data.beforeStart === true && this.started) this.reportLateEvents(data.words);
            this.addEvents(data.words);
            break;
          case "pattern": {
            const problem = this.setPattern(data);
            this.reply(data, problem === null, problem);
            break;
          }
          case "transport":
            if (typeof data.frame !== "number" || !(data.frame >= -1)) break;
            if (data.beforeStart === true && this.started && data.frame < this.nextFrame) {
              this.reportLate(data.playing ? "play()" : "stop()");
            }
            if (data.playing) {
              this.startPattern(Math.max(0, Math.floor(data.frame)));
              this.patStartNext = data.frame === -1;
            } else {
              this.stopAt(Math.max(0, Math.floor(data.frame)));
            }
            break;
          case "params":
            if (data.beforeStart === true && this.started) this.reportLate("a parameter change");
            this.applyChanges(data.changes);
            if (!this.started) this.resetAtStart = true;
            break;
          case "meter-buffer":
            if (this.meterPool !== null && data.data instanceof Float32Array &&
                data.data.length === this.metersLen && this.meterPoolCount < this.meterPoolSize) {
              this.meterPool[this.meterPoolCount++] = data.data;
            }
            break;
          case "ping":
            this.port.postMessage({
              type: "pong",
              seq: data.seq,
              windows: this.meterWindows,
              dropped: this.meterDropped,
              rejected: this.rejected,
              overflow: this.overflow,
            });
            break;
          case "reset":
            this.exports.dawg_reset(this.handle);
            break;
          case "dispose":
            this.dispose();
            break;
          default:
            break;
        }
      } catch (err) {
        this.fail("message handler failed: " + errorText(err));
      }
    }

    // Events sent before rendering started, arriving after it: report those already due.
    reportLateEvents(words) {
      if (!(words instanceof Uint32Array)) return;
      let late = 0;
      for (let w = 0; w + RECORD_WORDS <= words.length; w += RECORD_WORDS) {
        if (words[w] + words[w + 6] * TWO_32 < this.nextFrame) late++;
      }
      if (late > 0) this.reportLate(late === 1 ? "an event" : late + " events");
    }

    reportLate(what) {
      this.postError(
        what + " sent before the OfflineAudioContext started rendering arrived after " + this.nextFrame +
          " frames were rendered, so it applies from frame " + this.nextFrame +
          " instead of its own: await engine.sync() before startRendering()",
        false
      );
    }

    reply(data, ok, error) {
      try {
        this.port.postMessage({ type: data.type, seq: data.seq, ok, error: error === null ? undefined : error });
      } catch (_) {
        // The port may be closed.
      }
    }

    applyChanges(changes) {
      if (changes === null || typeof changes !== "object" || typeof changes.length !== "number" ||
          changes.length % 3 !== 0) {
        this.postError("ignored a params message: changes must be a flat list of [target, id, value] triples", false);
        return;
      }
      let firstProblem = null;
      let rejected = 0;
      for (let i = 0; i < changes.length; i += 3) {
        const problem = this.setParam(changes[i], changes[i + 1], changes[i + 2]);
        if (problem !== null) {
          rejected++;
          if (firstProblem === null) firstProblem = problem;
        }
      }
      // dawg_set_param may create a track or bus, which may grow memory.
      if (this.memory.buffer !== this.viewsBuffer) this.buildViews();
      if (firstProblem !== null) {
        this.postError(
          "rejected " + rejected + " of " + changes.length / 3 + " parameter changes; first: " + firstProblem,
          false
        );
      }
    }

    dispose() {
      this.disposed = true;
      const ex = this.exports;
      if (ex !== null && typeof ex.dawg_engine_free === "function" && this.handle > 0) {
        ex.dawg_engine_free(this.handle);
      }
      this.handle = 0;
      this.inL = this.inR = this.outL = this.outR = null;
      this.staging = this.metersView = null;
      this.viewsBuffer = null;
      this.exports = null;
      this.memory = null;
    }

    postError(message, fatal) {
      try {
        this.port.postMessage({ type: "error", message: message, fatal: fatal });
      } catch (_) {
        // The port may be closed; nothing else can be done from here.
      }
    }

    fail(message) {
      this.failed = true;
      if (this.errorPosted) return;
      this.errorPosted = true;
      this.postError("dawgwasm processor " + config.processor_name + ": " + message +
        "; it outputs silence from now on", true);
    }

    // ---- render thread: everything below never allocates ------------------------

    // Copy record `src` (words at `w` of `from`) into staging record `n` at `offset`.
    stage(from, w, n, offset) {
      const s = this.staging;
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

    // Stage the pattern's events before qEnd; returns the new staged count.
    stagePattern(qStart, qEnd, n) {
      const words = this.patWords;
      const count = this.patCount;
      const loop = this.patLoop;
      const start = this.patStart;
      const late = qStart - LATE_MAX_FRAMES;
      let pass = this.patPass;
      let i = this.patIndex;
      if (loop > 0 && start + (pass + 1) * loop <= late) {
        // Far behind (a stall, or a start frame long gone): skip whole passes.
        pass = Math.floor((late - start) / loop);
        i = 0;
      }
      while (n < this.stagingMax) {
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
        if (words[w + 7] <= pass && frame >= late) {
          this.stage(words, w, n, frame > qStart ? frame - qStart : 0);
          n++;
        }
        i++;
      }
      this.patPass = pass;
      this.patIndex = i;
      return n;
    }

    // First quantum: parameter sets already due are initial values. Apply them
    // at once and reset, so they hold from the first sample without a ramp.
    // dawg_set_param creates nothing here: every track exists, and a bus target
    // is taken only if the bus does (otherwise the record stays an event, which
    // the engine refuses like any event to a missing channel).
    applyInitial(qStart) {
      const p = this.pending;
      const ex = this.exports;
      const count = this.pendingCount;
      let keep = 0;
      let applied = 0;
      for (let i = 0; i < count; i++) {
        const w = i * RECORD_WORDS;
        const target = p[w + 2];
        const channel = target & CHANNEL_MASK;
        const isBus = ((channel >>> KIND_SHIFT) & KIND_MASK) === TARGET_BUS;
        const index = channel & INDEX_MASK;
        if (p[w + 1] === EVENT_PARAM_SET && p[w] + p[w + 6] * TWO_32 <= qStart &&
            (!isBus || (index < this.busExists.length && this.busExists[index] === 1))) {
          if (ex.dawg_set_param(this.handle, target, p[w + 3], this.pendingFloats[w + 4]) < 0) this.rejected++;
          else applied++;
        } else {
          if (keep !== i) p.copyWithin(keep * RECORD_WORDS, w, w + RECORD_WORDS);
          keep++;
        }
      }
      this.pendingCount = keep;
      if (applied > 0 || this.resetAtStart) ex.dawg_reset(this.handle);
      this.resetAtStart = false;
    }

    // Stage pending events before qEnd (in arrival order), keep the rest.
    stagePending(qStart, qEnd, n) {
      const p = this.pending;
      const count = this.pendingCount;
      let keep = 0;
      for (let i = 0; i < count; i++) {
        const w = i * RECORD_WORDS;
        const frame = p[w] + p[w + 6] * TWO_32;
        if (frame < qEnd && n < this.stagingMax) {
          this.stage(p, w, n, frame > qStart ? frame - qStart : 0);
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
    pushStaged(n) {
      const ex = this.exports;
      const code = ex.dawg_events_push(this.handle, n);
      if (code === 0) return;
      if (code === STATUS_EVENTS_FULL) {
        this.overflow += n;
        return;
      }
      const s = this.staging;
      for (let i = 0; i < n; i++) {
        if (i > 0) s.copyWithin(0, i * RECORD_WORDS, (i + 1) * RECORD_WORDS);
        const c = ex.dawg_events_push(this.handle, 1);
        if (c === STATUS_EVENTS_FULL) this.overflow++;
        else if (c !== 0) this.rejected++;
      }
    }

    // Fold this quantum's meters into the window; publish a full window.
    meter() {
      const m = this.metersView;
      const acc = this.meterAcc;
      const stride = this.meterStride;
      const len = this.metersLen;
      for (let c = 0; c + stride <= len; c += stride) {
        if (m[c] > acc[c]) acc[c] = m[c];
        if (m[c + 1] > acc[c + 1]) acc[c + 1] = m[c + 1];
        acc[c + 2] += m[c + 2] * m[c + 2];
        acc[c + 3] += m[c + 3] * m[c + 3];
        acc[c + 4] = m[c + 4];
      }
      if (++this.meterCount < this.meterQuanta) return;
      const inv = 1 / this.meterCount;
      for (let c = 0; c + stride <= len; c += stride) {
        acc[c + 2] = Math.sqrt(acc[c + 2] * inv);
        acc[c + 3] = Math.sqrt(acc[c + 3] * inv);
      }
      this.meterWindows++;
      if (this.meterShared !== null) {
        const h = this.meterHeader;
        Atomics.add(h, M_SEQ, 1); // odd: a write is in progress
        this.meterShared.set(acc);
        h[M_REJECTED] = this.rejected;
        h[M_OVERFLOW] = this.overflow;
        h[M_WINDOWS] = this.meterWindows;
        h[M_DROPPED] = this.meterDropped;
        Atomics.add(h, M_SEQ, 1); // even: consistent again
      } else if (this.meterPoolCount > 0) {
        const buf = this.meterPool[--this.meterPoolCount];
        this.meterPool[this.meterPoolCount] = null;
        buf.set(acc);
        const msg = this.meterMessage;
        msg.data = buf;
        msg.rejected = this.rejected;
        msg.overflow = this.overflow;
        msg.dropped = this.meterDropped;
        msg.frame = currentFrame;
        this.meterTransfer[0] = buf.buffer;
        this.port.postMessage(msg, this.meterTransfer);
        msg.data = null;
        this.meterTransfer[0] = null;
      } else {
        this.meterDropped++;
      }
      acc.fill(0);
      this.meterCount = 0;
    }

    process(inputs, outputs) {
      const out = outputs[0];
      if (this.disposed) {
        fillSilence(out);
        return false;
      }
      if (this.failed) {
        fillSilence(out);
        return true;
      }
      try {
        if (this.memory.buffer !== this.viewsBuffer) this.buildViews();
        const qStart = currentFrame;
        const qEnd = qStart + WEB_AUDIO_QUANTUM_FRAMES;
        if (this.ring !== null && this.pendingCount < PENDING_MAX) {
          this.pendingCount += this.ring.readInto(this.pending, this.pendingCount, PENDING_MAX - this.pendingCount);
        }
        if (!this.started) {
          this.started = true;
          this.applyInitial(qStart);
        }
        let n = 0;
        if (this.patStartNext) {
          this.patStart = qStart;
          this.patStartNext = false;
        }
        if (this.patPlaying) n = this.stagePattern(qStart, qEnd, n);
        if (this.pendingCount > 0) n = this.stagePending(qStart, qEnd, n);
        if (n > 0) this.pushStaged(n);

        const inL = this.inL;
        const inR = this.inR;
        const list = this.inputList;
        for (let k = 0; k < this.inputCount; k++) {
          const t = list[k];
          const input = inputs[t];
          const channels = input === undefined ? 0 : input.length;
          if (channels >= 2) {
            inL[t].set(input[0]);
            inR[t].set(input[1]);
          } else if (channels === 1) {
            inL[t].set(input[0]);
            inR[t].set(input[0]);
          } else {
            inL[t].fill(0);
            inR[t].fill(0);
          }
        }
        const code = this.exports.dawg_process(this.handle, 1);
        if (code !== 0) {
          this.fail("dawg_process failed: " + statusText(code));
          fillSilence(out);
          return true;
        }
        if (out !== undefined && out.length > 0) {
          out[0].set(this.outL);
          if (out.length > 1) out[1].set(this.outR);
          for (let c = 2; c < out.length; c++) out[c].fill(0);
        }
        this.meter();
        this.nextFrame = qEnd;
      } catch (err) {
        this.fail("process() failed: " + errorText(err));
        fillSilence(out);
      }
      return true;
    }
  }

  function describeOp(op) {
    if (op === null || typeof op !== "object") return String(op);
    const parts = [];
    for (const key of ["op", "track", "channel", "slot", "kind", "target", "id", "value", "sample", "name"]) {
      if (op[key] !== undefined) parts.push(key + "=" + (typeof op[key] === "string" ? op[key] : String(op[key])));
    }
    return parts.join(" ");
  }

  registerProcessor(config.processor_name, DawgProcessor);
  return DawgProcessor;
}
