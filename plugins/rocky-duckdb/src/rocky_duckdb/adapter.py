"""The DuckDB adapter: an embedded database, a file or in memory.

Threads: the runner executes models from worker threads. DuckDB connections
are not meant to be shared between threads, so each thread gets its own
cursor (``connection.cursor()``: a second connection to the same database),
created on first use and kept until :meth:`DuckDBAdapter.close`. A
transaction (``BEGIN`` ... ``COMMIT``) therefore belongs to the thread that
opened it. :meth:`DuckDBAdapter.cancel` interrupts every cursor.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import duckdb

from rocky.adapters import Adapter, AdapterConfig, Capability, ExecResult, IdentifierCase
from rocky.errors import AdapterError
from rocky.ir import Column, TableRef
from rocky_duckdb import sql as build
from rocky_duckdb.config import CAPABILITIES, DuckDBConfig
from rocky_duckdb.errors import to_adapter_error
from rocky_duckdb.metrics import metrics_from_profile
from rocky_duckdb.types import duckdb_type

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["DuckDBAdapter"]

# Per-cursor settings: profiling feeds the bytes figures; rocky draws its own
# progress display, which DuckDB's progress bar would interleave with.
_CURSOR_SETTINGS = (
    ("enable_profiling", "no_output"),
    ("profiling_coverage", "ALL"),
    ("enable_progress_bar", "false"),
)


class DuckDBAdapter(Adapter):
    """rocky's adapter for DuckDB (``type = "duckdb"``)."""

    type_name: ClassVar[str] = "duckdb"
    dialect: ClassVar[str] = build.DIALECT
    capabilities: ClassVar[frozenset[Capability]] = CAPABILITIES
    identifier_case: ClassVar[IdentifierCase] = "preserve"

    config: DuckDBConfig

    def __init__(self, config: AdapterConfig, *, project_dir: Path | None = None) -> None:
        if not isinstance(config, DuckDBConfig):
            config = DuckDBConfig.model_validate(config.model_dump())
        super().__init__(config, project_dir=project_dir)
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._cursors: dict[int, duckdb.DuckDBPyConnection] = {}
        self._lock = threading.Lock()
        self._database = "memory"
        self._schema = "main"
        self._catalogs: list[str] = []

    # -- lifecycle -----------------------------------------------------------
    def connect(self) -> None:
        if self._conn is not None:
            return
        path = self.config.database_path(self.project_dir)
        where = str(path) if path is not None else "an in-memory database"
        options: dict[str, Any] = {}
        if self.config.threads is not None:
            options["threads"] = self.config.threads
        if self.config.memory_limit is not None:
            options["memory_limit"] = self.config.memory_limit
        try:
            if path is not None and not self.config.read_only:
                path.parent.mkdir(parents=True, exist_ok=True)
            conn = duckdb.connect(
                str(path) if path is not None else ":memory:",
                read_only=self.config.read_only,
                config=options,
            )
        except (duckdb.Error, OSError) as exc:
            raise to_adapter_error(exc, doing=f"cannot open DuckDB database {where}") from None
        try:
            self._prepare(conn)
        except AdapterError:
            conn.close()
            raise
        self._conn = conn

    def _prepare(self, conn: duckdb.DuckDBPyConnection) -> None:
        for name in self.config.extensions:
            try:
                conn.load_extension(name)
            except duckdb.Error as exc:
                raise AdapterError(
                    f"cannot load DuckDB extension '{name}': {_first_line(exc)}",
                    hint=f"install it once with: INSTALL {name}",
                ) from None
        for name, target in self.config.attached_paths(self.project_dir).items():
            statement = build.attach(name, target, read_only=self.config.read_only)
            try:
                if target is not None and not self.config.read_only:
                    target.parent.mkdir(parents=True, exist_ok=True)
                conn.execute(statement)
            except (duckdb.Error, OSError) as exc:
                raise to_adapter_error(exc, doing=f"cannot attach catalog '{name}'") from None
        for database, schema in conn.execute(build.current_database()).fetchall():
            self._database, self._schema = str(database), str(schema)
        self._catalogs = [self._database, *self.config.attach]

    def close(self) -> None:
        with self._lock:
            cursors = list(self._cursors.values())
            self._cursors.clear()
            conn, self._conn = self._conn, None
        for cursor in cursors:
            cursor.close()
        if conn is not None:
            conn.close()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor, created (with profiling on) at first use."""
        key = threading.get_ident()
        with self._lock:
            cursor = self._cursors.get(key)
            if cursor is not None:
                return cursor
            if self._conn is None:
                raise AdapterError(
                    "the DuckDB adapter is not connected", hint="call connect() first"
                )
            cursor = self._conn.cursor()
            for name, value in _CURSOR_SETTINGS:
                cursor.execute(build.set_option(name, value))
            self._cursors[key] = cursor
            return cursor

    def cancel(self) -> None:
        with self._lock:
            cursors = list(self._cursors.values())
        for cursor in cursors:
            cursor.interrupt()

    # -- statements ----------------------------------------------------------
    def execute(self, sql: str) -> ExecResult:
        cursor = self._cursor()
        started = time.perf_counter()
        try:
            cursor.execute(sql)
            count = cursor.rowcount
            cursor.complete()  # a query runs to its end; its rows are not kept
        except duckdb.Error as exc:
            raise self._error(exc) from None
        duration_ms = round((time.perf_counter() - started) * 1000)
        try:
            figures = metrics_from_profile(cursor.get_profiling_information())
        except duckdb.Error:
            figures = metrics_from_profile("")
        return ExecResult(
            # DuckDB answers INSERT/UPDATE/DELETE/MERGE and CREATE ... AS with
            # one count row; anything else has no count (-1).
            rows_affected=count if count >= 0 else None,
            bytes_scanned=figures.bytes_scanned,
            bytes_written=figures.bytes_written,
            duration_ms=duration_ms,
        )

    def query_arrow(self, sql: str) -> pa.Table:
        cursor = self._cursor()
        try:
            relation = cursor.sql(sql)
            if relation is not None:
                return relation.to_arrow_table()
        except duckdb.Error as exc:
            raise self._error(exc) from None
        import pyarrow as pa

        return pa.table({})  # the statement returned no rows at all

    def _error(self, exc: duckdb.Error) -> AdapterError:
        return to_adapter_error(
            exc,
            catalogs=self._catalogs,
            interrupted=isinstance(exc, duckdb.InterruptException),
        )

    def _rows(self, statement: str, params: list[str]) -> list[tuple[Any, ...]]:
        cursor = self._cursor()
        try:
            return cursor.execute(statement, params).fetchall()
        except duckdb.Error as exc:
            raise self._error(exc) from None

    # -- catalog -------------------------------------------------------------
    def describe_table(self, ref: TableRef) -> list[Column] | None:
        name = build.qualified_name(
            ref.catalog or self._database, ref.schema or self._schema, ref.table
        )
        try:
            rows = self._cursor().execute(build.describe_columns(), [name]).fetchall()
        except duckdb.CatalogException:
            return None  # no such catalog, schema or table
        except duckdb.Error as exc:
            raise self._error(exc) from None
        if not rows:
            return None
        return [
            Column(str(col), duckdb_type(str(kind)), not notnull) for col, kind, notnull in rows
        ]

    def list_tables(self, catalog: str | None, schema: str) -> list[str]:
        rows = self._rows(build.list_tables(), [catalog or self._database, schema])
        return [str(row[0]) for row in rows]

    def create_schema(self, catalog: str | None, schema: str) -> None:
        self.execute(build.create_schema(catalog, schema))

    def default_catalog(self) -> str | None:
        """The database's name: the file name up to its first dot, or ``memory``."""
        if self._conn is None:
            path = self.config.database_path(self.project_dir)
            return path.name.split(".")[0] if path is not None else "memory"
        return self._database

    def engine_version(self) -> str:
        return str(duckdb.__version__)


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
