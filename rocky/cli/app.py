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
from typing import Annotated, Any

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
        typer.Option("--state-path", help="The ledger file (default .rocky-state.sqlite beside rocky.toml)."),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Re-raise errors with a traceback.")] = False,
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    ctx.obj = Settings(config=config, output=output, state_path=state_path, debug=debug)


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(app)


def _register_plugin_commands() -> None:
    from rocky.plugins import get_plugin_manager

    get_plugin_manager().hook.rocky_register_commands(app=app)


def run(argv: list[str] | None = None) -> Any:
    """Run the CLI; RockyError becomes one line on stderr and exit code 1."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        _register_commands()
        _register_plugin_commands()
        return app(args=args, standalone_mode=False)
    except RockyError as err:
        if debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:  # click usage errors arrive here with standalone_mode off
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code if exc.exit_code else 2)
        raise
