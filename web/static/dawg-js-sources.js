// Track sources (dsp_rust/src/sources/mod.rs): what feeds a track's channel
// strip. A track plays its external input (the worklet's input, or a buffer
// the host fills), a polyphonic synth, or a sampler reading the engine's
// sample bank.

import { Sampler, PARAM_NAMES as SAMPLER_PARAM_NAMES } from "./dawg-js-sampler.js";
import { Synth, PARAM_NAMES as SYNTH_PARAM_NAMES } from "./dawg-js-synth.js";

/** Source kinds in ABI order (kind = index): the names sessions, Python and JS use. */
export const SOURCE_KINDS = Object.freeze(["input", "synth", "sampler"]);

/** Kind numbers. */
export const SOURCE_INPUT = 0;
export const SOURCE_SYNTH = 1;
export const SOURCE_SAMPLER = 2;

/**
 * Constructors by kind number: `(sampleRateHz, maxBlockFrames) => source`,
 * null for the external input (it has no object). Each throws RangeError
 * where the Rust constructor returns a ConfigError.
 */
export const SOURCE_MAKERS = Object.freeze([
  null,
  (sampleRateHz, maxBlockFrames) => new Synth(sampleRateHz, maxBlockFrames),
  (sampleRateHz, maxBlockFrames) => new Sampler(sampleRateHz, maxBlockFrames),
]);

/** Each kind's parameter row names in row-index order (empty for the input). */
export const SOURCE_PARAM_NAMES = Object.freeze([Object.freeze([]), SYNTH_PARAM_NAMES, SAMPLER_PARAM_NAMES]);

/** A new source of kind number `kind` (null for the input); RangeError for an unknown kind. */
export function makeSource(kind, sampleRateHz, maxBlockFrames) {
  if (!(Number.isInteger(kind) && kind >= 0 && kind < SOURCE_KINDS.length)) {
    throw new RangeError(`source kind must be 0..${SOURCE_KINDS.length - 1} (${SOURCE_KINDS.join(", ")}), got ${kind}`);
  }
  const make = SOURCE_MAKERS[kind];
  return make === null ? null : make(sampleRateHz, maxBlockFrames);
}
