// Linear memory for the JavaScript engine: one ArrayBuffer addressed by
// byte offsets, as a wasm instance's memory is. Engines keep the buffers a
// host reads and writes (inputs, output, meters, event staging, sample
// data) here, so a host drives them through pointers exactly as it drives
// the wasm engine. Growing replaces the buffer with a bigger copy (as
// `WebAssembly.Memory.grow` detaches the old one); whoever holds views
// registers to be told.
//
// Allocation (first fit with coalescing free blocks) happens only in
// structure calls, never while rendering.

/** Bytes per page, as in wasm. */
export const PAGE_BYTES = 65536;
/** Alignment of every block. */
const ALIGN = 16;
/** Offsets below this are never handed out (0 is the null pointer). */
const FIRST_OFFSET = 1024;

/** A growable byte space with an allocator; `buffer` is its current ArrayBuffer. */
export class LinearMemory {
  constructor(initialPages, maxPages) {
    this.maxPages = maxPages;
    this.buffer = new ArrayBuffer(initialPages * PAGE_BYTES);
    this.top = FIRST_OFFSET;
    this.sizes = new Map();
    this.freeStarts = [];
    this.freeSizes = [];
    this.listeners = [];
    this.refresh();
  }

  refresh() {
    this.u8 = new Uint8Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer);
    this.f32 = new Float32Array(this.buffer);
  }

  /** Call `listener.remap()` after every growth. */
  listen(listener) {
    this.listeners.push(listener);
  }

  unlisten(listener) {
    const i = this.listeners.indexOf(listener);
    if (i >= 0) {
      this.listeners.splice(i, 1);
    }
  }

  /** Grow by `pages` pages; the previous size in pages, or -1 if refused (as WebAssembly.Memory.grow throws). */
  grow(pages) {
    const old = this.buffer.byteLength / PAGE_BYTES;
    if (pages === 0) {
      return old;
    }
    if (old + pages > this.maxPages) {
      return -1;
    }
    let next;
    try {
      next = new ArrayBuffer((old + pages) * PAGE_BYTES);
    } catch {
      return -1;
    }
    new Uint8Array(next).set(this.u8);
    this.buffer = next;
    this.refresh();
    for (const l of this.listeners) {
      l.remap();
    }
    return old;
  }

  /** A zero-filled block of `bytes` bytes: its offset, or 0 if memory cannot hold it. */
  alloc(bytes) {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.freeStarts.length; i++) {
      if (this.freeSizes[i] >= size) {
        const at = this.freeStarts[i];
        if (this.freeSizes[i] === size) {
          this.freeStarts.splice(i, 1);
          this.freeSizes.splice(i, 1);
        } else {
          this.freeStarts[i] += size;
          this.freeSizes[i] -= size;
        }
        this.u8.fill(0, at, at + size);
        this.sizes.set(at, size);
        return at;
      }
    }
    const end = this.top + size;
    if (end > this.buffer.byteLength) {
      const have = this.buffer.byteLength / PAGE_BYTES;
      const need = Math.ceil(end / PAGE_BYTES);
      const want = Math.min(this.maxPages, Math.max(need, have * 2));
      if (need > this.maxPages || (this.grow(want - have) < 0 && this.grow(need - have) < 0)) {
        return 0;
      }
    }
    const at = this.top;
    this.top = end;
    this.u8.fill(0, at, end);
    this.sizes.set(at, size);
    return at;
  }

  /** Release the block at `offset` (from alloc). */
  free(offset) {
    const size = this.sizes.get(offset);
    if (size === undefined) {
      return;
    }
    this.sizes.delete(offset);
    let i = 0;
    while (i < this.freeStarts.length && this.freeStarts[i] < offset) {
      i++;
    }
    this.freeStarts.splice(i, 0, offset);
    this.freeSizes.splice(i, 0, size);
    // Coalesce with the next block, then with the previous one.
    if (i + 1 < this.freeStarts.length && offset + size === this.freeStarts[i + 1]) {
      this.freeSizes[i] += this.freeSizes[i + 1];
      this.freeStarts.splice(i + 1, 1);
      this.freeSizes.splice(i + 1, 1);
    }
    if (i > 0 && this.freeStarts[i - 1] + this.freeSizes[i - 1] === offset) {
      this.freeSizes[i - 1] += this.freeSizes[i];
      this.freeStarts.splice(i, 1);
      this.freeSizes.splice(i, 1);
      i--;
    }
    // A free block at the top returns to the unallocated tail.
    const last = this.freeStarts.length - 1;
    if (last >= 0 && this.freeStarts[last] + this.freeSizes[last] === this.top) {
      this.top = this.freeStarts[last];
      this.freeStarts.pop();
      this.freeSizes.pop();
    }
  }

  /** A Float32Array over `count` floats at byte `offset`. */
  f32At(offset, count) {
    return new Float32Array(this.buffer, offset, count);
  }
}
