// dawg-worklet-wasm.js — the engine behind its ABI on the audio thread
// (hand-written; not generated): the exports with their checks, the structure
// calls of "configure" (sources, inserts, samples, parameters) and the
// typed-array views over linear memory that process() reads and writes. Runs
// in AudioWorkletGlobalScope.
//
// The exports are a wasm instance's (instantiateEngine) or the JavaScript
// engine's (createJsExports of dawg-js-abi.js: the same dawg_* functions over
// a `memory` whose buffer may be replaced when it grows, as a wasm Memory's
// is): every backend is driven through the same calls.

import { RECORD_WORDS } from "./dawg-ring.js";

export const WEB_AUDIO_QUANTUM_FRAMES = 128;

const REQUIRED_EXPORTS = [
  "memory",
  "dawg_abi_version",
  "dawg_engine_new",
  "dawg_capacity_frames",
  "dawg_input_ptr",
  "dawg_input_silent",
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

export function errorText(err) {
  if (err instanceof Error) return err.message;
  return String(err);
}

export function isCount(x) {
  return Number.isInteger(x) && x >= 0;
}

/** The target layout (manifest.rules.targets) as plain numbers for the audio thread. */
export function targetNumbers(layout) {
  return {
    kindShift: layout.kind_shift,
    kindMask: (1 << layout.kind_bits) - 1,
    indexMask: (1 << layout.index_bits) - 1,
    channelMask: (1 << layout.slot_shift) - 1,
    bus: layout.kinds.bus,
  };
}

function describeOp(op) {
  if (op === null || typeof op !== "object") return String(op);
  const parts = [];
  for (const key of ["op", "track", "channel", "slot", "kind", "target", "id", "value", "sample", "name"]) {
    if (op[key] !== undefined) parts.push(key + "=" + (typeof op[key] === "string" ? op[key] : String(op[key])));
  }
  return parts.join(" ");
}

/**
 * The exports of a new instance of the compiled engine `module`.
 * @param {WebAssembly.Module} module
 * @returns {WebAssembly.Exports}
 */
export function instantiateEngine(module) {
  if (typeof WebAssembly !== "object" || !(module instanceof WebAssembly.Module)) {
    throw new TypeError("processorOptions.module must be a compiled WebAssembly.Module");
  }
  return new WebAssembly.Instance(module, {}).exports;
}

/** One engine behind the dawg_* ABI, with its buffers mapped as typed arrays. */
export class WasmEngine {
  /**
   * Create an engine through `ex`; throws if `ex` is not a dawgwasm engine of
   * ABI `abiVersion` or the engine cannot be created.
   * @param {object} ex  the exports: `memory` (its `buffer`) and the dawg_* functions
   * @param {number} abiVersion
   * @param {number} tracks
   * @param {number} maxQuanta
   * @param {number} busesMax
   * @param {{kindShift: number, kindMask: number, indexMask: number, channelMask: number, bus: number}} targets
   * @param {(code: number) => string} statusText
   * @param {(id: number) => string} paramLabel
   */
  constructor(ex, abiVersion, tracks, maxQuanta, busesMax, targets, statusText, paramLabel) {
    if (ex === null || typeof ex !== "object") throw new TypeError("the engine's exports must be an object");
    const missing = REQUIRED_EXPORTS.filter((name) => !(name in ex));
    if (missing.length > 0) {
      throw new Error("the engine lacks the exports " + missing.join(", ") + "; it is not a dawgwasm engine");
    }
    const abi = ex.dawg_abi_version() >>> 0;
    if (abi !== abiVersion) {
      throw new Error(
        "the engine implements ABI v" + abi + " but this glue expects v" + abiVersion +
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
    this.statusText = statusText;
    this.paramLabel = paramLabel;
    this.kindShift = targets.kindShift;
    this.kindMask = targets.kindMask;
    this.indexMask = targets.indexMask;
    this.busKind = targets.bus;
    this.exports = ex;
    this.memory = ex.memory;
    this.handle = handle;
    this.tracks = tracks;
    this.capacity = 0;
    this.sourceKinds = new Int32Array(tracks); // every track starts as an input track
    this.inputPtrs = new Uint32Array(tracks); // input buffer per track, 0 if not mapped
    this.inputList = new Int32Array(tracks); // mapped tracks, inputCount of them
    this.inputCount = 0;
    // 1 where the engine was told the track's input is silent (dawg_input_silent).
    this.inputSilent = new Uint8Array(tracks);
    this.inL = new Array(tracks).fill(null);
    this.inR = new Array(tracks).fill(null);
    this.busExists = new Uint8Array(busesMax); // bus b created (dawg_set_param on it cannot allocate)
    this.outputPtr = 0;
    this.outL = null;
    this.outR = null;
    this.stagingPtr = 0;
    this.stagingMax = 0;
    this.staging = null; // Uint32Array over the engine's event staging area
    this.metersPtr = 0;
    this.metersLen = 0;
    this.metersView = null;
    this.viewsBuffer = null;
    this.sampleIds = new Map();
  }

  /** Check that the engine's buffers hold a render quantum. */
  checkCapacity() {
    this.capacity = this.exports.dawg_capacity_frames(this.handle) >>> 0;
    if (this.capacity < WEB_AUDIO_QUANTUM_FRAMES) {
      throw new Error("engine buffers hold " + this.capacity + " frames, fewer than one render quantum");
    }
  }

  /** Find the output, event staging (`stagingMax` records) and meter buffers. */
  locateBuffers(stagingMax) {
    const ex = this.exports;
    const handle = this.handle;
    this.outputPtr = ex.dawg_output_ptr(handle) >>> 0;
    if (this.outputPtr === 0 || this.outputPtr % 4 !== 0) {
      throw new Error("dawg_output_ptr returned " + this.outputPtr);
    }
    this.stagingPtr = ex.dawg_events_ptr(handle) >>> 0;
    this.stagingMax = stagingMax;
    if (this.stagingPtr === 0 || this.stagingMax === 0) {
      throw new Error("the engine has no event staging area (dawg_events_ptr returned " + this.stagingPtr + ")");
    }
    this.metersPtr = ex.dawg_meters_ptr(handle) >>> 0;
    this.metersLen = ex.dawg_meters_len(handle) >>> 0;
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
    if (typeof value !== "number") return this.paramLabel(id) + " value must be a number, got " + typeof value;
    const code = this.exports.dawg_set_param(this.handle, target, id, value);
    if (code < 0) return this.paramLabel(id) + " on target " + target + " = " + value + ": " + this.statusText(code);
    this.noteBus(target);
    return null;
  }

  // Remember that the bus of `target` exists (a call on it succeeded).
  noteBus(target) {
    const index = target & this.indexMask;
    if (((target >>> this.kindShift) & this.kindMask) === this.busKind && index < this.busExists.length) this.busExists[index] = 1;
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
        if (code < 0) return this.statusText(code);
        this.sourceKinds[op.track] = op.kind;
        return null;
      }
      case "insert": {
        if (!isCount(op.channel) || !isCount(op.slot) || !isCount(op.kind)) {
          return "channel, slot and kind must be non-negative integers";
        }
        const code = ex.dawg_insert_set(h, op.channel, op.slot, op.kind);
        if (code < 0) return this.statusText(code);
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
    if (id < 0) return this.statusText(id);
    const ptr = ex.dawg_sample_ptr(this.handle, id) >>> 0;
    if (ptr === 0 || ptr % 4 !== 0) return "dawg_sample_ptr returned " + ptr;
    new Float32Array(this.memory.buffer, ptr, channels * frames).set(data);
    const code = ex.dawg_sample_commit(this.handle, id);
    if (code < 0) return this.statusText(code);
    if (typeof op.name === "string") this.sampleIds.set(op.name, id);
    return null;
  }

  /** Clear all audio state; every parameter ramp jumps to its target. */
  reset() {
    this.exports.dawg_reset(this.handle);
  }

  /** Free the engine; nothing of it is usable after. */
  free() {
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

  // ---- render thread: everything below never allocates ------------------------

  // Copy each mapped track's input (mono to both channels). An input with
  // nothing connected is declared silent to the engine once, which then
  // neither reads nor scans it, and fed again when a source connects.
  readInputs(inputs) {
    const inL = this.inL;
    const inR = this.inR;
    const list = this.inputList;
    const silent = this.inputSilent;
    for (let k = 0; k < this.inputCount; k++) {
      const t = list[k];
      const input = inputs[t];
      const channels = input === undefined ? 0 : input.length;
      if (channels === 0) {
        if (silent[t] === 0) {
          this.exports.dawg_input_silent(this.handle, t, 1);
          silent[t] = 1;
        }
        continue;
      }
      if (silent[t] !== 0) {
        this.exports.dawg_input_silent(this.handle, t, 0);
        silent[t] = 0;
      }
      inL[t].set(input[0]);
      inR[t].set(input[channels >= 2 ? 1 : 0]);
    }
  }

  // Render one quantum; returns the engine's status code (0: rendered).
  render() {
    return this.exports.dawg_process(this.handle, 1);
  }

  // Copy the stereo output into `out` (further channels silent).
  writeOutput(out) {
    if (out !== undefined && out.length > 0) {
      out[0].set(this.outL);
      if (out.length > 1) out[1].set(this.outR);
      for (let c = 2; c < out.length; c++) out[c].fill(0);
    }
  }
}
