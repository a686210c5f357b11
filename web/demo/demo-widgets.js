// demo-widgets.js — DOM building blocks of the demo page: el() (createElement
// and textContent only, never HTML strings), one control per parameter row
// (slider, switch or choice, chosen from the row), and a vertical level meter.
// A control shows the parameter's unit, says its range and doc to assistive
// technology, and is driven by the keyboard like any native input.

import { formatValue, isSwitch, namedChoices, positionOf, rangeText, scaleOf, valueAt } from "./demo-params.js";

export const METER_FLOOR_DB = -60;

/** An element with properties, attributes ({attrs}), text ({text}) and children. */
export function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key === "attrs") for (const [a, v] of Object.entries(value)) node.setAttribute(a, v);
    else node[key] = value;
  }
  for (const child of children) if (child !== null) node.append(child);
  return node;
}

/**
 * A control for parameter row `spec`: a list of choices when its doc names
 * every value (a compact 0/1 switch stays a switch), a switch for other 0/1
 * parameters, otherwise a slider.
 *
 * @param {object} spec  the row of MANIFEST.params
 * @param {{id: string, label: string, name: string, value: number, onChange: (value: number) => void,
 *          vertical?: boolean, compact?: boolean}} options
 *        label: what the page shows; name: the accessible name (e.g. "Pad fader");
 *        vertical: a fader; compact: no visible label
 * @returns {{root: HTMLElement, input: HTMLElement, spec: object, set: (value: number) => void, value: () => number}}
 */
export function paramControl(spec, options) {
  const choices = namedChoices(spec);
  if (choices !== null && !options.compact) return choiceControl(spec, choices, options);
  if (isSwitch(spec)) return switchControl(spec, options);
  if (choices !== null) return choiceControl(spec, choices, options);
  return sliderControl(spec, options);
}

function docNode(spec, id) {
  return el("span", { className: "visually-hidden", id: id + "-doc", text: spec.doc + " " + rangeText(spec) });
}

function sliderControl(spec, { id, label, name, value, onChange, vertical = false, compact = false }) {
  const scale = scaleOf(spec);
  let current = value;
  const input = el("input", {
    type: "range",
    id,
    min: String(scale.min),
    max: String(scale.max),
    step: String(scale.step),
    attrs: {
      "aria-label": name,
      "aria-describedby": id + "-doc",
      "data-param": spec.name,
      "data-scale": scale.kind,
    },
  });
  if (vertical) input.classList.add("vertical");
  const output = el("output", { htmlFor: id, className: "value", attrs: { "aria-hidden": "true" } });
  const show = () => {
    input.value = String(positionOf(spec, scale, current));
    const text = formatValue(spec, current, scale);
    output.textContent = text;
    input.setAttribute("aria-valuetext", text);
  };
  show();
  input.addEventListener("input", () => {
    current = valueAt(spec, scale, Number(input.value));
    const text = formatValue(spec, current, scale);
    output.textContent = text;
    input.setAttribute("aria-valuetext", text);
    onChange(current);
  });
  // Double-click puts the parameter back to its default, as on a mixing desk.
  input.addEventListener("dblclick", () => {
    current = spec.default;
    show();
    onChange(current);
  });
  const root = el("div", { className: "control" + (vertical ? " fader" : ""), title: spec.doc }, [
    compact ? null : el("label", { htmlFor: id, text: label }),
    input,
    output,
    docNode(spec, id),
  ]);
  return {
    root,
    input,
    spec,
    set(v) {
      current = v;
      show();
    },
    value: () => current,
  };
}

function switchControl(spec, { id, label, name, value, onChange, compact = false }) {
  const input = el("input", {
    type: "checkbox",
    id,
    checked: value === 1,
    attrs: { "aria-describedby": id + "-doc", "data-param": spec.name },
  });
  if (compact) input.setAttribute("aria-label", name);
  input.addEventListener("change", () => onChange(input.checked ? 1 : 0));
  const root = el("label", { className: "switch", htmlFor: id, title: spec.doc }, [
    input,
    el("span", { text: label, attrs: compact ? { "aria-hidden": "true" } : {} }),
    docNode(spec, id),
  ]);
  return {
    root,
    input,
    spec,
    set(v) {
      input.checked = v === 1;
    },
    value: () => (input.checked ? 1 : 0),
  };
}

function choiceControl(spec, choices, { id, label, name, value, onChange }) {
  const select = el("select", {
    id,
    attrs: { "aria-label": name, "aria-describedby": id + "-doc", "data-param": spec.name },
  });
  for (const c of choices) select.append(el("option", { value: String(c.value), text: c.label }));
  select.value = String(value);
  select.addEventListener("change", () => onChange(Number(select.value)));
  const root = el("div", { className: "control choice", title: spec.doc }, [
    el("label", { htmlFor: id, text: label }),
    select,
    docNode(spec, id),
  ]);
  return {
    root,
    input: select,
    spec,
    set(v) {
      select.value = String(v);
    },
    value: () => Number(select.value),
  };
}

/** A vertical peak meter (dBFS, METER_FLOOR_DB to 0) with an accessible name. */
export function levelMeter(id, name) {
  const fill = el("div", { className: "vu-fill" });
  const root = el("div", {
    className: "vu",
    id,
    attrs: {
      role: "meter",
      "aria-label": name,
      "aria-valuemin": String(METER_FLOOR_DB),
      "aria-valuemax": "0",
      "aria-valuenow": String(METER_FLOOR_DB),
    },
  }, [fill]);
  let shown = NaN;
  return {
    root,
    /** Show a level in dBFS (-Infinity: silent). */
    set(db) {
      const v = Math.max(METER_FLOOR_DB, Math.min(0, db));
      const rounded = Math.round(v);
      if (rounded !== shown) {
        shown = rounded;
        root.setAttribute("aria-valuenow", String(rounded));
      }
      fill.style.transform = "scaleY(" + ((v - METER_FLOOR_DB) / -METER_FLOOR_DB).toFixed(3) + ")";
    },
  };
}
