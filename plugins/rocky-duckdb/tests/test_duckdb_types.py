"""DuckDB type names as RockyTypes: read back from real tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rocky_duckdb import DuckDBAdapter, DuckDBConfig
from rocky_duckdb.types import duckdb_type

from rocky.ir import TableRef
from rocky.testing import ColumnSpec, KitSql
from rocky.types import (
    BINARY,
    BOOLEAN,
    DATE,
    FLOAT32,
    FLOAT64,
    INT32,
    INT64,
    STRING,
    TIMESTAMP,
    UNKNOWN,
    VARIANT,
    RockyType,
    decimal,
)


def array(inner: RockyType) -> RockyType:
    return RockyType("Array", args=(inner,))


# DDL spelling -> the RockyType describe_table must report for it.
CASES: list[tuple[str, RockyType]] = [
    ("BOOL", BOOLEAN),
    ("TINYINT", INT32),
    ("SMALLINT", INT32),
    ("INTEGER", INT32),
    ("BIGINT", INT64),
    ("REAL", FLOAT32),
    ("DOUBLE", FLOAT64),
    ("TEXT", STRING),
    ("BLOB", BINARY),
    ("DATE", DATE),
    ("TIMESTAMP", TIMESTAMP),
    ("DATETIME", TIMESTAMP),
    ("TIMESTAMP_NS", TIMESTAMP),
    ("TIMESTAMPTZ", TIMESTAMP),
    ("DECIMAL(12,4)", decimal(12, 4)),
    ("DECIMAL", decimal(18, 3)),  # DuckDB's default precision
    ("JSON", VARIANT),
    ("VARIANT", VARIANT),
    ("INTEGER[]", array(INT32)),
    ("VARCHAR[3]", array(STRING)),
    ("INTEGER[][]", array(array(INT32))),
    ("MAP(VARCHAR, DOUBLE[])", RockyType("Map", args=(STRING, array(FLOAT64)))),
    (
        'STRUCT(a INTEGER, "b c" VARCHAR, "d""q" STRUCT(x DATE))',
        RockyType(
            "Struct",
            args=(INT32, STRING, RockyType("Struct", args=(DATE,), field_names=("x",))),
            field_names=("a", "b c", 'd"q'),
        ),
    ),
    ("UUID", UNKNOWN),
    ("INTERVAL", UNKNOWN),
    ("TIME", UNKNOWN),
    ("UBIGINT", UNKNOWN),
    ("ENUM('a', 'b')", UNKNOWN),
    ("UNION(n INTEGER, s VARCHAR)", UNKNOWN),
]


@pytest.fixture
def adapter(tmp_path: Path) -> Iterator[DuckDBAdapter]:
    adapter = DuckDBAdapter(DuckDBConfig(), project_dir=tmp_path)
    adapter.connect()
    yield adapter
    adapter.close()


def test_describe_maps_duckdb_types(adapter: DuckDBAdapter) -> None:
    ref = TableRef(None, None, "typed")
    columns = [
        ColumnSpec(f"c{i}", spelling, read_dialect="duckdb")
        for i, (spelling, _) in enumerate(CASES)
    ]
    adapter.execute(KitSql(adapter).create_table(ref, columns))
    described = adapter.describe_table(ref)
    assert described is not None
    got = {spelling: str(col.type) for (spelling, _), col in zip(CASES, described, strict=True)}
    assert got == {spelling: str(expected) for spelling, expected in CASES}
    assert [col.type for col in described] == [expected for _, expected in CASES]


def test_view_columns_are_nullable(adapter: DuckDBAdapter) -> None:
    adapter.execute("CREATE TABLE base (id BIGINT NOT NULL)")
    adapter.execute("CREATE VIEW v AS SELECT id FROM base")
    described = adapter.describe_table(TableRef(None, None, "v"))
    assert described is not None and described[0].type == INT64


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("  BIGINT  ", INT64),
        ("LIST(INTEGER)", array(INT32)),
        ("STRUCT(a)", RockyType("Struct")),
        ("MAP(VARCHAR)", UNKNOWN),
        ("NOT A TYPE", UNKNOWN),
    ],
)
def test_spellings_outside_the_catalog(spelling: str, expected: RockyType) -> None:
    assert duckdb_type(spelling) == expected
