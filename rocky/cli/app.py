"""The root typer app, global options and error reporting.

Each module in ``rocky.cli.commands`` exposes ``register(app)``; they are
found by listing the package so that command groups stay independent files.
Command modules import heavy libraries inside their functions only.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from rocky import __version__
from rocky.cli import commands
from rocky.cli.common import Settings
from rocky.errors import RockyError

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
        Path, typer.Option("-c", "--config", help="Path to rocky.toml.")
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


def _register_plugin_commands() -> None:
    from rocky.plugins import get_plugin_manager

    get_plugin_manager().hook.rocky_register_commands(app=app)


def run(argv: list[str] | None = None) -> None:
    """Run the CLI. A RockyError becomes one line on stderr and its exit code
    (1, or 130 for an interrupted run); usage errors are click's (exit 2)."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        _register_commands()
        _register_plugin_commands()
        app(args=args, prog_name="rocky")
    except RockyError as err:
        if debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        sys.exit(err.exit_code)
