"""Sample-accurate events for the engine's queue (``dsp_rust/src/events.rs``).

An event is eight 32-bit words in linear memory: frame offset (from the
start of the next ``process`` call), kind, target, id (note or parameter),
value (velocity or parameter value), aux (ramp duration in ms), two
reserved words.
"""

from __future__ import annotations

from typing import Final, NamedTuple, TypedDict

import numpy as np

__all__ = [
    "EVENT_DTYPE",
    "TARGET_BUS",
    "TARGET_LAYOUT",
    "TARGET_MASTER",
    "TARGET_TRACK",
    "Event",
    "TargetLayout",
    "all_notes_off",
    "encode_target",
    "note_off",
    "note_on",
    "param_ramp",
    "param_set",
]

NOTE_ON: Final = 0
NOTE_OFF: Final = 1
PARAM_SET: Final = 2
PARAM_RAMP: Final = 3
ALL_NOTES_OFF: Final = 4

TARGET_TRACK: Final = 0
TARGET_BUS: Final = 1
TARGET_MASTER: Final = 2


class TargetLayout(TypedDict):
    """How a target packs a channel and an insert slot into 32 bits."""

    kinds: dict[str, int]
    kind_shift: int
    slot_shift: int
    index_bits: int
    kind_bits: int


#: The target layout: ``slot << 16 | kind << 12 | index``; slot 0 is the
#: channel itself, 1.. its inserts. Modules are held to it through
#: ``dawg_target`` when they load; the manifest's ``rules`` publish it.
TARGET_LAYOUT: Final[TargetLayout] = {
    "kinds": {"track": TARGET_TRACK, "bus": TARGET_BUS, "master": TARGET_MASTER},
    "kind_shift": 12,
    "slot_shift": 16,
    "index_bits": 12,
    "kind_bits": 4,
}

EVENT_DTYPE: Final = np.dtype(
    [
        ("offset_frames", "<u4"),
        ("kind", "<u4"),
        ("target", "<u4"),
        ("id", "<u4"),
        ("value", "<f4"),
        ("aux", "<f4"),
        ("reserved", "<u4", (2,)),
    ]
)


def encode_target(kind: int, index: int, slot: int = 0) -> int:
    """``slot << 16 | kind << 12 | index`` (:data:`TARGET_LAYOUT`): slot 0 is
    the channel, 1..8 its inserts."""
    layout = TARGET_LAYOUT
    return slot << layout["slot_shift"] | kind << layout["kind_shift"] | index


class Event(NamedTuple):
    """One queued event; ``frame`` counts from the start of the render."""

    frame: int
    kind: int
    target: int
    id: int
    value: float
    aux: float = 0.0


def note_on(frame: int, track: int, note: int, velocity: float) -> Event:
    """Start MIDI ``note`` on ``track`` at ``frame`` with ``velocity`` in 0..1."""
    return Event(frame, NOTE_ON, encode_target(TARGET_TRACK, track), note, velocity)


def note_off(frame: int, track: int, note: int) -> Event:
    """Release MIDI ``note`` on ``track`` at ``frame``."""
    return Event(frame, NOTE_OFF, encode_target(TARGET_TRACK, track), note, 0.0)


def all_notes_off(frame: int, track: int) -> Event:
    """Release every note of ``track`` at ``frame``."""
    return Event(frame, ALL_NOTES_OFF, encode_target(TARGET_TRACK, track), 0, 0.0)


def param_set(frame: int, target: int, param_id: int, value: float) -> Event:
    """Set a parameter at ``frame`` (it then ramps over its smoothing time)."""
    return Event(frame, PARAM_SET, target, param_id, value)


def param_ramp(frame: int, target: int, param_id: int, value: float, duration_ms: float) -> Event:
    """Ramp a parameter linearly to ``value`` over ``duration_ms`` from ``frame``."""
    return Event(frame, PARAM_RAMP, target, param_id, value, duration_ms)
