// dawg-structure.js — what the main thread knows exists in the engine's mixer
// (hand-written; not generated): track sources, buses and insert units, as the
// configure ops and parameter sets it sent created them. Events never create
// anything, so an event is checked here before it is sent.

import { decodeTarget } from "./dawg-rules.js";

/** What the main thread knows exists in the engine (from the configure ops it sent). */
export class Structure {
  constructor(manifest, tracks) {
    this.units = Array.isArray(manifest.units) ? manifest.units : [];
    this.sourceNames = Array.isArray(manifest.sources) ? manifest.sources : ["input"];
    this.sources = new Array(tracks).fill("input");
    this.layout = manifest.rules.targets;
    this.buses = new Set();
    this.inserts = new Map(); // channel target → unit name per slot (index slot - 1)
  }

  adopt(ops, byId) {
    for (const op of ops) {
      if (op.op === "source") this.sources[op.track] = this.sourceNames[op.kind];
      else if (op.op === "insert") {
        this.#touch(op.channel);
        let slots = this.inserts.get(op.channel);
        if (slots === undefined) this.inserts.set(op.channel, (slots = []));
        slots[op.slot - 1] = op.kind === 0 ? undefined : this.units[op.kind - 1];
      } else if (op.op === "param") {
        const spec = byId.get(op.id);
        if (spec && spec.scope !== "master") this.#touch(op.target);
      }
    }
  }

  /** Note that the channel of `target` exists (buses are created on first use). */
  #touch(target) {
    const { kind, index } = decodeTarget(this.layout, target);
    if (kind === this.layout.kinds.bus) this.buses.add(index);
  }

  touch(target) {
    this.#touch(target);
  }

  /** Whether an event to `target` for `spec` would be accepted (events never create anything). */
  accepts(target, spec) {
    const { channel, kind, index, slot } = decodeTarget(this.layout, target);
    if (kind === this.layout.kinds.bus && !this.buses.has(index)) return false;
    if (spec.scope === "insert") {
      const slots = this.inserts.get(channel);
      return slots !== undefined && slots[slot - 1] === spec.owner;
    }
    if (spec.scope === "synth" || spec.scope === "sampler") return this.sources[index] === spec.scope;
    return true;
  }

  /** Why an event to `target` for `spec` would be refused: its channel, insert or source is missing. */
  missing(spec, target) {
    const layout = this.layout;
    const { kind, index, slot } = decodeTarget(layout, target);
    const where = kind === layout.kinds.bus ? "bus " + index : kind === layout.kinds.master ? "the master" : "track " + index;
    if (spec.scope === "insert") {
      return spec.name + ": insert " + slot + " of " + where + " does not hold a " + spec.owner + " unit";
    }
    if (spec.scope === "synth" || spec.scope === "sampler") {
      return spec.name + ": " + where + " has no " + spec.scope + " source";
    }
    return spec.name + ": " + where + " does not exist yet; set one of its parameters with setParam first";
  }
}
