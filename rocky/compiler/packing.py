"""Per-model results as plain tuples, for the cache file and worker processes.

Only ``marshal``-able values (str, int, bool, None, tuples): loading them
back is a fraction of the cost of parsing, unlike a pickled sqlglot tree.
Types travel as an exact structural code (not their spelling, which a
Struct may not round-trip), and an :class:`Unpacker` shares one RockyType,
ColumnRef and Column object per distinct value across a whole compile.
"""

from __future__ import annotations

import marshal
from sys import intern
from typing import Any, Final, TypeAlias

import blake3

from rocky.compiler.results import FrontEnd, ModelResult
from rocky.ir import Column, ColumnRef, LineageEdge
from rocky.types import RockyType

__all__ = [
    "PackedFront",
    "PackedResult",
    "Unpacker",
    "front_blob",
    "pack_columns",
    "pack_front",
    "pack_result",
    "result_blob",
    "schema_key",
    "type_code",
]

PackedFront: TypeAlias = tuple[Any, ...]
PackedResult: TypeAlias = tuple[Any, ...]
TypeCode: TypeAlias = tuple[Any, ...]

_CODES: dict[RockyType, TypeCode] = {}


def type_code(t: RockyType) -> TypeCode:
    """``(kind, precision, scale, (arg codes...), field_names)``."""
    code = _CODES.get(t)
    if code is None:
        code = (t.kind, t.precision, t.scale, tuple(type_code(a) for a in t.args), t.field_names)
        _CODES[t] = code
    return code


def pack_front(front: FrontEnd) -> PackedFront:
    return (
        front.sql,
        front.refs,
        front.uses_start,
        front.uses_end,
        front.ok,
        front.select_star,
        front.diags,
    )


PackedColumn: TypeAlias = tuple[str, TypeCode, bool]

# id(column) -> (column, packed): a compile packs each column several times
# (cache entry, schema key, worker message, snapshot view) and shares one
# Column object per distinct column (:meth:`Unpacker.column`). Holding the
# column keeps its id from being reused; the memo is emptied when it grows.
_PACKED: dict[int, tuple[Column, PackedColumn]] = {}
_PACKED_MAX: Final = 100_000


def pack_columns(columns: tuple[Column, ...]) -> tuple[PackedColumn, ...]:
    memo = _PACKED
    out: list[PackedColumn] = []
    for c in columns:
        found = memo.get(id(c))
        if found is None:
            if len(memo) >= _PACKED_MAX:
                memo.clear()
            found = memo[id(c)] = (c, (c.name, type_code(c.type), c.nullable))
        out.append(found[1])
    return tuple(out)


def schema_key(packed_columns: Any, complete: bool) -> str:
    """A key of a model's compiled schema (its dependents' cache keys
    include it): the same in every process for the same columns."""
    text = f"{packed_columns!r}|{bool(complete)}"
    return blake3.blake3(text.encode("utf-8")).hexdigest()


def pack_result(result: ModelResult) -> PackedResult:
    """Lineage edges lose their target model: it is always the model itself."""
    edges = []
    for e in result.lineage:
        source = e.source
        edges.append((source.model, source.column, e.target.column, e.transform))
    return (pack_columns(result.columns), result.complete, tuple(edges), result.diags)


def front_blob(front: FrontEnd) -> bytes:
    """A front end as bytes (a cache entry, or what a worker sends)."""
    return marshal.dumps(pack_front(front))


def result_blob(result: ModelResult, key: str) -> bytes:
    """A result and its schema key as bytes (a cache entry, or what a worker sends)."""
    return marshal.dumps((pack_result(result), key))


class Unpacker:
    """Turns packed tuples back into IR objects, one shared object per value
    (and one string per column name: ``id`` is a column of thousands of
    models)."""

    def __init__(self) -> None:
        self._types: dict[TypeCode, RockyType] = {}
        # model -> column -> ref: no key tuple per reference (there are
        # about as many references as columns in the project)
        self._refs: dict[str, dict[str, ColumnRef]] = {}
        self._columns: dict[tuple[str, TypeCode, bool], Column] = {}

    def rocky_type(self, code: TypeCode) -> RockyType:
        t = self._types.get(code)
        if t is None:
            kind, precision, scale, args, names = code
            t = RockyType(
                kind, precision, scale, tuple(self.rocky_type(a) for a in args), tuple(names)
            )
            self._types[code] = t
        return t

    def ref(self, model: str, column: str) -> ColumnRef:
        refs = self._refs.get(model)
        if refs is None:
            refs = self._refs[model] = {}
        found = refs.get(column)
        if found is None:
            found = refs[column] = ColumnRef(model, intern(column))
        return found

    def column(self, name: str, type_: RockyType, nullable: bool) -> Column:
        """The shared Column of that name, type and nullability."""
        key = (name, type_code(type_), nullable)
        col = self._columns.get(key)
        if col is None:
            col = self._columns[key] = Column(intern(name), type_, nullable)
        return col

    def columns(self, packed: Any) -> tuple[Column, ...]:
        out: list[Column] = []
        cache = self._columns
        for item in packed:
            col = cache.get(item)
            if col is None:
                name, code, nullable = item
                col = cache[item] = Column(intern(name), self.rocky_type(code), bool(nullable))
            out.append(col)
        return tuple(out)

    def front(self, packed: Any, text: str | None = None) -> FrontEnd:
        """``text``: the model's source, shared as the SQL when they are the
        same (a plain SQL model), instead of holding the text twice."""
        sql, refs, start, end, ok, star, diags = packed
        return FrontEnd(
            text if text is not None and sql == text else sql,
            tuple(tuple(r) for r in refs),
            bool(start),
            bool(end),
            bool(ok),
            bool(star),
            tuple(tuple(d) for d in diags),
        )

    def front_blob(self, blob: bytes, text: str | None = None) -> FrontEnd:
        return self.front(marshal.loads(blob), text)

    def result_blob(self, model: str, blob: bytes, join_ns: int = 0) -> tuple[ModelResult, str]:
        """``model``'s result and schema key from :func:`result_blob` bytes."""
        packed, key = marshal.loads(blob)
        return self.result(model, packed, join_ns), str(key)

    def result(self, model: str, packed: Any, join_ns: int = 0) -> ModelResult:
        cols, complete, edges, diags = packed
        refs = self._refs
        own = refs.get(model)
        if own is None:
            own = refs[model] = {}
        lineage: list[LineageEdge] = []
        last_model: str | None = None
        of_model = own
        for sm, sc, tc, tr in edges:
            # the hot loop of a warm compile: interning inlined (edges come
            # grouped by target column, sources sorted: the source model
            # often repeats)
            if sm != last_model:
                found = refs.get(sm)
                if found is None:
                    found = refs[sm] = {}
                last_model, of_model = sm, found
            source = of_model.get(sc)
            if source is None:
                source = of_model[sc] = ColumnRef(intern(sm), intern(sc))
            target = own.get(tc)
            if target is None:
                target = own[tc] = ColumnRef(model, intern(tc))
            lineage.append(LineageEdge(source, target, tr))
        return ModelResult(
            self.columns(cols),
            bool(complete),
            tuple(lineage),
            tuple(tuple(d) for d in diags),
            join_ns,
        )
