// Evaluated by Playwright in a page served with dist/ at /dist/: creates an
// engine on an OfflineAudioContext from a session document, makes API calls
// before rendering starts, optionally awaits engine.sync(), then renders, and
// does all of that `reps` times, each on a fresh context.
//
// args: {doc, rate, frames, variant, events: "ring"|"message", sync: boolean, reps,
//        inputs?: {b64 (float32, tracks x 2 x frames, planar), tracks, frames},
//        calls: [{call: "setParam"|"rampParam"|"noteOn"|"noteOff", args: [...], frame?}]}
//        (frame: context frame, passed as the last argument `when` = frame / rate)
// Returns one entry per rep: {b64 (master output, planar L then R), transport, errors}.
(async ({ doc, rate, frames, variant, events, sync, reps, inputs, calls }) => {
  const { createDawgEngine } = await import("/dist/dawg-engine.js");
  let data = null;
  if (inputs) {
    const bytes = Uint8Array.from(atob(inputs.b64), (c) => c.charCodeAt(0));
    data = new Float32Array(bytes.buffer);
  }
  const runs = [];
  for (let rep = 0; rep < reps; rep++) {
    const ctx = new OfflineAudioContext(2, frames, rate);
    const engine = await createDawgEngine(ctx, { variant, events, session: doc });
    const errors = [];
    engine.onError((e) => errors.push({ message: e.message, fatal: e.fatal }));
    if (data !== null) {
      const n = inputs.frames;
      for (let t = 0; t < inputs.tracks; t++) {
        const buf = ctx.createBuffer(2, n, rate);
        buf.copyToChannel(data.subarray(2 * t * n, (2 * t + 1) * n), 0);
        buf.copyToChannel(data.subarray((2 * t + 1) * n, (2 * t + 2) * n), 1);
        const src = new AudioBufferSourceNode(ctx, { buffer: buf });
        src.connect(engine.node, 0, t);
        src.start(0);
      }
    }
    engine.node.connect(ctx.destination);
    for (const c of calls) {
      const args = c.args.slice();
      if (c.frame !== undefined) args.push(c.frame / rate);
      engine[c.call](...args);
    }
    if (sync) await engine.sync();
    const out = await ctx.startRendering();
    await engine.sync(); // every report of the processor has arrived
    const res = new Float32Array(2 * frames);
    res.set(out.getChannelData(0), 0);
    res.set(out.getChannelData(1), frames);
    const u8 = new Uint8Array(res.buffer);
    let s = "";
    for (let i = 0; i < u8.length; i += 0x8000) {
      s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
    }
    runs.push({ b64: btoa(s), transport: engine.transport, errors });
    engine.dispose();
  }
  return runs;
});
