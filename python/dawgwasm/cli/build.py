"""``dawgwasm build``."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["command"]


@click.command("build")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="Output folder; replaced only when the whole build succeeds.",
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
    dawg-engine.js (the main-thread module) and dawg-engine.d.ts into OUT.
    A failed build leaves the previous OUT untouched.
    """
    from dawgwasm._build import build, build_native
    from dawgwasm._toolchain import find_rust_toolchain

    tc = find_rust_toolchain()
    click.echo(f"toolchain: {tc.version} ({tc.rustc})", err=True)
    report = build(out_dir, crate=crate, toolchain=tc, log=lambda m: click.echo(f"  {m}", err=True))
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
