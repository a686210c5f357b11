"""Strict JSON reading for session documents: UTF-8, finite numbers of
bounded length, bounded nesting, a bounded regular file; anything else is
a :class:`~dawgwasm.SessionError` at ``$``."""

from __future__ import annotations

import json
import math
from pathlib import Path

from dawgwasm._errors import SessionError
from dawgwasm._files import open_input
from dawgwasm._limits import JSON_DEPTH_MAX, JSON_NUMBER_CHARS_MAX, SESSION_FILE_BYTES_MAX

__all__ = ["load_session", "parse_json"]


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
