"""Fixtures for running hand-built ProjectIRs on a real DuckDB file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rocky.adapters import Adapter
from rocky.identity import CI_VARIABLES
from rocky.ir import Column, ModelIR, ProjectIR, TableRef
from rocky.ledger import Ledger
from rocky.partitions import PartitionSelection
from rocky.plan import build_plan
from rocky.records import RunRecord, new_run_id, rfc3339, utc_now
from rocky.runner import Executor, RunOptions
from rocky.types import parse_type

CATALOG = "wh"


def make_model(
    name: str,
    sql: str,
    *,
    strategy: dict[str, Any] | None = None,
    deps: tuple[str, ...] = (),
    columns: tuple[tuple[str, str], ...] = (),
    schema: str = "main",
) -> ModelIR:
    return ModelIR(
        name=name,
        file=f"models/{name}.sql",
        kind="sql",
        sql=sql,
        target=TableRef(CATALOG, schema, name),
        strategy=strategy or {"type": "full_refresh"},
        depends_on=deps,
        external_refs=(),
        columns=tuple(Column(n, parse_type(t)) for n, t in columns),
        lineage=(),
    )


def make_ir(*models: ModelIR) -> ProjectIR:
    """Layers by longest path from the leaves, alphabetical inside a layer."""
    by_name = {m.name: m for m in models}
    depth: dict[str, int] = {}

    def level(name: str) -> int:
        if name not in depth:
            deps = [d for d in by_name[name].depends_on if d in by_name]
            depth[name] = 1 + max((level(d) for d in deps), default=-1)
        return depth[name]

    for name in by_name:
        level(name)
    layers: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for name in sorted(by_name):
        layers[depth[name]].append(name)
    order = [n for layer in layers for n in layer]
    return ProjectIR("duckdb", {n: by_name[n] for n in order}, layers)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / f"{CATALOG}.duckdb"


@pytest.fixture
def duck(db_path: Path) -> Iterator[Adapter]:
    from rocky.config import adapter_config  # noqa: F401 - the loader's validation path
    from rocky.plugins import get_registry

    spec = get_registry().adapter("duckdb")
    config = spec.config_model.model_validate({"type": "duckdb", "path": str(db_path)})
    adapter = spec.factory(config, db_path.parent)
    adapter.connect()
    try:
        yield adapter
    finally:
        adapter.close()


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / ".rocky-state.sqlite") as opened:
        yield opened


Runner = Callable[..., RunRecord]


@pytest.fixture
def run_ir(duck: Adapter, ledger: Ledger) -> Runner:
    """Plan and execute an IR; returns the finished RunRecord."""

    def run(
        ir: ProjectIR,
        *,
        select: list[str] | None = None,
        partitions: PartitionSelection | None = None,
        concurrency: int = 2,
        fail_fast: bool = False,
    ) -> RunRecord:
        plan = build_plan(ir, duck, ledger, select=select, partitions=partitions)
        started = utc_now()
        record = RunRecord(run_id=new_run_id(started), started_at=rfc3339(started))
        # Two runs within the same millisecond would share an id.
        while ledger.record_hash_of(record.run_id) is not None:
            started = utc_now()
            record = RunRecord(run_id=new_run_id(started), started_at=rfc3339(started))
        ledger.begin_run(record)
        options = RunOptions(concurrency=concurrency, fail_fast=fail_fast)
        return Executor(plan, duck, ledger, record, options).run()

    return run


def rows(adapter: Adapter, sql: str) -> list[tuple[Any, ...]]:
    return sorted(adapter.query_rows(sql), key=repr)


ROCKY_TOML = """\
[adapter]
type = "duckdb"
path = "wh.duckdb"

[pipeline.main]
type = "transformation"
models = "models/**"

[pipeline.main.target.governance]
auto_create_schemas = true

[pipeline.main.execution]
concurrency = 2
"""


def write_project(root: Path, models: dict[str, str], sidecars: dict[str, str] | None = None,
                  *, rocky_toml: str = ROCKY_TOML) -> Path:
    """A project on disk: ``models`` maps name -> SQL; every model lands in
    wh.main unless its sidecar says otherwise."""
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "rocky.toml").write_text(rocky_toml)
    (root / "models" / "_defaults.toml").write_text('[target]\ncatalog = "wh"\nschema = "main"\n')
    for name, sql in models.items():
        (root / "models" / f"{name}.sql").write_text(sql)
        sidecar = (sidecars or {}).get(name, '[strategy]\ntype = "full_refresh"\n')
        (root / "models" / f"{name}.toml").write_text(sidecar)
    return root


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``rocky <args>`` in a child process, JSON output."""
    # CI variables are dropped so the trigger is what a test asks for.
    full_env = {k: v for k, v in os.environ.items() if k not in CI_VARIABLES}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "rocky.cli", *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env,
    )


def run_json(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    done = cli("-o", "json", "run", *args, cwd=cwd, env=env)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else {}
