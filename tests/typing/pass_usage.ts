// Typical use of the generated module: must type-check under --strict.
import { createDawgEngine, MANIFEST, simdSupported, type ParamSpec } from "./dist/dawg-engine.js";

export async function main(context: AudioContext, source: AudioNode): Promise<number> {
  const engine = await createDawgEngine(context, {
    tracks: 2,
    variant: simdSupported() ? "auto" : "scalar",
    params: [{ name: "gain_db", value: -6, track: 1 }, { name: "master_gain_db", value: -3 }],
  });
  source.connect(engine.node, 0, 1);
  engine.node.connect(context.destination);
  engine.setParam("pan", -0.5, 1);
  engine.setParam("master_gain_db", -1);
  const spec: ParamSpec = engine.param("low_hz");
  const stop = engine.onError((e) => console.warn(e.message, e.fatal));
  stop();
  engine.flush();
  return spec.max + MANIFEST.quantum_frames;
}
