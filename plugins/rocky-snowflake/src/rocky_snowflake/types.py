"""Snowflake's types as RockyTypes, RockyTypes as Snowflake DDL types, and
which type changes Snowflake can make in place.

Snowflake semantics, not the generic table, decide where they differ:

- every integer spelling (INT, BIGINT, SMALLINT, TINYINT, BYTEINT) is a
  synonym of NUMBER(38,0), and ``DESCRIBE`` reports it so: Decimal(38,0);
- FLOAT, FLOAT4, FLOAT8, REAL and DOUBLE are all 64-bit: Float64;
- TIMESTAMP_TZ and TIMESTAMP_LTZ carry a time zone: Timestamp;
  TIMESTAMP_NTZ, DATETIME and a bare TIMESTAMP (under the default
  ``TIMESTAMP_TYPE_MAPPING``) do not: TimestampNtz;
- VARCHAR(n), STRING, TEXT, CHAR(n): String (the length is kept only for
  the widening check);
- VARIANT: Variant; OBJECT: Struct; ARRAY: Array(Variant).
TIME, GEOGRAPHY, GEOMETRY and VECTOR have no RockyType: Unknown.
"""

from __future__ import annotations

import re
from typing import Final

from sqlglot import exp

from rocky.types import (
    BINARY,
    BOOLEAN,
    DATE,
    FLOAT64,
    STRING,
    TIMESTAMP,
    TIMESTAMP_NTZ,
    UNKNOWN,
    VARIANT,
    RockyType,
    decimal,
)

__all__ = ["is_safe_widening", "snowflake_data_type", "snowflake_type"]

DIALECT: Final = "snowflake"

_CALL: Final = re.compile(
    r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_ ]*?)\s*(?:\((?P<args>.*)\))?\s*$", re.S
)

_INTEGERS: Final = frozenset({"INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "BYTEINT"})
_NUMBERS: Final = frozenset({"NUMBER", "DECIMAL", "NUMERIC", "DEC"})
_FLOATS: Final = frozenset({"FLOAT", "FLOAT4", "FLOAT8", "DOUBLE", "DOUBLE PRECISION", "REAL"})
_TEXTS: Final = frozenset(
    {
        "VARCHAR",
        "STRING",
        "TEXT",
        "CHAR",
        "CHARACTER",
        "NCHAR",
        "NVARCHAR",
        "NVARCHAR2",
        "CHAR VARYING",
        "NCHAR VARYING",
    }
)
_ZONED: Final = frozenset(
    {
        "TIMESTAMP_TZ",
        "TIMESTAMP_LTZ",
        "TIMESTAMPTZ",
        "TIMESTAMPLTZ",
        "TIMESTAMP WITH TIME ZONE",
        "TIMESTAMP WITH LOCAL TIME ZONE",
    }
)
_NAIVE: Final = frozenset(
    {"TIMESTAMP_NTZ", "TIMESTAMPNTZ", "DATETIME", "TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE"}
)
_SIMPLE: Final[dict[str, RockyType]] = {
    "BOOLEAN": BOOLEAN,
    "DATE": DATE,
    "BINARY": BINARY,
    "VARBINARY": BINARY,
    "VARIANT": VARIANT,
    "OBJECT": RockyType("Struct"),
}


def _parts(spelling: str) -> tuple[str, list[str]] | None:
    match = _CALL.match(spelling)
    if not match:
        return None
    name = " ".join(match.group("name").upper().split())
    args = match.group("args")
    return name, _split(args) if args is not None else []


def _split(inner: str) -> list[str]:
    """Split at commas outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i].strip())
            start = i + 1
    parts.append(inner[start:].strip())
    return [p for p in parts if p]


def snowflake_type(spelling: str) -> RockyType:
    """The RockyType of a Snowflake type as ``DESCRIBE`` or DDL spells it."""
    parts = _parts(spelling)
    if parts is None:
        return UNKNOWN
    name, args = parts
    if name in _NUMBERS:
        try:
            precision = int(args[0]) if args else 38
            scale = int(args[1]) if len(args) > 1 else 0
        except ValueError:
            return UNKNOWN
        return decimal(precision, scale)
    if name in _INTEGERS:
        return decimal(38, 0)
    if name in _FLOATS:
        return FLOAT64
    if name in _TEXTS:
        return STRING
    if name in _ZONED:
        return TIMESTAMP
    if name in _NAIVE:
        return TIMESTAMP_NTZ
    if name == "ARRAY":
        return RockyType("Array", args=(snowflake_type(args[0]) if args else VARIANT,))
    if name == "MAP" and len(args) == 2:
        return RockyType("Map", args=(snowflake_type(args[0]), snowflake_type(args[1])))
    return _SIMPLE.get(name, UNKNOWN)


def snowflake_data_type(rocky_type: RockyType) -> exp.DataType:
    """The Snowflake column type for a RockyType (for DDL and casts).
    Raises ValueError for Unknown, which has no column type."""
    kind = rocky_type.kind
    if kind == "Decimal":
        precision = rocky_type.precision if rocky_type.precision is not None else 38
        spelling = f"NUMBER({precision},{rocky_type.scale or 0})"
    elif kind == "Array":
        spelling = "ARRAY"
    elif kind in ("Map", "Struct"):
        spelling = "OBJECT"
    elif kind == "Unknown":
        raise ValueError("Unknown has no Snowflake column type")
    else:
        spelling = _DDL[kind]
    return exp.DataType.build(spelling, dialect=DIALECT)


_DDL: Final[dict[str, str]] = {
    "Boolean": "BOOLEAN",
    "Int32": "INT",
    "Int64": "BIGINT",
    "Float32": "FLOAT",
    "Float64": "FLOAT",
    "String": "VARCHAR",
    "Binary": "BINARY",
    "Date": "DATE",
    "Timestamp": "TIMESTAMP_TZ",
    "TimestampNtz": "TIMESTAMP_NTZ",
    "Variant": "VARIANT",
}


def is_safe_widening(current: str, desired: str) -> bool:
    """Whether ``ALTER COLUMN ... SET DATA TYPE`` can turn ``current`` into
    ``desired`` in place: NUMBER(p,s) to NUMBER(p2>=p, same s), or
    VARCHAR(n) to VARCHAR(m>=n). Anything else (other families, a scale
    change, a shorter length) needs a rebuild."""
    old, new = _parts(current), _parts(desired)
    if old is None or new is None:
        return False
    old_name, old_args = old
    new_name, new_args = new
    numeric = _NUMBERS | _INTEGERS
    try:
        if old_name in numeric and new_name in numeric:
            old_p, old_s = _precision_scale(old_name, old_args)
            new_p, new_s = _precision_scale(new_name, new_args)
            return new_s == old_s and new_p >= old_p
        if old_name in _TEXTS and new_name in _TEXTS:
            return _length(new_args) >= _length(old_args)
    except ValueError:  # a length or precision that is not a number
        return False
    return False


def _precision_scale(name: str, args: list[str]) -> tuple[int, int]:
    if name in _INTEGERS or not args:
        return 38, 0
    return int(args[0]), int(args[1]) if len(args) > 1 else 0


_MAX_VARCHAR: Final = 16_777_216


def _length(args: list[str]) -> int:
    return int(args[0]) if args else _MAX_VARCHAR
