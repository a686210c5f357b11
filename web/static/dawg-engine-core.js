// dawg-engine-core.js — the main-thread side of dawgwasm (hand-written; not generated).
//
// The generated `dawg-engine.js` injects the build's manifest and calls
// `createEngine(context, MANIFEST, baseUrl, options)`; all code lives here.
//
// createEngine compiles the wasm once on the main thread (compileStreaming),
// loads the worklet module once per context, and hands the compiled module to
// one AudioWorkletNode that hosts the whole mixer (input i = track i while
// its source is its input, output 0 = stereo master).
//
// Events (notes, parameter sets and ramps) are 8-word records with absolute
// context frames (see dawg-ring.js). Two transports, same records, same
// worklet code after arrival:
//   "ring"    (crossOriginIsolated, SharedArrayBuffer): written straight into a
//             wait-free SPSC ring the processor drains every render quantum.
//   "message" (otherwise, or forced with {events: "message"}): batched, one
//             {type: "events", words: Uint32Array} message per animation frame
//             (parameter sets coalesced: last write per target and parameter wins);
//             on an OfflineAudioContext, which renders without animation frames,
//             every call is posted at once.
//
// Offline rendering. Parameter sets that reach the processor before its first
// render quantum are initial values: they hold from the first sample, without
// a ramp (dawg-worklet-core.js). Through the ring a change made before
// startRendering() is always there in time (it is in shared memory at once).
// A message is not (Chromium may start rendering before delivering it), so a
// message sent before rendering started is marked `beforeStart` and the
// processor reports it through onError if it arrives late; `await
// engine.sync()` before startRendering() guarantees it does not.
// Meters come back the same two ways: a seqlock-published SharedArrayBuffer
// block, or {type: "meters", data} messages (buffers handed back for reuse).
//
// Everything is validated here against the manifest (parameter table with
// scopes, owners and groups, unit and source names, limits) before it is sent;
// values and targets by dawg-rules.js, the rules python/dawgwasm applies.
// Other messages to the processor: {type: "configure", seq, ops},
// {type: "pattern", seq, words, loopFrames, startFrame}, {type: "transport",
// playing, frame}, {type: "params", changes}, {type: "ping", seq},
// {type: "reset"}, {type: "dispose"} (see dawg-worklet-core.js).

import { EventRing, SEQLOCK_HEADER_WORDS, seqlockBytes, seqlockRead } from "./dawg-ring.js";
import { checkValue, decodeTarget, describe, encodeTarget, resolveTarget } from "./dawg-rules.js";
import {
  ALL_NOTES_OFF,
  NOTE_OFF,
  NOTE_ON,
  PARAM_RAMP,
  PARAM_SET,
  SessionError,
  parseSession,
} from "./dawg-session.js";
import { passFrames, sessionOps, sessionPattern } from "./dawg-schedule.js";

export { SessionError };

// The standard smallest module using a v128 instruction (as in wasm-feature-detect).
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253,
  98, 11,
]);

const VARIANTS = ["auto", "simd", "scalar"];
const EVENT_TRANSPORTS = ["auto", "ring", "message"];
const OPTION_KEYS = [
  "tracks", "variant", "params", "events", "session", "sessionUrl", "samples", "loop", "start", "meterQuanta",
];
const SESSION_OPTION_KEYS = ["samples", "sessionUrl", "loop", "start", "frames"];
const WEB_AUDIO_QUANTUM_FRAMES = 128;
const KEY_STRIDE = 65536; // coalescing key = target * KEY_STRIDE + id
const FLUSH_FALLBACK_MS = 50; // flush even if requestAnimationFrame never fires (tab hidden)
const MAX_KEPT_ERRORS = 16;
const RING_CAPACITY = 4096;
const WORDS = 8;
const TWO_32 = 4294967296;
const METER_STATES = ["absent", "active", "bypassed"];

/** Worklet module promises per context, then per module URL. */
const workletModules = new WeakMap();
/** Built-in sample index promises per dist/ URL. */
const sampleIndexes = new Map();

/**
 * Whether this browser validates a module that uses WebAssembly SIMD (v128).
 * @returns {boolean}
 */
export function simdSupported() {
  try {
    return typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
  } catch (_) {
    return false;
  }
}

/** Whether the page can share memory with the worklet (the "ring" transport). */
export function sharedMemorySupported() {
  return globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === "function";
}

function errorText(err) {
  return err && err.message ? err.message : String(err);
}

function countText(n, what) {
  return n + " " + what + (n === 1 ? "" : "s") + " (0.." + (n - 1) + ")";
}

function paramTable(manifest) {
  const byName = new Map();
  for (const spec of manifest.params) byName.set(spec.name, spec);
  return byName;
}

function unknownParamError(byName, name) {
  return new Error(
    "unknown parameter " + describe(name) + "; known: " + Array.from(byName.keys()).join(", ")
  );
}

/** What the main thread knows exists in the engine (from the configure ops it sent). */
class Structure {
  constructor(manifest, tracks) {
    this.units = Array.isArray(manifest.units) ? manifest.units : [];
    this.sourceNames = Array.isArray(manifest.sources) ? manifest.sources : ["input"];
    this.sources = new Array(tracks).fill("input");
    this.layout = manifest.rules.targets;
    this.buses = new Set();
    this.inserts = new Map(); // channel target → unit name per slot (index slot - 1)
  }

  adopt(ops, byId) {
    for (const op of ops) {
      if (op.op === "source") this.sources[op.track] = this.sourceNames[op.kind];
      else if (op.op === "insert") {
        this.#touch(op.channel);
        let slots = this.inserts.get(op.channel);
        if (slots === undefined) this.inserts.set(op.channel, (slots = []));
        slots[op.slot - 1] = op.kind === 0 ? undefined : this.units[op.kind - 1];
      } else if (op.op === "param") {
        const spec = byId.get(op.id);
        if (spec && spec.scope !== "master") this.#touch(op.target);
      }
    }
  }

  /** Note that the channel of `target` exists (buses are created on first use). */
  #touch(target) {
    const { kind, index } = decodeTarget(this.layout, target);
    if (kind === this.layout.kinds.bus) this.buses.add(index);
  }

  touch(target) {
    this.#touch(target);
  }

  /** Whether an event to `target` for `spec` would be accepted (events never create anything). */
  accepts(target, spec) {
    const { channel, kind, index, slot } = decodeTarget(this.layout, target);
    if (kind === this.layout.kinds.bus && !this.buses.has(index)) return false;
    if (spec.scope === "insert") {
      const slots = this.inserts.get(channel);
      return slots !== undefined && slots[slot - 1] === spec.owner;
    }
    if (spec.scope === "synth" || spec.scope === "sampler") return this.sources[index] === spec.scope;
    return true;
  }
}

/** A mixer engine running in one AudioWorkletNode. Create it with createEngine(). */
export class DawgEngine {
  #byName;
  #byId = new Map();
  #structure;
  #pendingParams = new Map(); // "params" messages (may create a track or bus)
  #pendingSets = new Map(); // PARAM_SET now, coalesced (message transport)
  #pendingEvents = []; // words of timed events (message transport)
  #rafId = null;
  #timerId = null;
  #microtaskQueued = false;
  #errorCallbacks = new Set();
  #errors = [];
  #disposed = false;
  #onPortMessage;
  #onProcessorError;
  #ring = null;
  #meterHeader = null;
  #meterShared = null;
  #meterData;
  #meterStats = { windows: 0, rejected: 0, overflow: 0, dropped: 0 };
  #offline = false;
  #seq = 0;
  #requests = new Map();
  #baseUrl;
  #ringRefusals = 0;

  /**
   * @param {AudioWorkletNode} node
   * @param {object} manifest
   * @param {"simd"|"scalar"} variant
   * @param {number} tracks
   * @param {{ring?: EventRing, meters?: SharedArrayBuffer, baseUrl?: string|URL, context?: BaseAudioContext}} [extra]
   */
  constructor(node, manifest, variant, tracks, extra = {}) {
    /** The AudioWorkletNode: input i is track i (while its source is its input), output 0 the stereo master. */
    this.node = node;
    /** The build's manifest (parameter table, units, sources, limits, wasm files). */
    this.manifest = manifest;
    /** Which wasm build runs: "simd" or "scalar". */
    this.variant = variant;
    /** Number of tracks (node inputs). */
    this.tracks = tracks;
    /** The context the node lives in. */
    this.context = extra.context || node.context;
    /** Sample rate of the context, Hz. */
    this.sampleRate = this.context.sampleRate;
    /** How events reach the processor: "ring" (SharedArrayBuffer) or "message". */
    this.transport = extra.ring ? "ring" : "message";
    /** The session loaded last (normalised), or null. */
    this.session = null;
    this.limits = manifest.limits || {};
    this.#offline = typeof OfflineAudioContext === "function" && this.context instanceof OfflineAudioContext;
    this.#byName = paramTable(manifest);
    for (const spec of manifest.params) this.#byId.set(spec.id, spec);
    this.#structure = new Structure(manifest, tracks);
    this.#ring = extra.ring || null;
    this.#baseUrl = extra.baseUrl;
    const stride = this.limits.meter_stride || 6;
    const metersLen = (tracks + (this.limits.buses_max || 8) + 1) * stride;
    this.#meterData = new Float32Array(metersLen);
    if (extra.meters) {
      this.#meterHeader = new Int32Array(extra.meters, 0, SEQLOCK_HEADER_WORDS);
      this.#meterShared = new Float32Array(extra.meters, SEQLOCK_HEADER_WORDS * 4, metersLen);
    }
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
        throw new RangeError(this.#missing(spec, target));
      }
      this.#pendingParams.set(target * KEY_STRIDE + spec.id, [target, spec.id, v]);
      this.#structure.touch(target);
      this.#schedule();
      return;
    }
    if (this.#ring !== null) {
      if (this.#ring.push(0, PARAM_SET, target, spec.id, v, 0)) return;
      this.#ringRefusals++;
    }
    this.#pendingSets.set(target * KEY_STRIDE + spec.id, [target, spec.id, v]);
    this.#schedule();
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
    if (!this.#structure.accepts(target, spec)) throw new RangeError(this.#missing(spec, target));
    this.#event(this.frameAt(when), PARAM_RAMP, target, spec.id, v, ms);
  }

  /** Start MIDI `note` on `track` with `velocity` (0..1) at context time `when` (default: now). */
  noteOn(track, note, velocity = 1, when = undefined) {
    this.#live();
    const target = this.#noteTarget(track, note);
    if (typeof velocity !== "number" || !(velocity >= 0 && velocity <= 1)) {
      throw new RangeError("velocity = " + describe(velocity) + " must be a number from 0 to 1");
    }
    this.#event(this.frameAt(when), NOTE_ON, target, note, velocity, 0);
  }

  /** Release MIDI `note` on `track` at context time `when` (default: now). */
  noteOff(track, note, when = undefined) {
    this.#live();
    this.#event(this.frameAt(when), NOTE_OFF, this.#noteTarget(track, note), note, 0, 0);
  }

  /** Release every note of `track` at context time `when` (default: now). */
  allNotesOff(track, when = undefined) {
    this.#live();
    this.#event(this.frameAt(when), ALL_NOTES_OFF, this.#noteTarget(track, 0), 0, 0, 0);
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

  #missing(spec, target) {
    const layout = this.manifest.rules.targets;
    const { kind, index, slot } = decodeTarget(layout, target);
    const where = kind === layout.kinds.bus ? "bus " + index : kind === layout.kinds.master ? "the master" : "track " + index;
    if (spec.scope === "insert") {
      return spec.name + ": insert " + slot + " of " + where + " does not hold a " + spec.owner + " unit";
    }
    if (spec.scope === "synth" || spec.scope === "sampler") {
      return spec.name + ": " + where + " has no " + spec.scope + " source";
    }
    return spec.name + ": " + where + " does not exist yet; set one of its parameters with setParam first";
  }

  #event(frame, kind, target, id, value, aux) {
    if (this.#ring !== null) {
      if (this.#ring.push(frame, kind, target, id, value, aux)) return;
      this.#ringRefusals++;
    }
    const f = new Float32Array(2);
    f[0] = value;
    f[1] = aux;
    const bits = new Uint32Array(f.buffer);
    this.#pendingEvents.push(frame % TWO_32, kind, target, id, bits[0], bits[1], Math.floor(frame / TWO_32), 0);
    this.#schedule();
  }

  /** Send everything pending now (parameter changes and, without the ring, events). */
  flush() {
    this.#cancelScheduled();
    if (this.#disposed) return;
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
      this.node.port.postMessage({ type: "params", changes, beforeStart: this.#beforeStart() }, [changes.buffer]);
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
    this.node.port.postMessage({ type: "events", words, beforeStart: this.#beforeStart() }, [words.buffer]);
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
    const prepared = await prepareSession(this.manifest, this.#baseUrl, this.context, doc, options, this.tracks);
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
    const data = this.#meterData;
    if (this.#meterShared !== null) {
      const seq = seqlockRead(this.#meterHeader, this.#meterShared, data);
      if (seq >= 0) {
        this.#meterStats.rejected = Atomics.load(this.#meterHeader, 1);
        this.#meterStats.overflow = Atomics.load(this.#meterHeader, 2);
        this.#meterStats.windows = Atomics.load(this.#meterHeader, 3);
        this.#meterStats.dropped = Atomics.load(this.#meterHeader, 4);
      }
    }
    const stride = this.limits.meter_stride || 6;
    const row = (i) => {
      const o = i * stride;
      return {
        peak: [data[o], data[o + 1]],
        rms: [data[o + 2], data[o + 3]],
        state: METER_STATES[data[o + 4]] || "absent",
      };
    };
    const buses = this.limits.buses_max || 8;
    const tracks = [];
    for (let t = 0; t < this.tracks; t++) tracks.push(row(t));
    const busRows = [];
    for (let b = 0; b < buses; b++) busRows.push(row(this.tracks + b));
    return {
      windows: this.#meterStats.windows,
      dropped: this.#meterStats.dropped,
      rejected: this.#meterStats.rejected,
      overflow: this.#meterStats.overflow + this.#ringRefusals,
      tracks,
      buses: busRows,
      master: row(this.tracks + buses),
    };
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
    this.#cancelScheduled();
    this.#pendingParams.clear();
    this.#pendingSets.clear();
    this.#pendingEvents = [];
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
      if (data.data instanceof Float32Array) {
        if (data.data.length === this.#meterData.length) this.#meterData.set(data.data);
        this.#meterStats.rejected = data.rejected;
        this.#meterStats.overflow = data.overflow;
        this.#meterStats.dropped = data.dropped;
        this.#meterStats.windows++;
        if (!this.#disposed) this.node.port.postMessage({ type: "meter-buffer", data: data.data }, [data.data.buffer]);
      }
      return;
    }
    if (data.type === "error") {
      this.#report({ message: String(data.message), fatal: data.fatal !== false });
      return;
    }
    if (data.type === "pong" && this.#meterShared === null) {
      // Counters as of every window completed before the ping (meter messages come first).
      this.#meterStats.rejected = data.rejected;
      this.#meterStats.overflow = data.overflow;
      this.#meterStats.dropped = data.dropped;
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

  #schedule() {
    if (this.#offline) {
      // No animation frames drive an offline render: send at once.
      this.flush();
      return;
    }
    if (this.#rafId !== null || this.#timerId !== null || this.#microtaskQueued) return;
    const visible =
      typeof document === "undefined" || document.visibilityState === undefined ||
      document.visibilityState === "visible";
    if (typeof requestAnimationFrame === "function" && typeof document !== "undefined" && visible) {
      this.#rafId = requestAnimationFrame(() => {
        this.#rafId = null;
        this.flush();
      });
      // A tab hidden after scheduling gets no frames; do not strand the changes.
      this.#timerId = setTimeout(() => {
        this.#timerId = null;
        this.flush();
      }, FLUSH_FALLBACK_MS);
    } else if (typeof queueMicrotask === "function") {
      this.#microtaskQueued = true;
      queueMicrotask(() => {
        this.#microtaskQueued = false;
        this.flush();
      });
    } else {
      this.#timerId = setTimeout(() => {
        this.#timerId = null;
        this.flush();
      }, 0);
    }
  }

  #cancelScheduled() {
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

function checkKeys(options, known, what) {
  if (options === null || typeof options !== "object") throw new TypeError(what + "s must be an object");
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError("unknown " + what + " " + JSON.stringify(key) + "; known: " + known.join(", "));
    }
  }
}

// ---- sessions and samples ---------------------------------------------------------

async function fetchOk(url, what) {
  let response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new Error("could not fetch " + what + " " + url + ": " + errorText(err), { cause: err });
  }
  if (!response.ok) {
    throw new Error("could not load " + what + " " + url + ": HTTP " + response.status);
  }
  return response;
}

/** dist/samples/index.json: built-in sample name → {channels, frames, sample_rate_hz}. */
function sampleIndex(baseUrl) {
  const key = String(new URL("samples/index.json", baseUrl));
  let promise = sampleIndexes.get(key);
  if (promise === undefined) {
    promise = fetchOk(key, "the built-in sample index").then((r) => r.json());
    promise.catch(() => sampleIndexes.delete(key));
    sampleIndexes.set(key, promise);
  }
  return promise;
}

function planar(buffer) {
  const channels = Math.min(2, buffer.numberOfChannels);
  const frames = buffer.length;
  const data = new Float32Array(channels * frames);
  for (let c = 0; c < channels; c++) data.set(buffer.getChannelData(c), c * frames);
  return { channels, frames, sampleRate: buffer.sampleRate, data };
}

async function sampleData(name, spec, provided, baseUrl, sessionFolder, context, index) {
  const given = provided && Object.prototype.hasOwnProperty.call(provided, name) ? provided[name] : undefined;
  if (given !== undefined) {
    if (typeof AudioBuffer === "function" && given instanceof AudioBuffer) return planar(given);
    const { channels, frames, sampleRate, data } = given;
    if (!(data instanceof Float32Array) || (channels !== 1 && channels !== 2) || data.length !== channels * frames) {
      throw new TypeError("options.samples." + name + " must be an AudioBuffer or {channels: 1|2, frames, sampleRate, data: planar Float32Array}");
    }
    // A copy: the processor takes ownership of what it is sent.
    return { channels, frames, sampleRate, data: data.slice() };
  }
  if (spec.builtin !== undefined) {
    const info = index[spec.builtin];
    const url = new URL("samples/" + encodeURIComponent(spec.builtin) + ".f32", baseUrl);
    const bytes = await (await fetchOk(url, "the built-in sample")).arrayBuffer();
    const data = new Float32Array(bytes); // little-endian float32, as every Web Audio platform is
    if (data.length !== info.channels * info.frames) {
      throw new Error(url + " holds " + data.length + " floats; its index entry says " + info.channels + " x " + info.frames);
    }
    return { channels: info.channels, frames: info.frames, sampleRate: info.sample_rate_hz, data };
  }
  // checkSampleFile() allowed only plain relative segments; each is encoded, so
  // that "%2e%2e", "?" or "#" name a file and cannot leave the session's folder.
  let url;
  try {
    url = new URL(spec.file.split("/").map(encodeURIComponent).join("/"), sessionFolder);
  } catch (err) {
    throw new Error("could not load the sample file " + JSON.stringify(spec.file) + ": " + errorText(err), { cause: err });
  }
  const bytes = await (await fetchOk(url, "the sample file")).arrayBuffer();
  return planar(await context.decodeAudioData(bytes));
}

/** The URL sample files are resolved against: the session document's URL, else the page's. */
function sessionBase(sessionUrl) {
  if (sessionUrl === undefined) {
    return typeof document !== "undefined" ? document.baseURI : String(globalThis.location || "");
  }
  try {
    return String(new URL(sessionUrl, typeof document !== "undefined" ? document.baseURI : undefined));
  } catch (err) {
    throw new TypeError("sessionUrl = " + describe(String(sessionUrl)) + " is not a URL", { cause: err });
  }
}

/** Validate, load samples, build the ops and the pattern of a session document. */
async function prepareSession(manifest, baseUrl, context, doc, options, tracks) {
  let index = {};
  const wantsBuiltins = doc && typeof doc === "object" && doc.samples && typeof doc.samples === "object" &&
    Object.values(doc.samples).some((s) => s && typeof s === "object" && "builtin" in s);
  if (wantsBuiltins) index = await sampleIndex(baseUrl);
  const session = parseSession(doc, manifest, Object.keys(index));
  const sessionFolder = sessionBase(options.sessionUrl);
  if (tracks !== undefined && session.tracks.length > tracks) {
    throw new RangeError("the session has " + session.tracks.length + " tracks; this engine has " + tracks);
  }
  const ops = sessionOps(session, manifest);
  const loads = [];
  for (const op of ops) {
    if (op.op !== "sample") continue;
    loads.push(
      sampleData(op.name, session.samples.get(op.name), options.samples, baseUrl, sessionFolder, context, index).then((s) => {
        Object.assign(op, s);
      })
    );
  }
  await Promise.all(loads);
  const rate = context.sampleRate;
  const pattern = sessionPattern(session, manifest, rate, { loop: options.loop !== false, frames: options.frames });
  return { session, ops, pattern, passFrames: passFrames(session, rate) };
}

// ---- creation ---------------------------------------------------------------

function chooseVariant(requested) {
  if (!VARIANTS.includes(requested)) {
    throw new RangeError(
      "variant = " + describe(requested) + " is not one of " + VARIANTS.map((v) => JSON.stringify(v)).join(", ")
    );
  }
  if (requested === "simd") {
    if (!simdSupported()) {
      throw new Error("this browser does not support WebAssembly SIMD; use variant \"scalar\" or \"auto\"");
    }
    return "simd";
  }
  if (requested === "scalar") return "scalar";
  if (typeof location !== "undefined" && location && typeof location.search === "string") {
    if (new URLSearchParams(location.search).get("simd") === "0") return "scalar";
  }
  return simdSupported() ? "simd" : "scalar";
}

function chooseTransport(requested) {
  if (!EVENT_TRANSPORTS.includes(requested)) {
    throw new RangeError(
      "events = " + describe(requested) + " is not one of " + EVENT_TRANSPORTS.map((v) => JSON.stringify(v)).join(", ")
    );
  }
  const shared = sharedMemorySupported();
  if (requested === "ring" && !shared) {
    throw new Error(
      "events: \"ring\" needs SharedArrayBuffer: serve the page cross-origin isolated " +
        "(Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp), or use \"auto\""
    );
  }
  if (requested === "message") return "message";
  return shared ? "ring" : "message";
}

async function compileWasm(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new Error("could not fetch " + url + ": " + errorText(err), { cause: err });
  }
  if (!response.ok) {
    throw new Error(
      "could not load " + url + ": HTTP " + response.status + (response.statusText ? " " + response.statusText : "")
    );
  }
  if (typeof WebAssembly.compileStreaming === "function") {
    const spare = response.clone();
    try {
      return await WebAssembly.compileStreaming(response);
    } catch (err) {
      if (!(err instanceof TypeError)) throw compileError(url, err);
      console.warn(
        "dawgwasm: streaming compilation of " + url + " failed (" + err.message + "); " +
          "serve .wasm files as application/wasm. Falling back to arrayBuffer() + compile()."
      );
      response = spare;
    }
  }
  const bytes = await response.arrayBuffer();
  try {
    return await WebAssembly.compile(bytes);
  } catch (err) {
    throw compileError(url, err);
  }
}

function compileError(url, err) {
  return new Error("could not compile " + url + ": " + errorText(err), { cause: err });
}

function addWorkletModule(context, url) {
  let byUrl = workletModules.get(context);
  if (byUrl === undefined) {
    byUrl = new Map();
    workletModules.set(context, byUrl);
  }
  const key = String(url);
  let promise = byUrl.get(key);
  if (promise === undefined) {
    promise = context.audioWorklet.addModule(key).catch((err) => {
      byUrl.delete(key); // let a later call try again
      throw new Error("could not load the AudioWorklet module " + key + ": " + errorText(err), { cause: err });
    });
    byUrl.set(key, promise);
  }
  return promise;
}

/**
 * Create a mixer engine on `context`.
 *
 * @param {BaseAudioContext} context  an AudioContext or OfflineAudioContext
 * @param {object} manifest  the build's manifest.json content
 * @param {string|URL} baseUrl  URL of the dist/ folder (ends with "/")
 * @param {{tracks?: number, variant?: "auto"|"simd"|"scalar",
 *          params?: Array<{name: string, value: number, track?: number}>,
 *          events?: "auto"|"ring"|"message", session?: object, samples?: object,
 *          sessionUrl?: string|URL, loop?: boolean, start?: number, meterQuanta?: number}} [options]
 *        sessionUrl: the session document's URL; its `file` samples are fetched from its folder.
 * @returns {Promise<DawgEngine>}
 */
export async function createEngine(context, manifest, baseUrl, options = {}) {
  if (context === null || typeof context !== "object") {
    throw new TypeError("createEngine needs an AudioContext or OfflineAudioContext");
  }
  if (!context.audioWorklet || typeof AudioWorkletNode === "undefined") {
    throw new Error("AudioWorklet needs a secure context (https or localhost)");
  }
  if (manifest === null || typeof manifest !== "object" || !Array.isArray(manifest.params)) {
    throw new TypeError("createEngine needs the build's manifest (with a params table)");
  }
  checkKeys(options, OPTION_KEYS, "option");
  if (manifest.quantum_frames !== WEB_AUDIO_QUANTUM_FRAMES) {
    throw new RangeError(
      "this build renders " + manifest.quantum_frames + "-frame quanta but Web Audio renders " +
        WEB_AUDIO_QUANTUM_FRAMES + "-frame quanta; rebuild with a quantum of " + WEB_AUDIO_QUANTUM_FRAMES + " frames"
    );
  }
  const limits = manifest.limits || {};
  const tracksMax = Number.isInteger(limits.tracks_max) ? limits.tracks_max : 1;
  const rate = context.sampleRate;
  if (
    typeof limits.sample_rate_min_hz === "number" && typeof limits.sample_rate_max_hz === "number" &&
    !(rate >= limits.sample_rate_min_hz && rate <= limits.sample_rate_max_hz)
  ) {
    throw new RangeError(
      "the context's sample rate " + rate + " Hz is out of range [" + limits.sample_rate_min_hz + ", " +
        limits.sample_rate_max_hz + "] Hz"
    );
  }
  const transport = chooseTransport(options.events === undefined ? "auto" : options.events);
  const variant = chooseVariant(options.variant === undefined ? "auto" : options.variant);

  let prepared = null;
  if (options.session !== undefined) {
    prepared = await prepareSession(manifest, baseUrl, context, options.session, {
      samples: options.samples,
      sessionUrl: options.sessionUrl,
      loop: options.loop,
    }, undefined);
  } else if (
    options.samples !== undefined || options.sessionUrl !== undefined || options.loop !== undefined ||
    options.start !== undefined
  ) {
    throw new TypeError("options samples, sessionUrl, loop and start go with options.session");
  }
  const sessionTracks = prepared === null ? 1 : prepared.session.tracks.length;
  const tracks = options.tracks === undefined ? sessionTracks : options.tracks;
  if (!Number.isInteger(tracks) || tracks < 1 || tracks > tracksMax) {
    throw new RangeError("tracks = " + describe(tracks) + " is out of range [1, " + tracksMax + "]");
  }
  if (tracks < sessionTracks) {
    throw new RangeError("tracks = " + tracks + " is fewer than the session's " + sessionTracks + " tracks");
  }

  // Initial parameters: checked against the table, applied before the first sample.
  const byName = paramTable(manifest);
  const initial = options.params === undefined ? [] : options.params;
  if (!Array.isArray(initial)) throw new TypeError("options.params must be an array of {name, value, track}");
  const params = initial.map((p) => {
    if (p === null || typeof p !== "object") throw new TypeError("options.params entries must be {name, value, track}");
    const spec = byName.get(p.name);
    if (spec === undefined) throw unknownParamError(byName, p.name);
    const where = p.track !== undefined ? p.track : p.bus !== undefined || p.master !== undefined || p.slot !== undefined
      ? { bus: p.bus, master: p.master, slot: p.slot } : 0;
    const value = checkValue(spec, p.value);
    return [resolveTarget(manifest, spec, where, tracks), spec.id, value];
  });
  if (options.meterQuanta !== undefined && (!Number.isInteger(options.meterQuanta) || options.meterQuanta < 1)) {
    throw new RangeError("meterQuanta must be a positive integer");
  }

  const wasm = manifest.wasm && manifest.wasm[variant];
  if (!wasm || typeof wasm.file !== "string") {
    throw new Error("the manifest names no wasm file for the " + variant + " variant");
  }
  const wasmUrl = new URL(wasm.file, baseUrl);
  const processorUrl = new URL("dawg-processor.js", baseUrl);
  const [module] = await Promise.all([compileWasm(wasmUrl), addWorkletModule(context, processorUrl)]);

  const processorOptions = { module, tracks, params, maxQuanta: 1 };
  if (typeof OfflineAudioContext === "function" && context instanceof OfflineAudioContext) {
    processorOptions.renderFrames = context.length; // sizes the meter pool for the whole render
  }
  if (options.meterQuanta !== undefined) processorOptions.meterQuanta = options.meterQuanta;
  let ring = null;
  let meters = null;
  if (transport === "ring") {
    ring = EventRing.create(RING_CAPACITY);
    const metersLen = (tracks + (limits.buses_max || 8) + 1) * (limits.meter_stride || 6);
    meters = new SharedArrayBuffer(seqlockBytes(metersLen));
    processorOptions.ring = ring.buffer;
    processorOptions.meters = meters;
  }
  if (prepared !== null) {
    processorOptions.configure = prepared.ops;
    processorOptions.pattern = {
      words: prepared.pattern.words,
      loopFrames: prepared.pattern.loopFrames,
      startFrame: options.start === undefined || options.start === null ? -1 : Math.round(options.start * rate),
    };
  }

  let node;
  try {
    node = new AudioWorkletNode(context, manifest.processor_name, {
      numberOfInputs: tracks,
      numberOfOutputs: 1,
      outputChannelCount: [2],
      channelCount: 2,
      channelCountMode: "explicit",
      channelInterpretation: "speakers",
      processorOptions,
    });
  } catch (err) {
    throw new Error(
      "could not create the AudioWorkletNode " + JSON.stringify(manifest.processor_name) + ": " + errorText(err),
      { cause: err }
    );
  }
  const engine = new DawgEngine(node, manifest, variant, tracks, { ring, meters, baseUrl, context });
  if (prepared !== null) {
    engine.adoptConfigured(prepared.ops);
    engine.session = prepared.session;
    // The processor applied the session in its constructor: wait for it, and fail here if it could not.
    try {
      await engine.sync();
    } catch (err) {
      engine.dispose();
      throw err;
    }
    const fatal = engine.fatalError();
    if (fatal !== null) {
      engine.dispose();
      throw new Error(fatal.message);
    }
  }
  return engine;
}
