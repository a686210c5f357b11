// Parameter routing (dsp_rust/src/engine/routing.rs): whether a target can
// hold a parameter, and the one set/get path every parameter takes to the
// state it addresses. Unit and source rows go to the unit in the addressed
// insert slot or to the track's source; the engine's own rows are described
// by their field (dawg-js-params.js), written by writeCore and read by
// readCore.

import {
  OWNER_CORE,
  OWNER_UNIT,
  SCOPE_TRACK,
  SCOPE_MASTER,
  SCOPE_CHANNEL,
  FIELD_MASTER_GAIN_DB,
  FIELD_TEMPO_BPM,
  FIELD_AUTO_BYPASS,
  FIELD_GAIN_DB,
  FIELD_PAN,
  FIELD_MUTE,
  FIELD_SOLO,
  FIELD_SEND_DB,
  FIELD_SEND_PRE,
  FIELD_STRIP,
} from "./dawg-js-params.js";
import { TARGET_TRACK, TARGET_BUS, targetKind, targetIndex, targetSlot } from "./dawg-js-targets.js";
import { sendGain } from "./dawg-js-channel.js";
import { dbToGain } from "./dawg-js-math.js";
import { BUSES_MAX } from "./dawg-js-config.js";
import {
  DAWG_OK,
  DAWG_CLAMPED,
  DAWG_ERR_UNKNOWN_PARAM,
  DAWG_ERR_BAD_TARGET,
  DAWG_ERR_NOT_FINITE,
} from "./dawg-js-status.js";

/** A switch parameter's state: on at 0.5 and above. */
function isOn(v) {
  return v >= 0.5;
}

function channelExists(e, kind, index) {
  if (kind === TARGET_TRACK) {
    return e.trackExists(index);
  }
  if (kind === TARGET_BUS) {
    return index < BUSES_MAX && e.buses[index] !== null;
  }
  return true;
}

/**
 * Whether `target` can hold parameter `id`: DAWG_OK or DAWG_ERR_BAD_TARGET
 * (or the status of a failed creation). With `create`, a missing track or
 * bus the parameter's scope allows is created first.
 */
export function checkTarget(e, target, id, create) {
  const p = e.params;
  const kind = targetKind(target);
  const index = targetIndex(target);
  const slot = targetSlot(target);
  const scope = p.scope[id];
  if (create && slot === 0 && !channelExists(e, kind, index)) {
    if (kind === TARGET_TRACK && (scope === SCOPE_TRACK || scope === SCOPE_CHANNEL)) {
      const status = e.ensureTrack(index);
      if (status !== DAWG_OK) {
        return status;
      }
    } else if (kind === TARGET_BUS && scope === SCOPE_CHANNEL) {
      const status = e.ensureBus(index);
      if (status !== DAWG_OK) {
        return status;
      }
    }
  }
  let ok;
  const owner = p.owner[id];
  if (owner === OWNER_CORE) {
    if (scope === SCOPE_MASTER) {
      ok = target === 0;
    } else if (scope === SCOPE_TRACK) {
      ok = kind === TARGET_TRACK && slot === 0 && e.trackExists(index);
    } else if (scope === SCOPE_CHANNEL) {
      ok = slot === 0 && (kind === TARGET_TRACK || kind === TARGET_BUS) && channelExists(e, kind, index);
    } else {
      ok = false;
    }
  } else if (owner === OWNER_UNIT) {
    ok = slot >= 1 && channelExists(e, kind, index) && e.insertKind(target & 0xffff, slot) === p.ownerKind[id];
  } else {
    ok = kind === TARGET_TRACK && slot === 0 && e.trackExists(index) && e.tracks[index].sourceKind === p.ownerKind[id];
  }
  return ok ? DAWG_OK : DAWG_ERR_BAD_TARGET;
}

/**
 * Set parameter `id` of `target` to f32 `value` (clamped into range):
 * DAWG_OK, DAWG_CLAMPED, or an error status. May create the addressed
 * track or bus.
 */
export function setParam(e, target, id, value) {
  if (id >= e.params.count) {
    return DAWG_ERR_UNKNOWN_PARAM;
  }
  if (!Number.isFinite(value)) {
    return DAWG_ERR_NOT_FINITE;
  }
  const status = checkTarget(e, target, id, true);
  if (status !== DAWG_OK) {
    return status;
  }
  const v = e.params.clamp(id, value);
  applyParam(e, target, id, v);
  return v !== value ? DAWG_CLAMPED : DAWG_OK;
}

function insertsOf(e, kind, index) {
  if (kind === TARGET_TRACK) {
    const t = e.tracks[index];
    return t === null ? null : t.ch.inserts;
  }
  if (kind === TARGET_BUS) {
    const b = e.buses[index];
    return b === null ? null : b.ch.inserts;
  }
  return e.master.inserts;
}

/**
 * The value applyParamValue() applies: a ramp's steps pass their values here
 * rather than as arguments, since a double passed to a call V8 does not
 * inline is boxed (a heap number each), and a ramp steps every 16 frames.
 */
export const PARAM_VALUE = new Float64Array(1);

/** Apply an in-range value to a checked target. */
export function applyParam(e, target, id, v) {
  PARAM_VALUE[0] = v;
  applyParamValue(e, target, id);
}

/** Apply the in-range value in PARAM_VALUE to a checked target. Never allocates on the fader and pan path. */
export function applyParamValue(e, target, id) {
  const v = PARAM_VALUE[0];
  const p = e.params;
  const kind = targetKind(target);
  const index = targetIndex(target);
  const steps = e.steps(p.smoothingMs[id]);
  const owner = p.owner[id];
  if (owner === OWNER_CORE) {
    writeCore(e, kind, index, p.field[id], p.fieldArg[id], id, steps);
  } else if (owner === OWNER_UNIT) {
    const ins = insertsOf(e, kind, index);
    const u = ins === null ? null : ins.units[targetSlot(target) - 1];
    if (u !== null && u !== undefined) {
      u.set(p.row[id], v);
    }
  } else {
    const t = e.tracks[index];
    if (t !== null && t !== undefined && t.source !== null) {
      t.source.set(p.row[id], v);
    }
  }
  e.wake(kind, index);
}

function writeCore(e, kind, index, field, arg, id, steps) {
  const v = PARAM_VALUE[0];
  switch (field) {
    case FIELD_MASTER_GAIN_DB:
      e.master.gainDb = v;
      e.master.gain.setTarget(Math.fround(dbToGain(v)), steps);
      return;
    case FIELD_TEMPO_BPM:
      e.setTempoBpm(v);
      return;
    case FIELD_AUTO_BYPASS:
      e.autoBypass = isOn(v);
      if (!e.autoBypass) {
        e.wakeAll();
      }
      return;
    case FIELD_GAIN_DB:
    case FIELD_PAN:
    case FIELD_MUTE: {
      const soloActive = e.soloCount > 0;
      let ch;
      let soloedOut = false;
      if (kind === TARGET_TRACK) {
        const t = e.tracks[index];
        if (t === null) {
          return;
        }
        ch = t.ch;
        soloedOut = soloActive && !t.solo;
      } else {
        const b = e.buses[index];
        if (b === null) {
          return;
        }
        ch = b.ch;
      }
      if (field === FIELD_GAIN_DB) {
        ch.gainDb = v;
        ch.out.gainDb = Math.fround(v);
        ch.out.retarget(steps);
      } else if (field === FIELD_PAN) {
        ch.pan = v;
        ch.out.pan = Math.fround(v);
        ch.out.retarget(steps);
      } else {
        ch.mute = isOn(v);
        ch.setSilenced(ch.mute || soloedOut, steps);
      }
      return;
    }
    case FIELD_SOLO: {
      const t = e.tracks[index];
      const on = isOn(v);
      if (t === null || t.solo === on) {
        return;
      }
      t.solo = on;
      e.soloCount += on ? 1 : -1;
      const soloActive = e.soloCount > 0;
      for (let i = 0; i < e.tracks.length; i++) {
        const u = e.tracks[i];
        if (u !== null) {
          u.ch.setSilenced(u.ch.mute || (soloActive && !u.solo), steps);
          u.ch.wake();
        }
      }
      return;
    }
    case FIELD_SEND_DB: {
      const t = e.tracks[index];
      if (t !== null) {
        const s = t.sends[arg];
        s.levelDb = v;
        s.gain.setTarget(sendGain(v, e.params.min[id]), steps);
      }
      return;
    }
    case FIELD_SEND_PRE: {
      const t = e.tracks[index];
      if (t !== null) {
        t.sends[arg].pre = isOn(v);
      }
      return;
    }
    case FIELD_STRIP: {
      const t = e.tracks[index];
      if (t !== null) {
        t.strip.set(arg, v, e.params.smoothingMs[id]);
      }
      return;
    }
    default:
      return;
  }
}

/** The value a core field holds on the master, a channel `ch` and a track `t` (either may be null); NaN where absent. */
function readCore(e, field, arg, ch, t) {
  switch (field) {
    case FIELD_MASTER_GAIN_DB:
      return e.master.gainDb;
    case FIELD_TEMPO_BPM:
      return e.tempoBpm;
    case FIELD_AUTO_BYPASS:
      return e.autoBypass ? 1 : 0;
    case FIELD_GAIN_DB:
      return ch === null ? NaN : ch.gainDb;
    case FIELD_PAN:
      return ch === null ? NaN : ch.pan;
    case FIELD_MUTE:
      return ch === null ? NaN : ch.mute ? 1 : 0;
    case FIELD_SOLO:
      return t === null ? NaN : t.solo ? 1 : 0;
    case FIELD_SEND_DB:
      return t === null ? NaN : t.sends[arg].levelDb;
    case FIELD_SEND_PRE:
      return t === null ? NaN : t.sends[arg].pre ? 1 : 0;
    case FIELD_STRIP:
      return t === null ? NaN : t.strip.get(arg);
    default:
      return NaN;
  }
}

/**
 * The last value set for parameter `id` of `target` (the default for a
 * track or bus not created yet); NaN where the target cannot hold it.
 */
export function getParam(e, target, id) {
  const p = e.params;
  if (id >= p.count) {
    return NaN;
  }
  const kind = targetKind(target);
  const index = targetIndex(target);
  const slot = targetSlot(target);
  const owner = p.owner[id];
  const hasTrack = kind === TARGET_TRACK && index < e.tracks.length;
  const hasBus = kind === TARGET_BUS && index < BUSES_MAX;
  const track = hasTrack ? e.tracks[index] : null;
  if (owner === OWNER_CORE) {
    const scope = p.scope[id];
    const field = p.field[id];
    if (scope === SCOPE_MASTER && target === 0) {
      const v = readCore(e, field, p.fieldArg[id], null, null);
      return Number.isNaN(v) ? p.defaults[id] : v;
    }
    if ((scope === SCOPE_TRACK || scope === SCOPE_CHANNEL) && slot === 0) {
      let ch = null;
      if (hasTrack) {
        ch = track === null ? null : track.ch;
      } else if (hasBus) {
        const b = e.buses[index];
        ch = b === null ? null : b.ch;
      } else {
        return NaN;
      }
      if (scope === SCOPE_TRACK && !hasTrack) {
        return NaN;
      }
      if (ch === null) {
        return p.defaults[id];
      }
      const v = readCore(e, field, p.fieldArg[id], ch, track);
      return Number.isNaN(v) ? p.defaults[id] : v;
    }
    return NaN;
  }
  if (owner === OWNER_UNIT) {
    if (slot === 0 || e.insertKind(target & 0xffff, slot) !== p.ownerKind[id]) {
      return NaN;
    }
    const ins = insertsOf(e, kind, index);
    const u = ins === null ? null : ins.units[slot - 1];
    return u === null || u === undefined ? NaN : Math.fround(u.get(p.row[id]));
  }
  if (track !== null && slot === 0 && track.sourceKind === p.ownerKind[id] && track.source !== null) {
    return Math.fround(track.source.get(p.row[id]));
  }
  return NaN;
}
