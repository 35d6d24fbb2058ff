"""``rocky compile`` and ``rocky emit-sql``: the typed compiler's commands."""

from __future__ import annotations

import gc
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from rocky.cli.common import OutputOpt, emit, fail, settings


def register(app: typer.Typer) -> None:
    app.command("compile")(compile_cmd)
    app.command("emit-sql")(emit_sql_cmd)


ModelsOpt = Annotated[
    Path | None, typer.Option("--models", help="Models directory (default: from rocky.toml).")
]
VarOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--var", help="Substitute @var(name) with a value: --var name=value (repeatable)."
    ),
]


def compile_cmd(
    ctx: typer.Context,
    models: ModelsOpt = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Compile only this model (and its upstreams).")
    ] = None,
    contracts: Annotated[
        Path | None, typer.Option("--contracts", help="Directory of <model>.contract.toml files.")
    ] = None,
    with_seed: Annotated[
        bool, typer.Option("--with-seed", help="Run data/seed.sql in DuckDB to type the sources.")
    ] = False,
    var: VarOpt = None,
    target_dialect: Annotated[
        str | None,
        typer.Option(
            "--target-dialect", help="Check portability to duckdb|snowflake|bigquery|databricks."
        ),
    ] = None,
    catalog: Annotated[
        bool, typer.Option("--catalog", help="Read source schemas from the warehouse catalog.")
    ] = False,
    cache_ttl: Annotated[
        int | None,
        typer.Option(
            "--cache-ttl", help="Seconds a cached warehouse schema stays fresh (0 refetches)."
        ),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ignore and do not write the incremental cache.")
    ] = False,
    output: OutputOpt = None,
) -> None:
    """Compile every model to a typed IR and report diagnostics; exit 1 on any error."""
    from rocky.compiler import parse_var_pairs

    opts = settings(ctx)
    variables = parse_var_pairs(var or [])
    common = {
        "models_dir": models,
        "contracts_dir": contracts,
        "variables": variables,
        "with_seed": with_seed,
        "target_dialect": target_dialect,
    }
    if model is None and not catalog and not no_cache:
        # The everyday compile: answered from the project snapshot when the
        # files allow, else compiled in full and snapshotted.
        _plain_compile(ctx, opts.config, common, output)
        return
    _full_compile(ctx, opts, common, model, catalog, cache_ttl, no_cache, output)


def _plain_compile(
    ctx: typer.Context, config: Path, common: dict[str, Any], output: str | None
) -> None:
    from rocky.compiler.report import TIMING_KEYS
    from rocky.compiler.warm import cached_report, compile_and_snapshot
    from rocky.lifetime import keep_until_exit

    t0 = time.perf_counter()
    # A short-lived command: the parse trees are garbage once the IR exists,
    # and collecting them costs more than the process has left to live.
    gc.disable()
    warm = cached_report(config, **common)
    if warm is not None:
        timings = dict.fromkeys(TIMING_KEYS, 0.0)
        timings["project_load_ms"] = warm.check_ms
        timings["total_ms"] = (time.perf_counter() - t0) * 1000
        _report(ctx, warm.report, timings, output)
        return
    project, result, report, load_ms = compile_and_snapshot(config, **common)
    keep_until_exit(project, result, report)
    timings = dict(result.timings)
    timings["project_load_ms"] = load_ms
    timings["total_ms"] = timings["total_ms"] + load_ms
    _report(ctx, report, timings, output)


def _full_compile(
    ctx: typer.Context,
    opts: Any,
    common: dict[str, Any],
    model: str | None,
    catalog: bool,
    cache_ttl: int | None,
    no_cache: bool,
    output: str | None,
) -> None:
    from rocky.compiler import CompileOptions, compile_project
    from rocky.compiler.report import build_report
    from rocky.project import load_project

    t0 = time.perf_counter()
    project = load_project(
        opts.config, models_dir=common["models_dir"], contracts_dir=common["contracts_dir"]
    )
    load_ms = (time.perf_counter() - t0) * 1000
    adapter = _connect_catalog(project) if catalog else None
    gc.disable()
    try:
        result = compile_project(
            project,
            CompileOptions(
                vars=common["variables"],
                with_seed=common["with_seed"],
                model=model,
                cache=not no_cache,
                cache_ttl=cache_ttl,
                target_dialect=common["target_dialect"],
                contracts_dir=common["contracts_dir"],
                catalog=adapter,
                state_path=opts.ledger_path(),
            ),
        )
    finally:
        if adapter is not None:
            adapter.close()
    timings = dict(result.timings)
    timings["project_load_ms"] = load_ms
    timings["total_ms"] = timings["total_ms"] + load_ms
    _report(ctx, build_report(project, result.ir), timings, output)


def _report(ctx: typer.Context, report: Any, timings: dict[str, float], output: str | None) -> None:
    """Print the report (JSON, or the table on a terminal); exit 1 when it
    has errors, naming the first."""
    import sys

    from rocky import __version__
    from rocky.cli.common import output_format
    from rocky.compiler.report import render

    text = render(report, __version__, timings)
    if output_format(ctx, output) == "json":
        if sys.stdout.isatty():
            text = json.dumps(json.loads(text), indent=2)
        sys.stdout.write(text + "\n")
    else:
        _table(json.loads(text))
    count = report.error_count
    if count:
        fail(
            report.first_error() or "compile failed",
            more=count - 1,
            hint="the report lists every diagnostic",
        )


def _connect_catalog(project: Any) -> Any:
    from rocky.config import adapter_config
    from rocky.plugins import get_registry

    config = adapter_config(project)
    spec = get_registry().adapter(config.type)
    adapter = spec.factory(config, project.root)
    adapter.connect()
    return adapter


_MARK = {"Error": "[red]error[/]", "Warning": "[yellow]warning[/]", "Info": "[blue]info[/]"}


def _table(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False)
    by_model: dict[str | None, list[dict[str, Any]]] = {}
    for d in data["diagnostics"]:
        by_model.setdefault(d["model"], []).append(d)

    def show(diags: list[dict[str, Any]]) -> None:
        for d in diags:
            span = d["span"]
            where = f"{span['file']}:{span['line']}:{span['col']}: " if span else ""
            console.print(
                f"    {_MARK.get(d['severity'], d['severity'])} {d['code']} "
                f"{escape(where + d['message'])}"
            )
            if d.get("suggestion"):
                console.print(f"      [dim]hint: {escape(d['suggestion'])}[/]")

    for m in data["models_detail"]:
        diags = by_model.pop(m["name"], [])
        failed = any(d["severity"] == "Error" for d in diags)
        mark = "[red]✗[/]" if failed else "[green]✓[/]"
        console.print(f"{mark} {escape(m['name'])} ({len(m['columns'])} columns)")
        show(diags)
    for diags in by_model.values():
        show(diags)
    counts = {
        s: sum(1 for d in data["diagnostics"] if d["severity"] == s)
        for s in ("Error", "Warning", "Info")
    }
    ms = data["compile_timings"]["total_ms"]
    console.print(
        f"{data['models']} models, {data['execution_layers']} layers: {counts['Error']} errors, "
        f"{counts['Warning']} warnings, {counts['Info']} infos ({ms:.0f} ms)"
    )


def emit_sql_cmd(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model to render.")],
    dialect: Annotated[
        str | None, typer.Option("--dialect", help="Target SQL dialect (default: the project's).")
    ] = None,
    models: ModelsOpt = None,
    var: VarOpt = None,
    output: OutputOpt = None,
) -> None:
    """Print the SQL a model compiles to (after @var substitution, DSL lowered)."""
    from rocky import __version__
    from rocky.compiler import emit_sql, parse_var_pairs
    from rocky.project import load_project

    variables = parse_var_pairs(var or [])
    project = load_project(settings(ctx).config, models_dir=models)
    sql = emit_sql(project, model, dialect=dialect, variables=variables)
    if (output or settings(ctx).output) == "json":
        emit(
            ctx,
            {
                "version": __version__,
                "command": "emit-sql",
                "model": model,
                "dialect": dialect or project.adapter_type,
                "sql": sql,
            },
            lambda d: None,
            "json",
        )
    else:
        typer.echo(sql)
