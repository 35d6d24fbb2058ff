"""A second adapter passes the same conformance kit by subclassing it.

``duckpg`` is a deliberately different adapter over DuckDB: another type
name, the ``postgres`` dialect for everything it renders, one connection
behind a lock instead of a cursor per thread, DuckDB's ``duckdb_columns()``
instead of ``information_schema`` and the shared type mapping only, and a
smaller set of capabilities, so the gated tests it does not declare skip.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

import duckdb
import pyarrow as pa
import pytest
from sqlglot import exp

from rocky.adapters import (
    Adapter,
    AdapterConfig,
    AdapterSpec,
    Capability,
    ExecResult,
    IdentifierCase,
    capabilities,
)
from rocky.errors import AdapterError
from rocky.hookspecs import hookimpl
from rocky.ir import Column, TableRef
from rocky.plugins import register_plugin, unregister_plugin
from rocky.testing import BaseAdapterSuite
from rocky.types import from_warehouse

ROOT = Path(__file__).resolve().parents[1]


class DuckPgConfig(AdapterConfig):
    type: Literal["duckpg"] = "duckpg"
    path: str | None = None


class DuckPgAdapter(Adapter):
    type_name: ClassVar[str] = "duckpg"
    dialect: ClassVar[str] = "postgres"
    capabilities: ClassVar[frozenset[Capability]] = capabilities(Capability.VIEWS, Capability.MERGE)
    identifier_case: ClassVar[IdentifierCase] = "preserve"

    def __init__(self, config: AdapterConfig, *, project_dir: Path | None = None) -> None:
        super().__init__(config, project_dir=project_dir)
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.RLock()

    def connect(self) -> None:
        path = getattr(self.config, "path", None)
        self._conn = duckdb.connect(str(self.project_dir / path) if path else ":memory:")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _run(self, call: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        with self._lock:
            if self._conn is None:
                raise AdapterError("duckpg is not connected")
            try:
                return call(self._conn)
            except duckdb.Error as exc:
                raise AdapterError(f"duckpg: {str(exc).splitlines()[0]}") from None

    def execute(self, sql: str) -> ExecResult:
        started = time.perf_counter()

        def run(conn: duckdb.DuckDBPyConnection) -> int:
            conn.execute(sql)
            count = conn.rowcount
            conn.complete()
            return count

        count = self._run(run)
        elapsed = round((time.perf_counter() - started) * 1000)
        return ExecResult(rows_affected=count if count >= 0 else None, duration_ms=elapsed)

    def query_arrow(self, sql: str) -> pa.Table:
        def run(conn: duckdb.DuckDBPyConnection) -> pa.Table:
            relation = conn.sql(sql)
            return relation.to_arrow_table() if relation is not None else pa.table({})

        return self._run(run)

    def _select(self, query: exp.Select) -> list[tuple[Any, ...]]:
        text = query.sql(dialect=self.dialect)
        rows: list[tuple[Any, ...]] = self._run(lambda conn: conn.execute(text).fetchall())
        return rows

    @staticmethod
    def _is(column: str, value: str) -> exp.Expression:
        # values are rendered as escaped string literals by sqlglot
        return exp.column(column).eq(exp.Literal.string(value))

    def default_catalog(self) -> str | None:
        return str(self._select(exp.select(exp.func("current_database")))[0][0])

    def describe_table(self, ref: TableRef) -> list[Column] | None:
        where = exp.and_(
            self._is("database_name", ref.catalog or self.default_catalog() or ""),
            self._is("schema_name", ref.schema or "main"),
            self._is("table_name", ref.table),
        )
        query = (
            exp.select("column_name", "data_type", "is_nullable")
            .from_(exp.func("duckdb_columns"))
            .where(where)
            .order_by("column_index")
        )
        rows = self._select(query)
        if not rows:
            return None
        return [Column(name, from_warehouse(kind), bool(nullable)) for name, kind, nullable in rows]

    def list_tables(self, catalog: str | None, schema: str) -> list[str]:
        where = exp.and_(
            self._is("database_name", catalog or self.default_catalog() or ""),
            self._is("schema_name", schema),
        )
        query = exp.select("table_name").distinct().from_(exp.func("duckdb_columns")).where(where)
        rows = self._select(query)
        return sorted(str(row[0]) for row in rows)

    def create_schema(self, catalog: str | None, schema: str) -> None:
        target = exp.Table(
            db=exp.to_identifier(schema, quoted=True),
            catalog=exp.to_identifier(catalog, quoted=True) if catalog else None,
        )
        self.execute(exp.Create(kind="SCHEMA", exists=True, this=target).sql(dialect=self.dialect))

    def engine_version(self) -> str:
        return f"duckdb {duckdb.__version__}"


class DuckPgPlugin:
    @hookimpl
    def rocky_register_adapters(self, register: Callable[[AdapterSpec], None]) -> None:
        register(
            AdapterSpec(
                type_name="duckpg",
                config_model=DuckPgConfig,
                factory=lambda config, project_dir: DuckPgAdapter(config, project_dir=project_dir),
                dialect="postgres",
                capabilities=DuckPgAdapter.capabilities,
                package="rocky-duckpg",
            )
        )


class TestSecondAdapter(BaseAdapterSuite):
    inexpressible_types: ClassVar[Mapping[str, str]] = {
        "TIMESTAMP_NTZ": "a postgres TIMESTAMP reaches DuckDB as its one naive TIMESTAMP",
    }

    @pytest.fixture
    def adapter(self, tmp_path: Path) -> Iterator[Adapter]:
        register_plugin(DuckPgPlugin(), name="duckpg-test")
        try:
            with DuckPgAdapter(DuckPgConfig(), project_dir=tmp_path) as adapter:
                yield adapter
        finally:
            unregister_plugin("duckpg-test")


def test_skips_name_the_capability_never_the_adapter() -> None:
    node = f"{Path(__file__).relative_to(ROOT)}::TestSecondAdapter"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", node, "-q", "-rs", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    skips = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    reasons = {m.group(1) for line in skips if (m := re.search(r"needs capability '(\w+)'", line))}
    declared = {c.value for c in DuckPgAdapter.capabilities}
    gated = {
        "create_or_replace",
        "alter_column_type",
        "transactions",
        "cancel",
        "bytes_scanned",
        "bytes_written",
        "materialized_views",
        "clone",
    }
    assert reasons == gated
    assert not reasons & declared
    assert all("duckpg" not in line for line in skips)
    summary = result.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary) and "failed" not in summary and "error" not in summary
