"""``rocky lineage`` and ``rocky lineage-diff``: column lineage and the
blast radius of a change, both read from the compiled IR."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from rocky.cli.common import OutputOpt, emit, fail, settings
from rocky.errors import RockyError

ModelsOpt = Annotated[
    Path | None,
    typer.Option("--models", help="Models directory (default: from rocky.toml)."),
]
VarOpt = Annotated[
    list[str] | None,
    typer.Option("--var", help="Set an @var value: name=value (repeatable)."),
]
SeedOpt = Annotated[
    bool,
    typer.Option("--with-seed", help="Take source schemas from data/seed.sql and seeds/."),
]


def register(app: typer.Typer) -> None:
    app.command("lineage")(lineage)
    app.command("lineage-diff")(lineage_diff)


def lineage(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="A model, or model.column.")],
    column: Annotated[
        str | None, typer.Option("--column", help="Trace this column of the model.")
    ] = None,
    downstream: Annotated[
        bool, typer.Option("--downstream", help="Trace forward to every consumer.")
    ] = False,
    fmt: Annotated[
        str | None, typer.Option("--format", help="dot: print a Graphviz digraph.")
    ] = None,
    models: ModelsOpt = None,
    var: VarOpt = None,
    with_seed: SeedOpt = False,
    output: OutputOpt = None,
) -> None:
    """Show a model's columns, upstream, downstream and lineage edges, or trace
    one column back to its sources (forward with --downstream)."""
    from rocky import __version__
    from rocky.compiler import parse_var_pairs
    from rocky.compiler.warm import lineage_ir
    from rocky.lineage import (
        LineageGraph,
        column_lineage_json,
        dot_edges,
        model_lineage_json,
        split_target,
        to_dot,
    )

    if fmt not in (None, "dot"):
        raise RockyError(f"unknown --format '{fmt}'", hint="use --format dot, or -o json|table")
    # A short-lived command: collecting the compile's garbage costs more than
    # the process has left to live (as in `rocky compile`).
    gc.disable()
    model, col = split_target(target, column)
    ir = lineage_ir(
        settings(ctx).config,
        model,
        models_dir=models,
        variables=parse_var_pairs(var or []),
        with_seed=with_seed,
    )
    graph = LineageGraph(ir)
    if fmt == "dot":
        sys.stdout.write(to_dot(dot_edges(graph, model, col, downstream=downstream)))
        return
    if col is None:
        emit(ctx, model_lineage_json(graph, model, __version__), _model_table, output)
    else:
        data = column_lineage_json(graph, model, col, downstream=downstream, version=__version__)
        emit(ctx, data, _column_table, output)


def lineage_diff(
    ctx: typer.Context,
    base_ref: Annotated[str, typer.Argument(help="The git ref to compare with.")] = "main",
    models: ModelsOpt = None,
    var: VarOpt = None,
    with_seed: SeedOpt = False,
    output: OutputOpt = None,
) -> None:
    """Compile BASE_REF and the working tree, diff every model's columns and
    list each change's downstream consumers (markdown for a pull request)."""
    from rocky import __version__
    from rocky.compiler import parse_var_pairs
    from rocky.lineage_diff import lineage_diff as run_diff

    diff = run_diff(
        settings(ctx).config,
        base_ref,
        models_dir=models,
        variables=parse_var_pairs(var or []),
        with_seed=with_seed,
    )
    emit(ctx, diff.to_json(__version__), _diff_text, output)
    if diff.head_error:
        fail(diff.head_error, hint="their columns are left out of the diff")


def _model_table(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{data['model']}[/]")
    console.print(f"upstream: {', '.join(data['upstream']) or '-'}")
    console.print(f"downstream: {', '.join(data['downstream']) or '-'}")
    incoming: dict[str, list[str]] = {}
    rows: list[tuple[str, str]] = []
    for edge in data["edges"]:
        if edge["target"]["model"] == data["model"]:
            src = edge["source"]
            source = f"{src['model']}.{src['column']}"
            if edge["target"]["column"] == "*":  # a join key or filter: the model's rows
                rows.append((source, edge["transform"]))
                continue
            label = f"{source} ({edge['transform']})"
            incoming.setdefault(edge["target"]["column"], []).append(label)
    table = Table("column", "type", "nullable", "reads")
    for col in data["columns"]:
        reads = ", ".join(incoming.get(col["name"], [])) or "-"
        nullable = "yes" if col["nullable"] else "no"
        table.add_row(col["name"], col.get("data_type", "Unknown"), nullable, reads)
    console.print(table)
    if rows:
        console.print("row lineage (the join keys and filters that decide its rows):")
        row_table = Table("reads", "as")
        for source, transform in rows:
            row_table.add_row(source, transform)
        console.print(row_table)


def _column_table(data: dict[str, Any]) -> None:
    from rich.console import Console

    console = Console()
    arrow = "->" if data["direction"] == "downstream" else "<-"
    console.print(f"[bold]{data['model']}.{data['column']}[/] ({data['direction']})")
    for edge in data["trace"]:
        src, dst = edge["source"], edge["target"]
        if data["direction"] == "downstream":
            console.print(
                f"  {src['model']}.{src['column']} {arrow} {dst['model']}.{dst['column']}"
                f"  [dim]{edge['transform']}[/]"
            )
        else:
            console.print(
                f"  {dst['model']}.{dst['column']} {arrow} {src['model']}.{src['column']}"
                f"  [dim]{edge['transform']}[/]"
            )
    if not data["trace"]:
        console.print("  (no lineage)")
    consumers = data.get("downstream_consumers", [])
    if consumers:
        names = ", ".join(f"{c['model']}.{c['column']}" for c in consumers)
        console.print(f"consumers: {names}")


def _diff_text(data: dict[str, Any]) -> None:
    sys.stdout.write(f"Rocky Lineage Diff ({data['base_ref']}...{data['head_ref']})\n\n")
    sys.stdout.write(data["markdown"])
