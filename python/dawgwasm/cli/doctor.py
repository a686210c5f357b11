"""``dawgwasm doctor``."""

from __future__ import annotations

import click

__all__ = ["command"]


@click.command("doctor")
def command() -> None:
    """Show the tools dawgwasm found: cargo, rustc, the wasm32 standard
    library, Chromium and Node.js, with what to install for anything missing.

    Exits 1 when something required for `dawgwasm build` is missing.
    """
    from rich.console import Console
    from rich.table import Table

    from dawgwasm._errors import DawgwasmError
    from dawgwasm._toolchain import (
        INSTALL_HINT,
        WASM_TARGET,
        find_chromium,
        find_node,
        find_rust_toolchain,
    )

    table = Table(title="dawgwasm doctor", show_lines=False)
    table.add_column("tool")
    table.add_column("status")
    table.add_column("detail", overflow="fold")
    ok = True
    try:
        tc = find_rust_toolchain()
        table.add_row("rustc", "ok", f"{tc.version} ({tc.rustc})")
        table.add_row("cargo", "ok", str(tc.cargo))
        table.add_row(f"{WASM_TARGET} std", "ok", str(tc.sysroot / "lib" / "rustlib" / WASM_TARGET))
        table.add_row("wasm linker", "ok", f"{tc.linker} -> {tc.linker.resolve()}")
        table.add_row("host target", "ok", tc.host)
    except DawgwasmError as e:
        ok = False
        table.add_row("rust + wasm32 std", "missing", str(e))
    try:
        chromium = find_chromium()
        table.add_row("chromium", "ok", f"{chromium.version} ({chromium.path})")
    except DawgwasmError as e:
        table.add_row("chromium", "missing", f"{e} (needed by the browser tests and profile)")
    node = find_node()
    if node:
        table.add_row("node", "ok", f"{node.version} ({node.path})")
    else:
        table.add_row("node", "missing", "apt-get install nodejs (used to check generated JS)")
    Console(width=120).print(table)
    if not ok:
        click.echo(f"to fix: {INSTALL_HINT}", err=True)
        raise SystemExit(1)
