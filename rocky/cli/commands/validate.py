"""``rocky validate``: check the configuration (no warehouse, no SQL parsing)."""

from __future__ import annotations

from typing import Any

import typer

from rocky.cli.common import OutputOpt, emit, settings


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)


def validate(ctx: typer.Context, output: OutputOpt = None) -> None:
    """Check rocky.toml, adapters, pipelines and model files; exit 1 when invalid."""
    from rocky import __version__
    from rocky.validation import validate_project

    report = validate_project(settings(ctx).config)
    emit(ctx, report.to_json(__version__), _table, output)
    if not report.valid:
        raise typer.Exit(1)


_STYLE = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "error": "[red]error[/]"}


def _table(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("code", "severity", "message")
    for msg in data["messages"]:
        table.add_row(msg["code"], _STYLE.get(msg["severity"], msg["severity"]), msg["message"])
    console = Console()
    console.print(table)
    models = data["models"]
    verdict = "[green]valid[/]" if data["valid"] else "[red]invalid[/]"
    console.print(
        f"{verdict}: {len(data['adapters'])} adapter(s), {len(data['pipelines'])} pipeline(s), "
        f"{models['count']} model(s), DAG {'valid' if models['dag_valid'] else 'not valid'}"
    )
