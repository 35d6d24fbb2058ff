"""Every materialization strategy, judged by the rows it leaves in DuckDB,
on a first run and on re-runs."""

from __future__ import annotations

from datetime import UTC, date, datetime

from run_helpers import Runner, make_ir, make_model, rows

from rocky.adapters import Adapter
from rocky.ledger import Ledger
from rocky.partitions import PartitionSelection


def _raw(duck: Adapter, *statements: str) -> None:
    duck.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for statement in statements:
        duck.execute(statement)


ORDERS = (
    "CREATE OR REPLACE TABLE raw.orders AS SELECT * FROM (VALUES "
    "(1, 10, 5.0), (2, 10, 7.5), (3, 20, 1.0), (4, 30, 2.0)) AS v(order_id, customer_id, amount)"
)
CUSTOMERS = (
    "CREATE OR REPLACE TABLE raw.customers AS SELECT * FROM (VALUES "
    "(10, 'ada'), (20, 'bob'), (30, 'cy')) AS v(customer_id, name)"
)


def test_full_refresh_join_and_aggregate_rerun_gives_same_rows(
    duck: Adapter, run_ir: Runner
) -> None:
    _raw(duck, ORDERS, CUSTOMERS)
    ir = make_ir(
        make_model("stg_orders", "SELECT order_id, customer_id, amount FROM raw.orders"),
        make_model(
            "revenue",
            "SELECT c.name, SUM(o.amount) AS total, COUNT(*) AS n FROM stg_orders AS o "
            "JOIN raw.customers AS c ON c.customer_id = o.customer_id GROUP BY c.name",
            deps=("stg_orders",),
        ),
    )
    first = run_ir(ir)
    assert first.status == "Success"
    expected = [("ada", 12.5, 2), ("bob", 1.0, 1), ("cy", 2.0, 1)]
    assert rows(duck, "SELECT name, total, n FROM wh.main.revenue") == expected
    second = run_ir(ir)
    assert second.status == "Success"
    assert rows(duck, "SELECT name, total, n FROM wh.main.revenue") == expected
    by_name = {m.model_name: m for m in second.models_executed}
    assert by_name["revenue"].rows_affected == 3
    assert by_name["revenue"].output_rows == 3


def test_view_follows_its_upstream(duck: Adapter, run_ir: Runner) -> None:
    _raw(duck, ORDERS)
    ir = make_ir(
        make_model(
            "big_orders",
            "SELECT order_id FROM raw.orders WHERE amount > 4",
            strategy={"type": "view"},
        )
    )
    assert run_ir(ir).status == "Success"
    kind = duck.query_rows(
        "SELECT table_type FROM information_schema.tables WHERE table_name = 'big_orders'"
    )
    assert kind == [("VIEW",)]
    assert rows(duck, "SELECT * FROM wh.main.big_orders") == [(1,), (2,)]
    duck.execute("INSERT INTO raw.orders VALUES (5, 20, 9.0)")
    assert rows(duck, "SELECT * FROM wh.main.big_orders") == [(1,), (2,), (5,)]


def test_ephemeral_is_inlined_and_never_materialized(duck: Adapter, run_ir: Runner) -> None:
    _raw(duck, ORDERS, CUSTOMERS)
    ir = make_ir(
        make_model(
            "paid", "SELECT * FROM raw.orders WHERE amount >= 2", strategy={"type": "ephemeral"}
        ),
        make_model(
            "named",
            "SELECT p.order_id, c.name FROM paid AS p JOIN raw.customers c USING (customer_id)",
            strategy={"type": "ephemeral"},
            deps=("paid",),
        ),
        make_model(
            "report",
            "WITH own AS (SELECT name, COUNT(*) AS n FROM named GROUP BY name) "
            "SELECT name, n FROM own",
            deps=("named",),
        ),
    )
    record = run_ir(ir)
    assert record.status == "Success"
    assert [m.model_name for m in record.models_executed] == ["report"]
    assert rows(duck, "SELECT * FROM wh.main.report") == [("ada", 2), ("cy", 1)]
    assert duck.describe_table(ir.models["paid"].target) is None
    assert duck.describe_table(ir.models["named"].target) is None


def test_incremental_appends_only_rows_past_the_watermark(
    duck: Adapter, run_ir: Runner, ledger: Ledger
) -> None:
    _raw(
        duck,
        "CREATE TABLE raw.events AS SELECT * FROM (VALUES "
        "(1, TIMESTAMP '2026-01-01 10:00:00'), (2, TIMESTAMP '2026-01-02 10:00:00')) AS v(id, ts)",
    )
    model = make_model(
        "events",
        "SELECT id, ts FROM raw.events",
        strategy={"type": "incremental", "timestamp_column": "ts"},
        columns=(("id", "Int32"), ("ts", "Timestamp")),
    )
    ir = make_ir(model)
    first = run_ir(ir)
    assert first.models_executed[0].plan["modes"] == ["full_build"]
    assert rows(duck, "SELECT id FROM wh.main.events") == [(1,), (2,)]
    assert ledger.watermark("wh.main.events") == "2026-01-02 10:00:00"

    # A late row older than the watermark is not picked up; newer rows are.
    duck.execute(
        "INSERT INTO raw.events VALUES (3, TIMESTAMP '2026-01-03 09:00:00'), "
        "(4, TIMESTAMP '2026-01-01 12:00:00'), (5, TIMESTAMP '2026-01-04 00:00:00')"
    )
    second = run_ir(ir)
    execution = second.models_executed[0]
    assert execution.plan["modes"] == ["insert"]
    assert execution.rows_affected == 2
    assert rows(duck, "SELECT id FROM wh.main.events") == [(1,), (2,), (3,), (5,)]
    assert ledger.watermark("wh.main.events") == "2026-01-04 00:00:00"

    third = run_ir(ir)
    assert third.models_executed[0].rows_affected == 0
    assert rows(duck, "SELECT COUNT(*) FROM wh.main.events") == [(4,)]


def test_merge_updates_matches_and_inserts_new_keys(duck: Adapter, run_ir: Runner) -> None:
    _raw(
        duck,
        "CREATE TABLE raw.customers AS SELECT * FROM (VALUES "
        "(1, 'ada', 'gold', 'x'), (2, 'bob', 'free', 'y')) AS v(id, name, tier, note)",
    )
    ir = make_ir(
        make_model(
            "dim_customers",
            "SELECT id, name, tier, note FROM raw.customers",
            strategy={"type": "merge", "unique_key": ["id"], "update_columns": ["name", "tier"]},
        )
    )
    assert run_ir(ir).status == "Success"
    duck.execute("DELETE FROM raw.customers")
    duck.execute(
        "INSERT INTO raw.customers VALUES (2, 'bobby', 'gold', 'changed'), (3, 'cy', 'free', 'z')"
    )
    second = run_ir(ir)
    assert second.models_executed[0].plan["modes"] == ["merge"]
    assert second.models_executed[0].rows_affected == 2
    # id 1 is kept, id 2 updated (but `note` is not an update column), id 3 is new.
    assert rows(duck, "SELECT id, name, tier, note FROM wh.main.dim_customers") == [
        (1, "ada", "gold", "x"),
        (2, "bobby", "gold", "y"),
        (3, "cy", "free", "z"),
    ]
    run_ir(ir)
    assert rows(duck, "SELECT COUNT(*) FROM wh.main.dim_customers") == [(3,)]


def test_delete_insert_replaces_only_incoming_partitions(duck: Adapter, run_ir: Runner) -> None:
    _raw(
        duck,
        "CREATE TABLE raw.latest AS SELECT * FROM (VALUES "
        "(DATE '2026-01-01', 'a', 1), (DATE '2026-01-01', 'b', 2), (DATE '2026-01-02', 'a', 3)"
        ") AS v(day, item, qty)",
    )
    ir = make_ir(
        make_model(
            "daily_sales",
            "SELECT day, item, qty FROM raw.latest",
            strategy={"type": "delete_insert", "partition_by": ["day"]},
        )
    )
    run_ir(ir)
    duck.execute("DELETE FROM raw.latest")
    duck.execute(
        "INSERT INTO raw.latest VALUES (DATE '2026-01-02', 'z', 30), (DATE '2026-01-03', 'a', 4)"
    )
    second = run_ir(ir)
    assert second.models_executed[0].plan["modes"] == ["replace_partitions"]
    assert rows(duck, "SELECT day, item, qty FROM wh.main.daily_sales") == [
        (date(2026, 1, 1), "a", 1),
        (date(2026, 1, 1), "b", 2),
        (date(2026, 1, 2), "z", 30),
        (date(2026, 1, 3), "a", 4),
    ]
    run_ir(ir)
    assert rows(duck, "SELECT COUNT(*) FROM wh.main.daily_sales") == [(4,)]


def _events_by_day(duck: Adapter) -> None:
    _raw(
        duck,
        "CREATE OR REPLACE TABLE raw.clicks AS SELECT * FROM (VALUES "
        "(TIMESTAMP '2026-03-01 01:00:00'), (TIMESTAMP '2026-03-01 05:00:00'), "
        "(TIMESTAMP '2026-03-02 07:00:00'), (TIMESTAMP '2026-03-03 23:59:00'), "
        "(TIMESTAMP '2026-03-04 00:00:00')) AS v(ts)",
    )


def _daily_model(quoted: bool = False) -> object:
    start, end = ("'@start_date'", "'@end_date'") if quoted else ("@start_date", "@end_date")
    return make_model(
        "daily_clicks",
        f"SELECT CAST(ts AS DATE) AS day, COUNT(*) AS n FROM raw.clicks "
        f"WHERE ts >= {start} AND ts < {end} GROUP BY 1",
        strategy={
            "type": "time_interval",
            "time_column": "day",
            "granularity": "day",
            "first_partition": "2026-03-01",
        },
        columns=(("day", "Date"), ("n", "Int64")),
    )


def test_time_interval_range_then_single_partition_rerun(
    duck: Adapter, run_ir: Runner, ledger: Ledger
) -> None:
    _events_by_day(duck)
    ir = make_ir(_daily_model())  # type: ignore[arg-type]
    record = run_ir(ir, partitions=PartitionSelection(from_key="2026-03-01", to_key="2026-03-03"))
    assert record.status == "Success"
    assert record.models_executed[0].plan["modes"] == [
        "full_build", "replace_partitions", "replace_partitions"
    ]
    assert rows(duck, "SELECT day, n FROM wh.main.daily_clicks") == [
        (date(2026, 3, 1), 2), (date(2026, 3, 2), 1), (date(2026, 3, 3), 1)
    ]
    computed = {r["key"] for r in ledger.rows("partitions", model="daily_clicks")}
    assert computed == {"2026-03-01", "2026-03-02", "2026-03-03"}

    duck.execute("INSERT INTO raw.clicks VALUES (TIMESTAMP '2026-03-02 08:00:00')")
    duck.execute("INSERT INTO raw.clicks VALUES (TIMESTAMP '2026-03-01 09:00:00')")
    run_ir(ir, partitions=PartitionSelection(partition="2026-03-02"))
    # Only 03-02 was recomputed: 03-01's late row is not there yet.
    assert rows(duck, "SELECT day, n FROM wh.main.daily_clicks") == [
        (date(2026, 3, 1), 2), (date(2026, 3, 2), 2), (date(2026, 3, 3), 1)
    ]
    # Lookback 1 from 03-02 recomputes 03-01 as well.
    run_ir(ir, partitions=PartitionSelection(partition="2026-03-02", lookback=1))
    assert rows(duck, "SELECT day, n FROM wh.main.daily_clicks") == [
        (date(2026, 3, 1), 3), (date(2026, 3, 2), 2), (date(2026, 3, 3), 1)
    ]


def test_time_interval_missing_and_latest(duck: Adapter, run_ir: Runner) -> None:
    _events_by_day(duck)
    ir = make_ir(_daily_model(quoted=True))  # type: ignore[arg-type]
    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    run_ir(ir, partitions=PartitionSelection(missing=True, now=now))
    assert rows(duck, "SELECT day, n FROM wh.main.daily_clicks") == [
        (date(2026, 3, 1), 2), (date(2026, 3, 2), 1)
    ]
    later = datetime(2026, 3, 4, 1, tzinfo=UTC)
    record = run_ir(ir, partitions=PartitionSelection(missing=True, now=later))
    windows = [w["key"] for w in record.models_executed[0].plan["windows"]]
    assert windows == ["2026-03-03", "2026-03-04"]
    latest = run_ir(ir, partitions=PartitionSelection(latest=True, now=later))
    assert [w["key"] for w in latest.models_executed[0].plan["windows"]] == ["2026-03-04"]
    assert rows(duck, "SELECT day, n FROM wh.main.daily_clicks") == [
        (date(2026, 3, 1), 2), (date(2026, 3, 2), 1), (date(2026, 3, 3), 1), (date(2026, 3, 4), 1)
    ]


def test_microbatch_is_time_interval_on_its_timestamp(duck: Adapter, run_ir: Runner) -> None:
    _events_by_day(duck)
    model = make_model(
        "hourly_clicks",
        "SELECT ts FROM raw.clicks WHERE ts >= @start_date AND ts < @end_date",
        strategy={"type": "microbatch", "timestamp_column": "ts", "granularity": "hour"},
        columns=(("ts", "Timestamp"),),
    )
    selection = PartitionSelection(from_key="2026-03-01T00", to_key="2026-03-01T05")
    record = run_ir(make_ir(model), partitions=selection)
    assert len(record.models_executed[0].plan["windows"]) == 6
    assert rows(duck, "SELECT ts FROM wh.main.hourly_clicks") == [
        (datetime(2026, 3, 1, 1),), (datetime(2026, 3, 1, 5),)
    ]
    run_ir(make_ir(model), partitions=PartitionSelection(partition="2026-03-01T05"))
    assert rows(duck, "SELECT COUNT(*) FROM wh.main.hourly_clicks") == [(2,)]
