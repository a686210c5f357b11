// demo-mixer.js — the demo page's mixer: what it mixes (MixerModel: channels,
// their values, the changes made on the page) and how it looks (Mixer: a row
// of channel strips side by side, and a detail panel for the selected track
// with its EQ, compressor and sends).
//
// Every control is built from its row of the engine's parameter table
// (MANIFEST.params, grouped by MANIFEST.groups): range, default, unit, doc and
// short label come from there. A change goes to the running engine through
// engine.setParam(name, value, where) and is kept in the model, so a new engine
// (Start, or another backend while playing) starts with every change made.

import { shortLabel } from "./demo-params.js";
import { el, levelMeter, paramControl } from "./demo-widgets.js";

const CHANNEL_FIELDS = { track: ["gain_db", "pan", "mute", "solo"], bus: ["gain_db", "pan", "mute"] };
const SEND_NAME = /^send_(\d+)_/;

/** Parameter rows by name, and the names of each group, from the manifest. */
export class ParamTable {
  constructor(manifest) {
    this.byName = new Map(manifest.params.map((p) => [p.name, p]));
    this.groups = new Map((manifest.groups || []).map((g) => [g.name, g.params]));
  }

  /** The rows of group `name` (empty if the build has no such group). */
  group(name) {
    return (this.groups.get(name) || []).map((n) => this.byName.get(n)).filter((p) => p !== undefined);
  }
}

/** One channel: its key ("track-3", "bus-0", "master"), name, address and current values. */
function channel(kind, index, name, values) {
  const key = kind === "master" ? "master" : kind + "-" + index;
  const where = kind === "track" ? index : kind === "bus" ? { bus: index } : 0;
  return { kind, index, key, name, where, values };
}

function docValues(d, fields) {
  const m = new Map();
  for (const k of fields) if (d[k] !== undefined) m.set(k, typeof d[k] === "boolean" ? Number(d[k]) : d[k]);
  return m;
}

/** What the mixer holds: channels with their values, and the changes made on the page. */
export class MixerModel {
  /**
   * @param {ParamTable} table
   * @param {Array<object>} channels  from MixerModel.forSession or MixerModel.forSignal
   */
  constructor(table, channels) {
    this.table = table;
    this.channels = channels;
    this.tracks = channels.filter((c) => c.kind === "track");
    this.buses = channels.filter((c) => c.kind === "bus");
    this.changes = new Map(); // "key/name" → {channel, name, value}
  }

  /** The reference session's tracks, buses and master, with the document's settings. */
  static forSession(table, doc) {
    const channels = doc.tracks.map((t, i) => {
      const values = docValues(t, CHANNEL_FIELDS.track);
      for (const [name, value] of Object.entries(t.strip || {})) values.set(name, value);
      for (const s of t.sends || []) {
        values.set("send_" + (s.bus + 1) + "_db", s.level_db === undefined ? 0 : s.level_db);
        if (s.pre !== undefined) values.set("send_" + (s.bus + 1) + "_pre", Number(s.pre));
      }
      return channel("track", i, t.name || "Track " + (i + 1), values);
    });
    (doc.buses || []).forEach((b, i) => {
      channels.push(channel("bus", i, b.name || "Bus " + (i + 1), docValues(b, CHANNEL_FIELDS.bus)));
    });
    const master = doc.master || {};
    channels.push(channel("master", 0, "Master", new Map(master.gain_db === undefined ? [] : [["master_gain_db", master.gain_db]])));
    return new MixerModel(table, channels);
  }

  /** One track fed by the test signal, and the master. */
  static forSignal(table) {
    return new MixerModel(table, [channel("track", 0, "Test signal", new Map()), channel("master", 0, "Master", new Map())]);
  }

  /** The current value of `name` on channel `ch`: changed on the page, else the document's, else the default. */
  value(ch, name) {
    const v = ch.values.get(name);
    return v === undefined ? this.table.byName.get(name).default : v;
  }

  /** Record a change made on the page. */
  set(ch, name, value) {
    ch.values.set(name, value);
    this.changes.set(ch.key + "/" + name, { channel: ch, name, value });
  }

  /** Every change made on the page, as createDawgEngine's `params` option entries. */
  initialParams() {
    const out = [];
    for (const { channel: ch, name, value } of this.changes.values()) {
      if (ch.kind === "track") out.push({ name, value, track: ch.index });
      else if (ch.kind === "bus") out.push({ name, value, bus: ch.index });
      else out.push({ name, value });
    }
    return out;
  }

  /** Send every change made on the page to `engine` (values it already has ramp nowhere). */
  applyTo(engine) {
    for (const { channel: ch, name, value } of this.changes.values()) engine.setParam(name, value, ch.where);
  }
}

/**
 * The mixer on the page: strips side by side (tracks, buses, master), each
 * with a peak meter, fader, pan, mute and solo (what the channel has), and the
 * selected track's detail panel.
 */
export class Mixer {
  /**
   * @param {MixerModel} model
   * @param {(name: string, value: number, where: number|object) => void} send  to the running engine
   */
  constructor(model, send) {
    this.model = model;
    this.send = send;
    this.strips = [];
    this.selected = null;
    this.detail = el("section", { className: "detail", id: "detail", attrs: { "aria-labelledby": "detail-title" } });
    const row = el("div", { className: "console", attrs: { role: "group", "aria-label": "Channel strips" } });
    for (const ch of model.channels) row.append(this.#strip(ch));
    this.console = el("div", { className: "console-scroll" }, [row]);
    this.root = el("div", { className: "mixer" }, [this.console, this.detail]);
    if (model.tracks.length > 0) this.select(model.tracks[0]);
  }

  #change(ch, name, value) {
    this.model.set(ch, name, value);
    this.send(name, value, ch.where);
  }

  #control(ch, name, label, accessible, extra = {}) {
    const spec = this.model.table.byName.get(name);
    if (spec === undefined) return null;
    return paramControl(spec, {
      id: ch.key + "-" + name,
      label,
      name: ch.name + " " + accessible,
      value: this.model.value(ch, name),
      onChange: (v) => this.#change(ch, name, v),
      ...extra,
    });
  }

  #strip(ch) {
    const nameEl = ch.kind === "track"
      ? el("button", {
        type: "button",
        className: "strip-name",
        id: "select-" + ch.key,
        text: ch.name,
        title: "Show " + ch.name + "'s EQ, compressor and sends",
        attrs: { "aria-pressed": "false", "aria-controls": "detail" },
      })
      : el("span", { className: "strip-name", text: ch.name });
    if (ch.kind === "track") nameEl.addEventListener("click", () => this.select(ch));
    const kindText = ch.kind === "bus" ? "bus" : ch.kind === "master" ? "output" : "track " + (ch.index + 1);
    const meter = levelMeter("meter-" + ch.key, ch.name + " level (peak)");
    const stateText = el("span", { className: "meter-state", id: "state-" + ch.key, text: "\u2014", attrs: { "aria-hidden": "true" } });
    const fader = this.#control(ch, ch.kind === "master" ? "master_gain_db" : "gain_db", "Fader", "fader", {
      vertical: true,
      compact: true,
    });
    const pan = ch.kind === "master" ? null : this.#control(ch, "pan", "Pan", "pan", { compact: true });
    const switches = el("div", { className: "strip-switches" });
    if (ch.kind !== "master") {
      const mute = this.#control(ch, "mute", "M", "mute", { compact: true });
      if (mute) switches.append(mute.root);
    }
    if (ch.kind === "track") {
      const solo = this.#control(ch, "solo", "S", "solo", { compact: true });
      if (solo) switches.append(solo.root);
    }
    const root = el("div", { className: "strip " + ch.kind, id: "strip-" + ch.key }, [
      nameEl,
      el("span", { className: "strip-kind", text: kindText }),
      stateText,
      el("div", { className: "strip-levels" }, [meter.root, fader ? fader.root : null]),
      pan ? pan.root : null,
      switches,
    ]);
    const strip = { channel: ch, root, meter, stateText, nameEl };
    this.strips.push(strip);
    return root;
  }

  /** Show track `ch`'s detail panel (EQ, compressor, sends). */
  select(ch) {
    this.selected = ch;
    for (const s of this.strips) {
      const on = s.channel === ch;
      s.root.classList.toggle("selected", on);
      if (s.channel.kind === "track") s.nameEl.setAttribute("aria-pressed", String(on));
    }
    this.#buildDetail(ch);
  }

  #buildDetail(ch) {
    const table = this.model.table;
    const strip = table.group("strip");
    const eq = strip.filter((p) => !p.name.startsWith("comp_"));
    const comp = strip.filter((p) => p.name.startsWith("comp_"));
    const sections = [];

    // EQ: one column per band, the band being the first word of the name (low, mid, high).
    const bands = new Map();
    for (const p of eq) {
      const band = p.name.split("_")[0];
      if (!bands.has(band)) bands.set(band, []);
      bands.get(band).push(p);
    }
    const bandCols = [];
    for (const [band, rows] of bands) {
      const title = band.charAt(0).toUpperCase() + band.slice(1);
      bandCols.push(el("div", { className: "band" }, [
        el("h4", { text: title }),
        ...rows.map((p) => this.#control(ch, p.name, shortLabel(p, band), "EQ " + band + " " + shortLabel(p, band).toLowerCase()).root),
      ]));
    }
    sections.push(this.#section(ch, "eq", "EQ", eq, el("div", { className: "bands" }, bandCols)));

    sections.push(this.#section(ch, "comp", "Compressor", comp, el("div", { className: "grid" },
      comp.map((p) => this.#control(ch, p.name, shortLabel(p, "comp"), "compressor " + shortLabel(p, "comp").toLowerCase()).root))));

    // Sends: one row per bus of the mix, named after it.
    const sendRows = [];
    const sendParams = [];
    for (const bus of this.model.buses) {
      const n = bus.index + 1;
      const rows = table.group("sends").filter((p) => {
        const m = SEND_NAME.exec(p.name);
        return m !== null && Number(m[1]) === n;
      });
      sendParams.push(...rows);
      sendRows.push(el("div", { className: "send" }, [
        el("h4", { text: "\u2192 " + bus.name }),
        ...rows.map((p) => this.#control(ch, p.name, shortLabel(p, "send_" + n), "send to " + bus.name + " " + shortLabel(p, "send_" + n).toLowerCase()).root),
      ]));
    }
    const sendBody = sendRows.length > 0
      ? el("div", { className: "sends" }, sendRows)
      : el("p", { className: "doc", text: "No buses in this mix: play the reference session to use sends." });
    sections.push(this.#section(ch, "sends", "Sends", sendParams, sendBody));

    this.detail.replaceChildren(
      el("h2", { id: "detail-title", text: ch.name }),
      el("p", { className: "doc", text: "Track " + (ch.index + 1) + "'s channel strip. Double-click a slider for its default." }),
      el("div", { className: "sections" }, sections)
    );
  }

  #section(ch, id, title, params, body) {
    if (params.length === 0) return el("fieldset", { className: "section " + id }, [el("legend", { text: title }), body]);
    const reset = el("button", {
      type: "button",
      className: "reset",
      id: "reset-" + id,
      text: "Defaults",
      title: "Set " + title + " to the engine's defaults",
      attrs: { "aria-label": "Set " + ch.name + "'s " + title + " to defaults" },
    });
    reset.addEventListener("click", () => {
      for (const p of params) this.#change(ch, p.name, p.default);
      this.#buildDetail(ch);
      document.getElementById("reset-" + id).focus();
    });
    return el("fieldset", { className: "section " + id }, [el("legend", {}, [el("span", { text: title }), reset]), body]);
  }

  /** Show an engine meter snapshot (engine.meters()), or nothing (null: stopped). */
  draw(snap) {
    for (const s of this.strips) {
      const ch = s.channel;
      const m = snap === null ? undefined : ch.kind === "track" ? snap.tracks[ch.index] : ch.kind === "bus" ? snap.buses[ch.index] : snap.master;
      if (m === undefined) {
        s.meter.set(-Infinity);
        s.stateText.textContent = "\u2014";
        s.root.classList.remove("bypassed");
        continue;
      }
      const peak = Math.max(m.peak[0], m.peak[1]);
      const db = peak > 0 ? 20 * Math.log10(peak) : -Infinity;
      s.meter.set(db);
      s.stateText.textContent = m.state === "bypassed" ? "bypassed" : m.state === "absent" ? "\u2014" : db > -120 ? db.toFixed(0).replace("-", "\u2212") + " dB" : "silent";
      s.root.classList.toggle("bypassed", m.state === "bypassed");
    }
  }
}
