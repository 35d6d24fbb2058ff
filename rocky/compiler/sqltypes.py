"""SQL type syntax and literals to RockyType, per dialect.

sqlglot already normalises a dialect's type names (DuckDB's bare
``DECIMAL`` arrives as ``DECIMAL(18,3)``, Snowflake's ``NUMBER`` as
``DECIMAL(38,0)``); what is left is mapping its type enum onto RockyType and
the few dialect defaults sqlglot leaves open.
"""

from __future__ import annotations

from typing import Final

from sqlglot import exp

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

__all__ = ["datatype_to_rocky", "decimal_arith", "literal_type", "number_as_decimal"]

_BY_ENUM: Final[dict[str, RockyType]] = {
    "BOOLEAN": BOOLEAN,
    "BIT": BOOLEAN,
    "TINYINT": INT32,
    "UTINYINT": INT32,
    "SMALLINT": INT32,
    "USMALLINT": INT32,
    "MEDIUMINT": INT32,
    "INT": INT32,
    "UINT": INT64,
    "BIGINT": INT64,
    "UBIGINT": decimal(20, 0),
    "INT128": decimal(38, 0),
    "UINT128": decimal(38, 0),
    "FLOAT": FLOAT32,
    "DOUBLE": FLOAT64,
    "UDOUBLE": FLOAT64,
    "VARCHAR": STRING,
    "NVARCHAR": STRING,
    "CHAR": STRING,
    "NCHAR": STRING,
    "BPCHAR": STRING,
    "TEXT": STRING,
    "LONGTEXT": STRING,
    "MEDIUMTEXT": STRING,
    "TINYTEXT": STRING,
    "NAME": STRING,
    "BINARY": BINARY,
    "VARBINARY": BINARY,
    "BLOB": BINARY,
    "LONGBLOB": BINARY,
    "MEDIUMBLOB": BINARY,
    "TINYBLOB": BINARY,
    "DATE": DATE,
    "DATE32": DATE,
    "TIMESTAMPTZ": TIMESTAMP,
    "TIMESTAMPLTZ": TIMESTAMP,
    "TIMESTAMPNTZ": TIMESTAMP_NTZ,
    "DATETIME": TIMESTAMP_NTZ,
    "DATETIME2": TIMESTAMP_NTZ,
    "SMALLDATETIME": TIMESTAMP_NTZ,
    "TIMESTAMP_S": TIMESTAMP,
    "TIMESTAMP_MS": TIMESTAMP,
    "TIMESTAMP_NS": TIMESTAMP,
    "VARIANT": VARIANT,
    "JSON": VARIANT,
    "JSONB": VARIANT,
    "SUPER": VARIANT,
    "OBJECT": RockyType("Struct"),
    "STRUCT": RockyType("Struct"),
}
# Decimal with no precision written, per dialect (others: 38,0).
_DECIMAL_DEFAULT: Final = {"bigquery": (38, 9), "databricks": (10, 0), "spark": (10, 0)}


def _param_int(node: exp.Expression) -> int | None:
    inner = node.this if isinstance(node, exp.DataTypeParam) else node
    if isinstance(inner, exp.Literal) and not inner.is_string:
        try:
            return int(inner.this)
        except ValueError:
            return None
    return None


def datatype_to_rocky(dt: exp.DataType, dialect: str) -> RockyType:
    """The RockyType of a parsed SQL type (CAST targets, ``::``)."""
    name = dt.this.name if hasattr(dt.this, "name") else str(dt.this)
    if name == "TIMESTAMPNTZ" and dialect == "duckdb":
        # sqlglot reads DuckDB's TIMESTAMP as TIMESTAMPNTZ; DuckDB's catalog
        # (and so every seeded or described source) calls it TIMESTAMP.
        return TIMESTAMP
    found = _BY_ENUM.get(name)
    if found is not None:
        return found
    if name == "TIMESTAMP":
        # sqlglot reads BigQuery DATETIME as TIMESTAMP and TIMESTAMP as TIMESTAMPTZ.
        return TIMESTAMP_NTZ if dialect == "bigquery" else TIMESTAMP
    if name in ("DECIMAL", "BIGDECIMAL", "DECIMAL32", "DECIMAL64", "DECIMAL128", "UDECIMAL"):
        params = [_param_int(p) for p in dt.expressions]
        if params and params[0] is not None:
            scale = params[1] if len(params) > 1 and params[1] is not None else 0
            return decimal(params[0], scale)
        if name == "BIGDECIMAL":
            return decimal(76, 38) if dialect == "bigquery" else decimal(38, 0)
        p, s = _DECIMAL_DEFAULT.get(dialect, (38, 0))
        return decimal(p, s)
    if name in ("ARRAY", "LIST"):
        inner = dt.expressions[0] if dt.expressions else None
        elem = datatype_to_rocky(inner, dialect) if isinstance(inner, exp.DataType) else UNKNOWN
        return RockyType("Array", args=(elem,))
    if name == "MAP" and len(dt.expressions) == 2:
        k, v = dt.expressions
        if isinstance(k, exp.DataType) and isinstance(v, exp.DataType):
            return RockyType(
                "Map", args=(datatype_to_rocky(k, dialect), datatype_to_rocky(v, dialect))
            )
    return UNKNOWN


def number_as_decimal(t: RockyType) -> tuple[int, int] | None:
    """Precision and scale of an exact number as DuckDB widens it for
    decimal arithmetic (Int32 -> (10,0), Int64 -> (19,0))."""
    if t.kind == "Int32":
        return 10, 0
    if t.kind == "Int64":
        return 19, 0
    if t.kind == "Decimal" and t.precision is not None:
        return t.precision, t.scale or 0
    return None


def decimal_arith(op: str, a: RockyType, b: RockyType) -> RockyType:
    """Result of ``+ - *`` when at least one side is a Decimal and neither
    is a float (DuckDB's rules: add widens by one digit, multiply adds
    precisions and scales, staying in 18 digits when both inputs fit)."""
    pa, pb = number_as_decimal(a), number_as_decimal(b)
    if pa is None or pb is None:
        return decimal()
    (p1, s1), (p2, s2) = pa, pb
    if op == "mul":
        p, s = p1 + p2, s1 + s2
        if p > 18 and p1 <= 18 and p2 <= 18:
            p = 18
        return decimal(min(p, 38), min(s, 38))
    s = max(s1, s2)
    p = max(p1 - s1, p2 - s2) + s + 1
    return decimal(min(p, 38), s)


def literal_type(lit: exp.Literal) -> RockyType:
    """Type of a literal: strings are String, integers Int32 (Int64 past
    32 bits, Decimal(38,0) past 64), decimals Decimal(p,s), exponents Float64."""
    if lit.is_string:
        return STRING
    text = str(lit.this)
    found = _NUMBER_TYPES.get(text)
    if found is None:
        found = _number_type(text)
        if len(_NUMBER_TYPES) < _NUMBER_TYPES_MAX:
            _NUMBER_TYPES[text] = found
    return found


# Types of numeric literals by spelling: the same few numbers recur in most
# models. Bounded, since a long-lived process may see any number of them.
_NUMBER_TYPES: dict[str, RockyType] = {}
_NUMBER_TYPES_MAX: Final = 4096


def _number_type(text: str) -> RockyType:
    lowered = text.lower()
    if "e" in lowered:
        return FLOAT64
    if "." in text:
        whole, _, frac = text.partition(".")
        digits = whole.lstrip("+-")
        scale = len(frac)
        precision = max(len(digits) + scale, scale, 1)
        return decimal(min(precision, 38), min(scale, 38))
    try:
        value = int(text)
    except ValueError:
        return UNKNOWN
    if -(2**31) <= value < 2**31:
        return INT32
    if -(2**63) <= value < 2**63:
        return INT64
    return decimal(38, 0)
