// Choosing a backend, reading which one runs and the processor's load: must type-check under --strict.
import {
  createDawgEngine,
  simdSupported,
  wasmSupported,
  type Backend,
  type LoadReading,
} from "./dist/dawg-engine.js";

export async function main(context: AudioContext): Promise<string> {
  const wanted: Backend | "auto" = wasmSupported() ? (simdSupported() ? "wasm-simd" : "auto") : "js";
  const engine = await createDawgEngine(context, { backend: wanted, measureLoad: true });
  const timed: boolean = engine.measuresLoad;
  const runs: Backend = engine.backend;
  const build = engine.variant === null ? "no wasm" : engine.variant;
  const first: LoadReading = engine.load();
  const recent: LoadReading = engine.load(first);
  const share: number = recent.load;
  return runs + " " + build + (timed ? " timed " : " ") + share.toFixed(3) + " over " + recent.quanta + " quanta, " +
    recent.busyMs + " of " + recent.renderedMs + " ms; in all " + first.counters.quanta;
}
