"""The conformance classes every adapter passes.

An adapter package subclasses them with one ``adapter`` fixture::

    class TestMyWarehouse(BaseAdapterSuite):
        @pytest.fixture
        def adapter(self, tmp_path):
            with MyAdapter(MyConfig(...), project_dir=tmp_path) as adapter:
                yield adapter

Tests of optional behaviour (merge, views, transactions, ...) live in
``rocky.testing.gated`` and skip, naming the capability, when the adapter
does not declare it.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any, ClassVar

import pydantic
import pytest
import sqlglot
from sqlglot import exp

from rocky.adapters import Adapter, Capability
from rocky.errors import AdapterError
from rocky.ir import TableRef
from rocky.plugins import get_registry
from rocky.testing.catalog import BaseDescribe, BaseQuoting, BaseSchemas
from rocky.testing.fixtures import AdapterFixtures, seed_table
from rocky.testing.gated import (
    BaseAlterColumnType,
    BaseBytesScanned,
    BaseBytesWritten,
    BaseCancel,
    BaseClone,
    BaseCreateOrReplace,
    BaseMaterializedViews,
    BaseMerge,
    BaseTransactions,
    BaseViews,
)
from rocky.testing.sql import ColumnSpec, KitSql
from rocky.types import RockyType

__all__ = [
    "BaseAdapterSuite",
    "BaseArrow",
    "BaseConnection",
    "BaseCtasRoundTrip",
    "BaseDescribe",
    "BaseExecute",
    "BaseQuoting",
    "BaseRegistration",
    "BaseSchemas",
]


def _names_and_types(adapter: Adapter, ref: TableRef) -> list[tuple[str, RockyType]]:
    described = adapter.describe_table(ref)
    assert described is not None, f"{ref.key} is not described"
    return [(c.name, c.type) for c in described]


class BaseConnection(AdapterFixtures):
    """Connect, run a query, close (twice), and the class attributes."""

    def test_select_one(self, adapter: Adapter, kit: KitSql) -> None:
        assert adapter.query_rows(kit.render(exp.select(exp.Literal.number(1)))) == [(1,)]

    def test_context_manager_and_double_close(self, adapter: Adapter, kit: KitSql) -> None:
        fresh = type(adapter)(adapter.config, project_dir=adapter.project_dir)
        with fresh as connected:
            assert connected.query_rows(kit.render(exp.select(exp.Literal.number(2)))) == [(2,)]
        fresh.close()  # closing twice is harmless

    def test_class_attributes(self, adapter: Adapter) -> None:
        assert adapter.type_name and isinstance(adapter.type_name, str)
        sqlglot.Dialect.get_or_raise(adapter.dialect)  # a dialect sqlglot renders
        assert adapter.identifier_case in ("preserve", "upper", "lower")
        assert all(isinstance(c, Capability) for c in adapter.capabilities)

    def test_normalize_identifier_follows_identifier_case(self, adapter: Adapter) -> None:
        expected = {"preserve": "MixedCase", "upper": "MIXEDCASE", "lower": "mixedcase"}
        assert adapter.normalize_identifier("MixedCase") == expected[adapter.identifier_case]

    def test_engine_version_and_default_catalog(self, adapter: Adapter) -> None:
        assert isinstance(adapter.engine_version(), str) and adapter.engine_version()
        catalog = adapter.default_catalog()
        assert catalog is None or (isinstance(catalog, str) and catalog)


class BaseRegistration(AdapterFixtures):
    """The AdapterSpec in rocky's registry agrees with the adapter class."""

    def test_spec_matches_the_adapter_class(self, adapter: Adapter) -> None:
        spec = get_registry().adapter(adapter.type_name)
        assert spec.dialect == adapter.dialect
        assert spec.capabilities == adapter.capabilities
        assert spec.identifier_case == adapter.identifier_case
        assert spec.package, "AdapterSpec.package names the distribution to install"

    def test_config_model_round_trips_and_rejects_unknown_keys(self, adapter: Adapter) -> None:
        spec = get_registry().adapter(adapter.type_name)
        data = adapter.config.model_dump()
        assert spec.config_model.model_validate(data) == adapter.config
        with pytest.raises(pydantic.ValidationError):
            spec.config_model.model_validate({**data, "no_such_key": 1})

    def test_factory_builds_a_working_adapter(self, adapter: Adapter, kit: KitSql) -> None:
        spec = get_registry().adapter(adapter.type_name)
        built = spec.factory(adapter.config, adapter.project_dir)
        assert isinstance(built, type(adapter))
        with built:
            assert built.query_rows(kit.render(exp.select(exp.Literal.number(3)))) == [(3,)]


class BaseExecute(AdapterFixtures):
    """Statements report what they did; failures are one-line AdapterErrors."""

    def test_dml_reports_rows_affected(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        ref = TableRef(None, scratch_schema, kit.name("events"))
        columns = seed_table(adapter, kit, ref, 0)
        inserted = adapter.execute(kit.insert(ref, columns, [(1, "a"), (2, "b"), (3, "c")]))
        assert inserted.rows_affected == 3
        id_ = kit.column(columns[0].name)
        updated = adapter.execute(
            kit.update(ref, columns[1].name, exp.Literal.string("z"), id_ <= 2)
        )
        assert updated.rows_affected == 2
        deleted = adapter.execute(kit.delete(ref, id_.eq(3)))
        assert deleted.rows_affected == 1

    def test_figures_are_none_or_measured(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        ref = TableRef(None, scratch_schema, kit.name("figures"))
        result = adapter.execute(kit.create_table(ref, [ColumnSpec(kit.name("id"), "BIGINT")]))
        assert isinstance(result.duration_ms, int) and result.duration_ms >= 0
        for value in (result.rows_affected, result.bytes_scanned, result.bytes_written):
            assert value is None or (isinstance(value, int) and value >= 0)

    def test_error_is_one_line_without_the_statement(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        secret = f"kit-secret-{uuid.uuid4().hex}"
        missing = TableRef(None, scratch_schema, kit.name("no_such_table"))
        query = exp.select(exp.alias_(exp.Literal.string(secret), "s")).from_(kit.table(missing))
        with pytest.raises(AdapterError) as caught:
            adapter.execute(kit.render(query))
        text = str(caught.value)
        assert text and "\n" not in text
        assert secret not in text

    def test_usable_after_an_error(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        missing = TableRef(None, scratch_schema, kit.name("still_missing"))
        with pytest.raises(AdapterError):
            adapter.query_rows(kit.count(missing))
        assert adapter.query_rows(kit.render(exp.select(exp.Literal.number(4)))) == [(4,)]

    def test_query_rows_matches_query_arrow(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        ref = TableRef(None, scratch_schema, kit.name("pairs"))
        columns = seed_table(adapter, kit, ref, 5)
        query = kit.render(kit.select(ref, [c.name for c in columns], order_by=[columns[0].name]))
        rows = adapter.query_rows(query)
        assert rows == [(i, f"row {i}") for i in range(1, 6)]
        table = adapter.query_arrow(query)
        assert [tuple(r.values()) for r in table.to_pylist()] == rows


class BaseCtasRoundTrip(AdapterFixtures):
    """CREATE TABLE ... AS SELECT keeps rows and types."""

    # False for engines whose CREATE TABLE AS reports no row count (then it
    # must report None, never 0).
    ctas_reports_rows: ClassVar[bool] = True

    def test_ctas_round_trip(self, adapter: Adapter, kit: KitSql, scratch_schema: str) -> None:
        source = TableRef(None, scratch_schema, kit.name("source"))
        columns = seed_table(adapter, kit, source, 10)
        target = TableRef(None, scratch_schema, kit.name("target"))
        id_ = kit.column(columns[0].name)
        query = kit.select(source, [c.name for c in columns], where=id_ > 4)
        result = adapter.execute(kit.ctas(target, query))
        assert result.rows_affected == (6 if self.ctas_reports_rows else None)
        # NOT NULL may or may not survive CREATE TABLE AS; names and types must.
        expected = [(c.name, self.expected_type(c.sql_type)) for c in columns]
        assert _names_and_types(adapter, source) == expected
        assert _names_and_types(adapter, target) == expected
        ordered = kit.select(target, [c.name for c in columns], order_by=[columns[0].name])
        assert adapter.query_rows(kit.render(ordered)) == [(i, f"row {i}") for i in range(5, 11)]

    def test_ctas_of_expressions_has_their_types(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        """Casts in a CTAS give the columns the types the same declarations do."""
        declared = [
            ColumnSpec(kit.name("small"), "INT"),
            ColumnSpec(kit.name("money"), "DECIMAL(10,2)"),
            ColumnSpec(kit.name("text"), "VARCHAR"),
        ]
        reference = TableRef(None, scratch_schema, kit.name("declared"))
        adapter.execute(kit.create_table(reference, declared))
        values: list[exp.Expression] = [
            exp.Literal.number(7),
            exp.Literal.string("8.25"),
            exp.Literal.string("x"),
        ]
        query = exp.select(
            *(
                exp.alias_(exp.cast(value, spec.data_type()), kit.ident(spec.name))
                for value, spec in zip(values, declared, strict=True)
            )
        )
        target = TableRef(None, scratch_schema, kit.name("computed"))
        adapter.execute(kit.ctas(target, query))
        assert _names_and_types(adapter, target) == _names_and_types(adapter, reference)
        assert [t for _, t in _names_and_types(adapter, target)] == [
            self.expected_type(spec.sql_type) for spec in declared
        ]
        rows = adapter.query_rows(kit.render(kit.select(target, [c.name for c in declared])))
        assert rows == [(7, Decimal("8.25"), "x")]


class BaseArrow(AdapterFixtures):
    """query_arrow returns typed Arrow columns with the values written."""

    def test_arrow_round_trip(self, adapter: Adapter, kit: KitSql, scratch_schema: str) -> None:
        import pyarrow as pa

        ref = TableRef(None, scratch_schema, kit.name("arrow"))
        columns = [
            ColumnSpec(kit.name("id"), "BIGINT", not_null=True),
            ColumnSpec(kit.name("amount"), "DECIMAL(10,2)"),
            ColumnSpec(kit.name("label"), "VARCHAR"),
            ColumnSpec(kit.name("flag"), "BOOLEAN"),
            ColumnSpec(kit.name("day"), "DATE"),
            ColumnSpec(kit.name("at"), "TIMESTAMPNTZ"),
            ColumnSpec(kit.name("ratio"), "DOUBLE"),
        ]
        rows: list[tuple[Any, ...]] = [
            (
                1,
                Decimal("12.50"),
                "plain",
                True,
                datetime.date(2024, 1, 31),
                datetime.datetime(2024, 1, 31, 23, 59, 58),
                0.5,
            ),
            (
                2,
                Decimal("-3.25"),
                "ünïcødé ✓ 'quoted'",
                False,
                datetime.date(1999, 12, 31),
                datetime.datetime(2000, 1, 1, 0, 0, 1),
                -1.25,
            ),
            (3, None, None, None, None, None, None),
        ]
        adapter.execute(kit.create_table(ref, columns))
        adapter.execute(kit.insert(ref, columns, rows))
        table = adapter.query_arrow(
            kit.render(kit.select(ref, [c.name for c in columns], order_by=[columns[0].name]))
        )
        assert isinstance(table, pa.Table)
        assert table.column_names == [c.name for c in columns]
        types = [table.schema.field(i).type for i in range(len(columns))]
        assert pa.types.is_integer(types[0])
        assert pa.types.is_decimal(types[1]) and (types[1].precision, types[1].scale) == (10, 2)
        assert (
            pa.types.is_string(types[2])
            or pa.types.is_large_string(types[2])
            or pa.types.is_string_view(types[2])
        )
        assert pa.types.is_boolean(types[3])
        assert pa.types.is_date(types[4])
        assert pa.types.is_timestamp(types[5]) and types[5].tz is None
        assert pa.types.is_floating(types[6])
        assert [tuple(r.values()) for r in table.to_pylist()] == rows

    def test_empty_result_keeps_its_columns(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        ref = TableRef(None, scratch_schema, kit.name("empty"))
        columns = seed_table(adapter, kit, ref, 0)
        table = adapter.query_arrow(kit.render(kit.select(ref, [c.name for c in columns])))
        assert table.num_rows == 0
        assert table.column_names == [c.name for c in columns]


class BaseAdapterSuite(
    BaseConnection,
    BaseRegistration,
    BaseExecute,
    BaseCtasRoundTrip,
    BaseDescribe,
    BaseSchemas,
    BaseArrow,
    BaseQuoting,
    BaseMerge,
    BaseViews,
    BaseCreateOrReplace,
    BaseAlterColumnType,
    BaseTransactions,
    BaseCancel,
    BaseBytesScanned,
    BaseBytesWritten,
    BaseMaterializedViews,
    BaseClone,
):
    """Every conformance class at once: subclass this and provide ``adapter``."""
