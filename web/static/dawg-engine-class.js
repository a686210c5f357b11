// dawg-engine-class.js — DawgEngine, the main thread's handle on one mixer
// running in an AudioWorkletNode (hand-written; not generated): parameters,
// notes, the session's transport, configure requests, meters, the processor's
// load and errors.
// createEngine() (dawg-engine-core.js) makes one; the transports, offline
// rules and messages are described there.

import { checkKeys, countText, paramTable, unknownParamError } from "./dawg-checks.js";
import { MeterReader } from "./dawg-meters.js";
import { Outbox } from "./dawg-outbox.js";
import { checkValue, describe, encodeTarget, resolveTarget } from "./dawg-rules.js";
import { ALL_NOTES_OFF, NOTE_OFF, NOTE_ON, PARAM_RAMP } from "./dawg-session.js";
import { prepareSession } from "./dawg-session-load.js";
import { Structure } from "./dawg-structure.js";

const SESSION_OPTION_KEYS = ["samples", "sessionUrl", "loop", "start", "frames"];
const MAX_KEPT_ERRORS = 16;
/** The wasm build each wasm backend runs (`variant`). */
const BACKEND_VARIANTS = { "wasm-simd": "simd", "wasm-scalar": "scalar", js: null };
// Header words of the meters block holding the processor's load counters (dawg-worklet-meters.js).
const M_SEQ = 0;
const M_BUSY_MS = 5;
const M_QUANTA = 6;
const QUANTUM_FRAMES = 128;

/**
 * The processor's load between two states of its counters (cumulative whole
 * ms of work and quanta), and the later state (`counters`) for the next reading.
 */
function loadBetween(now, since, sampleRate) {
  const busyMs = now.busyMs - since.busyMs;
  const quanta = now.quanta - since.quanta;
  const renderedMs = (quanta * QUANTUM_FRAMES * 1000) / sampleRate;
  return { load: quanta > 0 ? busyMs / renderedMs : 0, busyMs, renderedMs, quanta, counters: now };
}

/** A mixer engine running in one AudioWorkletNode. Create it with createEngine(). */
export class DawgEngine {
  #byName;
  #byId = new Map();
  #structure;
  #outbox;
  #meters;
  #errorCallbacks = new Set();
  #errors = [];
  #disposed = false;
  #onPortMessage;
  #onProcessorError;
  #offline = false;
  #seq = 0;
  #requests = new Map();
  #fileUrl;
  #loadCounters = { busyMs: 0, quanta: 0 };
  #loadHeader = null;

  /**
   * @param {AudioWorkletNode} node
   * @param {object} manifest
   * @param {"wasm-simd"|"wasm-scalar"|"js"} backend
   * @param {number} tracks
   * @param {{ring?: EventRing, meters?: SharedArrayBuffer, fileUrl?: (path: string) => URL,
   *          context?: BaseAudioContext, measureLoad?: boolean}} [extra]
   */
  constructor(node, manifest, backend, tracks, extra = {}) {
    /** The AudioWorkletNode: input i is track i (while its source is its input), output 0 the stereo master. */
    this.node = node;
    /** The build's manifest (parameter table, units, sources, limits, wasm files). */
    this.manifest = manifest;
    /** Which engine runs: "wasm-simd", "wasm-scalar" (WebAssembly) or "js" (JavaScript). */
    this.backend = backend;
    /** The wasm build that runs: "simd", "scalar", or null for the "js" backend. */
    this.variant = BACKEND_VARIANTS[backend];
    /** Number of tracks (node inputs). */
    this.tracks = tracks;
    /** The context the node lives in. */
    this.context = extra.context || node.context;
    /** Sample rate of the context, Hz. */
    this.sampleRate = this.context.sampleRate;
    /** Whether the processor times its work, so that load() can report it (option measureLoad). */
    this.measuresLoad = extra.measureLoad === true;
    /** How events reach the processor: "ring" (SharedArrayBuffer) or "message". */
    this.transport = extra.ring ? "ring" : "message";
    /** The session loaded last (normalised), or null. */
    this.session = null;
    this.limits = manifest.limits || {};
    this.#offline = typeof OfflineAudioContext === "function" && this.context instanceof OfflineAudioContext;
    this.#byName = paramTable(manifest);
    for (const spec of manifest.params) this.#byId.set(spec.id, spec);
    this.#structure = new Structure(manifest, tracks);
    this.#outbox = new Outbox(extra.ring || null, this.#offline, () => this.flush(), () => this.#beforeStart());
    this.#fileUrl = extra.fileUrl;
    this.#meters = new MeterReader(this.limits, tracks, extra.meters);
    if (extra.meters) this.#loadHeader = new Int32Array(extra.meters, 0, M_QUANTA + 1);
    this.#onPortMessage = (event) => this.#onMessage(event.data);
    this.#onProcessorError = (event) => {
      const detail = event && typeof event.message === "string" && event.message ? ": " + event.message : "";
      this.#report({
        message: "the AudioWorklet processor failed (processorerror)" + detail + "; the node outputs silence",
        fatal: true,
      });
    };
    node.port.onmessage = this.#onPortMessage;
    node.addEventListener("processorerror", this.#onProcessorError);
  }

  /**
   * The parameter's row of the table.
   * @param {string} name
   * @returns {object} {id, name, unit, scope, owner, min, max, default, smoothing_ms, stepped, doc}
   */
  param(name) {
    const spec = this.#byName.get(name);
    if (spec === undefined) throw unknownParamError(this.#byName, name);
    return spec;
  }

  /** The context frame of context time `when` (seconds); 0 ("as soon as possible") if undefined. */
  frameAt(when) {
    if (when === undefined || when === null) return 0;
    if (typeof when !== "number" || !Number.isFinite(when) || when < 0) {
      throw new RangeError("when = " + describe(when) + " must be a context time in seconds, at least 0");
    }
    return Math.round(when * this.sampleRate);
  }

  /**
   * Set a parameter; validated now, applied at the start of the next render quantum
   * (ring), or with the next flush (message: one message per animation frame; at once
   * on an OfflineAudioContext). A change that reaches the processor before its first
   * render quantum is an initial value: it holds from the first sample, without a ramp.
   * On an OfflineAudioContext that has not started rendering that is certain with the
   * ring transport; with messages, `await engine.sync()` before `startRendering()`
   * (a change that arrives after rendering began is applied late and reported through
   * onError). Later changes ramp over the parameter's smoothing time.
   * @param {string} name    parameter name from the manifest
   * @param {number} value   in the parameter's unit and range
   * @param {number|{track?: number, bus?: number, master?: boolean, slot?: number}} [where]
   *        a track index (default 0), or the channel and insert slot; nothing for master parameters
   */
  setParam(name, value, where = 0) {
    this.#live();
    const spec = this.param(name);
    const v = checkValue(spec, value);
    const target = resolveTarget(this.manifest, spec, where, this.tracks);
    if (!this.#structure.accepts(target, spec)) {
      // Only dawg_set_param creates a missing bus (at once, in the message handler).
      if (spec.scope === "insert" || spec.scope === "synth" || spec.scope === "sampler") {
        throw new RangeError(this.#structure.missing(spec, target));
      }
      this.#structure.touch(target);
      this.#outbox.param(target, spec.id, v);
      return;
    }
    this.#outbox.set(target, spec.id, v);
  }

  /**
   * Ramp a parameter linearly to `value` over `ms` milliseconds, starting at context time `when`
   * (default: as soon as possible). The channel (and insert) must exist. Like every timed
   * event it lands on its frame if it reaches the processor before that frame (offline with
   * messages: `await engine.sync()` before `startRendering()`).
   */
  rampParam(name, value, ms, where = 0, when = undefined) {
    this.#live();
    const spec = this.param(name);
    const v = checkValue(spec, value);
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
      throw new RangeError("ramp time = " + describe(ms) + " ms must be a finite number of milliseconds, at least 0");
    }
    const target = resolveTarget(this.manifest, spec, where, this.tracks);
    if (!this.#structure.accepts(target, spec)) throw new RangeError(this.#structure.missing(spec, target));
    this.#outbox.event(this.frameAt(when), PARAM_RAMP, target, spec.id, v, ms);
  }

  /** Start MIDI `note` on `track` with `velocity` (0..1) at context time `when` (default: now). */
  noteOn(track, note, velocity = 1, when = undefined) {
    this.#live();
    const target = this.#noteTarget(track, note);
    if (typeof velocity !== "number" || !(velocity >= 0 && velocity <= 1)) {
      throw new RangeError("velocity = " + describe(velocity) + " must be a number from 0 to 1");
    }
    this.#outbox.event(this.frameAt(when), NOTE_ON, target, note, velocity, 0);
  }

  /** Release MIDI `note` on `track` at context time `when` (default: now). */
  noteOff(track, note, when = undefined) {
    this.#live();
    this.#outbox.event(this.frameAt(when), NOTE_OFF, this.#noteTarget(track, note), note, 0, 0);
  }

  /** Release every note of `track` at context time `when` (default: now). */
  allNotesOff(track, when = undefined) {
    this.#live();
    this.#outbox.event(this.frameAt(when), ALL_NOTES_OFF, this.#noteTarget(track, 0), 0, 0, 0);
  }

  #noteTarget(track, note) {
    if (!Number.isInteger(track) || track < 0 || track >= this.tracks) {
      throw new RangeError("track = " + describe(track) + " is out of range: this engine has " + countText(this.tracks, "track"));
    }
    if (!Number.isInteger(note) || note < 0 || note > 127) {
      throw new RangeError("note = " + describe(note) + " must be a MIDI note, a whole number from 0 to 127");
    }
    const layout = this.manifest.rules.targets;
    return encodeTarget(layout, layout.kinds.track, track);
  }

  /** Send everything pending now (parameter changes and, without the ring, events). */
  flush() {
    this.#outbox.cancel();
    if (this.#disposed) return;
    this.#outbox.send(this.node.port);
  }

  /**
   * Apply configure ops in the processor (allocates there: call at load time,
   * not while playing); resolves when applied, rejects with the first failing op.
   * Sample ops' data arrays are transferred (unusable here afterwards).
   * @param {Array<object>} ops  see dawg-worklet-core.js
   */
  async configure(ops) {
    this.#live();
    if (!Array.isArray(ops)) throw new TypeError("configure needs an array of ops");
    this.flush();
    const transfer = [];
    for (const op of ops) {
      if (op && op.op === "sample" && op.data instanceof Float32Array && op.data.byteOffset === 0 &&
          op.data.byteLength === op.data.buffer.byteLength && !transfer.includes(op.data.buffer)) {
        transfer.push(op.data.buffer);
      }
    }
    const reply = await this.#request({ type: "configure", ops }, transfer);
    if (!reply.ok) throw new Error("configure failed: " + reply.error);
    this.#structure.adopt(ops, this.#byId);
  }

  /**
   * Load a session document: validate it against this build and its session
   * limits (SessionError names the bad field), load the samples its tracks play
   * (built-ins from dist/samples/, others from options.samples or fetched from
   * the folder of options.sessionUrl, default the page's, and decoded), configure the
   * processor as python's apply_session() does, and hand it the session's
   * events as a pattern (schedule()'s frames). With `start` (context time,
   * seconds) the pattern starts playing then; otherwise call play().
   * @returns {Promise<{passFrames: number, events: number}>}
   */
  async loadSession(doc, options = {}) {
    this.#live();
    checkKeys(options, SESSION_OPTION_KEYS, "loadSession option");
    const prepared = await prepareSession(this.manifest, this.#fileUrl, this.context, doc, options, this.tracks);
    await this.configure(prepared.ops);
    const start = options.start === undefined || options.start === null ? -1 : this.frameAt(options.start);
    const reply = await this.#request({
      type: "pattern",
      words: prepared.pattern.words,
      loopFrames: prepared.pattern.loopFrames,
      startFrame: start,
    }, [prepared.pattern.words.buffer]);
    if (!reply.ok) throw new Error("the processor refused the session's pattern: " + reply.error);
    this.session = prepared.session;
    return { passFrames: prepared.passFrames, events: prepared.pattern.events.length };
  }

  /** Start the loaded session's pattern at context time `when` (default: the next render quantum). */
  play(when = undefined) {
    this.#live();
    this.flush();
    const frame = when === undefined ? -1 : this.frameAt(when);
    this.node.port.postMessage({ type: "transport", playing: true, frame, beforeStart: this.#beforeStart() });
  }

  /** Stop the pattern now and release every note at context time `when` (default: now). */
  stop(when = undefined) {
    this.#live();
    this.flush();
    this.node.port.postMessage({
      type: "transport",
      playing: false,
      frame: this.frameAt(when),
      beforeStart: this.#beforeStart(),
    });
  }

  /**
   * Resolves once the processor has handled every message sent before (so every change
   * made before it is delivered), and meters().rejected, overflow and dropped are current.
   */
  async sync() {
    this.#live();
    this.flush();
    await this.#request({ type: "ping" });
  }

  /**
   * The latest meter window (about 8 render quanta): per track, bus and the
   * master, peak and RMS (linear, left and right) and the state ("absent",
   * "active" or "bypassed": auto-bypassed, costing nothing), plus counters: meter
   * windows received, windows dropped (messages only: the processor had no free
   * buffer; after `await sync()`, windows + dropped is every window completed),
   * events the engine rejected and events dropped for lack of room.
   */
  meters() {
    return this.#meters.read(this.limits, this.tracks, this.#outbox.ringRefusals);
  }

  /**
   * The processor's load: the share of real time its work took, measured in
   * the processor as the sum of Date.now() differences around each render
   * quantum's work (whole milliseconds; `performance` does not exist there)
   * over the audio time rendered. Each difference is off by less than 1 ms and
   * unbiased, so the figure is exact only over many quanta: compare readings a
   * second or more apart (`engine.load(earlier)`), not one meter window.
   * Without an argument, over the whole life of the engine. Current as of the
   * last meter window (or `await sync()`). Only an engine created with
   * `measureLoad: true` times its work: Date.now(), the audio thread's only
   * clock, returns a fresh heap number, so timing costs two small allocations
   * per quantum, which an engine that does not measure avoids.
   * @param {{counters: {busyMs: number, quanta: number}}} [since]  an earlier result of load()
   * @returns {{load: number, busyMs: number, renderedMs: number, quanta: number,
   *            counters: {busyMs: number, quanta: number}}}
   */
  load(since = undefined) {
    if (!this.measuresLoad) {
      throw new Error("this engine does not measure its load; create it with createDawgEngine(ctx, { measureLoad: true })");
    }
    this.#readLoadCounters();
    let from = { busyMs: 0, quanta: 0 };
    if (since !== undefined) {
      const c = since !== null && typeof since === "object" ? since.counters : undefined;
      if (c === null || typeof c !== "object" || !Number.isFinite(c.busyMs) || !Number.isFinite(c.quanta)) {
        throw new TypeError("load(since): since must be an earlier result of engine.load()");
      }
      from = c;
    }
    return loadBetween(this.#loadCounters, from, this.sampleRate);
  }

  #readLoadCounters() {
    const h = this.#loadHeader;
    if (h === null) return;
    for (let attempt = 0; attempt < 4; attempt++) {
      const seq = Atomics.load(h, M_SEQ);
      if (seq % 2 !== 0) continue;
      const busyMs = Atomics.load(h, M_BUSY_MS);
      const quanta = Atomics.load(h, M_QUANTA);
      if (Atomics.load(h, M_SEQ) !== seq) continue;
      if (quanta >= this.#loadCounters.quanta) this.#loadCounters = { busyMs, quanta };
      return;
    }
  }

  #takeLoad(message) {
    if (Number.isFinite(message.busyMs) && Number.isFinite(message.quanta) &&
        message.quanta >= this.#loadCounters.quanta) {
      this.#loadCounters = { busyMs: message.busyMs, quanta: message.quanta };
    }
  }

  /** Clear all audio state (filters, compressor, ramps jump to their targets). */
  reset() {
    if (this.#disposed) return;
    this.flush();
    this.node.port.postMessage({ type: "reset" });
  }

  /**
   * Call `callback({message, fatal})` for each error of the processor: its own
   * error messages and the node's processorerror event. Errors that happened
   * before registration are replayed. Returns a function that unregisters.
   */
  onError(callback) {
    if (typeof callback !== "function") throw new TypeError("onError needs a function");
    this.#errorCallbacks.add(callback);
    for (const error of this.#errors) queueMicrotask(() => callback(error));
    return () => this.#errorCallbacks.delete(callback);
  }

  /** The first fatal error reported so far, or null. */
  fatalError() {
    const e = this.#errors.find((x) => x.fatal);
    return e === undefined ? null : e;
  }

  /** Disconnect the node and free the engine in the processor; the engine is unusable after. */
  dispose() {
    if (this.#disposed) return;
    this.#outbox.cancel();
    this.#outbox.clear();
    this.#disposed = true;
    try {
      this.node.port.postMessage({ type: "dispose" });
    } catch (_) {
      // The context may already be closed.
    }
    this.node.disconnect();
    this.node.removeEventListener("processorerror", this.#onProcessorError);
    this.node.port.onmessage = null;
    for (const { reject } of this.#requests.values()) reject(new Error("the engine was disposed"));
    this.#requests.clear();
  }

  /** Adopt ops the processor applied at creation (processorOptions.configure). */
  adoptConfigured(ops) {
    this.#structure.adopt(ops, this.#byId);
  }

  #live() {
    if (this.#disposed) throw new Error("this DawgEngine has been disposed");
  }

  #request(message, transfer = []) {
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      this.#requests.set(seq, { resolve, reject });
      try {
        this.node.port.postMessage({ ...message, seq }, transfer);
      } catch (err) {
        this.#requests.delete(seq);
        reject(err);
      }
    });
  }

  #onMessage(data) {
    if (data === null || typeof data !== "object") return;
    if (data.type === "meters") {
      this.#takeLoad(data);
      if (this.#meters.receive(data) && !this.#disposed) {
        this.node.port.postMessage({ type: "meter-buffer", data: data.data }, [data.data.buffer]);
      }
      return;
    }
    if (data.type === "error") {
      this.#report({ message: String(data.message), fatal: data.fatal !== false });
      return;
    }
    if (data.type === "pong") this.#takeLoad(data);
    if (data.type === "pong" && !this.#meters.isShared) {
      // Counters as of every window completed before the ping (meter messages come first).
      this.#meters.counters(data);
    }
    if (data.seq !== undefined && this.#requests.has(data.seq)) {
      const { resolve } = this.#requests.get(data.seq);
      this.#requests.delete(data.seq);
      resolve(data);
    }
  }

  #report(error) {
    if (this.#errors.length < MAX_KEPT_ERRORS) this.#errors.push(error);
    if (error.fatal) {
      for (const { reject } of this.#requests.values()) reject(new Error(error.message));
      this.#requests.clear();
    }
    if (this.#errorCallbacks.size === 0) {
      console.error("dawgwasm: " + error.message);
      return;
    }
    for (const callback of this.#errorCallbacks) {
      try {
        callback(error);
      } catch (err) {
        console.error(err);
      }
    }
  }

  /** An OfflineAudioContext that has not rendered a quantum yet (not started, or suspended at 0). */
  #beforeStart() {
    return this.#offline && this.context.currentTime === 0 && this.context.state === "suspended";
  }
}
