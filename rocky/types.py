"""RockyType: the compiler's column types, their spelling and warehouse mapping.

Spellings follow the original tool (``Int64``, ``Decimal(38,2)``, ``String``,
``Unknown``) so that contracts written for it keep working.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "BOOLEAN",
    "DATE",
    "FLOAT32",
    "FLOAT64",
    "INT32",
    "INT64",
    "STRING",
    "TIMESTAMP",
    "TIMESTAMP_NTZ",
    "UNKNOWN",
    "RockyType",
    "from_warehouse",
    "parse_type",
    "supertype",
]

KINDS: Final = (
    "Boolean",
    "Int32",
    "Int64",
    "Float32",
    "Float64",
    "Decimal",
    "String",
    "Binary",
    "Date",
    "Timestamp",
    "TimestampNtz",
    "Array",
    "Map",
    "Struct",
    "Variant",
    "Unknown",
)


@dataclass(frozen=True, slots=True)
class RockyType:
    """A column type. ``precision``/``scale`` only for Decimal (None = any);
    ``args`` holds element types for Array (1), Map (2) and Struct fields."""

    kind: str
    precision: int | None = None
    scale: int | None = None
    args: tuple[RockyType, ...] = field(default=())
    field_names: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown RockyType kind {self.kind!r}")

    def __str__(self) -> str:
        if self.kind == "Decimal" and self.precision is not None:
            return f"Decimal({self.precision},{self.scale or 0})"
        if self.kind == "Array" and self.args:
            return f"Array({self.args[0]})"
        if self.kind == "Map" and len(self.args) == 2:
            return f"Map({self.args[0]},{self.args[1]})"
        if self.kind == "Struct" and self.args:
            inner = ",".join(f"{n} {t}" for n, t in zip(self.field_names, self.args, strict=True))
            return f"Struct({inner})"
        return self.kind

    @property
    def is_unknown(self) -> bool:
        return self.kind == "Unknown"

    @property
    def is_integer(self) -> bool:
        return self.kind in ("Int32", "Int64")

    @property
    def is_float(self) -> bool:
        return self.kind in ("Float32", "Float64")

    @property
    def is_numeric(self) -> bool:
        return self.is_integer or self.is_float or self.kind == "Decimal"

    @property
    def is_temporal(self) -> bool:
        return self.kind in ("Date", "Timestamp", "TimestampNtz")

    def matches(self, other: RockyType) -> bool:
        """Contract matching: exact, Unknown matches anything, and a bare
        ``Decimal`` (no precision) matches any Decimal."""
        if self.is_unknown or other.is_unknown:
            return True
        if self.kind != other.kind:
            return False
        if self.kind == "Decimal":
            if self.precision is None or other.precision is None:
                return True
            return (self.precision, self.scale or 0) == (other.precision, other.scale or 0)
        if self.args and other.args:
            return len(self.args) == len(other.args) and all(
                a.matches(b) for a, b in zip(self.args, other.args, strict=True)
            )
        return True


def decimal(precision: int | None = None, scale: int | None = None) -> RockyType:
    return RockyType("Decimal", precision, scale if precision is not None else None)


BOOLEAN: Final = RockyType("Boolean")
INT32: Final = RockyType("Int32")
INT64: Final = RockyType("Int64")
FLOAT32: Final = RockyType("Float32")
FLOAT64: Final = RockyType("Float64")
STRING: Final = RockyType("String")
BINARY: Final = RockyType("Binary")
DATE: Final = RockyType("Date")
TIMESTAMP: Final = RockyType("Timestamp")
TIMESTAMP_NTZ: Final = RockyType("TimestampNtz")
VARIANT: Final = RockyType("Variant")
UNKNOWN: Final = RockyType("Unknown")

_SIMPLE: Final = {k.lower(): RockyType(k) for k in KINDS if k not in ("Decimal",)}
_SPELLING = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$", re.S)


def _split_args(inner: str) -> list[str]:
    depth, start, parts = 0, 0, []
    for i, ch in enumerate(inner):
        if ch in "(<":
            depth += 1
        elif ch in ")>":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i].strip())
            start = i + 1
    parts.append(inner[start:].strip())
    return [p for p in parts if p]


def parse_type(spelling: str) -> RockyType:
    """Parse a RockyType spelling (``Int64``, ``Decimal(38,2)``, ``Array(String)``)
    as written in contracts. Warehouse spellings are accepted too. Raises
    ValueError for something that is neither."""
    m = _SPELLING.match(spelling)
    if not m:
        raise ValueError(f"not a type: {spelling!r}")
    name, inner = m.group(1), m.group(2)
    lowered = name.lower()
    if lowered == "decimal" and inner is None:
        return decimal()
    if lowered == "array" and inner:
        return RockyType("Array", args=(parse_type(inner),))
    if lowered == "map" and inner:
        k, v = _split_args(inner)
        return RockyType("Map", args=(parse_type(k), parse_type(v)))
    if inner is None and lowered in _SIMPLE:
        return _SIMPLE[lowered]
    mapped = from_warehouse(spelling)
    if mapped.is_unknown and lowered != "unknown":
        raise ValueError(f"not a type: {spelling!r}")
    return mapped


_WAREHOUSE: Final = {
    "bool": BOOLEAN,
    "boolean": BOOLEAN,
    "logical": BOOLEAN,
    "tinyint": INT32,
    "byte": INT32,
    "smallint": INT32,
    "short": INT32,
    "int": INT32,
    "integer": INT32,
    "int2": INT32,
    "int4": INT32,
    "int8": INT64,
    "utinyint": INT32,
    "usmallint": INT32,
    "uinteger": INT64,
    "bigint": INT64,
    "long": INT64,
    "int64": INT64,
    "hugeint": decimal(38, 0),
    "float": FLOAT32,
    "float4": FLOAT32,
    "real": FLOAT32,
    "double": FLOAT64,
    "float8": FLOAT64,
    "float64": FLOAT64,
    "double precision": FLOAT64,
    "string": STRING,
    "varchar": STRING,
    "char": STRING,
    "character varying": STRING,
    "text": STRING,
    "nvarchar": STRING,
    "binary": BINARY,
    "varbinary": BINARY,
    "blob": BINARY,
    "bytea": BINARY,
    "bytes": BINARY,
    "date": DATE,
    "timestamp": TIMESTAMP,
    "timestamp with time zone": TIMESTAMP,
    "timestamptz": TIMESTAMP,
    "timestamp_tz": TIMESTAMP,
    "timestamp_ltz": TIMESTAMP,
    "timestamp_ntz": TIMESTAMP_NTZ,
    "timestamp without time zone": TIMESTAMP_NTZ,
    "datetime": TIMESTAMP_NTZ,
    "variant": VARIANT,
    "json": VARIANT,
}
_DECIMALS: Final = ("decimal", "numeric", "bignumeric", "number", "dec")


def from_warehouse(spelling: str) -> RockyType:
    """Map a warehouse type name (any case, with parameters) to a RockyType.

    Decimal without parameters defaults to (38,0); anything unrecognised is
    Unknown, never a guess."""
    text = spelling.strip()
    if text.endswith("[]"):
        return RockyType("Array", args=(from_warehouse(text[:-2]),))
    m = _SPELLING.match(text)
    if not m:
        return _WAREHOUSE.get(text.lower(), UNKNOWN)
    name, inner = m.group(1).lower(), m.group(2)
    if name in _DECIMALS:
        if inner:
            parts = _split_args(inner)
            try:
                p = int(parts[0])
                s = int(parts[1]) if len(parts) > 1 else 0
            except ValueError:
                return decimal(38, 0)
            return decimal(p, s)
        return decimal(38, 0)
    if name in ("array", "list") and inner:
        return RockyType("Array", args=(from_warehouse(inner),))
    if name == "map" and inner:
        parts = _split_args(inner)
        if len(parts) == 2:
            return RockyType("Map", args=(from_warehouse(parts[0]), from_warehouse(parts[1])))
    if name in ("struct", "row", "object"):
        return RockyType("Struct")
    if name in _WAREHOUSE:
        return _WAREHOUSE[name]
    return _WAREHOUSE.get(text.lower(), UNKNOWN)


_INT_RANK: Final = {"Int32": 0, "Int64": 1}


def supertype(a: RockyType, b: RockyType) -> RockyType:
    """The common type of two values (UNION branches, CASE arms, COALESCE,
    arithmetic). Unknown wins, so nothing is guessed."""
    if a == b:
        return a
    if a.is_unknown or b.is_unknown:
        return UNKNOWN
    if a.is_integer and b.is_integer:
        return a if _INT_RANK[a.kind] >= _INT_RANK[b.kind] else b
    if a.is_float and b.is_float:
        return FLOAT64
    if (a.is_integer and b.is_float) or (a.is_float and b.is_integer):
        return FLOAT64
    if a.kind == "Decimal" and b.kind == "Decimal":
        if a.precision is None or b.precision is None:
            return decimal()
        sa, sb = a.scale or 0, b.scale or 0
        scale = max(sa, sb)
        whole = max(a.precision - sa, b.precision - sb)
        return decimal(min(38, whole + scale), scale)
    if a.kind == "Decimal" and b.is_integer:
        a, b = b, a
    if a.is_integer and b.kind == "Decimal":
        floor = 10 if a.kind == "Int32" else 19
        if b.precision is None:
            return decimal()
        return decimal(max(b.precision, floor), b.scale or 0)
    if (a.kind == "Decimal" and b.is_float) or (a.is_float and b.kind == "Decimal"):
        return FLOAT64
    if a.is_temporal and b.is_temporal:
        if "Timestamp" in (a.kind, b.kind):
            return TIMESTAMP
        return TIMESTAMP_NTZ
    if a.kind == "String" or b.kind == "String":
        return STRING
    return UNKNOWN
