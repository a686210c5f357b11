// The JavaScript engine's limits and shared constants, mirroring
// dsp_rust/src/config.rs name for name. A leaf: it imports nothing.
//
// Constants the Rust declares as f32 are stored as the f32 value
// (Math.fround), so a comparison of an f32 sample with them takes the same
// decision as the Rust comparison does.
//
// To V8's optimising compiler a constant imported from a module is a value
// of unknown type. Where one can be the result of an expression on the audio
// path (a branch of `c ? x : LIMIT`), the code writes `+LIMIT`: the result is
// then known to be a number and stays an unboxed double; without it every
// sample allocates a heap number (tests/jsengine/alloc_probe.mjs finds it).

/** Lowest accepted sample rate, Hz. */
export const SAMPLE_RATE_MIN_HZ = 8000.0;
/** Highest accepted sample rate, Hz. */
export const SAMPLE_RATE_MAX_HZ = 384000.0;
/** Most tracks an engine can have. */
export const TRACKS_MAX = 256;
/** Most buses an engine can have. */
export const BUSES_MAX = 8;
/** Insert slots per track, bus and master. */
export const INSERTS_MAX = 8;
/** Smallest render quantum, frames. */
export const QUANTUM_MIN_FRAMES = 16;
/** Largest render quantum, frames. */
export const QUANTUM_MAX_FRAMES = 4096;
/** Most quanta one process call can render. */
export const QUANTA_PER_CALL_MAX = 1024;
/** Largest input+output buffer space an engine may ask for, frames per channel summed over tracks. */
export const BUFFER_FRAMES_MAX = 2 ** 24;
/** Auto-bypass threshold: −120 dBFS (the f32 nearest 1e-6). */
export const QUIET = Math.fround(1e-6);
/** How long a channel must stay quiet, beyond its insert tails, before it is bypassed. */
export const BYPASS_HOLD_MS = 50.0;
/** Floats per channel in the meter area: peak L, peak R, RMS L, RMS R, state, reserved. */
export const METER_STRIDE = 6;
/** Meter state: the channel does not exist. */
export const METER_STATE_ABSENT = 0.0;
/** Meter state: the channel was processed. */
export const METER_STATE_ACTIVE = 1.0;
/** Meter state: the channel is auto-bypassed. */
export const METER_STATE_BYPASSED = 2.0;
/** Parameter ramps that can run at once. */
export const RAMPS_MAX = 256;
/** Ramps advance on this grid of absolute frames. */
export const RAMP_STEP_FRAMES = 16;

/** Magnitudes below this are flushed to zero (−400 dB; the f32 nearest 1e-20), from math.rs. */
export const FLUSH_THRESHOLD = Math.fround(1e-20);
/** Largest finite f32. */
export const F32_MAX = 3.4028234663852886e38;
/** Smallest positive normal f32. */
export const F32_MIN_POSITIVE = 1.1754943508222875e-38;

/**
 * Why an engine configuration was refused (Rust `ConfigError`), as the
 * names the engine reports.
 */
export const CONFIG_ERRORS = Object.freeze([
  "SampleRate",
  "Tracks",
  "Quantum",
  "Quanta",
  "OutOfMemory",
]);

/**
 * Check an engine configuration against the limits (Rust `Config::validate`).
 * Returns null when it is accepted, else the name of the first refused
 * field group from CONFIG_ERRORS. `sampleRateHz` is compared as the f32 the
 * Rust receives.
 */
export function validateConfig(sampleRateHz, tracks, quantumFrames, maxQuanta) {
  const sr = Math.fround(sampleRateHz);
  if (!(sr >= SAMPLE_RATE_MIN_HZ && sr <= SAMPLE_RATE_MAX_HZ)) {
    return "SampleRate";
  }
  if (tracks === 0 || tracks > TRACKS_MAX) {
    return "Tracks";
  }
  if (quantumFrames < QUANTUM_MIN_FRAMES || quantumFrames > QUANTUM_MAX_FRAMES) {
    return "Quantum";
  }
  const capacity = quantumFrames * maxQuanta;
  if (maxQuanta === 0 || maxQuanta > QUANTA_PER_CALL_MAX || capacity * (tracks + 1) > BUFFER_FRAMES_MAX) {
    return "Quanta";
  }
  return null;
}
