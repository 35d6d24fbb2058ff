"""The statements each strategy emits, rendered per dialect: identifiers
quoted by the dialect, no string-built SQL, one transaction where the
adapter has them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlglot
from run_helpers import make_ir, make_model

from rocky.adapters import Capability
from rocky.errors import RockyError
from rocky.ir import Column, ModelIR, ProjectIR
from rocky.partitions import PartitionWindow
from rocky.plan import inline_ephemerals, plan_model
from rocky.types import parse_type

ALL = frozenset(Capability)
EXISTING = (
    Column("id", parse_type("Int64")),
    Column("select", parse_type("String")),
    Column("ts", parse_type("Timestamp")),
)


def statements(model: ModelIR, *, dialect: str = "duckdb", caps: frozenset[Capability] = ALL,
               existing: tuple[Column, ...] | None = EXISTING, watermark: str | None = None,
               windows: list[PartitionWindow] | None = None) -> list[str]:
    ir = make_ir(model)
    ir = ProjectIR(dialect, ir.models, ir.layers)
    units = plan_model(model, ir, capabilities=caps, existing=existing, watermark=watermark,
                       windows=windows or [])
    return [s for u in units for s in u.statements]


@pytest.mark.parametrize(
    ("dialect", "quoted"),
    [("duckdb", '"wh"."main"."odd""name"'), ("snowflake", '"wh"."main"."odd""name"'),
     ("bigquery", "`wh`.`main`.`odd\\`name`"), ("databricks", "`wh`.`main`.`odd``name`")],
)
def test_full_refresh_quotes_the_target_per_dialect(dialect: str, quoted: str) -> None:
    name = 'odd"name' if dialect in ("duckdb", "snowflake") else "odd`name"
    model = make_model(name, "SELECT 1 AS x")
    [sql] = statements(model, dialect=dialect)
    assert sql.startswith(f"CREATE OR REPLACE TABLE {quoted} AS")
    sqlglot.parse_one(sql, read=dialect)  # what we emit parses back


def test_merge_quotes_columns_and_lists_them() -> None:
    model = make_model("dim", "SELECT id, \"select\", ts FROM src",
                       strategy={"type": "merge", "unique_key": ["id"]})
    [sql] = statements(model)
    assert 'UPDATE SET "select" = "_rocky_src"."select", "ts" = "_rocky_src"."ts"' in sql
    assert 'INSERT ("id", "select", "ts") VALUES' in sql
    assert 'ON "t"."id" = "_rocky_src"."id"' in sql


def test_merge_refuses_a_key_the_table_lacks() -> None:
    model = make_model("dim", "SELECT 1 AS id", strategy={"type": "merge", "unique_key": "nope"})
    with pytest.raises(RockyError, match=r"merge key 'nope' is not a column of wh\.main\.dim"):
        statements(model)


def test_incremental_bound_is_typed_and_first_run_is_a_full_build() -> None:
    model = make_model("log", "SELECT id, ts FROM src",
                       strategy={"type": "incremental", "timestamp_column": "ts"})
    [first] = statements(model, existing=None)
    assert first.startswith('CREATE OR REPLACE TABLE "wh"."main"."log" AS')
    [later] = statements(model, watermark="2026-01-02 03:04:05")
    assert later.endswith(
        "WHERE \"_rocky_src\".\"ts\" > CAST('2026-01-02 03:04:05' AS TIMESTAMP)"
    )
    numeric = make_model("seq", "SELECT id FROM src",
                         strategy={"type": "incremental", "timestamp_column": "id"})
    [by_id] = statements(numeric, watermark="41")
    assert by_id.endswith('WHERE "_rocky_src"."id" > 41')


def test_a_watermark_with_a_quote_stays_a_literal() -> None:
    model = make_model("log", "SELECT id, \"select\" FROM src",
                       strategy={"type": "incremental", "timestamp_column": "select"})
    [sql] = statements(model, watermark="x' OR '1'='1")
    assert "> 'x'' OR ''1''=''1'" in sql


def test_multi_statement_strategies_use_a_transaction_when_available() -> None:
    model = make_model("d", "SELECT id, ts FROM src",
                       strategy={"type": "delete_insert", "partition_by": "id"})
    with_tx = statements(model)
    assert with_tx[0] == "BEGIN" and with_tx[-1] == "COMMIT" and len(with_tx) == 4
    without = statements(model, caps=ALL - {Capability.TRANSACTIONS})
    assert [s.split()[0] for s in without] == ["DELETE", "INSERT"]


def test_full_refresh_without_create_or_replace_swaps_in_a_transaction() -> None:
    model = make_model("t", "SELECT 1 AS x")
    sqls = statements(model, caps=ALL - {Capability.CREATE_OR_REPLACE})
    assert sqls == [
        "BEGIN",
        'DROP TABLE IF EXISTS "wh"."main"."t__rocky_new"',
        'CREATE TABLE "wh"."main"."t__rocky_new" AS SELECT 1 AS x',
        'DROP TABLE IF EXISTS "wh"."main"."t"',
        'ALTER TABLE "wh"."main"."t__rocky_new" RENAME TO "t"',
        "COMMIT",
    ]


def test_time_interval_binds_placeholders_per_window() -> None:
    model = make_model(
        "daily", "SELECT CAST(ts AS DATE) AS day FROM src WHERE ts >= @start_date "
        "AND ts < '@end_date'",
        strategy={"type": "time_interval", "time_column": "day", "granularity": "day"},
        columns=(("day", "Date"),),
    )
    window = PartitionWindow("2026-04-07", datetime(2026, 4, 7, tzinfo=UTC),
                             datetime(2026, 4, 8, tzinfo=UTC))
    sqls = statements(model, existing=(Column("day", parse_type("Date")),), windows=[window])
    assert sqls[1] == (
        'DELETE FROM "wh"."main"."daily" WHERE "day" >= CAST(\'2026-04-07\' AS DATE) '
        "AND \"day\" < CAST('2026-04-08' AS DATE)"
    )
    # Day windows on a DATE column bind DATE literals...
    assert "ts >= CAST('2026-04-07' AS DATE) AND ts < CAST('2026-04-08' AS DATE)" in sqls[2]
    assert "@" not in " ".join(sqls)
    # ...hour windows always bind timestamps.
    hourly = make_model(
        "hourly", "SELECT ts FROM src WHERE ts >= @start_date AND ts < @end_date",
        strategy={"type": "time_interval", "time_column": "ts", "granularity": "hour"},
    )
    hour = PartitionWindow("2026-04-07T05", datetime(2026, 4, 7, 5, tzinfo=UTC),
                           datetime(2026, 4, 7, 6, tzinfo=UTC))
    [sql] = statements(hourly, existing=None, windows=[hour])
    assert sql.endswith(
        "WHERE ts >= CAST('2026-04-07 05:00:00' AS TIMESTAMP) "
        "AND ts < CAST('2026-04-07 06:00:00' AS TIMESTAMP)"
    )


def test_nested_ephemerals_become_ctes_in_dependency_order() -> None:
    a = make_model("a", "SELECT 1 AS x", strategy={"type": "ephemeral"})
    b = make_model("b", "SELECT x FROM a AS aa", strategy={"type": "ephemeral"}, deps=("a",))
    c = make_model("c", "WITH mine AS (SELECT x FROM b) SELECT x FROM mine", deps=("b",))
    ir = make_ir(a, b, c)
    sql = inline_ephemerals(c, ir).sql(dialect="duckdb")
    assert sql == (
        'WITH "_rocky_ephemeral_a" AS (SELECT 1 AS x), "_rocky_ephemeral_b" AS '
        '(SELECT x FROM "_rocky_ephemeral_a" AS aa), mine AS '
        '(SELECT x FROM "_rocky_ephemeral_b" AS b) SELECT x FROM mine'
    )


def test_unsupported_strategies_fail_with_one_line() -> None:
    mv = make_model("mv", "SELECT 1 AS x", strategy={"type": "materialized_view"})
    with pytest.raises(RockyError, match="needs an adapter with materialized views"):
        statements(mv, caps=ALL - {Capability.MATERIALIZED_VIEWS})
    dt = make_model("dt", "SELECT 1 AS x", strategy={"type": "dynamic_table", "target_lag": "1h"})
    with pytest.raises(RockyError, match="strategy 'dynamic_table' is not supported"):
        statements(dt)
