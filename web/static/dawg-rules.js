// dawg-rules.js — the host rules of a build, read from its manifest (hand-written; not generated).
//
// One value checker and one target resolver for the browser, reading the
// manifest's parameter table (`params`, each with its `group`), `groups`
// and `rules` (`value`, `targets`, `scopes`, `session`), which `dawgwasm
// build` generates from the engine's own tables. python/dawgwasm/_params.py
// (check_value) and python/dawgwasm/_rules.py (resolve_target) are the same
// code in Python: same verdicts, same messages, word for word.
//
// The value rule: a value is a number (true and false count as 1 and 0) and
// finite; it is rounded to float32 (Math.fround) — the engine's type — and
// that float32 value must lie between the parameter's min and max rounded
// to float32, and be whole for a stepped parameter. Numbers in messages are
// written as String(number) writes them.
//
// Nothing here touches a browser global, so Node can import it as is.

/** A number as messages write it (String(x); minus zero is "0"). */
export function formatNumber(x) {
  return String(x);
}

/** What a JSON value is, for messages ("a string", "a list", "null"...). */
export function kindText(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return "a string";
  if (typeof v === "boolean") return "true/false";
  if (typeof v === "number") return "a number";
  return typeof v;
}

/** A value for messages: a number as String() writes it, a string quoted, anything else by its kind. */
export function describe(v) {
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "string") return JSON.stringify(v);
  return kindText(v);
}

/** The legal range of a parameter for messages, e.g. "-96 to 12 dB". */
export function rangeText(spec) {
  return (spec.stepped ? "whole numbers " : "") + formatNumber(spec.min) + " to " + formatNumber(spec.max) +
    (spec.unit ? " " + spec.unit : "");
}

/**
 * `value` if the value rule accepts it for parameter `spec` (as a number:
 * true and false become 1 and 0), else a RangeError saying why.
 */
export function checkValue(spec, value) {
  const legal = "; legal values are " + rangeText(spec);
  if (typeof value !== "number" && typeof value !== "boolean") {
    throw new RangeError(spec.name + " must be a number, not " + kindText(value) + legal);
  }
  const v = Number(value);
  const shown = formatNumber(v);
  if (!Number.isFinite(v)) throw new RangeError(spec.name + " = " + shown + " is not a finite number" + legal);
  const f = Math.fround(v);
  if (f < Math.fround(spec.min) || f > Math.fround(spec.max)) {
    throw new RangeError(spec.name + " = " + shown + " is out of range" + legal);
  }
  if (spec.stepped && f !== Math.floor(f)) {
    throw new RangeError(spec.name + " = " + shown + " must be a whole number" + legal);
  }
  return v;
}

/** `slot << slot_shift | kind << kind_shift | index` with the layout of `manifest.rules.targets`. */
export function encodeTarget(layout, kind, index, slot = 0) {
  return ((slot << layout.slot_shift) | (kind << layout.kind_shift) | index) >>> 0;
}

/** The channel part of a target (slot 0), its kind number and its index. */
export function decodeTarget(layout, target) {
  const slot = target >>> layout.slot_shift;
  const kind = (target >>> layout.kind_shift) & ((1 << layout.kind_bits) - 1);
  const index = target & ((1 << layout.index_bits) - 1);
  return { channel: encodeTarget(layout, kind, index, 0), kind, index, slot };
}

/** A predicate: whether a parameter belongs to one of `groups` (names). */
export function inGroups(...groups) {
  return (spec) => groups.includes(spec.group);
}

function whole(v) {
  return typeof v === "number" && Number.isInteger(v) ? v : null;
}

function countText(n, what, plural) {
  return n === 1 ? "1 " + what + " (0)" : n + " " + plural + " (0.." + (n - 1) + ")";
}

const PLACES = { track: "tracks", bus: "buses", master: "the master" };
const ONE = { track: "a track", bus: "a bus", master: "the master" };

function places(channels) {
  const names = channels.map((c) => PLACES[c]);
  return names.length === 1 ? names[0] : names.slice(0, -1).join(", ") + " and " + names[names.length - 1];
}

function named(v) {
  return v !== undefined && v !== null;
}

/**
 * The ABI target of parameter `spec` on the channel `where` names: a track
 * index, or {track | bus | master: true, slot} (at most one channel; track 0
 * by default; slot 0, or the insert slot holding an insert parameter's unit),
 * on an engine of `tracks` tracks. RangeError says what is wrong.
 */
export function resolveTarget(manifest, spec, where, tracks) {
  const rules = manifest.rules;
  const limits = manifest.limits;
  const name = spec.name;
  const w = typeof where === "number" || where === undefined ? { track: where } : where;
  if (w === null || typeof w !== "object") {
    throw new TypeError(name + ": the channel must be a track index or {track | bus | master, slot}");
  }
  const rule = rules.scopes[spec.scope];
  const channel = ["track", "bus"].filter((k) => named(w[k]));
  if (w.master === true) channel.push("master");
  if (channel.length > 1) throw new RangeError(name + ": name one channel: track, bus or master");
  const insertsMax = limits.inserts_max;
  const slot = named(w.slot) ? whole(w.slot) : 0;
  if (slot === null || slot < 0 || slot > insertsMax) {
    throw new RangeError(name + ": slot = " + describe(w.slot) + " must be a whole number from 0 to " + insertsMax);
  }
  if (rule.target !== undefined) {
    if (named(w.bus) || slot !== 0 || (named(w.track) && whole(w.track) !== 0)) {
      throw new RangeError(name + " is a master parameter; name no channel or slot");
    }
    return rule.target;
  }
  const kind = channel.length > 0 ? channel[0] : "track";
  const channels = rule.channels || [];
  if (!channels.includes(kind)) {
    throw new RangeError(name + " cannot be set on " + ONE[kind] + "; it lives on " + places(channels));
  }
  let index = 0;
  if (kind !== "master") {
    const raw = named(w[kind]) ? w[kind] : 0;
    const count = kind === "track" ? tracks : limits.buses_max;
    const n = whole(raw);
    if (n === null || n < 0 || n >= count) {
      const there = kind === "track"
        ? "this engine has " + countText(count, "track", "tracks")
        : "there are " + countText(count, "bus", "buses");
      throw new RangeError(kind + " = " + describe(raw) + " is out of range for " + name + ": " + there);
    }
    index = n;
  }
  if (rule.slot) {
    if (slot === 0) {
      throw new RangeError(
        name + " belongs to the " + spec.owner + " unit; name the insert slot (1 to " + insertsMax + ") that holds it"
      );
    }
  } else if (slot !== 0) {
    throw new RangeError(name + " is not an insert parameter; leave slot at 0");
  }
  return encodeTarget(rules.targets, rules.targets.kinds[kind], index, slot);
}
