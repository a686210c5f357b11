// dawgwasm demo page: a small mixer. The reference session (20 tracks, two
// buses, a master chain) or a test signal through one track, played by one
// AudioWorkletNode on the backend of the listener's choice: WebAssembly with
// SIMD, WebAssembly without, or JavaScript, switchable while it plays.
//
// Served by `dawgwasm serve` (/ → web/demo/, /dist/ → the built dist folder).
// Every control's range, default, unit and label comes from MANIFEST.params,
// the engine's own parameter table; the session is dist/reference-session.json,
// the very document `dawgwasm render --session` reads. `?backend=js` (or
// wasm-simd, wasm-scalar, auto) picks the backend the page starts with. The
// DOM is built with createElement and textContent only. Tests drive it
// through window.dawgDemo.
//
// Modules: demo-player.js (audio, backend switch), demo-mixer.js (strips and
// the detail panel), demo-load.js (load readout), demo-widgets.js and
// demo-params.js (controls from parameter rows), demo-signals.js (test signals).

import { BACKEND_LABELS, LoadReadout } from "./demo-load.js";
import { Mixer, MixerModel, ParamTable } from "./demo-mixer.js";
import { Player } from "./demo-player.js";
import { SIGNALS } from "./demo-signals.js";
import { el } from "./demo-widgets.js";

const ENGINE_URL = "/dist/dawg-engine.js";
const SESSION_URL = "/dist/reference-session.json";
const BACKENDS = ["auto", "wasm-simd", "wasm-scalar", "js"];
const MODES = [
  { value: "session", label: "Reference session" },
  { value: "signal", label: "Test signal" },
];

const ui = {};
const state = {
  lib: null,
  sessionDoc: null,
  table: null,
  player: null,
  mixers: {}, // mode → Mixer (each keeps its own changes)
  load: null,
  busy: false, // starting or stopping
  wanted: "auto", // the backend chosen on the page
  applied: null, // the choice the running engine was made with
  switching: false,
  rafId: 0,
  levelDb: -Infinity,
  meters: null,
};

function errorText(err) {
  return err && err.message ? err.message : String(err);
}

function setError(message) {
  ui.error.textContent = message;
  ui.error.hidden = message === "";
}

function currentMode() {
  return ui.mode ? ui.mode.value : null;
}

function currentMixer() {
  return state.mixers[currentMode()];
}

// ---- the backend choice -------------------------------------------------------

/** The backend `?backend=` asks for, or "auto"; a bad value is reported and ignored. */
function backendFromUrl() {
  const asked = new URLSearchParams(location.search).get("backend");
  if (asked === null || asked === "") return { backend: "auto", problem: "" };
  if (BACKENDS.includes(asked)) return { backend: asked, problem: "" };
  return {
    backend: "auto",
    problem: "?backend=" + asked + " is not a backend; use one of " + BACKENDS.join(", ") + ". Using auto.",
  };
}

function showChoice(backend) {
  for (const input of ui.backendInputs) input.checked = input.value === backend;
}

function rememberChoice(backend) {
  const url = new URL(location.href);
  if (backend === "auto") url.searchParams.delete("backend");
  else url.searchParams.set("backend", backend);
  history.replaceState(null, "", url);
}

/** The listener picked `backend`: use it from the next Start, or now if playing. */
async function chooseBackend(backend) {
  state.wanted = backend;
  rememberChoice(backend);
  if (!state.player.running || state.busy || state.switching) return;
  state.switching = true;
  ui.backendGroup.setAttribute("aria-busy", "true");
  try {
    while (state.player.running && state.wanted !== state.applied) {
      const target = state.wanted;
      const before = state.player.engine.backend;
      setStatusLine("Switching to " + BACKEND_LABELS[target] + "\u2026");
      const result = await state.player.switchBackend(target);
      if (result.ok) {
        state.applied = target;
        state.load.follow(state.player.engine);
        setError("");
      } else {
        state.wanted = state.applied;
        showChoice(state.applied);
        rememberChoice(state.applied);
        if (state.player.running) {
          setError("Could not switch to " + BACKEND_LABELS[target] + ": " + result.error +
            ". Still playing on " + BACKEND_LABELS[before] + ".");
        }
      }
    }
  } finally {
    state.switching = false;
    ui.backendGroup.removeAttribute("aria-busy");
    updateStatus();
  }
}

// ---- status -------------------------------------------------------------------

function setStatusLine(text) {
  ui.engineLine.textContent = text;
}

function updateStatus() {
  const player = state.player;
  const engine = player.engine;
  const ctx = player.context;
  if (engine) {
    const chosen = state.applied === "auto" ? " (chosen by auto)" : "";
    setStatusLine("Playing on " + BACKEND_LABELS[engine.backend] + chosen + ".");
  } else {
    setStatusLine("Stopped. Start plays on " + BACKEND_LABELS[state.wanted] + ".");
  }
  const set = (key, text) => {
    ui.status[key].textContent = text;
  };
  set("backend", engine ? BACKEND_LABELS[engine.backend] : "not started");
  set("simd", state.lib.simdSupported() ? "supported" : "not supported (auto skips WASM SIMD)");
  set("isolation", globalThis.crossOriginIsolated === true ? "yes" : "no (served without COOP/COEP headers)");
  set("transport", engine
    ? engine.transport === "ring" ? "SharedArrayBuffer ring" : "postMessage batches"
    : state.lib.sharedMemorySupported() ? "SharedArrayBuffer ring (when started)" : "postMessage batches (when started)");
  set("rate", ctx ? ctx.sampleRate + " Hz" : "\u2014");
  set("latency", ctx && typeof ctx.baseLatency === "number" ? (ctx.baseLatency * 1000).toFixed(1) + " ms" : "\u2014");
  set("state", ctx ? ctx.state : "stopped");
  ui.start.textContent = engine ? "Stop" : "Start";
}

// ---- drawing ------------------------------------------------------------------

function draw() {
  const player = state.player;
  if (!player.running) return;
  const levels = player.readLevels();
  for (let i = 0; i < 2; i++) {
    const db = levels[i];
    ui.outMeters[i].value = Math.max(-60, Math.min(0, db));
    ui.outTexts[i].textContent = db > -120 ? db.toFixed(1) + " dBFS" : "silent";
  }
  state.levelDb = Math.max(levels[0], levels[1]);
  state.meters = player.engine.meters();
  currentMixer().draw(state.meters);
  state.rafId = requestAnimationFrame(draw);
}

// ---- start and stop -------------------------------------------------------------

async function start() {
  if (state.player.running || state.busy) return;
  state.busy = true;
  ui.start.disabled = true;
  setError("");
  try {
    const mode = currentMode();
    await state.player.start({
      mode,
      backend: state.wanted,
      model: currentMixer().model,
      sessionDoc: state.sessionDoc,
      signal: ui.signal.value,
    });
    state.applied = state.wanted;
    state.load.follow(state.player.engine);
    state.rafId = requestAnimationFrame(draw);
  } catch (err) {
    setError("Could not start on " + BACKEND_LABELS[state.wanted] + ": " + errorText(err));
  } finally {
    state.busy = false;
    ui.start.disabled = false;
    updateStatus();
  }
  // A different backend picked while starting.
  if (state.player.running && state.wanted !== state.applied) chooseBackend(state.wanted);
}

async function stop() {
  if (!state.player.running || state.busy) return;
  state.busy = true;
  ui.start.disabled = true;
  try {
    cancelAnimationFrame(state.rafId);
    state.rafId = 0;
    state.load.follow(null);
    await state.player.stop();
    state.applied = null;
    state.levelDb = -Infinity;
    state.meters = null;
    for (let i = 0; i < 2; i++) {
      ui.outMeters[i].value = -60;
      ui.outTexts[i].textContent = "silent";
    }
    currentMixer().draw(null);
  } finally {
    state.busy = false;
    ui.start.disabled = false;
    updateStatus();
  }
}

// ---- building the page ----------------------------------------------------------

function send(name, value, where) {
  const problem = state.player.send(name, value, where);
  if (problem) setError(problem);
}

function buildBackendChoice() {
  ui.backendInputs = [];
  const options = BACKENDS.map((b) => {
    const input = el("input", { type: "radio", name: "backend", id: "backend-" + b, value: b });
    input.addEventListener("change", () => {
      if (input.checked) chooseBackend(b);
    });
    ui.backendInputs.push(input);
    return el("label", { className: "segment", htmlFor: "backend-" + b }, [input, el("span", { text: BACKEND_LABELS[b] })]);
  });
  ui.backendGroup = el("fieldset", { className: "backend", id: "backend" }, [
    el("legend", { text: "Engine" }),
    el("div", { className: "segments" }, options),
  ]);
  return ui.backendGroup;
}

function buildOutputMeters() {
  ui.outMeters = [];
  ui.outTexts = [];
  const rows = ["left", "right"].map((side, i) => {
    const meter = el("meter", { id: "level-" + side, min: -60, max: 0, low: -18, high: -6, optimum: -30, value: -60 });
    const text = el("span", { className: "level-text", text: "silent", attrs: { "aria-hidden": "true" } });
    ui.outMeters[i] = meter;
    ui.outTexts[i] = text;
    return el("div", { className: "out-meter" }, [
      el("label", { htmlFor: "level-" + side, text: side === "left" ? "L" : "R", attrs: { title: "Output " + side + " (RMS)" } }),
      meter,
      text,
    ]);
  });
  return el("div", { className: "out-meters", attrs: { role: "group", "aria-label": "Output level (RMS)" } }, rows);
}

function showMode() {
  const mode = currentMode();
  ui.signalRow.hidden = mode !== "signal";
  // Only the mode's own mixer is in the document (both use the same ids).
  ui.mixerSlot.replaceChildren(state.mixers[mode].root);
  ui.mixerTitle.textContent = mode === "session"
    ? "Reference session: " + state.sessionDoc.tracks.length + " tracks at " + state.sessionDoc.tempo_bpm + " BPM"
    : "Test signal through track 1";
}

function buildUi(app) {
  state.table = new ParamTable(state.lib.MANIFEST);
  ui.start = el("button", { type: "button", id: "start", text: "Start" });
  ui.start.addEventListener("click", () => (state.player.running ? stop() : start()));

  ui.mode = el("select", { id: "mode" });
  for (const m of MODES) {
    if (m.value === "session" && state.sessionDoc === null) continue;
    ui.mode.append(el("option", { value: m.value, text: m.label }));
  }
  ui.mode.addEventListener("change", async () => {
    const wasRunning = state.player.running;
    if (wasRunning) await stop();
    showMode();
    if (wasRunning) await start();
  });

  ui.signal = el("select", { id: "signal" });
  for (const s of SIGNALS) ui.signal.append(el("option", { value: s.value, text: s.label }));
  ui.signal.addEventListener("change", () => {
    if (state.player.running && currentMode() === "signal") state.player.connectSignal(ui.signal.value);
  });
  ui.signalRow = el("span", { className: "signal-choice" }, [el("label", { htmlFor: "signal", text: "Signal" }), ui.signal]);

  ui.engineLine = el("p", { className: "engine-line", id: "engine-line", attrs: { role: "status" } });
  const transport = el("div", { className: "transport" }, [
    ui.start,
    el("span", { className: "play-choice" }, [el("label", { htmlFor: "mode", text: "Play" }), ui.mode]),
    ui.signalRow,
    buildBackendChoice(),
    buildOutputMeters(),
  ]);

  if (state.sessionDoc !== null) {
    state.mixers.session = new Mixer(MixerModel.forSession(state.table, state.sessionDoc), send);
  }
  state.mixers.signal = new Mixer(MixerModel.forSignal(state.table), send);
  ui.mixerTitle = el("h2", { id: "mixer-title" });
  ui.mixerSlot = el("div", { className: "mixer-slot" });
  const mixerSection = el("section", { className: "mixer-section", attrs: { "aria-labelledby": "mixer-title" } }, [
    ui.mixerTitle,
    el("p", { className: "doc", text: "Select a track by its name for its EQ, compressor and sends. " +
      "A strip that says \u201cbypassed\u201d has gone silent and costs nothing until it sounds again." }),
    ui.mixerSlot,
  ]);

  state.load = new LoadReadout();

  ui.status = {};
  const statusList = el("dl", { className: "status" });
  for (const [key, label] of [
    ["backend", "Backend"],
    ["simd", "WebAssembly SIMD"],
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
    ui.engineLine,
    ui.error,
    mixerSection,
    el("div", { className: "below" }, [
      state.load.root,
      el("section", { className: "status-box", attrs: { "aria-label": "Engine status" } }, [statusList]),
    ])
  );
  showMode();
}

window.dawgDemo = {
  get engine() {
    return state.player ? state.player.engine : null;
  },
  get context() {
    return state.player ? state.player.context : null;
  },
  /** "session" or "signal" (null until the page is built). */
  get mode() {
    return currentMode();
  },
  /** The backend picked on the page ("auto", "wasm-simd", "wasm-scalar", "js"). */
  get backendChoice() {
    return state.wanted;
  },
  /** Whether a backend switch is under way. */
  get switching() {
    return state.switching;
  },
  /** Every backend switch: {from, to, ok, error, backend}. */
  get switches() {
    return state.player ? state.player.switches.map((s) => ({ ...s })) : [];
  },
  /** Last RMS level drawn by the louder output channel, in dBFS (-Infinity when silent or stopped). */
  get levelDb() {
    return state.levelDb;
  },
  /** Last RMS levels of the left and right output, in dBFS. */
  get levelsDb() {
    return state.player ? state.player.levelsDb.slice() : [-Infinity, -Infinity];
  },
  /** The engine's last meter snapshot drawn, or null. */
  get meters() {
    return state.meters;
  },
  /** Context time the session's pattern started at (its origin on every engine), or null. */
  get sessionStart() {
    return state.player ? state.player.sessionStart : null;
  },
  /** The load readout: {live, byBackend}. */
  get load() {
    return state.load ? state.load.snapshot() : null;
  },
  /** The changes made on the page in this mode, as createDawgEngine `params` entries. */
  get changes() {
    const mixer = currentMixer();
    return mixer ? mixer.model.initialParams() : [];
  },
  /** The track whose detail panel shows (index), or null. */
  get selectedTrack() {
    const mixer = currentMixer();
    return mixer && mixer.selected ? mixer.selected.index : null;
  },
  start,
  stop,
};

async function main() {
  const app = document.getElementById("app");
  try {
    state.lib = await import(ENGINE_URL);
  } catch (err) {
    app.append(el("p", {
      className: "error",
      attrs: { role: "alert" },
      text: "Could not load " + ENGINE_URL + " (" + errorText(err) + "). Run `dawgwasm build`, then `dawgwasm serve`.",
    }));
    return;
  }
  try {
    const response = await fetch(SESSION_URL);
    if (response.ok) state.sessionDoc = await response.json();
  } catch (_) {
    state.sessionDoc = null; // the test signal still works; the mode list says so
  }
  state.player = new Player(state.lib, { onError: setError, onState: updateStatus });
  buildUi(app);
  const { backend, problem } = backendFromUrl();
  state.wanted = backend;
  showChoice(backend);
  updateStatus();
  if (problem) setError(problem);
}

main();
