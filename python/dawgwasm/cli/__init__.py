"""The ``dawgwasm`` command line: a click group with one module per subcommand.

Exit codes: 0 success, 1 a :class:`~dawgwasm.DawgwasmError` or an OS error
on a file the user named (one line on stderr; the traceback too with ``-v``),
2 usage errors, 130 interrupted.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from dawgwasm._errors import DawgwasmError

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 88})
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks and tool output.")
@click.version_option(package_name="dawgwasm")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Rust DSP for AudioWorklets: build it to WebAssembly, prove it, ship it."""
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose


def _register() -> None:
    from dawgwasm.cli import build, demo, doctor, render, serve, session

    for module in (build, demo, doctor, render, serve, session):
        cli.add_command(module.command)


_register()


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI; map dawgwasm errors to exit 1 and Ctrl-C to exit 130."""
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in args or "--verbose" in args
    try:
        cli.main(args=args, prog_name="dawgwasm", standalone_mode=False)
    except DawgwasmError as e:
        if verbose:
            import traceback

            traceback.print_exc()
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    except OSError as e:  # a file or folder the user named cannot be used
        if verbose:
            import traceback

            traceback.print_exc()
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
