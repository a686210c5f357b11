// dawgwasm demo page: the reference session (20 tracks, two buses, a master
// chain) played by one AudioWorkletNode, with a mixer strip per channel (fader,
// pan, mute, solo) and live meters that show auto-bypass; or a test signal
// through track 0 with a left/right level meter (channel splitter → analysers).
//
// Served by `dawgwasm serve` (/ → web/demo/, /dist/ → the built dist folder).
// Every control's range, step and unit comes from MANIFEST.params, the engine's
// own parameter table; the session is dist/reference-session.json, the very
// document `dawgwasm render --session` reads. The DOM is built with
// createElement and textContent only. Tests drive it through window.dawgDemo.

const ENGINE_URL = "/dist/dawg-engine.js";
const SESSION_URL = "/dist/reference-session.json";

const MODES = [
  { value: "session", label: "Reference session" },
  { value: "signal", label: "Test signal" },
];

const CONTROLS = [
  { name: "gain_db", track: 0, label: "Track 1 gain" },
  { name: "pan", track: 0, label: "Track 1 pan" },
  { name: "master_gain_db", track: 0, label: "Master gain" },
];

const SIGNALS = [
  { value: "saw", label: "Sawtooth chord" },
  { value: "noise", label: "Pink-ish noise" },
  { value: "drums", label: "Drum-like loop" },
];

const METER_FLOOR_DB = -60;

const ui = {};
const state = {
  lib: null, // the dawg-engine.js module
  sessionDoc: null, // the reference session document
  context: null,
  engine: null,
  analysers: null, // [left, right] AnalyserNodes
  source: null,
  running: false,
  busy: false,
  rafId: 0,
  meterData: null,
  levelDb: -Infinity,
  levelsDb: [-Infinity, -Infinity],
  meters: null, // last engine.meters() snapshot (session mode)
};

// ---- small helpers ---------------------------------------------------------

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key === "attrs") for (const [a, v] of Object.entries(value)) node.setAttribute(a, v);
    else node[key] = value;
  }
  for (const child of children) node.append(child);
  return node;
}

/** A round slider step: 1 for stepped parameters, else about 1/200 of the range. */
function sliderStep(spec) {
  if (spec.stepped) return 1;
  const raw = (spec.max - spec.min) / 200;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const m = raw / pow;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * pow;
}

function formatValue(value, step, unit) {
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const text = value.toFixed(decimals);
  return unit ? text + " " + unit : text;
}

/** Deterministic PRNG (mulberry32) so the test signals are the same every run. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- test signals ------------------------------------------------------------

function sawChord(ctx) {
  const out = new GainNode(ctx, { gain: 0.1 });
  const oscillators = [220, 277.18, 329.63].map((frequency) => {
    const osc = new OscillatorNode(ctx, { type: "sawtooth", frequency });
    osc.connect(out);
    osc.start();
    return osc;
  });
  return {
    node: out,
    stop() {
      for (const osc of oscillators) osc.stop();
      out.disconnect();
    },
  };
}

function loopBuffer(ctx, buffer) {
  const src = new AudioBufferSourceNode(ctx, { buffer, loop: true });
  src.start();
  return {
    node: src,
    stop() {
      src.stop();
      src.disconnect();
    },
  };
}

function pinkNoise(ctx) {
  const frames = Math.round(ctx.sampleRate * 2);
  const buffer = new AudioBuffer({ numberOfChannels: 2, length: frames, sampleRate: ctx.sampleRate });
  for (let c = 0; c < 2; c++) {
    const rnd = random(17 + c);
    const data = buffer.getChannelData(c);
    let b0 = 0, b1 = 0, b2 = 0;
    for (let i = 0; i < frames; i++) {
      // Paul Kellet's economy pink filter: white noise through three one-poles.
      const w = rnd() * 2 - 1;
      b0 = 0.99765 * b0 + w * 0.099046;
      b1 = 0.963 * b1 + w * 0.2965164;
      b2 = 0.57 * b2 + w * 1.0526913;
      data[i] = (b0 + b1 + b2 + w * 0.1848) * 0.08;
    }
  }
  return loopBuffer(ctx, buffer);
}

function drumLoop(ctx) {
  const rate = ctx.sampleRate;
  const frames = Math.round(rate * 2); // one bar of 4/4 at 120 bpm
  const buffer = new AudioBuffer({ numberOfChannels: 2, length: frames, sampleRate: rate });
  const left = buffer.getChannelData(0);
  const right = buffer.getChannelData(1);
  const rnd = random(99);
  const add = (startS, seconds, sampleAt, panRight) => {
    const begin = Math.round(startS * rate);
    const n = Math.min(Math.round(seconds * rate), frames - begin);
    for (let i = 0; i < n; i++) {
      const s = sampleAt(i / rate);
      left[begin + i] += s * (1 - panRight);
      right[begin + i] += s * (1 + panRight);
    }
  };
  for (let beat = 0; beat < 4; beat++) {
    const t = beat * 0.5;
    if (beat % 2 === 0) {
      // kick: a sine sweeping down from 120 Hz to 45 Hz
      add(t, 0.35, (x) => 0.6 * Math.exp(-x * 12) * Math.sin(2 * Math.PI * (45 * x + (75 / 20) * (1 - Math.exp(-x * 20)))), 0);
    } else {
      // snare: a noise burst
      add(t, 0.2, (x) => 0.3 * Math.exp(-x * 25) * (rnd() * 2 - 1), 0);
    }
  }
  for (let eighth = 0; eighth < 8; eighth++) {
    // hats: short bursts of differentiated (high-tilted) noise, alternating sides
    let prev = 0;
    const hat = (x) => {
      const w = rnd() * 2 - 1;
      const s = w - prev;
      prev = w;
      return 0.08 * Math.exp(-x * 90) * s;
    };
    add(eighth * 0.25, 0.05, hat, eighth % 2 === 0 ? -0.3 : 0.3);
  }
  return loopBuffer(ctx, buffer);
}

const SIGNAL_FACTORIES = { saw: sawChord, noise: pinkNoise, drums: drumLoop };

// ---- UI ----------------------------------------------------------------------

function setError(message) {
  ui.error.textContent = message;
  ui.error.hidden = message === "";
}

function setStatus(key, text) {
  ui.status[key].textContent = text;
}

function currentMode() {
  return ui.mode ? ui.mode.value : null;
}

function updateStatus() {
  const ctx = state.context;
  setStatus(
    "variant",
    state.engine ? state.engine.variant : "not started (SIMD " + (state.lib.simdSupported() ? "supported" : "not supported") + ")"
  );
  setStatus(
    "isolation",
    globalThis.crossOriginIsolated === true ? "yes" : "no (served without COOP/COEP headers)"
  );
  setStatus(
    "transport",
    state.engine
      ? state.engine.transport === "ring" ? "SharedArrayBuffer ring" : "postMessage batches"
      : state.lib.sharedMemorySupported() ? "SharedArrayBuffer ring (when started)" : "postMessage batches (when started)"
  );
  setStatus("rate", ctx ? ctx.sampleRate + " Hz" : "—");
  setStatus(
    "latency",
    ctx && typeof ctx.baseLatency === "number" ? (ctx.baseLatency * 1000).toFixed(1) + " ms" : "—"
  );
  setStatus("state", ctx ? ctx.state : "stopped");
}

function updateMode() {
  const session = currentMode() === "session";
  ui.signalRow.hidden = session;
  ui.signalMixer.hidden = session;
  ui.sessionMixer.hidden = !session;
}

/** A slider for parameter `spec`; `apply(value)` sends it to the running engine. */
function slider(id, spec, value, label, apply) {
  const step = sliderStep(spec);
  const input = el("input", {
    type: "range",
    id,
    min: String(spec.min),
    max: String(spec.max),
    step: String(step),
    value: String(value),
    attrs: { "aria-label": label },
  });
  const output = el("output", {
    htmlFor: id,
    text: formatValue(value, step, spec.unit),
    attrs: { "aria-live": "off" },
  });
  input.addEventListener("input", () => {
    const v = Number(input.value);
    output.textContent = formatValue(v, step, spec.unit);
    input.setAttribute("aria-valuetext", output.textContent);
    apply(v);
  });
  input.setAttribute("aria-valuetext", output.textContent);
  return { input, output };
}

/** Send one change to the running engine, reporting a refusal on the page. */
function send(name, value, where) {
  if (!state.engine) return;
  try {
    state.engine.setParam(name, value, where);
  } catch (err) {
    setError(err.message);
  }
}

function buildSlider(control, spec) {
  const id = "param-" + control.name + "-" + control.track;
  const step = sliderStep(spec);
  const { input, output } = slider(id, spec, spec.default, control.label, (v) => {
    if (currentMode() === "signal") send(control.name, v, control.track);
  });
  input.removeAttribute("aria-label");
  input.setAttribute("aria-describedby", id + "-doc");
  const range = el("span", {
    className: "range",
    text:
      "Range " + formatValue(spec.min, step, "") + " to " + formatValue(spec.max, step, spec.unit) +
      ", default " + formatValue(spec.default, step, spec.unit) + ".",
  });
  ui.sliders.push({ control, input });
  return el("div", { className: "row" }, [
    el("label", { htmlFor: id, text: control.label }),
    input,
    output,
    el("p", { className: "doc", id: id + "-doc" }, [spec.doc + " ", range]),
  ]);
}

/**
 * One mixer strip: name, level meter with the channel's state, fader, pan,
 * mute and solo (whichever the channel has), all ranges from the manifest.
 * `where` addresses the channel for setParam; `values` holds the session's settings.
 */
function buildStrip(kind, index, name, where, values, byName) {
  const key = kind === "master" ? "master" : kind + "-" + index;
  const controls = [];
  const add = (param, label) => {
    const spec = byName.get(param);
    if (spec === undefined) return;
    const id = key + "-" + param;
    if (spec.stepped && spec.min === 0 && spec.max === 1) {
      const box = el("input", { type: "checkbox", id, checked: values.get(param) === 1 });
      box.addEventListener("change", () => send(param, box.checked ? 1 : 0, where));
      ui.stripControls.push({ input: box, param, where, checkbox: true });
      controls.push(el("label", { className: "toggle", htmlFor: id, attrs: { title: spec.doc } }, [box, label]));
      return;
    }
    const value = values.has(param) ? values.get(param) : spec.default;
    const { input, output } = slider(id, spec, value, name + " " + label, (v) => send(param, v, where));
    ui.stripControls.push({ input, param, where, checkbox: false });
    controls.push(el("span", { className: "control " + param, attrs: { title: spec.doc } }, [label + " ", input, output]));
  };
  if (kind === "master") {
    add("master_gain_db", "fader");
  } else {
    add("gain_db", "fader");
    add("pan", "pan");
    add("mute", "M");
    if (kind === "track") add("solo", "S");
  }
  const meter = el("meter", {
    id: "meter-" + key,
    min: METER_FLOOR_DB,
    max: 0,
    low: -18,
    high: -6,
    optimum: -30,
    value: METER_FLOOR_DB,
    attrs: { "aria-label": name + " level (peak)" },
  });
  const stateText = el("span", { className: "meter-state", id: "state-" + key, text: "—", attrs: { "aria-hidden": "true" } });
  const row = el("div", { className: "strip " + kind, id: "strip-" + key }, [
    el("span", { className: "strip-name", text: name }),
    meter,
    stateText,
    el("span", { className: "strip-controls" }, controls),
  ]);
  ui.strips.push({ kind, index, meter, stateText, row });
  return row;
}

function buildSessionMixer(byName) {
  const fieldset = el("fieldset", { className: "mixer session-mixer" }, [
    el("legend", { text: "Reference session mixer" }),
  ]);
  ui.strips = [];
  ui.stripControls = [];
  const doc = state.sessionDoc;
  if (doc === null) {
    fieldset.append(el("p", { className: "doc", text: "Could not load " + SESSION_URL + "; run `dawgwasm build`." }));
    return fieldset;
  }
  const values = (d, keys) => {
    const m = new Map();
    for (const k of keys) if (d[k] !== undefined) m.set(k, typeof d[k] === "boolean" ? Number(d[k]) : d[k]);
    return m;
  };
  fieldset.append(el("p", {
    className: "doc",
    text: doc.tracks.length + " tracks at " + doc.tempo_bpm + " BPM, looping " + doc.length_beats +
      " beats. A meter's state says \"bypassed\" when the channel has gone silent and costs nothing.",
  }));
  doc.tracks.forEach((t, i) => {
    const name = t.name || "Track " + (i + 1);
    fieldset.append(buildStrip("track", i, name, i, values(t, ["gain_db", "pan", "mute", "solo"]), byName));
  });
  (doc.buses || []).forEach((b, i) => {
    fieldset.append(buildStrip("bus", i, (b.name || "Bus " + (i + 1)) + " bus", { bus: i }, values(b, ["gain_db", "pan", "mute"]), byName));
  });
  const master = doc.master || {};
  fieldset.append(buildStrip("master", 0, "Master", 0, new Map([["master_gain_db", master.gain_db === undefined ? 0 : master.gain_db]]), byName));
  return fieldset;
}

function buildUi(app) {
  const byName = new Map(state.lib.MANIFEST.params.map((p) => [p.name, p]));

  ui.start = el("button", { type: "button", id: "start", text: "Start" });
  ui.start.addEventListener("click", () => (state.running ? stop() : start()));

  ui.mode = el("select", { id: "mode" });
  for (const m of MODES) ui.mode.append(el("option", { value: m.value, text: m.label }));
  ui.mode.addEventListener("change", async () => {
    if (state.running) {
      await stop();
      updateMode();
      await start();
    } else {
      updateMode();
    }
  });

  ui.signal = el("select", { id: "signal" });
  for (const s of SIGNALS) ui.signal.append(el("option", { value: s.value, text: s.label }));
  ui.signal.addEventListener("change", () => {
    if (state.running && currentMode() === "signal") connectSource(ui.signal.value);
  });
  ui.signalRow = el("span", { className: "signal-choice" }, [
    el("label", { htmlFor: "signal", text: "Test signal" }),
    ui.signal,
  ]);

  const transport = el("div", { className: "transport" }, [
    ui.start,
    el("label", { htmlFor: "mode", text: "Play" }),
    ui.mode,
    ui.signalRow,
  ]);

  ui.sliders = [];
  ui.signalMixer = el("fieldset", { className: "mixer" }, [el("legend", { text: "Test signal mixer" })]);
  for (const control of CONTROLS) {
    const spec = byName.get(control.name);
    if (spec === undefined) {
      ui.signalMixer.append(el("p", { className: "doc", text: "This build has no parameter " + control.name + "." }));
      continue;
    }
    ui.signalMixer.append(buildSlider(control, spec));
  }
  ui.sessionMixer = buildSessionMixer(byName);

  ui.meters = [];
  ui.meterTexts = [];
  const meterRows = [];
  for (const [i, side] of [[0, "left"], [1, "right"]]) {
    const meter = el("meter", {
      id: "level-" + side,
      min: METER_FLOOR_DB,
      max: 0,
      low: -18,
      high: -6,
      optimum: -30,
      value: METER_FLOOR_DB,
    });
    // Updated every frame: hidden from assistive technology, which reads the meter itself.
    const text = el("span", { className: "level-text", text: "silent", attrs: { "aria-hidden": "true" } });
    ui.meters[i] = meter;
    ui.meterTexts[i] = text;
    meterRows.push(
      el("div", { className: "row meter" }, [
        el("label", { htmlFor: "level-" + side, text: "Output level, " + side + " (RMS)" }),
        meter,
        text,
      ])
    );
  }
  const meterRow = el("div", { className: "meters" }, meterRows);

  ui.status = {};
  const statusList = el("dl", { className: "status" });
  for (const [key, label] of [
    ["variant", "WASM build"],
    ["isolation", "Cross-origin isolated"],
    ["transport", "Events and meters"],
    ["rate", "Sample rate"],
    ["latency", "Base latency"],
    ["state", "Audio context"],
  ]) {
    ui.status[key] = el("dd", { id: "status-" + key });
    statusList.append(el("dt", { text: label }), ui.status[key]);
  }
  ui.error = el("p", { className: "error", id: "status-error", hidden: true, attrs: { role: "alert" } });

  app.append(
    transport,
    meterRow,
    ui.signalMixer,
    ui.sessionMixer,
    el("section", { className: "status-box", attrs: { "aria-label": "Status", role: "status" } }, [statusList]),
    ui.error
  );
  updateMode();
  updateStatus();
}

// ---- audio -------------------------------------------------------------------

function currentParams() {
  return ui.sliders.map(({ control, input }) => ({
    name: control.name,
    value: Number(input.value),
    track: control.track,
  }));
}

function connectSource(kind) {
  if (state.source) {
    state.source.stop();
    state.source = null;
  }
  const factory = SIGNAL_FACTORIES[kind] || sawChord;
  state.source = factory(state.context);
  state.source.node.connect(state.engine.node, 0, 0); // track 0
}

function rmsDb(analyser, data) {
  analyser.getFloatTimeDomainData(data);
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i] * data[i];
  const rms = Math.sqrt(sum / data.length);
  return rms > 0 ? 20 * Math.log10(rms) : -Infinity;
}

function toDb(x) {
  return x > 0 ? 20 * Math.log10(x) : -Infinity;
}

function drawStrips() {
  const snap = state.engine.meters();
  state.meters = snap;
  for (const strip of ui.strips) {
    const m = strip.kind === "track" ? snap.tracks[strip.index] : strip.kind === "bus" ? snap.buses[strip.index] : snap.master;
    if (m === undefined) continue;
    const db = toDb(Math.max(m.peak[0], m.peak[1]));
    strip.meter.value = Math.max(METER_FLOOR_DB, Math.min(0, db));
    strip.stateText.textContent = m.state === "bypassed" ? "bypassed" : m.state === "absent" ? "—" : db > -120 ? db.toFixed(0) + " dB" : "silent";
    strip.row.classList.toggle("bypassed", m.state === "bypassed");
  }
}

function draw() {
  const analysers = state.analysers;
  if (!analysers) return;
  for (let i = 0; i < 2; i++) {
    const db = rmsDb(analysers[i], state.meterData);
    state.levelsDb[i] = db;
    ui.meters[i].value = Math.max(METER_FLOOR_DB, Math.min(0, db));
    ui.meterTexts[i].textContent = db > -120 ? db.toFixed(1) + " dBFS" : "silent";
  }
  state.levelDb = Math.max(state.levelsDb[0], state.levelsDb[1]);
  if (currentMode() === "session" && state.engine) drawStrips();
  state.rafId = requestAnimationFrame(draw);
}

async function loadSessionEngine(context) {
  if (state.sessionDoc === null) throw new Error("the reference session could not be loaded from " + SESSION_URL);
  const engine = await state.lib.createDawgEngine(context, { session: state.sessionDoc });
  // Whatever the strips say now (the user may have moved them before Start).
  for (const { input, param, where, checkbox } of ui.stripControls) {
    const value = checkbox ? (input.checked ? 1 : 0) : Number(input.value);
    engine.setParam(param, value, where);
  }
  return engine;
}

async function start() {
  if (state.running || state.busy) return;
  state.busy = true;
  ui.start.disabled = true;
  setError("");
  let context = null;
  try {
    if (typeof AudioContext === "undefined") throw new Error("this browser has no Web Audio API");
    context = new AudioContext({ latencyHint: "interactive" });
    context.addEventListener("statechange", updateStatus);
    const session = currentMode() === "session";
    const engine = session
      ? await loadSessionEngine(context)
      : await state.lib.createDawgEngine(context, { tracks: 1, params: currentParams() });
    engine.onError((error) => setError(error.message));
    engine.node.connect(context.destination);
    const splitter = new ChannelSplitterNode(context, { numberOfOutputs: 2 });
    engine.node.connect(splitter);
    const analysers = [0, 1].map((channel) => {
      const analyser = new AnalyserNode(context, { fftSize: 2048 });
      splitter.connect(analyser, channel);
      return analyser;
    });
    Object.assign(state, {
      context,
      engine,
      analysers,
      meterData: new Float32Array(2048),
      running: true,
    });
    if (session) engine.play();
    else connectSource(ui.signal.value);
    await context.resume();
    ui.start.textContent = "Stop";
    state.rafId = requestAnimationFrame(draw);
  } catch (err) {
    setError(err && err.message ? err.message : String(err));
    await teardown();
    if (context && context.state !== "closed") await context.close().catch(() => {});
  } finally {
    state.busy = false;
    ui.start.disabled = false;
    updateStatus();
  }
}

async function teardown() {
  cancelAnimationFrame(state.rafId);
  state.rafId = 0;
  if (state.source) state.source.stop();
  if (state.engine) state.engine.dispose();
  const context = state.context;
  Object.assign(state, {
    source: null,
    engine: null,
    analysers: null,
    context: null,
    running: false,
    levelDb: -Infinity,
    levelsDb: [-Infinity, -Infinity],
    meters: null,
  });
  if (context && context.state !== "closed") await context.close().catch(() => {});
  for (let i = 0; i < (ui.meters ? ui.meters.length : 0); i++) {
    ui.meters[i].value = METER_FLOOR_DB;
    ui.meterTexts[i].textContent = "silent";
  }
  for (const strip of ui.strips || []) {
    strip.meter.value = METER_FLOOR_DB;
    strip.stateText.textContent = "—";
    strip.row.classList.remove("bypassed");
  }
}

async function stop() {
  if (!state.running || state.busy) return;
  state.busy = true;
  ui.start.disabled = true;
  try {
    await teardown();
  } finally {
    state.busy = false;
    ui.start.disabled = false;
    ui.start.textContent = "Start";
    updateStatus();
  }
}

window.dawgDemo = {
  get engine() {
    return state.engine;
  },
  get context() {
    return state.context;
  },
  /** "session" or "signal" (null until the page is built). */
  get mode() {
    return currentMode();
  },
  /** Last RMS level drawn by the louder channel's meter, in dBFS (-Infinity when silent or stopped). */
  get levelDb() {
    return state.levelDb;
  },
  /** Last RMS levels of the left and right channels, in dBFS. */
  get levelsDb() {
    return state.levelsDb.slice();
  },
  /** The engine's last meter snapshot drawn (session mode), or null. */
  get meters() {
    return state.meters;
  },
  start,
  stop,
};

async function main() {
  const app = document.getElementById("app");
  try {
    state.lib = await import(ENGINE_URL);
  } catch (err) {
    app.append(
      el("p", {
        className: "error",
        attrs: { role: "alert" },
        text: "Could not load " + ENGINE_URL + " (" + (err && err.message ? err.message : String(err)) +
          "). Run `dawgwasm build`, then `dawgwasm serve`.",
      })
    );
    return;
  }
  try {
    const response = await fetch(SESSION_URL);
    if (response.ok) state.sessionDoc = await response.json();
  } catch (_) {
    state.sessionDoc = null; // the session mode says so; the test signal still works
  }
  buildUi(app);
}

main();
