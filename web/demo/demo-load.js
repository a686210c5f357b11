// demo-load.js — the demo page's load readout: the share of real time the
// running engine's processor spends on its work, live, and the figure each
// backend reached while it ran, so backends can be compared by switching.
//
// The figure is the engine's own (engine.load()): inside the AudioWorklet
// `performance` is undefined, so the processor sums Date.now() differences
// around its work in every render quantum (whole milliseconds) and counts the
// quanta; load = busy ms ÷ audio ms rendered. One difference is off by up to
// 1 ms but unbiased, so the figure is read over many quanta (WINDOW_S of
// audio), and the page states how far off it can be over that window.

import { el } from "./demo-widgets.js";

/** Seconds of wall time the live figure spans (its counters are read every TICK_MS). */
export const WINDOW_S = 2;
const TICK_MS = 250;

export const BACKEND_LABELS = {
  auto: "Auto",
  "wasm-simd": "WASM SIMD",
  "wasm-scalar": "WASM scalar",
  js: "JavaScript",
};
const MEASURED = ["wasm-simd", "wasm-scalar", "js"];

function percent(x) {
  return (x * 100).toFixed(x < 0.1 ? 2 : 1) + " %";
}

/**
 * How far off a load reading can be, as a share of real time: each quantum's
 * Date.now() difference is its work rounded up or down to whole milliseconds,
 * with a spread of f(1-f) ms² where f is the fractional part of the mean work
 * per quantum (0 when the work is whole milliseconds). Two standard errors of
 * the sum over the reading's quanta, divided by the audio time rendered.
 */
export function loadUncertainty(reading) {
  if (reading.quanta <= 0 || reading.renderedMs <= 0) return Infinity;
  const perQuantum = reading.busyMs / reading.quanta;
  const f = perQuantum - Math.floor(perQuantum);
  const spread = Math.max(f * (1 - f), 1 / reading.quanta); // never claim exactness
  return (2 * Math.sqrt(reading.quanta * spread)) / reading.renderedMs;
}

/** The readout: a live bar and figure for the running backend, and one row per backend. */
export class LoadReadout {
  constructor() {
    this.engine = null;
    this.history = []; // [{at: ms, reading}] of the running engine, newest last
    this.live = null; // {backend, load, uncertainty, seconds, quanta}
    this.byBackend = new Map(); // backend → {load, uncertainty, seconds, live}
    this.timer = 0;

    this.bar = el("meter", {
      id: "load-meter",
      min: 0,
      max: 1,
      low: 0.5,
      high: 0.8,
      optimum: 0,
      value: 0,
      attrs: { "aria-label": "DSP load of the running backend" },
    });
    this.figure = el("span", { className: "load-figure", id: "load-figure", text: "\u2014" });
    this.detailText = el("span", { className: "load-detail", id: "load-detail", text: "not running" });
    this.rows = new Map();
    const body = el("tbody");
    for (const b of MEASURED) {
      const now = el("td", { className: "num", id: "load-" + b, text: "\u2014" });
      const over = el("td", { className: "num", id: "load-" + b + "-avg", text: "\u2014" });
      const row = el("tr", { id: "load-row-" + b }, [el("th", { scope: "row", text: BACKEND_LABELS[b] }), now, over]);
      this.rows.set(b, { row, now, over });
      body.append(row);
    }
    const table = el("table", { className: "load-table" }, [
      el("caption", { className: "visually-hidden", text: "DSP load by backend" }),
      el("thead", {}, [el("tr", {}, [
        el("th", { scope: "col", text: "Backend" }),
        el("th", { scope: "col", text: "Last " + WINDOW_S + " s" }),
        el("th", { scope: "col", text: "Whole run" }),
      ])]),
      body,
    ]);
    this.root = el("section", { className: "load", attrs: { "aria-labelledby": "load-title" } }, [
      el("h2", { id: "load-title", text: "DSP load" }),
      el("div", { className: "load-live" }, [this.bar, this.figure, this.detailText]),
      table,
      el("p", { className: "doc", id: "load-method" }, [
        "Load is the share of real time the AudioWorklet processor spends on its work for each 128-frame " +
          "render quantum (events, inputs, the engine's render, output, meters): 100 % means it cannot keep up. " +
          "It is measured inside the AudioWorklet, where performance.now() does not exist: the processor adds up " +
          "Date.now() differences around its work, which tick in whole milliseconds (1 ms resolution), and " +
          "divides by the audio time rendered. One quantum lasts about 2.7 ms at 48 kHz, so a single reading " +
          "means nothing; the figures here span " + WINDOW_S + " s (about 750 quanta) or the whole run, and " +
          "\u00b1 gives how far rounding to whole milliseconds can move them (two standard errors). " +
          "The machine's other work counts too: compare backends on the same machine, by switching.",
      ]),
    ]);
  }

  /** Follow `engine` (null: stopped). */
  follow(engine) {
    this.engine = engine;
    this.history = [];
    this.live = null;
    clearInterval(this.timer);
    this.timer = 0;
    if (engine === null) {
      this.bar.value = 0;
      this.figure.textContent = "\u2014";
      this.detailText.textContent = "not running";
      for (const { row } of this.rows.values()) row.classList.remove("current");
      return;
    }
    for (const [b, { row }] of this.rows) row.classList.toggle("current", b === engine.backend);
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** Read the running engine's counters and update the figures. */
  tick() {
    const engine = this.engine;
    if (engine === null) return;
    const now = performance.now();
    const reading = engine.load();
    this.history.push({ at: now, reading });
    while (this.history.length > 1 && now - this.history[0].at > WINDOW_S * 1000) this.history.shift();
    const first = this.history[0].reading;
    const recent = engine.load(first);
    const backend = engine.backend;
    if (recent.quanta > 0) {
      this.live = {
        backend,
        load: recent.load,
        uncertainty: loadUncertainty(recent),
        seconds: recent.renderedMs / 1000,
        quanta: recent.quanta,
      };
      this.bar.value = Math.min(1, recent.load);
      this.figure.textContent = percent(recent.load);
      this.detailText.textContent = "\u00b1 " + percent(this.live.uncertainty) + " over " +
        recent.quanta + " quanta (" + this.live.seconds.toFixed(1) + " s of audio), " + BACKEND_LABELS[backend];
    }
    const whole = {
      load: reading.load,
      uncertainty: loadUncertainty(reading),
      seconds: reading.renderedMs / 1000,
      live: this.live === null ? null : this.live.load,
      liveUncertainty: this.live === null ? null : this.live.uncertainty,
    };
    if (reading.quanta > 0) this.byBackend.set(backend, whole);
    this.#drawRow(backend);
  }

  #drawRow(backend) {
    const r = this.rows.get(backend);
    const v = this.byBackend.get(backend);
    if (r === undefined || v === undefined) return;
    r.now.textContent = v.live === null ? "\u2014" : percent(v.live) + " \u00b1 " + percent(v.liveUncertainty);
    r.over.textContent = percent(v.load) + " \u00b1 " + percent(v.uncertainty) + " (" + v.seconds.toFixed(0) + " s)";
  }

  /** What the page shows, for tests: the live figure and the figure per backend. */
  snapshot() {
    return {
      live: this.live === null ? null : { ...this.live },
      byBackend: Object.fromEntries([...this.byBackend].map(([b, v]) => [b, { ...v }])),
    };
  }
}
