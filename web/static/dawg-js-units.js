// The insertable effect units of the JavaScript engine, in the order of
// dsp_rust/src/units/mod.rs: a slot's unit kind is its index in UNITS plus
// one (kind 0 is an empty slot). Every unit offers set(index, value),
// get(index), process(left, right, start, end), reset(), isQuiet(),
// tailFrames() and setTempoBpm(bpm).

import { Compressor } from "./dawg-js-compressor.js";
import { Delay } from "./dawg-js-delay.js";
import { Limiter } from "./dawg-js-limiter.js";
import { Peq } from "./dawg-js-peq.js";
import { Reverb } from "./dawg-js-reverb.js";
import { Saturator } from "./dawg-js-saturator.js";

/** Every insertable unit, `{name, make(sampleRateHz, maxFrames)}`; kind = index + 1. */
export const UNITS = Object.freeze([
  Object.freeze({ name: "peq", make: (sampleRateHz, maxFrames) => new Peq(sampleRateHz, maxFrames) }),
  Object.freeze({ name: "compressor", make: (sampleRateHz, maxFrames) => new Compressor(sampleRateHz, maxFrames) }),
  Object.freeze({ name: "saturator", make: (sampleRateHz, maxFrames) => new Saturator(sampleRateHz, maxFrames) }),
  Object.freeze({ name: "delay", make: (sampleRateHz, maxFrames) => new Delay(sampleRateHz, maxFrames) }),
  Object.freeze({ name: "reverb", make: (sampleRateHz, maxFrames) => new Reverb(sampleRateHz, maxFrames) }),
  Object.freeze({ name: "limiter", make: (sampleRateHz, maxFrames) => new Limiter(sampleRateHz, maxFrames) }),
]);

/** The unit of kind `kind` (1-based), or null. */
export function unitInfo(kind) {
  return Number.isInteger(kind) && kind >= 1 && kind <= UNITS.length ? UNITS[kind - 1] : null;
}
