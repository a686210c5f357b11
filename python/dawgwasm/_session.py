"""Sessions: one JSON document describing a whole mix, validated against the
engine's own tables, applied to an :class:`~dawgwasm.Engine`, scheduled as
sample-accurate events and rendered.

A session::

    {
      "format": "dawgwasm-session", "version": 1,
      "name": "…", "tempo_bpm": 90, "length_beats": 16,
      "samples": {"kick": {"builtin": "kick"}, "loop": {"file": "loop.wav"}},
      "tracks": [{
        "name": "Kick",
        "source": {"type": "sampler", "sample": "kick", "params": {"sampler_gain_db": -3}},
        "strip": {"low_gain_db": 2, "comp_ratio": 4},
        "inserts": [{"unit": "saturator", "params": {"sat_drive_db": 6}}],
        "sends": [{"bus": 0, "level_db": -12, "pre": false}],
        "gain_db": -3, "pan": 0, "mute": false, "solo": false,
        "pattern": {"length_beats": 4,
                    "notes": [{"beat": 0, "note": 36, "velocity": 1, "length_beats": 0.5}]},
        "automation": [{"beat": 8, "param": "gain_db", "value": -12, "ramp_ms": 500}]
      }],
      "buses": [{"name": "Reverb", "inserts": [{"unit": "reverb"}], "gain_db": 0}],
      "master": {"inserts": [{"unit": "limiter"}], "gain_db": 0}
    }

Every field but ``format``, ``version`` and ``tracks`` is optional. A bad
field raises :class:`~dawgwasm.SessionError` naming its JSON path and what
is allowed. Patterns loop for the whole render; automation repeats every
``length_beats``, and each pass starts with every automated parameter back
at its document value.

The work is in three modules: :mod:`dawgwasm._strictjson` reads a
document's bytes, :mod:`dawgwasm._sessiondoc` checks it against an engine's
tables, :mod:`dawgwasm._schedule` applies, schedules and renders it.
"""

from __future__ import annotations

from dawgwasm._schedule import (
    apply_session,
    check_samples,
    iter_render,
    iter_schedule,
    nearest_frame,
    render_events,
    render_frames,
    render_session,
    sample_file,
    schedule,
    used_samples,
)
from dawgwasm._sessiondoc import FORMAT, Session, parse_session, sample_path
from dawgwasm._strictjson import load_session, parse_json

__all__ = [
    "FORMAT",
    "Session",
    "apply_session",
    "check_samples",
    "iter_render",
    "iter_schedule",
    "load_session",
    "nearest_frame",
    "parse_json",
    "parse_session",
    "render_events",
    "render_frames",
    "render_session",
    "sample_file",
    "sample_path",
    "schedule",
    "used_samples",
]
