// dawg-engine-core.js — the main-thread side of dawgwasm (hand-written; not generated).
//
// The generated `dawg-engine.js` injects the build's manifest and the URLs of
// the build's files, each written as `new URL("./file", import.meta.url)` so
// that a bundler sees, copies and renames them, and calls
// `createEngine(context, MANIFEST, fileUrl, options)`; the code lives here and
// in the modules listed below.
//
// Backends: "wasm-simd", "wasm-scalar" (the engine compiled to WebAssembly,
// with and without SIMD) and "js" (the same engine in JavaScript, driven
// through the same ABI). "auto" tries them in that order, skipping what the
// browser cannot run: wasm-simd needs WebAssembly.validate to accept a v128
// module, the wasm backends need WebAssembly (absent, or refused by a Content
// Security Policy without 'wasm-unsafe-eval': the compile fails and the next
// backend is tried). A backend that fails leaves nothing behind: its node is
// disconnected and its engine freed before the next is tried.
//
// createEngine compiles the wasm on the main thread (compileStreaming), loads
// the worklet module once per context, and creates one AudioWorkletNode that
// hosts the whole mixer (input i = track i while its source is its input,
// output 0 = stereo master), handing it the compiled module (or, for "js",
// nothing: the processor builds the JavaScript engine from the build's table).
// It resolves once the processor reports its engine running.
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
//
// Modules: dawg-engine-class.js (DawgEngine), dawg-outbox.js (how changes and
// events travel), dawg-meters.js (meters read back), dawg-structure.js (what
// exists in the mixer), dawg-session-load.js (sessions and their samples),
// dawg-checks.js (shared checks); this one checks the options and creates the
// node.

import { checkKeys, errorText, paramTable, unknownParamError } from "./dawg-checks.js";
import { DawgEngine } from "./dawg-engine-class.js";
import { metersLength } from "./dawg-meters.js";
import { EventRing, seqlockBytes } from "./dawg-ring.js";
import { checkValue, describe, resolveTarget } from "./dawg-rules.js";
import { SessionError } from "./dawg-session.js";
import { prepareSession } from "./dawg-session-load.js";

export { DawgEngine, SessionError };

// The standard smallest module using a v128 instruction (as in wasm-feature-detect).
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253,
  98, 11,
]);

const BACKENDS = ["auto", "wasm-simd", "wasm-scalar", "js"];
/** The older `variant` option, by the backend it names. */
const VARIANT_BACKENDS = { auto: "auto", simd: "wasm-simd", scalar: "wasm-scalar" };
const EVENT_TRANSPORTS = ["auto", "ring", "message"];
const OPTION_KEYS = [
  "tracks", "backend", "variant", "params", "events", "session", "sessionUrl", "samples", "loop", "start",
  "meterQuanta", "measureLoad", "join",
];
const WEB_AUDIO_QUANTUM_FRAMES = 128;
const RING_CAPACITY = 4096;

/** Worklet module promises per context, then per module URL. */
const workletModules = new WeakMap();

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

/** Whether this page has WebAssembly at all (a Content Security Policy may still refuse to compile). */
export function wasmSupported() {
  return typeof WebAssembly === "object" && WebAssembly !== null && typeof WebAssembly.compile === "function";
}

/** Whether the page can share memory with the worklet (the "ring" transport). */
export function sharedMemorySupported() {
  return globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === "function";
}

function listed(values) {
  return values.map((v) => JSON.stringify(v)).join(", ");
}

/** The backend asked for: `backend`, or the older `variant` ("simd", "scalar"), default "auto". */
function requestedBackend(options) {
  if (options.backend !== undefined && options.variant !== undefined) {
    throw new TypeError("give options.backend or options.variant (its older name), not both");
  }
  if (options.variant !== undefined) {
    if (!Object.prototype.hasOwnProperty.call(VARIANT_BACKENDS, options.variant)) {
      throw new RangeError(
        "variant = " + describe(options.variant) + " is not one of " + listed(Object.keys(VARIANT_BACKENDS)) +
          "; or give backend: one of " + listed(BACKENDS)
      );
    }
    return VARIANT_BACKENDS[options.variant];
  }
  const backend = options.backend === undefined ? "auto" : options.backend;
  if (!BACKENDS.includes(backend)) {
    throw new RangeError("backend = " + describe(backend) + " is not one of " + listed(BACKENDS));
  }
  return backend;
}

/**
 * The backends to try, in order: the one asked for (if the browser can run it),
 * or for "auto" every one it can, wasm-simd first (the page URL's ?simd=0 skips it).
 */
export function backendCandidates(requested) {
  if (requested === "wasm-simd" || requested === "wasm-scalar") {
    if (!wasmSupported()) {
      throw new Error("this page has no WebAssembly; use backend \"js\" or \"auto\"");
    }
    if (requested === "wasm-simd" && !simdSupported()) {
      throw new Error("this browser does not support WebAssembly SIMD; use backend \"wasm-scalar\" or \"auto\"");
    }
    return [requested];
  }
  if (requested === "js") return ["js"];
  const candidates = [];
  let simd = simdSupported();
  if (typeof location !== "undefined" && location && typeof location.search === "string") {
    if (new URLSearchParams(location.search).get("simd") === "0") simd = false;
  }
  if (simd) candidates.push("wasm-simd");
  if (wasmSupported()) candidates.push("wasm-scalar");
  candidates.push("js");
  return candidates;
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
 * @param {(path: string) => URL} fileUrl  the URL of a file of the build, by its path in dist/
 * @param {{tracks?: number, backend?: "auto"|"wasm-simd"|"wasm-scalar"|"js", variant?: "auto"|"simd"|"scalar",
 *          params?: Array<{name: string, value: number, track?: number}>,
 *          events?: "auto"|"ring"|"message", session?: object, samples?: object,
 *          sessionUrl?: string|URL, loop?: boolean, start?: number, meterQuanta?: number,
 *          measureLoad?: boolean, join?: boolean}} [options]
 *        sessionUrl: the session document's URL; its `file` samples are fetched from its folder.
 *        join: with `start` in the past, join the pattern where it is: of the events due
 *        before the first quantum rendered, notes still held start on it, notes already
 *        over are skipped (default: all of them are played late, on that quantum).
 *        measureLoad: time each render quantum's work so that engine.load() can report it
 *        (default false: the only clock of the audio thread, Date.now(), allocates).
 * @returns {Promise<DawgEngine>}
 */
export async function createEngine(context, manifest, fileUrl, options = {}) {
  if (context === null || typeof context !== "object") {
    throw new TypeError("createEngine needs an AudioContext or OfflineAudioContext");
  }
  if (!context.audioWorklet || typeof AudioWorkletNode === "undefined") {
    throw new Error("AudioWorklet needs a secure context (https or localhost)");
  }
  if (manifest === null || typeof manifest !== "object" || !Array.isArray(manifest.params)) {
    throw new TypeError("createEngine needs the build's manifest (with a params table)");
  }
  if (typeof fileUrl !== "function") throw new TypeError("createEngine needs the build's file URLs");
  if (options === null || typeof options !== "object") throw new TypeError("options must be an object");
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
  const requested = requestedBackend(options);
  const candidates = backendCandidates(requested);

  let prepared = null;
  if (options.session !== undefined) {
    prepared = await prepareSession(manifest, fileUrl, context, options.session, {
      samples: options.samples,
      sessionUrl: options.sessionUrl,
      loop: options.loop,
    }, undefined);
  } else if (
    options.samples !== undefined || options.sessionUrl !== undefined || options.loop !== undefined ||
    options.start !== undefined || options.join !== undefined
  ) {
    throw new TypeError("options samples, sessionUrl, loop, start and join go with options.session");
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

  if (options.join !== undefined && typeof options.join !== "boolean") {
    throw new TypeError("join must be true or false, got " + describe(options.join));
  }
  if (options.measureLoad !== undefined && typeof options.measureLoad !== "boolean") {
    throw new TypeError("measureLoad must be true or false, got " + describe(options.measureLoad));
  }
  const measureLoad = options.measureLoad === true;
  const processorOptions = { tracks, params, maxQuanta: 1, measureLoad };
  if (typeof OfflineAudioContext === "function" && context instanceof OfflineAudioContext) {
    processorOptions.renderFrames = context.length; // sizes the meter pool for the whole render
  }
  if (options.meterQuanta !== undefined) processorOptions.meterQuanta = options.meterQuanta;
  if (prepared !== null) {
    processorOptions.configure = prepared.ops;
    processorOptions.pattern = {
      words: prepared.pattern.words,
      loopFrames: prepared.pattern.loopFrames,
      startFrame: options.start === undefined || options.start === null ? -1 : Math.round(options.start * rate),
      join: options.join === true,
    };
  }
  const setup = { context, manifest, fileUrl, tracks, transport, prepared, processorOptions };

  await addWorkletModule(context, fileUrl("dawg-processor.js"));
  if (candidates.length === 1) return startBackend(setup, candidates[0]);
  const failures = [];
  for (const backend of candidates) {
    try {
      return await startBackend(setup, backend);
    } catch (err) {
      failures.push(backend + ": " + errorText(err));
      if (backend !== candidates[candidates.length - 1]) {
        console.warn("dawgwasm: backend " + backend + " failed (" + errorText(err) + "); trying the next one");
      }
    }
  }
  throw new Error("no backend could start: " + failures.join("; "));
}

/** The compiled wasm of a wasm backend ("wasm-simd" → manifest.wasm.simd). */
function compileBackend(manifest, fileUrl, backend) {
  const variant = backend === "wasm-simd" ? "simd" : "scalar";
  const wasm = manifest.wasm && manifest.wasm[variant];
  if (!wasm || typeof wasm.file !== "string") {
    throw new Error("the manifest names no wasm file for the " + variant + " variant");
  }
  return compileWasm(fileUrl(wasm.file));
}

/**
 * Create the node running `backend` and wait until its engine runs; on any
 * failure dispose what was made (node and engine) and throw.
 */
async function startBackend(setup, backend) {
  const { context, manifest, tracks, transport, prepared } = setup;
  const processorOptions = { ...setup.processorOptions, backend };
  if (backend !== "js") processorOptions.module = await compileBackend(manifest, setup.fileUrl, backend);
  let ring = null;
  let meters = null;
  if (transport === "ring") {
    ring = EventRing.create(RING_CAPACITY);
    meters = new SharedArrayBuffer(seqlockBytes(metersLength(manifest.limits || {}, tracks)));
    processorOptions.ring = ring.buffer;
    processorOptions.meters = meters;
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
  const engine = new DawgEngine(node, manifest, backend, tracks, {
    ring, meters, fileUrl: setup.fileUrl, context, measureLoad: setup.processorOptions.measureLoad,
  });
  // A failure here is thrown (or, for "auto", the next backend tried), not also logged.
  const unlisten = engine.onError(() => {});
  try {
    if (prepared !== null) {
      engine.adoptConfigured(prepared.ops);
      engine.session = prepared.session;
    }
    // The processor created the engine (and applied the session) in its constructor: wait for it.
    await engine.sync();
    const fatal = engine.fatalError();
    if (fatal !== null) throw new Error(fatal.message);
  } catch (err) {
    engine.dispose();
    throw err;
  } finally {
    unlisten();
  }
  return engine;
}
