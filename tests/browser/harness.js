// Helpers shared by the render harnesses (render_*.js). Each harness is an
// async arrow function; tests/browser/harness.py puts these in scope for it.

/** Planar float32 data sent from Python as base64. */
function decodeF32(b64) {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}

/** Feed `tracks` stereo tracks of `frames` frames (planar: track, channel) into the engine's inputs. */
function feedTracks(ctx, engine, data, tracks, frames, rate) {
  for (let t = 0; t < tracks; t++) {
    const buf = ctx.createBuffer(2, frames, rate);
    buf.copyToChannel(data.subarray(2 * t * frames, (2 * t + 1) * frames), 0);
    buf.copyToChannel(data.subarray((2 * t + 1) * frames, (2 * t + 2) * frames), 1);
    const src = new AudioBufferSourceNode(ctx, { buffer: buf });
    src.connect(engine.node, 0, t);
    src.start(0);
  }
}

/** A rendered stereo AudioBuffer as base64 float32, planar L then R. */
function encodeStereo(out, frames) {
  const res = new Float32Array(2 * frames);
  res.set(out.getChannelData(0), 0);
  res.set(out.getChannelData(1), frames);
  const u8 = new Uint8Array(res.buffer);
  let s = "";
  for (let i = 0; i < u8.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
  }
  return btoa(s);
}
