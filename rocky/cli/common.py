"""Options and output shared by every command."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from rocky.errors import RockyError

__all__ = ["OutputOpt", "Settings", "emit", "settings"]


@dataclass
class Settings:
    config: Path
    output: str | None
    state_path: Path | None
    debug: bool

    def project_dir(self) -> Path:
        return self.config.resolve().parent

    def ledger_path(self) -> Path:
        if self.state_path is not None:
            return self.state_path
        return self.project_dir() / ".rocky-state.sqlite"


def settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    if not isinstance(obj, Settings):  # invoked without the root callback (tests)
        obj = Settings(Path("rocky.toml"), None, None, False)
    return obj


OutputOpt = Annotated[
    str | None,
    typer.Option("-o", "--output", help="json or table (overrides the global option)."),
]


def output_format(ctx: typer.Context, override: str | None = None) -> str:
    choice = override or settings(ctx).output
    if choice is None:
        return "table" if sys.stdout.isatty() else "json"
    if choice not in ("json", "table"):
        raise RockyError(f"unknown output format '{choice}'", hint="use json or table")
    return choice


def emit(
    ctx: typer.Context,
    data: dict[str, Any],
    table: Callable[[dict[str, Any]], None],
    output: str | None = None,
) -> None:
    """Print ``data`` as JSON, or hand it to ``table`` for a terminal."""
    if output_format(ctx, output) == "json":
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    else:
        table(data)
