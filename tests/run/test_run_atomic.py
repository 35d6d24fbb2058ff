"""Atomic replace, failure isolation and the fallbacks for adapters that
lack CREATE OR REPLACE, MERGE or transactions (same DuckDB, fewer declared
capabilities)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from run_helpers import Runner, make_ir, make_model, rows

from rocky.adapters import Adapter, Capability
from rocky.ledger import Ledger
from rocky.plan import build_plan
from rocky.records import RunRecord, new_run_id, rfc3339, utc_now
from rocky.runner import Executor, RunOptions, exit_code


def _restricted(duck: Adapter, *without: Capability) -> Adapter:
    cls = type("Restricted", (type(duck),), {"capabilities": duck.capabilities - set(without)})
    adapter: Adapter = cls(duck.config, project_dir=duck.project_dir)
    return adapter


@pytest.fixture
def bare_duck(duck: Adapter) -> Iterator[Adapter]:
    """The same database through an adapter declaring neither CREATE OR
    REPLACE nor MERGE."""
    duck.close()
    adapter = _restricted(duck, Capability.CREATE_OR_REPLACE, Capability.MERGE)
    adapter.connect()
    try:
        yield adapter
    finally:
        adapter.close()


def _run(adapter: Adapter, ledger: Ledger, ir: object, **options: object) -> RunRecord:
    plan = build_plan(ir, adapter, ledger)  # type: ignore[arg-type]
    started = utc_now()
    record = RunRecord(run_id=new_run_id(started) + f"-{len(ledger.run_ids())}",
                       started_at=rfc3339(started))
    ledger.begin_run(record)
    return Executor(plan, adapter, ledger, record, RunOptions(**options)).run()  # type: ignore[arg-type]


GOOD = "SELECT CAST(x AS INTEGER) AS n FROM (VALUES ('1'), ('2'), ('3')) AS v(x)"
BAD = "SELECT CAST(x AS INTEGER) AS n FROM (VALUES ('4'), ('oops')) AS v(x)"


def test_failed_full_refresh_keeps_previous_table(duck: Adapter, run_ir: Runner) -> None:
    assert run_ir(make_ir(make_model("nums", GOOD))).status == "Success"
    record = run_ir(make_ir(make_model("nums", BAD)))
    assert record.status == "Failure"
    execution = record.models_executed[0]
    assert execution.status == "failed"
    assert "oops" in (execution.error or "")
    assert rows(duck, "SELECT n FROM wh.main.nums") == [(1,), (2,), (3,)]


def test_failed_swap_without_create_or_replace_keeps_previous_table(
    bare_duck: Adapter, ledger: Ledger
) -> None:
    assert _run(bare_duck, ledger, make_ir(make_model("nums", GOOD))).status == "Success"
    replaced = _run(bare_duck, ledger, make_ir(make_model("nums", GOOD.replace("'3'", "'9'"))))
    assert replaced.status == "Success"
    assert replaced.models_executed[0].plan["modes"] == ["full_build"]
    assert rows(bare_duck, "SELECT n FROM wh.main.nums") == [(1,), (2,), (9,)]
    failed = _run(bare_duck, ledger, make_ir(make_model("nums", BAD)))
    assert failed.status == "Failure"
    assert rows(bare_duck, "SELECT n FROM wh.main.nums") == [(1,), (2,), (9,)]
    leftovers = bare_duck.list_tables("wh", "main")
    assert leftovers == ["nums"]


def test_readers_never_see_a_partial_table(duck: Adapter, run_ir: Runner) -> None:
    small = "SELECT range AS n FROM range(1000)"
    big = "SELECT range AS n FROM range(300000)"
    run_ir(make_ir(make_model("counts", small)))
    seen: set[int] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            seen.add(int(duck.query_rows("SELECT COUNT(*) FROM wh.main.counts")[0][0]))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for sql in (big, small, big):
            assert run_ir(make_ir(make_model("counts", sql))).status == "Success"
    finally:
        stop.set()
        thread.join()
    assert seen <= {1000, 300000}
    assert 1000 in seen


def test_failure_skips_dependents_and_the_rest_carries_on(duck: Adapter, run_ir: Runner) -> None:
    ir = make_ir(
        make_model("good", GOOD),
        make_model("broken", BAD),
        make_model("after_broken", "SELECT n FROM broken", deps=("broken",)),
        make_model("after_good", "SELECT n * 2 AS n FROM good", deps=("good",)),
        make_model("leaf", "SELECT n FROM after_broken", deps=("after_broken",)),
    )
    record = run_ir(ir)
    status = {m.model_name: m.status for m in record.models_executed}
    assert status == {
        "good": "success",
        "broken": "failed",
        "after_broken": "skipped",
        "after_good": "success",
        "leaf": "skipped",
    }
    assert record.status == "PartialFailure"
    assert exit_code(record) == 2
    skipped = record.model("after_broken")
    assert skipped is not None and skipped.sql_hash is None
    assert "broken" in (skipped.error or "")
    assert rows(duck, "SELECT n FROM wh.main.after_good") == [(2,), (4,), (6,)]


def test_fail_fast_stops_scheduling(run_ir: Runner) -> None:
    ir = make_ir(
        make_model("broken", BAD),
        make_model("next_layer", "SELECT 1 AS one", deps=("broken",)),
        make_model("independent", "SELECT n FROM good2", deps=("good2",)),
        make_model("good2", GOOD),
    )
    record = run_ir(ir, fail_fast=True, concurrency=1)
    status = {m.model_name: m.status for m in record.models_executed}
    # One worker takes "broken" first; nothing is handed out after it fails.
    assert status == {
        "broken": "failed",
        "good2": "skipped",
        "independent": "skipped",
        "next_layer": "skipped",
    }
    assert record.status == "Failure"
    assert exit_code(record) == 1


def test_failed_delete_insert_rolls_back_its_delete(duck: Adapter, run_ir: Runner) -> None:
    duck.execute("CREATE SCHEMA raw")
    duck.execute(
        "CREATE TABLE raw.batch AS SELECT * FROM (VALUES (1, '10'), (2, '20')) AS v(day, qty)"
    )
    model = make_model(
        "by_day",
        "SELECT day, CAST(qty AS INTEGER) AS qty FROM raw.batch",
        strategy={"type": "delete_insert", "partition_by": ["day"]},
    )
    run_ir(make_ir(model))
    # The DELETE of day 2 succeeds; the INSERT then fails on a bad cast.
    duck.execute("UPDATE raw.batch SET qty = 'x' WHERE day = 2")
    broken = make_model(
        "by_day",
        "SELECT day, qty FROM raw.batch",
        strategy={"type": "delete_insert", "partition_by": ["day"]},
    )
    record = run_ir(make_ir(broken))
    assert record.status == "Failure"
    assert rows(duck, "SELECT day, qty FROM wh.main.by_day") == [(1, 10), (2, 20)]


def test_merge_without_merge_capability(bare_duck: Adapter, ledger: Ledger) -> None:
    bare_duck.execute("CREATE SCHEMA raw")
    bare_duck.execute("CREATE TABLE raw.c AS SELECT * FROM (VALUES (1, 'a'), (2, 'b')) v(id, name)")
    ir = make_ir(
        make_model("dim", "SELECT id, name FROM raw.c",
                   strategy={"type": "merge", "unique_key": "id"})
    )
    _run(bare_duck, ledger, ir)
    bare_duck.execute("UPDATE raw.c SET name = 'bee' WHERE id = 2")
    bare_duck.execute("INSERT INTO raw.c VALUES (3, 'c')")
    _run(bare_duck, ledger, ir)
    assert rows(bare_duck, "SELECT id, name FROM wh.main.dim") == [(1, "a"), (2, "bee"), (3, "c")]
