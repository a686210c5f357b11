// dawg-worklet-core.js — the AudioWorklet side of dawgwasm (hand-written; not generated).
//
// Runs in AudioWorkletGlobalScope, where `registerProcessor`, `sampleRate`,
// `currentFrame` and `AudioWorkletProcessor` exist but `performance`, `fetch`
// and `TextDecoder` are not guaranteed. The generated `dawg-processor.js`
// holds this module (and every module it imports) with the call
// `registerDawgProcessor(config)` and the engine's data (processor name, ABI
// version, quantum, limits, parameter table, units, sources, status texts);
// the processor is here, and its parts in dawg-worklet-wasm.js (the engine
// behind its ABI: export checks, structure calls, views over its memory),
// dawg-worklet-events.js (pending events and the pattern) and
// dawg-worklet-meters.js (meter windows).
//
// One processor hosts the whole mixer: input i of the node is track i (read
// only while track i's source is its input), output 0 is the stereo master.
// Backends (processorOptions.backend): "wasm-simd" and "wasm-scalar" get the
// wasm module compiled in `processorOptions.module` and instantiate it
// synchronously in the constructor; "js" builds the JavaScript engine's
// exports (createJsExports of dawg-js-abi.js, from this build's table). Either
// way process() never runs before the engine exists, and drives it through the
// same dawg_* calls.
//
// Load (processorOptions.measureLoad true only: Date.now() returns a fresh heap
// number, so timing allocates). process() measures its own work: the sum of Date.now() differences
// around it (`performance` does not exist in this scope; Date.now() counts
// whole milliseconds) and the number of quanta, published with every meter
// window and in every "pong". busy ms / (quanta x 128 / sampleRate s) is the
// share of real time the engine takes: each difference is off by less than
// 1 ms either way and unbiased, so the ratio is exact only over many quanta
// (over one second, 375 quanta at 48 kHz, the error is a few percent).
//
// processorOptions: {backend: "wasm-simd"|"wasm-scalar"|"js" (default "wasm-simd"),
//   module (wasm backends), tracks, maxQuanta, params: [[target, id, value]], measureLoad?: boolean,
//   configure?: ops (applied in the constructor, see "configure" below),
//   pattern?: {words, loopFrames, startFrame, join?} (as the "pattern" message; join:
//     of the events due before the first quantum rendered, skip notes already over),
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
//   {type: "ping", seq}  replied {type: "pong", seq, windows, dropped, rejected, overflow,
//       busyMs, quanta} (every earlier message is applied; the counters are current).
//   {type: "reset"}            clear audio state; every parameter ramp jumps to its target.
//   {type: "dispose"}          free the engine; process() then returns false.
// Messages to the main thread (port):
//   {type: "meters", data: Float32Array, rejected, overflow, dropped, frame, busyMs, quanta}  without a
//       meters SharedArrayBuffer, every meter window. Buffers come from a pool and are
//       transferred; the main thread hands them back with "meter-buffer". A window
//       completed while no buffer is free is dropped and counted (`dropped`). The pool
//       holds 4 buffers, or for an OfflineAudioContext (renderFrames) one per window of
//       the render, at most 8 MiB in all (dawg-worklet-meters.js): allocated in the
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

import { createJsExports } from "./dawg-js-abi.js";
import { RECORD_WORDS } from "./dawg-ring.js";
import { EventQueue } from "./dawg-worklet-events.js";
import { MeterWindow } from "./dawg-worklet-meters.js";
import {
  WEB_AUDIO_QUANTUM_FRAMES, WasmEngine, errorText, instantiateEngine, targetNumbers,
} from "./dawg-worklet-wasm.js";

/** The backends a processor can run. */
export const BACKENDS = ["wasm-simd", "wasm-scalar", "js"];

function fillSilence(channels) {
  if (channels === undefined) return;
  for (let c = 0; c < channels.length; c++) channels[c].fill(0);
}

/**
 * Define and register the dawgwasm AudioWorkletProcessor.
 *
 * @param {{processor_name: string, abi_version: number, quantum_frames: number,
 *          limits: Object<string, number>, units: string[], sources: string[],
 *          params: Array<{id: number, name: string, scope: string, min: number, max: number}>,
 *          status: Object<string, string>, rules: {targets: object}}} config  data from the
 *        build's manifest (what createJsExports needs too)
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
  const targets = targetNumbers(layout);

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
      this.engine = null; // WasmEngine, once created
      this.events = new EventQueue(targets);
      this.meters = new MeterWindow(this.port, limits.meter_stride > 0 ? limits.meter_stride : 6);
      // Before the first render quantum (see the header).
      this.started = false; // process() has rendered a quantum
      this.nextFrame = 0; // first frame of the next quantum to render
      this.resetAtStart = false; // a parameter was set by message before the first quantum
      this.backend = "";
      // Load (see the header): whole milliseconds of work, and the quanta they were measured over.
      this.measureLoad = false;
      this.busyMs = 0;
      this.quanta = 0;
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
      const backend = opts.backend === undefined ? "wasm-simd" : opts.backend;
      if (!BACKENDS.includes(backend)) {
        throw new RangeError(
          "processorOptions.backend = " + String(backend) + " is not one of " + BACKENDS.join(", ")
        );
      }
      const tracks = opts.tracks;
      if (!Number.isInteger(tracks) || tracks < 1) {
        throw new RangeError("processorOptions.tracks must be a positive integer, got " + tracks);
      }
      const maxQuanta = opts.maxQuanta === undefined ? 1 : opts.maxQuanta;
      if (!Number.isInteger(maxQuanta) || maxQuanta < 1) {
        throw new RangeError("processorOptions.maxQuanta must be a positive integer, got " + maxQuanta);
      }
      if (opts.measureLoad !== undefined && typeof opts.measureLoad !== "boolean") {
        throw new TypeError("processorOptions.measureLoad must be true or false");
      }
      this.measureLoad = opts.measureLoad === true;
      if (opts.meterQuanta !== undefined) {
        if (!Number.isInteger(opts.meterQuanta) || opts.meterQuanta < 1) {
          throw new RangeError("processorOptions.meterQuanta must be a positive integer");
        }
        this.meters.quanta = opts.meterQuanta;
      }

      const renderFrames = opts.renderFrames === undefined ? 0 : opts.renderFrames;
      if (!Number.isSafeInteger(renderFrames) || renderFrames < 0) {
        throw new RangeError("processorOptions.renderFrames must be a non-negative integer");
      }

      const busesMax = limits.buses_max > 0 ? limits.buses_max : 8;
      const exports = backend === "js" ? createJsExports(config) : instantiateEngine(opts.module);
      const engine = new WasmEngine(
        exports, config.abi_version, tracks, maxQuanta, busesMax, targets, statusText, paramLabel
      );
      this.engine = engine;
      this.backend = backend;
      engine.checkCapacity();

      if (opts.configure !== undefined) {
        const result = engine.applyOps(opts.configure);
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
        const problem = engine.setParam(entry[0], entry[1], entry[2]);
        if (problem !== null) throw new Error("initial parameter rejected: " + problem);
      }
      // Initial values hold from the first sample: no ramp from the defaults.
      engine.reset();

      engine.locateBuffers(limits.events_per_push_max > 0 ? limits.events_per_push_max : 0);
      // Without cross-origin isolation SharedArrayBuffer is not even defined.
      const shared = typeof SharedArrayBuffer === "function";
      const metersBlock = shared && opts.meters instanceof SharedArrayBuffer ? opts.meters : null;
      this.meters.setup(engine.metersLen, metersBlock, renderFrames, WEB_AUDIO_QUANTUM_FRAMES);
      if (shared && opts.ring instanceof SharedArrayBuffer) this.events.attachRing(opts.ring);
      engine.mapInputs();
      engine.buildViews();
      if (opts.pattern !== undefined && opts.pattern !== null) {
        const problem = this.events.setPattern(opts.pattern);
        if (problem !== null) throw new Error("processorOptions.pattern: " + problem);
      }
    }

    addEvents(words) {
      if (!this.events.add(words)) {
        this.postError("ignored an events message: words must be a Uint32Array of " + RECORD_WORDS + "-word records", false);
      }
    }

    onMessage(data) {
      if (this.failed || this.disposed || data === null || typeof data !== "object") {
        if (data && typeof data === "object" && data.seq !== undefined) this.reply(data, false, "the processor is not running");
        return;
      }
      try {
        switch (data.type) {
          case "configure": {
            const result = this.engine.applyOps(data.ops);
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
            const problem = this.events.setPattern(data);
            this.reply(data, problem === null, problem);
            break;
          }
          case "transport":
            if (typeof data.frame !== "number" || !(data.frame >= -1)) break;
            if (data.beforeStart === true && this.started && data.frame < this.nextFrame) {
              this.reportLate(data.playing ? "play()" : "stop()");
            }
            if (data.playing) {
              this.events.play(data.frame);
            } else {
              this.events.stopAt(Math.max(0, Math.floor(data.frame)), this.engine.tracks);
            }
            break;
          case "params":
            if (data.beforeStart === true && this.started) this.reportLate("a parameter change");
            this.applyChanges(data.changes);
            if (!this.started) this.resetAtStart = true;
            break;
          case "meter-buffer":
            this.meters.giveBack(data.data);
            break;
          case "ping":
            this.port.postMessage({
              type: "pong",
              seq: data.seq,
              windows: this.meters.windows,
              dropped: this.meters.dropped,
              rejected: this.events.rejected,
              overflow: this.events.overflow,
              busyMs: this.busyMs,
              quanta: this.quanta,
            });
            break;
          case "reset":
            this.engine.reset();
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
      const late = this.events.dueBefore(words, this.nextFrame);
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
        const problem = this.engine.setParam(changes[i], changes[i + 1], changes[i + 2]);
        if (problem !== null) {
          rejected++;
          if (firstProblem === null) firstProblem = problem;
        }
      }
      // dawg_set_param may create a track or bus, which may grow memory.
      if (this.engine.memory.buffer !== this.engine.viewsBuffer) this.engine.buildViews();
      if (firstProblem !== null) {
        this.postError(
          "rejected " + rejected + " of " + changes.length / 3 + " parameter changes; first: " + firstProblem,
          false
        );
      }
    }

    dispose() {
      this.disposed = true;
      if (this.engine !== null) this.engine.free();
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
      const measure = this.measureLoad;
      const t0 = measure ? Date.now() : 0;
      try {
        const engine = this.engine;
        const events = this.events;
        if (engine.memory.buffer !== engine.viewsBuffer) engine.buildViews();
        const qStart = currentFrame;
        const qEnd = qStart + WEB_AUDIO_QUANTUM_FRAMES;
        events.readRing();
        if (!this.started) {
          this.started = true;
          const applied = events.applyInitial(engine.exports, engine.handle, engine.busExists, qStart);
          if (applied > 0 || this.resetAtStart) engine.reset();
          this.resetAtStart = false;
        }
        events.push(engine.exports, engine.handle, engine.staging, engine.stagingMax, qStart, qEnd);
        engine.readInputs(inputs);
        const code = engine.render();
        if (code !== 0) {
          this.fail("dawg_process failed: " + statusText(code));
          fillSilence(out);
          return true;
        }
        engine.writeOutput(out);
        if (measure) this.busyMs += Date.now() - t0;
        this.quanta++;
        this.meters.fold(engine.metersView, events.rejected, events.overflow, qStart, this.busyMs, this.quanta);
        this.nextFrame = qEnd;
      } catch (err) {
        this.fail("process() failed: " + errorText(err));
        fillSilence(out);
      }
      return true;
    }
  }

  registerProcessor(config.processor_name, DawgProcessor);
  return DawgProcessor;
}
