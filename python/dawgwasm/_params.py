"""Parameter specs as read from the engine's table, and their validation.

The table lives in the Rust crate (``dsp_rust/src/spec.rs``) and is read
through the ABI; nothing here hard-codes a parameter.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from dawgwasm._errors import ParameterError, ParameterRangeError

__all__ = ["ParamSpec", "ParamTable", "Scope"]

Scope = Literal["track", "master", "channel", "insert", "synth", "sampler"]


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: identity, unit, legal range, default and smoothing.

    ``scope`` says where it lives: ``track`` (every track), ``channel``
    (tracks and buses), ``master``, ``insert`` (an insert slot holding the
    effect unit named by ``owner``), ``synth`` or ``sampler`` (a track with
    that source; ``owner`` repeats it). ``owner`` is empty otherwise.
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

    def range_text(self) -> str:
        """The legal range for messages, e.g. ``-96 to 12 dB``."""
        unit = f" {self.unit}" if self.unit else ""
        kind = "whole numbers " if self.stepped else ""
        return f"{kind}{_num(self.min)} to {_num(self.max)}{unit}"

    def validate(self, value: object) -> float:
        """``value`` as a float if it is legal, else ParameterRangeError."""
        if not isinstance(value, numbers.Real):
            raise ParameterRangeError(
                f"{self.name} must be a number, not {type(value).__name__}; "
                f"legal values are {self.range_text()}"
            )
        v = float(value)  # bool, int, float and numpy scalars alike
        if not math.isfinite(v):
            raise ParameterRangeError(
                f"{self.name} = {v} is not a finite number; legal values are {self.range_text()}"
            )
        if v < self.min or v > self.max:
            raise ParameterRangeError(
                f"{self.name} = {_num(v)} is out of range; legal values are {self.range_text()}"
            )
        if self.stepped and v != round(v):
            raise ParameterRangeError(
                f"{self.name} = {_num(v)} must be a whole number; legal values are "
                f"{self.range_text()}"
            )
        return v

    def to_json(self) -> dict[str, Any]:
        """The spec as a JSON-ready dict (manifest, generated JS)."""
        return asdict(self)


def _num(v: float) -> str:
    return f"{v:g}"


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
