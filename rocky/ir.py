"""ProjectIR: the typed graph every later stage reads.

Plain frozen dataclasses, serialisable to canonical JSON. Nothing here holds
a sqlglot AST: the IR is what gets cached, diffed, hashed and shipped between
processes, so it stays compact.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rocky.diagnostics import Diagnostic
from rocky.types import RockyType, parse_type

__all__ = [
    "Column",
    "ColumnRef",
    "LineageEdge",
    "ModelIR",
    "ProjectIR",
    "TableRef",
    "canonical_json",
]


def canonical_json(value: Any) -> str:
    """The one canonical JSON used for every hash: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class TableRef:
    catalog: str | None
    schema: str | None
    table: str

    @property
    def key(self) -> str:
        return ".".join(p for p in (self.catalog, self.schema, self.table) if p)

    def to_json(self) -> dict[str, Any]:
        return {"catalog": self.catalog, "schema": self.schema, "table": self.table}


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: RockyType
    nullable: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": str(self.type), "nullable": self.nullable}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Column:
        return cls(data["name"], parse_type(data["type"]), bool(data["nullable"]))


@dataclass(frozen=True, slots=True)
class ColumnRef:
    """A column of a model, or of an external source (``model`` is then the
    source's dotted name as written, e.g. ``raw__orders.orders``)."""

    model: str
    column: str

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "column": self.column}


@dataclass(frozen=True, slots=True)
class LineageEdge:
    """``target`` reads ``source``. ``transform`` is ``direct``, ``cast``,
    ``try_cast``, ``expression``, ``aggregation: <fn>``, ``window: <fn>``,
    ``join_key`` or ``filter``."""

    source: ColumnRef
    target: ColumnRef
    transform: str

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source.to_json(),
            "target": self.target.to_json(),
            "transform": self.transform,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LineageEdge:
        return cls(
            ColumnRef(**data["source"]), ColumnRef(**data["target"]), data["transform"]
        )


@dataclass(frozen=True, slots=True)
class ModelIR:
    """One compiled model.

    ``sql`` is the model's SELECT rendered in the project dialect after
    ``@var`` substitution (ephemeral upstreams are *not* inlined here; the
    materializer does that). ``config`` is the resolved sidecar as plain data
    (see rocky.config.ModelConfig.model_dump(mode="json"))."""

    name: str
    file: str
    kind: str  # "sql" | "rocky"
    sql: str
    target: TableRef
    strategy: dict[str, Any]
    depends_on: tuple[str, ...]
    external_refs: tuple[str, ...]
    columns: tuple[Column, ...]
    lineage: tuple[LineageEdge, ...]
    config: dict[str, Any] = field(default_factory=dict)
    content_hash: str = ""
    # False when the column list may be incomplete (SELECT * over a source
    # whose columns are unknown); checks that need every column skip then.
    schema_complete: bool = True
    # The model's own SELECT list uses * (P002, W030 read this).
    select_star: bool = False

    @property
    def strategy_type(self) -> str:
        return str(self.strategy.get("type", "full_refresh"))

    def column(self, name: str) -> Column | None:
        lowered = name.lower()
        for col in self.columns:
            if col.name.lower() == lowered:
                return col
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.file,
            "kind": self.kind,
            "sql": self.sql,
            "target": self.target.to_json(),
            "strategy": self.strategy,
            "depends_on": list(self.depends_on),
            "external_refs": list(self.external_refs),
            "columns": [c.to_json() for c in self.columns],
            "lineage": [e.to_json() for e in self.lineage],
            "config": self.config,
            "content_hash": self.content_hash,
            "schema_complete": self.schema_complete,
            "select_star": self.select_star,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelIR:
        return cls(
            name=data["name"],
            file=data["file"],
            kind=data["kind"],
            sql=data["sql"],
            target=TableRef(**data["target"]),
            strategy=data["strategy"],
            depends_on=tuple(data["depends_on"]),
            external_refs=tuple(data["external_refs"]),
            columns=tuple(Column.from_json(c) for c in data["columns"]),
            lineage=tuple(LineageEdge.from_json(e) for e in data["lineage"]),
            config=data.get("config", {}),
            content_hash=data.get("content_hash", ""),
            schema_complete=data.get("schema_complete", True),
            select_star=data.get("select_star", False),
        )


@dataclass(slots=True)
class ProjectIR:
    """The whole compiled project. ``models`` is in execution order
    (Kahn's algorithm, alphabetical tie-break); ``layers`` groups models that
    can run concurrently."""

    dialect: str
    models: dict[str, ModelIR]
    layers: list[list[str]]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, tuple[Column, ...]] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    def downstream(self, name: str) -> list[str]:
        """Models that read ``name`` directly."""
        return [m.name for m in self.models.values() if name in m.depends_on]
