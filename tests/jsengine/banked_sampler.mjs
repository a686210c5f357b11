// A JavaScript sampler with its own sample bank, shaped like the other DSP
// objects run_unit.mjs drives: render(left, right, start, end) plays the
// bank the constructor loaded (raw planar float32 files, each added,
// filled and committed as the engine does).

import { readFileSync } from "node:fs";

import { SampleBank } from "../../web/static/dawg-js-bank.js";
import { Sampler } from "../../web/static/dawg-js-sampler.js";

export class BankedSampler {
  /** `samples`: [{path, frames, channels, rate_hz}] loaded in order (ids 0, 1, ...). */
  constructor(sampleRateHz, maxBlockFrames, samples) {
    this.bank = new SampleBank();
    for (const s of samples) {
      const id = this.bank.add(s.frames, s.channels, s.rate_hz);
      if (id < 0) {
        throw new RangeError(`the bank refused ${s.path} (status ${id})`);
      }
      const bytes = new Uint8Array(readFileSync(s.path));
      const data = this.bank.dataFor(id);
      if (bytes.length !== data.length * 4) {
        throw new RangeError(`${s.path} holds ${bytes.length} bytes, want ${data.length * 4}`);
      }
      data.set(new Float32Array(bytes.buffer));
      this.bank.commit(id);
    }
    this.sampler = new Sampler(sampleRateHz, maxBlockFrames);
  }

  render(left, right, start, end) {
    this.sampler.render(this.bank, left, right, start, end);
  }

  set(index, value) {
    this.sampler.set(index, value);
  }

  get(index) {
    return this.sampler.get(index);
  }

  noteOn(note, velocity) {
    this.sampler.noteOn(note, velocity);
  }

  noteOff(note) {
    this.sampler.noteOff(note);
  }

  allNotesOff() {
    this.sampler.allNotesOff();
  }

  reset() {
    this.sampler.reset();
  }

  isQuiet() {
    return this.sampler.isQuiet();
  }

  activeVoices() {
    return this.sampler.activeVoices();
  }
}
