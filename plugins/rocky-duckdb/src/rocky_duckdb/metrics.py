"""Bytes scanned and written, read from DuckDB's query profile.

Each cursor runs with ``enable_profiling = 'no_output'`` and
``profiling_coverage = 'ALL'``, so after every statement DuckDB holds a JSON
operator tree for it. Two figures are taken from that tree, both *logical*
sizes (DuckDB's in-memory vectors, before on-disk compression):

- ``bytes_scanned``: the bytes produced by scans of stored tables and of
  files (``TABLE_SCAN`` operators reading a table or rows from a file), after
  filter pushdown and row-group pruning. Table functions that generate rows
  (``range``, metadata functions) scan nothing. ``None`` when the statement
  ran no query plan at all (DDL such as ``CREATE SCHEMA``, ``ALTER``).
- ``bytes_written``: the bytes handed to operators that write rows
  (create-as, insert, update, the insert/update actions of a merge, copy to
  file). ``None`` for a statement with no such operator, including a plain
  ``DELETE``: DuckDB writes only deletion markers and reports no figure.

DuckDB's own ``io.total_bytes_written`` counter is not used: it counts block
writes to the database file but not write-ahead-log appends, so a small
INSERT reports 0 while the log grows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["StatementMetrics", "metrics_from_profile"]

_ROW_WRITERS: Final = frozenset(
    {
        "CREATE_TABLE_AS",
        "BATCH_CREATE_TABLE_AS",
        "INSERT",
        "BATCH_INSERT",
        "UPDATE",
        "COPY_TO_FILE",
        "BATCH_COPY_TO_FILE",
    }
)


@dataclass(frozen=True, slots=True)
class StatementMetrics:
    bytes_scanned: int | None = None
    bytes_written: int | None = None


def metrics_from_profile(profile: str) -> StatementMetrics:
    """Figures from ``get_profiling_information()``; unknown ones are None."""
    try:
        data = json.loads(profile)
    except ValueError:
        return StatementMetrics()
    operators = data.get("operator") if isinstance(data, dict) else None
    if not isinstance(operators, list):
        return StatementMetrics()
    nodes = list(_walk(operators))
    return StatementMetrics(_scanned(nodes), _written(nodes))


def _walk(operators: list[Any]) -> Iterator[dict[str, Any]]:
    for op in operators:
        if isinstance(op, dict):
            yield op
            children = op.get("children")
            if isinstance(children, list):
                yield from _walk(children)


def _size(op: dict[str, Any]) -> int:
    value = op.get("intermediate_size_bytes")
    return value if isinstance(value, int) and value >= 0 else 0


def _scanned(nodes: list[dict[str, Any]]) -> int | None:
    scans = [op for op in nodes if str(op.get("type", "")).endswith("_SCAN")]
    if not scans:
        return None
    total = 0
    for op in scans:
        if op.get("type") != "TABLE_SCAN":
            continue  # constants and statistics: nothing stored was read
        extra = op.get("extra_info")
        reads_table = isinstance(extra, dict) and "Table" in extra
        rows = op.get("rows_scanned")
        reads_rows = isinstance(rows, int) and rows > 0
        if reads_table or reads_rows:
            total += _size(op)
    return total


def _written(nodes: list[dict[str, Any]]) -> int | None:
    writers = [op for op in nodes if op.get("type") in _ROW_WRITERS]
    if not writers:
        return None
    total = 0
    for op in writers:
        children = op.get("children")
        if isinstance(children, list):
            total += sum(_size(child) for child in children if isinstance(child, dict))
    return total
