// The parameter table, read once from a build's manifest: for every id its
// owner (the engine itself, an effect unit kind or a source kind), its row
// in the owner's table, its scope, range, default, smoothing time and
// stepping, and for the engine's own rows the state it addresses
// (dsp_rust/src/params.rs and the Field table of engine/routing.rs).
//
// Values are the f32 the Rust holds (Math.fround), so clamping takes the
// same decisions.

import { STRIP_PARAM_NAMES } from "./dawg-js-strip.js";

/** Scopes in ABI order (the index is `dawg_param_scope`). */
export const SCOPES = Object.freeze(["track", "master", "channel", "insert", "synth", "sampler"]);
/** Scope index of a per-track parameter. */
export const SCOPE_TRACK = 0;
/** Scope index of a master parameter (target 0). */
export const SCOPE_MASTER = 1;
/** Scope index of a track-or-bus channel parameter. */
export const SCOPE_CHANNEL = 2;

/** Owner: one of the engine's own rows. */
export const OWNER_CORE = 0;
/** Owner: an effect unit's row. */
export const OWNER_UNIT = 1;
/** Owner: a source's row. */
export const OWNER_SOURCE = 2;

/** Core fields: the state an engine row addresses. */
export const FIELD_MASTER_GAIN_DB = 0;
export const FIELD_TEMPO_BPM = 1;
export const FIELD_AUTO_BYPASS = 2;
export const FIELD_GAIN_DB = 3;
export const FIELD_PAN = 4;
export const FIELD_MUTE = 5;
export const FIELD_SOLO = 6;
export const FIELD_SEND_DB = 7;
export const FIELD_SEND_PRE = 8;
export const FIELD_STRIP = 9;

const NAMED_FIELDS = Object.freeze({
  master_gain_db: FIELD_MASTER_GAIN_DB,
  tempo_bpm: FIELD_TEMPO_BPM,
  auto_bypass: FIELD_AUTO_BYPASS,
  gain_db: FIELD_GAIN_DB,
  pan: FIELD_PAN,
  mute: FIELD_MUTE,
  solo: FIELD_SOLO,
});

/** The field (and its argument: send index or strip slot) of an engine row named `name`. */
function coreField(name, busesMax) {
  if (Object.prototype.hasOwnProperty.call(NAMED_FIELDS, name)) {
    return [NAMED_FIELDS[name], 0];
  }
  const send = /^send_([0-9]+)_(db|pre)$/.exec(name);
  if (send !== null) {
    const n = Number(send[1]) - 1;
    if (n >= 0 && n < busesMax) {
      return [send[2] === "db" ? FIELD_SEND_DB : FIELD_SEND_PRE, n];
    }
  }
  const slot = STRIP_PARAM_NAMES.indexOf(name);
  if (slot >= 0) {
    return [FIELD_STRIP, slot];
  }
  throw new Error(
    `the manifest's engine parameter ${JSON.stringify(name)} addresses no state this ` +
      "JavaScript engine knows; rebuild the dist with the matching dawgwasm"
  );
}

/** Rust `f32::round`: halves away from zero. */
export function roundF32(v) {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/**
 * The parameter table of a manifest (`params`, `units`, `sources`,
 * `limits.buses_max`), as parallel typed arrays indexed by id.
 */
export class ParamTable {
  constructor(table) {
    const rows = table.params;
    const n = rows.length;
    this.count = n;
    this.rows = rows;
    this.owner = new Uint8Array(n);
    this.ownerKind = new Uint32Array(n);
    this.row = new Uint32Array(n);
    this.scope = new Uint32Array(n);
    this.field = new Int32Array(n).fill(-1);
    this.fieldArg = new Uint32Array(n);
    this.min = new Float32Array(n);
    this.max = new Float32Array(n);
    this.defaults = new Float32Array(n);
    this.smoothingMs = new Float32Array(n);
    this.stepped = new Uint8Array(n);
    const rowsOf = new Map();
    const busesMax = table.limits.buses_max;
    for (let id = 0; id < n; id++) {
      const p = rows[id];
      if (p.id !== id) {
        throw new Error(`the manifest's parameter ${id} carries id ${p.id}; ids must be 0, 1, 2, ...`);
      }
      const scope = SCOPES.indexOf(p.scope);
      if (scope < 0) {
        throw new Error(`parameter ${p.name} has scope ${JSON.stringify(p.scope)}, not one of ${SCOPES.join(", ")}`);
      }
      this.scope[id] = scope;
      this.min[id] = p.min;
      this.max[id] = p.max;
      this.defaults[id] = p.default;
      this.smoothingMs[id] = p.smoothing_ms;
      this.stepped[id] = p.stepped ? 1 : 0;
      const row = rowsOf.get(p.owner) || 0;
      rowsOf.set(p.owner, row + 1);
      this.row[id] = row;
      if (p.owner === "") {
        this.owner[id] = OWNER_CORE;
        const [field, arg] = coreField(p.name, busesMax);
        this.field[id] = field;
        this.fieldArg[id] = arg;
      } else if (p.scope === "insert") {
        const kind = table.units.indexOf(p.owner) + 1;
        if (kind < 1) {
          throw new Error(`parameter ${p.name} belongs to ${JSON.stringify(p.owner)}, which is no unit of the manifest`);
        }
        this.owner[id] = OWNER_UNIT;
        this.ownerKind[id] = kind;
      } else {
        const kind = table.sources.indexOf(p.owner);
        if (kind < 0) {
          throw new Error(`parameter ${p.name} belongs to ${JSON.stringify(p.owner)}, which is no source of the manifest`);
        }
        this.owner[id] = OWNER_SOURCE;
        this.ownerKind[id] = kind;
      }
    }
    /** Id of the engine row named `name` (-1 if absent). */
    this.idOf = (name) => rows.findIndex((p) => p.name === name);
  }

  /** Clamp finite f32 `value` into the range of `id` (rounding stepped rows); the f32 result. */
  clamp(id, value) {
    let v = value;
    const lo = this.min[id];
    const hi = this.max[id];
    if (v < lo) {
      v = lo;
    }
    if (v > hi) {
      v = hi;
    }
    if (this.stepped[id] !== 0) {
      v = roundF32(v);
    }
    return Math.fround(v);
  }
}
