"""The conformance kit against the official connector and the fakesnow stand-in.

Five kit tests expect a BIGINT or INT column to describe as Int64/Int32.
Snowflake has no such types: every integer spelling is a synonym of
NUMBER(38,0) and DESCRIBE reports it so (Decimal(38,0) in the reference
type table). Those five are re-stated below with Snowflake's answer and
otherwise the kit's steps; each carries the kit test's name so it replaces
it. One kit test meets a stand-in defect and is marked as an expected
failure that must keep failing (strict), so a fixed stand-in shows up.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import pytest
from sfstandin import Endpoint, open_database
from sqlglot import exp

from rocky.adapters import Adapter
from rocky.ir import Column, TableRef
from rocky.testing import BaseAdapterSuite, ColumnSpec, KitSql, TypeCase, seed_table
from rocky.types import (
    BINARY,
    FLOAT64,
    STRING,
    TIMESTAMP,
    TIMESTAMP_NTZ,
    UNKNOWN,
    decimal,
)

NUMBER = decimal(38, 0)

SNOWFLAKE_TYPES = (
    TypeCase("NUMBER", "NUMBER", NUMBER, "snowflake"),
    TypeCase("NUMBER(12,2)", "NUMBER(12,2)", decimal(12, 2), "snowflake"),
    TypeCase("INT as NUMBER(38,0)", "INT", NUMBER, "snowflake"),
    TypeCase("BIGINT as NUMBER(38,0)", "BIGINT", NUMBER, "snowflake"),
    TypeCase("BYTEINT as NUMBER(38,0)", "BYTEINT", NUMBER, "snowflake"),
    TypeCase("FLOAT is 64-bit", "FLOAT", FLOAT64, "snowflake"),
    TypeCase("REAL is 64-bit", "REAL", FLOAT64, "snowflake"),
    TypeCase("VARCHAR(20)", "VARCHAR(20)", STRING, "snowflake"),
    TypeCase("TEXT", "TEXT", STRING, "snowflake"),
    TypeCase("CHAR(3)", "CHAR(3)", STRING, "snowflake"),
    TypeCase("BINARY", "BINARY", BINARY, "snowflake"),
    TypeCase("TIMESTAMP as TIMESTAMP_NTZ", "TIMESTAMP", TIMESTAMP_NTZ, "snowflake"),
    TypeCase("DATETIME", "DATETIME", TIMESTAMP_NTZ, "snowflake"),
    TypeCase("TIMESTAMP_TZ", "TIMESTAMP_TZ", TIMESTAMP, "snowflake"),
    TypeCase("TIMESTAMP_LTZ", "TIMESTAMP_LTZ", TIMESTAMP, "snowflake"),
    TypeCase("TIME", "TIME", UNKNOWN, "snowflake"),
)

INTEGERS_ARE_NUMBER = "Snowflake stores every integer type as NUMBER(38,0): Decimal(38,0)"


class TestSnowflakeConformance(BaseAdapterSuite):
    ctas_reports_rows: ClassVar[bool] = False  # CREATE TABLE AS answers with a status line
    inexpressible_types: ClassVar[Mapping[str, str]] = {
        "TINYINT": INTEGERS_ARE_NUMBER,
        "SMALLINT": INTEGERS_ARE_NUMBER,
        "INTEGER": INTEGERS_ARE_NUMBER,
        "BIGINT": INTEGERS_ARE_NUMBER,
        "FLOAT": "Snowflake's FLOAT is double precision: Float64",
        "TIMESTAMP": "a bare TIMESTAMP is TIMESTAMP_NTZ under the default TIMESTAMP_TYPE_MAPPING",
    }
    extra_type_cases: ClassVar[Sequence[TypeCase]] = SNOWFLAKE_TYPES

    @pytest.fixture
    def adapter(self, fakesnow_server: Endpoint, tmp_path: Path) -> Iterator[Adapter]:
        adapter = open_database(fakesnow_server, "ROCKY_KIT")
        try:
            yield adapter
        finally:
            adapter.close()

    # -- the kit's integer expectations, as Snowflake answers them -------------
    def test_ctas_round_trip(self, adapter: Adapter, kit: KitSql, scratch_schema: str) -> None:
        source = TableRef(None, scratch_schema, kit.name("source"))
        columns = seed_table(adapter, kit, source, 10)
        target = TableRef(None, scratch_schema, kit.name("target"))
        id_ = kit.column(columns[0].name)
        query = kit.select(source, [c.name for c in columns], where=id_ > 4)
        assert adapter.execute(kit.ctas(target, query)).rows_affected is None
        described = adapter.describe_table(target)
        assert described is not None
        assert [(c.name, c.type) for c in described] == [
            (columns[0].name, NUMBER),
            (columns[1].name, STRING),
        ]
        ordered = kit.select(target, [c.name for c in columns], order_by=[columns[0].name])
        assert adapter.query_rows(kit.render(ordered)) == [(i, f"row {i}") for i in range(5, 11)]

    def test_ctas_of_expressions_has_their_types(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        target = TableRef(None, scratch_schema, kit.name("computed"))
        query = exp.select(
            exp.alias_(exp.cast(exp.Literal.number(7), "INT"), kit.ident(kit.name("small"))),
            exp.alias_(
                exp.cast(exp.Literal.number(8.5), "DECIMAL(10,2)"), kit.ident(kit.name("money"))
            ),
            exp.alias_(exp.cast(exp.Literal.string("x"), "VARCHAR"), kit.ident(kit.name("text"))),
        )
        adapter.execute(kit.ctas(target, query))
        described = adapter.describe_table(target)
        assert described is not None
        assert [(c.name, c.type) for c in described] == [
            (kit.name("small"), NUMBER),
            (kit.name("money"), decimal(10, 2)),
            (kit.name("text"), STRING),
        ]

    def test_not_null_columns_are_not_nullable(
        self, adapter: Adapter, kit: KitSql, scratch_schema: str
    ) -> None:
        ref = TableRef(None, scratch_schema, kit.name("nullability"))
        columns = [
            ColumnSpec(kit.name("required"), "BIGINT", not_null=True),
            ColumnSpec(kit.name("optional"), "BIGINT"),
            ColumnSpec(kit.name("required_text"), "VARCHAR", not_null=True),
        ]
        adapter.execute(kit.create_table(ref, columns))
        assert adapter.describe_table(ref) == [
            Column(kit.name("required"), NUMBER, False),
            Column(kit.name("optional"), NUMBER, True),
            Column(kit.name("required_text"), STRING, False),
        ]

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
            (columns[0].name, NUMBER),
            (columns[1].name, STRING),
        ]
        assert view.table in adapter.list_tables(None, scratch_schema)
        ordered = kit.select(view, [c.name for c in columns], order_by=[columns[0].name])
        assert adapter.query_rows(kit.render(ordered)) == [(3, "row 3"), (4, "row 4")]

    def test_widen_int_to_bigint(self, adapter: Adapter, kit: KitSql, scratch_schema: str) -> None:
        """Snowflake widens in place only NUMBER precision and VARCHAR length."""
        ref = TableRef(None, scratch_schema, kit.name("widen"))
        amount = ColumnSpec(kit.name("amount"), "NUMBER(10,2)", read_dialect="snowflake")
        code = ColumnSpec(kit.name("code"), "VARCHAR(5)", read_dialect="snowflake")
        adapter.execute(kit.create_table(ref, [amount, code]))
        adapter.execute(kit.insert(ref, [amount, code], [(1.25, "ab"), (2.5, "cd")]))
        adapter.execute(kit.alter_column_type(ref, amount.name, "DECIMAL(20,2)"))
        adapter.execute(kit.alter_column_type(ref, code.name, "VARCHAR(50)"))
        described = adapter.describe_table(ref)
        assert described is not None and described[0].type == decimal(20, 2)
        assert described[1].type == STRING
        query = kit.select(ref, [code.name], order_by=[code.name])
        assert adapter.query_rows(kit.render(query)) == [("ab",), ("cd",)]

    # -- stand-in defects --------------------------------------------------------
    @pytest.mark.xfail(
        strict=True,
        reason="fakesnow 0.12.1 returns a NULL timestamp as 1970-01-01 (its Arrow "
        "timestamp struct drops the null mask)",
    )
    def test_arrow_round_trip(self, adapter: Adapter, kit: KitSql, scratch_schema: str) -> None:
        super().test_arrow_round_trip(adapter, kit, scratch_schema)
