// A track-only parameter (an EQ band of the strip) addressed to a bus must not type-check.
import { createDawgEngine } from "./dist/dawg-engine.js";

export async function main(context: AudioContext): Promise<void> {
  const engine = await createDawgEngine(context, { tracks: 2 });
  engine.setParam("low_hz", 100, { bus: 0 });
}
