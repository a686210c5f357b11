"""The host rules: what a host needs, besides the parameter table, to check
a value, resolve a parameter's target, group parameters and read a session,
as data. :func:`host_rules` turns a module's tables into the manifest's
``groups`` and ``rules``; Python (here and in :mod:`dawgwasm._params`) and
JavaScript (``web/static/dawg-rules.js``) read that data with the same
generic code and word every refusal alike.

``rules`` holds:

- ``value``: the value rule (:data:`dawgwasm._params.VALUE_RULE`), in words;
- ``targets``: the target layout (kinds, shifts, field widths), read from
  the module through ``dawg_target``;
- ``scopes``: per scope, the channels its parameters live on (``track``,
  ``bus``, ``master``), whether they live in an insert slot, and the fixed
  target of a parameter that has one channel only (master scope: 0);
- ``session``: which groups a session section may hold (``strip``,
  ``automation``; a track's source parameters are its source's group, an
  insert's parameters its unit's group).
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypedDict

from dawgwasm._abi import AbiTables
from dawgwasm._errors import ParameterError
from dawgwasm._events import TARGET_LAYOUT, TargetLayout
from dawgwasm._params import VALUE_RULE, ParamSpec, ParamTable, format_number, kind_text

__all__ = [
    "SCOPE_RULES",
    "SESSION_GROUPS",
    "Group",
    "ScopeRule",
    "describe",
    "groups_of",
    "host_rules",
    "resolve_target",
]


class ScopeRule(TypedDict, total=False):
    """Where the parameters of one scope live."""

    channels: list[str]
    slot: bool
    target: int


class Group(TypedDict):
    """Parameters that live together, in id order, with where they live
    (their scope's rule: channels, insert slot, fixed target or None)."""

    name: str
    scope: str
    owner: str
    channels: list[str]
    slot: bool
    target: int | None
    params: list[str]


#: Per scope: the channel kinds its parameters live on, whether they need an
#: insert slot, and the fixed target of a parameter with no channel to name.
SCOPE_RULES: Final[dict[str, ScopeRule]] = {
    "track": {"channels": ["track"], "slot": False},
    "channel": {"channels": ["track", "bus"], "slot": False},
    "master": {"channels": [], "slot": False, "target": 0},
    "insert": {"channels": ["track", "bus", "master"], "slot": True},
    "synth": {"channels": ["track"], "slot": False},
    "sampler": {"channels": ["track"], "slot": False},
}

#: The groups a session section may hold: a track's ``strip``, and its
#: ``automation`` without a slot (with the group of the track's source).
SESSION_GROUPS: Final[dict[str, list[str]]] = {
    "strip": ["strip"],
    "automation": ["strip", "fader", "solo", "sends"],
}


def groups_of(params: ParamTable) -> list[Group]:
    """The groups of a parameter table, in id order."""
    out: dict[str, Group] = {}
    for p in params.values():
        if p.group not in out:
            rule = SCOPE_RULES[p.scope]
            out[p.group] = {
                "name": p.group,
                "scope": p.scope,
                "owner": p.owner,
                "channels": list(rule.get("channels", [])),
                "slot": bool(rule.get("slot")),
                "target": rule.get("target"),
                "params": [],
            }
        out[p.group]["params"].append(p.name)
    return list(out.values())


def host_rules(tables: AbiTables) -> dict[str, Any]:
    """The manifest's ``groups`` and ``rules`` for a module's tables."""
    groups = groups_of(tables.params)
    names = {g["name"] for g in groups}
    for section, wanted in SESSION_GROUPS.items():
        for name in wanted:
            if name not in names:
                raise ParameterError(
                    f"the engine has no parameter group {name!r} for a session's {section}"
                )
    return {
        "groups": groups,
        "rules": {
            "value": VALUE_RULE,
            "targets": dict(tables.targets),
            "scopes": SCOPE_RULES,
            "session": SESSION_GROUPS,
        },
    }


def describe(v: object) -> str:
    """A value for messages: a number as JavaScript writes it, a string
    quoted, anything else by its kind."""
    if isinstance(v, numbers.Real) and not isinstance(v, bool):
        return format_number(float(v))
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    return kind_text(v)


def _whole(v: object) -> int | None:
    """``v`` as an int if it is a whole number (not a bool), else None."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        return None
    if isinstance(v, numbers.Integral):
        return int(v)
    x = float(v)
    return int(x) if x.is_integer() else None


def _count(n: int, what: str, plural: str) -> str:
    return f"1 {what} (0)" if n == 1 else f"{n} {plural} (0..{n - 1})"


_PLACES: Final = {"track": "tracks", "bus": "buses", "master": "the master"}
_ONE: Final = {"track": "a track", "bus": "a bus", "master": "the master"}


def _places(channels: Sequence[str]) -> str:
    names = [_PLACES[c] for c in channels]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def resolve_target(
    spec: ParamSpec,
    where: Mapping[str, object],
    *,
    tracks: int,
    limits: Mapping[str, float],
    layout: TargetLayout = TARGET_LAYOUT,
    scopes: Mapping[str, ScopeRule] = SCOPE_RULES,
) -> int:
    """The ABI target of ``spec`` on the channel ``where`` names: at most one
    of ``track`` (an index; the default, track 0), ``bus`` (an index) or
    ``master`` (true), and ``slot`` (0, or the insert slot for an insert's
    parameter). ParameterError says what is wrong, in the words of
    ``resolveTarget`` in ``web/static/dawg-rules.js``."""
    name = spec.name
    rule = scopes[spec.scope]
    master = where.get("master") is True
    named = [k for k in ("track", "bus") if where.get(k) is not None] + (
        ["master"] if master else []
    )
    if len(named) > 1:
        raise ParameterError(f"{name}: name one channel: track, bus or master")
    inserts_max = int(limits["inserts_max"])
    raw_slot = where.get("slot")
    slot = 0 if raw_slot is None else _whole(raw_slot)
    if slot is None or not 0 <= slot <= inserts_max:
        raise ParameterError(
            f"{name}: slot = {describe(raw_slot)} must be a whole number from 0 to {inserts_max}"
        )
    if "target" in rule:
        track = where.get("track")
        if where.get("bus") is not None or slot or (track is not None and _whole(track) != 0):
            raise ParameterError(f"{name} is a master parameter; name no channel or slot")
        return int(rule["target"])
    kind = named[0] if named else "track"
    channels = rule.get("channels", [])
    if kind not in channels:
        raise ParameterError(
            f"{name} cannot be set on {_ONE[kind]}; it lives on {_places(channels)}"
        )
    index = 0
    if kind != "master":
        raw = where.get(kind)
        raw = 0 if raw is None else raw
        count = tracks if kind == "track" else int(limits["buses_max"])
        whole = _whole(raw)
        if whole is None or not 0 <= whole < count:
            there = (
                f"this engine has {_count(count, 'track', 'tracks')}"
                if kind == "track"
                else f"there are {_count(count, 'bus', 'buses')}"
            )
            raise ParameterError(f"{kind} = {describe(raw)} is out of range for {name}: {there}")
        index = whole
    if rule.get("slot"):
        if slot == 0:
            raise ParameterError(
                f"{name} belongs to the {spec.owner} unit; name the insert slot "
                f"(1 to {inserts_max}) that holds it"
            )
    elif slot:
        raise ParameterError(f"{name} is not an insert parameter; leave slot at 0")
    kinds = layout["kinds"]
    return (slot << layout["slot_shift"] | kinds[kind] << layout["kind_shift"] | index) & 0xFFFFFFFF
