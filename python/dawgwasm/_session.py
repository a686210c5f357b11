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
``length_beats``.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from dawgwasm._errors import LimitError, ParameterError, ParameterRangeError, SessionError
from dawgwasm._events import (
    TARGET_TRACK,
    Event,
    encode_target,
    note_off,
    note_on,
    param_ramp,
    param_set,
)
from dawgwasm._files import open_input
from dawgwasm._limits import (
    JSON_DEPTH_MAX,
    JSON_NUMBER_CHARS_MAX,
    RENDER_SECONDS_MAX,
    SAMPLE_FRAMES_MAX,
    SESSION_FILE_BYTES_MAX,
    SESSION_LIMITS,
)
from dawgwasm._params import ParamSpec, ParamTable

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

FORMAT: Final = "dawgwasm-session"
VERSION: Final = 1
TRACKS_MAX: Final = 256
BUSES_MAX: Final = 8
INSERTS_MAX: Final = 8


@dataclass(frozen=True)
class Insert:
    unit: str
    params: dict[str, float]


@dataclass(frozen=True)
class Note:
    beat: float
    note: int
    velocity: float
    length_beats: float


@dataclass(frozen=True)
class Automation:
    beat: float
    param: str
    value: float
    ramp_ms: float
    slot: int


@dataclass(frozen=True)
class Send:
    bus: int
    level_db: float
    pre: bool


@dataclass(frozen=True)
class Track:
    name: str
    source: str
    sample: str | None
    source_params: dict[str, float]
    strip: dict[str, float]
    inserts: list[Insert]
    sends: list[Send]
    channel: dict[str, float]
    pattern_beats: float
    notes: list[Note]
    automation: list[Automation]


@dataclass(frozen=True)
class Bus:
    name: str
    inserts: list[Insert]
    channel: dict[str, float]


@dataclass(frozen=True)
class Session:
    """A validated session."""

    name: str
    tempo_bpm: float
    length_beats: float
    samples: dict[str, dict[str, str]]
    tracks: list[Track]
    buses: list[Bus]
    master_inserts: list[Insert]
    master_gain_db: float
    base_dir: Path | None = field(default=None, compare=False)

    def frames_per_beat(self, sample_rate_hz: float) -> float:
        """Frames in one beat at ``sample_rate_hz``."""
        return 60.0 / self.tempo_bpm * sample_rate_hz

    def length_seconds(self) -> float:
        """Duration of one pass of the session (``length_beats``)."""
        return self.length_beats * 60.0 / self.tempo_bpm


# ---- validation helpers ---------------------------------------------------------


def _kind(v: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false"}.get(
        type(v), "null" if v is None else "a number" if isinstance(v, int | float) else "?"
    )


def _obj(
    v: object, path: str, allowed: Sequence[str], required: Sequence[str] = ()
) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise SessionError(path, f"must be an object, not {_kind(v)}")
    for key in v:
        if key not in allowed:
            raise SessionError(
                f"{path}.{key}", f"unknown field; allowed fields are {', '.join(allowed)}"
            )
    for key in required:
        if key not in v:
            raise SessionError(f"{path}.{key}", "is required")
    return v


def _list(v: object, path: str, most: int) -> list[Any]:
    if not isinstance(v, list):
        raise SessionError(path, f"must be a list, not {_kind(v)}")
    if len(v) > most:
        raise SessionError(path, f"has {len(v)} entries; at most {most} are allowed")
    return v


def _num(v: object, path: str, lo: float, hi: float, *, lo_open: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise SessionError(
            path, f"must be a finite number, not {_kind(v) if not isinstance(v, float) else v}"
        )
    x = float(v)
    if x < lo or x > hi or (lo_open and x == lo):
        low = f"above {lo:g}" if lo_open else f"{lo:g}"
        raise SessionError(path, f"{x:g} is out of range; allowed: {low} to {hi:g}")
    return x


def _int(v: object, path: str, lo: int, hi: int) -> int:
    x = _num(v, path, lo, hi)
    if x != int(x):
        raise SessionError(path, f"{x:g} must be a whole number from {lo} to {hi}")
    return int(x)


def _str(v: object, path: str) -> str:
    if not isinstance(v, str):
        raise SessionError(path, f"must be a string, not {_kind(v)}")
    return v


def _bool(v: object, path: str) -> bool:
    if not isinstance(v, bool):
        raise SessionError(path, f"must be true or false, not {_kind(v)}")
    return v


def _choice(v: object, path: str, choices: Sequence[str], what: str) -> str:
    s = _str(v, path)
    if s not in choices:
        raise SessionError(path, f"{s!r} is not {what}; allowed: {', '.join(choices)}")
    return s


def _insert_of(unit: str | None) -> Callable[[ParamSpec], bool]:
    return lambda s: s.scope == "insert" and s.owner == unit


def _scope_is(kind: str) -> Callable[[ParamSpec], bool]:
    return lambda s: s.scope == kind


def _automatable(kind: str) -> Callable[[ParamSpec], bool]:
    return lambda s: s.scope in ("track", "channel", kind)


def _is_strip(s: ParamSpec) -> bool:
    return s.scope == "track" and not s.name.startswith(("send_", "solo"))


def _unit_in_slot(inserts: object, slot: int) -> str | None:
    if slot and isinstance(inserts, list) and slot <= len(inserts):
        d = inserts[slot - 1]
        if isinstance(d, dict) and isinstance(d.get("unit"), str):
            return str(d["unit"])
    return None


class _Checker:
    """Validates a session document against one engine's tables."""

    def __init__(self, params: ParamTable, units: Sequence[str], sources: Sequence[str]) -> None:
        self.params = params
        self.units = list(units)
        self.sources = [s for s in sources]

    def param(
        self, name: object, value: object, path: str, ok: Callable[[ParamSpec], bool], what: str
    ) -> tuple[str, float]:
        key = _str(name, path)
        try:
            spec = self.params[key]
        except ParameterError:
            raise SessionError(path, f"unknown parameter {key!r}; {what}") from None
        if not ok(spec):
            raise SessionError(path, f"{key!r} cannot be set here; {what}")
        if isinstance(value, bool):
            value = float(value)
        try:
            return key, spec.validate(value)
        except ParameterRangeError as e:
            raise SessionError(f"{path}", str(e)) from None

    def param_map(
        self, v: object, path: str, ok: Callable[[ParamSpec], bool], what: str
    ) -> dict[str, float]:
        if not isinstance(v, dict):
            raise SessionError(path, f"must be an object of parameter values, not {_kind(v)}")
        out: dict[str, float] = {}
        for k, x in v.items():
            name, value = self.param(k, x, f"{path}.{k}", ok, what)
            out[name] = value
        return out

    def names(self, ok: Callable[[ParamSpec], bool]) -> str:
        return ", ".join(s.name for s in self.params.values() if ok(s))

    def inserts(self, v: object, path: str) -> list[Insert]:
        out = []
        for i, item in enumerate(_list(v, path, INSERTS_MAX)):
            p = f"{path}[{i}]"
            d = _obj(item, p, ("unit", "params"), ("unit",))
            unit = _choice(d["unit"], f"{p}.unit", self.units, "an effect unit")
            ok = _insert_of(unit)
            params = self.param_map(
                d.get("params", {}), f"{p}.params", ok, f"{unit} parameters are {self.names(ok)}"
            )
            out.append(Insert(unit, params))
        return out

    def channel(self, d: Mapping[str, Any], path: str, keys: Sequence[str]) -> dict[str, float]:
        out: dict[str, float] = {}
        for key in keys:
            if key in d:
                v = d[key]
                if key in ("mute", "solo"):
                    out[key] = float(_bool(v, f"{path}.{key}"))
                else:
                    out[key] = self.param(key, v, f"{path}.{key}", lambda s: True, "")[1]
        return out


_LIMITS: Final = SESSION_LIMITS
_SAMPLE_PATH_CHARS_MAX: Final = 1024
_SAMPLE_PATH_RULE: Final = (
    "must be a relative path inside the session's folder (no '..', no absolute path or URL)"
)


def sample_path(v: object, path: str) -> str:
    """Check a sample's ``file``: a relative path with ``/`` separators, no
    empty, ``.`` or ``..`` segment, no ``\\`` or ``:`` (no drive, no URL
    scheme), at most 1024 characters. It is read relative to the session's
    folder (or the folder the caller names), never from outside it."""
    text = _str(v, path)
    segments = text.split("/")
    if (
        not text
        or len(text) > _SAMPLE_PATH_CHARS_MAX
        or "\\" in text
        or ":" in text
        or "\0" in text
        or any(seg in ("", ".", "..") for seg in segments)
    ):
        raise SessionError(path, _SAMPLE_PATH_RULE)
    return text


def _check_event_load(tracks: Sequence[Track], length_beats: float, pass_s: float) -> None:
    """Refuse a session whose patterns and automation would schedule more
    events than :data:`SESSION_LIMITS` allow, per pass and per second, from
    an upper bound computed before anything is scheduled: per track
    ``2 · notes · (floor(length_beats / pattern_beats) + 1)`` note events
    plus one event per automation point."""
    total = 0.0
    for t in tracks:
        if t.notes:
            ratio = length_beats / t.pattern_beats
            loops = math.floor(ratio) + 1 if ratio < 2.0**53 else math.inf
            total += 2.0 * len(t.notes) * loops
        total += len(t.automation)
    per_second = 0.0 if total == 0 else total / pass_s if pass_s > 0 else math.inf

    def shown(x: float) -> str:
        return str(math.ceil(x)) if math.isfinite(x) else "unboundedly many"

    load = f"schedules up to {shown(total)} events per pass ({shown(per_second)} per second)"
    per_pass_max = _LIMITS["events_per_pass_max"]
    if total > per_pass_max:
        raise SessionError(
            "$.tracks",
            f"{load}; at most {per_pass_max} are allowed: lengthen the patterns or shorten "
            "the session",
        )
    per_second_max = _LIMITS["events_per_second_max"]
    if per_second > per_second_max:
        raise SessionError(
            "$.tracks",
            f"{load}; at most {per_second_max} per second are allowed: lengthen the patterns "
            "or slow the tempo",
        )


def parse_session(
    doc: object,
    params: ParamTable,
    units: Sequence[str],
    sources: Sequence[str],
    *,
    base_dir: Path | None = None,
) -> Session:
    """Validate a session document (parsed JSON) against an engine's
    parameter table, unit names and source names."""
    c = _Checker(params, units, sources)
    top = _obj(
        doc,
        "$",
        (
            "format",
            "version",
            "name",
            "tempo_bpm",
            "length_beats",
            "samples",
            "tracks",
            "buses",
            "master",
        ),
        ("format", "version", "tracks"),
    )
    if top["format"] != FORMAT:
        raise SessionError("$.format", f"must be {FORMAT!r}")
    _int(top["version"], "$.version", VERSION, VERSION)
    tempo_spec = params["tempo_bpm"]
    tempo = _num(
        top.get("tempo_bpm", tempo_spec.default), "$.tempo_bpm", tempo_spec.min, tempo_spec.max
    )
    length_beats = _num(top.get("length_beats", 16), "$.length_beats", 0, 100000, lo_open=True)
    samples: dict[str, dict[str, str]] = {}
    samples_doc = top.get("samples", {})
    for name, spec in _obj(
        samples_doc, "$.samples", list(samples_doc) if isinstance(samples_doc, dict) else []
    ).items():
        p = f"$.samples.{name}"
        d = _obj(spec, p, ("builtin", "file"))
        if len(d) != 1:
            raise SessionError(p, "give exactly one of builtin or file")
        if "builtin" in d:
            from dawgwasm._samples import SAMPLES

            samples[name] = {
                "builtin": _choice(d["builtin"], f"{p}.builtin", list(SAMPLES), "a built-in sample")
            }
        else:
            samples[name] = {"file": sample_path(d["file"], f"{p}.file")}
    buses_doc = _list(top.get("buses", []), "$.buses", BUSES_MAX)
    buses = []
    for i, b in enumerate(buses_doc):
        p = f"$.buses[{i}]"
        d = _obj(b, p, ("name", "inserts", "gain_db", "pan", "mute"))
        buses.append(
            Bus(
                name=_str(d.get("name", f"Bus {i + 1}"), f"{p}.name"),
                inserts=c.inserts(d.get("inserts", []), f"{p}.inserts"),
                channel=c.channel(d, p, ("gain_db", "pan", "mute")),
            )
        )
    tracks = []
    track_fields = (
        "name",
        "source",
        "strip",
        "inserts",
        "sends",
        "gain_db",
        "pan",
        "mute",
        "solo",
        "pattern",
        "automation",
    )
    for i, t in enumerate(_list(top["tracks"], "$.tracks", TRACKS_MAX)):
        p = f"$.tracks[{i}]"
        d = _obj(t, p, track_fields)
        src = _obj(
            d.get("source", {"type": "input"}),
            f"{p}.source",
            ("type", "params", "sample"),
            ("type",),
        )
        kind = _choice(src["type"], f"{p}.source.type", c.sources, "a source")
        ok_src = _scope_is(kind)
        source_params = c.param_map(
            src.get("params", {}),
            f"{p}.source.params",
            ok_src,
            f"{kind} parameters are {c.names(ok_src) or 'none'}",
        )
        sample = None
        if "sample" in src:
            if kind != "sampler":
                raise SessionError(f"{p}.source.sample", "only a sampler source plays a sample")
            sample = _choice(
                src["sample"], f"{p}.source.sample", list(samples), "a sample named in $.samples"
            )
        ok_strip = _is_strip
        strip = c.param_map(
            d.get("strip", {}), f"{p}.strip", ok_strip, f"strip parameters are {c.names(ok_strip)}"
        )
        sends = []
        for j, sd in enumerate(_list(d.get("sends", []), f"{p}.sends", BUSES_MAX)):
            sp = f"{p}.sends[{j}]"
            s = _obj(sd, sp, ("bus", "level_db", "pre"), ("bus",))
            bus = _int(s["bus"], f"{sp}.bus", 0, BUSES_MAX - 1)
            if bus >= len(buses):
                raise SessionError(
                    f"{sp}.bus", f"bus {bus} is not defined; $.buses has {len(buses)} entries"
                )
            level_spec = params["send_1_db"]
            sends.append(
                Send(
                    bus=bus,
                    level_db=_num(
                        s.get("level_db", 0.0), f"{sp}.level_db", level_spec.min, level_spec.max
                    ),
                    pre=_bool(s.get("pre", False), f"{sp}.pre"),
                )
            )
        notes: list[Note] = []
        pattern_beats = length_beats
        if "pattern" in d:
            pp = f"{p}.pattern"
            pat = _obj(d["pattern"], pp, ("length_beats", "notes"))
            pattern_beats = _num(
                pat.get("length_beats", length_beats), f"{pp}.length_beats", 0, 100000, lo_open=True
            )
            notes_doc = _list(pat.get("notes", []), f"{pp}.notes", _LIMITS["notes_per_pattern_max"])
            for j, nd in enumerate(notes_doc):
                np_ = f"{pp}.notes[{j}]"
                n = _obj(nd, np_, ("beat", "note", "velocity", "length_beats"), ("beat", "note"))
                notes.append(
                    Note(
                        beat=_num(n["beat"], f"{np_}.beat", 0, pattern_beats),
                        note=_int(n["note"], f"{np_}.note", 0, 127),
                        velocity=_num(n.get("velocity", 0.8), f"{np_}.velocity", 0, 1),
                        length_beats=_num(
                            n.get("length_beats", 0.25),
                            f"{np_}.length_beats",
                            0,
                            100000,
                            lo_open=True,
                        ),
                    )
                )
            if notes and kind == "input":
                raise SessionError(
                    f"{pp}.notes",
                    "an input track plays no notes; give it a synth or sampler source",
                )
        automation = []
        automation_doc = _list(
            d.get("automation", []), f"{p}.automation", _LIMITS["automation_per_track_max"]
        )
        for j, ad in enumerate(automation_doc):
            ap = f"{p}.automation[{j}]"
            a = _obj(
                ad, ap, ("beat", "param", "value", "ramp_ms", "slot"), ("beat", "param", "value")
            )
            slot = _int(a.get("slot", 0), f"{ap}.slot", 0, INSERTS_MAX)
            unit_here = _unit_in_slot(d.get("inserts", []), slot)
            ok_auto = _insert_of(unit_here) if slot else _automatable(kind)
            name, value = c.param(
                a["param"],
                a["value"],
                f"{ap}.param",
                ok_auto,
                "automate a parameter of this track (with slot for an insert's)",
            )
            automation.append(
                Automation(
                    beat=_num(a["beat"], f"{ap}.beat", 0, length_beats),
                    param=name,
                    value=value,
                    ramp_ms=_num(a.get("ramp_ms", 0.0), f"{ap}.ramp_ms", 0, 600000),
                    slot=slot,
                )
            )
        tracks.append(
            Track(
                name=_str(d.get("name", f"Track {i + 1}"), f"{p}.name"),
                source=kind,
                sample=sample,
                source_params=source_params,
                strip=strip,
                inserts=c.inserts(d.get("inserts", []), f"{p}.inserts"),
                sends=sends,
                channel=c.channel(d, p, ("gain_db", "pan", "mute", "solo")),
                pattern_beats=pattern_beats,
                notes=notes,
                automation=automation,
            )
        )
    if not tracks:
        raise SessionError("$.tracks", "a session needs at least one track")
    _check_event_load(tracks, length_beats, length_beats * 60.0 / tempo)
    m = _obj(top.get("master", {}), "$.master", ("inserts", "gain_db"))
    gain_spec = params["master_gain_db"]
    return Session(
        name=_str(top.get("name", "untitled"), "$.name"),
        tempo_bpm=tempo,
        length_beats=length_beats,
        samples=samples,
        tracks=tracks,
        buses=buses,
        master_inserts=c.inserts(m.get("inserts", []), "$.master.inserts"),
        master_gain_db=_num(
            m.get("gain_db", 0.0), "$.master.gain_db", gain_spec.min, gain_spec.max
        ),
        base_dir=base_dir,
    )


def _json_number(text: str) -> float | int:
    if len(text) > JSON_NUMBER_CHARS_MAX:
        raise ValueError(
            f"a number of {len(text)} characters; at most {JSON_NUMBER_CHARS_MAX} are read"
        )
    if not any(c in text for c in ".eE"):
        return int(text)
    x = float(text)
    if not math.isfinite(x):
        raise ValueError(f"{text} is not a finite number")
    return x


def _json_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON; numbers must be finite")


def _depth(doc: object) -> int:
    """Nesting depth of arrays and objects in a parsed document (iterative)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(doc, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            deepest = max(deepest, d)
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            deepest = max(deepest, d)
            stack.extend((x, d + 1) for x in v)
    return deepest


def parse_json(text: bytes, where: str) -> object:
    """Parse a session document's bytes: strict UTF-8 JSON, finite numbers of
    at most :data:`JSON_NUMBER_CHARS_MAX` characters, nested at most
    :data:`JSON_DEPTH_MAX` deep; anything else is a :class:`SessionError`."""
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SessionError(
            "$", f"{where} is not UTF-8 text (byte 0x{text[e.start]:02x} at offset {e.start})"
        ) from None
    try:
        doc = json.loads(
            decoded,
            parse_int=_json_number,
            parse_float=_json_number,
            parse_constant=_json_constant,
        )
    except json.JSONDecodeError as e:
        raise SessionError(
            "$", f"{where} is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}"
        ) from None
    except ValueError as e:
        raise SessionError("$", f"{where} is not valid JSON: {e}") from None
    except RecursionError:
        raise SessionError(
            "$", f"{where} is nested too deeply; at most {JSON_DEPTH_MAX} levels are read"
        ) from None
    if _depth(doc) > JSON_DEPTH_MAX:
        raise SessionError(
            "$", f"{where} is nested too deeply; at most {JSON_DEPTH_MAX} levels are read"
        )
    return doc


def load_session(path: Path) -> object:
    """Read a session file as JSON (not yet validated): a regular file of at
    most :data:`SESSION_FILE_BYTES_MAX` bytes, parsed by :func:`parse_json`."""
    with open_input(
        path, "the session", SESSION_FILE_BYTES_MAX, lambda m: SessionError("$", m)
    ) as f:
        text = f.read(SESSION_FILE_BYTES_MAX + 1)
    return parse_json(text, str(path))


# ---- applying and scheduling ------------------------------------------------------


def used_samples(session: Session) -> list[str]:
    """Names of the samples some track plays, in ``$.samples`` order: only
    these are read (a declared but unused sample file is never opened)."""
    used = {t.sample for t in session.tracks if t.sample is not None}
    return [name for name in session.samples if name in used]


def sample_file(session: Session, name: str, root: Path | None = None) -> Path:
    """The file of sample ``name``: its ``file`` under ``root`` (default: the
    session's folder, else the working folder). A path that resolves outside
    that folder (through a symbolic link) is refused with the same message
    whether or not its target exists."""
    base = root if root is not None else session.base_dir or Path.cwd()
    rel = session.samples[name]["file"]
    where = f"$.samples.{name}.file"
    try:
        real_base = base.resolve()
        real = (base / rel).resolve()
    except (OSError, RuntimeError):
        raise SessionError(where, _SAMPLE_PATH_RULE) from None
    if not real.is_relative_to(real_base):
        raise SessionError(where, _SAMPLE_PATH_RULE)
    return base / rel


def _sample_fail(name: str) -> Callable[[str], Exception]:
    return lambda message: SessionError(f"$.samples.{name}.file", message)


def check_samples(session: Session, root: Path | None = None) -> None:
    """Open the header of every used sample file: it must be a regular,
    readable mono or stereo audio file of at most :data:`SAMPLE_FRAMES_MAX`
    frames. Errors name the sample's JSON path."""
    from dawgwasm._audio import open_audio

    for name in used_samples(session):
        if "file" not in session.samples[name]:
            continue
        path = sample_file(session, name, root)
        with open_audio(path, what="sample file", fail=_sample_fail(name)) as f:
            if f.frames > SAMPLE_FRAMES_MAX:
                raise SessionError(
                    f"$.samples.{name}.file",
                    f"sample file {path} has {f.frames} frames; at most {SAMPLE_FRAMES_MAX} "
                    "are loaded",
                )


def _sample_data(
    session: Session, name: str, sample_rate_hz: float, root: Path | None
) -> tuple[npt.NDArray[np.float32], float]:
    spec = session.samples[name]
    if "builtin" in spec:
        from dawgwasm._samples import SAMPLES

        return SAMPLES[spec["builtin"]](sample_rate_hz), sample_rate_hz
    from dawgwasm._audio import read_stereo

    audio, rate = read_stereo(
        sample_file(session, name, root),
        frames_max=SAMPLE_FRAMES_MAX,
        what="sample file",
        fail=_sample_fail(name),
    )
    return audio, float(rate)


def apply_session(session: Session, engine: Any, *, sample_root: Path | None = None) -> None:
    """Configure ``engine`` (an :class:`~dawgwasm.Engine` with at least as many
    tracks as the session) with the session's structure and settings.
    Sample files are read from ``sample_root`` (default: the session's
    folder; see :func:`sample_file`)."""
    sample_ids: dict[str, int] = {}
    for name in used_samples(session):
        data, rate = _sample_data(session, name, engine.sample_rate_hz, sample_root)
        sample_ids[name] = engine.add_sample(data, rate)
    engine.set("tempo_bpm", session.tempo_bpm)
    engine.set("master_gain_db", session.master_gain_db)
    for b, bus in enumerate(session.buses):
        engine.set_many(bus.channel, bus=b)
        for s, ins in enumerate(bus.inserts, start=1):
            engine.set_insert(s, ins.unit, bus=b)
            engine.set_many(ins.params, bus=b, slot=s)
    for s, ins in enumerate(session.master_inserts, start=1):
        engine.set_insert(s, ins.unit, master=True)
        engine.set_many(ins.params, master=True, slot=s)
    for t, track in enumerate(session.tracks):
        engine.set_source(t, track.source)
        if track.sample is not None:
            engine.set("sampler_sample", sample_ids[track.sample], t)
        engine.set_many(track.source_params, t)
        engine.set_many(track.strip, t)
        for s, ins in enumerate(track.inserts, start=1):
            engine.set_insert(s, ins.unit, track=t)
            engine.set_many(ins.params, t, slot=s)
        for send in track.sends:
            engine.set(f"send_{send.bus + 1}_db", send.level_db, t)
            engine.set(f"send_{send.bus + 1}_pre", float(send.pre), t)
        engine.set_many(track.channel, t)
    engine.reset()


def nearest_frame(x: float) -> int:
    """Nearest frame, halves rounded up (JavaScript's ``Math.round``), so the
    browser schedules the same frames."""
    return math.floor(x + 0.5)


# An event's place in the schedule: frame, note-offs first, then the order
# in which the events are generated (track, notes before automation, loop,
# entry, note-on before its note-off).
_Key = tuple[int, bool, int, int, int, int, int]


@dataclass
class _Stream:
    """One track's notes (section 0) or automation (section 1), loop by loop.

    Every event of loop ``k`` lands at or after ``nearest_frame(k · loop
    beats · frames per beat)``, so the loops can be generated lazily, in
    frame order, just ahead of the events they must be merged with."""

    track: int
    section: int
    loop_beats: float
    k: int = 0

    def lower(self, fpb: float) -> int:
        return nearest_frame((self.k * self.loop_beats + 0.0) * fpb)


def iter_schedule(
    session: Session, params: ParamTable, sample_rate_hz: float, frames: int
) -> Iterator[Event]:
    """Every event of ``frames`` frames of the session, ordered by frame
    (note-offs before the other events of a frame, otherwise in generation
    order), generated lazily: memory holds about one loop of each pattern,
    whatever the length of the render."""
    fpb = session.frames_per_beat(sample_rate_hz)
    streams: list[tuple[int, int, int, _Stream]] = []
    for t, track in enumerate(session.tracks):
        if track.notes:
            streams.append((0, t, 0, _Stream(t, 0, track.pattern_beats)))
        if track.automation:
            streams.append((0, t, 1, _Stream(t, 1, session.length_beats)))
    heapq.heapify(streams)
    pending: list[tuple[_Key, Event]] = []
    while streams or pending:
        while streams and (not pending or streams[0][0] <= pending[0][0][0]):
            lower, t, section, stream = heapq.heappop(streams)
            if lower >= frames:
                continue
            _generate(session, params, stream, fpb, frames, pending)
            stream.k += 1
            heapq.heappush(streams, (stream.lower(fpb), t, section, stream))
        if pending:
            yield heapq.heappop(pending)[1]


def _generate(
    session: Session,
    params: ParamTable,
    stream: _Stream,
    fpb: float,
    frames: int,
    pending: list[tuple[_Key, Event]],
) -> None:
    """Push the events of one loop of ``stream`` (those before ``frames``)."""
    t, k = stream.track, stream.k
    track = session.tracks[t]
    if stream.section == 0:
        base = k * track.pattern_beats
        for j, n in enumerate(track.notes):
            on = nearest_frame((base + n.beat) * fpb)
            off = nearest_frame((base + n.beat + n.length_beats) * fpb)
            if on < frames:
                heapq.heappush(
                    pending, ((on, True, t, 0, k, j, 0), note_on(on, t, n.note, n.velocity))
                )
            if off < frames:
                heapq.heappush(pending, ((off, False, t, 0, k, j, 1), note_off(off, t, n.note)))
        return
    for j, a in enumerate(track.automation):
        frame = nearest_frame((k * session.length_beats + a.beat) * fpb)
        if frame >= frames:
            continue
        spec = params[a.param]
        target = encode_target(TARGET_TRACK, t, a.slot)
        if a.ramp_ms > 0:
            event = param_ramp(frame, target, spec.id, a.value, a.ramp_ms)
        else:
            event = param_set(frame, target, spec.id, a.value)
        heapq.heappush(pending, ((frame, True, t, 1, k, j, 0), event))


def schedule(
    session: Session, params: ParamTable, sample_rate_hz: float, frames: int
) -> list[Event]:
    """Every event of ``frames`` frames of the session, ordered by frame
    (:func:`iter_schedule` as a list)."""
    return list(iter_schedule(session, params, sample_rate_hz, frames))


def render_frames(session: Session, sample_rate_hz: float, seconds: float | None) -> int:
    """Frames of a render of ``seconds`` (default: one pass, ``length_beats``),
    checked against :data:`RENDER_SECONDS_MAX`."""
    length = session.length_seconds() if seconds is None else seconds
    if not (math.isfinite(length) and 0 <= length <= RENDER_SECONDS_MAX):
        what = "one pass of the session is" if seconds is None else "the render would be"
        hint = "; render part of it with --seconds" if seconds is None else ""
        raise LimitError(
            f"{what} {length:g} s long; renders are limited to {RENDER_SECONDS_MAX:g} s{hint}"
        )
    return nearest_frame(length * sample_rate_hz)


def render_session(
    session: Session, engine: Any, seconds: float | None = None
) -> npt.NDArray[np.float32]:
    """Render ``seconds`` (default: one pass, ``length_beats``) of ``session``
    on a configured ``engine``; returns the master output ``(2, frames)``."""
    sr = engine.sample_rate_hz
    frames = render_frames(session, sr, seconds)
    return render_events(engine, iter_schedule(session, engine.params, sr, frames), frames)


def iter_render(
    engine: Any, events: Iterable[Event], frames: int
) -> Iterator[npt.NDArray[np.float32]]:
    """Render ``frames`` frames on ``engine`` with ``events`` (ordered by
    frame, counted from now), queuing each call's events just before it;
    yields the master output in blocks ``(2, n)`` (copies), so a render of
    any length holds one block at a time. A call renders fewer quanta when
    its events would not fit the engine's queue; more events than that in a
    single quantum is an error. The engine is held for the whole render
    (``Engine.exclusive``): another thread's call meanwhile is an
    EngineBusyError, never an interleaved call."""
    with engine.exclusive():
        yield from _render_blocks(engine, events, frames)


def _render_blocks(
    engine: Any, events: Iterable[Event], frames: int
) -> Iterator[npt.NDArray[np.float32]]:
    q = engine.quantum_frames
    room = int(engine.limits["events_queued_max"]) - int(engine.queued_events)
    source = iter(events)
    ahead: list[Event] = []  # events read but not yet queued, in order
    exhausted = False
    done = 0
    while done < frames:
        n = min(engine.max_quanta, -(-(frames - done) // q))
        end = done + n * q
        while not exhausted and (not ahead or ahead[-1].frame < end):
            nxt = next(source, None)
            if nxt is None:
                exhausted = True
            else:
                ahead.append(nxt)
        take = 0
        while take < len(ahead) and ahead[take].frame < end:
            take += 1
        if take > room:
            # Render up to the quantum holding the first event that does not fit.
            n = (ahead[room].frame - done) // q
            if n == 0:
                raise LimitError(
                    f"more than {room} events fall in the quantum at frame {done}; the "
                    "engine's queue holds at most that many"
                )
            end = done + n * q
            take = 0
            while take < len(ahead) and ahead[take].frame < end:
                take += 1
        engine.queue(ahead[:take], base_frame=done)
        del ahead[:take]
        engine.process(n)
        keep = min(n * q, frames - done)
        yield np.array(engine.output[:, :keep])
        done += n * q


def render_events(engine: Any, events: Iterable[Event], frames: int) -> npt.NDArray[np.float32]:
    """:func:`iter_render` into one array ``(2, frames)``."""
    out = np.zeros((2, frames), np.float32)
    at = 0
    for block in iter_render(engine, events, frames):
        out[:, at : at + block.shape[1]] = block
        at += block.shape[1]
    return out
