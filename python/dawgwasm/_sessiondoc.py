"""Session documents: the format, and the checker that turns a parsed
document into a :class:`Session`, validated against one engine's tables.

Parameter values go through the one value checker
(:func:`dawgwasm._params.check_value`); which parameters a section may hold
is a group lookup (the manifest's ``rules.session``,
:data:`dawgwasm._rules.SESSION_GROUPS`). ``web/static/dawg-session.js``
applies the same rules with the same JSON paths and messages.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from dawgwasm._errors import ParameterError, ParameterRangeError, SessionError
from dawgwasm._limits import SESSION_LIMITS
from dawgwasm._params import ParamSpec, ParamTable, check_value, format_number, kind_text
from dawgwasm._rules import SESSION_GROUPS, describe

__all__ = [
    "BUSES_MAX",
    "FORMAT",
    "INSERTS_MAX",
    "SAMPLE_PATH_RULE",
    "TRACKS_MAX",
    "VERSION",
    "Automation",
    "Bus",
    "Insert",
    "Note",
    "Send",
    "Session",
    "Track",
    "parse_session",
    "sample_path",
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

    def automation_start(self, params: ParamTable) -> list[tuple[str, int, float]]:
        """Every parameter the track automates, as ``(name, slot, value)`` in
        order of first appearance, with the value the document gives it (its
        source, strip, insert, send or fader setting, else the table's
        default). Each pass of the session starts from these values, so a
        pass never depends on where the previous one left a parameter."""
        out: list[tuple[str, int, float]] = []
        seen: set[tuple[str, int]] = set()
        for a in self.automation:
            if (a.param, a.slot) in seen:
                continue
            seen.add((a.param, a.slot))
            out.append((a.param, a.slot, self._document_value(a.param, a.slot, params)))
        return out

    def _document_value(self, name: str, slot: int, params: ParamTable) -> float:
        if slot:
            return self.inserts[slot - 1].params.get(name, params[name].default)
        for settings in (self.source_params, self.strip, self.channel):
            if name in settings:
                return settings[name]
        for send in self.sends:
            if name == f"send_{send.bus + 1}_db":
                return send.level_db
            if name == f"send_{send.bus + 1}_pre":
                return float(send.pre)
        return params[name].default


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


def _obj(
    v: object, path: str, allowed: Sequence[str], required: Sequence[str] = ()
) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise SessionError(path, f"must be an object, not {kind_text(v)}")
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
        raise SessionError(path, f"must be a list, not {kind_text(v)}")
    if len(v) > most:
        raise SessionError(path, f"has {len(v)} entries; at most {most} are allowed")
    return v


def _num(v: object, path: str, lo: float, hi: float, *, lo_open: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise SessionError(path, f"must be a finite number, not {kind_text(v)}")
    x = float(v)
    if not math.isfinite(x):
        raise SessionError(path, f"must be a finite number, not {format_number(x)}")
    if x < lo or x > hi or (lo_open and x == lo):
        low = f"above {format_number(lo)}" if lo_open else format_number(lo)
        raise SessionError(
            path, f"{format_number(x)} is out of range; allowed: {low} to {format_number(hi)}"
        )
    return x


def _int(v: object, path: str, lo: int, hi: int) -> int:
    x = _num(v, path, lo, hi)
    if x != int(x):
        raise SessionError(path, f"{format_number(x)} must be a whole number from {lo} to {hi}")
    return int(x)


def _str(v: object, path: str) -> str:
    if not isinstance(v, str):
        raise SessionError(path, f"must be a string, not {kind_text(v)}")
    return v


def _bool(v: object, path: str) -> bool:
    if not isinstance(v, bool):
        raise SessionError(path, f"must be true or false, not {kind_text(v)}")
    return v


def _choice(v: object, path: str, choices: Sequence[str], what: str) -> str:
    s = _str(v, path)
    if s not in choices:
        raise SessionError(path, f"{describe(s)} is not {what}; allowed: {', '.join(choices)}")
    return s


def _in_groups(*groups: str) -> Callable[[ParamSpec], bool]:
    """Whether a parameter belongs to one of ``groups``."""
    return lambda s: s.group in groups


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
            raise SessionError(path, f"unknown parameter {describe(key)}; {what}") from None
        if not ok(spec):
            raise SessionError(path, f"{describe(key)} cannot be set here; {what}")
        return key, self.value(spec, value, path)

    def value(self, spec: ParamSpec, value: object, path: str) -> float:
        """``value`` checked against ``spec`` (the one value checker)."""
        try:
            return check_value(spec, value)
        except ParameterRangeError as e:
            raise SessionError(path, str(e)) from None

    def param_map(
        self, v: object, path: str, ok: Callable[[ParamSpec], bool], what: str
    ) -> dict[str, float]:
        if not isinstance(v, dict):
            raise SessionError(path, f"must be an object of parameter values, not {kind_text(v)}")
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
            ok = _in_groups(unit)
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
SAMPLE_PATH_RULE: Final = (
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
        raise SessionError(path, SAMPLE_PATH_RULE)
    return text


def _check_event_load(tracks: Sequence[Track], length_beats: float, pass_s: float) -> None:
    """Refuse a session whose patterns and automation would schedule more
    events than :data:`SESSION_LIMITS` allow, per pass and per second, from
    an upper bound computed before anything is scheduled: per track
    ``2 · notes · (floor(length_beats / pattern_beats) + 1)`` note events
    plus one event per automation point and one per automated parameter
    (its return to the document's value at the start of the pass)."""
    total = 0.0
    for t in tracks:
        if t.notes:
            ratio = length_beats / t.pattern_beats
            loops = math.floor(ratio) + 1 if ratio < 2.0**53 else math.inf
            total += 2.0 * len(t.notes) * loops
        total += len(t.automation) + len({(a.param, a.slot) for a in t.automation})
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
    tempo = c.value(tempo_spec, top.get("tempo_bpm", tempo_spec.default), "$.tempo_bpm")
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
        ok_src = _in_groups(kind)
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
        ok_strip = _in_groups(*SESSION_GROUPS["strip"])
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
            level_spec = params[f"send_{bus + 1}_db"]
            sends.append(
                Send(
                    bus=bus,
                    level_db=c.value(level_spec, s.get("level_db", 0.0), f"{sp}.level_db"),
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
        inserts = c.inserts(d.get("inserts", []), f"{p}.inserts")
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
            ok_auto = (
                _in_groups(unit_here or "")
                if slot
                else _in_groups(*SESSION_GROUPS["automation"], kind)
            )
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
                inserts=inserts,
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
        master_gain_db=c.value(gain_spec, m.get("gain_db", 0.0), "$.master.gain_db"),
        base_dir=base_dir,
    )
