"""The root typer app, global options and error reporting.

Each module in ``rocky.cli.commands`` exposes ``register(app)``; they are
found by listing the package so that command groups stay independent files.
Command modules import heavy libraries inside their functions only.
"""

from __future__ import annotations

import errno
import importlib
import pkgutil
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from rocky import __version__
from rocky.cli import commands
from rocky.cli.common import Settings
from rocky.errors import RockyError

__all__ = ["app", "run"]

app = typer.Typer(
    name="rocky",
    help="A typed compiler and runner for SQL transformation pipelines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"rocky {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        # Not checked here: the loader reports an unreadable file in one line.
        Path, typer.Option("-c", "--config", help="Path to rocky.toml.", readable=False)
    ] = Path("rocky.toml"),
    output: Annotated[
        str | None,
        typer.Option("-o", "--output", help="json or table (default: table on a TTY, else json)."),
    ] = None,
    state_path: Annotated[
        Path | None,
        typer.Option(
            "--state-path", help="The ledger file (default .rocky-state.sqlite beside rocky.toml)."
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Re-raise errors with a traceback.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    ctx.obj = Settings(config=config, output=output, state_path=state_path, debug=debug)


_registered = False


def _register_commands() -> None:
    """Add every built-in command module's commands (once per process)."""
    global _registered
    if _registered:
        return
    _registered = True
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(app)


def _register_plugin_commands(args: list[str]) -> None:
    """Add the commands plugins register, unless ``args`` name a built-in
    command: loading every plugin costs a tenth of a second, which a
    command that needs no plugin (or fails before it does) need not pay.
    ``rocky plugins`` loads them all anyway: showing them is its job."""
    name = _command_name(args)
    if name != "plugins" and name in {c.name for c in app.registered_commands}:
        return
    from rocky.plugins import get_plugin_manager

    get_plugin_manager().hook.rocky_register_commands(app=app)


_VALUED = frozenset({"-c", "--config", "-o", "--output", "--state-path"})


def _command_name(args: list[str]) -> str | None:
    """The first argument that is not a global option (or its value)."""
    pending_value = False
    for arg in args:
        if pending_value:
            pending_value = False
        elif arg in _VALUED:
            pending_value = True
        elif not arg.startswith("-"):
            return arg
    return None


def run(argv: list[str] | None = None) -> None:
    """Run the CLI. Whatever goes wrong ends as one ``error: ...`` line on
    stderr: a RockyError with its exit code (1, or 130 for an interrupted
    run), a usage error with exit 2, a file the system refuses with exit 1.
    Anything else is a bug in rocky, still one line; ``--debug`` re-raises
    instead, traceback and all."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        _register_commands()
        _register_plugin_commands(args)
        code = app(args=args, prog_name="rocky", standalone_mode=False)
    except RockyError as err:
        if debug:
            raise
        _fail(str(err), err.exit_code)
    except typer.Abort:
        _fail("aborted", 1)
    except OSError as err:
        if debug:
            raise
        _fail(_os_error_line(err), 1)
    except Exception as err:
        if _is_click_error(err):
            _usage(err)
        if debug:
            raise
        _fail(
            f"internal error: {type(err).__name__}: {_first_line(err)}",
            1,
            hint="this is a bug in rocky; rerun with --debug for the traceback",
        )
    sys.exit(code if isinstance(code, int) else 0)


def _os_error_line(err: OSError) -> str:
    """``<file>: <reason> (check that the path exists and that rocky may
    read and write it)`` for an error the operating system raised."""
    where = err.filename if err.filename is not None else None
    reason = err.strerror or _first_line(err)
    if err.errno == errno.EEXIST and where is not None and Path(where).is_file():
        reason = "is a file where a directory is needed"  # mkdir of a parent
    elif err.errno == errno.ENOTDIR:
        reason = "part of the path is a file, not a directory"
    text = f"{where}: {reason}" if where is not None else reason
    return f"{text} (check that the path exists and that rocky may read and write it)"


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def _fail(message: str, code: int, *, hint: str | None = None) -> NoReturn:
    text = f"{message} ({hint})" if hint else message
    print(f"error: {text}", file=sys.stderr)
    sys.exit(code)


# Typer may bundle its own click, so click's exceptions are told apart by
# class name rather than by isinstance checks against one click's classes.
def _is_click_error(err: Exception) -> bool:
    return any(c.__name__ == "ClickException" for c in type(err).__mro__)


def _usage(err: Any) -> NoReturn:
    """A usage error as one line naming the help to read (exit 2, as click)."""
    if type(err).__name__ == "NoArgsIsHelpError":  # the help is already printed
        sys.exit(err.exit_code)
    message = " ".join(str(err.format_message()).split())
    ctx = getattr(err, "ctx", None)
    hint = f"see `{ctx.command_path} --help`" if ctx is not None else None
    _fail(message, int(err.exit_code), hint=hint)
