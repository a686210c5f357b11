// Evaluated by Playwright in a page served with dist/ at /dist/: renders a
// session document through the generated worklet in an OfflineAudioContext
// and returns the master output as base64 float32 (planar L then R), the
// transport used and the last meter window.
//
// args: {doc, rate, frames, variant, events: "auto"|"ring"|"message",
//        via: "create" (session in processorOptions) | "load" (loadSession message),
//        loop, tracks?, inputs?: base64 float32 (tracks x 2 x frames, planar),
//        api?: [{call: "noteOn"|"noteOff"|"rampParam"|"setParam"|"allNotesOff", args: [...],
//                frame?, at?}]
//              (frame: context frame, passed as `when` = frame / rate; at: make the call
//               while rendering, with the context suspended at that frame)}
(async ({ doc, rate, frames, variant, events, via, loop, tracks, inputs, api }) => {
  const ctx = new OfflineAudioContext(2, frames, rate);
  const { createDawgEngine } = await import("/dist/dawg-engine.js");
  let engine;
  if (via === "create") {
    engine = await createDawgEngine(ctx, { variant, events, tracks, session: doc, start: 0, loop });
  } else {
    engine = await createDawgEngine(ctx, { variant, events, tracks: tracks || doc.tracks.length });
    await engine.loadSession(doc, { start: 0, loop });
  }
  const errors = [];
  engine.onError((e) => errors.push(e.message));
  if (inputs) {
    const bytes = Uint8Array.from(atob(inputs.b64), (c) => c.charCodeAt(0));
    const data = new Float32Array(bytes.buffer);
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
  const res = new Float32Array(2 * frames);
  res.set(out.getChannelData(0), 0);
  res.set(out.getChannelData(1), frames);
  const u8 = new Uint8Array(res.buffer);
  let s = "";
  for (let i = 0; i < u8.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
  }
  return { b64: btoa(s), variant: engine.variant, transport: engine.transport, meters, errors };
});
