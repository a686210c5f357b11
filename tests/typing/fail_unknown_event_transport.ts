// Only "auto", "ring" and "message" are event transports.
import { createDawgEngine } from "./dist/dawg-engine.js";

export async function main(context: AudioContext): Promise<void> {
  await createDawgEngine(context, { events: "shared" });
}
