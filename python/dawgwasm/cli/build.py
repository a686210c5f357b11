"""``dawgwasm build``."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["command"]


@click.command("build")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    metavar="DIR",
    default=Path("dist"),
    show_default=True,
    help="Output folder: a new path, an empty folder or an earlier unchanged build; "
    "replaced only when the whole build succeeds.",
)
@click.option(
    "--crate",
    "crate",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Rust crate to build (default: the bundled dsp_rust/).",
)
@click.option(
    "--native/--no-native",
    default=False,
    show_default=True,
    help="Also build the crate for this machine (the baseline for tests and benchmarks).",
)
def command(out_dir: Path, crate: Path | None, native: bool) -> None:
    """Build the DSP crate to WebAssembly and generate its AudioWorklet glue.

    Builds a SIMD and a scalar .wasm, loads each under wasmtime to check its
    ABI version and exports and to read its parameter table, writes
    manifest.json, and renders dawg-processor.js (the worklet),
    dawg-engine.js (the main-thread module) and dawg-engine.d.ts into DIR,
    marked as dawgwasm's by a .dawgwasm-build file listing every file it
    wrote.

    DIR is replaced only if it is a new path, an empty folder (its mode is
    kept) or a dawgwasm build in which nothing was added or changed since.
    Anything else is refused: a folder without a valid .dawgwasm-build (a
    PWA manifest.json is not one), a file, a mount point, a write-protected
    folder, the crate or web/ (or a folder inside or holding them). A
    symbolic link is followed and kept; its target obeys the same rules.

    The build is assembled in a hidden folder next to DIR and swapped in
    atomically only when every step succeeded: a failed or interrupted
    build (Ctrl-C) leaves the previous DIR untouched. Concurrent builds into
    one DIR all succeed; leftovers of a build that died are removed by the
    next one, and nothing that is not provably dawgwasm's is ever deleted.
    """
    from dawgwasm._build import build
    from dawgwasm._cargo import build_native
    from dawgwasm._staging import check_out_dir
    from dawgwasm._toolchain import find_rust_toolchain

    def log(message: str) -> None:
        click.echo(f"  {message}", err=True)

    check_out_dir(out_dir, crate=crate, log=log)
    tc = find_rust_toolchain()
    click.echo(f"toolchain: {tc.version} ({tc.rustc})", err=True)
    report = build(out_dir, crate=crate, toolchain=tc, log=log)
    for variant, meta in report.manifest["wasm"].items():
        click.echo(
            f"{variant:>6}: {meta['file']}  {meta['bytes']} bytes  sha256 {meta['sha256'][:16]}"
        )
    click.echo(f"params: {len(report.manifest['params'])}; ABI v{report.manifest['abi_version']}")
    if native:
        lib = build_native(tc, crate)
        click.echo(f"native: {lib}")
    total = sum(report.seconds.values())
    click.echo(f"built {report.out_dir} in {total:.1f} s")
