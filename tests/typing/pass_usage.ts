// Typical use of the generated module: must type-check under --strict.
import {
  createDawgEngine,
  MANIFEST,
  sharedMemorySupported,
  simdSupported,
  type Meters,
  type ParamSpec,
  type SessionDocument,
} from "./dist/dawg-engine.js";

export async function main(context: AudioContext, source: AudioNode): Promise<number> {
  const engine = await createDawgEngine(context, {
    tracks: 2,
    variant: simdSupported() ? "auto" : "scalar",
    events: sharedMemorySupported() ? "auto" : "message",
    params: [{ name: "gain_db", value: -6, track: 1 }, { name: "master_gain_db", value: -3 }],
  });
  source.connect(engine.node, 0, 1);
  engine.node.connect(context.destination);
  engine.setParam("pan", -0.5, 1);
  engine.setParam("master_gain_db", -1);
  engine.setParam("gain_db", -3, { bus: 0 });
  engine.rampParam("gain_db", -12, 250, { track: 1 }, context.currentTime + 1);
  engine.setParam("reverb_mix", 0.5, { bus: 0, slot: 1 });
  engine.rampParam("delay_mix", 0.2, 100, { track: 0, slot: 2 });
  engine.noteOn(0, 60, 0.8, context.currentTime + 0.5);
  engine.noteOff(0, 60, context.currentTime + 1);
  const spec: ParamSpec = engine.param("low_hz");
  const stop = engine.onError((e) => console.warn(e.message, e.fatal));
  stop();
  engine.flush();
  const doc: SessionDocument = {
    format: "dawgwasm-session",
    version: 1,
    tempo_bpm: 120,
    tracks: [{ name: "In", gain_db: -3 }, { source: { type: "input" } }],
  };
  const loaded = await engine.loadSession(doc, { loop: true });
  engine.play();
  engine.stop(context.currentTime + 4);
  await engine.sync();
  const meters: Meters = engine.meters();
  const bypassed = meters.tracks.filter((t) => t.state === "bypassed").length;
  return spec.max + MANIFEST.quantum_frames + MANIFEST.limits.buses_max + loaded.passFrames + bypassed;
}

export async function offline(doc: SessionDocument): Promise<number> {
  const context = new OfflineAudioContext(2, 48000, 48000);
  const engine = await createDawgEngine(context, {
    session: doc,
    sessionUrl: new URL("./songs/song.json", "https://example.test/"),
    start: 0,
  });
  engine.node.connect(context.destination);
  engine.setParam("gain_db", -6, 0);
  await engine.sync();
  await context.startRendering();
  await engine.sync();
  const meters: Meters = engine.meters();
  await engine.loadSession(doc, { sessionUrl: "songs/song.json", loop: false, frames: 4800 });
  return meters.windows + meters.dropped + MANIFEST.session_limits.events_per_pass_max;
}
