// profile-page.js — the page side of `dawgwasm profile`: renders one arm of
// the strip workload in an OfflineAudioContext and times it.
//
// Every arm gets the same feed: N AudioBufferSourceNodes looping one second
// of stereo noise (uniform in [-0.5, 0.5), each track starting at its own
// offset, so no two tracks carry the same signal at the same time), source t
// into input t of one AudioWorkletNode, whose stereo output goes to the
// destination. Arms:
//   "feed"         the sources into "feed-sink" (does nothing): the feed alone
//   "anchor"       the sources into "anchor-strip" (profile-processors.js)
//   "nodes"        the browser's own nodes, the graph most web DAWs build: per
//                  track its source through 3 BiquadFilterNodes (low shelf,
//                  peaking, high shelf), a DynamicsCompressorNode, a GainNode
//                  and a StereoPannerNode into the destination
//   "js", "wasm-scalar", "wasm-simd"
//                  the sources into the dawgwasm engine (createDawgEngine with
//                  that backend, strips only: every track's source is its input,
//                  no inserts, sends or voices)
// The time is performance.now() around `await ctx.startRendering()`; building
// the graph, compiling and instantiating are outside it.

/** The strip every track runs, in the engine's parameter names. */
export const STRIP_PARAMS = {
  low_hz: 200, low_gain_db: 3,
  mid_hz: 1000, mid_gain_db: -2, mid_q: 0.707,
  high_hz: 3000, high_gain_db: 2,
  comp_threshold_db: -18, comp_ratio: 4, comp_attack_ms: 3, comp_release_ms: 100,
  comp_knee_db: 0, comp_makeup_db: 0, comp_detector: 0, comp_link: 1,
  gain_db: -2, pan: 0.3,
};

const ANCHOR_STRIP = {
  lowHz: 200, lowGainDb: 3, midHz: 1000, midGainDb: -2, midQ: 0.707, highHz: 3000, highGainDb: 2,
  thresholdDb: -18, ratio: 4, attackMs: 3, releaseMs: 100, gainDb: -2, pan: 0.3,
};

const ENGINE_ARMS = ["js", "wasm-scalar", "wasm-simd"];
export const ARMS = ["feed", "anchor", "nodes", ...ENGINE_ARMS];

/** The anchor's output per configuration, to compare the other arms with. */
const references = new Map();

/** One second of stereo noise, the same in every call (xorshift32). */
function noiseBuffer(ctx, rate) {
  const frames = rate;
  const buffer = ctx.createBuffer(2, frames, rate);
  let x = 0x9e3779b9;
  for (let c = 0; c < 2; c++) {
    const d = buffer.getChannelData(c);
    for (let i = 0; i < frames; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      d[i] = (x >>> 0) / 4294967296 - 0.5;
    }
  }
  return buffer;
}

function feed(ctx, node, tracks, rate) {
  const buffer = noiseBuffer(ctx, rate);
  for (let t = 0; t < tracks; t++) {
    const src = new AudioBufferSourceNode(ctx, { buffer, loop: true });
    src.connect(node, 0, t);
    src.start(0, ((t * 7919) % rate) / rate); // a whole-frame offset of its own
  }
}

const nodeOptions = (tracks) => ({
  numberOfInputs: tracks,
  numberOfOutputs: 1,
  outputChannelCount: [2],
  channelCount: 2,
  channelCountMode: "explicit",
  channelInterpretation: "speakers",
});

/** Peak, RMS and finiteness of a rendered stereo buffer, and its difference from `ref`. */
function measure(out, ref) {
  let peak = 0;
  let sumSq = 0;
  let diffSq = 0;
  let diffPeak = 0;
  let finite = true;
  for (let c = 0; c < 2; c++) {
    const d = out.getChannelData(c);
    const r = ref === undefined ? null : ref[c];
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (!Number.isFinite(v)) finite = false;
      const a = Math.abs(v);
      if (a > peak) peak = a;
      sumSq += v * v;
      if (r !== null) {
        const e = v - r[i];
        diffSq += e * e;
        if (Math.abs(e) > diffPeak) diffPeak = Math.abs(e);
      }
    }
  }
  const n = 2 * out.length;
  const rms = Math.sqrt(sumSq / n);
  const result = { peak, rms, finite };
  if (ref !== undefined) {
    result.diffPeak = diffPeak;
    result.diffRmsDb = 20 * Math.log10(Math.sqrt(diffSq / n) / rms);
  }
  return result;
}

async function engineNode(ctx, arm, tracks) {
  const { createDawgEngine } = await import("/dist/dawg-engine.js");
  const params = [];
  for (let t = 0; t < tracks; t++) {
    for (const [name, value] of Object.entries(STRIP_PARAMS)) params.push({ name, value, track: t });
  }
  const engine = await createDawgEngine(ctx, { tracks, backend: arm, params });
  if (engine.backend !== arm) throw new Error("asked for backend " + arm + ", got " + engine.backend);
  return engine;
}

/**
 * The browser's own nodes for `tracks` tracks, each fed by its source: the
 * same strip as STRIP_PARAMS (the compressor's knee 0 dB, its detector
 * Chromium's own), into the destination.
 */
function nodesFeed(ctx, tracks, rate) {
  const p = STRIP_PARAMS;
  const buffer = noiseBuffer(ctx, rate);
  for (let t = 0; t < tracks; t++) {
    const src = new AudioBufferSourceNode(ctx, { buffer, loop: true });
    const low = new BiquadFilterNode(ctx, { type: "lowshelf", frequency: p.low_hz, gain: p.low_gain_db });
    const mid = new BiquadFilterNode(ctx, {
      type: "peaking", frequency: p.mid_hz, gain: p.mid_gain_db, Q: p.mid_q,
    });
    const high = new BiquadFilterNode(ctx, { type: "highshelf", frequency: p.high_hz, gain: p.high_gain_db });
    const comp = new DynamicsCompressorNode(ctx, {
      threshold: p.comp_threshold_db, ratio: p.comp_ratio, knee: p.comp_knee_db,
      attack: p.comp_attack_ms / 1000, release: p.comp_release_ms / 1000,
    });
    const gain = new GainNode(ctx, { gain: Math.pow(10, p.gain_db / 20) });
    const pan = new StereoPannerNode(ctx, { pan: p.pan });
    src.connect(low).connect(mid).connect(high).connect(comp).connect(gain).connect(pan).connect(ctx.destination);
    src.start(0, ((t * 7919) % rate) / rate);
  }
}

/**
 * Build arm `arm` for `tracks` tracks on `ctx` (any BaseAudioContext), fed
 * and connected to the destination; the engine for an engine arm, else null.
 */
async function buildArm(ctx, arm, tracks, rate) {
  if (arm === "nodes") {
    nodesFeed(ctx, tracks, rate);
    return null;
  }
  let node;
  let engine = null;
  if (arm === "feed" || arm === "anchor") {
    await ctx.audioWorklet.addModule("/profile/profile-processors.js");
    const options = nodeOptions(tracks);
    if (arm === "anchor") options.processorOptions = { tracks, strip: ANCHOR_STRIP };
    node = new AudioWorkletNode(ctx, arm === "feed" ? "feed-sink" : "anchor-strip", options);
  } else {
    engine = await engineNode(ctx, arm, tracks);
    node = engine.node;
  }
  feed(ctx, node, tracks, rate);
  node.connect(ctx.destination);
  if (engine !== null) await engine.sync();
  return engine;
}

/** The arm playing in realtime (startArm to stopArm). */
const live = { ctx: null, engine: null, wallStart: 0, audioStart: 0 };

/**
 * Start arm `arm` playing in a realtime AudioContext at `rate`.
 * @param {{arm: string, tracks: number, rate: number}} args
 * @returns {Promise<{baseLatency: number, outputLatency: number}>}
 */
export async function startArm({ arm, tracks, rate }) {
  if (!ARMS.includes(arm)) throw new RangeError("arm " + arm + " is not one of " + ARMS.join(", "));
  if (live.ctx !== null) throw new Error("an arm is already playing");
  const ctx = new AudioContext({ sampleRate: rate, latencyHint: "interactive" });
  live.ctx = ctx;
  live.engine = await buildArm(ctx, arm, tracks, rate);
  await ctx.resume();
  live.wallStart = performance.now();
  live.audioStart = ctx.currentTime;
  return { baseLatency: ctx.baseLatency, outputLatency: ctx.outputLatency };
}

/**
 * Stop the arm playing: how long it played by the wall clock and by
 * `currentTime`, and the context's playback statistics (underruns and
 * latency since it started).
 */
export async function stopArm() {
  const ctx = live.ctx;
  if (ctx === null) throw new Error("no arm is playing");
  const wallS = (performance.now() - live.wallStart) / 1000;
  const audioS = ctx.currentTime - live.audioStart;
  const stats = ctx.playbackStats === undefined ? null : ctx.playbackStats.toJSON();
  let fatal = null;
  if (live.engine !== null) {
    const error = live.engine.fatalError();
    fatal = error === null ? null : error.message;
    live.engine.dispose();
  }
  await ctx.close();
  live.ctx = null;
  live.engine = null;
  return { wallS, audioS, driftS: audioS - wallS, playbackStats: stats, fatal };
}

/**
 * Render one arm and time it.
 * @param {{arm: string, tracks: number, seconds: number, rate: number, keep: boolean}} args
 *        keep: remember the anchor's output of this configuration (and compare others with it)
 * @returns {Promise<{arm: string, tracks: number, frames: number, wallMs: number, peak: number,
 *          rms: number, finite: boolean, diffPeak?: number, diffRmsDb?: number, backend?: string}>}
 */
export async function runArm({ arm, tracks, seconds, rate, keep }) {
  if (!ARMS.includes(arm)) throw new RangeError("arm " + arm + " is not one of " + ARMS.join(", "));
  const frames = Math.round(seconds * rate);
  const ctx = new OfflineAudioContext(2, frames, rate);
  const engine = await buildArm(ctx, arm, tracks, rate);
  const t0 = performance.now();
  const out = await ctx.startRendering();
  const wallMs = performance.now() - t0;
  const key = tracks + ":" + frames;
  if (keep && arm === "anchor") references.set(key, [out.getChannelData(0), out.getChannelData(1)]);
  // The browser's compressor is not the engine's (its own detector and
  // curve): its output is checked to be there and finite, not compared.
  const compared = ENGINE_ARMS.includes(arm);
  const stats = measure(out, compared ? references.get(key) : undefined);
  if (engine !== null) {
    const fatal = engine.fatalError();
    if (fatal !== null) throw new Error(arm + ": " + fatal.message);
    engine.dispose();
  }
  return { arm, tracks, frames, wallMs, ...stats };
}
