"""Hand-built ProjectIR values, and compiled copies of tests/contracts/projects."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
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


PROJECTS = Path(__file__).parent / "projects"


def compile_copy(name: str, tmp_path: Path, **options: Any) -> tuple[ProjectIR, Path]:
    """Copy tests/contracts/projects/<name> to tmp_path and compile it there
    (the compiler writes its cache beside rocky.toml)."""
    from rocky.compiler import CompileOptions, compile_project
    from rocky.project import load_project

    root = tmp_path / name
    shutil.copytree(PROJECTS / name, root)
    load_args = {k: options.pop(k) for k in ("contracts_dir",) if k in options}
    if "contracts_dir" in load_args and load_args["contracts_dir"] is not None:
        load_args["contracts_dir"] = root / load_args["contracts_dir"]
    project = load_project(root / "rocky.toml", **load_args)
    result = compile_project(project, CompileOptions(**options))
    return result.ir, root


@pytest.fixture
def compiled() -> Callable[..., Any]:
    return compile_copy
