"""Limits of the host side: how much work, memory, time and disk one command
may ask for. Every limit is checked before the work it bounds starts, and a
request beyond one fails with a message that names the limit.

The engine's own limits (tracks, quanta per call, sample bank, event queue)
come from the module through the ABI (:func:`dawgwasm._abi.read_limits`);
these are the host's. The session limits are written into every build's
``manifest.json`` (``session_limits``), so the browser checks a session with
the very same numbers.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "AUDIO_FILE_BYTES_MAX",
    "DEADLINE_BASE_S",
    "DEADLINE_REALTIME_FACTOR",
    "JSON_DEPTH_MAX",
    "JSON_NUMBER_CHARS_MAX",
    "RENDER_SECONDS_MAX",
    "SAMPLE_FRAMES_MAX",
    "SESSION_FILE_BYTES_MAX",
    "SESSION_LIMITS",
    "WAV_BYTES_MAX",
]

#: Largest session document read, bytes.
SESSION_FILE_BYTES_MAX: Final = 16 * 1024 * 1024

#: Deepest nesting of arrays and objects in a session document.
JSON_DEPTH_MAX: Final = 32

#: Longest number literal in a session document, characters.
JSON_NUMBER_CHARS_MAX: Final = 64

#: Longest render, seconds of audio (6 hours).
RENDER_SECONDS_MAX: Final = 6 * 3600.0

#: Largest audio file read (a render input or a session's sample), bytes on disk.
AUDIO_FILE_BYTES_MAX: Final = 4 * 1024**3

#: Largest file a plain RIFF WAV can describe (its size fields are 32-bit);
#: longer WAV outputs are written as RF64.
WAV_BYTES_MAX: Final = 2**32 - 1

#: Session limits, shared with the browser through the manifest.
SESSION_LIMITS: Final[dict[str, int]] = {
    #: Scheduled events (note-ons, note-offs, automation) in one pass of a session.
    "events_per_pass_max": 1 << 20,
    #: Scheduled events per second of audio, averaged over a pass.
    "events_per_second_max": 20_000,
    #: Notes in one track's pattern.
    "notes_per_pattern_max": 100_000,
    #: Automation points of one track.
    "automation_per_track_max": 10_000,
}

#: A wasm call may run for DEADLINE_BASE_S plus this many times the duration
#: of the audio it renders before it is interrupted (DspTimeoutError).
DEADLINE_REALTIME_FACTOR: Final = 1000.0

#: Time any wasm call may take before it is interrupted, seconds.
DEADLINE_BASE_S: Final = 10.0

#: Most frames of one sample file (the engine's per-sample limit, 2**24).
SAMPLE_FRAMES_MAX: Final = 1 << 24
