"""Options shared by several subcommands."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = ["FiniteFloatRange", "dist_option", "engine_option"]

F = TypeVar("F", bound=Callable[..., Any])


def dist_option(help_text: str) -> Callable[[F], F]:
    """``--dist DIR``: the folder `dawgwasm build` wrote (default ``dist``)."""
    return click.option(
        "--dist",
        "dist",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("dist"),
        show_default=True,
        metavar="DIR",
        help=help_text,
    )


def engine_option(help_text: str) -> Callable[[F], F]:
    """``--dist DIR``: the build folder whose engine runs; without it
    (None), the engine bundled with dawgwasm."""
    return click.option(
        "--dist",
        "dist",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        metavar="DIR",
        help=f"{help_text}  [default: the engine bundled with dawgwasm, not ./dist; "
        "`--dist dist` runs your own build]",
    )


class FiniteFloatRange(click.FloatRange):
    """A float within a range that refuses NaN and infinities by name
    (``click.FloatRange`` lets NaN through: every comparison with it is false)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        x = super().convert(value, param, ctx)
        if not math.isfinite(x):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return x
