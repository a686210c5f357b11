// dawg-engine-core.js — the main-thread side of dawgwasm (hand-written; not generated).
//
// The generated `dawg-engine.js` injects the build's manifest and calls
// `createEngine(context, MANIFEST, baseUrl, options)`; all code lives here.
//
// createEngine compiles the wasm once on the main thread (compileStreaming),
// loads the worklet module once per context, and hands the compiled module to
// one AudioWorkletNode that hosts the whole mixer (input i = track i, output 0
// = stereo master). Parameter changes are validated here against the
// manifest's parameter table (reject at the boundary), coalesced (last write
// per target and parameter wins) and sent as one message per animation frame:
//   {type: "params", changes: Float64Array [target, id, value, target, id, value, ...]}
// Other messages to the processor: {type: "reset"}, {type: "dispose"}.
// From the processor: {type: "error", message, fatal}.

// The standard smallest module using a v128 instruction (as in wasm-feature-detect).
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253,
  98, 11,
]);

const VARIANTS = ["auto", "simd", "scalar"];
const OPTION_KEYS = ["tracks", "variant", "params"];
const WEB_AUDIO_QUANTUM_FRAMES = 128;
const KEY_STRIDE = 65536; // coalescing key = target * KEY_STRIDE + id
const FLUSH_FALLBACK_MS = 50; // flush even if requestAnimationFrame never fires (tab hidden)
const MAX_KEPT_ERRORS = 16;

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

/** Shortest decimal that reads back as the same float32 (0.1, not 0.10000000149011612). */
function formatNumber(x) {
  if (typeof x !== "number" || !Number.isFinite(x)) return String(x);
  const f = Math.fround(x);
  if (f !== x) return String(x);
  for (let digits = 1; digits <= 9; digits++) {
    const text = String(Number(f.toPrecision(digits)));
    if (Math.fround(Number(text)) === f) return text;
  }
  return String(x);
}

function describeValue(value) {
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "string") return JSON.stringify(value);
  return typeof value;
}

function rangeText(spec) {
  const range = "[" + formatNumber(spec.min) + ", " + formatNumber(spec.max) + "]";
  return spec.unit ? range + " " + spec.unit : range;
}

/**
 * Validate one change against the parameter table and return [target, id, value].
 * Throws Error for an unknown name, RangeError for a bad value or track.
 */
function checkChange(engineLike, name, value, track) {
  const spec = engineLike.param(name);
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new RangeError(
      name + " must be a finite number in " + rangeText(spec) + "; got " + describeValue(value)
    );
  }
  // Compare as float32, like the engine: a table minimum of 0.1 is stored as the
  // float32 nearest 0.1, and 0.1 itself must still pass.
  const v = Math.fround(value);
  if (v < Math.fround(spec.min) || v > Math.fround(spec.max)) {
    throw new RangeError(name + " = " + formatNumber(value) + " is out of range " + rangeText(spec));
  }
  if (spec.stepped && !Number.isInteger(value)) {
    throw new RangeError(
      name + " = " + formatNumber(value) + " must be a whole number in " + rangeText(spec)
    );
  }
  if (spec.scope === "master") {
    if (track !== 0) {
      throw new RangeError(
        name + " is a master parameter; its track must be 0, got " + describeValue(track)
      );
    }
  } else if (!Number.isInteger(track) || track < 0 || track >= engineLike.tracks) {
    throw new RangeError(
      "track = " + describeValue(track) + " is out of range for " + name + ": this engine has " +
        engineLike.tracks + (engineLike.tracks === 1 ? " track (0)" : " tracks (0.." + (engineLike.tracks - 1) + ")")
    );
  }
  return [track, spec.id, value];
}

function paramTable(manifest) {
  const byName = new Map();
  for (const spec of manifest.params) byName.set(spec.name, spec);
  return byName;
}

function unknownParamError(byName, name) {
  return new Error(
    "unknown parameter " + describeValue(name) + "; known: " + Array.from(byName.keys()).join(", ")
  );
}

/** A mixer engine running in one AudioWorkletNode. Create it with createEngine(). */
export class DawgEngine {
  #byName;
  #pending = new Map();
  #rafId = null;
  #timerId = null;
  #microtaskQueued = false;
  #errorCallbacks = new Set();
  #errors = [];
  #disposed = false;
  #onPortMessage;
  #onProcessorError;

  /**
   * @param {AudioWorkletNode} node
   * @param {object} manifest
   * @param {"simd"|"scalar"} variant
   * @param {number} tracks
   */
  constructor(node, manifest, variant, tracks) {
    /** The AudioWorkletNode: input i is track i, output 0 is the stereo master. */
    this.node = node;
    /** The build's manifest (parameter table, limits, wasm files). */
    this.manifest = manifest;
    /** Which wasm build runs: "simd" or "scalar". */
    this.variant = variant;
    /** Number of tracks (node inputs). */
    this.tracks = tracks;
    this.#byName = paramTable(manifest);
    this.#onPortMessage = (event) => {
      const data = event.data;
      if (data !== null && typeof data === "object" && data.type === "error") {
        this.#report({ message: String(data.message), fatal: data.fatal !== false });
      }
    };
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
   * @returns {object} {id, name, unit, scope, min, max, default, smoothing_ms, stepped, doc}
   */
  param(name) {
    const spec = this.#byName.get(name);
    if (spec === undefined) throw unknownParamError(this.#byName, name);
    return spec;
  }

  /**
   * Set a parameter; validated now, sent with the next flush (one message per frame).
   * @param {string} name    parameter name from the manifest
   * @param {number} value   in the parameter's unit and range
   * @param {number} [track] track index for track parameters; 0 for master parameters
   */
  setParam(name, value, track = 0) {
    if (this.#disposed) throw new Error("this DawgEngine has been disposed");
    const [target, id, v] = checkChange(this, name, value, track);
    this.#pending.set(target * KEY_STRIDE + id, v);
    this.#schedule();
  }

  /** Send all pending parameter changes now, in one message. */
  flush() {
    this.#cancelScheduled();
    if (this.#disposed || this.#pending.size === 0) return;
    const changes = new Float64Array(this.#pending.size * 3);
    let i = 0;
    for (const [key, value] of this.#pending) {
      changes[i] = Math.floor(key / KEY_STRIDE);
      changes[i + 1] = key % KEY_STRIDE;
      changes[i + 2] = value;
      i += 3;
    }
    this.#pending.clear();
    this.node.port.postMessage({ type: "params", changes }, [changes.buffer]);
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

  /** Disconnect the node and free the engine in the processor; the engine is unusable after. */
  dispose() {
    if (this.#disposed) return;
    this.#cancelScheduled();
    this.#pending.clear();
    this.#disposed = true;
    try {
      this.node.port.postMessage({ type: "dispose" });
    } catch (_) {
      // The context may already be closed.
    }
    this.node.disconnect();
    this.node.removeEventListener("processorerror", this.#onProcessorError);
    this.node.port.onmessage = null;
  }

  #report(error) {
    if (this.#errors.length < MAX_KEPT_ERRORS) this.#errors.push(error);
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

  #schedule() {
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

function chooseVariant(requested) {
  if (!VARIANTS.includes(requested)) {
    throw new RangeError(
      "variant = " + describeValue(requested) + " is not one of " + VARIANTS.map((v) => JSON.stringify(v)).join(", ")
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

async function compileWasm(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new Error("could not fetch " + url + ": " + (err && err.message ? err.message : String(err)), { cause: err });
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
  return new Error(
    "could not compile " + url + ": " + (err && err.message ? err.message : String(err)),
    { cause: err }
  );
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
      throw new Error(
        "could not load the AudioWorklet module " + key + ": " + (err && err.message ? err.message : String(err)),
        { cause: err }
      );
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
 *          params?: Array<{name: string, value: number, track?: number}>}} [options]
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
  if (options === null || typeof options !== "object") throw new TypeError("options must be an object");
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw new TypeError("unknown option " + JSON.stringify(key) + "; known: " + OPTION_KEYS.join(", "));
    }
  }
  if (manifest.quantum_frames !== WEB_AUDIO_QUANTUM_FRAMES) {
    throw new RangeError(
      "this build renders " + manifest.quantum_frames + "-frame quanta but Web Audio renders " +
        WEB_AUDIO_QUANTUM_FRAMES + "-frame quanta; rebuild with a quantum of " + WEB_AUDIO_QUANTUM_FRAMES + " frames"
    );
  }
  const limits = manifest.limits || {};
  const tracksMax = Number.isInteger(limits.tracks_max) ? limits.tracks_max : 1;
  const tracks = options.tracks === undefined ? 1 : options.tracks;
  if (!Number.isInteger(tracks) || tracks < 1 || tracks > tracksMax) {
    throw new RangeError("tracks = " + describeValue(tracks) + " is out of range [1, " + tracksMax + "]");
  }
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

  const byName = paramTable(manifest);
  const checker = {
    tracks,
    param(name) {
      const spec = byName.get(name);
      if (spec === undefined) throw unknownParamError(byName, name);
      return spec;
    },
  };
  const initial = options.params === undefined ? [] : options.params;
  if (!Array.isArray(initial)) throw new TypeError("options.params must be an array of {name, value, track}");
  const params = initial.map((p) => {
    if (p === null || typeof p !== "object") throw new TypeError("options.params entries must be {name, value, track}");
    return checkChange(checker, p.name, p.value, p.track === undefined ? 0 : p.track);
  });

  const variant = chooseVariant(options.variant === undefined ? "auto" : options.variant);
  const wasm = manifest.wasm && manifest.wasm[variant];
  if (!wasm || typeof wasm.file !== "string") {
    throw new Error("the manifest names no wasm file for the " + variant + " variant");
  }
  const wasmUrl = new URL(wasm.file, baseUrl);
  const processorUrl = new URL("dawg-processor.js", baseUrl);
  const [module] = await Promise.all([compileWasm(wasmUrl), addWorkletModule(context, processorUrl)]);

  let node;
  try {
    node = new AudioWorkletNode(context, manifest.processor_name, {
      numberOfInputs: tracks,
      numberOfOutputs: 1,
      outputChannelCount: [2],
      channelCount: 2,
      channelCountMode: "explicit",
      channelInterpretation: "speakers",
      processorOptions: { module, tracks, params, maxQuanta: 1 },
    });
  } catch (err) {
    throw new Error(
      "could not create the AudioWorkletNode " + JSON.stringify(manifest.processor_name) + ": " +
        (err && err.message ? err.message : String(err)),
      { cause: err }
    );
  }
  return new DawgEngine(node, manifest, variant, tracks);
}
