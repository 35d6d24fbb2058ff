"""The SQL each materialization strategy runs, built as sqlglot expressions
and rendered in the adapter's dialect (identifiers quoted by the dialect).

A strategy's ``materializer`` (rocky.strategies.StrategySpec) takes a
:class:`MaterializeRequest` and returns a :class:`Materialization`: the
statements for one model (or one time partition), in order. When a
strategy needs several statements to land together and the adapter declares
``Capability.TRANSACTIONS``, they come wrapped in BEGIN/COMMIT; the
``sql_hash`` covers exactly these statements.

What each strategy does (docs/running.md has the full table):

- ``full_refresh``: ``CREATE OR REPLACE TABLE t AS q``, one atomic statement.
  Without CREATE OR REPLACE: build ``t__rocky_new``, then drop and rename in
  one transaction.
- ``view``: ``CREATE OR REPLACE VIEW``.
- ``incremental``: the first build (no table or no watermark) is a full
  build; then ``INSERT INTO t (cols) SELECT cols FROM (q) WHERE ts > wm``.
- ``merge``: ``MERGE INTO t USING (q) ON keys ... UPDATE SET ... INSERT``
  (delete + insert in a transaction when the adapter has no MERGE).
- ``delete_insert``: delete the incoming partitions, insert them.
- ``time_interval``: per window, delete ``[start, end)`` then insert the
  model's rows with ``@start_date``/``@end_date`` bound to the window.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp

from rocky.adapters import Capability
from rocky.compiler.vars import END_SENTINEL, START_SENTINEL, prepare
from rocky.errors import RockyError
from rocky.ir import Column, TableRef
from rocky.partitions import PartitionWindow
from rocky.types import RockyType, parse_type

__all__ = [
    "BUILTIN_MATERIALIZERS",
    "Materialization",
    "MaterializeRequest",
    "bind_placeholders",
    "materialize",
    "parse_query",
    "table_expr",
]

SOURCE_ALIAS = "_rocky_src"
TARGET_ALIAS = "t"


def _same(name: str) -> str:
    return name


@dataclass(frozen=True, slots=True)
class MaterializeRequest:
    """Everything a materializer needs for one model (or one partition).

    ``query`` is the model's SELECT with ephemeral upstreams inlined.
    ``existing`` holds the target's current columns, None when the target
    does not exist. ``watermark`` is the incremental high-water mark as text;
    ``window`` the time partition to compute.

    Names are as the engine stores them: ``target``, the column names in
    ``strategy`` (``unique_key``, ``timestamp_column``, ...) and ``columns``
    have been folded by the adapter's identifier rules (Snowflake: upper
    case), so quoting them names the objects unquoted SQL refers to.
    ``normalize`` folds any other name written unquoted the same way (an
    alias the statement declares unquoted, a plugin's own config keys)."""

    model: str
    query: exp.Query
    target: TableRef
    strategy: dict[str, Any]
    dialect: str
    capabilities: frozenset[Capability]
    columns: tuple[Column, ...] = ()
    existing: tuple[Column, ...] | None = None
    watermark: str | None = None
    window: PartitionWindow | None = None
    normalize: Callable[[str], str] = _same

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def render(self, expression: exp.Expression) -> str:
        return expression.sql(dialect=self.dialect)

    @property
    def table(self) -> exp.Table:
        return table_expr(self.target)


@dataclass(frozen=True, slots=True)
class Materialization:
    """Statements for one unit of work. ``mode`` names what they do
    (``full_build``, ``insert``, ``merge``, ``replace_partitions``, ``view``);
    ``rows_statement`` is the index whose row count is the model's
    ``rows_affected``."""

    statements: tuple[str, ...]
    mode: str
    rows_statement: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


def table_expr(ref: TableRef) -> exp.Table:
    return exp.table_(ref.table, db=ref.schema, catalog=ref.catalog, quoted=True)


def _names(value: Any) -> list[str]:
    """A key list from config: one name or several."""
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table, quoted=True)


def _alias_col(req: MaterializeRequest, name: str, alias: str) -> exp.Column:
    """``"alias"."name"`` for an alias the statement declares unquoted: the
    qualifier is spelled as the engine stores that alias."""
    return _col(name, req.normalize(alias))


def parse_query(sql: str, dialect: str, *, model: str = "") -> exp.Query:
    """Parse a model's SELECT; one clear line when it is not a query."""
    try:
        parsed = sqlglot.parse_one(sql, read=dialect)
    except sqlglot.errors.ParseError as exc:
        first = str(exc).splitlines()[0]
        raise RockyError(f"model '{model}': its SQL does not parse: {first}") from None
    if not isinstance(parsed, exp.Query):
        raise RockyError(f"model '{model}': its SQL is not a SELECT query")
    return parsed


def bind_placeholders(sql: str) -> str:
    """``@start_date``/``@end_date`` (bare or quoted) as sentinel column
    names, so the text parses in every dialect (DuckDB reads ``@x`` as
    ``abs(x)``); :func:`time_interval` swaps them for typed literals."""
    text = prepare(sql, {}).parse_text
    return text.replace("'@start_date'", START_SENTINEL).replace("'@end_date'", END_SENTINEL)


def _bound_literal(value: str, time_type: RockyType | None) -> exp.Expression:
    kind = time_type.kind if time_type is not None else "Timestamp"
    if kind == "Date":
        return exp.cast(exp.Literal.string(value[:10]), exp.DataType.build("DATE"))
    return exp.cast(exp.Literal.string(value), exp.DataType.build("TIMESTAMP"))


def _substitute_window(
    query: exp.Query, window: PartitionWindow, time_type: RockyType | None
) -> exp.Query:
    start = window.to_json()["start"]
    end = window.to_json()["end"]

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table:
            if node.name == START_SENTINEL:
                return _bound_literal(start, time_type)
            if node.name == END_SENTINEL:
                return _bound_literal(end, time_type)
        return node

    return query.transform(swap, copy=True)  # type: ignore[return-value]


def _column_type(req: MaterializeRequest, name: str) -> RockyType | None:
    lowered = name.lower()
    for col in (*(req.existing or ()), *req.columns):
        if col.name.lower() == lowered and not col.type.is_unknown:
            return col.type
    return None


def _literal_for(value: str, col_type: RockyType | None) -> exp.Expression:
    """A watermark value as a literal of its column's type."""
    if col_type is None:
        return exp.cast(exp.Literal.string(value), exp.DataType.build("TIMESTAMP"))
    if col_type.is_integer:
        return exp.Literal.number(int(float(value)))
    if col_type.is_numeric:
        return exp.Literal.number(value)
    if col_type.kind == "Date":
        return exp.cast(exp.Literal.string(value[:10]), exp.DataType.build("DATE"))
    if col_type.kind in ("Timestamp", "TimestampNtz"):
        return exp.cast(exp.Literal.string(value), exp.DataType.build("TIMESTAMP"))
    return exp.Literal.string(value)


def _insert_columns(req: MaterializeRequest) -> list[str] | None:
    """Column names for INSERT: the target's, else the model's; None means
    positional (no names known)."""
    if req.existing:
        return [c.name for c in req.existing]
    if req.columns:
        return [c.name for c in req.columns]
    return None


def _insert(req: MaterializeRequest, where: exp.Expression | None = None) -> exp.Insert:
    source = req.query.subquery(SOURCE_ALIAS, copy=True)
    names = _insert_columns(req)
    select = exp.select(*([_alias_col(req, n, SOURCE_ALIAS) for n in names] if names else ["*"]))
    select = select.from_(source)
    if where is not None:
        select = select.where(where)
    target: exp.Expression = req.table
    if names:
        target = exp.Schema(this=req.table, expressions=[_ident(n) for n in names])
    return exp.Insert(this=target, expression=select)


def _transaction(req: MaterializeRequest, body: list[str]) -> tuple[tuple[str, ...], int]:
    """Wrap ``body`` in BEGIN/COMMIT when the adapter has transactions;
    returns the statements and the offset of the body's first statement."""
    if len(body) > 1 and req.supports(Capability.TRANSACTIONS):
        return (req.render(exp.Transaction()), *body, req.render(exp.Commit())), 1
    return tuple(body), 0


def full_build(req: MaterializeRequest) -> Materialization:
    """Atomic replace of the whole table."""
    if req.supports(Capability.CREATE_OR_REPLACE):
        create = exp.Create(this=req.table, kind="TABLE", expression=req.query.copy(), replace=True)
        return Materialization((req.render(create),), "full_build", 0)
    suffix = req.normalize("__rocky_new")
    staging = TableRef(req.target.catalog, req.target.schema, f"{req.target.table}{suffix}")
    body = [
        req.render(exp.Drop(tables=[table_expr(staging)], kind="TABLE", exists=True)),
        req.render(exp.Create(this=table_expr(staging), kind="TABLE", expression=req.query.copy())),
        req.render(exp.Drop(tables=[req.table], kind="TABLE", exists=True)),
        req.render(
            exp.Alter(
                this=table_expr(staging),
                kind="TABLE",
                actions=[exp.AlterRename(this=exp.table_(req.target.table, quoted=True))],
            )
        ),
    ]
    statements, offset = _transaction(req, body)
    return Materialization(statements, "full_build", offset + 1)


def view(req: MaterializeRequest) -> Materialization:
    create = exp.Create(this=req.table, kind="VIEW", expression=req.query.copy(), replace=True)
    return Materialization((req.render(create),), "view", None)


def materialized_view(req: MaterializeRequest) -> Materialization:
    if not req.supports(Capability.MATERIALIZED_VIEWS):
        raise RockyError(
            f"model '{req.model}': strategy 'materialized_view' needs an adapter with "
            "materialized views, and this one has none",
            hint="use full_refresh or view",
        )
    create = exp.Create(
        this=req.table,
        kind="VIEW",
        expression=req.query.copy(),
        replace=True,
        properties=exp.Properties(expressions=[exp.MaterializedProperty()]),
    )
    return Materialization((req.render(create),), "materialized_view", None)


def incremental(req: MaterializeRequest) -> Materialization:
    column = str(req.strategy["timestamp_column"])
    if req.existing is None or req.watermark is None:
        built = full_build(req)
        return Materialization(built.statements, "full_build", built.rows_statement)
    bound = _literal_for(req.watermark, _column_type(req, column))
    insert = _insert(req, exp.GT(this=_alias_col(req, column, SOURCE_ALIAS), expression=bound))
    return Materialization(
        (req.render(insert),), "insert", 0, {"watermark_column": column, "after": req.watermark}
    )


def merge(req: MaterializeRequest) -> Materialization:
    if req.existing is None:
        return full_build(req)
    keys = _names(req.strategy["unique_key"])
    names = [c.name for c in req.existing]
    lowered = {n.lower() for n in names}
    for key in keys:
        if key.lower() not in lowered:
            raise RockyError(
                f"model '{req.model}': merge key '{key}' is not a column of {req.target.key}"
            )
    key_set = {k.lower() for k in keys}
    wanted = req.strategy.get("update_columns")
    updates = [n for n in (_names(wanted) if wanted else names) if n.lower() not in key_set]
    on = exp.and_(*(
        exp.EQ(this=_alias_col(req, k, TARGET_ALIAS), expression=_alias_col(req, k, SOURCE_ALIAS))
        for k in keys
    ))
    if req.supports(Capability.MERGE):
        whens: list[exp.When] = []
        if updates:
            sets = [
                exp.EQ(this=_col(n), expression=_alias_col(req, n, SOURCE_ALIAS)) for n in updates
            ]
            whens.append(exp.When(matched=True, then=exp.Update(expressions=sets)))
        whens.append(
            exp.When(
                matched=False,
                then=exp.Insert(
                    this=exp.Tuple(expressions=[_col(n) for n in names]),
                    expression=exp.Tuple(
                        expressions=[_alias_col(req, n, SOURCE_ALIAS) for n in names]
                    ),
                ),
            )
        )
        statement = exp.Merge(
            this=req.table.as_(TARGET_ALIAS),
            using=req.query.subquery(SOURCE_ALIAS, copy=True),
            on=on,
            whens=exp.Whens(expressions=whens),
        )
        return Materialization((req.render(statement),), "merge", 0)
    # No MERGE: delete the matching keys, insert every incoming row.
    matches = exp.select("1").from_(req.query.subquery(SOURCE_ALIAS, copy=True)).where(on)
    delete = exp.Delete(
        this=req.table.as_(TARGET_ALIAS), where=exp.Where(this=exp.Exists(this=matches))
    )
    statements, offset = _transaction(req, [req.render(delete), req.render(_insert(req))])
    return Materialization(statements, "merge", offset + 1)


def delete_insert(req: MaterializeRequest) -> Materialization:
    if req.existing is None:
        return full_build(req)
    parts = _names(req.strategy["partition_by"])
    same = exp.and_(
        *(
            exp.NullSafeEQ(
                this=_alias_col(req, p, SOURCE_ALIAS), expression=_alias_col(req, p, TARGET_ALIAS)
            )
            for p in parts
        )
    )
    incoming = exp.select("1").from_(req.query.subquery(SOURCE_ALIAS, copy=True)).where(same)
    delete = exp.Delete(
        this=req.table.as_(TARGET_ALIAS), where=exp.Where(this=exp.Exists(this=incoming))
    )
    statements, offset = _transaction(req, [req.render(delete), req.render(_insert(req))])
    return Materialization(statements, "replace_partitions", offset + 1, {"partition_by": parts})


def time_interval(req: MaterializeRequest) -> Materialization:
    if req.window is None:
        raise RockyError(f"model '{req.model}': a time_interval run needs a partition window")
    column = str(req.strategy.get("time_column") or req.strategy.get("timestamp_column"))
    time_type = _column_type(req, column)
    if req.strategy.get("granularity", "hour") == "hour":
        time_type = None  # hour windows need timestamps, whatever the column says
    query = _substitute_window(req.query, req.window, time_type)
    bound = dataclasses.replace(req, query=query)
    details = {"partition": req.window.to_json()}
    if req.existing is None:
        built = full_build(bound)
        return Materialization(built.statements, "full_build", built.rows_statement, details)
    window = req.window.to_json()
    in_window = exp.and_(
        exp.GTE(this=_col(column), expression=_bound_literal(window["start"], time_type)),
        exp.LT(this=_col(column), expression=_bound_literal(window["end"], time_type)),
    )
    delete = exp.Delete(this=req.table, where=exp.Where(this=in_window))
    statements, offset = _transaction(req, [req.render(delete), req.render(_insert(bound))])
    return Materialization(statements, "replace_partitions", offset + 1, details)


def ephemeral(req: MaterializeRequest) -> Materialization:
    """Never materialized: consumers inline it as a CTE."""
    return Materialization((), "ephemeral", None)


def unsupported(name: str) -> Callable[[MaterializeRequest], Materialization]:
    def refuse(req: MaterializeRequest) -> Materialization:
        raise RockyError(
            f"model '{req.model}': strategy '{name}' is not supported by this adapter",
            hint="use full_refresh, incremental or merge",
        )

    return refuse


BUILTIN_MATERIALIZERS: dict[str, Callable[[MaterializeRequest], Materialization]] = {
    "full_refresh": full_build,
    "view": view,
    "ephemeral": ephemeral,
    "materialized_view": materialized_view,
    "incremental": incremental,
    "merge": merge,
    "delete_insert": delete_insert,
    "time_interval": time_interval,
    "microbatch": time_interval,
    "dynamic_table": unsupported("dynamic_table"),
}


def materialize(req: MaterializeRequest) -> Materialization:
    """Dispatch through the strategy registry (plugins add strategies)."""
    from rocky.plugins import get_registry

    spec = get_registry().strategy(req.strategy.get("type", "full_refresh"))
    if spec.materializer is None:
        raise RockyError(f"strategy '{spec.name}' has no materializer")
    result = spec.materializer(req)
    if not isinstance(result, Materialization):
        raise RockyError(f"strategy '{spec.name}' returned {type(result).__name__}, not statements")
    return result


def column_types(columns: list[dict[str, Any]] | None) -> tuple[Column, ...]:
    """Columns recorded in the ledger, back as Column values."""
    return tuple(
        Column(c["name"], parse_type(c["type"]), bool(c.get("nullable", True)))
        for c in columns or []
    )
