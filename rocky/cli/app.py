"""The root typer app, global options and error reporting.

Each module in ``rocky.cli.commands`` exposes ``register(app)``; they are
found by listing the package so that command groups stay independent files.
Command modules import heavy libraries inside their functions only.

Start-up is paid on every invocation, so the app is run lean: a command
named on the command line is dispatched by an app holding that command
alone (the full app builds every command's parameters), and parameters are
converted by :mod:`rocky.cli.params` without importing pydantic.
"""

from __future__ import annotations

import errno
import importlib
import pkgutil
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
import typer.main
from typer.core import TyperGroup

from rocky import __version__
from rocky.cli import commands
from rocky.cli.common import Settings
from rocky.cli.params import convert_directly, convert_param
from rocky.errors import RockyError

__all__ = ["app", "command_name", "run"]


class RockyGroup(TyperGroup):
    """The root command group: typer's own, with the parameters of the
    group and of its commands converted without pydantic where the value
    allows (:mod:`rocky.cli.params`)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        convert_directly(self)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        convert_param(option)
        return option

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        # The command's help option is made with the option names of its
        # context, which inherits them from ``ctx`` unless the command sets
        # its own: made here, it can be converted before it is parsed.
        if command is not None and "help_option_names" not in command.context_settings:
            convert_param(command.get_help_option(ctx))
        return name, command, rest


_SETTINGS: dict[str, Any] = {
    "name": "rocky",
    "help": "A typed compiler and runner for SQL transformation pipelines.",
    "no_args_is_help": True,
    "add_completion": False,
    "pretty_exceptions_enable": False,
    "context_settings": {"help_option_names": ["-h", "--help"]},
    "cls": RockyGroup,
}
_HELP = frozenset(_SETTINGS["context_settings"]["help_option_names"])

app = typer.Typer(**_SETTINGS)


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
    name = command_name(args)
    if name != "plugins" and name in {c.name for c in app.registered_commands}:
        return
    from rocky.plugins import get_plugin_manager

    get_plugin_manager().hook.rocky_register_commands(app=app)


_VALUED = frozenset({"-c", "--config", "-o", "--output", "--state-path"})


def _command_index(args: list[str]) -> int | None:
    """Where the first argument that is not a global option (or its value) is."""
    pending_value = False
    for index, arg in enumerate(args):
        if pending_value:
            pending_value = False
        elif arg in _VALUED:
            pending_value = True
        elif not arg.startswith("-"):
            return index
    return None


def command_name(args: list[str]) -> str | None:
    """The first argument that is not a global option (or its value)."""
    index = _command_index(args)
    return None if index is None else args[index]


def _dispatcher(args: list[str]) -> typer.Typer:
    """The app that runs ``args``: for a registered command, a root with the
    same callback and settings holding that command alone, since typer
    builds the parameters of every command it holds before parsing (over a
    tenth of the start-up for a dozen commands). Anything else (no command, help
    asked before the command, an unknown name, plugin sub-groups) goes to
    the full app, whose help lists every command and whose errors suggest
    the closest name."""
    index = _command_index(args)
    if index is None or app.registered_groups or _HELP.intersection(args[:index]):
        return app
    name = args[index]
    chosen = [c for c in app.registered_commands if _registered_name(c) == name]
    if not chosen:
        return app
    lean = typer.Typer(**_SETTINGS)
    lean.registered_callback = app.registered_callback
    lean.registered_commands = chosen
    return lean


def _registered_name(info: Any) -> str | None:
    """A registered command's name as typer derives it."""
    if info.name:
        return str(info.name)
    callback = info.callback
    return None if callback is None else typer.main.get_command_name(callback.__name__)


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
        code = _dispatcher(args)(args=args, prog_name="rocky", standalone_mode=False)
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
