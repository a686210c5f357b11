// demo-player.js — the demo page's audio: one AudioContext, the engine that
// plays in it, and switching that engine to another backend while it plays.
//
// Graph: engine.node → its own GainNode → out → destination, and out →
// splitter → two AnalyserNodes (the page's left/right level). In test-signal
// mode the signal feeds the engine's input 0 (track 0).
//
// Switching backends while playing builds a second engine on the same context
// with the same session (or signal), every change made on the page as its
// initial parameters, and, for the session, the same pattern origin (the
// context time the session started at), so it plays from the same transport
// position; it joins the pattern where it is (`join`: notes still held start
// on its first quantum, hits already over are not replayed). Only once it runs
// (createDawgEngine resolves when the processor reports its engine running) is
// it faded in over FADE_S. The old engine stops its pattern at that moment and
// rings out for TAIL_S (its drum hits, released notes, reverb and delay tails;
// with a test signal, which both engines hear, it fades out over FADE_S
// instead); then it fades out and is disposed. If the new engine cannot
// start, the old one never stopped: the switch reports why and nothing else
// changes.

import { SIGNALS } from "./demo-signals.js";

export const FADE_S = 0.03;
const TAIL_S = 2.0; // how long the old engine rings out after a switch in session mode
const START_LEAD_S = 0.1; // the session starts this long after Start, on a known frame
const ANALYSER_SIZE = 2048;

function errorText(err) {
  return err && err.message ? err.message : String(err);
}

/** The audio side of the page. */
export class Player {
  /**
   * @param {object} lib  the build's dawg-engine.js module
   * @param {{onError: (message: string) => void, onState: () => void}} hooks
   */
  constructor(lib, hooks) {
    this.lib = lib;
    this.hooks = hooks;
    this.context = null;
    this.engine = null;
    this.gain = null; // the running engine's fade gain
    this.out = null;
    this.analysers = null;
    this.source = null; // test signal {node, stop()}
    this.mode = null; // "session" | "signal"
    this.model = null; // MixerModel
    this.sessionDoc = null;
    this.sessionStart = null; // context time the session's pattern started at
    this.switches = []; // [{from, to, ok, error, at}] in order
    this.levelsDb = [-Infinity, -Infinity];
    this.meterData = new Float32Array(ANALYSER_SIZE);
  }

  get running() {
    return this.engine !== null;
  }

  /**
   * Start playing: the reference session (`sessionDoc`) or a test signal, on `backend`.
   * @param {{mode: "session"|"signal", backend: string, model: object, sessionDoc?: object, signal?: string}} what
   */
  async start({ mode, backend, model, sessionDoc, signal }) {
    if (typeof AudioContext === "undefined") throw new Error("this browser has no Web Audio API");
    const context = new AudioContext({ latencyHint: "interactive" });
    context.addEventListener("statechange", () => this.hooks.onState());
    Object.assign(this, { context, mode, model, sessionDoc: sessionDoc || null, sessionStart: null });
    try {
      this.out = new GainNode(context);
      this.out.connect(context.destination);
      const splitter = new ChannelSplitterNode(context, { numberOfOutputs: 2 });
      this.out.connect(splitter);
      this.analysers = [0, 1].map((channel) => {
        const analyser = new AnalyserNode(context, { fftSize: ANALYSER_SIZE });
        splitter.connect(analyser, channel);
        return analyser;
      });
      const engine = await this.#create(backend, null);
      this.#attach(engine, 1);
      if (mode === "session") {
        this.sessionStart = context.currentTime + START_LEAD_S;
        engine.play(this.sessionStart);
      } else {
        this.connectSignal(signal);
      }
      await context.resume();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Stop and release everything (the context is closed). */
  async stop() {
    if (this.source) this.source.stop();
    if (this.engine) this.engine.dispose();
    const context = this.context;
    Object.assign(this, {
      source: null,
      engine: null,
      gain: null,
      out: null,
      analysers: null,
      context: null,
      sessionStart: null,
      levelsDb: [-Infinity, -Infinity],
    });
    if (context && context.state !== "closed") await context.close().catch(() => {});
  }

  /** An engine of `backend` for what is playing, every page change as an initial value. */
  async #create(backend, sessionStart) {
    const params = this.model.initialParams();
    if (this.mode === "session") {
      if (this.sessionDoc === null) throw new Error("the reference session could not be loaded");
      const options = { backend, session: this.sessionDoc, params, measureLoad: true };
      if (sessionStart !== null) {
        options.start = sessionStart;
        // A switch joins the pattern where it is rather than replaying what it missed.
        options.join = sessionStart < this.context.currentTime;
      }
      return this.lib.createDawgEngine(this.context, options);
    }
    return this.lib.createDawgEngine(this.context, { backend, tracks: 1, params, measureLoad: true });
  }

  // Make `engine` the running one, through a new fade gain at `gain`.
  #attach(engine, gain) {
    const g = new GainNode(this.context, { gain });
    engine.node.connect(g);
    g.connect(this.out);
    engine.onError((error) => {
      if (engine === this.engine) this.hooks.onError(error.message);
    });
    this.engine = engine;
    this.gain = g;
  }

  /** Feed test signal `kind` into track 0 of the running engine. */
  connectSignal(kind) {
    if (this.source) this.source.stop();
    const entry = SIGNALS.find((s) => s.value === kind) || SIGNALS[0];
    this.source = entry.make(this.context);
    this.source.node.connect(this.engine.node, 0, 0);
  }

  /**
   * Switch the playing engine to `backend` (see the header). Resolves to
   * {ok: true, backend} or {ok: false, error} (the old engine still playing).
   */
  async switchBackend(backend) {
    const old = this.engine;
    const oldGain = this.gain;
    const record = { from: old ? old.backend : null, to: backend, ok: false, error: null, at: Date.now() };
    this.switches.push(record);
    if (old === null) {
      record.error = "nothing is playing";
      return record;
    }
    let fresh;
    try {
      fresh = await this.#create(backend, this.sessionStart);
    } catch (err) {
      record.error = errorText(err);
      return record;
    }
    if (this.engine !== old) {
      // Stopped (or switched) while the new engine was being built.
      fresh.dispose();
      record.error = "playback stopped during the switch";
      return record;
    }
    // Changes made while it was being built: values it already has ramp nowhere.
    this.model.applyTo(fresh);
    const ctx = this.context;
    this.#attach(fresh, 0);
    if (this.source) this.source.node.connect(fresh.node, 0, 0);
    const t = ctx.currentTime;
    this.gain.gain.setValueAtTime(0, t);
    this.gain.gain.linearRampToValueAtTime(1, t + FADE_S);
    const tail = this.mode === "session" ? TAIL_S : 0;
    if (tail > 0) old.stop(t);
    oldGain.gain.cancelScheduledValues(t);
    oldGain.gain.setValueAtTime(1, t + tail);
    oldGain.gain.linearRampToValueAtTime(0, t + tail + FADE_S);
    const source = this.source;
    setTimeout(() => {
      if (source) {
        try {
          source.node.disconnect(old.node);
        } catch (_) {
          // already disconnected (the signal was changed meanwhile)
        }
      }
      old.dispose();
      oldGain.disconnect();
    }, (tail + FADE_S) * 1000 + 100);
    record.ok = true;
    record.backend = fresh.backend;
    return record;
  }

  /** Send a parameter change to the running engine; returns the refusal's message, or "". */
  send(name, value, where) {
    if (this.engine === null) return "";
    try {
      this.engine.setParam(name, value, where);
      return "";
    } catch (err) {
      return errorText(err);
    }
  }

  /** RMS of the left and right output over the analysers' last 2048 frames, in dBFS. */
  readLevels() {
    if (this.analysers === null) return this.levelsDb;
    for (let i = 0; i < 2; i++) {
      const data = this.meterData;
      this.analysers[i].getFloatTimeDomainData(data);
      let sum = 0;
      for (let k = 0; k < data.length; k++) sum += data[k] * data[k];
      const rms = Math.sqrt(sum / data.length);
      this.levelsDb[i] = rms > 0 ? 20 * Math.log10(rms) : -Infinity;
    }
    return this.levelsDb;
  }
}
