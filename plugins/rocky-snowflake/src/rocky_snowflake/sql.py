"""The statements the Snowflake adapter sends on its own behalf, built as
sqlglot expressions and rendered in the ``snowflake`` dialect.

Names are quoted exactly as given (a TableRef holds names as Snowflake
stores them; callers fold unquoted names with ``normalize_identifier``
first). Values travel as ``?`` bind parameters, never inside the SQL text.
"""

from __future__ import annotations

from typing import Final

from sqlglot import exp

__all__ = [
    "DIALECT",
    "alter_column_type",
    "cancel_session_queries",
    "clone_table",
    "create_database",
    "create_schema",
    "current_context",
    "current_version",
    "describe_table",
    "drop_database",
    "ident",
    "list_tables",
    "query_history",
    "render",
    "table",
]

DIALECT: Final = "snowflake"


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def table(name: str, schema: str | None = None, catalog: str | None = None) -> exp.Table:
    return exp.Table(
        this=ident(name),
        db=ident(schema) if schema else None,
        catalog=ident(catalog) if catalog else None,
    )


def render(expression: exp.Expression) -> str:
    return expression.sql(dialect=DIALECT)


def current_context() -> str:
    """``SELECT CURRENT_DATABASE(), CURRENT_SCHEMA()``."""
    return render(exp.select(exp.func("CURRENT_DATABASE"), exp.func("CURRENT_SCHEMA")))


def current_version() -> str:
    """``SELECT CURRENT_VERSION()``."""
    return render(exp.select(exp.func("CURRENT_VERSION")))


def describe_table(name: str, schema: str | None, catalog: str | None) -> str:
    """``DESCRIBE TABLE "c"."s"."t"`` (views too): name, type, kind, null?, ..."""
    return render(exp.Describe(this=table(name, schema, catalog), kind="TABLE"))


def _info_schema(view: str, catalog: str | None) -> exp.Table:
    return exp.Table(
        this=ident(view),
        db=ident("INFORMATION_SCHEMA"),
        catalog=ident(catalog) if catalog else None,
    )


def list_tables(catalog: str | None) -> str:
    """Names of the tables and views of one schema, sorted. Parameters:
    the schema name, twice. Views are read from ``VIEWS`` as well as
    ``TABLES``: ``TABLES`` lists them on Snowflake, not on every stand-in,
    and UNION drops the duplicates."""
    name = exp.column("TABLE_NAME", quoted=True)
    where = exp.column("TABLE_SCHEMA", quoted=True).eq(exp.Placeholder())
    tables = exp.select(name).from_(_info_schema("TABLES", catalog)).where(where)
    views = exp.select(name.copy()).from_(_info_schema("VIEWS", catalog)).where(where.copy())
    return render(exp.union(tables, views, distinct=True).order_by(exp.Literal.number(1)))


def create_schema(schema: str, catalog: str | None) -> str:
    """``CREATE SCHEMA IF NOT EXISTS "c"."s"``."""
    target = exp.Table(db=ident(schema), catalog=ident(catalog) if catalog else None)
    return render(exp.Create(kind="SCHEMA", exists=True, this=target))


def create_database(name: str) -> str:
    """``CREATE DATABASE IF NOT EXISTS "d"``."""
    return render(exp.Create(kind="DATABASE", exists=True, this=exp.Table(this=ident(name))))


def drop_database(name: str) -> str:
    """``DROP DATABASE IF EXISTS "d"``."""
    return render(exp.Drop(kind="DATABASE", exists=True, tables=[exp.Table(this=ident(name))]))


def clone_table(target: exp.Table, source: exp.Table, *, replace: bool = False) -> str:
    """``CREATE [OR REPLACE] TABLE target CLONE source``: zero-copy, the
    clone shares the source's storage until either side changes."""
    return render(
        exp.Create(kind="TABLE", this=target, clone=exp.Clone(this=source), replace=replace)
    )


def alter_column_type(target: exp.Table, column: str, data_type: exp.DataType) -> str:
    """``ALTER TABLE t ALTER COLUMN "c" SET DATA TYPE x``."""
    action = exp.AlterColumn(this=ident(column), dtype=data_type)
    return render(exp.Alter(kind="TABLE", this=target, actions=[action]))


def query_history() -> str:
    """Bytes scanned and written by one statement of this session, from
    ``TABLE(INFORMATION_SCHEMA.QUERY_HISTORY_BY_SESSION(...))``.
    Parameter: the query id."""
    function = exp.Anonymous(
        this="QUERY_HISTORY_BY_SESSION",
        expressions=[exp.Kwarg(this=exp.var("RESULT_LIMIT"), expression=exp.Literal.number(1000))],
    )
    source = exp.TableFromRows(this=exp.Dot(this=ident("INFORMATION_SCHEMA"), expression=function))
    query = (
        exp.select(
            exp.column("BYTES_SCANNED", quoted=True), exp.column("BYTES_WRITTEN", quoted=True)
        )
        .from_(source)
        .where(exp.column("QUERY_ID", quoted=True).eq(exp.Placeholder()))
    )
    return render(query)


def cancel_session_queries(session_id: int) -> str:
    """``SELECT SYSTEM$CANCEL_ALL_QUERIES(<session id>)``."""
    call = exp.Anonymous(
        this="SYSTEM$CANCEL_ALL_QUERIES", expressions=[exp.Literal.number(session_id)]
    )
    return render(exp.select(call))
