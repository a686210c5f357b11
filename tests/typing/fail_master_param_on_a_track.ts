// A master parameter addressed to track 1 must not type-check.
import { createDawgEngine } from "./dist/dawg-engine.js";

export async function main(context: AudioContext): Promise<void> {
  const engine = await createDawgEngine(context, { tracks: 2 });
  engine.setParam("master_gain_db", -6, 1);
}
