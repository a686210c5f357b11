// dawg-checks.js — argument checks and error texts shared by the main-thread
// modules (hand-written; not generated).

import { describe } from "./dawg-rules.js";

export function errorText(err) {
  return err && err.message ? err.message : String(err);
}

export function countText(n, what) {
  return n + " " + what + (n === 1 ? "" : "s") + " (0.." + (n - 1) + ")";
}

export function paramTable(manifest) {
  const byName = new Map();
  for (const spec of manifest.params) byName.set(spec.name, spec);
  return byName;
}

export function unknownParamError(byName, name) {
  return new Error(
    "unknown parameter " + describe(name) + "; known: " + Array.from(byName.keys()).join(", ")
  );
}

export function checkKeys(options, known, what) {
  if (options === null || typeof options !== "object") throw new TypeError(what + "s must be an object");
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError("unknown " + what + " " + JSON.stringify(key) + "; known: " + known.join(", "));
    }
  }
}
