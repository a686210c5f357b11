"""``dawgwasm session``: write the built-in reference session, or check a session file."""

from __future__ import annotations

import json
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
    from dawgwasm._engine import Engine
    from dawgwasm._errors import LimitError
    from dawgwasm._files import replacing
    from dawgwasm._reference import reference_session
    from dawgwasm._session import check_samples, load_session, parse_session, render_frames

    if write_reference:
        with replacing(path) as tmp:
            tmp.write_text(json.dumps(reference_session(), indent=1) + "\n", encoding="utf-8")
        click.echo(f"wrote the reference session to {path}")
        return
    doc = load_session(path)
    with Engine.from_dist(dist, "simd") as engine:
        s = parse_session(doc, engine.params, engine.units, engine.sources, base_dir=path.parent)
    check_samples(s, sample_root)
    try:
        render_frames(s, 48000.0, None)
    except LimitError as e:
        click.echo(f"note: {e}", err=True)
    notes = sum(len(t.notes) for t in s.tracks)
    click.echo(
        f"{path}: valid session {s.name!r}: {len(s.tracks)} tracks, {len(s.buses)} buses, "
        f"{s.tempo_bpm:g} BPM, {s.length_beats:g} beats, {notes} notes per pass"
    )
