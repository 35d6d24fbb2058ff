"""Conformance classes for optional behaviour, one per capability.

Each class's tests carry the capability they need (``@requires``); an
adapter that does not declare it skips them with a reason naming the
capability.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import ClassVar

from sqlglot import exp

from rocky.adapters import Adapter, Capability
from rocky.errors import AdapterError
from rocky.ir import TableRef
from rocky.testing.fixtures import AdapterFixtures, requires, seed_table
from rocky.testing.sql import ColumnSpec, KitSql
from rocky.types import decimal

__all__ = [
    "BaseAlterColumnType",
    "BaseBytesScanned",
    "BaseBytesWritten",
    "BaseCancel",
    "BaseClone",
    "BaseCreateOrReplace",
    "BaseMaterializedViews",
    "BaseMerge",
    "BaseTransactions",
    "BaseViews",
]


def _rows(adapter: Adapter, kit: KitSql, ref: TableRef) -> list[tuple[object, ...]]:
    columns = [kit.name("id"), kit.name("label")]
    return adapter.query_rows(kit.render(kit.select(ref, columns, order_by=columns[:1])))


@requires(Capability.MERGE)
class BaseMerge(AdapterFixtures):
    def test_merge_upserts(self, adapter: Adapter, kit: KitSql, scratch_schema: str) -> None:
        target = TableRef(None, scratch_schema, kit.name("merge_target"))
        source = TableRef(None, scratch_schema, kit.name("merge_source"))
        columns = seed_table(adapter, kit, target, 2)
        seed_table(adapter, kit, source, 0)
        adapter.execute(kit.insert(source, columns, [(2, "two"), (3, "three")]))
        result = adapter.execute(kit.merge_upsert(target, source, columns[0].name, columns[1].name))
        assert result.rows_affected == 2
        assert _rows(adapter, kit, target) == [(1, "row 1"), (2, "two"), (3, "three")]


@requires(Capability.VIEWS)
class BaseViews(AdapterFixtures):
    def test_view_is_described_listed_and_queried(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        table = TableRef(None, scratch_schema, kit.name("view_base"))
        view = TableRef(None, scratch_schema, kit.name("view_top"))
        columns = seed_table(adapter, kit, table, 4)
        query = kit.select(table, [c.name for c in columns], where=kit.column(columns[0].name) > 2)
        adapter.execute(kit.create_view(view, query))
        described = adapter.describe_table(view)
        assert described is not None
        assert [(c.name, c.type) for c in described] == [
            (c.name, self.expected_type(c.sql_type)) for c in columns
        ]
        assert view.table in adapter.list_tables(None, scratch_schema)
        assert _rows(adapter, kit, view) == [(3, "row 3"), (4, "row 4")]


@requires(Capability.MATERIALIZED_VIEWS)
class BaseMaterializedViews(AdapterFixtures):
    def test_materialized_view_holds_rows(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        table = TableRef(None, scratch_schema, kit.name("mv_base"))
        view = TableRef(None, scratch_schema, kit.name("mv_top"))
        columns = seed_table(adapter, kit, table, 3)
        adapter.execute(
            kit.create_view(view, kit.select(table, [c.name for c in columns]), materialized=True)
        )
        assert adapter.describe_table(view) is not None
        assert _rows(adapter, kit, view) == [(1, "row 1"), (2, "row 2"), (3, "row 3")]


@requires(Capability.CREATE_OR_REPLACE)
class BaseCreateOrReplace(AdapterFixtures):
    def test_create_or_replace_swaps_the_table(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        source = TableRef(None, scratch_schema, kit.name("cor_source"))
        target = TableRef(None, scratch_schema, kit.name("cor_target"))
        columns = seed_table(adapter, kit, source, 3)
        adapter.execute(
            kit.ctas(target, kit.select(source, [c.name for c in columns]), replace=True)
        )
        assert adapter.query_rows(kit.count(target)) == [(3,)]
        narrower = kit.select(source, [columns[0].name], where=kit.column(columns[0].name).eq(1))
        adapter.execute(kit.ctas(target, narrower, replace=True))
        described = adapter.describe_table(target)
        assert described is not None and [c.name for c in described] == [columns[0].name]
        assert adapter.query_rows(kit.count(target)) == [(1,)]


@requires(Capability.ALTER_COLUMN_TYPE)
class BaseAlterColumnType(AdapterFixtures):
    def test_widen_decimal_precision(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        ref = TableRef(None, scratch_schema, kit.name("widen"))
        column = ColumnSpec(kit.name("amount"), "DECIMAL(10,2)")
        adapter.execute(kit.create_table(ref, [column]))
        adapter.execute(kit.insert(ref, [column], [(Decimal("1.25"),), (Decimal("-2.50"),)]))
        adapter.execute(kit.alter_column_type(ref, column.name, "DECIMAL(20,2)"))
        described = adapter.describe_table(ref)
        assert described is not None and described[0].type == decimal(20, 2)
        query = kit.select(ref, [column.name], order_by=[column.name])
        assert adapter.query_rows(kit.render(query)) == [(Decimal("-2.50"),), (Decimal("1.25"),)]

    def test_widen_int_to_bigint(self, adapter: Adapter, kit: KitSql, scratch_schema: str) -> None:
        ref = TableRef(None, scratch_schema, kit.name("widen_int"))
        column = ColumnSpec(kit.name("n"), "INT")
        adapter.execute(kit.create_table(ref, [column]))
        adapter.execute(kit.insert(ref, [column], [(7,), (2_000_000_000,)]))
        adapter.execute(kit.alter_column_type(ref, column.name, "BIGINT"))
        described = adapter.describe_table(ref)
        assert described is not None and described[0].type == self.expected_type("BIGINT")
        query = kit.select(ref, [column.name], order_by=[column.name])
        assert adapter.query_rows(kit.render(query)) == [(7,), (2_000_000_000,)]


@requires(Capability.TRANSACTIONS)
class BaseTransactions(AdapterFixtures):
    def test_rollback_discards_and_commit_keeps(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        ref = TableRef(None, scratch_schema, kit.name("ledger"))
        columns = seed_table(adapter, kit, ref, 1)
        adapter.execute(kit.begin())
        adapter.execute(kit.insert(ref, columns, [(2, "rolled back")]))
        adapter.execute(kit.rollback())
        assert adapter.query_rows(kit.count(ref)) == [(1,)]
        adapter.execute(kit.begin())
        adapter.execute(kit.insert(ref, columns, [(3, "committed")]))
        adapter.execute(kit.commit())
        assert _rows(adapter, kit, ref) == [(1, "row 1"), (3, "committed")]


@requires(Capability.CLONE)
class BaseClone(AdapterFixtures):
    def test_clone_is_independent(self, adapter: Adapter, kit: KitSql, scratch_schema: str) -> None:
        source = TableRef(None, scratch_schema, kit.name("clone_source"))
        copy = TableRef(None, scratch_schema, kit.name("clone_copy"))
        columns = seed_table(adapter, kit, source, 2)
        adapter.execute(kit.clone(copy, source))
        adapter.execute(kit.insert(source, columns, [(3, "after")]))
        assert _rows(adapter, kit, copy) == [(1, "row 1"), (2, "row 2")]


@requires(Capability.CANCEL)
class BaseCancel(AdapterFixtures):
    # How long a cancelled statement may take to stop.
    cancel_timeout_s: ClassVar[float] = 30.0

    def slow_query(self, adapter: Adapter, kit: KitSql, scratch_schema: str) -> str:
        """A statement that runs for minutes: a four-way cross join of 1000
        rows. Override for an engine that needs another."""
        ref = TableRef(None, scratch_schema, kit.name("numbers"))
        seed_table(adapter, kit, ref, 1000)
        aliases = ["a", "b", "c", "d"]
        ident = kit.name("id")
        product = exp.Add(
            this=exp.Mul(this=kit.column(ident, "a"), expression=kit.column(ident, "b")),
            expression=exp.Mul(this=kit.column(ident, "c"), expression=kit.column(ident, "d")),
        )
        query = exp.select(exp.func("sum", product)).from_(kit.table(ref, alias=aliases[0]))
        for alias in aliases[1:]:
            query = query.join(kit.table(ref, alias=alias), join_type="cross")
        return kit.render(query)

    def test_cancel_stops_a_running_statement(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        query = self.slow_query(adapter, kit, scratch_schema)
        outcome: dict[str, BaseException | None] = {}

        def run() -> None:
            try:
                adapter.execute(query)
                outcome["error"] = None
            except BaseException as exc:  # the test inspects whatever came out
                outcome["error"] = exc

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        deadline = time.monotonic() + self.cancel_timeout_s
        # A cancel that lands before the statement starts cancels nothing, so
        # keep asking until the worker returns.
        while worker.is_alive() and time.monotonic() < deadline:
            time.sleep(0.2)
            adapter.cancel()
        worker.join(timeout=max(0.0, deadline - time.monotonic()))
        assert not worker.is_alive(), "cancel() did not stop the running statement"
        error = outcome.get("error")
        assert isinstance(error, AdapterError), f"expected AdapterError, got {error!r}"
        assert "\n" not in str(error)
        assert adapter.query_rows(kit.render(exp.select(exp.Literal.number(5)))) == [(5,)]


@requires(Capability.BYTES_SCANNED)
class BaseBytesScanned(AdapterFixtures):
    def test_reads_report_bytes_scanned(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        small = TableRef(None, scratch_schema, kit.name("scan_small"))
        large = TableRef(None, scratch_schema, kit.name("scan_large"))
        columns = seed_table(adapter, kit, small, 10)
        seed_table(adapter, kit, large, 2000)
        names = [c.name for c in columns]
        few = adapter.execute(kit.render(kit.select(small, names)))
        many = adapter.execute(kit.render(kit.select(large, names)))
        assert isinstance(few.bytes_scanned, int) and few.bytes_scanned > 0
        assert isinstance(many.bytes_scanned, int) and many.bytes_scanned > few.bytes_scanned


@requires(Capability.BYTES_WRITTEN)
class BaseBytesWritten(AdapterFixtures):
    def test_writes_report_bytes_written(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        source = TableRef(None, scratch_schema, kit.name("write_source"))
        columns = seed_table(adapter, kit, source, 2000)
        names = [c.name for c in columns]
        id_ = kit.column(columns[0].name)
        few = adapter.execute(
            kit.ctas(
                TableRef(None, scratch_schema, kit.name("write_few")),
                kit.select(source, names, where=id_ <= 10),
            )
        )
        many = adapter.execute(
            kit.ctas(
                TableRef(None, scratch_schema, kit.name("write_many")), kit.select(source, names)
            )
        )
        assert isinstance(few.bytes_written, int) and few.bytes_written > 0
        assert isinstance(many.bytes_written, int) and many.bytes_written > few.bytes_written
