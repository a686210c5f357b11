// demo-signals.js — the demo page's test signals, made with Web Audio nodes
// on the page's context: a sawtooth chord, pink-ish noise and a drum-like
// loop, each deterministic (seeded) so every run plays the same samples.
// Each factory returns {node, stop()}; the node feeds one track's input.

/** Deterministic PRNG (mulberry32) so the test signals are the same every run. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sawChord(ctx) {
  const out = new GainNode(ctx, { gain: 0.1 });
  const oscillators = [220, 277.18, 329.63].map((frequency) => {
    const osc = new OscillatorNode(ctx, { type: "sawtooth", frequency });
    osc.connect(out);
    osc.start();
    return osc;
  });
  return {
    node: out,
    stop() {
      for (const osc of oscillators) osc.stop();
      out.disconnect();
    },
  };
}

function loopBuffer(ctx, buffer) {
  const src = new AudioBufferSourceNode(ctx, { buffer, loop: true });
  src.start();
  return {
    node: src,
    stop() {
      src.stop();
      src.disconnect();
    },
  };
}

function pinkNoise(ctx) {
  const frames = Math.round(ctx.sampleRate * 2);
  const buffer = new AudioBuffer({ numberOfChannels: 2, length: frames, sampleRate: ctx.sampleRate });
  for (let c = 0; c < 2; c++) {
    const rnd = random(17 + c);
    const data = buffer.getChannelData(c);
    let b0 = 0, b1 = 0, b2 = 0;
    for (let i = 0; i < frames; i++) {
      // Paul Kellet's economy pink filter: white noise through three one-poles.
      const w = rnd() * 2 - 1;
      b0 = 0.99765 * b0 + w * 0.099046;
      b1 = 0.963 * b1 + w * 0.2965164;
      b2 = 0.57 * b2 + w * 1.0526913;
      data[i] = (b0 + b1 + b2 + w * 0.1848) * 0.08;
    }
  }
  return loopBuffer(ctx, buffer);
}

function drumLoop(ctx) {
  const rate = ctx.sampleRate;
  const frames = Math.round(rate * 2); // one bar of 4/4 at 120 bpm
  const buffer = new AudioBuffer({ numberOfChannels: 2, length: frames, sampleRate: rate });
  const left = buffer.getChannelData(0);
  const right = buffer.getChannelData(1);
  const rnd = random(99);
  const add = (startS, seconds, sampleAt, panRight) => {
    const begin = Math.round(startS * rate);
    const n = Math.min(Math.round(seconds * rate), frames - begin);
    for (let i = 0; i < n; i++) {
      const s = sampleAt(i / rate);
      left[begin + i] += s * (1 - panRight);
      right[begin + i] += s * (1 + panRight);
    }
  };
  for (let beat = 0; beat < 4; beat++) {
    const t = beat * 0.5;
    if (beat % 2 === 0) {
      // kick: a sine sweeping down from 120 Hz to 45 Hz
      add(t, 0.35, (x) => 0.6 * Math.exp(-x * 12) * Math.sin(2 * Math.PI * (45 * x + (75 / 20) * (1 - Math.exp(-x * 20)))), 0);
    } else {
      // snare: a noise burst
      add(t, 0.2, (x) => 0.3 * Math.exp(-x * 25) * (rnd() * 2 - 1), 0);
    }
  }
  for (let eighth = 0; eighth < 8; eighth++) {
    // hats: short bursts of differentiated (high-tilted) noise, alternating sides
    let prev = 0;
    const hat = (x) => {
      const w = rnd() * 2 - 1;
      const s = w - prev;
      prev = w;
      return 0.08 * Math.exp(-x * 90) * s;
    };
    add(eighth * 0.25, 0.05, hat, eighth % 2 === 0 ? -0.3 : 0.3);
  }
  return loopBuffer(ctx, buffer);
}

/** The signals the page offers: value, label and factory. */
export const SIGNALS = [
  { value: "saw", label: "Sawtooth chord", make: sawChord },
  { value: "noise", label: "Pink-ish noise", make: pinkNoise },
  { value: "drums", label: "Drum-like loop", make: drumLoop },
];
