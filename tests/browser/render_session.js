// Evaluated by Playwright in a page served with dist/ at /dist/: renders a
// session document through the generated worklet in an OfflineAudioContext
// and returns the master output as base64 float32 (planar L then R), the
// transport used and the last meter window.
//
// args: {doc, rate, frames, variant | backend, events: "auto"|"ring"|"message",
//        via: "create" (session in processorOptions) | "load" (loadSession message),
//        loop, tracks?, inputs?: base64 float32 (tracks x 2 x frames, planar),
//        api?: [{call: "noteOn"|"noteOff"|"rampParam"|"setParam"|"allNotesOff", args: [...],
//                frame?, at?}]
//              (frame: context frame, passed as `when` = frame / rate; at: make the call
//               while rendering, with the context suspended at that frame)}
(async ({ doc, rate, frames, variant, backend, events, via, loop, tracks, inputs, api }) => {
  const ctx = new OfflineAudioContext(2, frames, rate);
  const { createDawgEngine } = await import("/dist/dawg-engine.js");
  const which = backend === undefined ? { variant } : { backend };
  let engine;
  if (via === "create") {
    engine = await createDawgEngine(ctx, { ...which, events, tracks, session: doc, start: 0, loop, measureLoad: true });
  } else {
    engine = await createDawgEngine(ctx, { ...which, events, tracks: tracks || doc.tracks.length, measureLoad: true });
    await engine.loadSession(doc, { start: 0, loop });
  }
  const errors = [];
  engine.onError((e) => errors.push(e.message));
  if (inputs) feedTracks(ctx, engine, decodeF32(inputs.b64), inputs.tracks, inputs.frames, rate);
  const call = (c) => {
    const args = c.args.slice();
    if (c.frame !== undefined) args.push(c.frame / rate);
    engine[c.call](...args);
  };
  // Calls with `at` (a multiple of 128) are made while rendering, the context
  // suspended at that frame; the others before rendering starts.
  const later = new Map();
  for (const c of api || []) {
    if (c.at === undefined) call(c);
    else later.set(c.at, (later.get(c.at) || []).concat([c]));
  }
  for (const [at, calls] of later) {
    ctx.suspend(at / rate).then(async () => {
      calls.forEach(call);
      // The ring needs nothing more; messages must be delivered before rendering resumes.
      if (engine.transport === "message") await engine.sync();
      ctx.resume();
    });
  }
  await engine.sync(); // every message (and, without the ring, every event) has arrived
  engine.node.connect(ctx.destination);
  const out = await ctx.startRendering();
  await engine.sync(); // meter messages posted during rendering have arrived
  const meters = engine.meters();
  return {
    b64: encodeStereo(out, frames),
    variant: engine.variant,
    backend: engine.backend,
    transport: engine.transport,
    meters,
    errors,
    load: engine.load(),
  };
});
