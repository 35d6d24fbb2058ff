"""RockyType spelling, warehouse mapping (reference section 3) and supertypes."""

from __future__ import annotations

import pytest

from rocky.types import (
    BOOLEAN,
    DATE,
    FLOAT32,
    FLOAT64,
    INT32,
    INT64,
    STRING,
    TIMESTAMP,
    TIMESTAMP_NTZ,
    UNKNOWN,
    RockyType,
    decimal,
    from_warehouse,
    parse_type,
    supertype,
)

WAREHOUSE_TABLE = [
    ("BOOL", BOOLEAN),
    ("boolean", BOOLEAN),
    ("TINYINT", INT32),
    ("BYTE", INT32),
    ("SMALLINT", INT32),
    ("SHORT", INT32),
    ("INT", INT32),
    ("integer", INT32),
    ("BIGINT", INT64),
    ("LONG", INT64),
    ("INT64", INT64),
    ("FLOAT", FLOAT32),
    ("REAL", FLOAT32),
    ("DOUBLE", FLOAT64),
    ("FLOAT64", FLOAT64),
    ("STRING", STRING),
    ("VARCHAR", STRING),
    ("varchar(20)", STRING),
    ("TEXT", STRING),
    ("BINARY", RockyType("Binary")),
    ("BYTES", RockyType("Binary")),
    ("DATE", DATE),
    ("TIMESTAMP", TIMESTAMP),
    ("TIMESTAMP_NTZ", TIMESTAMP_NTZ),
    ("DATETIME", TIMESTAMP_NTZ),
    ("VARIANT", RockyType("Variant")),
    ("DECIMAL(10,2)", decimal(10, 2)),
    ("NUMERIC(12, 4)", decimal(12, 4)),
    ("NUMBER(38,0)", decimal(38, 0)),
    ("BIGNUMERIC", decimal(38, 0)),
    ("DECIMAL", decimal(38, 0)),
    ("GEOGRAPHY", UNKNOWN),
    ("", UNKNOWN),
]


@pytest.mark.parametrize(("spelling", "expected"), WAREHOUSE_TABLE)
def test_warehouse_mapping(spelling: str, expected: RockyType) -> None:
    assert from_warehouse(spelling) == expected


@pytest.mark.parametrize(
    ("spelling", "text"),
    [
        ("Int64", "Int64"),
        ("Decimal(38,2)", "Decimal(38,2)"),
        ("Decimal", "Decimal"),
        ("Array(String)", "Array(String)"),
        ("Map(String,Int64)", "Map(String,Int64)"),
        ("TimestampNtz", "TimestampNtz"),
        ("Unknown", "Unknown"),
    ],
)
def test_parse_type_round_trips_its_spelling(spelling: str, text: str) -> None:
    assert str(parse_type(spelling)) == text


def test_parse_type_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="not a type"):
        parse_type("Bananas")


def test_nested_warehouse_types() -> None:
    assert str(from_warehouse("INTEGER[]")) == "Array(Int32)"
    assert str(from_warehouse("MAP(VARCHAR, BIGINT)")) == "Map(String,Int64)"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (INT32, INT64, INT64),
        (INT64, INT32, INT64),
        (INT32, FLOAT32, FLOAT64),
        (INT64, FLOAT64, FLOAT64),
        (FLOAT32, FLOAT64, FLOAT64),
        (INT32, decimal(5, 2), decimal(10, 2)),
        (INT64, decimal(5, 2), decimal(19, 2)),
        (decimal(30, 2), INT32, decimal(30, 2)),
        (decimal(10, 2), decimal(12, 4), decimal(12, 4)),
        (DATE, TIMESTAMP, TIMESTAMP),
        (STRING, STRING, STRING),
        (UNKNOWN, INT32, UNKNOWN),
        (BOOLEAN, INT32, UNKNOWN),
    ],
)
def test_supertype(a: RockyType, b: RockyType, expected: RockyType) -> None:
    assert supertype(a, b) == expected


def test_contract_matching_rules() -> None:
    assert decimal().matches(decimal(10, 2))
    assert decimal(10, 2).matches(decimal(10, 2))
    assert not decimal(10, 2).matches(decimal(12, 2))
    assert UNKNOWN.matches(STRING)
    assert not INT32.matches(INT64)


def test_invalid_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown RockyType kind"):
        RockyType("Int128")
