"""An engine created with ``start`` in the past joins the pattern where it
is: with ``join: true``, of the events due before its first quantum, a note
already over is skipped and a note still held starts on that quantum (it is
chased); without, every one of them is played late, all at once on that
quantum: a one-shot drum hit of the last 0.7 s sounds again (what the demo's
engine switch must not do). The engine is made while an OfflineAudioContext is
suspended a quarter of a second in, so its first quantum is known to the
frame. A synth note's attack starts from exactly 0, so its first sample is 0."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

RATE = 48000
JOIN_FRAME = 94 * 128  # the first quantum the engine renders (0.2507 s)
SECOND_NOTE_FRAME = RATE // 2  # beat 1 at 120 BPM


def doc(first_note_beats: float) -> dict[str, Any]:
    """A one-second loop of synth notes: one on beat 0 lasting
    ``first_note_beats``, and a short one on beat 1."""
    return {
        "format": "dawgwasm-session",
        "version": 1,
        "tempo_bpm": 120,
        "length_beats": 2,
        "tracks": [
            {
                "source": {"type": "synth", "params": {"synth_release_ms": 20}},
                "pattern": {
                    "notes": [
                        {"beat": 0, "note": 60, "length_beats": first_note_beats},
                        {"beat": 1, "note": 64, "length_beats": 0.25},
                    ]
                },
            }
        ],
    }


# A one-shot kick on beat 0 (its note over after 0.1 beats, the sample still
# ringing at the join) and on beat 1: the drum a switch must not replay.
OVER: dict[str, Any] = {
    "format": "dawgwasm-session",
    "version": 1,
    "tempo_bpm": 120,
    "length_beats": 2,
    "samples": {"kick": {"builtin": "kick"}},
    "tracks": [
        {
            "source": {"type": "sampler", "sample": "kick", "params": {"sampler_mode": 0}},
            "pattern": {
                "notes": [
                    {"beat": 0, "note": 60, "length_beats": 0.1},
                    {"beat": 1, "note": 60, "length_beats": 0.1},
                ]
            },
        }
    ],
}
HELD = doc(0.75)  # beat 0's synth note is still held at the join


# Render one second; at JOIN_FRAME make an engine whose pattern started at 0.
JOIN_LATE = """
async ({ doc, backend, join, joinFrame }) => {
  const { createDawgEngine } = await import("/dist/dawg-engine.js");
  const ctx = new OfflineAudioContext(2, 48000, 48000);
  let failed = null;
  const made = ctx.suspend(joinFrame / 48000).then(async () => {
    try {
      const options = { backend, session: doc, start: 0 };
      if (join !== null) options.join = join;
      const engine = await createDawgEngine(ctx, options);
      engine.node.connect(ctx.destination);
      await engine.sync();
      return engine;
    } catch (err) {
      failed = err;
      return null;
    } finally {
      ctx.resume();
    }
  });
  const out = await ctx.startRendering();
  const engine = await made;
  if (failed !== null) throw failed;
  engine.dispose();
  return Array.from(out.getChannelData(0));
}
"""


def render(page: Page, session: dict[str, Any], backend: str, join: bool | None) -> np.ndarray:
    got = page.evaluate(
        JOIN_LATE, {"doc": session, "backend": backend, "join": join, "joinFrame": JOIN_FRAME}
    )
    return np.array(got, dtype=np.float32)


def first_sound(x: np.ndarray, start: int = 0) -> int:
    return start + int(np.flatnonzero(x[start:])[0])


@pytest.mark.parametrize("backend", ["wasm-simd", "js"])
def test_joining_skips_the_notes_already_over(page: Page, backend: str) -> None:
    joined = render(page, OVER, backend, True)
    assert not np.any(joined[:SECOND_NOTE_FRAME]), "a note already over was played"
    # Beat 1's hit on its frame (its fade-in starts from 0).
    assert SECOND_NOTE_FRAME <= first_sound(joined) <= SECOND_NOTE_FRAME + 1
    assert float(np.max(np.abs(joined[SECOND_NOTE_FRAME : SECOND_NOTE_FRAME + 4800]))) > 0.01
    assert page.console_errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", ["wasm-simd", "js"])
def test_joining_chases_a_note_still_held(page: Page, backend: str) -> None:
    joined = render(page, HELD, backend, True)
    assert first_sound(joined) == JOIN_FRAME + 1
    assert float(np.max(np.abs(joined[JOIN_FRAME : JOIN_FRAME + 4800]))) > 0.01
    # It ends with its note-off (18000) and its release: silence before beat 1.
    assert not np.any(joined[18000 + 4800 : SECOND_NOTE_FRAME])
    assert first_sound(joined, 18000 + 4800) == SECOND_NOTE_FRAME + 1


@pytest.mark.parametrize("join", [None, False])
def test_without_join_the_missed_notes_play_late(page: Page, join: bool | None) -> None:
    late = render(page, OVER, "wasm-simd", join)
    # Beat 0's hit, due 0.25 s before, starts on the engine's first quantum.
    assert JOIN_FRAME <= first_sound(late) <= JOIN_FRAME + 1
    assert float(np.max(np.abs(late[JOIN_FRAME : JOIN_FRAME + 4800]))) > 0.01


def test_join_takes_only_a_boolean(page: Page) -> None:
    refused = page.evaluate(
        """async (doc) => {
          const { createDawgEngine } = await import("/dist/dawg-engine.js");
          const ctx = new OfflineAudioContext(2, 128, 48000);
          try {
            await createDawgEngine(ctx, { session: doc, start: 0, join: 1 });
            return null;
          } catch (err) {
            return err.constructor.name + ": " + err.message;
          }
        }""",
        OVER,
    )
    assert refused == "TypeError: join must be true or false, got 1"
