// Serves the JavaScript engine of a dawgwasm build, or one of its wasm
// modules run by node's V8, to Python over stdin/stdout:
// `node _node_host.mjs <build folder> [<module.wasm>]`.
//
// Without a module it imports <build>/dawg-js-abi.js, reads
// <build>/manifest.json and creates the exports (createJsExports); with one
// it instantiates the module (it imports nothing) and serves its exports.
// It answers one request at a time. Every
// message is a little-endian u32 byte length followed by its body.
//
// Request:  u8 op (1 call, 2 quit) | u16 name length | name (UTF-8)
//           | u8 argument count | arguments (f64 each)
//           | u32 page count | pages (u32 page index, PAGE_BYTES bytes each)
// Reply:    u8 0 | f64 result | u32 memory bytes | u32 page count | pages
//           u8 1 | UTF-8 text of the error
//
// Linear memory is mirrored on both sides: a request carries the pages the
// host changed since the last reply, which are written before the call; a
// reply carries every page the call changed (and the memory's new size when
// it grew). The first reply, to the implicit call of nothing at start-up,
// carries the whole initial memory.

import { readFileSync, readSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const PAGE_BYTES = 4096;
const OP_CALL = 1;
const OP_QUIT = 2;

function writeAll(buf) {
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(1, buf, off, buf.length - off);
    } catch (e) {
      if (e.code !== "EAGAIN") {
        throw e;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

function readExactly(n) {
  const buf = Buffer.alloc(n);
  let off = 0;
  while (off < n) {
    let got;
    try {
      got = readSync(0, buf, off, n - off, null);
    } catch (e) {
      if (e.code === "EAGAIN") {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      if (e.code === "EOF") {
        return null;
      }
      throw e;
    }
    if (got === 0) {
      return null;
    }
    off += got;
  }
  return buf;
}

function sendError(text) {
  const body = Buffer.from(text, "utf8");
  const head = Buffer.alloc(5);
  head.writeUInt32LE(body.length + 1, 0);
  head.writeUInt8(1, 4);
  writeAll(Buffer.concat([head, body]));
}

let exports;
const wasmFile = process.argv[3];
try {
  if (wasmFile === undefined) {
    const dist = resolve(process.argv[2]);
    const table = JSON.parse(readFileSync(join(dist, "manifest.json"), "utf8"));
    const abi = await import(pathToFileURL(join(dist, "dawg-js-abi.js")).href);
    exports = abi.createJsExports(table);
  } else {
    const module = new WebAssembly.Module(readFileSync(resolve(wasmFile)));
    exports = new WebAssembly.Instance(module, {}).exports;
  }
} catch (e) {
  const what = wasmFile === undefined ? "the JavaScript engine" : `the module ${wasmFile}`;
  sendError(`cannot load ${what}: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
}

/** The memory as the host last saw it. */
let shadow = Buffer.alloc(0);

/** The reply to a call that returned `result`: the changed pages. */
function reply(result) {
  const buffer = exports.memory.buffer;
  const size = buffer.byteLength;
  const mem = Buffer.from(buffer, 0, size);
  if (shadow.length !== size) {
    const grown = Buffer.alloc(size);
    shadow.copy(grown, 0, 0, Math.min(shadow.length, size));
    shadow = grown;
  }
  const changed = [];
  // Compare runs of pages, halving a run only where it differs.
  const pending = [0, size];
  while (pending.length > 0) {
    const end = pending.pop();
    const off = pending.pop();
    if (mem.compare(shadow, off, end, off, end) === 0) {
      continue;
    }
    if (end - off <= PAGE_BYTES) {
      changed.push(off);
      continue;
    }
    const mid = off + Math.ceil((end - off) / 2 / PAGE_BYTES) * PAGE_BYTES;
    pending.push(mid, end, off, mid);
  }
  const head = Buffer.alloc(4 + 1 + 8 + 4 + 4);
  const bodyLength = head.length - 4 + changed.length * (4 + PAGE_BYTES);
  head.writeUInt32LE(bodyLength, 0);
  head.writeUInt8(0, 4);
  head.writeDoubleLE(result, 5);
  head.writeUInt32LE(size, 13);
  head.writeUInt32LE(changed.length, 17);
  const parts = [head];
  for (const off of changed) {
    const index = Buffer.alloc(4);
    index.writeUInt32LE(off / PAGE_BYTES, 0);
    parts.push(index, mem.subarray(off, off + PAGE_BYTES));
    mem.copy(shadow, off, off, off + PAGE_BYTES);
  }
  writeAll(Buffer.concat(parts));
}

reply(0);

for (;;) {
  const head = readExactly(4);
  if (head === null) {
    break;
  }
  const body = readExactly(head.readUInt32LE(0));
  if (body === null) {
    break;
  }
  let at = 0;
  const op = body.readUInt8(at);
  at += 1;
  if (op === OP_QUIT) {
    break;
  }
  if (op !== OP_CALL) {
    sendError(`unknown request ${op}`);
    continue;
  }
  const nameLength = body.readUInt16LE(at);
  at += 2;
  const name = body.toString("utf8", at, at + nameLength);
  at += nameLength;
  const argc = body.readUInt8(at);
  at += 1;
  const args = [];
  for (let i = 0; i < argc; i++) {
    args.push(body.readDoubleLE(at));
    at += 8;
  }
  const pages = body.readUInt32LE(at);
  at += 4;
  const mem = Buffer.from(exports.memory.buffer);
  for (let i = 0; i < pages; i++) {
    const off = body.readUInt32LE(at) * PAGE_BYTES;
    at += 4;
    body.copy(mem, off, at, at + PAGE_BYTES);
    body.copy(shadow, off, at, at + PAGE_BYTES);
    at += PAGE_BYTES;
  }
  const fn = exports[name];
  if (typeof fn !== "function") {
    sendError(`the JavaScript engine does not export ${name}`);
    continue;
  }
  let result;
  try {
    result = fn(...args);
  } catch (e) {
    sendError(`${name} threw: ${e && e.stack ? e.stack : e}`);
    continue;
  }
  reply(typeof result === "number" ? result : NaN);
}
