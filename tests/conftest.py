"""Fixtures shared by every test directory: hand-built ProjectIR values
(the contracts and lineage tests check pure functions over them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from rocky.ir import Column, ColumnRef, LineageEdge, ModelIR, ProjectIR, TableRef
from rocky.types import parse_type

# name -> (columns as "name Type [null]", edges as "src_model.src_col -> col : transform",
#          depends_on, sql)
Spec = dict[str, tuple[Sequence[str], Sequence[str], Sequence[str], str]]


def _column(text: str) -> Column:
    parts = text.split()
    return Column(parts[0], parse_type(parts[1]), nullable=len(parts) > 2 and parts[2] == "null")


def _edge(model: str, text: str) -> LineageEdge:
    flow, transform = (p.strip() for p in text.split(":", 1))
    source, target = (p.strip() for p in flow.split("->"))
    src_model, src_col = source.rsplit(".", 1)
    return LineageEdge(ColumnRef(src_model, src_col), ColumnRef(model, target), transform)


def make_ir(spec: Spec, sources: dict[str, Sequence[str]] | None = None) -> ProjectIR:
    models: dict[str, ModelIR] = {}
    for name, (columns, edges, deps, sql) in spec.items():
        models[name] = ModelIR(
            name=name,
            file=f"models/{name}.sql",
            kind="sql",
            sql=sql,
            target=TableRef("warehouse", "analytics", name),
            strategy={"type": "full_refresh"},
            depends_on=tuple(deps),
            external_refs=(),
            columns=tuple(_column(c) for c in columns),
            lineage=tuple(_edge(name, e) for e in edges),
            content_hash=f"hash-{name}-{sql}",
        )
    layers = [[name] for name in models]
    srcs = {k: tuple(_column(c) for c in v) for k, v in (sources or {}).items()}
    return ProjectIR(dialect="duckdb", models=models, layers=layers, sources=srcs)


@pytest.fixture
def build_ir() -> Callable[..., Any]:
    return make_ir
