// Evaluated by Playwright in the demo page: renders tracks of planar float32
// input through the generated worklet in an OfflineAudioContext and returns
// the master output as base64 float32 (planar L then R).
(async ({ b64, rate, frames, tracks, params, variant, change }) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const data = new Float32Array(bytes.buffer);
  const ctx = new OfflineAudioContext(2, frames, rate);
  const { createDawgEngine } = await import("/dist/dawg-engine.js");
  const engine = await createDawgEngine(ctx, { tracks, variant, params });
  for (let t = 0; t < tracks; t++) {
    const buf = ctx.createBuffer(2, frames, rate);
    buf.copyToChannel(data.subarray((2 * t) * frames, (2 * t + 1) * frames), 0);
    buf.copyToChannel(data.subarray((2 * t + 1) * frames, (2 * t + 2) * frames), 1);
    const src = new AudioBufferSourceNode(ctx, { buffer: buf });
    src.connect(engine.node, 0, t);
    src.start(0);
  }
  engine.node.connect(ctx.destination);
  if (change) {
    ctx.suspend(change.frame / rate).then(() => {
      for (const c of change.params) engine.setParam(c.name, c.value, c.track);
      engine.flush();
      ctx.resume();
    });
  }
  const out = await ctx.startRendering();
  const res = new Float32Array(2 * frames);
  res.set(out.getChannelData(0), 0);
  res.set(out.getChannelData(1), frames);
  const u8 = new Uint8Array(res.buffer);
  let s = "";
  for (let i = 0; i < u8.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
  }
  return { b64: btoa(s), variant: engine.variant };
});
