"""``dawgwasm serve``: the demo page and the built ``dist/`` over local HTTP."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dawgwasm._dist import marker_problem
from dawgwasm._errors import ServeError
from dawgwasm._server import Mount, demo_root, host_warning, make_server
from dawgwasm.cli._options import dist_option

__all__ = ["command"]


def _url_host(host: str) -> str:
    """``host`` as it appears in a URL (IPv6 addresses in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


@click.command("serve")
@dist_option("Build folder written by `dawgwasm build`, served under /dist/.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind. Anything but loopback exposes the page to the network.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to bind; 0 picks any free port.",
)
@click.option(
    "--no-isolation",
    is_flag=True,
    help="Leave out COOP/COEP, to try the fallback without SharedArrayBuffer.",
)
@click.option("--verbose-log", is_flag=True, help="Log every request to stderr.")
def command(dist: Path, host: str, port: int, no_isolation: bool, verbose_log: bool) -> None:
    """Serve the demo page at / and the build folder at /dist/ on local HTTP.

    Every response sets the headers that SharedArrayBuffer needs and turns
    caching off, so a rebuilt .wasm is never served stale:

    \b
      Cross-Origin-Opener-Policy: same-origin
      Cross-Origin-Embedder-Policy: require-corp
      Cache-Control: no-store

    Binds 127.0.0.1 unless --host says otherwise. Stop with Ctrl-C.
    """
    problem = marker_problem(dist)
    if problem is not None:
        raise ServeError(
            f"{dist} is not a dawgwasm build ({problem}); run 'dawgwasm build --out {dist}' first"
        )
    demo = demo_root()
    if not demo.is_dir():
        raise ServeError(
            f"demo folder {demo} is missing; run 'dawgwasm serve' from a source checkout"
        )
    warning = host_warning(host)
    if warning is not None:
        click.echo(warning, err=True)
    if no_isolation:
        click.echo(
            "note: serving without COOP/COEP; the page is not cross-origin isolated "
            "and has no SharedArrayBuffer",
            err=True,
        )
    server = make_server(
        [Mount("/dist/", dist.resolve()), Mount("/", demo)],
        host=host,
        port=port,
        isolation=not no_isolation,
        verbose=verbose_log,
    )
    bound_port = server.server_address[1]
    click.echo(f"serving http://{_url_host(host)}:{bound_port}/ (dist: {dist}) — Ctrl-C to stop")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(130)
    finally:
        server.server_close()
