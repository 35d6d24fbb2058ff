"""Snowflake types to RockyTypes and back, and in-place widenings."""

from __future__ import annotations

import pytest
from rocky_snowflake.types import is_safe_widening, snowflake_data_type, snowflake_type

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
    TIMESTAMP_NTZ,
    UNKNOWN,
    VARIANT,
    RockyType,
    decimal,
)


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("NUMBER(38,0)", decimal(38, 0)),
        ("NUMBER(12,2)", decimal(12, 2)),
        ("number(10, 3)", decimal(10, 3)),
        ("NUMBER", decimal(38, 0)),
        ("DECIMAL(18,3)", decimal(18, 3)),
        ("NUMERIC(5)", decimal(5, 0)),
        ("INT", decimal(38, 0)),
        ("BIGINT", decimal(38, 0)),
        ("BYTEINT", decimal(38, 0)),
        ("FLOAT", FLOAT64),
        ("FLOAT4", FLOAT64),
        ("REAL", FLOAT64),
        ("DOUBLE PRECISION", FLOAT64),
        ("VARCHAR(16777216)", STRING),
        ("VARCHAR(20)", STRING),
        ("TEXT", STRING),
        ("CHAR(3)", STRING),
        ("NCHAR VARYING(4)", STRING),
        ("BINARY(8388608)", BINARY),
        ("VARBINARY", BINARY),
        ("BOOLEAN", BOOLEAN),
        ("DATE", DATE),
        ("TIMESTAMP_NTZ(9)", TIMESTAMP_NTZ),
        ("DATETIME", TIMESTAMP_NTZ),
        ("TIMESTAMP", TIMESTAMP_NTZ),
        ("TIMESTAMP_TZ(9)", TIMESTAMP),
        ("TIMESTAMP_LTZ(3)", TIMESTAMP),
        ("TIMESTAMP WITH LOCAL TIME ZONE", TIMESTAMP),
        ("VARIANT", VARIANT),
        ("OBJECT", RockyType("Struct")),
        ("ARRAY", RockyType("Array", args=(VARIANT,))),
        ("ARRAY(NUMBER(10,0))", RockyType("Array", args=(decimal(10, 0),))),
        ("MAP(VARCHAR, NUMBER(38,0))", RockyType("Map", args=(STRING, decimal(38, 0)))),
        ("TIME(9)", UNKNOWN),
        ("GEOGRAPHY", UNKNOWN),
        ("VECTOR(FLOAT, 3)", UNKNOWN),
        ("NUMBER(x,y)", UNKNOWN),
        ("", UNKNOWN),
    ],
)
def test_describe_spellings(spelling: str, expected: RockyType) -> None:
    assert snowflake_type(spelling) == expected


@pytest.mark.parametrize(
    ("rocky_type", "ddl"),
    [
        (BOOLEAN, "BOOLEAN"),
        (INT32, "INT"),
        (INT64, "BIGINT"),
        (FLOAT32, "DOUBLE"),
        (FLOAT64, "DOUBLE"),
        (decimal(12, 2), "DECIMAL(12, 2)"),
        (decimal(), "DECIMAL(38, 0)"),
        (STRING, "VARCHAR"),
        (BINARY, "BINARY"),
        (DATE, "DATE"),
        (TIMESTAMP, "TIMESTAMPTZ"),
        (TIMESTAMP_NTZ, "TIMESTAMPNTZ"),
        (VARIANT, "VARIANT"),
        (RockyType("Array", args=(STRING,)), "ARRAY"),
        (RockyType("Struct"), "OBJECT"),
    ],
)
def test_ddl_types(rocky_type: RockyType, ddl: str) -> None:
    assert snowflake_data_type(rocky_type).sql(dialect="snowflake") == ddl


def test_ddl_types_round_trip_through_describe_spellings() -> None:
    for rocky_type in (BOOLEAN, FLOAT64, decimal(12, 2), STRING, DATE, TIMESTAMP, TIMESTAMP_NTZ):
        spelled = snowflake_data_type(rocky_type).sql(dialect="snowflake")
        assert snowflake_type(spelled) == rocky_type, spelled


def test_unknown_has_no_column_type() -> None:
    with pytest.raises(ValueError, match="Unknown"):
        snowflake_data_type(UNKNOWN)


@pytest.mark.parametrize(
    ("current", "desired", "safe"),
    [
        ("NUMBER(10,2)", "NUMBER(20,2)", True),
        ("NUMBER(10,2)", "NUMBER(10,2)", True),
        ("NUMBER(20,2)", "NUMBER(10,2)", False),
        ("NUMBER(10,2)", "NUMBER(20,3)", False),
        ("INT", "NUMBER(38,0)", True),
        ("NUMBER(10,0)", "BIGINT", True),
        ("VARCHAR(10)", "VARCHAR(50)", True),
        ("VARCHAR(50)", "VARCHAR(10)", False),
        ("VARCHAR(10)", "VARCHAR", True),
        ("VARCHAR", "VARCHAR(10)", False),
        ("NUMBER(10,0)", "VARCHAR(20)", False),
        ("TIMESTAMP_NTZ", "TIMESTAMP_TZ", False),
        ("FLOAT", "NUMBER(38,0)", False),
        ("VARCHAR(x)", "VARCHAR(10)", False),
    ],
)
def test_safe_widenings(current: str, desired: str, safe: bool) -> None:
    assert is_safe_widening(current, desired) is safe
