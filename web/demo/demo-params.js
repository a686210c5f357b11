// demo-params.js — how the demo page shows one row of the engine's parameter
// table (MANIFEST.params): its short label, the slider scale that fits its
// range, value formatting with its unit, and the named choices its doc lists.
// Everything here is computed from the row itself (name, unit, min, max,
// default, stepped, doc): the page never states a range of its own.

/** Slider positions of a logarithmic control. */
export const LOG_POSITIONS = 1000;

// A name that ends in its unit ("low_hz", "comp_attack_ms") drops that word
// from its label; a label with nothing else left names the quantity.
const UNIT_WORDS = new Set(["hz", "db", "ms", "bpm", "cents", "st", "oct"]);
const QUANTITY_OF_UNIT = { hz: "freq", db: "gain", ms: "time" };

/**
 * A short label from the parameter's name: its words without `prefix` (a
 * leading part of the name, e.g. "comp" or "send_1") and without a trailing
 * unit word, capitalised ("comp_threshold_db" with prefix "comp" → "Threshold").
 */
export function shortLabel(spec, prefix = "") {
  let rest = spec.name;
  if (prefix && rest.startsWith(prefix + "_")) rest = rest.slice(prefix.length + 1);
  const words = rest.split("_");
  let unitWord = "";
  if (words.length > 0 && UNIT_WORDS.has(words[words.length - 1])) unitWord = words.pop();
  if (words.length === 0) words.push(QUANTITY_OF_UNIT[unitWord] || unitWord);
  const text = words.map((w) => (w === "q" ? "Q" : w)).join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Named values a stepped parameter's doc lists, as in "0 (peak) or 1 (RMS over
 * 10 ms)" or "0 off, 1 peak, 2 low shelf"; null when the doc names fewer than
 * every value from min to max.
 */
export function namedChoices(spec) {
  if (!spec.stepped) return null;
  const count = spec.max - spec.min + 1;
  if (!(count >= 2 && count <= 16)) return null;
  const names = new Map();
  for (const m of spec.doc.matchAll(/(-?\d+) \(([^)]+)\)/g)) names.set(Number(m[1]), m[2]);
  if (names.size < count) {
    names.clear();
    for (const m of spec.doc.matchAll(/(?:^|[:,] |or )(-?\d+) ([a-z][a-z ]*?)(?=,| or |\)|\.|$)/g)) {
      names.set(Number(m[1]), m[2]);
    }
  }
  const choices = [];
  for (let v = spec.min; v <= spec.max; v++) {
    if (!names.has(v)) return null;
    choices.push({ value: v, label: names.get(v) });
  }
  return choices;
}

/** Whether the parameter is a switch (stepped, 0 or 1). */
export function isSwitch(spec) {
  return spec.stepped && spec.min === 0 && spec.max === 1;
}

/**
 * The slider scale for a parameter: "log" for a positive range spanning at
 * least a factor of 20 (frequencies, times, Q, ratio), where each slider step
 * is the same factor; otherwise "linear" with a round step of about 1/200 of
 * the range (1 for stepped parameters).
 */
export function scaleOf(spec) {
  if (!spec.stepped && spec.min > 0 && spec.max / spec.min >= 20) {
    return { kind: "log", min: 0, max: LOG_POSITIONS, step: 1 };
  }
  return { kind: "linear", min: spec.min, max: spec.max, step: linearStep(spec) };
}

function linearStep(spec) {
  if (spec.stepped) return 1;
  const raw = (spec.max - spec.min) / 200;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const m = raw / pow;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * pow;
}

/** Round `x` to 3 significant digits (log sliders show and send round values). */
function round3(x) {
  if (x === 0) return 0;
  const pow = 10 ** (Math.floor(Math.log10(Math.abs(x))) - 2);
  return Math.round(x / pow) * pow;
}

/** The parameter value at slider position `position` (its ends are min and max exactly). */
export function valueAt(spec, scale, position) {
  if (scale.kind === "linear") return Math.min(spec.max, Math.max(spec.min, position));
  if (position <= scale.min) return spec.min;
  if (position >= scale.max) return spec.max;
  const x = spec.min * (spec.max / spec.min) ** (position / scale.max);
  return Math.min(spec.max, Math.max(spec.min, round3(x)));
}

/** The slider position that shows `value`. */
export function positionOf(spec, scale, value) {
  if (scale.kind === "linear") return value;
  const v = Math.min(spec.max, Math.max(spec.min, value));
  return Math.round((Math.log(v / spec.min) / Math.log(spec.max / spec.min)) * scale.max);
}

/** `value` with a sensible number of decimals for the parameter, and its unit. */
export function formatValue(spec, value, scale = scaleOf(spec)) {
  let text = scale.kind === "log"
    ? String(Number(value.toPrecision(3)))
    : value.toFixed(Math.max(0, -Math.floor(Math.log10(scale.step) + 1e-9)));
  if (text.startsWith("-") && Number(text) === 0) text = text.slice(1);
  if (text.startsWith("-")) text = "\u2212" + text.slice(1); // a real minus sign
  if (!spec.unit) return text;
  return spec.unit.startsWith(":") ? text + spec.unit : text + " " + spec.unit;
}

/** "Range −24 to 24 dB, default 0 dB." from the row. */
export function rangeText(spec) {
  const scale = scaleOf(spec);
  return "Range " + formatValue({ ...spec, unit: "" }, spec.min, scale) + " to " + formatValue(spec, spec.max, scale) +
    ", default " + formatValue(spec, spec.default, scale) + ".";
}
