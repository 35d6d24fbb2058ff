"""Results as Arrow tables, typed from the connector's result metadata."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pyarrow as pa
from rocky_snowflake.arrow import to_arrow
from snowflake.connector.cursor import ResultMetadata


def meta(
    name: str, code: int, precision: int | None = None, scale: int | None = None
) -> ResultMetadata:
    return ResultMetadata(name, code, None, None, precision, scale, True)


def test_every_result_type_has_its_arrow_type() -> None:
    description = [
        meta("ID", 0, 38, 0),
        meta("AMOUNT", 0, 12, 2),
        meta("RATIO", 1),
        meta("LABEL", 2),
        meta("DAY", 3),
        meta("DOC", 5),
        meta("AT_LTZ", 6),
        meta("AT_TZ", 7),
        meta("AT", 8),
        meta("OBJ", 9),
        meta("ARR", 10),
        meta("RAW", 11),
        meta("CLOCK", 12),
        meta("FLAG", 13),
    ]
    zone = datetime.timezone(datetime.timedelta(hours=2))
    row = (
        7,
        Decimal("12.50"),
        0.5,
        "text",
        datetime.date(2024, 1, 31),
        '{"a": 1}',
        datetime.datetime(2024, 1, 31, 12, 0, tzinfo=datetime.UTC),
        datetime.datetime(2024, 1, 31, 14, 0, tzinfo=zone),
        datetime.datetime(2024, 1, 31, 23, 59, 58),
        '{"k": "v"}',
        "[1, 2]",
        bytearray(b"\x00\x01"),
        datetime.time(8, 30),
        True,
    )
    table = to_arrow(description, [row, (None,) * len(row)])
    assert table.column_names == [d.name for d in description]
    assert table.schema.types == [
        pa.int64(),
        pa.decimal128(12, 2),
        pa.float64(),
        pa.string(),
        pa.date32(),
        pa.string(),
        pa.timestamp("us", tz="UTC"),
        pa.timestamp("us", tz="UTC"),
        pa.timestamp("us"),
        pa.string(),
        pa.string(),
        pa.binary(),
        pa.time64("us"),
        pa.bool_(),
    ]
    first, second = table.to_pylist()
    assert first["AT_TZ"] == datetime.datetime(2024, 1, 31, 12, 0, tzinfo=datetime.UTC)
    assert first["RAW"] == b"\x00\x01"
    assert first["AMOUNT"] == Decimal("12.50")
    assert all(value is None for value in second.values())


def test_integers_past_int64_stay_exact() -> None:
    big = 10**30
    table = to_arrow([meta("N", 0, 38, 0)], [(1,), (big,)])
    assert table.schema.types == [pa.decimal128(38, 0)]
    assert table.column("N").to_pylist() == [Decimal(1), Decimal(big)]


def test_empty_and_duplicate_columns() -> None:
    table = to_arrow([meta("A", 2), meta("A", 0, 10, 0)], [])
    assert table.num_rows == 0
    assert table.column_names == ["A", "A"]


def test_structured_values_become_json_text() -> None:
    table = to_arrow([meta("V", 5)], [({"b": 2, "a": [1]},)])
    assert table.column("V").to_pylist() == ['{"a": [1], "b": 2}']
