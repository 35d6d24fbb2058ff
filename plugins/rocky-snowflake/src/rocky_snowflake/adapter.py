"""The Snowflake adapter, on the official snowflake-connector-python.

Sessions: a Snowflake transaction belongs to a session, not a cursor, and
the runner executes models from worker threads. So each thread gets its own
connection (its own session), opened on first use and closed by
:meth:`SnowflakeAdapter.close`; a ``BEGIN`` ... ``COMMIT`` stays with the
thread that opened it. :meth:`SnowflakeAdapter.cancel` cancels the running
statements of every session.

Names: Snowflake folds unquoted identifiers to upper case. A TableRef holds
names as Snowflake stores them and the adapter quotes them exactly; callers
fold plain names with :meth:`normalize_identifier` (``fct_revenue`` becomes
``FCT_REVENUE``, ``with space`` stays as it is, since it can only exist
quoted).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final

import snowflake.connector
import sqlglot.optimizer.annotate_types  # noqa: F401 - see below
from snowflake.connector import SnowflakeConnection
from snowflake.connector.cursor import SnowflakeCursor
from sqlglot import exp

from rocky.adapters import Adapter, AdapterConfig, Capability, ExecResult, IdentifierCase
from rocky.errors import AdapterError
from rocky.ir import Column, TableRef
from rocky.types import RockyType
from rocky_snowflake import sql as build
from rocky_snowflake.arrow import to_arrow
from rocky_snowflake.auth import login_arguments
from rocky_snowflake.config import CAPABILITIES, SnowflakeConfig
from rocky_snowflake.errors import OBJECT_MISSING, error_code, to_adapter_error
from rocky_snowflake.types import snowflake_data_type, snowflake_type

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["SnowflakeAdapter"]

log = logging.getLogger("rocky_snowflake")

# The snowflake generator imports sqlglot's type annotator lazily, the first
# time it renders a dotted name. With the compiled sqlglot (sqlglotc) two
# worker threads doing that first import at once can see a half-initialised
# module (NameError); importing it here, in the thread that builds the
# adapter, settles it before any worker renders SQL.

_UNQUOTED: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
# Result columns of a DML statement whose first row counts affected rows
# (the same columns the connector itself sums).
_COUNTED: Final = frozenset(
    {"number of rows updated", "number of multi-joined rows updated", "number of rows deleted"}
)


class SnowflakeAdapter(Adapter):
    """rocky's adapter for Snowflake (``type = "snowflake"``)."""

    type_name: ClassVar[str] = "snowflake"
    dialect: ClassVar[str] = build.DIALECT
    capabilities: ClassVar[frozenset[Capability]] = CAPABILITIES
    identifier_case: ClassVar[IdentifierCase] = "upper"

    config: SnowflakeConfig

    def __init__(self, config: AdapterConfig, *, project_dir: Path | None = None) -> None:
        if not isinstance(config, SnowflakeConfig):
            config = SnowflakeConfig.model_validate(config.model_dump())
        super().__init__(config, project_dir=project_dir)
        self._connections: dict[int, SnowflakeConnection] = {}
        self._lock = threading.Lock()
        self._connected = False
        self._database: str | None = None
        self._schema: str | None = None
        self._history = False
        self._version: str | None = None

    # -- lifecycle -----------------------------------------------------------
    def connect(self) -> None:
        if self._connected:
            return
        conn = self._login()
        try:
            rows = self._fetch(conn, build.current_context())
            if rows:
                database, schema = rows[0]
                self._database = str(database) if database else None
                self._schema = str(schema) if schema else None
            self._history = self.config.query_history and self._probe_history(conn)
        except AdapterError:
            _close_quietly(conn)
            raise
        with self._lock:
            self._connections[threading.get_ident()] = conn
            self._connected = True

    def _login(self) -> SnowflakeConnection:
        arguments = login_arguments(self.config, self.project_dir)
        try:
            return snowflake.connector.connect(**arguments)
        except (snowflake.connector.Error, OSError, ValueError) as exc:
            raise self._error(
                exc, doing=f"cannot connect to Snowflake account '{self.config.account}'"
            ) from None

    def _probe_history(self, conn: SnowflakeConnection) -> bool:
        """Whether this session can read its own query history (a role
        without the privilege, or a stand-in, cannot)."""
        try:
            self._fetch(conn, build.query_history(), [""])
        except AdapterError as exc:
            log.debug("query history unavailable, bytes will not be reported: %s", exc)
            return False
        return True

    def close(self) -> None:
        with self._lock:
            connections = list(self._connections.values())
            self._connections.clear()
            self._connected = False
        for conn in connections:
            _close_quietly(conn)

    def _connection(self) -> SnowflakeConnection:
        """This thread's connection, logged in at first use."""
        key = threading.get_ident()
        with self._lock:
            conn = self._connections.get(key)
            connected = self._connected
        if conn is not None:
            return conn
        if not connected:
            raise AdapterError(
                "the Snowflake adapter is not connected", hint="call connect() first"
            )
        conn = self._login()
        with self._lock:
            self._connections[key] = conn
        return conn

    def cancel(self) -> None:
        """Cancel every running statement of every session this adapter
        holds (``SYSTEM$CANCEL_ALL_QUERIES``); best effort, never raises."""
        with self._lock:
            connections = list(self._connections.values())
        for conn in connections:
            session = conn.session_id
            if not session:
                continue
            try:
                with conn.cursor() as cursor:
                    cursor.execute(build.cancel_session_queries(int(session)))
            except snowflake.connector.Error as exc:
                log.debug("cancel failed: %s", self._error(exc))

    # -- statements ----------------------------------------------------------
    def execute(self, sql: str) -> ExecResult:
        conn = self._connection()
        started = time.perf_counter()
        cursor = conn.cursor()
        try:
            try:
                cursor.execute(sql)
            except snowflake.connector.Error as exc:
                raise self._error(exc) from None
            duration_ms = round((time.perf_counter() - started) * 1000)
            rows = _rows_affected(cursor)
            query_id = cursor.sfqid
        finally:
            cursor.close()
        scanned, written = self._bytes(conn, query_id)
        return ExecResult(
            rows_affected=rows,
            bytes_scanned=scanned,
            bytes_written=written,
            duration_ms=duration_ms,
            query_id=query_id,
        )

    def _bytes(self, conn: SnowflakeConnection, query_id: str | None) -> tuple[int | None, ...]:
        if not self._history or not query_id:
            return None, None
        try:
            rows = self._fetch(conn, build.query_history(), [query_id])
        except AdapterError as exc:
            log.debug("query history lookup failed: %s", exc)
            return None, None
        if not rows:
            return None, None
        return tuple(int(v) if v is not None else None for v in rows[0][:2])

    def query_arrow(self, sql: str) -> pa.Table:
        conn = self._connection()
        with conn.cursor() as cursor:
            try:
                cursor.execute(sql)
                rows = cursor.fetchall()
            except snowflake.connector.Error as exc:
                raise self._error(exc) from None
            return to_arrow(cursor.description, rows)

    def _fetch(
        self, conn: SnowflakeConnection, sql: str, params: Sequence[Any] | None = None
    ) -> list[tuple[Any, ...]]:
        with conn.cursor() as cursor:
            try:
                cursor.execute(sql, params)
                return [tuple(row) for row in cursor.fetchall()]
            except snowflake.connector.Error as exc:
                raise self._error(exc) from None

    def _rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self._fetch(self._connection(), sql, params)

    def _error(self, exc: BaseException, *, doing: str | None = None) -> AdapterError:
        return to_adapter_error(exc, doing=doing, secrets=self.config.secret_values())

    def _catalog_rows(
        self, sql: str, params: Sequence[Any] | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]] | None:
        """Column names and rows of a catalog lookup; None when the object
        looked up (or its schema or database) does not exist."""
        with self._connection().cursor() as cursor:
            try:
                cursor.execute(sql, params)
                rows = [tuple(row) for row in cursor.fetchall()]
            except snowflake.connector.Error as exc:
                if error_code(exc) == OBJECT_MISSING:
                    return None
                raise self._error(exc) from None
            return [d.name.lower() for d in cursor.description], rows

    # -- catalog -------------------------------------------------------------
    def describe_table(self, ref: TableRef) -> list[Column] | None:
        catalog, schema = self._where(ref.catalog, ref.schema)
        found = self._catalog_rows(build.describe_table(ref.table, schema, catalog))
        if found is None or not found[1]:
            return None  # absent (a Snowflake table always has a column)
        headers, rows = found
        name, kind, null = (
            _index(headers, "name", 0),
            _index(headers, "type", 1),
            _index(headers, "null?", 3),
        )
        return [
            Column(str(row[name]), snowflake_type(str(row[kind])), str(row[null]).upper() != "N")
            for row in rows
        ]

    def list_tables(self, catalog: str | None, schema: str) -> list[str]:
        database, _ = self._where(catalog, schema)
        found = self._catalog_rows(build.list_tables(database), [schema, schema])
        return [] if found is None else [str(row[0]) for row in found[1]]

    def create_schema(self, catalog: str | None, schema: str) -> None:
        database, _ = self._where(catalog, schema)
        self.execute(build.create_schema(schema, database))

    def default_catalog(self) -> str | None:
        if self._connected:
            return self._database
        database = self.config.database
        return self.normalize_identifier(database) if database else None

    def engine_version(self) -> str:
        if self._version is None:
            rows = self._rows(build.current_version())
            self._version = str(rows[0][0]) if rows and rows[0][0] else "unknown"
        return self._version

    def _where(self, catalog: str | None, schema: str | None) -> tuple[str | None, str | None]:
        return catalog or self._database, schema or self._schema

    # -- identifiers and types ----------------------------------------------
    def normalize_identifier(self, name: str) -> str:
        """How Snowflake stores ``name`` written unquoted: upper case. A name
        that cannot be written unquoted (spaces, quotes, a leading digit) is
        kept as it is."""
        return name.upper() if _UNQUOTED.match(name) else name

    def table_expr(self, ref: TableRef) -> exp.Table:
        """``ref`` as a fully qualified table, defaults filled in."""
        catalog, schema = self._where(ref.catalog, ref.schema)
        return build.table(ref.table, schema, catalog)

    @staticmethod
    def rocky_type(spelling: str) -> RockyType:
        """The RockyType of a Snowflake type spelling."""
        return snowflake_type(spelling)

    @staticmethod
    def warehouse_type(rocky_type: RockyType) -> str:
        """The Snowflake column type for a RockyType, as DDL spells it."""
        return snowflake_data_type(rocky_type).sql(dialect=build.DIALECT)

    # -- Snowflake-only operations ------------------------------------------
    def clone_table(
        self, target: TableRef, source: TableRef, *, replace: bool = False
    ) -> ExecResult:
        """Zero-copy ``CREATE [OR REPLACE] TABLE target CLONE source``."""
        statement = build.clone_table(
            self.table_expr(target), self.table_expr(source), replace=replace
        )
        return self.execute(statement)

    def alter_column_type(self, ref: TableRef, column: str, spelling: str) -> ExecResult:
        """``ALTER TABLE ... ALTER COLUMN ... SET DATA TYPE``; see
        :func:`rocky_snowflake.types.is_safe_widening` for what Snowflake allows."""
        data_type = exp.DataType.build(spelling, dialect=build.DIALECT)
        return self.execute(build.alter_column_type(self.table_expr(ref), column, data_type))


def _index(headers: list[str], name: str, default: int) -> int:
    return headers.index(name) if name in headers else default


def _rows_affected(cursor: SnowflakeCursor) -> int | None:
    """Rows a DML statement touched: the sum of its count columns. None for
    anything else (DDL answers with a status line, not a count)."""
    names = [d.name.lower() for d in cursor.description or []]
    if not names or not all(n.startswith("number of ") for n in names):
        return None
    row = cursor.fetchone()
    if row is None:
        return None
    values = row.values() if isinstance(row, dict) else row
    return sum(
        int(value)
        for name, value in zip(names, values, strict=True)
        if value is not None and (name in _COUNTED or name.startswith("number of rows inserted"))
    )


def _close_quietly(conn: SnowflakeConnection) -> None:
    try:
        conn.close()
    except (snowflake.connector.Error, OSError) as exc:
        log.debug("closing a Snowflake session failed: %s", type(exc).__name__)
