// dawg-ring.js — a wait-free single-producer single-consumer ring of fixed-size
// event records in a SharedArrayBuffer (hand-written; not generated).
//
// Used by both sides of dawgwasm: the main thread is the only writer
// (DawgEngine), the AudioWorkletProcessor's process() the only reader. Neither
// side ever blocks, spins or allocates: a full ring refuses the write (the
// writer counts it), an empty ring reads nothing.
//
// Layout of the SharedArrayBuffer (all little-endian, as typed arrays are on
// every platform Web Audio runs on):
//
//   bytes 0..31   Int32 header
//                   [0] head: records read so far (written only by the reader)
//                   [1] tail: records written so far (written only by the writer)
//                   [2] capacity in records (a power of two; set once at creation)
//                   [3] records the writer refused because the ring was full
//   bytes 32..    capacity records of RECORD_WORDS (8) 32-bit words:
//                   [0] frame, low 32 bits (absolute context frame, `currentFrame`)
//                   [1] kind   (NOTE_ON 0, NOTE_OFF 1, PARAM_SET 2, PARAM_RAMP 3, ALL_NOTES_OFF 4)
//                   [2] target (slot << 16 | kind << 12 | index)
//                   [3] id     (MIDI note or parameter id)
//                   [4] value  (float32: velocity or parameter value)
//                   [5] aux    (float32: ramp duration in ms)
//                   [6] frame, high bits (frame = high * 2^32 + low)
//                   [7] 0
//
// head and tail are free-running counters that wrap modulo 2^32 (Int32
// arithmetic with `| 0`); records in the ring = (tail - head) | 0, and a
// record's slot = counter & (capacity - 1).
//
// Memory ordering. JavaScript's Atomics operations are sequentially
// consistent, and the memory model makes every non-atomic access sequenced
// before an Atomics.store happen-before every access sequenced after an
// Atomics.load that reads the stored value. So:
//   - the writer fills a slot with plain stores, then publishes it with
//     Atomics.store(tail); a reader that Atomics.load(tail)s the new value sees
//     the whole record (release/acquire on tail);
//   - the reader copies a record out with plain loads, then frees the slot with
//     Atomics.store(head); a writer that Atomics.load(head)s the new value can
//     overwrite it without tearing what the reader copied (release/acquire on head).
// Each counter has exactly one writing thread, so no read-modify-write is
// needed; the refused-count is only an approximate statistic (Atomics.add).

export const RECORD_WORDS = 8;
export const HEADER_BYTES = 32;

const HEAD = 0;
const TAIL = 1;
const CAPACITY = 2;
const REFUSED = 3;
const TWO_32 = 4294967296;

/** Bytes a ring of `capacity` records needs (capacity: a power of two ≥ 2). */
export function ringBytes(capacity) {
  return HEADER_BYTES + capacity * RECORD_WORDS * 4;
}

function isPowerOfTwo(n) {
  return Number.isInteger(n) && n >= 2 && (n & (n - 1)) === 0;
}

/** One side (writer or reader) of a ring living in `buffer` (a SharedArrayBuffer). */
export class EventRing {
  /**
   * Create a new, empty ring of `capacity` records (a power of two) in a new SharedArrayBuffer.
   * @param {number} capacity
   * @returns {EventRing}
   */
  static create(capacity) {
    if (!isPowerOfTwo(capacity) || capacity > 1 << 20) {
      throw new RangeError("ring capacity must be a power of two from 2 to 2^20, got " + capacity);
    }
    const buffer = new SharedArrayBuffer(ringBytes(capacity));
    const header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    header[CAPACITY] = capacity;
    return new EventRing(buffer);
  }

  /**
   * Attach to an existing ring (the other side's buffer).
   * @param {SharedArrayBuffer} buffer
   */
  constructor(buffer) {
    const header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    const capacity = Atomics.load(header, CAPACITY);
    if (!isPowerOfTwo(capacity) || buffer.byteLength < ringBytes(capacity)) {
      throw new RangeError("not an event ring: bad capacity " + capacity);
    }
    /** The SharedArrayBuffer (hand it to the other side). */
    this.buffer = buffer;
    this.header = header;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.words = new Uint32Array(buffer, HEADER_BYTES, capacity * RECORD_WORDS);
    this.floats = new Float32Array(buffer, HEADER_BYTES, capacity * RECORD_WORDS);
  }

  /** Records waiting to be read (either side may ask). */
  size() {
    return (Atomics.load(this.header, TAIL) - Atomics.load(this.header, HEAD)) | 0;
  }

  /** Records the writer refused because the ring was full. */
  refused() {
    return Atomics.load(this.header, REFUSED);
  }

  // ---- writer side (one thread only) ------------------------------------------

  /** Free record slots, as the writer sees them. */
  free() {
    return this.capacity - this.size();
  }

  /**
   * Write one record; false (and counted as refused) if the ring is full.
   * `frame` is an absolute context frame (a non-negative integer below 2^53).
   */
  push(frame, kind, target, id, value, aux) {
    const tail = this.header[TAIL]; // only this thread writes tail
    const head = Atomics.load(this.header, HEAD); // acquire: the reader is done with freed slots
    if (((tail - head) | 0) >= this.capacity) {
      Atomics.add(this.header, REFUSED, 1);
      return false;
    }
    const w = (tail & this.mask) * RECORD_WORDS;
    const words = this.words;
    words[w] = frame % TWO_32;
    words[w + 1] = kind;
    words[w + 2] = target;
    words[w + 3] = id;
    this.floats[w + 4] = value;
    this.floats[w + 5] = aux;
    words[w + 6] = Math.floor(frame / TWO_32);
    words[w + 7] = 0;
    Atomics.store(this.header, TAIL, (tail + 1) | 0); // release: publish the record
    return true;
  }

  /**
   * Write `count` records of RECORD_WORDS words from `src` (a Uint32Array, same
   * layout as the ring's records), all or none. Returns whether they were written.
   */
  pushWords(src, count) {
    const tail = this.header[TAIL];
    const head = Atomics.load(this.header, HEAD);
    if (count > this.capacity - ((tail - head) | 0)) {
      Atomics.add(this.header, REFUSED, count);
      return false;
    }
    for (let i = 0; i < count; i++) {
      const w = (((tail + i) | 0) & this.mask) * RECORD_WORDS;
      for (let k = 0; k < RECORD_WORDS; k++) this.words[w + k] = src[i * RECORD_WORDS + k];
    }
    Atomics.store(this.header, TAIL, (tail + count) | 0);
    return true;
  }

  // ---- reader side (one thread only; never allocates) ----------------------------

  /**
   * Move up to `max` records into `dst` (a Uint32Array) starting at record
   * `dstRecord`; returns how many were moved. Allocation-free.
   */
  readInto(dst, dstRecord, max) {
    const head = this.header[HEAD]; // only this thread writes head
    const tail = Atomics.load(this.header, TAIL); // acquire: see the published records
    let n = (tail - head) | 0;
    if (n > max) n = max;
    if (n <= 0) return 0;
    const words = this.words;
    const mask = this.mask;
    let d = dstRecord * RECORD_WORDS;
    for (let i = 0; i < n; i++) {
      const w = (((head + i) | 0) & mask) * RECORD_WORDS;
      dst[d] = words[w];
      dst[d + 1] = words[w + 1];
      dst[d + 2] = words[w + 2];
      dst[d + 3] = words[w + 3];
      dst[d + 4] = words[w + 4];
      dst[d + 5] = words[w + 5];
      dst[d + 6] = words[w + 6];
      dst[d + 7] = words[w + 7];
      d += RECORD_WORDS;
    }
    Atomics.store(this.header, HEAD, (head + n) | 0); // release: the slots may be reused
    return n;
  }
}

/**
 * A seqlock-published block of floats in a SharedArrayBuffer (the meters):
 * one writer (the worklet) and any number of readers, none of which block.
 *
 * Layout: Int32 header of 8 words ([0] sequence, odd while a write is in
 * progress; [1..7] free for counters), then `length` Float32 values.
 * Writer: Atomics.add(seq, 1) (odd), plain stores, Atomics.add(seq, 1) (even).
 * Reader: s1 = Atomics.load(seq) (retry if odd), plain loads,
 * s2 = Atomics.load(seq); the copy is consistent iff s1 === s2.
 */
export const SEQLOCK_HEADER_WORDS = 8;

/** Bytes a published block of `length` floats needs. */
export function seqlockBytes(length) {
  return SEQLOCK_HEADER_WORDS * 4 + length * 4;
}

/**
 * Copy a consistent snapshot of a seqlock block into `dst` (Float32Array);
 * returns the sequence number read (even), or -1 if the writer kept it busy.
 */
export function seqlockRead(header, data, dst) {
  for (let attempt = 0; attempt < 64; attempt++) {
    const s1 = Atomics.load(header, 0);
    if ((s1 & 1) !== 0) continue;
    dst.set(data);
    if (Atomics.load(header, 0) === s1) return s1;
  }
  return -1;
}
