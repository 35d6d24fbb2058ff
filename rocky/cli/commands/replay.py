"""``rocky replay``: one recorded run in detail, and ``--verify``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from rocky.cli.common import OutputOpt, emit, settings


def register(app: typer.Typer) -> None:
    app.command("replay")(replay)


def replay(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="A run id, or `latest`.")],
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Check the hash chain, rebuild each sql_hash from the run's git commit, "
            "and compare row counts and columns with the live tables.",
        ),
    ] = False,
    output: OutputOpt = None,
) -> None:
    """Show what a run executed: models, sql_hash, rows, bytes, timings.

    With --verify, exit 1 when anything recorded does not match.
    """
    from rocky.ledger import Ledger
    from rocky.replay import live_run_id, replay_json

    opts = settings(ctx)
    with Ledger.open_existing(opts.ledger_path()) as ledger:
        record = ledger.get_run(run_id)
        data = replay_json(
            record, live=live_run_id(ledger.path),
            record_hash=ledger.record_hash_of(record.run_id),
        )
        if verify:
            from rocky.verify import verify_project_run

            report = verify_project_run(ledger, record, opts.config)
            data.update(report.to_json())
    emit(ctx, data, _table, output)
    if verify and not data["verified"]:
        raise typer.Exit(1)


def _table(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"run {data['run_id']}: {data['status']} ({data['trigger']}) "
        f"{data['started_at']} -> {data['finished_at']}"
    )
    console.print(
        f"by {data['triggering_identity']} on {data['hostname']} at commit {data['git_commit']}"
    )
    verdicts = {v["model_name"]: v for v in data.get("verdicts", [])}
    columns = ["model", "status", "sql_hash", "rows", "ms"]
    if verdicts:
        columns.append("verdict")
    table = Table(*columns)
    for m in data["models"]:
        row = [m["model_name"], m["status"], (m["sql_hash"] or "")[:16],
               "" if m["rows_affected"] is None else str(m["rows_affected"]),
               str(m["duration_ms"])]
        if verdicts:
            row.append(verdicts.get(m["model_name"], {}).get("verdict", ""))
        table.add_row(*row)
    console.print(table)
    if "verified" in data:
        chain = data["chain"]
        state = "ok" if chain["ok"] else "BROKEN"
        console.print(f"hash chain: {state} ({chain['runs_checked']} runs)")
        for problem in chain["problems"]:
            console.print(f"  [red]{problem['run_id'] or ''} {problem['problem']}[/red]")
        for v in data["verdicts"]:
            for problem in v["problems"]:
                console.print(f"  [red]{v['model_name']}: {problem}[/red]")
        for note in data["notes"]:
            console.print(f"  note: {note}")
        console.print("verified" if data["verified"] else "[red]NOT verified[/red]")
