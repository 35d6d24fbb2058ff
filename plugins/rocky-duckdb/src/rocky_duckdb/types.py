"""DuckDB's type names (as ``information_schema.columns`` spells them) as RockyTypes.

The shared mapping (``rocky.types.from_warehouse``) decides every scalar
type. This module only unpacks the nested spellings DuckDB uses and that
mapping does not read: fixed-size arrays (``INTEGER[3]``), structs with
quoted field names, and nested types inside ``MAP``/``STRUCT``/lists. The
timestamp precisions ``TIMESTAMP_S``/``_MS``/``_NS`` are the same naive
timestamp as DuckDB's ``TIMESTAMP`` and map like it.
"""

from __future__ import annotations

import re
from typing import Final

from rocky.types import RockyType, from_warehouse

__all__ = ["duckdb_type"]

_ARRAY: Final = re.compile(r"^(?P<inner>.+)\[(?P<size>\d*)\]$", re.S)
_CALL: Final = re.compile(r"^(?P<name>[A-Za-z_]+)\s*\((?P<inner>.*)\)$", re.S)
_TIMESTAMP_PRECISIONS: Final = frozenset({"TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"})


def duckdb_type(spelling: str) -> RockyType:
    """The RockyType of a DuckDB column type; Unknown when there is none."""
    text = spelling.strip()
    array = _ARRAY.match(text)
    if array:
        return RockyType("Array", args=(duckdb_type(array.group("inner")),))
    if text.upper() in _TIMESTAMP_PRECISIONS:
        return from_warehouse("TIMESTAMP")
    call = _CALL.match(text)
    if call:
        name, inner = call.group("name").upper(), call.group("inner")
        if name == "STRUCT":
            return _struct(inner)
        if name == "MAP":
            parts = _split_top_level(inner)
            if len(parts) == 2:
                return RockyType("Map", args=(duckdb_type(parts[0]), duckdb_type(parts[1])))
        if name == "LIST":
            return RockyType("Array", args=(duckdb_type(inner),))
    return from_warehouse(text)


def _struct(inner: str) -> RockyType:
    names: list[str] = []
    types: list[RockyType] = []
    for part in _split_top_level(inner):
        name, rest = _field_name(part)
        if not rest:
            return RockyType("Struct")
        names.append(name)
        types.append(duckdb_type(rest))
    return RockyType("Struct", args=tuple(types), field_names=tuple(names))


def _field_name(part: str) -> tuple[str, str]:
    """Split ``"a b" INTEGER`` or ``a INTEGER`` into name and type."""
    part = part.strip()
    if part.startswith('"'):
        i, name = 1, []
        while i < len(part):
            ch = part[i]
            if ch == '"':
                if part[i + 1 : i + 2] == '"':
                    name.append('"')
                    i += 2
                    continue
                return "".join(name), part[i + 1 :].strip()
            name.append(ch)
            i += 1
        return part, ""
    head, _, rest = part.partition(" ")
    return head, rest.strip()


def _split_top_level(inner: str) -> list[str]:
    """Split at commas outside parentheses, brackets and double quotes."""
    parts: list[str] = []
    depth, start, quoted = 0, 0, False
    for i, ch in enumerate(inner):
        if ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i].strip())
            start = i + 1
    parts.append(inner[start:].strip())
    return [p for p in parts if p]
