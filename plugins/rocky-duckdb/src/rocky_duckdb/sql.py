"""The statements the DuckDB adapter sends on its own behalf, built as sqlglot
expressions and rendered in the ``duckdb`` dialect. Values travel as ``?``
parameters, never inside the SQL text."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from sqlglot import exp

__all__ = [
    "DIALECT",
    "attach",
    "create_schema",
    "current_database",
    "describe_columns",
    "list_tables",
    "set_option",
]

DIALECT: Final = "duckdb"


def _ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _render(expression: exp.Expression) -> str:
    return expression.sql(dialect=DIALECT)


def _lower(expression: exp.Expression) -> exp.Expression:
    return exp.Lower(this=expression)


def _matches(column: str) -> exp.Expression:
    # DuckDB identifiers are case-insensitive, so the catalog lookups are too.
    return _lower(exp.column(column)).eq(_lower(exp.Placeholder()))


def set_option(name: str, value: str) -> str:
    """``SET name = 'value'``."""
    item = exp.SetItem(this=exp.EQ(this=exp.column(name), expression=exp.Literal.string(value)))
    return _render(exp.Set(expressions=[item]))


def current_database() -> str:
    """``SELECT current_database(), current_schema()``."""
    return _render(exp.select(exp.func("current_database"), exp.func("current_schema")))


def attach(name: str, path: Path | None, *, read_only: bool) -> str:
    """``ATTACH IF NOT EXISTS 'path' AS "name"`` (``':memory:'`` when path is None)."""
    target = exp.Literal.string(":memory:" if path is None else str(path))
    options = [exp.AttachOption(this=exp.var("READ_ONLY"))] if read_only else []
    return _render(
        exp.Attach(this=exp.alias_(target, _ident(name)), exists=True, expressions=options)
    )


def create_schema(catalog: str | None, schema: str) -> str:
    """``CREATE SCHEMA IF NOT EXISTS "catalog"."schema"``."""
    target = exp.Table(db=_ident(schema), catalog=_ident(catalog) if catalog else None)
    return _render(exp.Create(kind="SCHEMA", exists=True, this=target))


def describe_columns() -> str:
    """Columns of one table or view, in order: name, type, NOT NULL flag.
    Parameter: the qualified name from :func:`qualified_name`.

    ``pragma_table_info`` looks one table up directly; filtering
    ``information_schema.columns`` scans every column of the database, which
    made describing each model cost more as a project grew."""
    query = (
        exp.select("name", "type", exp.column("notnull", quoted=True))
        .from_(exp.func("pragma_table_info", exp.Placeholder()))
        .order_by("cid")
    )
    return _render(query)


def qualified_name(catalog: str, schema: str, table: str) -> str:
    """``"catalog"."schema"."table"``, quoted by DuckDB's rules, as the text
    argument of a table function."""
    return _render(exp.table_(_ident(table), db=_ident(schema), catalog=_ident(catalog)))


def list_tables() -> str:
    """Table and view names of one schema. Parameters: catalog, schema."""
    query = (
        exp.select("table_name")
        .from_(exp.table_("tables", db="information_schema"))
        .where(exp.and_(_matches("table_catalog"), _matches("table_schema")))
        .order_by("table_name")
    )
    return _render(query)
