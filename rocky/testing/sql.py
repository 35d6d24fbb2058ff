"""SQL the conformance kit sends, built as sqlglot expressions and rendered in
the adapter's dialect. Every identifier is quoted, so the kit names tables
exactly as the engine stores them: plain kit names go through the adapter's
``normalize_identifier`` first (Snowflake's upper case, for example)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from rocky.adapters import Adapter
from rocky.ir import TableRef

__all__ = ["ColumnSpec", "KitSql"]


@dataclass(frozen=True)
class ColumnSpec:
    """A column to create: its name (used as given), a type spelling parsed by
    sqlglot (in ``read_dialect``, or dialect-neutral), and NOT NULL."""

    name: str
    sql_type: str
    not_null: bool = False
    read_dialect: str | None = None

    def data_type(self) -> exp.DataType:
        return exp.DataType.build(self.sql_type, dialect=self.read_dialect)


class KitSql:
    """Statement builders bound to one adapter's dialect and identifier case."""

    def __init__(self, adapter: Adapter) -> None:
        self.adapter = adapter
        self.dialect = adapter.dialect

    # -- names ---------------------------------------------------------------
    def name(self, plain: str) -> str:
        """How the engine stores the unquoted name ``plain``."""
        return self.adapter.normalize_identifier(plain)

    def unique(self, prefix: str) -> str:
        """A fresh plain name, normalized for the engine."""
        return self.name(f"{prefix}_{uuid.uuid4().hex[:8]}")

    @staticmethod
    def ident(name: str) -> exp.Identifier:
        return exp.to_identifier(name, quoted=True)

    def table(self, ref: TableRef, alias: str | None = None) -> exp.Table:
        return exp.Table(
            this=self.ident(ref.table),
            db=self.ident(ref.schema) if ref.schema else None,
            catalog=self.ident(ref.catalog) if ref.catalog else None,
            alias=exp.TableAlias(this=self.ident(alias)) if alias else None,
        )

    def column(self, name: str, table: str | None = None) -> exp.Column:
        return exp.Column(this=self.ident(name), table=self.ident(table) if table else None)

    def render(self, expression: exp.Expression) -> str:
        return expression.sql(dialect=self.dialect)

    # -- statements ----------------------------------------------------------
    def create_table(self, ref: TableRef, columns: Sequence[ColumnSpec]) -> str:
        defs = [
            exp.ColumnDef(
                this=self.ident(c.name),
                kind=c.data_type(),
                constraints=[exp.ColumnConstraint(kind=exp.NotNullColumnConstraint())]
                if c.not_null
                else [],
            )
            for c in columns
        ]
        return self.render(
            exp.Create(kind="TABLE", this=exp.Schema(this=self.table(ref), expressions=defs))
        )

    def insert(
        self, ref: TableRef, columns: Sequence[ColumnSpec], rows: Sequence[Sequence[Any]]
    ) -> str:
        """INSERT ... VALUES with every value cast to its column's type."""
        values = [
            exp.Tuple(
                expressions=[
                    self.literal(v, c.data_type()) for v, c in zip(row, columns, strict=True)
                ]
            )
            for row in rows
        ]
        target = exp.Schema(this=self.table(ref), expressions=[self.ident(c.name) for c in columns])
        return self.render(exp.Insert(this=target, expression=exp.Values(expressions=values)))

    @staticmethod
    def literal(value: Any, data_type: exp.DataType) -> exp.Expression:
        if value is None:
            return exp.cast(exp.Null(), data_type)
        if isinstance(value, bool):
            return exp.cast(exp.Boolean(this=value), data_type)
        if isinstance(value, int | float):
            return exp.cast(exp.Literal.number(value), data_type)
        if isinstance(value, datetime.datetime):
            return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), data_type)
        if isinstance(value, datetime.date):
            return exp.cast(exp.Literal.string(value.isoformat()), data_type)
        return exp.cast(exp.Literal.string(str(value)), data_type)

    def select(
        self,
        ref: TableRef,
        columns: Sequence[str],
        *,
        order_by: Sequence[str] = (),
        where: exp.Expression | None = None,
    ) -> exp.Select:
        query = exp.select(*(self.column(c) for c in columns)).from_(self.table(ref))
        if where is not None:
            query = query.where(where)
        if order_by:
            query = query.order_by(*(self.column(c) for c in order_by))
        return query

    def ctas(self, ref: TableRef, query: exp.Expression, *, replace: bool = False) -> str:
        return self.render(
            exp.Create(kind="TABLE", this=self.table(ref), expression=query, replace=replace)
        )

    def create_view(
        self, ref: TableRef, query: exp.Expression, *, materialized: bool = False
    ) -> str:
        properties = (
            exp.Properties(expressions=[exp.MaterializedProperty()]) if materialized else None
        )
        return self.render(
            exp.Create(kind="VIEW", this=self.table(ref), expression=query, properties=properties)
        )

    def clone(self, ref: TableRef, source: TableRef) -> str:
        return self.render(
            exp.Create(kind="TABLE", this=self.table(ref), clone=exp.Clone(this=self.table(source)))
        )

    def update(
        self, ref: TableRef, column: str, value: exp.Expression, where: exp.Expression
    ) -> str:
        return self.render(
            exp.Update(
                this=self.table(ref),
                expressions=[exp.EQ(this=self.column(column), expression=value)],
                where=exp.Where(this=where),
            )
        )

    def delete(self, ref: TableRef, where: exp.Expression) -> str:
        return self.render(exp.Delete(this=self.table(ref), where=exp.Where(this=where)))

    def merge_upsert(self, target: TableRef, source: TableRef, key: str, value: str) -> str:
        """MERGE: update ``value`` where ``key`` matches, insert the rest."""
        on = self.column(key, "t").eq(self.column(key, "s"))
        update = exp.Update(
            expressions=[exp.EQ(this=self.column(value), expression=self.column(value, "s"))]
        )
        insert = exp.Insert(
            this=exp.Tuple(expressions=[self.column(key), self.column(value)]),
            expression=exp.Tuple(expressions=[self.column(key, "s"), self.column(value, "s")]),
        )
        whens = exp.Whens(
            expressions=[exp.When(matched=True, then=update), exp.When(matched=False, then=insert)]
        )
        merge = exp.Merge(
            this=self.table(target, alias="t"),
            using=self.table(source, alias="s"),
            on=on,
            whens=whens,
        )
        return self.render(merge)

    def alter_column_type(self, ref: TableRef, column: str, sql_type: str) -> str:
        action = exp.AlterColumn(this=self.ident(column), dtype=exp.DataType.build(sql_type))
        return self.render(exp.Alter(this=self.table(ref), kind="TABLE", actions=[action]))

    def drop_schema(self, catalog: str | None, schema: str) -> str:
        target = exp.Table(db=self.ident(schema), catalog=self.ident(catalog) if catalog else None)
        return self.render(exp.Drop(kind="SCHEMA", tables=[target], exists=True, cascade=True))

    def begin(self) -> str:
        return self.render(exp.Transaction())

    def commit(self) -> str:
        return self.render(exp.Commit())

    def rollback(self) -> str:
        return self.render(exp.Rollback())

    def count(self, ref: TableRef) -> str:
        return self.render(exp.select(exp.func("count", exp.Star())).from_(self.table(ref)))
