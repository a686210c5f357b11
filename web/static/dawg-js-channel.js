// Channels (dsp_rust/src/engine/channel.rs): a track (source, strip,
// sends), a bus, the master, and what they share: the insert chain and the
// fader, pan and mute of a Channel with its audio buffers and auto-bypass
// state.

import { INSERTS_MAX, BUSES_MAX, QUIET } from "./dawg-js-config.js";
import { dbToGain } from "./dawg-js-math.js";
import { GainPan } from "./dawg-js-gainpan.js";
import { Bypass } from "./dawg-js-meters.js";
import { Linear } from "./dawg-js-smooth.js";
import { SOURCE_INPUT } from "./dawg-js-sources.js";

const fr = Math.fround;

/** The insert chain of one channel: up to INSERTS_MAX units and their kinds. */
export class Inserts {
  constructor() {
    this.units = new Array(INSERTS_MAX).fill(null);
    this.kinds = new Uint32Array(INSERTS_MAX);
  }

  /** Run every unit on frames `a..b` of `left`, `right` in place. */
  process(left, right, a, b) {
    const units = this.units;
    for (let s = 0; s < INSERTS_MAX; s++) {
      const u = units[s];
      if (u !== null) {
        u.process(left, right, a, b);
      }
    }
  }

  reset() {
    for (let s = 0; s < INSERTS_MAX; s++) {
      const u = this.units[s];
      if (u !== null) {
        u.reset();
      }
    }
  }

  isQuiet() {
    for (let s = 0; s < INSERTS_MAX; s++) {
      const u = this.units[s];
      if (u !== null && !u.isQuiet()) {
        return false;
      }
    }
    return true;
  }

  /** The longest tail of the units, frames. */
  tailFrames() {
    let t = 0;
    for (let s = 0; s < INSERTS_MAX; s++) {
      const u = this.units[s];
      if (u !== null) {
        const f = u.tailFrames();
        if (f > t) {
          t = f;
        }
      }
    }
    return t;
  }

  setTempoBpm(bpm) {
    for (let s = 0; s < INSERTS_MAX; s++) {
      const u = this.units[s];
      if (u !== null) {
        u.setTempoBpm(bpm);
      }
    }
  }
}

/**
 * True when every magnitude in frames `a..b` of `x` and of `y` is below
 * QUIET (NaN counts as quiet, as it adds nothing to a peak). A boolean, not
 * the peak: a double returned by a call that is not inlined is boxed, and
 * this runs every quantum.
 */
export function quiet2(x, y, a, b) {
  const q = +QUIET;
  for (let i = a; i < b; i++) {
    if (Math.abs(x[i]) >= q || Math.abs(y[i]) >= q) {
      return false;
    }
  }
  return true;
}

/** Fader, pan and mute of a track or bus, its inserts, buffers and bypass state. */
export class Channel {
  constructor(quantum, gainDb, pan) {
    this.inserts = new Inserts();
    this.out = new GainPan(gainDb, pan, false);
    this.muteGain = new Linear(1);
    this.gainDb = gainDb;
    this.pan = pan;
    this.mute = false;
    this.left = new Float32Array(quantum);
    this.right = new Float32Array(quantum);
    this.bypass = new Bypass();
  }

  /** Ramp the mute gain: silent when muted or soloed out. */
  setSilenced(silenced, steps) {
    this.muteGain.setTarget(silenced ? 0 : 1, steps);
  }

  applyMute(a, b) {
    const m = this.muteGain;
    if (m.remaining === 0 && m.current === 1) {
      return;
    }
    const left = this.left;
    const right = this.right;
    if (m.remaining === 0) {
      const g = m.current;
      for (let i = a; i < b; i++) {
        left[i] *= g;
        right[i] *= g;
      }
      return;
    }
    for (let i = a; i < b; i++) {
      const g = m.tick();
      left[i] *= g;
      right[i] *= g;
    }
  }

  isBypassed() {
    return this.bypass.asleep;
  }

  wake() {
    this.bypass.wake();
  }

  /**
   * Run the inserts on frames `a..b`. With `measure`, returns whether the
   * output after them is quiet; without, returns false (the caller only
   * reads it when the source was quiet, so a loud source needs no measurement).
   */
  runInserts(a, b, measure) {
    this.inserts.process(this.left, this.right, a, b);
    return measure ? quiet2(this.left, this.right, a, b) : false;
  }

  /**
   * Bypass bookkeeping after a segment of `frames` frames whose source was
   * quiet or not and whose post-insert output was quiet or not (`afterQuiet`); goes to sleep
   * (reset, bypassed) once quiet for `holdBase` plus the inserts' tails with
   * its ramps done and `settled` true. True if it slept.
   */
  trySleep(sourceQuiet, afterQuiet, frames, holdBase, settled) {
    const hold = holdBase + this.inserts.tailFrames();
    if (
      this.bypass.countQuiet(sourceQuiet, afterQuiet, frames, hold) &&
      this.inserts.isQuiet() &&
      this.muteGain.remaining === 0 &&
      settled
    ) {
      this.reset();
      this.bypass.sleep();
      return true;
    }
    return false;
  }

  reset() {
    this.inserts.reset();
    this.out.reset();
    this.muteGain.snap();
    this.bypass.wake();
  }
}

/** The linear gain of a send level: exactly 0 at and below `offDb`. */
export function sendGain(db, offDb) {
  return db <= offDb ? 0 : fr(dbToGain(db));
}

/** A track's send to one bus. */
export class Send {
  constructor(offDb) {
    this.levelDb = offDb;
    this.gain = new Linear(0);
    this.pre = false;
  }

  isOff() {
    return this.gain.remaining === 0 && this.gain.current === 0;
  }
}

/** A track: its source, input, strip, channel and sends. */
export class Track {
  constructor(channel, strip, sendOffDb) {
    this.sourceKind = SOURCE_INPUT;
    this.source = null;
    this.inputOffset = 0;
    this.input = null;
    /** The host declared the input silent: it is not read (dawg_input_silent). */
    this.inputSilent = false;
    this.strip = strip;
    this.ch = channel;
    this.skip = false;
    /** Set for a segment in which the strip reads the input itself. */
    this.inputPending = false;
    this.sourceQuiet = true;
    this.solo = false;
    this.sends = [];
    for (let n = 0; n < BUSES_MAX; n++) {
      this.sends.push(new Send(sendOffDb));
    }
  }
}

/** A bus: the sum of the sends to it, through its own channel. */
export class Bus {
  constructor(channel) {
    this.ch = channel;
  }
}

/** The master: the sum of every track and bus, through inserts and a fader. */
export class Master {
  constructor(quantum, gainDb) {
    this.inserts = new Inserts();
    this.gainDb = gainDb;
    this.gain = new Linear(fr(dbToGain(gainDb)));
    this.left = new Float32Array(quantum);
    this.right = new Float32Array(quantum);
  }
}
