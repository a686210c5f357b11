// Evaluated by Playwright in a page served with dist/ at /dist/: starts
// realtime playback of the reference session (looping) on a realtime
// AudioContext with the given backend, or, for the control, a processor that
// allocates from process() (its source in `controlSource`, registered as
// "allocating-control"). Leaves {ctx, engine} on `window.dawgPlay` so the test
// can read the clock and the meters while it measures the worklet's heap.
//
// args: {backend: "wasm-simd"|"wasm-scalar"|"js"|null, controlSource?: string}
(async ({ backend, controlSource }) => {
  const ctx = new AudioContext({ sampleRate: 48000 });
  if (controlSource) {
    const url = URL.createObjectURL(new Blob([controlSource], { type: "text/javascript" }));
    await ctx.audioWorklet.addModule(url);
    const node = new AudioWorkletNode(ctx, "allocating-control", { outputChannelCount: [2] });
    node.connect(ctx.destination);
    await ctx.resume();
    window.dawgPlay = { ctx, engine: null, errors: [] };
    return { backend: null, transport: null };
  }
  const { createDawgEngine } = await import("/dist/dawg-engine.js");
  const sessionUrl = "/dist/reference-session.json";
  const doc = await (await fetch(sessionUrl)).json();
  const engine = await createDawgEngine(ctx, { session: doc, sessionUrl, backend, start: 0, loop: true });
  const errors = [];
  engine.onError((e) => errors.push(e.message));
  engine.node.connect(ctx.destination);
  await ctx.resume();
  window.dawgPlay = { ctx, engine, errors };
  return { backend: engine.backend, transport: engine.transport };
});
