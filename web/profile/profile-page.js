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

/** The most tracks one worklet or engine node takes; more tracks are split over several nodes. */
export const NODE_TRACKS_MAX = 256;

/** [first track, count] of each node's share of `tracks`. */
function chunks(tracks) {
  const out = [];
  for (let first = 0; first < tracks; first += NODE_TRACKS_MAX) {
    out.push([first, Math.min(NODE_TRACKS_MAX, tracks - first)]);
  }
  return out;
}

async function engineNode(ctx, arm, tracks, events = "auto") {
  const { createDawgEngine } = await import("/dist/dawg-engine.js");
  const params = [];
  for (let t = 0; t < tracks; t++) {
    for (const [name, value] of Object.entries(STRIP_PARAMS)) params.push({ name, value, track: t });
  }
  const engine = await createDawgEngine(ctx, { tracks, backend: arm, params, events });
  if (engine.backend !== arm) throw new Error("asked for backend " + arm + ", got " + engine.backend);
  return engine;
}

/**
 * The browser's own nodes for `tracks` tracks, each fed by its source when
 * `fed`: the same strip as STRIP_PARAMS (the compressor's knee 0 dB, its
 * detector Chromium's own), into `out`. Returns each track's GainNode.
 */
function nodesFeed(ctx, tracks, rate, out, fed) {
  const p = STRIP_PARAMS;
  const buffer = noiseBuffer(ctx, rate);
  const gains = [];
  for (let t = 0; t < tracks; t++) {
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
    low.connect(mid).connect(high).connect(comp).connect(gain).connect(pan).connect(out);
    gains.push(gain);
    if (fed) {
      const src = new AudioBufferSourceNode(ctx, { buffer, loop: true });
      src.connect(low);
      src.start(0, ((t * 7919) % rate) / rate);
    }
  }
  return gains;
}

/**
 * An arm built on a context: its engines (none for the feed, anchor and
 * nodes arms), and a track's mute and fader the way its user would set
 * them (the engine's parameters, a message to the anchor, a GainNode's
 * value).
 */
class Arm {
  constructor(ctx, arm) {
    this.ctx = ctx;
    this.arm = arm;
    this.engines = [];
    this.nodes = []; // worklet nodes, one per chunk
    this.gains = []; // the nodes arm's GainNode per track
    this.muted = [];
  }

  #at(track) {
    return [Math.floor(track / NODE_TRACKS_MAX), track % NODE_TRACKS_MAX];
  }

  mute(track, on) {
    const [k, local] = this.#at(track);
    this.muted[track] = on;
    if (this.engines.length > 0) this.engines[k].setParam("mute", on ? 1 : 0, local);
    else if (this.gains.length > 0) this.gains[track].gain.value = on ? 0 : Math.pow(10, STRIP_PARAMS.gain_db / 20);
    else this.nodes[k].port.postMessage({ track: local, mute: on });
  }

  fader(track, gainDb) {
    const [k, local] = this.#at(track);
    if (this.engines.length > 0) this.engines[k].setParam("gain_db", gainDb, local);
    else if (this.gains.length > 0) this.gains[track].gain.value = this.muted[track] ? 0 : Math.pow(10, gainDb / 20);
    else this.nodes[k].port.postMessage({ track: local, gainDb });
  }

  /** The first fatal error of an engine, or null. */
  fatal() {
    for (const engine of this.engines) {
      const error = engine.fatalError();
      if (error !== null) return error.message;
    }
    return null;
  }

  dispose() {
    for (const engine of this.engines) engine.dispose();
  }
}

/**
 * Build arm `arm` for `tracks` tracks on `ctx` (any BaseAudioContext),
 * connected to `out` (default: the destination), each track fed by its
 * looping source unless `fed` is false (idle tracks: nothing connected).
 * @returns {Promise<Arm>}
 */
async function buildArm(ctx, arm, tracks, rate, out = ctx.destination, fed = true, events = "auto") {
  const handle = new Arm(ctx, arm);
  if (arm === "nodes") {
    handle.gains = nodesFeed(ctx, tracks, rate, out, fed);
    return handle;
  }
  const worklet = arm === "feed" || arm === "anchor";
  if (worklet) await ctx.audioWorklet.addModule("/profile/profile-processors.js");
  for (const [, count] of chunks(tracks)) {
    let node;
    if (worklet) {
      const options = nodeOptions(count);
      if (arm === "anchor") options.processorOptions = { tracks: count, strip: ANCHOR_STRIP };
      node = new AudioWorkletNode(ctx, arm === "feed" ? "feed-sink" : "anchor-strip", options);
    } else {
      const engine = await engineNode(ctx, arm, count, events);
      handle.engines.push(engine);
      node = engine.node;
    }
    handle.nodes.push(node);
    if (fed) feed(ctx, node, count, rate);
    node.connect(out);
  }
  for (const engine of handle.engines) await engine.sync();
  return handle;
}

/** The arm playing in realtime (startArm to stopArm). */
const live = { ctx: null, arm: null, wallStart: 0, audioStart: 0 };

/** The context's playback statistics (Chromium 146 and later), or null. */
function playbackStats(ctx) {
  return ctx.playbackStats === undefined ? null : ctx.playbackStats.toJSON();
}

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
  live.arm = await buildArm(ctx, arm, tracks, rate);
  await ctx.resume();
  live.wallStart = performance.now();
  live.audioStart = ctx.currentTime;
  return { baseLatency: ctx.baseLatency, outputLatency: ctx.outputLatency };
}

/** The playing arm's playback statistics and context time now. */
export function armStats() {
  if (live.ctx === null) throw new Error("no arm is playing");
  return { playbackStats: playbackStats(live.ctx), audioS: live.ctx.currentTime - live.audioStart };
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
  const stats = playbackStats(ctx);
  const fatal = live.arm.fatal();
  live.arm.dispose();
  await ctx.close();
  live.ctx = null;
  live.arm = null;
  return { wallS, audioS, driftS: audioS - wallS, playbackStats: stats, fatal };
}

/**
 * Render one arm and time it.
 * @param {{arm: string, tracks: number, seconds: number, rate: number, keep: boolean, fed?: boolean}} args
 *        keep: remember the anchor's output of this configuration (and compare others with it);
 *        fed: false renders the tracks with nothing connected (idle)
 * @returns {Promise<{arm: string, tracks: number, frames: number, wallMs: number, peak: number,
 *          rms: number, finite: boolean, diffPeak?: number, diffRmsDb?: number, backend?: string}>}
 */
export async function runArm({ arm, tracks, seconds, rate, keep, fed = true }) {
  if (!ARMS.includes(arm)) throw new RangeError("arm " + arm + " is not one of " + ARMS.join(", "));
  const frames = Math.round(seconds * rate);
  const ctx = new OfflineAudioContext(2, frames, rate);
  const handle = await buildArm(ctx, arm, tracks, rate, ctx.destination, fed);
  const t0 = performance.now();
  const out = await ctx.startRendering();
  const wallMs = performance.now() - t0;
  const key = tracks + ":" + frames;
  if (keep && fed && arm === "anchor") references.set(key, [out.getChannelData(0), out.getChannelData(1)]);
  // The browser's compressor is not the engine's (its own detector and
  // curve): its output is checked to be there and finite, not compared.
  const compared = fed && ENGINE_ARMS.includes(arm);
  const stats = measure(out, compared ? references.get(key) : undefined);
  const fatal = handle.fatal();
  handle.dispose();
  if (fatal !== null) throw new Error(arm + ": " + fatal);
  return { arm, tracks, frames, wallMs, ...stats };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const STAMP_WAIT_MS = 100;

/** The reference session's output per length, from the first engine arm that rendered it. */
const sessionReferences = new Map();

/**
 * Render the build's reference session (dist/reference-session.json: tracks,
 * buses, inserts, synth and sampler voices, events) on engine arm `arm` for
 * `seconds`, looping, and time it; the output is compared with the first
 * engine arm's that rendered the same length.
 * @param {{arm: string, seconds: number, rate: number}} args
 */
export async function runSession({ arm, seconds, rate }) {
  if (!ENGINE_ARMS.includes(arm)) throw new RangeError("arm " + arm + " cannot render a session");
  const doc = await (await fetch("/dist/reference-session.json")).json();
  const frames = Math.round(seconds * rate);
  const ctx = new OfflineAudioContext(2, frames, rate);
  const { createDawgEngine } = await import("/dist/dawg-engine.js");
  const engine = await createDawgEngine(ctx, { backend: arm, session: doc, start: 0, loop: true });
  try {
    if (engine.backend !== arm) throw new Error("asked for backend " + arm + ", got " + engine.backend);
    await engine.sync();
    engine.node.connect(ctx.destination);
    const t0 = performance.now();
    const out = await ctx.startRendering();
    const wallMs = performance.now() - t0;
    const fatal = engine.fatalError();
    if (fatal !== null) throw new Error(arm + ": " + fatal.message);
    const ref = sessionReferences.get(frames);
    if (ref === undefined) sessionReferences.set(frames, { arm, data: [out.getChannelData(0), out.getChannelData(1)] });
    const stats = measure(out, ref === undefined ? undefined : ref.data);
    return { arm, frames, tracks: doc.tracks.length, wallMs, reference: ref === undefined ? arm : ref.arm, ...stats };
  } finally {
    engine.dispose();
  }
}

/** Resolves with the tap's next message of type `type`, or rejects after `timeoutMs`. */
function tapMessage(tap, type, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no " + type + " at the tap within " + timeoutMs + " ms")), timeoutMs);
    tap.port.onmessage = (e) => {
      if (e.data.type !== type) return;
      clearTimeout(timer);
      resolve({ ...e.data, receivedMs: performance.now() });
    };
  });
}

/**
 * performance.now() time at which context frame `frame` reaches the output,
 * from a timestamp taken STAMP_WAIT_MS later (the first ones after a
 * context starts can be stale).
 */
async function frameToPerformanceMs(ctx, frame) {
  await sleep(STAMP_WAIT_MS);
  const stamp = ctx.getOutputTimestamp();
  return stamp.performanceTime + (frame / ctx.sampleRate - stamp.contextTime) * 1000;
}


/** Main-thread postMessage calls on any MessagePort, counted while `counting`. */
const posted = { counting: false, count: 0 };
const originalPost = MessagePort.prototype.postMessage;
MessagePort.prototype.postMessage = function countedPost(...args) {
  if (posted.counting) posted.count++;
  return originalPost.apply(this, args);
};

/**
 * The origin's headline metrics of one arm, in a realtime AudioContext of its own:
 *   startupMs   from the call that builds the arm (createDawgEngine for the engine,
 *               in a page that has not loaded it yet) to the main thread hearing
 *               from a tap on the output that a quantum sounded (one message hop
 *               later than the quantum was rendered);
 *   latencyMs   event-to-sound, `trials` times: every track muted and the output
 *               silent, then track 0 unmuted from the main thread; from that call
 *               to the output time of the first sounding frame (its context frame
 *               found by a tap on the output, mapped through getOutputTimestamp);
 *   renderLatencyMs the same frame against currentTime at the call (the render
 *               side only, without the output's own latency);
 *   messagesPerS main-thread postMessage calls per second while track 0's fader is
 *               dragged: a new value every `dragStepMs` for `dragMs`;
 *   quietMessagesPerS the same over `dragMs` just before, with nothing changed;
 *   mainHeapBytes the page's used JS heap after load (performance.memory).
 * @param {{arm: string, tracks: number, rate: number, trials: number, dragMs: number, dragStepMs: number,
 *          events?: string}} args  events: the engine's transport ("auto", "ring" or "message")
 */
export async function probeArm({ arm, tracks, rate, trials, dragMs, dragStepMs, events = "auto" }) {
  if (!ARMS.includes(arm) || arm === "feed") throw new RangeError("arm " + arm + " cannot be probed");
  if (live.ctx !== null) throw new Error("an arm is already playing");
  const ctx = new AudioContext({ sampleRate: rate, latencyHint: "interactive" });
  live.ctx = ctx;
  live.audioStart = 0;
  try {
    await ctx.audioWorklet.addModule("/profile/profile-tap.js");
    const tap = new AudioWorkletNode(ctx, "tap", { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [2] });
    const bus = new GainNode(ctx);
    bus.connect(ctx.destination);
    bus.connect(tap).connect(ctx.destination); // the tap's output is silent; this keeps it pulled
    const firstSound = tapMessage(tap, "sound", 20000);
    const t0 = performance.now();
    live.arm = await buildArm(ctx, arm, tracks, rate, bus, true, events);
    await ctx.resume();
    const startupMs = (await firstSound).receivedMs - t0;
    const mainHeapBytes = performance.memory === undefined ? null : performance.memory.usedJSHeapSize;

    const latencyMs = [];
    const renderLatencyMs = [];
    for (let k = 0; k < trials; k++) {
      const silent = tapMessage(tap, "silent", 5000);
      tap.port.postMessage("watch");
      for (let t = 0; t < tracks; t++) live.arm.mute(t, true);
      await silent;
      await sleep(20 + Math.random() * 20); // a call at no fixed phase of the render callback
      const sound = tapMessage(tap, "sound", 5000);
      const called = performance.now();
      const calledAtS = ctx.currentTime;
      live.arm.mute(0, false);
      const { frame } = await sound;
      latencyMs.push((await frameToPerformanceMs(ctx, frame)) - called);
      renderLatencyMs.push((frame / rate - calledAtS) * 1000);
    }

    // The messages the arm posts anyway (the engine returns meter buffers
    // without shared memory), counted over as long a time with no change.
    posted.count = 0;
    posted.counting = true;
    const quietStart = performance.now();
    await sleep(dragMs);
    posted.counting = false;
    const quietMessagesPerS = posted.count / ((performance.now() - quietStart) / 1000);

    const steps = Math.max(1, Math.round(dragMs / dragStepMs));
    posted.count = 0;
    posted.counting = true;
    const dragStart = performance.now();
    for (let i = 0; i < steps; i++) {
      live.arm.fader(0, STRIP_PARAMS.gain_db - 12 * Math.abs(Math.sin(i / 20)));
      await sleep(dragStepMs);
    }
    await sleep(50); // what the last change sends (a flush per animation frame at most)
    posted.counting = false;
    const messagesPerS = posted.count / ((performance.now() - dragStart) / 1000);
    const transport = live.arm.engines.length > 0 ? live.arm.engines[0].transport : arm === "nodes" ? "AudioParam" : "message";
    const fatal = live.arm.fatal();
    return { arm, tracks, startupMs, latencyMs, renderLatencyMs, messagesPerS, quietMessagesPerS, dragChanges: steps, transport, mainHeapBytes, outputLatencyS: ctx.outputLatency, baseLatencyS: ctx.baseLatency, fatal };
  } finally {
    posted.counting = false;
    if (live.arm !== null) live.arm.dispose();
    await ctx.close();
    live.ctx = null;
    live.arm = null;
  }
}

/** The functions `call` reaches. */
const ENTRY = { runArm, startArm, armStats, stopArm, runSession, probeArm };

/**
 * Run page function `name` with `args`, bounded: rejects if it has not
 * settled within `timeoutMs`.
 * @param {{name: string, args: object, timeoutMs: number}} request
 */
export async function call({ name, args, timeoutMs }) {
  const fn = ENTRY[name];
  if (fn === undefined) throw new RangeError("no page function " + name + "; there are " + Object.keys(ENTRY).join(", "));
  let timer = null;
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(name + " did not finish within " + timeoutMs / 1000 + " s")), timeoutMs);
  });
  try {
    return await Promise.race([fn(args), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
