// Runs one JavaScript DSP object (a unit, a channel strip, a source) of the
// JavaScript engine over a planar float32 signal, for the tests.
//
// Usage: node run_unit.mjs JOB_JSON   (or `-` / nothing: the job on stdin)
//
// The job (JSON):
//   module      file name in web/static (or `module_path`: an absolute path)
//   class       exported class name; `args` its constructor arguments
//   channels    planar channels handed to the process method (default 2)
//   frames      frames of signal
//   input       raw float32 file, channel after channel (absent: silence)
//   output      raw float32 file written the same way
//   blocks      block sizes, used in turn until the signal is consumed
//   calls       [{frame, method, args}]: method called before frame `frame`
//               is processed (blocks are split there), in list order
//   process     the method run on each block (default "process"), called
//               as method(ch0, ch1, ..., start, end) on whole-signal buffers
//   probes      methods called (no arguments) after every block; their
//               results are reported per block
// Prints JSON: {"blocks": [[start, end], ...], "probes": {name: [...]}}.

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const STATIC = join(here, "..", "..", "web", "static");

function fail(message) {
  process.stderr.write(`run_unit: ${message}\n`);
  process.exit(2);
}

function readJob() {
  const arg = process.argv[2];
  const text = arg === undefined || arg === "-" ? readFileSync(0, "utf8") : arg;
  try {
    return JSON.parse(text);
  } catch (e) {
    return fail(`the job is not JSON (${e.message})`);
  }
}

function plain(v) {
  if (typeof v === "number" && !Number.isFinite(v)) {
    return String(v); // NaN, Infinity, -Infinity as strings: JSON has none
  }
  return v === undefined ? null : v;
}

async function main() {
  const job = readJob();
  const channels = job.channels ?? 2;
  const frames = job.frames;
  if (!Number.isInteger(frames) || frames < 0) {
    fail("`frames` must be a non-negative integer");
  }
  const path = job.module_path ?? join(STATIC, job.module ?? "");
  const mod = await import(pathToFileURL(path).href);
  const Cls = mod[job.class];
  if (typeof Cls !== "function") {
    fail(`${path} exports no class ${job.class}`);
  }
  const obj = new Cls(...(job.args ?? []));
  const bufs = [];
  let src = null;
  if (job.input) {
    const bytes = readFileSync(job.input);
    if (bytes.length !== channels * frames * 4) {
      fail(`${job.input} holds ${bytes.length} bytes, want ${channels * frames * 4}`);
    }
    src = new Float32Array(bytes.buffer, bytes.byteOffset, channels * frames);
  }
  for (let c = 0; c < channels; c++) {
    const b = new Float32Array(frames);
    if (src !== null) {
      b.set(src.subarray(c * frames, (c + 1) * frames));
    }
    bufs.push(b);
  }
  const calls = (job.calls ?? []).slice().sort((a, b) => a.frame - b.frame);
  for (const c of calls) {
    if (!Number.isInteger(c.frame) || c.frame < 0 || c.frame > frames) {
      fail(`call ${JSON.stringify(c)}: \`frame\` must be an integer in [0, ${frames}]`);
    }
    if (typeof obj[c.method] !== "function") {
      fail(`call ${JSON.stringify(c)}: ${job.class} has no method ${c.method}`);
    }
  }
  const blocks = job.blocks ?? [128];
  if (blocks.length === 0 || !blocks.every((b) => Number.isInteger(b) && b > 0)) {
    fail("`blocks` must be a non-empty list of positive integers");
  }
  const method = job.process ?? "process";
  const probeNames = job.probes ?? [];
  const probes = {};
  for (const p of probeNames) {
    probes[p] = [];
  }
  const done = [];
  let pos = 0;
  let bi = 0;
  let ci = 0;
  while (pos < frames || ci < calls.length) {
    while (ci < calls.length && calls[ci].frame <= pos) {
      const c = calls[ci++];
      obj[c.method](...(c.args ?? []));
    }
    if (pos >= frames) {
      break;
    }
    let end = Math.min(frames, pos + blocks[bi++ % blocks.length]);
    if (ci < calls.length && calls[ci].frame < end) {
      end = calls[ci].frame;
    }
    obj[method](...bufs, pos, end);
    done.push([pos, end]);
    for (const p of probeNames) {
      probes[p].push(plain(obj[p]()));
    }
    pos = end;
  }
  if (job.output) {
    const out = new Float32Array(channels * frames);
    for (let c = 0; c < channels; c++) {
      out.set(bufs[c], c * frames);
    }
    writeFileSync(job.output, new Uint8Array(out.buffer));
  }
  process.stdout.write(JSON.stringify({ blocks: done, probes }));
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
