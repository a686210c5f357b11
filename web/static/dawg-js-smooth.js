// Linear parameter smoothing, mirroring dsp_rust/src/smooth.rs: a change
// reaches its target in exactly N steps; each value is computed as
// `target − step·remaining` in f32 arithmetic (Math.fround), so the ramp
// takes the same values as the Rust one and lands exactly on the target.

/** A linearly ramping f32 value (Rust `Linear`). */
export class Linear {
  /** A smoother resting at `value`. */
  constructor(value) {
    const v = Math.fround(value);
    this.current = v;
    this.target = v;
    this.step = 0.0;
    this.remaining = 0;
  }

  /** Ramp from the current value to `target` over `steps` steps (0 jumps at once). */
  setTarget(target, steps) {
    const t = Math.fround(target);
    this.target = t;
    if (steps === 0 || t === this.current) {
      this.snap();
    } else {
      this.remaining = steps;
      this.step = Math.fround(Math.fround(t - this.current) / Math.fround(steps));
    }
  }

  /** Jump to the target now. */
  snap() {
    this.current = this.target;
    this.remaining = 0;
    this.step = 0.0;
  }

  /** True while a ramp is in progress. */
  isActive() {
    return this.remaining !== 0;
  }

  /** Advance one step and return the new value. */
  tick() {
    if (this.remaining > 0) {
      this.remaining -= 1;
      this.current = Math.fround(this.target - Math.fround(this.step * this.remaining));
    }
    return this.current;
  }

  /** Advance `n` steps at once and return the new value. */
  advance(n) {
    if (n >= this.remaining) {
      this.snap();
    } else {
      this.remaining -= n;
      this.current = Math.fround(this.target - Math.fround(this.step * this.remaining));
    }
    return this.current;
  }

  /** Copy every field of `other` into this smoother. */
  copyFrom(other) {
    this.current = other.current;
    this.target = other.target;
    this.step = other.step;
    this.remaining = other.remaining;
  }
}

/** Number of smoothing steps for `ms` milliseconds at `sampleRateHz` (both taken as f32, as in the Rust). */
export function stepsForMs(ms, sampleRateHz) {
  const n = Math.round(Math.fround(ms) * 1e-3 * Math.fround(sampleRateHz));
  return n > 0 ? n : 0;
}
