"""``dawgwasm render``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import cast

import click

from dawgwasm._limits import RENDER_SECONDS_MAX
from dawgwasm._truepeak import dbtp
from dawgwasm.cli._options import FiniteFloatRange, engine_option

__all__ = ["command", "parse_assignments"]


def parse_assignments(items: tuple[str, ...]) -> list[tuple[str, float]]:
    """``NAME=VALUE`` strings → ``(name, value)`` pairs."""
    out = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--param")
        try:
            number = float(value)
        except ValueError:
            raise click.BadParameter(
                f"{item!r}: {value!r} is not a number", param_hint="--param"
            ) from None
        out.append((name.strip(), number))
    return out


#: Output sample formats (soundfile subtypes).
SUBTYPES = ["FLOAT", "DOUBLE", "PCM_32", "PCM_24", "PCM_16"]


@click.command("render")
@click.argument(
    "input_path", metavar="IN", required=False, type=click.Path(dir_okay=False, path_type=Path)
)
@click.argument(
    "output_path", metavar="OUT", required=False, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a parameter before rendering (repeatable), e.g. --param gain_db=-6.",
)
@engine_option("Build folder holding the .wasm (see `dawgwasm build`).")
@click.option(
    "--variant",
    type=click.Choice(["simd", "scalar", "js"]),
    default="simd",
    show_default=True,
    help="Which engine of the build to run: a wasm build under wasmtime (simd, scalar) "
    "or the JavaScript engine under node (js).",
)
@click.option(
    "--subtype",
    type=click.Choice(SUBTYPES, case_sensitive=False),
    default="FLOAT",
    show_default=True,
    help="Output sample format: 32-bit float keeps the render exact.",
)
@click.option(
    "--seconds",
    type=FiniteFloatRange(0.01, RENDER_SECONDS_MAX),
    default=None,
    help="Session renders: length in seconds (default: one pass of the session).",
)
@click.option(
    "--sample-rate",
    "sample_rate_hz",
    type=FiniteFloatRange(22050, 192000),
    default=48000.0,
    show_default=True,
    help="Session renders: sample rate in Hz.",
)
@click.option(
    "--sample-root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Session renders: read sample files from this folder instead of the session's.",
)
@click.option(
    "--list-params", is_flag=True, help="List the parameters and their ranges, then exit."
)
def command(
    input_path: Path | None,
    output_path: Path | None,
    params: tuple[str, ...],
    dist: Path | None,
    variant: str,
    subtype: str,
    seconds: float | None,
    sample_rate_hz: float,
    sample_root: Path | None,
    list_params: bool,
) -> None:
    """Render IN into OUT (WAV, FLAC, ...): a session (.json) or an audio file.

    A session (see `dawgwasm session --help`) is validated, its samples
    loaded, its patterns scheduled as sample-accurate events and the whole
    mix rendered for --seconds. An audio file goes through one track's
    channel strip. Either way it is the same .wasm the browser runs,
    executed headless under wasmtime. Each --param is checked against the
    engine's own table; for a session it must be a master parameter
    (master_gain_db, tempo_bpm, auto_bypass) and overrides the document.

    OUT is checked before rendering: it must not be IN (or a sample the
    session reads), nor a folder, device or FIFO, nor write-protected. It is
    streamed to a hidden file that replaces OUT only when complete, keeping
    OUT's mode; a WAV over 4 GiB is written as RF64. Sample files are read
    from the session's folder (or --sample-root) and never from outside it.
    """
    from dawgwasm._dist import engine_dir
    from dawgwasm._engine import Engine, Variant
    from dawgwasm._render import render_audio_file, render_session_file

    assignments = parse_assignments(params)
    if list_params:
        with Engine.from_dist(dist, cast(Variant, variant)) as engine:
            for spec in engine.params.values():
                where = spec.owner or spec.scope
                click.echo(
                    f"{spec.name:<26} {where:<10} {spec.range_text():<30} "
                    f"default {spec.default:g}  {spec.doc}"
                )
        return
    if input_path is None or output_path is None:
        raise click.UsageError("render needs IN and OUT (or --list-params)")
    subtype = subtype.upper()
    if input_path.suffix.lower() == ".json":
        result = render_session_file(
            input_path,
            output_path,
            dist=engine_dir(dist),
            variant=cast(Variant, variant),
            subtype=subtype,
            seconds=seconds,
            sample_rate_hz=sample_rate_hz,
            params=assignments,
            sample_root=sample_root,
        )
    else:
        if seconds is not None or sample_root is not None:
            raise click.UsageError("--seconds and --sample-root apply to session renders only")
        result = render_audio_file(
            input_path,
            output_path,
            dist=engine_dir(dist),
            variant=cast(Variant, variant),
            subtype=subtype,
            params=assignments,
        )
    if result.note:
        click.echo(f"note: {result.note}", err=True)
    peak_db = 20 * math.log10(result.peak) if result.peak > 0 else float("-inf")
    what = ""
    if result.session is not None:
        what = f"session {result.session.name!r}, {len(result.session.tracks)} tracks, "
    click.echo(
        f"wrote {result.path}: {what}{result.frames} frames at {result.sample_rate_hz:g} Hz, "
        f"peak {peak_db:.1f} dBFS, true peak {dbtp(result.true_peak):+.2f} dBTP"
    )
    if result.peak > 1.0 and subtype != "FLOAT":
        click.echo("warning: output exceeds 0 dBFS and will clip in a fixed-point format", err=True)
