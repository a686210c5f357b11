// Targets: how a parameter change, an event or a structure call names a
// channel or one of its insert slots, packed into one 32-bit word
// (dsp_rust/src/engine/targets.rs): `slot << 16 | kind << 12 | index`;
// slot 0 is the channel itself, slots 1..=8 its inserts.

/** Target kind: a track (index 0..tracks). */
export const TARGET_TRACK = 0;
/** Target kind: a bus (index 0..BUSES_MAX). */
export const TARGET_BUS = 1;
/** Target kind: the master (index 0). */
export const TARGET_MASTER = 2;

/** Encode a target, as the unsigned 32-bit word the Rust computes. */
export function target(kind, index, slot) {
  return ((slot << 16) | (kind << 12) | index) >>> 0;
}

/** The kind of target word `t`. */
export function targetKind(t) {
  return (t >>> 12) & 0xf;
}

/** The channel index of target word `t`. */
export function targetIndex(t) {
  return t & 0xfff;
}

/** The insert slot of target word `t` (0: the channel itself). */
export function targetSlot(t) {
  return t >>> 16;
}
