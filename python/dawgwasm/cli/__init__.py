"""The ``dawgwasm`` command line: a click group with one module per subcommand.

Exit codes: 0 success, 1 a :class:`~dawgwasm.DawgwasmError` or an OS error
on a file the user named (one line on stderr; the traceback too with ``-v``),
2 usage errors, 130 interrupted.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NoReturn

import click

from dawgwasm import _runtime
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
    from dawgwasm.cli import bench, build, demo, doctor, profile, render, serve, session

    for module in (bench, build, demo, doctor, profile, render, serve, session):
        cli.add_command(module.command)


_register()


def _os_error_text(e: OSError) -> str:
    """``path: reason`` for an OS error on a file the user named."""
    where = f"{e.filename}: " if e.filename else ""
    return f"{where}{e.strerror or e}"


def _unraisable(previous: Callable[[Any], object], hook_args: Any) -> None:
    """A Ctrl-C whose KeyboardInterrupt was raised inside a finaliser (where
    Python would print it and carry on) is noted, so that the next engine
    call, or the end of the command, raises it again; anything else goes to
    the previous hook."""
    if hook_args.exc_type is not None and issubclass(hook_args.exc_type, KeyboardInterrupt):
        _runtime.interrupt_swallowed()
        return
    previous(hook_args)


def _fail(message: str, verbose: bool, code: int) -> NoReturn:
    if verbose:
        import traceback

        traceback.print_exc()
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI; map dawgwasm errors to exit 1 and Ctrl-C to exit 130.

    Without ``-v`` no traceback is ever printed: an error that is not one of
    dawgwasm's own (a defect) is one line too, with the hint to rerun with
    ``-v``."""
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in args or "--verbose" in args
    previous_hook = sys.unraisablehook
    sys.unraisablehook = partial(_unraisable, previous_hook)
    try:
        cli.main(args=args, prog_name="dawgwasm", standalone_mode=False)
        if _runtime.swallowed_interrupt():
            raise KeyboardInterrupt
    except DawgwasmError as e:
        if _runtime.swallowed_interrupt():  # the wasm call was interrupted by that Ctrl-C
            click.echo("interrupted", err=True)
            sys.exit(130)
        _fail(str(e), verbose, 1)
    except OSError as e:  # a file or folder the user named cannot be used
        _fail(_os_error_text(e), verbose, 1)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except MemoryError:
        _fail("out of memory", verbose, 1)
    except Exception as e:
        _fail(
            f"internal error ({type(e).__name__}: {e}); rerun with -v for the traceback "
            "and report it",
            verbose,
            1,
        )
    finally:
        sys.unraisablehook = previous_hook
