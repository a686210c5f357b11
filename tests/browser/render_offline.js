// Evaluated by Playwright in the demo page: renders tracks of planar float32
// input through the generated worklet in an OfflineAudioContext and returns
// the master output as base64 float32 (planar L then R).
(async ({ b64, rate, frames, tracks, params, variant, change }) => {
  const data = decodeF32(b64);
  const ctx = new OfflineAudioContext(2, frames, rate);
  const { createDawgEngine } = await import("/dist/dawg-engine.js");
  const engine = await createDawgEngine(ctx, { tracks, variant, params });
  feedTracks(ctx, engine, data, tracks, frames, rate);
  engine.node.connect(ctx.destination);
  if (change) {
    ctx.suspend(change.frame / rate).then(() => {
      for (const c of change.params) engine.setParam(c.name, c.value, c.track);
      engine.flush();
      ctx.resume();
    });
  }
  const out = await ctx.startRendering();
  return { b64: encodeStereo(out, frames), variant: engine.variant };
});
