// load() measures since an earlier reading, not since a number.
import { createDawgEngine } from "./dist/dawg-engine.js";

export async function main(context: AudioContext): Promise<number> {
  const engine = await createDawgEngine(context, { backend: "js" });
  return engine.load(1000).load;
}
