"""The rows of the warehouse type table (reference section 3) as test cases.

Each case names a type the way the table does, the spelling the kit hands
to sqlglot (which renders it in the adapter's dialect), and the RockyType
``describe_table`` must report for a column created with it.
:func:`reference_type` answers for any spelling the kit uses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from rocky.testing.sql import ColumnSpec
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
    VARIANT,
    RockyType,
    decimal,
)

__all__ = ["REFERENCE_TYPES", "TypeCase", "reference_type", "spelling_key"]


@dataclass(frozen=True)
class TypeCase:
    """``label``: the name in the type table (or the adapter's own name for an
    extra case); ``sql_type``: parsed by sqlglot in ``read_dialect`` (None:
    dialect-neutral); ``expected``: what describe must say."""

    label: str
    sql_type: str
    expected: RockyType
    read_dialect: str | None = None

    def column(self, name: str, *, not_null: bool = False) -> ColumnSpec:
        return ColumnSpec(name, self.sql_type, not_null, self.read_dialect)


REFERENCE_TYPES: Final[tuple[TypeCase, ...]] = (
    TypeCase("BOOLEAN", "BOOLEAN", BOOLEAN),
    TypeCase("TINYINT", "TINYINT", INT32),
    TypeCase("SMALLINT", "SMALLINT", INT32),
    TypeCase("INTEGER", "INT", INT32),
    TypeCase("BIGINT", "BIGINT", INT64),
    TypeCase("FLOAT", "FLOAT", FLOAT32),
    TypeCase("DOUBLE", "DOUBLE", FLOAT64),
    TypeCase("VARCHAR", "VARCHAR", STRING),
    TypeCase("BINARY", "VARBINARY", BINARY),
    TypeCase("DATE", "DATE", DATE),
    TypeCase("TIMESTAMP", "TIMESTAMP", TIMESTAMP),
    TypeCase("TIMESTAMP_NTZ", "TIMESTAMPNTZ", TIMESTAMP_NTZ),
    TypeCase("VARIANT", "VARIANT", VARIANT),
    TypeCase("DECIMAL(18,3)", "DECIMAL(18,3)", decimal(18, 3)),
    TypeCase("DECIMAL(38,0)", "DECIMAL(38,0)", decimal(38, 0)),
    TypeCase("NUMERIC(10,2)", "NUMERIC(10,2)", decimal(10, 2)),
)


_DECIMAL = re.compile(r"(?:DECIMAL|NUMERIC)\((\d+),(\d+)\)")


def spelling_key(spelling: str) -> str:
    """A type spelling compared without regard to case or blanks."""
    return "".join(spelling.upper().split())


def reference_type(spelling: str, answers: Mapping[str, RockyType] | None = None) -> RockyType:
    """The RockyType a column created as ``spelling`` describes as:
    ``answers`` first (an adapter's own, keyed by spelling or by the type
    table's label), then the reference type table, then ``DECIMAL(p,s)`` /
    ``NUMERIC(p,s)`` as ``Decimal(p,s)``. KeyError for anything else."""
    key = spelling_key(spelling)
    keyed = {spelling_key(k): v for k, v in (answers or {}).items()}
    if key in keyed:
        return keyed[key]
    for case in REFERENCE_TYPES:
        names = (spelling_key(case.sql_type), spelling_key(case.label))
        if key in names:
            return next((keyed[n] for n in names if n in keyed), case.expected)
    found = _DECIMAL.fullmatch(key)
    if found:
        return decimal(int(found.group(1)), int(found.group(2)))
    raise KeyError(f"the reference type table has no answer for {spelling!r}")
