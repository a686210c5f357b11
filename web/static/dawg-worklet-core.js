// dawg-worklet-core.js — the AudioWorklet side of dawgwasm (hand-written; not generated).
//
// Runs in AudioWorkletGlobalScope, where `registerProcessor`, `sampleRate` and
// `AudioWorkletProcessor` exist but `performance`, `fetch` and `TextDecoder`
// are not guaranteed. The generated `dawg-processor.js` imports this module and
// calls `registerDawgProcessor(config)` with the engine's data (processor name,
// ABI version, quantum, parameter table, status texts); all code lives here.
//
// One processor hosts the whole mixer: input i of the node is track i, output 0
// is the stereo master. The wasm module arrives compiled in
// `processorOptions.module` and is instantiated synchronously in the
// constructor, so `process()` never runs before the engine exists.
//
// Messages from the main thread (port):
//   {type: "params", changes}  changes = [target, id, value, target, id, value, ...]
//                              (Float64Array or number[]); applied at once, so a
//                              change lands within the next render quantum.
//   {type: "reset"}            clear audio state; every parameter ramp jumps to its target.
//   {type: "dispose"}          free the engine; process() then returns false.
// Messages to the main thread (port):
//   {type: "error", message, fatal}  fatal: the processor outputs silence from now
//                              on (posted once); not fatal: a rejected parameter change.
//
// Real-time rules for process(): no allocation (no array/object literals,
// closures or string building on the normal path), never throws.

const WEB_AUDIO_QUANTUM_FRAMES = 128;

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
];

function errorText(err) {
  if (err instanceof Error) return err.message;
  return String(err);
}

function fillSilence(channels) {
  if (channels === undefined) return;
  for (let c = 0; c < channels.length; c++) channels[c].fill(0);
}

/**
 * Define and register the dawgwasm AudioWorkletProcessor.
 *
 * @param {{processor_name: string, abi_version: number, quantum_frames: number,
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
  const paramNames = new Map();
  for (const p of Array.isArray(config.params) ? config.params : []) paramNames.set(p.id, p.name);

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
      this.inputPtrs = null;
      this.outputPtr = 0;
      this.inL = null;
      this.inR = null;
      this.outL = null;
      this.outR = null;
      this.viewsBuffer = null;
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

      this.capacity = ex.dawg_capacity_frames(handle) >>> 0;
      if (this.capacity < WEB_AUDIO_QUANTUM_FRAMES) {
        throw new Error("engine buffers hold " + this.capacity + " frames, fewer than one render quantum");
      }
      this.inputPtrs = new Array(tracks);
      for (let t = 0; t < tracks; t++) {
        const ptr = ex.dawg_input_ptr(handle, t) >>> 0;
        if (ptr === 0 || ptr % 4 !== 0) throw new Error("dawg_input_ptr(track " + t + ") returned " + ptr);
        this.inputPtrs[t] = ptr;
      }
      this.outputPtr = ex.dawg_output_ptr(handle) >>> 0;
      if (this.outputPtr === 0 || this.outputPtr % 4 !== 0) {
        throw new Error("dawg_output_ptr returned " + this.outputPtr);
      }
      this.inL = new Array(tracks);
      this.inR = new Array(tracks);
      this.buildViews();
    }

    // (Re)build the Float32Array views over linear memory. Pointers stay valid
    // for the engine's life; only the ArrayBuffer changes when memory grows.
    buildViews() {
      const buffer = this.memory.buffer;
      const q = WEB_AUDIO_QUANTUM_FRAMES;
      const rightOffset = this.capacity * 4;
      for (let t = 0; t < this.tracks; t++) {
        const ptr = this.inputPtrs[t];
        this.inL[t] = new Float32Array(buffer, ptr, q);
        this.inR[t] = new Float32Array(buffer, ptr + rightOffset, q);
      }
      this.outL = new Float32Array(buffer, this.outputPtr, q);
      this.outR = new Float32Array(buffer, this.outputPtr + rightOffset, q);
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
      return null;
    }

    onMessage(data) {
      if (this.failed || this.disposed || data === null || typeof data !== "object") return;
      try {
        if (data.type === "params") {
          this.applyChanges(data.changes);
        } else if (data.type === "reset") {
          this.exports.dawg_reset(this.handle);
        } else if (data.type === "dispose") {
          this.dispose();
        }
      } catch (err) {
        this.fail("message handler failed: " + errorText(err));
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
        const inL = this.inL;
        const inR = this.inR;
        for (let t = 0; t < this.tracks; t++) {
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
