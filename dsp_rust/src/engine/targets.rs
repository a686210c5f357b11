//! Targets: how a parameter change, an event or a structure call names a
//! channel or one of its insert slots, packed into one `u32`.

/// Target kind: a track (index 0..tracks).
pub const TARGET_TRACK: u32 = 0;
/// Target kind: a bus (index 0..BUSES_MAX).
pub const TARGET_BUS: u32 = 1;
/// Target kind: the master (index 0).
pub const TARGET_MASTER: u32 = 2;

/// Encode a target: `slot << 16 | kind << 12 | index`; slot 0 is the
/// channel itself, slots 1..=8 its inserts.
pub const fn target(kind: u32, index: u32, slot: u32) -> u32 {
    slot << 16 | kind << 12 | index
}

/// Split a target into (kind, index, slot).
pub fn decode(target: u32) -> (u32, usize, usize) {
    (
        (target >> 12) & 0xf,
        (target & 0xfff) as usize,
        (target >> 16) as usize,
    )
}
