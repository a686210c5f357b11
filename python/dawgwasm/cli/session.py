"""``dawgwasm session``: write the built-in reference session, or check a session file."""

from __future__ import annotations

from pathlib import Path

import click

from dawgwasm.cli._options import engine_option

__all__ = ["command"]


@click.command("session")
@click.argument("path", metavar="PATH", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--write-reference",
    is_flag=True,
    help="Write the built-in reference session to PATH (then edit or render it).",
)
@engine_option("Build folder whose engine checks the session (see `dawgwasm build`).")
@click.option(
    "--sample-root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Read sample files from this folder instead of the session's.",
)
def command(path: Path, write_reference: bool, dist: Path | None, sample_root: Path | None) -> None:
    """Check the session document PATH against the engine, or write one.

    A session is one JSON document: tracks (source, strip, inserts, sends,
    fader, pan, pattern of notes, automation), buses, master, tempo and
    samples. Checking names the JSON path of the first bad field and what is
    allowed there, and opens every sample file a track plays (relative to
    the session's folder, or --sample-root, never outside it). `dawgwasm
    render PATH OUT.wav` renders it.
    """
    from dawgwasm._render import check_session_file, write_reference_session

    if write_reference:
        write_reference_session(path)
        click.echo(f"wrote the reference session to {path}")
        return
    result = check_session_file(path, dist=dist, sample_root=sample_root)
    if result.note:
        click.echo(f"note: {result.note}", err=True)
    s = result.session
    click.echo(
        f"{path}: valid session {s.name!r}: {len(s.tracks)} tracks, {len(s.buses)} buses, "
        f"{s.tempo_bpm:g} BPM, {s.length_beats:g} beats, {result.notes} notes per pass"
    )
