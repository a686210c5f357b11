"""A progress bar on stderr for the long commands (bench, profile): each
call of the returned function is one step done, named by its argument."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

__all__ = ["progress_bar"]


@contextmanager
def progress_bar(console: Console, total: int | None) -> Iterator[Callable[[str], None]]:
    """A bar of ``total`` steps (None: not known beforehand, the bar pulses
    and counts); each call names the step starting, the one before it done;
    a step past an estimated total extends it. Nothing is drawn when the
    console is not a terminal (a log, a pipe)."""
    if not console.is_terminal:
        yield lambda _what: None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", style="bold"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=total)
        started = [False]

        def step(what: str) -> None:
            done = bar.tasks[0].completed + (1 if started[0] else 0)
            if total is not None and done + 1 > (bar.tasks[0].total or 0):
                bar.update(task, total=done + 1)
            bar.update(task, description=what, completed=done)
            started[0] = True

        yield step
