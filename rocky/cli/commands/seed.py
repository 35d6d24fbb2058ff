"""``rocky seed``: load seeds/*.csv into the warehouse."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from rocky.cli.common import OutputOpt, emit, settings


def register(app: typer.Typer) -> None:
    app.command("seed")(seed)


def seed(
    ctx: typer.Context,
    only: Annotated[
        list[str] | None, typer.Option("--seed", help="Load only this seed (repeatable).")
    ] = None,
    lock_timeout: Annotated[
        float,
        typer.Option("--lock-timeout", help="Seconds to wait for a run holding the ledger."),
    ] = 30.0,
    output: OutputOpt = None,
) -> None:
    """Load seeds/*.csv into tables with their inferred or declared types."""
    from rocky import __version__
    from rocky.seeding import seed_project

    opts = settings(ctx)
    results = seed_project(
        opts.config, state_path=opts.state_path, select=only, lock_timeout=lock_timeout
    )
    data = {
        "version": __version__,
        "command": "seed",
        "seeds": [r.to_json() for r in results],
        "total_rows": sum(r.rows for r in results),
    }
    emit(ctx, data, _table, output)


def _table(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("seed", "table", "rows", "columns")
    for s in data["seeds"]:
        columns = ", ".join(f"{c['name']} {c['type']}" for c in s["columns"])
        table.add_row(s["name"], s["target"], str(s["rows"]), columns)
    Console().print(table)
