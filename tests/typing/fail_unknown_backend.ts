// Only "auto", "wasm-simd", "wasm-scalar" and "js" are backends.
import { createDawgEngine } from "./dist/dawg-engine.js";

export async function main(context: AudioContext): Promise<void> {
  await createDawgEngine(context, { backend: "wasm" });
}
