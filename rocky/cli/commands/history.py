"""``rocky history``: the runs recorded in the ledger, newest first."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from rocky.cli.common import OutputOpt, emit, settings


def register(app: typer.Typer) -> None:
    app.command("history")(history)


def history(
    ctx: typer.Context,
    limit: Annotated[int | None, typer.Option("--limit", help="Show at most N runs.")] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Only runs that executed this model.")
    ] = None,
    audit: Annotated[
        bool, typer.Option("--audit", help="Add who/where fields: identity, git, host, version.")
    ] = False,
    output: OutputOpt = None,
) -> None:
    """List recorded runs: status, trigger, start, duration and models."""
    from rocky.ledger import Ledger
    from rocky.replay import history_json

    with Ledger.open_existing(settings(ctx).ledger_path()) as ledger:
        data = history_json(ledger, limit=limit, audit=audit, model=model)
    emit(ctx, data, _table, output)


def _table(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("run", "status", "trigger", "started_at", "ms", "models")
    for run in data["runs"]:
        status = run["status"] + (" (interrupted)" if run["interrupted"] else "")
        table.add_row(
            run["run_id"], status, run["trigger"], run["started_at"],
            str(run["duration_ms"]), str(run["models_executed"]),
        )
    Console().print(table)
