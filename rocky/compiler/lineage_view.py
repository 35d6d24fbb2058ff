"""A compact form of a ModelIR for the project snapshot: what lineage
queries and an incremental compile read (columns, edges, dependencies,
target, strategy, resolved config), without the SQL. Packed with
``marshal``; unpacked per model, so a query over a few models decodes only
those. Columns keep the compiler's packed form (exact type codes)."""

from __future__ import annotations

import marshal
from typing import Any, NamedTuple

from rocky.compiler.packing import Unpacker, pack_columns
from rocky.ir import Column, LineageEdge, ModelIR, TableRef

__all__ = ["View", "pack_model", "pack_sources", "unpack_model", "unpack_sources", "view"]


class View(NamedTuple):
    """A packed model, field by field."""

    file: str
    kind: str
    target: tuple[str | None, str | None, str]
    strategy: dict[str, Any]
    depends_on: tuple[str, ...]
    external_refs: tuple[str, ...]
    columns: tuple[Any, ...]  # rocky.compiler.packing.pack_columns
    lineage: tuple[tuple[str, str, str, str, str], ...]
    content_hash: str
    schema_complete: bool
    select_star: bool
    config: dict[str, Any]
    line_offset: int


def _edges(lineage: tuple[LineageEdge, ...]) -> tuple[tuple[str, str, str, str, str], ...]:
    """Each edge as (source model, source column, target model, target
    column, transform)."""
    out = []
    for e in lineage:
        s, t = e.source, e.target
        out.append((s.model, s.column, t.model, t.column, e.transform))
    return tuple(out)


def view(blob: bytes) -> View:
    return View(*marshal.loads(blob))


def pack_model(m: ModelIR, line_offset: int) -> bytes:
    """``line_offset``: the model's first line in its file, less one."""
    t = m.target
    return marshal.dumps(
        (
            m.file,
            m.kind,
            (t.catalog, t.schema, t.table),
            m.strategy,
            m.depends_on,
            m.external_refs,
            pack_columns(m.columns),
            _edges(m.lineage),
            m.content_hash,
            m.schema_complete,
            m.select_star,
            m.config,
            line_offset,
        )
    )


def unpack_model(name: str, blob: bytes, unpack: Unpacker | None = None) -> ModelIR:
    """The ModelIR of ``name``, with an empty ``sql``."""
    v = view(blob)
    unpack = unpack or Unpacker()
    return ModelIR(
        name=name,
        file=v.file,
        kind=v.kind,
        sql="",
        target=TableRef(*v.target),
        strategy=v.strategy,
        depends_on=tuple(v.depends_on),
        external_refs=tuple(v.external_refs),
        columns=unpack.columns(v.columns),
        lineage=tuple(
            LineageEdge(unpack.ref(sm, sc), unpack.ref(tm, tc), transform)
            for sm, sc, tm, tc, transform in v.lineage
        ),
        config=v.config,
        content_hash=v.content_hash,
        schema_complete=v.schema_complete,
        select_star=v.select_star,
    )


def pack_sources(sources: dict[str, tuple[Column, ...]]) -> bytes:
    return marshal.dumps({k: pack_columns(cols) for k, cols in sources.items()})


def unpack_sources(blob: bytes, unpack: Unpacker | None = None) -> dict[str, tuple[Column, ...]]:
    unpack = unpack or Unpacker()
    return {k: unpack.columns(cols) for k, cols in marshal.loads(blob).items()}
