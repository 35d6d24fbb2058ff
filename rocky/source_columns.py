"""Columns declared on a sidecar's ``[[sources]]`` entries.

A model can say what a table it reads looks like, so the compiler can type
it without a seed or a warehouse:

.. code-block:: toml

    [[sources]]
    catalog = ""
    schema = "raw"
    table = "orders"
    columns = [
        { name = "id", type = "Int64", nullable = false },
        { name = "amount", type = "Decimal(10,2)" },
    ]

:func:`check_source_columns` checks the raw table before the sidecar model
validates it, so that a mistake points at the line of the column concerned
(the generic validation only knows the key, not which entry). The
declarations of one table by several models must agree
(:class:`SourceDeclarations`).
"""

from __future__ import annotations

import re
from typing import Any

from rocky.errors import ConfigError
from rocky.model_config import SourceRef
from rocky.schema_check import Located
from rocky.tomlio import config_error, describe_value, key_line, unknown_key_error
from rocky.types import parse_type

__all__ = ["COLUMN_KEYS", "SourceDeclarations", "check_source_columns"]

COLUMN_KEYS = ("name", "type", "nullable")
_KEY = "`[[sources]] columns`"
_SOURCES_HEADER = re.compile(r"^\s*\[\[\s*sources\s*\]\]")
_OTHER_TOP_HEADER = re.compile(r"^\s*\[\[?(?!\[)\s*(?!sources\s*[.\]])")
_TYPE_HINT = (
    "write a rocky type such as `Int64`, `Decimal(10,2)`, `String`, `Date`, `Timestamp`, "
    "or a warehouse one such as `BIGINT`"
)


def check_source_columns(data: dict[str, Any], where: Located) -> None:
    """Raise a located ConfigError for the first malformed column declared
    on a ``[[sources]]`` entry of a sidecar's parsed ``data``. Everything
    else about ``sources`` is left to the sidecar's model."""
    sources = data.get("sources")
    if not isinstance(sources, list):
        return
    for index, source in enumerate(sources):
        if isinstance(source, dict) and "columns" in source:
            _check_entry(source, index, where)


def _check_entry(source: dict[str, Any], index: int, where: Located) -> None:
    table = _table_name(source)
    columns = source["columns"]
    if not isinstance(columns, list):
        raise _error(
            where,
            index,
            None,
            f"{_KEY} of `{table}` must be a list of tables, got {describe_value(columns)}",
            hint='write `columns = [{ name = "id", type = "Int64" }, ...]`',
        )
    seen: set[str] = set()
    for position, column in enumerate(columns, start=1):
        if not isinstance(column, dict):
            raise _error(
                where,
                index,
                None,
                f"{_KEY} element {position} of `{table}` must be a table, "
                f"got {describe_value(column)}",
                hint='write `{ name = "id", type = "Int64", nullable = false }`',
            )
        name = column.get("name")
        shown = name if isinstance(name, str) and name else None
        line = _column_line(where, index, shown)
        for key in column:
            if key not in COLUMN_KEYS:
                raise unknown_key_error(
                    key,
                    file=where.file,
                    line=line,
                    known=list(COLUMN_KEYS),
                    table="sources.columns",
                )
        if shown is None:
            got = "nothing" if name is None else describe_value(name)
            if isinstance(name, str):
                got = "an empty string"
            raise _error(
                where,
                index,
                None,
                f"{_KEY} element {position} of `{table}` needs a `name` (a string), got {got}",
            )
        what = f"column `{shown}` of `{table}`"
        if "type" in column:
            spelling = column["type"]
            if not isinstance(spelling, str):
                raise _error(
                    where,
                    index,
                    shown,
                    f"{_KEY}: the `type` of {what} must be a string, "
                    f"got {describe_value(spelling)}",
                    hint=_TYPE_HINT,
                )
            try:
                parse_type(spelling)
            except ValueError:
                raise _error(
                    where,
                    index,
                    shown,
                    f"{_KEY}: {what} has unknown type `{spelling}`",
                    hint=_TYPE_HINT,
                ) from None
        nullable = column.get("nullable", True)
        if not isinstance(nullable, bool):
            raise _error(
                where,
                index,
                shown,
                f"{_KEY}: `nullable` of {what} must be a boolean, got {describe_value(nullable)}",
            )
        if shown.lower() in seen:
            raise _error(where, index, shown, f"{_KEY}: {what} is declared twice")
        seen.add(shown.lower())


def _table_name(source: dict[str, Any]) -> str:
    parts = [source.get(k) for k in ("catalog", "schema", "table")]
    return ".".join(p for p in parts if isinstance(p, str) and p) or "?"


def _error(
    where: Located, index: int, column: str | None, message: str, hint: str | None = None
) -> ConfigError:
    return config_error(
        message, file=where.file, line=_column_line(where, index, column), hint=hint
    )


def _column_line(where: Located, index: int, column: str | None) -> int | None:
    """The line declaring ``column`` in the ``index``-th ``[[sources]]``
    entry (the entry's ``columns`` line when no column name is known)."""
    if not where.text:
        return None
    lines = where.text.splitlines()
    headers = [n for n, line in enumerate(lines) if _SOURCES_HEADER.match(line)]
    start, end = 0, len(lines)
    if index < len(headers):
        start = headers[index]
        for n in range(start + 1, len(lines)):
            if _SOURCES_HEADER.match(lines[n]) or _OTHER_TOP_HEADER.match(lines[n]):
                end = n
                break
    wanted = (
        re.compile(r"\bname\s*=\s*([\"'])" + re.escape(column) + r"\1")
        if column is not None
        else re.compile(r"^\s*columns\s*=|^\s*\[\[\s*sources\s*\.\s*columns\s*\]\]")
    )
    for n in range(start, end):
        if wanted.search(lines[n]):
            return n + 1 + where.line_offset
    if headers and index < len(headers):
        return start + 1 + where.line_offset
    return key_line(where.text, ("sources", "columns"), line_offset=where.line_offset)


class SourceDeclarations:
    """The columns declared for each source table across the project; a
    table declared twice must be declared the same way."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str, str], tuple[tuple[str, str, bool], ...]] = {}
        self._where: dict[tuple[str, str, str], str] = {}

    def add(self, sources: list[SourceRef], shown: str) -> None:
        for source in sources:
            if not source.columns:
                continue
            key = (source.catalog.lower(), source.schema_.lower(), source.table.lower())
            spec = tuple((c.name.lower(), str(c.type), c.nullable) for c in source.columns)
            known = self._seen.get(key)
            if known is None:
                self._seen[key] = spec
                self._where[key] = shown
            elif known != spec:
                table = ".".join(p for p in (source.catalog, source.schema_, source.table) if p)
                raise config_error(
                    f"declares the columns of source `{table}` differently from {self._where[key]}",
                    file=shown,
                    hint="declare a table's columns once, or the same way in every sidecar",
                )
