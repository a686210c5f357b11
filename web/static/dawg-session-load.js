// dawg-session-load.js — a session document made ready for the processor on the
// main thread (hand-written; not generated): validated against the build, the
// samples its tracks play fetched and decoded (built-ins from dist/samples/,
// files from the session's folder, or given by the caller), the configure ops
// and the pattern of one pass built.

import { errorText } from "./dawg-checks.js";
import { describe } from "./dawg-rules.js";
import { passFrames, sessionOps, sessionPattern } from "./dawg-schedule.js";
import { parseSession } from "./dawg-session.js";

/** Built-in sample index promises per URL. */
const sampleIndexes = new Map();

async function fetchOk(url, what) {
  let response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new Error("could not fetch " + what + " " + url + ": " + errorText(err), { cause: err });
  }
  if (!response.ok) {
    throw new Error("could not load " + what + " " + url + ": HTTP " + response.status);
  }
  return response;
}

/** dist/samples/index.json: built-in sample name → {channels, frames, sample_rate_hz}. */
function sampleIndex(fileUrl) {
  const key = String(fileUrl("samples/index.json"));
  let promise = sampleIndexes.get(key);
  if (promise === undefined) {
    promise = fetchOk(key, "the built-in sample index").then((r) => r.json());
    promise.catch(() => sampleIndexes.delete(key));
    sampleIndexes.set(key, promise);
  }
  return promise;
}

function planar(buffer) {
  const channels = Math.min(2, buffer.numberOfChannels);
  const frames = buffer.length;
  const data = new Float32Array(channels * frames);
  for (let c = 0; c < channels; c++) data.set(buffer.getChannelData(c), c * frames);
  return { channels, frames, sampleRate: buffer.sampleRate, data };
}

async function sampleData(name, spec, provided, fileUrl, sessionFolder, context, index) {
  const given = provided && Object.prototype.hasOwnProperty.call(provided, name) ? provided[name] : undefined;
  if (given !== undefined) {
    if (typeof AudioBuffer === "function" && given instanceof AudioBuffer) return planar(given);
    const { channels, frames, sampleRate, data } = given;
    if (!(data instanceof Float32Array) || (channels !== 1 && channels !== 2) || data.length !== channels * frames) {
      throw new TypeError("options.samples." + name + " must be an AudioBuffer or {channels: 1|2, frames, sampleRate, data: planar Float32Array}");
    }
    // A copy: the processor takes ownership of what it is sent.
    return { channels, frames, sampleRate, data: data.slice() };
  }
  if (spec.builtin !== undefined) {
    const info = index[spec.builtin];
    const url = fileUrl("samples/" + spec.builtin + ".f32"); // a name of the index
    const bytes = await (await fetchOk(url, "the built-in sample")).arrayBuffer();
    const data = new Float32Array(bytes); // little-endian float32, as every Web Audio platform is
    if (data.length !== info.channels * info.frames) {
      throw new Error(url + " holds " + data.length + " floats; its index entry says " + info.channels + " x " + info.frames);
    }
    return { channels: info.channels, frames: info.frames, sampleRate: info.sample_rate_hz, data };
  }
  // checkSampleFile() allowed only plain relative segments; each is encoded, so
  // that "%2e%2e", "?" or "#" name a file and cannot leave the session's folder.
  let url;
  try {
    url = new URL(spec.file.split("/").map(encodeURIComponent).join("/"), sessionFolder);
  } catch (err) {
    throw new Error("could not load the sample file " + JSON.stringify(spec.file) + ": " + errorText(err), { cause: err });
  }
  const bytes = await (await fetchOk(url, "the sample file")).arrayBuffer();
  return planar(await context.decodeAudioData(bytes));
}

/** The URL sample files are resolved against: the session document's URL, else the page's. */
function sessionBase(sessionUrl) {
  if (sessionUrl === undefined) {
    return typeof document !== "undefined" ? document.baseURI : String(globalThis.location || "");
  }
  try {
    return String(new URL(sessionUrl, typeof document !== "undefined" ? document.baseURI : undefined));
  } catch (err) {
    throw new TypeError("sessionUrl = " + describe(String(sessionUrl)) + " is not a URL", { cause: err });
  }
}

/**
 * Validate, load samples, build the ops and the pattern of a session document.
 * `fileUrl(path)` is the URL of a file of the build by its path in dist/.
 */
export async function prepareSession(manifest, fileUrl, context, doc, options, tracks) {
  let index = {};
  const wantsBuiltins = doc && typeof doc === "object" && doc.samples && typeof doc.samples === "object" &&
    Object.values(doc.samples).some((s) => s && typeof s === "object" && "builtin" in s);
  if (wantsBuiltins) index = await sampleIndex(fileUrl);
  const session = parseSession(doc, manifest, Object.keys(index));
  const sessionFolder = sessionBase(options.sessionUrl);
  if (tracks !== undefined && session.tracks.length > tracks) {
    throw new RangeError("the session has " + session.tracks.length + " tracks; this engine has " + tracks);
  }
  const ops = sessionOps(session, manifest);
  const loads = [];
  for (const op of ops) {
    if (op.op !== "sample") continue;
    loads.push(
      sampleData(op.name, session.samples.get(op.name), options.samples, fileUrl, sessionFolder, context, index).then((s) => {
        Object.assign(op, s);
      })
    );
  }
  await Promise.all(loads);
  const rate = context.sampleRate;
  const pattern = sessionPattern(session, manifest, rate, { loop: options.loop !== false, frames: options.frames });
  return { session, ops, pattern, passFrames: passFrames(session, rate) };
}
