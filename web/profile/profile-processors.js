// AudioWorklet processors of the strip workload of `dawgwasm profile`:
//
// "anchor-strip": the hand-optimised JavaScript baseline. One worklet, N
//   stereo inputs (one per track), one stereo output (the sum). Per track:
//   low shelf and high shelf (RBJ cookbook) and the peaking band matched to
//   its analog prototype as the engine designs it (the build's
//   dawg-js-matched.js, once at construction), in transposed direct form II
//   with f64 state, on each channel, a feed-forward peak compressor in dB
//   (stereo peak detector, hard knee, one-pole smoothing of the gain reduction
//   with attack/release coefficients), fader gain and the StereoPannerNode
//   equal-power pan law for stereo input. Every track's state is loaded into
//   locals once per block and stored back after it; coefficients are locals of
//   process(). This is what the JavaScript engine must not be slower than.
//
// "feed-sink": N inputs, does nothing. With the same N looping sources in
//   front of it, it measures the feed alone, which the benchmark subtracts.
//
// processorOptions (anchor-strip): {tracks, strip: {lowHz, lowGainDb, midHz,
//   midGainDb, midQ, highHz, highGainDb, thresholdDb, ratio, attackMs,
//   releaseMs, gainDb, pan}}. Its port takes {track, mute} (true: the track
//   is silenced) and {track, gainDb} (the track's fader), for the probes of
//   start-up, event-to-sound latency and a fader drag: a factor per track,
//   read once per track per block.

import { MATCHED_ARGS, MATCHED_GAIN_DB, MATCHED_Q, MATCHED_W0, SECTION, matchedPeaking } from "/dist/dawg-js-matched.js";

const STATE_PER_TRACK = 13; // 3 sections x 2 channels x 2 states, gain reduction (dB)
const DB_PER_NEPER = 20 / Math.LN10; // 20·log10(x) = DB_PER_NEPER·ln(x)
const NEPER_PER_DB = Math.LN10 / 20;
const LEVEL_FLOOR = 1e-12; // -240 dB: below it the detector reads the floor
const TINY = 1e-30; // state values below this (in magnitude) are flushed to zero

/** The biquad of a strip band, normalised: [b0, b1, b2, a1, a2]. Shelves have slope S = 1. */
function band(kind, rateHz, freqHz, gainDb, q) {
  const a = Math.pow(10, gainDb / 40);
  const w0 = (2 * Math.PI * freqHz) / rateHz;
  const cosW = Math.cos(w0);
  const sinW = Math.sin(w0);
  let b0, b1, b2, a0, a1, a2;
  if (kind === "peak") {
    MATCHED_ARGS[MATCHED_W0] = w0;
    MATCHED_ARGS[MATCHED_Q] = q;
    MATCHED_ARGS[MATCHED_GAIN_DB] = gainDb;
    matchedPeaking();
    return Array.from(SECTION);
  } else {
    const alpha = (sinW / 2) * Math.SQRT2; // S = 1
    const k = 2 * Math.sqrt(a) * alpha;
    if (kind === "lowshelf") {
      b0 = a * ((a + 1) - (a - 1) * cosW + k);
      b1 = 2 * a * ((a - 1) - (a + 1) * cosW);
      b2 = a * ((a + 1) - (a - 1) * cosW - k);
      a0 = (a + 1) + (a - 1) * cosW + k;
      a1 = -2 * ((a - 1) + (a + 1) * cosW);
      a2 = (a + 1) + (a - 1) * cosW - k;
    } else {
      b0 = a * ((a + 1) + (a - 1) * cosW + k);
      b1 = -2 * a * ((a - 1) + (a + 1) * cosW);
      b2 = a * ((a + 1) + (a - 1) * cosW - k);
      a0 = (a + 1) - (a - 1) * cosW + k;
      a1 = 2 * ((a - 1) - (a + 1) * cosW);
      a2 = (a + 1) - (a - 1) * cosW - k;
    }
  }
  return [b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0];
}

function flushed(x) {
  return x > TINY || x < -TINY ? x : 0;
}

class AnchorStrip extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const opts = options.processorOptions;
    const s = opts.strip;
    this.tracks = opts.tracks;
    this.faderDb = new Float64Array(this.tracks).fill(s.gainDb);
    this.muted = new Uint8Array(this.tracks);
    this.level = new Float64Array(this.tracks).fill(1); // fader and mute relative to s.gainDb
    this.port.onmessage = (e) => {
      const { track, mute, gainDb } = e.data;
      if (mute !== undefined) this.muted[track] = mute ? 1 : 0;
      if (gainDb !== undefined) this.faderDb[track] = gainDb;
      this.level[track] = this.muted[track] ? 0 : Math.pow(10, (this.faderDb[track] - s.gainDb) / 20);
    };
    this.state = new Float64Array(this.tracks * STATE_PER_TRACK);
    this.lo = new Float64Array(band("lowshelf", sampleRate, s.lowHz, s.lowGainDb, 0));
    this.mid = new Float64Array(band("peak", sampleRate, s.midHz, s.midGainDb, s.midQ));
    this.hi = new Float64Array(band("highshelf", sampleRate, s.highHz, s.highGainDb, 0));
    this.thresholdDb = s.thresholdDb;
    this.slope = 1 / s.ratio - 1;
    this.attack = Math.exp(-1 / ((s.attackMs / 1000) * sampleRate));
    this.release = Math.exp(-1 / ((s.releaseMs / 1000) * sampleRate));
    const fader = Math.pow(10, s.gainDb / 20);
    const x = (Math.min(1, Math.max(-1, s.pan)) * Math.PI) / 2;
    // [L->L, R->L, L->R, R->R] of the StereoPannerNode law for stereo input, times the fader.
    if (s.pan <= 0) {
      const a = -x;
      this.matrix = new Float64Array([fader, fader * Math.sin(a), 0, fader * Math.cos(a)]);
    } else {
      this.matrix = new Float64Array([fader * Math.cos(x), 0, fader * Math.sin(x), fader]);
    }
  }

  process(inputs, outputs) {
    const outL = outputs[0][0];
    const outR = outputs[0][1];
    const st = this.state;
    const lo = this.lo;
    const mid = this.mid;
    const hi = this.hi;
    const m = this.matrix;
    const lb0 = lo[0], lb1 = lo[1], lb2 = lo[2], la1 = lo[3], la2 = lo[4];
    const mb0 = mid[0], mb1 = mid[1], mb2 = mid[2], ma1 = mid[3], ma2 = mid[4];
    const hb0 = hi[0], hb1 = hi[1], hb2 = hi[2], ha1 = hi[3], ha2 = hi[4];
    const level = this.level;
    const thr = this.thresholdDb;
    const slope = this.slope;
    const att = this.attack;
    const rel = this.release;
    const n = outL.length;
    const tracks = Math.min(this.tracks, inputs.length);
    for (let t = 0; t < tracks; t++) {
      const input = inputs[t];
      if (input.length === 0) continue; // nothing connected
      const inL = input[0];
      const inR = input.length > 1 ? input[1] : input[0];
      const o = t * STATE_PER_TRACK;
      let l1L = st[o], l2L = st[o + 1], l1R = st[o + 2], l2R = st[o + 3];
      let m1L = st[o + 4], m2L = st[o + 5], m1R = st[o + 6], m2R = st[o + 7];
      let h1L = st[o + 8], h2L = st[o + 9], h1R = st[o + 10], h2R = st[o + 11];
      let red = st[o + 12];
      const lv = level[t];
      const mLL = m[0] * lv, mRL = m[1] * lv, mLR = m[2] * lv, mRR = m[3] * lv;
      for (let i = 0; i < n; i++) {
        const xL = inL[i];
        const xR = inR[i];
        // low shelf
        let yL = lb0 * xL + l1L;
        l1L = lb1 * xL - la1 * yL + l2L;
        l2L = lb2 * xL - la2 * yL;
        let yR = lb0 * xR + l1R;
        l1R = lb1 * xR - la1 * yR + l2R;
        l2R = lb2 * xR - la2 * yR;
        // peaking band
        let zL = mb0 * yL + m1L;
        m1L = mb1 * yL - ma1 * zL + m2L;
        m2L = mb2 * yL - ma2 * zL;
        let zR = mb0 * yR + m1R;
        m1R = mb1 * yR - ma1 * zR + m2R;
        m2R = mb2 * yR - ma2 * zR;
        // high shelf
        yL = hb0 * zL + h1L;
        h1L = hb1 * zL - ha1 * yL + h2L;
        h2L = hb2 * zL - ha2 * yL;
        yR = hb0 * zR + h1R;
        h1R = hb1 * zR - ha1 * yR + h2R;
        h2R = hb2 * zR - ha2 * yR;
        // compressor: stereo peak in dB, hard knee, smoothed reduction
        const aL = yL < 0 ? -yL : yL;
        const aR = yR < 0 ? -yR : yR;
        const peak = aL > aR ? aL : aR;
        const over = (peak > LEVEL_FLOOR ? DB_PER_NEPER * Math.log(peak) : -240) - thr;
        const target = over > 0 ? slope * over : 0;
        red = target + (target < red ? att : rel) * (red - target);
        const g = Math.exp(red * NEPER_PER_DB);
        zL = yL * g;
        zR = yR * g;
        // fader and pan
        outL[i] += mLL * zL + mRL * zR;
        outR[i] += mLR * zL + mRR * zR;
      }
      st[o] = flushed(l1L); st[o + 1] = flushed(l2L); st[o + 2] = flushed(l1R); st[o + 3] = flushed(l2R);
      st[o + 4] = flushed(m1L); st[o + 5] = flushed(m2L); st[o + 6] = flushed(m1R); st[o + 7] = flushed(m2R);
      st[o + 8] = flushed(h1L); st[o + 9] = flushed(h2L); st[o + 10] = flushed(h1R); st[o + 11] = flushed(h2R);
      st[o + 12] = red > -1e-9 ? 0 : red;
    }
    return true;
  }
}

class FeedSink extends AudioWorkletProcessor {
  process() {
    return true;
  }
}

registerProcessor("anchor-strip", AnchorStrip);
registerProcessor("feed-sink", FeedSink);
