"""``rocky run``: compile, plan and execute the project's models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from rocky.cli.common import OutputOpt, emit, fail, output_format, settings


def register(app: typer.Typer) -> None:
    app.command("run")(run)


def run(
    ctx: typer.Context,
    model: Annotated[
        str | None, typer.Option("--model", help="Run only this model (its upstreams must exist).")
    ] = None,
    models: Annotated[
        Path | None, typer.Option("--models", help="Models directory (default: from rocky.toml).")
    ] = None,
    var: Annotated[
        list[str] | None,
        typer.Option("--var", help="Set @var(name) as name=value (repeatable; recorded)."),
    ] = None,
    pipeline: Annotated[
        str | None, typer.Option("--pipeline", help="Which pipeline's execution settings apply.")
    ] = None,
    partition: Annotated[
        str | None, typer.Option("--partition", help="time_interval: run this partition key.")
    ] = None,
    from_key: Annotated[
        str | None, typer.Option("--from", help="time_interval: first partition of a range.")
    ] = None,
    to_key: Annotated[
        str | None, typer.Option("--to", help="time_interval: last partition of a range.")
    ] = None,
    latest: Annotated[
        bool, typer.Option("--latest", help="time_interval: the partition holding now (default).")
    ] = False,
    missing: Annotated[
        bool, typer.Option("--missing", help="time_interval: every partition not yet computed.")
    ] = False,
    lookback: Annotated[
        int | None,
        typer.Option("--lookback", help="time_interval: also recompute N earlier partitions."),
    ] = None,
    lock_timeout: Annotated[
        float,
        typer.Option("--lock-timeout", help="Seconds to wait for another run on this ledger."),
    ] = 30.0,
    output: OutputOpt = None,
) -> None:
    """Run the models: compile, plan, execute layer by layer, record in the ledger.

    Exit codes: 0 success, 1 failure, 2 partial failure, 130 interrupted.
    """
    from rocky.compiler.vars import parse_var_pairs
    from rocky.errors import RockyError
    from rocky.partitions import PartitionSelection
    from rocky.progress import RunProgress
    from rocky.session import RunRequest, run_project

    chosen = [partition is not None, from_key is not None or to_key is not None, latest, missing]
    if sum(chosen) > 1:
        raise RockyError("--partition, --from/--to, --latest and --missing exclude each other")
    opts = settings(ctx)
    fmt = output_format(ctx, output)
    request = RunRequest(
        config_path=opts.config,
        state_path=opts.state_path,
        models_dir=models,
        model=model,
        vars=parse_var_pairs(var or []),
        pipeline=pipeline,
        partitions=PartitionSelection(
            partition=partition, from_key=from_key, to_key=to_key,
            latest=latest, missing=missing, lookback=lookback,
        ),
        lock_timeout=lock_timeout,
        progress=RunProgress() if RunProgress.wanted(fmt) else None,
    )
    # A compile error is one line naming the first diagnostic; `rocky
    # compile` lists them all.
    result = run_project(request)
    emit(ctx, result.report, _table, output)
    if result.exit_code:
        fail(_failure_line(result.report), result.exit_code,
             more=len(result.report["errors"]) - 1,
             hint=f"`rocky replay {result.report['run_id']}` shows what ran")


def _failure_line(report: dict[str, Any]) -> str:
    """``run <id> <status>: <first failed table>: <its error>``."""
    from rocky.records import snake_case

    status = "interrupted" if report["interrupted"] else snake_case(report["status"])
    text = f"run {report['run_id']} {status}"
    errors = report["errors"]
    if errors:
        first = errors[0]
        table = ".".join(first.get("asset_key") or [])
        text += f": {table}: {first['error']}" if table else f": {first['error']}"
    return text


def _table(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    table = Table("model", "strategy", "decision", "rows", "ms")
    built = {".".join(m["asset_key"]): m for m in data["materializations"]}
    for decision in data["model_decisions"]:
        name = decision["model"]
        match = next((m for key, m in built.items() if key.endswith("." + name)), None)
        rows = "" if match is None or match["rows_copied"] is None else str(match["rows_copied"])
        ms = "" if match is None else str(match["duration_ms"])
        label = decision["decision"] if match or decision["decision"] == "skip" else "failed"
        table.add_row(name, match["metadata"]["strategy"] if match else "", label, rows, ms)
    console.print(table)
    for error in data["errors"]:
        target = escape(".".join(error["asset_key"]))
        console.print(f"[red]failed[/red] {target}: {escape(str(error['error']))}")
    status = data["status"] + (" (interrupted)" if data["interrupted"] else "")
    console.print(
        f"{data['run_id']}: {status} in {data['duration_ms']} ms; "
        f"{data['tables_copied']} built, {data['tables_failed']} failed, "
        f"{data['tables_skipped']} skipped"
    )
