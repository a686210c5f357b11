// The "tap" processor of `dawgwasm profile`'s probes (a module of its own, so
// that loading it does not load any arm's processors ahead of the arm's
// start-up being timed).
//
// One stereo input, its output silent. It posts {type: "sound", frame} at
// the first frame louder than SOUND_LEVEL, once; a message on its port makes
// it wait for SILENT_QUANTA quanta quieter than SILENT_LEVEL, post
// {type: "silent", frame}, then post the next "sound".

const SOUND_LEVEL = 1e-3;
const SILENT_LEVEL = 1e-6;
const SILENT_QUANTA = 4;

class Tap extends AudioWorkletProcessor {
  constructor() {
    super();
    this.state = "sound?"; // "sound?" (waiting for sound), "silence?", "done"
    this.quiet = 0;
    this.port.onmessage = () => {
      this.state = "silence?";
      this.quiet = 0;
    };
  }

  process(inputs) {
    const input = inputs[0];
    if (input.length === 0 || this.state === "done") return true;
    const n = input[0].length;
    let peak = 0;
    let first = -1;
    for (let c = 0; c < input.length; c++) {
      const d = input[c];
      for (let i = 0; i < n; i++) {
        const a = Math.abs(d[i]);
        if (a > peak) peak = a;
        if (a > SOUND_LEVEL && (first < 0 || i < first)) first = i;
      }
    }
    if (this.state === "silence?") {
      this.quiet = peak < SILENT_LEVEL ? this.quiet + 1 : 0;
      if (this.quiet >= SILENT_QUANTA) {
        this.state = "sound?";
        this.port.postMessage({ type: "silent", frame: currentFrame });
      }
    } else if (first >= 0) {
      this.state = "done";
      this.port.postMessage({ type: "sound", frame: currentFrame + first });
    }
    return true;
  }
}

registerProcessor("tap", Tap);
