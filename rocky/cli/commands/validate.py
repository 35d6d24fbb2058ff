"""``rocky validate``: check the configuration (no warehouse, no SQL parsing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from rocky.cli.common import OutputOpt, emit, fail, settings


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)


def validate(ctx: typer.Context, output: OutputOpt = None) -> None:
    """Check rocky.toml, adapters, pipelines and model files; exit 1 when invalid."""
    from rocky import __version__
    from rocky.validation import validate_project

    config = settings(ctx).config
    data = validate_project(config).to_json(__version__)
    emit(ctx, data, _table, output)
    errors = [m for m in data["messages"] if m["severity"] == "error"]
    if errors or not data["valid"]:
        fail(_error_line(errors, config) if errors else "the project is not valid",
             more=len(errors) - 1, hint="the report lists every problem")


def _error_line(errors: list[dict[str, Any]], config: Path) -> str:
    """The first error, naming its file: messages about a rocky.toml key
    carry only the key's path, so the file is added."""
    first = errors[0]
    text = str(first["message"])
    shown = first.get("file") or (config.name if first.get("field") else None)
    if shown and shown not in text:
        text = f"{shown}: {text}"
    return f"{text} [{first['code']}]"


_STYLE = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "error": "[red]error[/]"}


def _table(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table("code", "severity", "message")
    for msg in data["messages"]:
        table.add_row(
            msg["code"], _STYLE.get(msg["severity"], msg["severity"]), escape(msg["message"])
        )
    console = Console()
    console.print(table)
    models = data["models"]
    verdict = "[green]valid[/]" if data["valid"] else "[red]invalid[/]"
    console.print(
        f"{verdict}: {len(data['adapters'])} adapter(s), {len(data['pipelines'])} pipeline(s), "
        f"{models['count']} model(s), DAG {'valid' if models['dag_valid'] else 'not valid'}"
    )
