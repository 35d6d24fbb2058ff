"""Seed files: ``seeds/*.csv`` and ``seeds/*.tsv``, each with an optional
``<stem>.toml`` sidecar, and the column types inferred from their rows.

Loading seeds into a warehouse is the seed command's job; this module only
finds them and says what their columns are. Inference follows the original
tool: a column is BOOLEAN, BIGINT, DOUBLE, TIMESTAMP or STRING (integers and
floats widen to DOUBLE, any other mix to STRING), judged on the first 1000
rows; empty cells say nothing; declared ``[column_types]`` win.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field

from rocky.envsubst import substitute
from rocky.errors import ConfigError
from rocky.ir import Column, TableRef
from rocky.schema_check import Located, StrictModel, validate
from rocky.tomlio import config_error, decode, parse, unknown_key_error
from rocky.types import from_warehouse

__all__ = ["DEFAULT_SCHEMA", "SAMPLE_ROWS", "SeedFile", "discover_seeds", "infer_sql_types"]

DEFAULT_SCHEMA = "seeds"
SAMPLE_ROWS = 1000
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(
    r"[+-]?(?:[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)",
    re.I,
)
_TIMESTAMPISH = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_I64 = (-(2**63), 2**63 - 1)


# Built on first use (a seed sidecar is rare); default factories are plain
# functions, which pydantic inspects cheaply.
_ON_FIRST_USE = ConfigDict(defer_build=True)


def _list() -> list[str]:
    return []


def _dict() -> dict[str, str]:
    return {}


class _SeedTarget(StrictModel):
    model_config = _ON_FIRST_USE

    catalog: str | None = None
    schema_: str = Field(default=DEFAULT_SCHEMA, alias="schema")
    table: str | None = None


class _SeedSidecar(StrictModel):
    model_config = _ON_FIRST_USE

    name: str | None = None
    target: _SeedTarget | None = None
    strategy: Literal["drop_and_recreate"] = "drop_and_recreate"
    column_types: dict[str, str] = Field(default_factory=_dict)
    pre_hook: list[str] = Field(default_factory=_list)
    post_hook: list[str] = Field(default_factory=_list)


@dataclass(frozen=True)
class SeedFile:
    """One seed. ``target.catalog`` is None when the adapter's default
    catalog applies. ``column_types`` are the declared overrides."""

    name: str
    path: Path
    rel_path: str
    delimiter: str
    target: TableRef
    column_types: dict[str, str] = field(default_factory=dict)
    pre_hook: list[str] = field(default_factory=list)
    post_hook: list[str] = field(default_factory=list)
    # The ``<stem>.toml`` sidecar as shown in errors, and the line of each
    # ``[column_types]`` key in it.
    sidecar_path: str | None = None
    column_type_lines: dict[str, int | None] = field(default_factory=dict)

    def header_and_rows(self, limit: int | None = None) -> tuple[list[str], list[list[str]]]:
        """The trimmed header and up to ``limit`` rows (all when None)."""
        try:
            text = decode(self.path.read_bytes(), file=self.rel_path)
        except OSError as exc:
            raise ConfigError(f"{self.rel_path}: cannot read ({exc.strerror or exc})") from None
        # strict: an unclosed quote is an error, not a cell that swallows
        # every later row.
        reader = csv.reader(
            io.StringIO(text, newline=""), delimiter=self.delimiter, strict=True
        )
        start = 1  # the line the row being read starts on
        try:
            header = [h.strip() for h in next(reader, [])]
            rows: list[list[str]] = []
            while limit is None or len(rows) < limit:
                start = reader.line_num + 1
                row = next(reader, None)
                if row is None:
                    break
                rows.append(row)
        except csv.Error as exc:
            raise config_error(
                f"malformed CSV: {exc}",
                file=self.rel_path,
                line=start,
                hint="close every quoted cell, and double a quote inside one (\"\")",
            ) from None
        if not header or not any(header):
            raise config_error("has no header row", file=self.rel_path, line=1)
        seen: set[str] = set()
        for name in header:
            if not name:
                raise config_error(
                    "has an empty column name in its header", file=self.rel_path, line=1
                )
            if name in seen:
                raise config_error(
                    f"has the column `{name}` twice in its header", file=self.rel_path, line=1
                )
            seen.add(name)
        return header, rows

    def sql_types(self) -> list[tuple[str, str]]:
        """``(column, SQL type)`` for every column, inferred or declared."""
        header, rows = self.header_and_rows(SAMPLE_ROWS)
        for declared in self.column_types:
            if declared not in header:
                raise unknown_key_error(
                    declared,
                    file=self.sidecar_path or self.rel_path,
                    line=self.column_type_lines.get(declared),
                    known=header,
                    table="column_types",
                )
        return infer_sql_types(header, rows, self.column_types)

    def columns(self) -> list[Column]:
        """The seed's columns as rocky types (nullable: a CSV cell can be empty)."""
        return [Column(name, from_warehouse(sql_type), True) for name, sql_type in self.sql_types()]


def _detect(value: str) -> str:
    lowered = value.lower()
    if lowered in ("true", "false"):
        return "BOOLEAN"
    if _INT.fullmatch(value) and _I64[0] <= int(value) <= _I64[1]:
        return "BIGINT"
    if _FLOAT.fullmatch(value):
        return "DOUBLE"
    if len(value) >= 10 and _TIMESTAMPISH.match(value):
        return "TIMESTAMP"
    return "STRING"


def _widen(a: str, b: str) -> str:
    if a == b:
        return a
    if {a, b} == {"BIGINT", "DOUBLE"}:
        return "DOUBLE"
    return "STRING"


def infer_sql_types(
    header: list[str], rows: list[list[str]], declared: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """Infer one SQL type per column from ``rows`` (see the module doc)."""
    declared = declared or {}
    inferred: list[str | None] = [None] * len(header)
    for row in rows:
        for index, cell in enumerate(row[: len(header)]):
            value = cell.strip()
            if not value or header[index] in declared:
                continue
            kind = _detect(value)
            previous = inferred[index]
            inferred[index] = kind if previous is None else _widen(previous, kind)
    return [
        (name, declared.get(name) or inferred[index] or "STRING")
        for index, name in enumerate(header)
    ]


def discover_seeds(root: Path, env: Mapping[str, str] | None = None) -> list[SeedFile]:
    """Every seed in ``root/seeds`` (not recursive), sorted by file name."""
    seeds_dir = root / "seeds"
    if not seeds_dir.is_dir():
        return []
    found: dict[str, SeedFile] = {}
    for path in sorted(seeds_dir.iterdir()):
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".tsv") or not path.is_file():
            continue
        shown = f"seeds/{path.name}"
        sidecar, where = _sidecar(path.with_suffix(".toml"), env)
        name = sidecar.name or path.stem
        target = sidecar.target or _SeedTarget()
        seed = SeedFile(
            name=name,
            path=path.absolute(),
            rel_path=shown,
            delimiter="\t" if suffix == ".tsv" else ",",
            target=TableRef(target.catalog, target.schema_, target.table or name),
            column_types=dict(sidecar.column_types),
            pre_hook=list(sidecar.pre_hook),
            post_hook=list(sidecar.post_hook),
            sidecar_path=str(where.file) if where is not None else None,
            column_type_lines={
                key: where.line_of(("column_types", key)) if where is not None else None
                for key in sidecar.column_types
            },
        )
        other = found.get(name)
        if other is not None:
            raise ConfigError(
                f"duplicate seed name `{name}`: {other.rel_path} and {shown}; rename one of them"
            )
        found[name] = seed
    return list(found.values())


def _sidecar(path: Path, env: Mapping[str, str] | None) -> tuple[_SeedSidecar, Located | None]:
    """The seed's sidecar and where it was read (None without one)."""
    if not path.is_file():
        return _SeedSidecar(), None
    shown = f"seeds/{path.name}"
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read ({exc.strerror or exc})") from None
    text = substitute(decode(raw, file=shown), env=env, file=shown)
    where = Located(shown, text)
    return validate(_SeedSidecar, parse(text, file=shown), where), where
