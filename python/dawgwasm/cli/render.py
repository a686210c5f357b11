"""``dawgwasm render``."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from dawgwasm.cli._options import dist_option

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
@dist_option("Build folder holding the .wasm (see `dawgwasm build`).")
@click.option(
    "--variant",
    type=click.Choice(["simd", "scalar"]),
    default="simd",
    show_default=True,
    help="Which wasm build to run.",
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
    type=click.FloatRange(0.01, 3600),
    default=None,
    help="Session renders: length in seconds (default: one pass of the session).",
)
@click.option(
    "--sample-rate",
    "sample_rate_hz",
    type=click.FloatRange(22050, 192000),
    default=48000.0,
    show_default=True,
    help="Session renders: sample rate in Hz.",
)
@click.option(
    "--list-params", is_flag=True, help="List the parameters and their ranges, then exit."
)
def command(
    input_path: Path | None,
    output_path: Path | None,
    params: tuple[str, ...],
    dist: Path,
    variant: str,
    subtype: str,
    seconds: float | None,
    sample_rate_hz: float,
    list_params: bool,
) -> None:
    """Render IN into OUT (WAV, FLAC, ...): a session (.json) or an audio file.

    A session (see `dawgwasm session --help`) is validated, its samples
    loaded, its patterns scheduled as sample-accurate events and the whole
    mix rendered for --seconds. An audio file goes through one track's
    channel strip. Either way it is the same .wasm the browser runs,
    executed headless under wasmtime. Each --param is checked against the
    engine's own table (for a session it applies to the master).
    """
    from dawgwasm._audio import read_stereo, write_audio
    from dawgwasm._engine import Engine, Variant

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
        _render_session(input_path, output_path, dist, variant, subtype, seconds, sample_rate_hz)
        return
    audio, rate = read_stereo(input_path)
    with Engine.from_dist(dist, cast(Variant, variant), sample_rate_hz=rate) as engine:
        for name, value in assignments:
            engine.set(name, value)
        engine.reset()
        out = engine.render(audio)
    write_audio(output_path, out, rate, subtype)
    import numpy as np

    peak = float(np.max(np.abs(out))) if out.size else 0.0
    peak_db = 20 * np.log10(peak) if peak > 0 else float("-inf")
    click.echo(f"wrote {output_path}: {out.shape[1]} frames at {rate} Hz, peak {peak_db:.1f} dBFS")
    if peak > 1.0 and subtype != "FLOAT":
        click.echo("warning: output exceeds 0 dBFS and will clip in a fixed-point format", err=True)


def _render_session(
    path: Path,
    out_path: Path,
    dist: Path,
    variant: str,
    subtype: str,
    seconds: float | None,
    sample_rate_hz: float,
) -> None:
    import numpy as np

    from dawgwasm._audio import write_audio
    from dawgwasm._engine import Engine, Variant
    from dawgwasm._session import apply_session, load_session, parse_session, render_session

    doc = load_session(path)
    with Engine.from_dist(dist, cast(Variant, variant), sample_rate_hz=sample_rate_hz) as probe:
        session = parse_session(doc, probe.params, probe.units, probe.sources, base_dir=path.parent)
    with Engine.from_dist(
        dist,
        cast(Variant, variant),
        sample_rate_hz=sample_rate_hz,
        tracks=len(session.tracks),
        max_quanta=64,
    ) as engine:
        apply_session(session, engine)
        out = render_session(session, engine, seconds)
    write_audio(out_path, out, int(sample_rate_hz), subtype)
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    peak_db = 20 * np.log10(peak) if peak > 0 else float("-inf")
    click.echo(
        f"wrote {out_path}: session {session.name!r}, {len(session.tracks)} tracks, "
        f"{out.shape[1]} frames at {sample_rate_hz:g} Hz, peak {peak_db:.1f} dBFS"
    )
