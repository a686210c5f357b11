// An effect unit's parameter needs the insert slot that holds the unit.
import { createDawgEngine } from "./dist/dawg-engine.js";

export async function main(context: AudioContext): Promise<void> {
  const engine = await createDawgEngine(context, { tracks: 2 });
  engine.setParam("reverb_mix", 0.5, 1);
}
