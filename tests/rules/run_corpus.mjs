// The JavaScript side of tests/rules: judges the corpus cases it reads on
// stdin with the build's own modules (dawg-rules.js, dawg-session.js in the
// folder named by argv[2]) and writes one verdict per case as JSON.
import { pathToFileURL } from "node:url";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
const rules = await import(pathToFileURL(join(dir, "dawg-rules.js")).href);
const session = await import(pathToFileURL(join(dir, "dawg-session.js")).href);
const input = JSON.parse(readFileSync(0, "utf8"));
const manifest = input.manifest;
const byName = new Map(manifest.params.map((p) => [p.name, p]));

function decode(v) {
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.length === 1 && (keys[0] === "$number" || keys[0] === "$int")) return Number(v[keys[0]]);
    return Object.fromEntries(keys.map((k) => [k, decode(v[k])]));
  }
  return v;
}

function verdict(run) {
  try {
    return { ok: true, result: run() };
  } catch (err) {
    return { ok: false, error: err.name, path: err.path === undefined ? null : err.path, message: err.message };
  }
}

const out = {
  values: input.values.map((c) => verdict(() => rules.checkValue(byName.get(c.param), decode(c.value)))),
  targets: input.targets.map((c) => verdict(() => rules.resolveTarget(manifest, byName.get(c.param), decode(c.where), c.tracks))),
  sessions: input.sessions.map((doc) => verdict(() => {
    session.parseSession(decode(doc), manifest, input.builtins);
    return true;
  })),
};
process.stdout.write(JSON.stringify(out));
