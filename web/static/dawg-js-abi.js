// The dawg_dsp ABI in JavaScript: createJsExports(table) returns an object
// that looks like the exports of a wasm instance of the crate
// (dsp_rust/src/abi.rs): `memory` (whose `buffer` is replaced by a bigger
// one when it grows, as a WebAssembly.Memory's is) and every dawg_* export
// with the same arguments, results, status codes and pointer semantics.
// Pointers are byte offsets into `memory.buffer`; texts are UTF-8 bytes
// written there once, at creation; event records are read from each
// engine's staging area there; inputs, output, meters and sample data live
// there too. Arguments and results convert as at a wasm boundary: integers
// through ToInt32 (u32 reinterpreted), floats rounded to f32, unsigned
// results returned as the signed 32-bit pattern.
//
// `table` is a build's manifest (or its subset {abi_version, limits, units,
// sources, status, params, rules: {targets}}): the parameter table, limits
// and texts the wasm module would report.

import { LinearMemory } from "./dawg-js-memory.js";
import { ParamTable } from "./dawg-js-params.js";
import { UNITS } from "./dawg-js-units.js";
import { JsEngine, configStatus } from "./dawg-js-engine.js";
import { DAWG_OK, DAWG_ERR_BAD_HANDLE, DAWG_ERR_NO_FREE_HANDLE } from "./dawg-js-status.js";

/** Engines that may exist at once in one set of exports. */
export const MAX_ENGINES = 64;
/** Initial size of linear memory, 64 KiB pages. */
const INITIAL_PAGES = 17;
/** Largest size of linear memory, 64 KiB pages (2 GiB). */
const MAX_PAGES = 32768;

const UNKNOWN_STATUS_TEXT = "unknown status code";

/** UTF-8 bytes of `text` (no TextEncoder in an AudioWorkletGlobalScope). */
export function utf8(text) {
  const out = [];
  for (const ch of text) {
    const c = ch.codePointAt(0);
    if (c < 0x80) {
      out.push(c);
    } else if (c < 0x800) {
      out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    } else if (c < 0x10000) {
      out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    } else {
      out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
  }
  return out;
}

/** Texts written once into memory: each as [pointer, length in bytes]. */
class Texts {
  constructor(memory) {
    this.memory = memory;
    this.spans = new Map();
  }

  put(text) {
    let span = this.spans.get(text);
    if (span === undefined) {
      const bytes = utf8(text);
      const at = this.memory.alloc(bytes.length);
      this.memory.u8.set(bytes, at);
      span = [at, bytes.length];
      this.spans.set(text, span);
    }
    return span;
  }
}

/** The group name of each parameter row: its own `group`, else from the manifest's `groups`. */
function groupNames(table) {
  const byName = new Map();
  for (const g of table.groups || []) {
    for (const name of g.params) {
      byName.set(name, g.name);
    }
  }
  return table.params.map((p) => (typeof p.group === "string" ? p.group : byName.get(p.name) || p.owner));
}

/** The unsigned 32-bit value of an argument, as a wasm u32 parameter reads it. */
function u32(x) {
  return x >>> 0;
}

/** Check that the manifest's units are this engine's units, in kind order. */
function checkUnits(table) {
  const names = UNITS.map((u) => u.name);
  if (names.length !== table.units.length || names.some((n, i) => n !== table.units[i])) {
    throw new Error(
      `the manifest's effect units (${table.units.join(", ")}) are not this JavaScript engine's ` +
        `(${names.join(", ")}); use the dawg-js-*.js files of the same build`
    );
  }
}

/**
 * Exports equivalent to a wasm instance of the dawg_dsp crate, running the
 * JavaScript engine. Throws an Error naming the mismatch if `table`
 * describes units or parameters this engine does not implement.
 */
export function createJsExports(table) {
  checkUnits(table);
  const params = new ParamTable(table);
  const memory = new LinearMemory(INITIAL_PAGES, MAX_PAGES);
  const texts = new Texts(memory);
  const limits = table.limits;
  const layout = (table.rules && table.rules.targets) || { kind_shift: 12, slot_shift: 16 };
  const kindShift = layout.kind_shift;
  const slotShift = layout.slot_shift;

  const statusSpans = new Map();
  for (const code of Object.keys(table.status)) {
    statusSpans.set(Number(code), texts.put(table.status[code]));
  }
  const unknownStatus = texts.put(UNKNOWN_STATUS_TEXT);
  const empty = texts.put("");
  const groups = groupNames(table);
  const rowText = (field) => table.params.map((p, i) => texts.put(field === "group" ? groups[i] : p[field]));
  const names = rowText("name");
  const units = rowText("unit");
  const docs = rowText("doc");
  const groupSpans = rowText("group");
  const unitNames = table.units.map((n) => texts.put(n));
  const sourceNames = table.sources.map((n) => texts.put(n));

  const engines = new Array(MAX_ENGINES).fill(null);
  const engineOf = (handle) => {
    const h = handle | 0;
    return h >= 1 && h <= MAX_ENGINES ? engines[h - 1] : null;
  };
  const statusSpan = (code) => statusSpans.get(code | 0) || unknownStatus;
  const rowSpan = (spans, id) => {
    const span = spans[u32(id)];
    return span === undefined ? empty : span;
  };
  const rowF32 = (column, id) => {
    const i = u32(id);
    return i < params.count ? column[i] : NaN;
  };
  const withEngine = (handle, fallback, call) => {
    const e = engineOf(handle);
    return e === null ? fallback : call(e);
  };

  return {
    memory,
    dawg_abi_version: () => table.abi_version | 0,
    dawg_status_text: (code) => statusSpan(code)[0],
    dawg_status_text_len: (code) => statusSpan(code)[1],
    dawg_param_count: () => params.count,
    dawg_param_name: (id) => rowSpan(names, id)[0],
    dawg_param_name_len: (id) => rowSpan(names, id)[1],
    dawg_param_unit: (id) => rowSpan(units, id)[0],
    dawg_param_unit_len: (id) => rowSpan(units, id)[1],
    dawg_param_doc: (id) => rowSpan(docs, id)[0],
    dawg_param_doc_len: (id) => rowSpan(docs, id)[1],
    dawg_param_group: (id) => rowSpan(groupSpans, id)[0],
    dawg_param_group_len: (id) => rowSpan(groupSpans, id)[1],
    dawg_param_scope: (id) => (u32(id) < params.count ? params.scope[u32(id)] : -1),
    dawg_param_unit_kind: (id) => (u32(id) < params.count && params.owner[u32(id)] === 1 ? params.ownerKind[u32(id)] : 0),
    dawg_param_flags: (id) => (u32(id) < params.count ? params.stepped[u32(id)] : -1),
    dawg_param_min: (id) => rowF32(params.min, id),
    dawg_param_max: (id) => rowF32(params.max, id),
    dawg_param_default: (id) => rowF32(params.defaults, id),
    dawg_param_smoothing_ms: (id) => rowF32(params.smoothingMs, id),
    dawg_target: (kind, index, slot) => (u32(slot) << slotShift) | (u32(kind) << kindShift) | u32(index) | 0,
    dawg_unit_count: () => table.units.length,
    dawg_unit_name: (kind) => (unitNames[u32(kind) - 1] || empty)[0],
    dawg_unit_name_len: (kind) => (unitNames[u32(kind) - 1] || empty)[1],
    dawg_source_count: () => table.sources.length,
    dawg_source_name: (kind) => (sourceNames[u32(kind)] || empty)[0],
    dawg_source_name_len: (kind) => (sourceNames[u32(kind)] || empty)[1],
    dawg_limit_sample_rate_min_hz: () => Math.fround(limits.sample_rate_min_hz),
    dawg_limit_sample_rate_max_hz: () => Math.fround(limits.sample_rate_max_hz),
    dawg_limit_tracks_max: () => limits.tracks_max | 0,
    dawg_limit_quantum_min_frames: () => limits.quantum_min_frames | 0,
    dawg_limit_quantum_max_frames: () => limits.quantum_max_frames | 0,
    dawg_limit_quanta_per_call_max: () => limits.quanta_per_call_max | 0,
    dawg_limit_buses_max: () => limits.buses_max | 0,
    dawg_limit_inserts_max: () => limits.inserts_max | 0,
    dawg_limit_events_per_push_max: () => limits.events_per_push_max | 0,
    dawg_limit_events_queued_max: () => limits.events_queued_max | 0,
    dawg_limit_meter_stride: () => limits.meter_stride | 0,
    dawg_limit_samples_max: () => limits.samples_max | 0,
    dawg_limit_quiet: () => Math.fround(limits.quiet),
    dawg_config_check: (rate, tracks, quantum, quanta) =>
      configStatus(Math.fround(rate), u32(tracks), u32(quantum), u32(quanta)),
    dawg_engine_new: (rate, tracks, quantum, quanta) => {
      const status = configStatus(Math.fround(rate), u32(tracks), u32(quantum), u32(quanta));
      if (status !== DAWG_OK) {
        return status;
      }
      const slot = engines.indexOf(null);
      if (slot < 0) {
        return DAWG_ERR_NO_FREE_HANDLE;
      }
      const e = JsEngine.create(params, memory, Math.fround(rate), u32(tracks), u32(quantum), u32(quanta));
      if (typeof e === "number") {
        return e;
      }
      engines[slot] = e;
      return slot + 1;
    },
    dawg_engine_free: (handle) => {
      const e = engineOf(handle);
      if (e === null) {
        return DAWG_ERR_BAD_HANDLE;
      }
      engines[(handle | 0) - 1] = null;
      e.release();
      return DAWG_OK;
    },
    dawg_capacity_frames: (handle) => withEngine(handle, 0, (e) => e.capacity),
    dawg_input_ptr: (handle, track) => withEngine(handle, 0, (e) => e.inputOffset(u32(track))),
    dawg_input_silent: (handle, track, silent) =>
      withEngine(handle, DAWG_ERR_BAD_HANDLE, (e) => e.setInputSilent(u32(track), u32(silent) !== 0)),
    dawg_output_ptr: (handle) => withEngine(handle, 0, (e) => e.outputOffset),
    dawg_set_param: (handle, target, id, value) => {
      const e = engineOf(handle);
      return e === null ? DAWG_ERR_BAD_HANDLE : e.setParam(u32(target), u32(id), Math.fround(value));
    },
    dawg_get_param: (handle, target, id) => {
      const e = engineOf(handle);
      return e === null ? NaN : e.getParam(u32(target), u32(id));
    },
    dawg_process: (handle, quanta) => {
      const e = engineOf(handle);
      return e === null ? DAWG_ERR_BAD_HANDLE : e.process(u32(quanta));
    },
    dawg_reset: (handle) =>
      withEngine(handle, DAWG_ERR_BAD_HANDLE, (e) => {
        e.reset();
        return DAWG_OK;
      }),
    dawg_track_source: (handle, track, kind) =>
      withEngine(handle, DAWG_ERR_BAD_HANDLE, (e) => e.setSource(u32(track), u32(kind))),
    dawg_insert_set: (handle, channel, slot, kind) =>
      withEngine(handle, DAWG_ERR_BAD_HANDLE, (e) => e.setInsert(u32(channel), u32(slot), u32(kind))),
    dawg_events_ptr: (handle) => withEngine(handle, 0, (e) => e.stagingOffset),
    dawg_events_push: (handle, count) => {
      const e = engineOf(handle);
      return e === null ? DAWG_ERR_BAD_HANDLE : e.pushEvents(u32(count));
    },
    dawg_events_queued: (handle) => withEngine(handle, DAWG_ERR_BAD_HANDLE, (e) => e.events.length),
    dawg_meters_ptr: (handle) => withEngine(handle, 0, (e) => e.metersOffset),
    dawg_meters_len: (handle) => withEngine(handle, 0, (e) => e.metersLen),
    dawg_sample_add: (handle, frames, channels, rate) =>
      withEngine(handle, DAWG_ERR_BAD_HANDLE, (e) => e.addSample(u32(frames), u32(channels), Math.fround(rate))),
    dawg_sample_ptr: (handle, id) => withEngine(handle, 0, (e) => e.sampleOffset(u32(id))),
    dawg_sample_commit: (handle, id) => withEngine(handle, DAWG_ERR_BAD_HANDLE, (e) => e.commitSample(u32(id))),
  };
}
