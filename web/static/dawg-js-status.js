// Status codes of the dawg_dsp ABI (dsp_rust/src/abi.rs), which the engine's
// calls return directly: 0 or 1 for success, a negative code for a refusal.

export const DAWG_OK = 0;
export const DAWG_CLAMPED = 1;
export const DAWG_ERR_BAD_HANDLE = -1;
export const DAWG_ERR_SAMPLE_RATE = -2;
export const DAWG_ERR_TRACKS = -3;
export const DAWG_ERR_QUANTUM = -4;
export const DAWG_ERR_QUANTA = -5;
export const DAWG_ERR_UNKNOWN_PARAM = -6;
export const DAWG_ERR_BAD_TARGET = -7;
export const DAWG_ERR_NOT_FINITE = -8;
export const DAWG_ERR_TOO_MANY_QUANTA = -9;
export const DAWG_ERR_NO_FREE_HANDLE = -10;
export const DAWG_ERR_NO_MEMORY = -11;
export const DAWG_ERR_BUSY = -12;
export const DAWG_ERR_UNKNOWN_KIND = -13;
export const DAWG_ERR_EVENTS_FULL = -14;
export const DAWG_ERR_BAD_EVENT = -15;
export const DAWG_ERR_BAD_SAMPLE = -16;

/** The status of a refused engine configuration, by the name `validateConfig` gives. */
export const CONFIG_STATUS = Object.freeze({
  SampleRate: DAWG_ERR_SAMPLE_RATE,
  Tracks: DAWG_ERR_TRACKS,
  Quantum: DAWG_ERR_QUANTUM,
  Quanta: DAWG_ERR_QUANTA,
  OutOfMemory: DAWG_ERR_NO_MEMORY,
});
