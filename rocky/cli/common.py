"""Options and output shared by every command."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from rocky.errors import RockyError

__all__ = ["OutputOpt", "Settings", "emit", "fail", "first_line", "settings"]


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
    """Print ``data`` as JSON, or hand it to ``table`` for a terminal.

    JSON is indented for a person at a terminal and compact otherwise: the
    indenting encoder is pure Python, several times slower than the compact
    one on a large project's report."""
    if output_format(ctx, output) == "json":
        if sys.stdout.isatty():
            text = json.dumps(data, indent=2, default=str)
        else:
            text = json.dumps(data, separators=(",", ":"), default=str)
        sys.stdout.write(text + "\n")
    else:
        table(data)


def first_line(text: str) -> str:
    """The first non-blank line of ``text`` (warehouse errors span several)."""
    for line in text.strip().splitlines():
        if line.strip():
            return line.strip()
    return text.strip()


def fail(message: str, code: int = 1, *, more: int = 0, hint: str | None = None) -> NoReturn:
    """End a command whose report is already printed: one ``error:`` line on
    stderr (``more`` counts the problems not named), then exit ``code``."""
    text = first_line(message)
    notes = [f"and {more} more"] if more > 0 else []
    if hint:
        notes.append(hint)
    if notes:
        text += f" ({'; '.join(notes)})"
    print(f"error: {text}", file=sys.stderr)
    raise typer.Exit(code)
