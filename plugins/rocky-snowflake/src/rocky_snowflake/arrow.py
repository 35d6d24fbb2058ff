"""A Snowflake result (the cursor's column metadata and its rows) as an
Arrow table.

The connector hands back Arrow batches only when pandas is installed, and
then warns about pyarrow versions it was not built against; rocky needs
neither. So the rows the connector has already converted to Python values
are assembled here, typed from the result's metadata:

- FIXED with scale 0: int64 (decimal128(p,0) if a value does not fit);
  FIXED with a scale: decimal128(p,s);
- REAL: float64; TEXT: string; BOOLEAN: bool; BINARY: binary;
- DATE: date32; TIME: time64[us];
- TIMESTAMP_NTZ: timestamp[us] without a zone; TIMESTAMP_TZ/LTZ:
  timestamp[us, UTC];
- VARIANT, OBJECT, ARRAY, MAP and the geo types: their JSON text.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["ColumnMeta", "arrow_type", "to_arrow"]

# Snowflake's result type codes (the connector's FIELD_ID_TO_NAME).
FIXED: Final = 0
REAL: Final = 1
TEXT: Final = 2
DATE: Final = 3
TIMESTAMP: Final = 4
TIMESTAMP_LTZ: Final = 6
TIMESTAMP_TZ: Final = 7
TIMESTAMP_NTZ: Final = 8
BINARY: Final = 11
TIME: Final = 12
BOOLEAN: Final = 13


class ColumnMeta(Protocol):
    """What the adapter reads of the connector's ``ResultMetadata``."""

    @property
    def name(self) -> str: ...

    @property
    def type_code(self) -> int: ...

    @property
    def precision(self) -> int | None: ...

    @property
    def scale(self) -> int | None: ...


def arrow_type(meta: ColumnMeta) -> pa.DataType:
    """The Arrow type for one result column."""
    import pyarrow as pa

    code = meta.type_code
    if code == FIXED:
        precision = meta.precision or 38
        if not meta.scale:
            return pa.int64()
        return pa.decimal128(min(precision, 38), meta.scale)
    simple: dict[int, pa.DataType] = {
        REAL: pa.float64(),
        TEXT: pa.string(),
        DATE: pa.date32(),
        BOOLEAN: pa.bool_(),
        BINARY: pa.binary(),
        TIME: pa.time64("us"),
        TIMESTAMP_NTZ: pa.timestamp("us"),
        TIMESTAMP: pa.timestamp("us"),
        TIMESTAMP_LTZ: pa.timestamp("us", tz="UTC"),
        TIMESTAMP_TZ: pa.timestamp("us", tz="UTC"),
    }
    return simple.get(code, pa.string())


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def _utc(value: Any) -> Any:
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.UTC)
    return value


def _column(meta: ColumnMeta, values: list[Any]) -> pa.Array:
    import pyarrow as pa

    target = arrow_type(meta)
    if pa.types.is_string(target) and meta.type_code != TEXT:
        return pa.array([_text(v) for v in values], type=target)
    if pa.types.is_timestamp(target) and target.tz is not None:
        values = [_utc(v) for v in values]
    if pa.types.is_binary(target):
        values = [bytes(v) if isinstance(v, bytearray) else v for v in values]
    if pa.types.is_int64(target):
        try:
            return pa.array(values, type=target)
        except (OverflowError, pa.ArrowInvalid):
            # NUMBER(38,0) holds values past int64; keep them exact.
            return pa.array(values, type=pa.decimal128(min(meta.precision or 38, 38), 0))
    return pa.array(values, type=target)


def to_arrow(description: Sequence[ColumnMeta], rows: Sequence[Sequence[Any]]) -> pa.Table:
    """The rows of a result as an Arrow table with one column per
    ``description`` entry (duplicate names are kept)."""
    import pyarrow as pa

    columns = [[row[i] for row in rows] for i in range(len(description))]
    arrays = [_column(meta, values) for meta, values in zip(description, columns, strict=True)]
    schema = pa.schema(
        [pa.field(meta.name, array.type) for meta, array in zip(description, arrays, strict=True)]
    )
    return pa.Table.from_arrays(arrays, schema=schema)
