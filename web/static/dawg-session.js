// dawg-session.js — session documents in the browser (hand-written; not generated).
//
// The same JSON document `dawgwasm render` reads, validated here against the
// build's manifest (parameter table with groups, unit and source names,
// limits, and its host rules through dawg-rules.js: the value checker, which
// groups a section may hold, the target layout) with the rules and messages of
// python/dawgwasm/_sessiondoc.py. dawg-schedule.js turns a checked session
// into configure ops and events.
//
// Validation also bounds the work a document can ask for, with the limits of
// the build's manifest (`session_limits`, python/dawgwasm/_limits.py) and the
// wording of python's parse_session(): notes per pattern, automation points
// per track, and the events one pass schedules (checkEventLoad) are refused
// before anything is generated. A sample `file` must be a relative path inside
// the session's folder (checkSampleFile).

import { checkValue, describe, encodeTarget, formatNumber, inGroups, kindText } from "./dawg-rules.js";

export const FORMAT = "dawgwasm-session";
export const VERSION = 1;
export const NOTE_ON = 0;
export const NOTE_OFF = 1;
export const PARAM_SET = 2;
export const PARAM_RAMP = 3;
export const ALL_NOTES_OFF = 4;

/** The target of channel `index` of kind `kindName` ("track", "bus", "master"), insert `slot`. */
export function channelTarget(manifest, kindName, index, slot = 0) {
  const layout = manifest.rules.targets;
  return encodeTarget(layout, layout.kinds[kindName], index, slot);
}

/** A session document that does not validate; `path` is the JSON path of the bad field. */
export class SessionError extends Error {
  constructor(path, message) {
    super(path + ": " + message);
    this.name = "SessionError";
    this.path = path;
  }
}

/** Nearest frame, halves rounded up: Python's nearest_frame(). */
export function nearestFrame(x) {
  return Math.floor(x + 0.5);
}

/** Decimal digits of an integral number, however large (Python's str(int(x))). */
/** An integer-valued number as its exact decimal digits (no exponent). */
export function digits(x) {
  return BigInt(x).toString();
}

function obj(v, path, allowed, required = []) {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new SessionError(path, "must be an object, not " + kindText(v));
  }
  for (const key of Object.keys(v)) {
    if (!allowed.includes(key)) {
      throw new SessionError(path + "." + key, "unknown field; allowed fields are " + allowed.join(", "));
    }
  }
  for (const key of required) {
    if (!(key in v)) throw new SessionError(path + "." + key, "is required");
  }
  return v;
}

function list(v, path, most) {
  if (!Array.isArray(v)) throw new SessionError(path, "must be a list, not " + kindText(v));
  if (v.length > most) {
    throw new SessionError(path, "has " + v.length + " entries; at most " + most + " are allowed");
  }
  return v;
}

function num(v, path, lo, hi, loOpen = false) {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new SessionError(path, "must be a finite number, not " + (typeof v === "number" ? formatNumber(v) : kindText(v)));
  }
  if (v < lo || v > hi || (loOpen && v === lo)) {
    const low = loOpen ? "above " + formatNumber(lo) : formatNumber(lo);
    throw new SessionError(path, formatNumber(v) + " is out of range; allowed: " + low + " to " + formatNumber(hi));
  }
  return v;
}

function int(v, path, lo, hi) {
  const x = num(v, path, lo, hi);
  if (!Number.isInteger(x)) throw new SessionError(path, formatNumber(x) + " must be a whole number from " + lo + " to " + hi);
  return x;
}

function str(v, path) {
  if (typeof v !== "string") throw new SessionError(path, "must be a string, not " + kindText(v));
  return v;
}

function bool(v, path) {
  if (typeof v !== "boolean") throw new SessionError(path, "must be true or false, not " + kindText(v));
  return v;
}

function choice(v, path, choices, what) {
  const s = str(v, path);
  if (!choices.includes(s)) {
    throw new SessionError(path, describe(s) + " is not " + what + "; allowed: " + choices.join(", "));
  }
  return s;
}

function has(o, key) {
  return Object.prototype.hasOwnProperty.call(o, key);
}

function get(o, key, fallback) {
  return has(o, key) ? o[key] : fallback;
}

/** Validates documents against one build's tables (python's _Checker in _sessiondoc.py). */
export class Checker {
  constructor(manifest) {
    this.byName = new Map();
    for (const p of manifest.params) this.byName.set(p.name, p);
    this.params = manifest.params;
    this.units = Array.isArray(manifest.units) ? manifest.units : [];
    this.sources = Array.isArray(manifest.sources) ? manifest.sources : ["input"];
    const limits = manifest.limits || {};
    const sessionLimits = manifest.session_limits;
    if (sessionLimits === null || typeof sessionLimits !== "object") {
      throw new TypeError("the manifest has no session_limits; serve the dist/ folder of one `dawgwasm build`");
    }
    this.sessionLimits = sessionLimits;
    const rules = manifest.rules;
    if (rules === null || typeof rules !== "object") {
      throw new TypeError("the manifest has no rules; serve the dist/ folder of one `dawgwasm build`");
    }
    this.sessionGroups = rules.session;
    this.insertsMax = limits.inserts_max || 8;
    this.busesMax = limits.buses_max || 8;
    this.tracksMax = limits.tracks_max || 256;
  }

  spec(name) {
    const spec = this.byName.get(name);
    if (spec === undefined) throw new Error("the build has no parameter " + name);
    return spec;
  }

  names(ok) {
    return this.params.filter(ok).map((s) => s.name).join(", ");
  }

  /** `value` checked against `spec` by the one value checker (dawg-rules.js). */
  value(spec, value, path) {
    try {
      return checkValue(spec, value);
    } catch (err) {
      if (err instanceof RangeError) throw new SessionError(path, err.message);
      throw err;
    }
  }

  param(name, value, path, ok, what) {
    const key = str(name, path);
    const spec = this.byName.get(key);
    if (spec === undefined) throw new SessionError(path, "unknown parameter " + describe(key) + "; " + what);
    if (!ok(spec)) throw new SessionError(path, describe(key) + " cannot be set here; " + what);
    return [key, this.value(spec, value, path)];
  }

  paramMap(v, path, ok, what) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      throw new SessionError(path, "must be an object of parameter values, not " + kindText(v));
    }
    const out = [];
    for (const [k, x] of Object.entries(v)) out.push(this.param(k, x, path + "." + k, ok, what));
    return out;
  }

  inserts(v, path) {
    const out = [];
    list(v, path, this.insertsMax).forEach((item, i) => {
      const p = path + "[" + i + "]";
      const d = obj(item, p, ["unit", "params"], ["unit"]);
      const unit = choice(d.unit, p + ".unit", this.units, "an effect unit");
      const ok = inGroups(unit);
      const params = this.paramMap(get(d, "params", {}), p + ".params", ok, unit + " parameters are " + this.names(ok));
      out.push({ unit, params });
    });
    return out;
  }

  channel(d, path, keys) {
    const out = [];
    for (const key of keys) {
      if (!has(d, key)) continue;
      if (key === "mute" || key === "solo") out.push([key, Number(bool(d[key], path + "." + key))]);
      else out.push(this.param(key, d[key], path + "." + key, () => true, ""));
    }
    return out;
  }
}

const SAMPLE_PATH_CHARS_MAX = 1024;
const SAMPLE_PATH_RULE = "must be a relative path inside the session's folder (no '..', no absolute path or URL)";

/** Unicode code points in `text` (Python's len()); a pair of UTF-16 surrogates is one. */
function codePoints(text) {
  let n = 0;
  for (let i = 0; i < text.length; i++, n++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) i++;
    }
  }
  return n;
}

/**
 * A sample's `file`: a relative path with "/" separators, no empty, "." or ".."
 * segment (so no leading "/"), no backslash, ":" (no drive, no URL scheme) or
 * NUL, at most 1024 characters (code points). Python's sample_path(), same rule.
 */
export function checkSampleFile(v, path) {
  const text = str(v, path);
  const chars = text.length > 2 * SAMPLE_PATH_CHARS_MAX ? text.length : codePoints(text);
  if (
    text === "" || chars > SAMPLE_PATH_CHARS_MAX || text.includes("\\") || text.includes(":") ||
    text.includes("\0") || text.split("/").some((seg) => seg === "" || seg === "." || seg === "..")
  ) {
    throw new SessionError(path, SAMPLE_PATH_RULE);
  }
  return text;
}

/**
 * Refuse a session whose patterns and automation would schedule more events
 * than the manifest's session_limits allow, per pass and per second, from an
 * upper bound computed before anything is generated: per track
 * 2 · notes · (floor(length_beats / pattern_beats) + 1) note events plus one
 * event per automation point and one per automated parameter (its return to
 * the document's value at the start of the pass), summed over the tracks (float64, in track order,
 * as python's _check_event_load()).
 */
function checkEventLoad(tracks, lengthBeats, tempoBpm, limits) {
  let total = 0;
  for (const t of tracks) {
    if (t.notes.length > 0) {
      const ratio = lengthBeats / t.patternBeats;
      const loops = ratio < 2 ** 53 ? Math.floor(ratio) + 1 : Infinity;
      total += 2 * t.notes.length * loops;
    }
    total += t.automation.length + new Set(t.automation.map((a) => a.slot + ":" + a.param)).size;
  }
  const passSeconds = (lengthBeats * 60) / tempoBpm;
  const perSecond = total === 0 ? 0 : total / passSeconds; // a pass may underflow to 0 s
  const shown = (x) => (Number.isFinite(x) ? digits(Math.ceil(x)) : "unboundedly many");
  const load = "schedules up to " + shown(total) + " events per pass (" + shown(perSecond) + " per second)";
  const perPassMax = limits.events_per_pass_max;
  const perSecondMax = limits.events_per_second_max;
  if (!(total <= perPassMax)) {
    throw new SessionError(
      "$.tracks", load + "; at most " + perPassMax + " are allowed: lengthen the patterns or shorten the session"
    );
  }
  if (!(perSecond <= perSecondMax)) {
    throw new SessionError(
      "$.tracks", load + "; at most " + perSecondMax + " per second are allowed: lengthen the patterns or slow the tempo"
    );
  }
}

function unitInSlot(inserts, slot) {
  if (slot && Array.isArray(inserts) && slot <= inserts.length) {
    const d = inserts[slot - 1];
    if (d !== null && typeof d === "object" && typeof d.unit === "string") return d.unit;
  }
  return null;
}

/**
 * Validate a session document (parsed JSON) against a build's manifest.
 * `builtins` lists the built-in sample names (dist/samples/index.json).
 * Returns the normalised session; throws SessionError naming the bad field.
 */
export function parseSession(doc, manifest, builtins) {
  const c = new Checker(manifest);
  const top = obj(
    doc,
    "$",
    ["format", "version", "name", "tempo_bpm", "length_beats", "samples", "tracks", "buses", "master"],
    ["format", "version", "tracks"]
  );
  if (top.format !== FORMAT) throw new SessionError("$.format", "must be " + JSON.stringify(FORMAT));
  int(top.version, "$.version", VERSION, VERSION);
  const tempoSpec = c.spec("tempo_bpm");
  const tempo = c.value(tempoSpec, get(top, "tempo_bpm", tempoSpec.default), "$.tempo_bpm");
  const lengthBeats = num(get(top, "length_beats", 16), "$.length_beats", 0, 100000, true);
  const samples = new Map();
  const samplesDoc = get(top, "samples", {});
  obj(samplesDoc, "$.samples", samplesDoc && typeof samplesDoc === "object" ? Object.keys(samplesDoc) : []);
  for (const [name, spec] of Object.entries(samplesDoc)) {
    const p = "$.samples." + name;
    const d = obj(spec, p, ["builtin", "file"]);
    if (Object.keys(d).length !== 1) throw new SessionError(p, "give exactly one of builtin or file");
    if (has(d, "builtin")) samples.set(name, { builtin: choice(d.builtin, p + ".builtin", builtins, "a built-in sample") });
    else samples.set(name, { file: checkSampleFile(d.file, p + ".file") });
  }
  const buses = list(get(top, "buses", []), "$.buses", c.busesMax).map((b, i) => {
    const p = "$.buses[" + i + "]";
    const d = obj(b, p, ["name", "inserts", "gain_db", "pan", "mute"]);
    return {
      name: str(get(d, "name", "Bus " + (i + 1)), p + ".name"),
      inserts: c.inserts(get(d, "inserts", []), p + ".inserts"),
      channel: c.channel(d, p, ["gain_db", "pan", "mute"]),
    };
  });
  const trackFields = [
    "name", "source", "strip", "inserts", "sends", "gain_db", "pan", "mute", "solo", "pattern", "automation",
  ];
  const tracks = list(top.tracks, "$.tracks", c.tracksMax).map((t, i) => {
    const p = "$.tracks[" + i + "]";
    const d = obj(t, p, trackFields);
    const src = obj(get(d, "source", { type: "input" }), p + ".source", ["type", "params", "sample"], ["type"]);
    const kind = choice(src.type, p + ".source.type", c.sources, "a source");
    const okSrc = inGroups(kind);
    const sourceParams = c.paramMap(
      get(src, "params", {}), p + ".source.params", okSrc, kind + " parameters are " + (c.names(okSrc) || "none")
    );
    let sample = null;
    if (has(src, "sample")) {
      if (kind !== "sampler") throw new SessionError(p + ".source.sample", "only a sampler source plays a sample");
      sample = choice(src.sample, p + ".source.sample", Array.from(samples.keys()), "a sample named in $.samples");
    }
    const okStrip = inGroups(...c.sessionGroups.strip);
    const strip = c.paramMap(get(d, "strip", {}), p + ".strip", okStrip, "strip parameters are " + c.names(okStrip));
    const sends = list(get(d, "sends", []), p + ".sends", c.busesMax).map((sd, j) => {
      const sp = p + ".sends[" + j + "]";
      const s = obj(sd, sp, ["bus", "level_db", "pre"], ["bus"]);
      const bus = int(s.bus, sp + ".bus", 0, c.busesMax - 1);
      if (bus >= buses.length) {
        throw new SessionError(sp + ".bus", "bus " + bus + " is not defined; $.buses has " + buses.length + " entries");
      }
      return {
        bus,
        levelDb: c.value(c.spec("send_" + (bus + 1) + "_db"), get(s, "level_db", 0.0), sp + ".level_db"),
        pre: bool(get(s, "pre", false), sp + ".pre"),
      };
    });
    const notes = [];
    let patternBeats = lengthBeats;
    if (has(d, "pattern")) {
      const pp = p + ".pattern";
      const pat = obj(d.pattern, pp, ["length_beats", "notes"]);
      patternBeats = num(get(pat, "length_beats", lengthBeats), pp + ".length_beats", 0, 100000, true);
      list(get(pat, "notes", []), pp + ".notes", c.sessionLimits.notes_per_pattern_max).forEach((nd, j) => {
        const np = pp + ".notes[" + j + "]";
        const n = obj(nd, np, ["beat", "note", "velocity", "length_beats"], ["beat", "note"]);
        notes.push({
          beat: num(n.beat, np + ".beat", 0, patternBeats),
          note: int(n.note, np + ".note", 0, 127),
          velocity: num(get(n, "velocity", 0.8), np + ".velocity", 0, 1),
          lengthBeats: num(get(n, "length_beats", 0.25), np + ".length_beats", 0, 100000, true),
        });
      });
      if (notes.length > 0 && kind === "input") {
        throw new SessionError(pp + ".notes", "an input track plays no notes; give it a synth or sampler source");
      }
    }
    const inserts = c.inserts(get(d, "inserts", []), p + ".inserts");
    const automation = list(get(d, "automation", []), p + ".automation", c.sessionLimits.automation_per_track_max).map((ad, j) => {
      const ap = p + ".automation[" + j + "]";
      const a = obj(ad, ap, ["beat", "param", "value", "ramp_ms", "slot"], ["beat", "param", "value"]);
      const slot = int(get(a, "slot", 0), ap + ".slot", 0, c.insertsMax);
      const unitHere = unitInSlot(get(d, "inserts", []), slot);
      const ok = slot ? inGroups(unitHere === null ? "" : unitHere) : inGroups(...c.sessionGroups.automation, kind);
      const [name, value] = c.param(
        a.param, a.value, ap + ".param", ok, "automate a parameter of this track (with slot for an insert's)"
      );
      return {
        beat: num(a.beat, ap + ".beat", 0, lengthBeats),
        param: name,
        value,
        rampMs: num(get(a, "ramp_ms", 0.0), ap + ".ramp_ms", 0, 600000),
        slot,
      };
    });
    return {
      name: str(get(d, "name", "Track " + (i + 1)), p + ".name"),
      source: kind,
      sample,
      sourceParams,
      strip,
      inserts,
      sends,
      channel: c.channel(d, p, ["gain_db", "pan", "mute", "solo"]),
      patternBeats,
      notes,
      automation,
    };
  });
  if (tracks.length === 0) throw new SessionError("$.tracks", "a session needs at least one track");
  checkEventLoad(tracks, lengthBeats, tempo, c.sessionLimits);
  const m = obj(get(top, "master", {}), "$.master", ["inserts", "gain_db"]);
  const gainSpec = c.spec("master_gain_db");
  return {
    name: str(get(top, "name", "untitled"), "$.name"),
    tempoBpm: tempo,
    lengthBeats,
    samples,
    tracks,
    buses,
    masterInserts: c.inserts(get(m, "inserts", []), "$.master.inserts"),
    masterGainDb: c.value(gainSpec, get(m, "gain_db", 0.0), "$.master.gain_db"),
  };
}
