// The mixer in JavaScript (dsp_rust/src/engine/mod.rs): tracks → buses →
// master, rendered one quantum at a time, with the wasm engine's
// behaviour, limits and status codes.
//
// Signal flow of a track: source (external input, synth or sampler) →
// channel strip (EQ, compressor) → up to INSERTS_MAX insert units →
// mute/solo → pre-fader sends → fader and pan → post-fader sends → master.
// Buses sum their sends, run their own inserts and fader, and feed the
// master, which has inserts and a fader too.
//
// Tracks are created on first use (a parameter, a source, an insert or an
// input buffer asked for). Creation, sources, inserts and samples allocate;
// rendering, parameter changes and events never do. The buffers a host
// reads and writes (inputs, output, meters, event staging, sample data)
// live in a LinearMemory (dawg-js-memory.js), addressed by byte offsets.
//
// By concern: this file holds the engine, its creation and its structure
// calls; dawg-js-channel.js the channels; dawg-js-routing.js the one
// set/get path of every parameter; dawg-js-schedule.js events and ramps;
// dawg-js-render.js the process call; dawg-js-meters.js the meters and
// auto-bypass bookkeeping.

import {
  BUSES_MAX,
  BYPASS_HOLD_MS,
  INSERTS_MAX,
  METER_STRIDE,
  validateConfig,
} from "./dawg-js-config.js";
import { Channel, Track, Bus, Master } from "./dawg-js-channel.js";
import { Strip, STRIP_PARAM_NAMES } from "./dawg-js-strip.js";
import { UNITS } from "./dawg-js-units.js";
import { SOURCE_KINDS, makeSource } from "./dawg-js-sources.js";
import { SampleBank } from "./dawg-js-bank.js";
import { stepsForMs } from "./dawg-js-smooth.js";
import { EventQueue, EVENTS_STAGING_MAX, EVENT_WORDS, EVENT_ERR_FULL } from "./dawg-js-events.js";
import { Ramps, eventIsValid } from "./dawg-js-schedule.js";
import { renderQuanta } from "./dawg-js-render.js";
import { setParam, getParam } from "./dawg-js-routing.js";
import { TARGET_TRACK, TARGET_BUS, TARGET_MASTER, targetKind, targetIndex, targetSlot } from "./dawg-js-targets.js";
import {
  CONFIG_STATUS,
  DAWG_OK,
  DAWG_ERR_BAD_TARGET,
  DAWG_ERR_NO_MEMORY,
  DAWG_ERR_UNKNOWN_KIND,
  DAWG_ERR_TOO_MANY_QUANTA,
  DAWG_ERR_EVENTS_FULL,
  DAWG_ERR_BAD_EVENT,
  DAWG_ERR_BAD_SAMPLE,
} from "./dawg-js-status.js";

/** Status of an engine configuration (DAWG_OK or the refusal dawg_engine_new returns). */
export function configStatus(sampleRateHz, tracks, quantumFrames, maxQuanta) {
  const refused = validateConfig(sampleRateHz, tracks, quantumFrames, maxQuanta);
  return refused === null ? DAWG_OK : CONFIG_STATUS[refused];
}

/** The mixer engine. Create with JsEngine.create. */
export class JsEngine {
  /**
   * An engine with no tracks or buses yet, its fixed buffers (output,
   * meters, event staging) allocated in `memory`; or a negative status.
   * `params` is the ParamTable of the build's manifest.
   */
  static create(params, memory, sampleRateHz, tracks, quantumFrames, maxQuanta) {
    const status = configStatus(sampleRateHz, tracks, quantumFrames, maxQuanta);
    if (status !== DAWG_OK) {
      return status;
    }
    const e = new JsEngine(params, memory, Math.fround(sampleRateHz), tracks, quantumFrames, maxQuanta);
    return e.allocateFixed() ? e : DAWG_ERR_NO_MEMORY;
  }

  constructor(params, memory, sampleRateHz, tracks, quantumFrames, maxQuanta) {
    this.params = params;
    this.memory = memory;
    this.sampleRateHz = sampleRateHz;
    this.quantum = quantumFrames;
    this.maxQuanta = maxQuanta;
    this.capacity = quantumFrames * maxQuanta;
    this.tracks = new Array(tracks).fill(null);
    this.buses = new Array(BUSES_MAX).fill(null);
    this.ids = {
      gainDb: params.idOf("gain_db"),
      pan: params.idOf("pan"),
      masterGainDb: params.idOf("master_gain_db"),
      tempoBpm: params.idOf("tempo_bpm"),
      autoBypass: params.idOf("auto_bypass"),
      send1Db: params.idOf("send_1_db"),
    };
    this.stripDefaults = STRIP_PARAM_NAMES.map((name) => params.defaults[params.idOf(name)]);
    this.master = new Master(quantumFrames, params.defaults[this.ids.masterGainDb]);
    this.events = new EventQueue();
    this.ramps = new Ramps();
    this.soloCount = 0;
    this.tempoBpm = params.defaults[this.ids.tempoBpm];
    this.autoBypass = params.defaults[this.ids.autoBypass] >= 0.5;
    this.frame = 0;
    this.holdBase = stepsForMs(BYPASS_HOLD_MS, sampleRateHz);
    this.bank = new SampleBank();
    this.sampleOffsets = [];
    this.blocks = [];
    this.output = null;
    this.meters = null;
  }

  /** Allocate the output, meters and event staging in memory; false if it cannot hold them. */
  allocateFixed() {
    const m = this.memory;
    this.metersLen = (this.tracks.length + BUSES_MAX + 1) * METER_STRIDE;
    this.outputOffset = this.allocate(8 * this.capacity);
    this.metersOffset = this.allocate(4 * this.metersLen);
    this.stagingOffset = this.allocate(4 * EVENT_WORDS * EVENTS_STAGING_MAX);
    if (this.outputOffset === 0 || this.metersOffset === 0 || this.stagingOffset === 0) {
      this.release();
      return false;
    }
    m.listen(this);
    this.remap();
    return true;
  }

  allocate(bytes) {
    const at = this.memory.alloc(bytes);
    if (at !== 0) {
      this.blocks.push(at);
    }
    return at;
  }

  /** Views over memory, made again after it grows. */
  remap() {
    const m = this.memory;
    this.output = m.f32At(this.outputOffset, 2 * this.capacity);
    this.meters = m.f32At(this.metersOffset, this.metersLen);
    for (const t of this.tracks) {
      if (t !== null && t.inputOffset !== 0) {
        t.input = m.f32At(t.inputOffset, 2 * this.capacity);
      }
    }
  }

  /** Release every block this engine holds in memory. */
  release() {
    this.memory.unlisten(this);
    for (const at of this.blocks) {
      this.memory.free(at);
    }
    this.blocks = [];
  }

  /** A ramp of `ms` milliseconds, in frames. */
  steps(ms) {
    return stepsForMs(ms, this.sampleRateHz);
  }

  trackExists(t) {
    return t < this.tracks.length && this.tracks[t] !== null;
  }

  /** Create track `t` if it does not exist yet (allocates): DAWG_OK or a status. */
  ensureTrack(t) {
    if (t >= this.tracks.length) {
      return DAWG_ERR_BAD_TARGET;
    }
    if (this.tracks[t] === null) {
      const p = this.params;
      const ch = new Channel(this.quantum, p.defaults[this.ids.gainDb], p.defaults[this.ids.pan]);
      ch.setSilenced(this.soloCount > 0, 0);
      this.tracks[t] = new Track(ch, new Strip(this.sampleRateHz, this.stripDefaults), p.min[this.ids.send1Db]);
    }
    return DAWG_OK;
  }

  /** Create bus `b` if it does not exist yet (allocates): DAWG_OK or a status. */
  ensureBus(b) {
    if (b >= BUSES_MAX) {
      return DAWG_ERR_BAD_TARGET;
    }
    if (this.buses[b] === null) {
      const p = this.params;
      this.buses[b] = new Bus(new Channel(this.quantum, p.defaults[this.ids.gainDb], p.defaults[this.ids.pan]));
    }
    return DAWG_OK;
  }

  /** Byte offset of `track`'s planar stereo input, created on first use (0 on failure). */
  inputOffset(track) {
    if (this.ensureTrack(track) !== DAWG_OK) {
      return 0;
    }
    const t = this.tracks[track];
    if (t.inputOffset === 0) {
      const at = this.allocate(8 * this.capacity);
      if (at === 0) {
        return 0;
      }
      t.inputOffset = at;
      t.input = this.memory.f32At(at, 2 * this.capacity);
    }
    return t.inputOffset;
  }

  /**
   * Declare `track`'s input silent (not read) or fed: a status. Never
   * allocates; DAWG_ERR_BAD_TARGET for a track not created yet.
   */
  setInputSilent(track, silent) {
    const t = track < this.tracks.length ? this.tracks[track] : null;
    if (t === null) {
      return DAWG_ERR_BAD_TARGET;
    }
    t.inputSilent = silent;
    return DAWG_OK;
  }

  /** Set `track`'s source to `kind` (creates the track; allocates): a status. */
  setSource(track, kind) {
    if (kind >= SOURCE_KINDS.length) {
      return DAWG_ERR_UNKNOWN_KIND;
    }
    const status = this.ensureTrack(track);
    if (status !== DAWG_OK) {
      return status;
    }
    let source = null;
    try {
      source = makeSource(kind, this.sampleRateHz, this.quantum);
    } catch {
      return DAWG_ERR_NO_MEMORY;
    }
    const t = this.tracks[track];
    t.source = source;
    t.sourceKind = kind;
    t.ch.wake();
    return DAWG_OK;
  }

  /** The insert chain of channel (`kind`, `index`), creating a missing track or bus; null if none. */
  insertsFor(kind, index) {
    if (kind === TARGET_TRACK) {
      return this.ensureTrack(index) === DAWG_OK ? this.tracks[index].ch.inserts : null;
    }
    if (kind === TARGET_BUS) {
      return this.ensureBus(index) === DAWG_OK ? this.buses[index].ch.inserts : null;
    }
    if (kind === TARGET_MASTER && index === 0) {
      return this.master.inserts;
    }
    return null;
  }

  /** Put unit `unitKind` (0: empty) in insert `slot` (1..=8) of `channel` (a target with slot 0): a status. */
  setInsert(channel, slot, unitKind) {
    const kind = targetKind(channel);
    const index = targetIndex(channel);
    if (targetSlot(channel) !== 0 || slot === 0 || slot > INSERTS_MAX) {
      return DAWG_ERR_BAD_TARGET;
    }
    let unit = null;
    if (unitKind !== 0) {
      const info = UNITS[unitKind - 1];
      if (info === undefined) {
        return DAWG_ERR_UNKNOWN_KIND;
      }
      try {
        unit = info.make(this.sampleRateHz, this.quantum);
      } catch {
        return DAWG_ERR_NO_MEMORY;
      }
      unit.setTempoBpm(this.tempoBpm);
    }
    const ins = this.insertsFor(kind, index);
    if (ins === null) {
      return DAWG_ERR_BAD_TARGET;
    }
    ins.units[slot - 1] = unit;
    ins.kinds[slot - 1] = unitKind;
    this.wake(kind, index);
    return DAWG_OK;
  }

  /** The unit kind in insert `slot` of `channel` (0 if empty or absent). */
  insertKind(channel, slot) {
    const kind = targetKind(channel);
    const index = targetIndex(channel);
    let ins = null;
    if (kind === TARGET_TRACK) {
      ins = this.trackExists(index) ? this.tracks[index].ch.inserts : null;
    } else if (kind === TARGET_BUS) {
      ins = index < BUSES_MAX && this.buses[index] !== null ? this.buses[index].ch.inserts : null;
    } else if (kind === TARGET_MASTER && index === 0) {
      ins = this.master.inserts;
    }
    if (ins === null || slot < 1 || slot > INSERTS_MAX) {
      return 0;
    }
    return ins.kinds[slot - 1];
  }

  /** Take track or bus (`kind`, `index`) out of auto-bypass, if it exists. */
  wake(kind, index) {
    if (kind === TARGET_TRACK) {
      if (index < this.tracks.length && this.tracks[index] !== null) {
        this.tracks[index].ch.wake();
      }
    } else if (kind === TARGET_BUS) {
      if (index < BUSES_MAX && this.buses[index] !== null) {
        this.buses[index].ch.wake();
      }
    }
  }

  /** Wake every track and bus. */
  wakeAll() {
    for (const t of this.tracks) {
      if (t !== null) {
        t.ch.wake();
      }
    }
    for (const b of this.buses) {
      if (b !== null) {
        b.ch.wake();
      }
    }
  }

  /** The session tempo, which every insert follows. */
  setTempoBpm(bpm) {
    this.tempoBpm = bpm;
    for (const t of this.tracks) {
      if (t !== null) {
        t.ch.inserts.setTempoBpm(bpm);
      }
    }
    for (const b of this.buses) {
      if (b !== null) {
        b.ch.inserts.setTempoBpm(bpm);
      }
    }
    this.master.inserts.setTempoBpm(bpm);
  }

  setParam(target, id, value) {
    return setParam(this, target, id, value);
  }

  getParam(target, id) {
    return getParam(this, target, id);
  }

  /** Render `quanta` quanta: DAWG_OK or DAWG_ERR_TOO_MANY_QUANTA (nothing rendered). */
  process(quanta) {
    if (quanta > this.maxQuanta) {
      return DAWG_ERR_TOO_MANY_QUANTA;
    }
    renderQuanta(this, quanta);
    return DAWG_OK;
  }

  /** Queue the first `count` records of the staging area, all or none: a status. */
  pushEvents(count) {
    const m = this.memory;
    const status = this.events.commit(count, m.u32, m.f32, this.stagingOffset / 4, this);
    if (status === 0) {
      return DAWG_OK;
    }
    return status === EVENT_ERR_FULL ? DAWG_ERR_EVENTS_FULL : DAWG_ERR_BAD_EVENT;
  }

  /** Whether event (`kind`, `target`, `id`) may be queued (its target exists and can take it). */
  acceptsEvent(kind, target, id) {
    return eventIsValid(this, kind, target, id);
  }

  /** Add a zero-filled sample to the bank: its id, or a negative status. */
  addSample(frames, channels, sampleRateHz) {
    const id = this.bank.add(frames, channels, sampleRateHz);
    if (id < 0) {
      return id === DAWG_ERR_NO_MEMORY ? DAWG_ERR_NO_MEMORY : DAWG_ERR_BAD_SAMPLE;
    }
    const at = this.allocate(4 * frames * channels);
    if (at === 0) {
      return DAWG_ERR_NO_MEMORY;
    }
    this.sampleOffsets[id] = at;
    return id;
  }

  /** Byte offset of sample `id`'s planar storage (0 for an unknown id). */
  sampleOffset(id) {
    const at = this.sampleOffsets[id];
    return at === undefined ? 0 : at;
  }

  /**
   * Finish loading sample `id`: the bank takes a copy of its storage with
   * NaN, infinities and subnormals made 0, and the storage shows the same.
   */
  commitSample(id) {
    const at = this.sampleOffset(id);
    if (at === 0) {
      return DAWG_ERR_BAD_SAMPLE;
    }
    const data = this.bank.dataFor(id);
    const stored = this.memory.f32At(at, data.length);
    data.set(stored);
    const status = this.bank.commit(id);
    stored.set(data);
    return status;
  }

  /** Clear all audio state, drop queued events and ramps, and jump every ramp to its target. */
  reset() {
    for (const t of this.tracks) {
      if (t === null) {
        continue;
      }
      t.strip.resetLane();
      if (t.source !== null) {
        t.source.reset();
      }
      t.ch.reset();
      for (const s of t.sends) {
        s.gain.snap();
      }
    }
    for (const b of this.buses) {
      if (b !== null) {
        b.ch.reset();
      }
    }
    this.master.inserts.reset();
    this.master.gain.snap();
    this.events.clear();
    this.ramps.clear();
    this.frame = 0;
  }
}
