"""Options shared by several subcommands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = ["dist_option"]

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
