"""``rocky compile`` and ``rocky emit-sql``: the typed compiler's commands."""

from __future__ import annotations

import gc
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
    from rocky import __version__
    from rocky.compiler import CompileOptions, compile_project, parse_var_pairs
    from rocky.project import load_project

    opts = settings(ctx)
    variables = parse_var_pairs(var or [])
    t0 = time.perf_counter()
    project = load_project(opts.config, models_dir=models, contracts_dir=contracts)
    load_ms = (time.perf_counter() - t0) * 1000
    adapter = _connect_catalog(project) if catalog else None
    # A short-lived command: the parse trees are garbage once the IR exists,
    # and collecting them costs more than the process has left to live.
    gc.disable()
    try:
        result = compile_project(
            project,
            CompileOptions(
                vars=variables,
                with_seed=with_seed,
                model=model,
                cache=not no_cache,
                cache_ttl=cache_ttl,
                target_dialect=target_dialect,
                contracts_dir=contracts,
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
    ir = result.ir
    data: dict[str, Any] = {
        "version": __version__,
        "command": "compile",
        "models": len(ir.models),
        "execution_layers": len(ir.layers),
        "diagnostics": [d.to_json() for d in ir.diagnostics],
        "has_errors": ir.has_errors,
        "compile_timings": {k: round(v, 3) for k, v in timings.items()},
        "models_detail": [_detail(project, m) for m in ir.models.values()],
    }
    emit(ctx, data, _table, output)
    if ir.has_errors:
        errors = [d for d in ir.diagnostics if d.is_error]
        fail(_diagnostic_line(errors[0], project, ir) if errors else "compile failed",
             more=len(errors) - 1, hint="the report lists every diagnostic")


def _diagnostic_line(d: Any, project: Any, ir: Any) -> str:
    """``file:line:col: CODE message``; a diagnostic without a span names
    the file it is about (see :func:`rocky.diagnostics.diagnostic_file`)."""
    from rocky.diagnostics import diagnostic_file

    contracts = {m: c.rel_path for m, c in project.contracts.items()}
    models = {name: str(m.file) for name, m in ir.models.items()}
    where = diagnostic_file(d, contracts, models, with_col=True)
    model = f"model {d.model}: " if d.model and not d.span else ""
    return f"{where}: {model}{d.code} {d.message}" if where else f"{model}{d.code} {d.message}"


def _connect_catalog(project: Any) -> Any:
    from rocky.config import adapter_config
    from rocky.plugins import get_registry

    config = adapter_config(project)
    spec = get_registry().adapter(config.type)
    adapter = spec.factory(config, project.root)
    adapter.connect()
    return adapter


def _detail(project: Any, m: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "name": m.name,
        "strategy": m.strategy,
        "target": m.target.to_json(),
    }
    config = project.models[m.name].config
    if config.freshness is not None:
        detail["freshness"] = config.freshness.model_dump(mode="json", exclude_none=True)
    contract = project.contracts.get(m.name)
    if contract is not None:
        detail["contract_source"] = contract.rel_path
    if m.depends_on:
        detail["depends_on"] = list(m.depends_on)
    if config.tags:
        detail["tags"] = dict(config.tags)
    detail["columns"] = [c.to_json() for c in m.columns]
    return detail


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
