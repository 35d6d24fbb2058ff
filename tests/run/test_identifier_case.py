"""Names from configuration and unquoted SQL are folded by the adapter's
identifier rules before rocky quotes them (Snowflake: upper case); DuckDB
(preserve) is unchanged.

An upper-folding engine is played by real DuckDB with Snowflake's naming
rules: ``identifier_case = "upper"``, and a catalog that answers only for
table names spelled exactly as stored (DuckDB itself matches without regard
to case, and names its own catalog and ``main`` schema in lower case, so
those two are matched as DuckDB does)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from rocky_duckdb import DuckDBAdapter, DuckDBConfig
from run_helpers import CATALOG, make_ir, make_model, rows
from sqlglot import exp

from rocky.adapters import Adapter, Capability, IdentifierCase
from rocky.compiler.schemas import CatalogProvider
from rocky.identifiers import case_normalizer, identifier_folder
from rocky.ir import Column, ModelIR, ProjectIR, TableRef
from rocky.ledger import Ledger
from rocky.plan import build_plan, plan_model, replan_model
from rocky.records import RunRecord, new_run_id, rfc3339, utc_now
from rocky.runner import Executor, RunOptions
from rocky.types import parse_type

ALL = frozenset(Capability)


class UpperDuckDB(DuckDBAdapter):
    """DuckDB named the Snowflake way: unquoted names fold to upper case,
    and the catalog answers only for a table's stored spelling."""

    identifier_case: ClassVar[IdentifierCase] = "upper"

    def describe_table(self, ref: TableRef) -> list[Column] | None:
        catalog = ref.catalog or self.default_catalog()
        schema = ref.schema or "main"
        query = (
            exp.select("table_name").from_(exp.table_("tables", db="information_schema"))
            .where(exp.func("lower", exp.column("table_schema")).eq(
                exp.Literal.string(schema.lower())))
            .where(exp.column("table_name").eq(exp.Literal.string(ref.table)))
        )  # fmt: skip
        if catalog is not None:
            query = query.where(exp.func("lower", exp.column("table_catalog")).eq(
                exp.Literal.string(catalog.lower())))  # fmt: skip
        if not self.query_rows(query.sql(dialect="duckdb")):
            return None
        return super().describe_table(ref)


@pytest.fixture
def upper(db_path: Path) -> Iterator[UpperDuckDB]:
    with UpperDuckDB(DuckDBConfig(path=str(db_path)), project_dir=db_path.parent) as adapter:
        yield adapter  # type: ignore[misc]


def statements(model: ModelIR, existing: tuple[Column, ...] | None, *,
               watermark: str | None = None, caps: frozenset[Capability] = ALL) -> list[str]:
    ir = make_ir(model)
    ir = ProjectIR("snowflake", ir.models, ir.layers)
    units = plan_model(model, ir, capabilities=caps, existing=existing, watermark=watermark,
                       windows=[], normalize=str.upper)  # fmt: skip
    return [s for u in units for s in u.statements]


def cols(*names: str) -> tuple[Column, ...]:
    return tuple(Column(n, parse_type("Int64")) for n in names)


def test_folding_applies_to_names_written_unquoted_only() -> None:
    fold = identifier_folder(str.upper)
    assert [fold(n) for n in ("fct_revenue", "_x$1", "with space", "1st", 'a"b', "ünï")] == [
        "FCT_REVENUE", "_X$1", "with space", "1st", 'a"b', "ünï",
    ]  # fmt: skip
    assert case_normalizer("preserve")("MixedCase") == "MixedCase"
    assert case_normalizer("lower")("MixedCase") == "mixedcase"
    assert case_normalizer("upper")("with space") == "with space"


def test_merge_quotes_folded_keys_targets_and_aliases() -> None:
    model = make_model("dim_customers", 'SELECT customer_id, name, x AS "Nick" FROM raw.c',
                       strategy={"type": "merge", "unique_key": ["customer_id"],
                                 "update_columns": ["name", "Nick"]},
                       schema="public")  # fmt: skip
    [sql] = statements(model, cols("CUSTOMER_ID", "NAME", "Nick"))
    assert sql.startswith('MERGE INTO "WH"."PUBLIC"."DIM_CUSTOMERS" AS t USING (SELECT')
    # ``t`` and ``_rocky_src`` are declared unquoted, so they are referred to
    # as the engine stores them.
    assert 'AS _rocky_src ON "T"."CUSTOMER_ID" = "_ROCKY_SRC"."CUSTOMER_ID"' in sql
    # A column the SELECT names quoted keeps its spelling.
    assert 'UPDATE SET "NAME" = "_ROCKY_SRC"."NAME", "Nick" = "_ROCKY_SRC"."Nick"' in sql
    without = statements(model, cols("CUSTOMER_ID", "NAME", "Nick"),
                         caps=ALL - {Capability.MERGE})  # fmt: skip
    assert 'DELETE FROM "WH"."PUBLIC"."DIM_CUSTOMERS" AS t WHERE EXISTS' in without[1]
    assert '"_ROCKY_SRC"."CUSTOMER_ID" IS NOT DISTINCT FROM' not in without[1]
    assert '"T"."CUSTOMER_ID" = "_ROCKY_SRC"."CUSTOMER_ID"' in without[1]


def test_incremental_delete_insert_and_staging_fold() -> None:
    log = make_model("order_log", "SELECT order_id, updated_at FROM raw.o",
                     strategy={"type": "incremental", "timestamp_column": "updated_at"},
                     columns=(("order_id", "Int64"), ("updated_at", "Timestamp")))  # fmt: skip
    [insert] = statements(log, None)
    assert insert.startswith('CREATE OR REPLACE TABLE "WH"."MAIN"."ORDER_LOG" AS')
    [insert] = statements(log, (Column("ORDER_ID", parse_type("Int64")),
                                Column("UPDATED_AT", parse_type("Timestamp"))),
                          watermark="2024-03-01 00:00:00")  # fmt: skip
    assert insert.endswith(
        "WHERE \"_ROCKY_SRC\".\"UPDATED_AT\" > CAST('2024-03-01 00:00:00' AS TIMESTAMP)"
    )
    totals = make_model("status_totals", "SELECT status, 1 AS n FROM raw.o",
                        strategy={"type": "delete_insert", "partition_by": "status"})  # fmt: skip
    sqls = statements(totals, cols("STATUS", "N"))
    assert '"_ROCKY_SRC"."STATUS" IS NOT DISTINCT FROM "T"."STATUS"' in sqls[1]
    assert sqls[2].startswith('INSERT INTO "WH"."MAIN"."STATUS_TOTALS" ("STATUS", "N")')
    swap = statements(make_model("t", "SELECT 1 AS x"), None,
                      caps=ALL - {Capability.CREATE_OR_REPLACE})  # fmt: skip
    assert 'ALTER TABLE "WH"."MAIN"."T__ROCKY_NEW" RENAME TO "T"' in swap


def test_preserve_changes_nothing(duck: Adapter) -> None:
    model = make_model("Mixed_Case", "SELECT id FROM src",
                       strategy={"type": "merge", "unique_key": "id"})  # fmt: skip
    ir = make_ir(model)
    plain = plan_model(model, ir, capabilities=ALL, existing=cols("id"), watermark=None,
                       windows=[])  # fmt: skip
    folded = plan_model(model, ir, capabilities=ALL, existing=cols("id"), watermark=None,
                        windows=[], normalize=duck.normalize_identifier)  # fmt: skip
    assert folded == plain
    plan = build_plan(ir, duck, None)
    assert plan.models["Mixed_Case"].target == model.target


def test_a_run_stores_folded_names_and_replays_them(upper: UpperDuckDB, tmp_path: Path) -> None:
    upper.execute("CREATE TABLE src AS SELECT 1 AS customer_id, 'ada' AS name, "
                  "TIMESTAMP '2024-03-01 10:00:00' AS updated_at")  # fmt: skip
    models = (
        make_model("dim_customers", "SELECT customer_id, name FROM src",
                   strategy={"type": "merge", "unique_key": "customer_id"},
                   columns=(("customer_id", "Int32"), ("name", "String"))),
        make_model("order_log", "SELECT customer_id, updated_at FROM src",
                   strategy={"type": "incremental", "timestamp_column": "updated_at"}),
    )  # fmt: skip
    ir = make_ir(*models)
    with Ledger(tmp_path / ".rocky-state.sqlite") as ledger:
        for _ in range(2):
            plan = build_plan(ir, upper, ledger)
            started = utc_now()
            record = RunRecord(run_id=new_run_id(started), started_at=rfc3339(started))
            while ledger.record_hash_of(record.run_id) is not None:
                record = RunRecord(run_id=new_run_id(utc_now()), started_at=record.started_at)
            ledger.begin_run(record)
            done = Executor(plan, upper, ledger, record, RunOptions(concurrency=1)).run()
            assert done.status == "Success", [m.error for m in done.models_executed]
        assert ledger.watermark(f"{CATALOG.upper()}.MAIN.ORDER_LOG") == "2024-03-01 10:00:00"
    assert sorted(upper.list_tables(CATALOG, "main")) == ["DIM_CUSTOMERS", "ORDER_LOG", "src"]
    assert [m.target for m in done.models_executed] == [
        "WH.MAIN.DIM_CUSTOMERS", "WH.MAIN.ORDER_LOG",
    ]  # fmt: skip
    modes = {m.model_name: m.plan["modes"] for m in done.models_executed}
    assert modes == {"dim_customers": ["merge"], "order_log": ["insert"]}
    assert rows(upper, "SELECT * FROM wh.main.dim_customers") == [(1, "ada")]
    # replay --verify rebuilds the same statements from the adapter type's
    # declared identifier_case alone.
    merge = done.models_executed[0]
    rebuilt = replan_model(models[0], ir, merge.plan, upper.capabilities,
                           case_normalizer("upper"))  # fmt: skip
    live = replan_model(models[0], ir, merge.plan, upper.capabilities,
                        upper.normalize_identifier)  # fmt: skip
    assert rebuilt == live and rebuilt[0].statements[0].startswith('MERGE INTO "WH"."MAIN"')


def test_the_compiler_reads_sources_under_their_stored_names(
    upper: UpperDuckDB, tmp_path: Path
) -> None:
    upper.execute('CREATE SCHEMA "RAW"')
    upper.execute('CREATE TABLE "RAW"."ORDERS" ("ID" BIGINT)')
    upper.execute('CREATE SCHEMA "quoted"')
    upper.execute('CREATE TABLE "quoted"."events" ("at" TIMESTAMP)')
    provider = CatalogProvider(upper, None, 0)
    # written unquoted in SQL (raw.orders): stored upper case
    assert [c.name for c in provider.lookup(("raw", "orders")) or ()] == ["ID"]
    # written quoted ("quoted"."events"): stored as written
    assert [c.name for c in provider.lookup(("quoted", "events")) or ()] == ["at"]
    assert provider.lookup(("raw", "missing")) is None
