// A misspelled parameter name must not type-check.
import { createDawgEngine } from "./dist/dawg-engine.js";

export async function main(context: AudioContext): Promise<void> {
  const engine = await createDawgEngine(context);
  engine.setParam("gain", -6);
}
