"""The progress bar of bench and profile: on a terminal it names the step
running and counts the steps done against the total (extended when a run
takes more steps than estimated); into a log or a pipe it draws nothing."""

from __future__ import annotations

import io

from rich.console import Console

from dawgwasm.cli._progress import progress_bar


def test_progress_bar_counts_steps_on_a_terminal() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=120)
    with progress_bar(console, 2) as step:
        step("rendering anchor")
        step("rendering js")
        step("rendering wasm-simd")  # one more than estimated
    text = buf.getvalue()
    assert "rendering wasm-simd" in text
    assert "2/3" in text


def test_progress_bar_draws_nothing_into_a_log() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False, width=120)
    with progress_bar(console, 5) as step:
        step("rendering anchor")
    assert buf.getvalue() == ""
