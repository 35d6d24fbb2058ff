"""``rocky fmt``: canonical formatting of .rocky DSL files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from rocky.cli.common import OutputOpt, emit, fail, settings


def register(app: typer.Typer) -> None:
    app.command("fmt")(fmt)


def fmt(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or directories (default: the project's models/)."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if a file would change.")
    ] = False,
    output: OutputOpt = None,
) -> None:
    """Rewrite .rocky files in their canonical form (idempotent)."""
    from rocky.errors import RockyError
    from rocky.formatting import format_paths

    models = settings(ctx).project_dir() / "models"
    if not paths and models.exists() and not models.is_dir():
        raise RockyError(f"{models}: not a directory", hint="name the .rocky files to format")
    targets = paths or [models]
    report = format_paths(targets, check=check)
    data = {
        "version": _version(),
        "command": "fmt",
        "check": check,
        "changed": [str(p) for p in report.changed],
        "unchanged": len(report.unchanged),
        "errors": report.errors,
    }
    emit(ctx, data, _table, output)
    if report.errors:
        fail(report.errors[0], more=len(report.errors) - 1)
    if check and report.changed:
        raise typer.Exit(1)


def _version() -> str:
    from rocky import __version__

    return __version__


def _table(data: dict[str, Any]) -> None:
    verb = "would reformat" if data["check"] else "reformatted"
    for path in data["changed"]:
        print(f"{verb} {path}")
    for error in data["errors"]:
        print(f"left as it was: {error}")
    print(f"{len(data['changed'])} {verb}, {data['unchanged']} unchanged")
