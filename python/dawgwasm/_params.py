"""Parameter specs as read from the engine's table, and the one value checker.

The table lives in the Rust crate (``dsp_rust/src/spec.rs``) and is read
through the ABI; nothing here hard-codes a parameter.

The value rule (:data:`VALUE_RULE`, also in the manifest's ``rules``, and
implemented word for word by ``web/static/dawg-rules.js``): a value is a
number (``true`` and ``false`` count as 1 and 0) and finite; it is rounded
to float32 — the engine's type — and that float32 value must lie between
the parameter's ``min`` and ``max`` rounded to float32, and be whole for a
stepped parameter. Messages show numbers as JavaScript's ``String(number)``
does (:func:`format_number`), so both languages word a refusal alike.
"""

from __future__ import annotations

import math
import numbers
import struct
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Final, Literal

from dawgwasm._errors import ParameterError, ParameterRangeError

__all__ = [
    "VALUE_RULE",
    "ParamSpec",
    "ParamTable",
    "Scope",
    "check_value",
    "format_number",
    "kind_text",
    "to_float32",
]

Scope = Literal["track", "master", "channel", "insert", "synth", "sampler"]

VALUE_RULE: Final = (
    "a number (true and false count as 1 and 0) that is finite; it is rounded to float32, "
    "then compared with min and max rounded to float32, and must be whole if the parameter "
    "is stepped"
)


def to_float32(x: float) -> float:
    """``x`` rounded to the nearest float32 (ties to even; beyond its range,
    an infinity): JavaScript's ``Math.fround``."""
    try:
        rounded: float = struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)
    return rounded


def format_number(x: float) -> str:
    """``x`` as JavaScript's ``String(x)`` writes it: the shortest decimal
    that reads back as ``x``, plain from 1e-6 to below 1e21 (``12``,
    ``0.5``, ``100000000000000000000``), else ``1.5e+21``, ``1e-7``;
    ``NaN``, ``Infinity``, ``-Infinity``; minus zero is ``0``."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    mantissa, _, exponent = repr(abs(float(x))).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    scale = (int(exponent) if exponent else 0) - len(fraction)
    stripped = digits.rstrip("0")
    scale += len(digits) - len(stripped)
    k = len(stripped)
    n = scale + k  # the value is 0.<stripped> x 10^n
    if k <= n <= 21:
        text = stripped + "0" * (n - k)
    elif 0 < n <= 21:
        text = stripped[:n] + "." + stripped[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + stripped
    else:
        e = n - 1
        head = stripped if k == 1 else stripped[0] + "." + stripped[1:]
        text = f"{head}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + text


def kind_text(v: object) -> str:
    """What a JSON value is, for messages (``a string``, ``a list``, ``null``...)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, list | tuple):
        return "a list"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, numbers.Real):
        return "a number"
    return type(v).__name__


def _as_float(v: numbers.Real) -> float:
    try:
        return float(v)  # bool, int, float and numpy scalars alike
    except OverflowError:  # an int beyond float64: as JSON.parse reads it in JS
        return math.inf if int(v) > 0 else -math.inf  # type: ignore[call-overload]


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: identity, unit, legal range, default and smoothing.

    ``scope`` says where it lives: ``track`` (every track), ``channel``
    (tracks and buses), ``master``, ``insert`` (an insert slot holding the
    effect unit named by ``owner``), ``synth`` or ``sampler`` (a track with
    that source; ``owner`` repeats it). ``owner`` is empty otherwise.
    ``group`` names the parameters it lives with (the engine's table says
    which; a unit's or source's parameters are grouped by their owner).
    """

    id: int
    name: str
    unit: str
    scope: Scope
    owner: str
    min: float
    max: float
    default: float
    smoothing_ms: float
    stepped: bool
    doc: str
    group: str = ""

    def range_text(self) -> str:
        """The legal range for messages, e.g. ``-96 to 12 dB``."""
        unit = f" {self.unit}" if self.unit else ""
        kind = "whole numbers " if self.stepped else ""
        return f"{kind}{format_number(self.min)} to {format_number(self.max)}{unit}"

    def validate(self, value: object) -> float:
        """:func:`check_value` for this parameter."""
        return check_value(self, value)

    def to_json(self) -> dict[str, Any]:
        """The spec as a JSON-ready dict (manifest, generated JS)."""
        return asdict(self)


def check_value(spec: ParamSpec, value: object) -> float:
    """``value`` as a float if :data:`VALUE_RULE` accepts it for ``spec``,
    else ParameterRangeError. The value returned is the one given (as a
    float); the engine receives it rounded to float32."""
    legal = f"legal values are {spec.range_text()}"
    if not isinstance(value, numbers.Real):
        raise ParameterRangeError(f"{spec.name} must be a number, not {kind_text(value)}; {legal}")
    v = _as_float(value)
    shown = format_number(v)
    if not math.isfinite(v):
        raise ParameterRangeError(f"{spec.name} = {shown} is not a finite number; {legal}")
    f = to_float32(v)
    if f < to_float32(spec.min) or f > to_float32(spec.max):
        raise ParameterRangeError(f"{spec.name} = {shown} is out of range; {legal}")
    if spec.stepped and f != math.floor(f):
        raise ParameterRangeError(f"{spec.name} = {shown} must be a whole number; {legal}")
    return v


class ParamTable(Mapping[str, ParamSpec]):
    """Parameters by name, in table (id) order."""

    def __init__(self, specs: list[ParamSpec]) -> None:
        self._by_name = {p.name: p for p in specs}
        self._specs = list(specs)

    def __getitem__(self, name: str) -> ParamSpec:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self._by_name)
            raise ParameterError(f"unknown parameter {name!r}; known parameters: {known}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._specs)

    def by_id(self, param_id: int) -> ParamSpec:
        """The parameter with this id."""
        if not 0 <= param_id < len(self._specs):
            raise ParameterError(f"no parameter has id {param_id}")
        return self._specs[param_id]

    def specs(self) -> list[ParamSpec]:
        """All specs in id order."""
        return list(self._specs)
