// The positive control of tests/browser/test_no_allocation_in_process.py: an
// AudioWorkletProcessor whose process() allocates one small array (16
// numbers, about 90 bytes) per second of audio (every 375th quantum at
// 48 kHz) and keeps it, so the allocation cannot be optimised away. The allocation-free engines must show nothing in
// the same measurement that shows this.
class AllocatingControl extends AudioWorkletProcessor {
  constructor() {
    super();
    this.quanta = 0;
    this.kept = null;
  }

  process(inputs, outputs) {
    this.quanta++;
    if (this.quanta % 375 === 0) {
      this.kept = [currentFrame, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, this.quanta];
    }
    outputs[0][0][0] = 0;
    return true;
  }
}

registerProcessor("allocating-control", AllocatingControl);
