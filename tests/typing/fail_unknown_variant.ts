// Only "auto", "simd" and "scalar" are variants.
import { createDawgEngine } from "./dist/dawg-engine.js";

export async function main(context: AudioContext): Promise<void> {
  await createDawgEngine(context, { variant: "fast" });
}
