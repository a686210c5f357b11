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
  const data = inputs ? decodeF32(inputs.b64) : null;
  const runs = [];
  for (let rep = 0; rep < reps; rep++) {
    const ctx = new OfflineAudioContext(2, frames, rate);
    const engine = await createDawgEngine(ctx, { variant, events, session: doc });
    const errors = [];
    engine.onError((e) => errors.push({ message: e.message, fatal: e.fatal }));
    if (data !== null) feedTracks(ctx, engine, data, inputs.tracks, inputs.frames, rate);
    engine.node.connect(ctx.destination);
    for (const c of calls) {
      const args = c.args.slice();
      if (c.frame !== undefined) args.push(c.frame / rate);
      engine[c.call](...args);
    }
    if (sync) await engine.sync();
    const out = await ctx.startRendering();
    await engine.sync(); // every report of the processor has arrived
    runs.push({ b64: encodeStereo(out, frames), transport: engine.transport, errors });
    engine.dispose();
  }
  return runs;
});
