"""Where the columns of external sources come from: a chain of providers.

1. seeds (``seeds/*.csv``) with their inferred or declared column types;
2. ``data/seed.sql`` run in an in-memory DuckDB (``--with-seed``);
3. columns declared on a sidecar's ``[[sources]]``;
4. the warehouse catalog through an adapter, cached in the state file's
   ``schema_cache`` table for ``cache_ttl`` seconds (off unless asked for).

The first provider that knows a table wins. A reference no provider knows
stays Unknown, and is an E003 error only when the chain is *complete*: the
seeded database (``--with-seed``) or a live catalog stands for the whole
warehouse.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from rocky.errors import RockyError
from rocky.ir import Column, TableRef
from rocky.types import UNKNOWN, RockyType, from_warehouse, parse_type

__all__ = [
    "DEFAULT_CACHE_TTL",
    "CatalogProvider",
    "CatalogReader",
    "SchemaChain",
    "TableIndex",
    "seed_sql_tables",
]

DEFAULT_CACHE_TTL = 86_400
_DEFAULT_SCHEMAS = ("main", "public", "default", "")
_SYSTEM_SCHEMAS = ("information_schema", "pg_catalog")

Key = tuple[str, str, str]


class CatalogReader(Protocol):
    """What provider 4 needs from an adapter (rocky.adapters.Adapter fits)."""

    def describe_table(self, ref: TableRef) -> list[Column] | None: ...


def _drop(entries: list[tuple[Column, ...]], item: tuple[Column, ...]) -> None:
    for i, entry in enumerate(entries):
        if entry is item:
            del entries[i]
            return


class TableIndex:
    """Tables known in memory, matched case-insensitively: a 3-part name
    exactly (or by schema and table when its catalog is not one we hold), a
    2-part name by schema and table, a 1-part name in a default schema."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._full: dict[Key, tuple[Column, ...]] = {}
        self._by_schema: dict[tuple[str, str], list[tuple[Column, ...]]] = {}
        self._by_table: dict[str, list[tuple[Column, ...]]] = {}

    def add(
        self, catalog: str | None, schema: str | None, table: str, columns: Sequence[Column]
    ) -> None:
        cols = tuple(columns)
        cat, sch, tbl = (catalog or "").lower(), (schema or "").lower(), table.lower()
        old = self._full.get((cat, sch, tbl))
        if old is not None:
            # Declaring the same table again replaces it; it must not make the
            # short names look ambiguous.
            _drop(self._by_schema[(sch, tbl)], old)
            if sch in _DEFAULT_SCHEMAS:
                _drop(self._by_table[tbl], old)
        self._full[(cat, sch, tbl)] = cols
        self._by_schema.setdefault((sch, tbl), []).append(cols)
        if sch in _DEFAULT_SCHEMAS:
            self._by_table.setdefault(tbl, []).append(cols)

    def __len__(self) -> int:
        return len(self._full)

    def to_data(self) -> tuple[Any, ...]:
        """Plain (marshal-able) data that :meth:`from_data` turns back into
        an identical index, for a worker process."""
        from rocky.compiler.packing import pack_columns

        return (
            self.name,
            tuple((k, pack_columns(v)) for k, v in self._full.items()),
            tuple((k, tuple(pack_columns(c) for c in v)) for k, v in self._by_schema.items()),
            tuple((k, tuple(pack_columns(c) for c in v)) for k, v in self._by_table.items()),
        )

    @classmethod
    def from_data(cls, data: Any, unpack: Any) -> TableIndex:
        name, full, by_schema, by_table = data
        index = cls(name)
        index._full = {tuple(k): unpack.columns(v) for k, v in full}
        index._by_schema = {tuple(k): [unpack.columns(c) for c in v] for k, v in by_schema}
        index._by_table = {k: [unpack.columns(c) for c in v] for k, v in by_table}
        return index

    def lookup(self, parts: tuple[str, ...]) -> tuple[Column, ...] | None:
        low = tuple(p.lower() for p in parts)
        if len(low) >= 3:
            hit = self._full.get((low[-3], low[-2], low[-1]))
            if hit is not None:
                return hit
            found = self._by_schema.get((low[-2], low[-1]), [])
            return found[0] if len(found) == 1 else None
        if len(low) == 2:
            found = self._by_schema.get(low, [])
            return found[0] if len(found) == 1 else None
        if len(low) == 1:
            found = self._by_table.get(low[0], [])
            return found[0] if len(found) == 1 else None
        return None


def seed_sql_tables(path: Path) -> TableIndex:
    """Run ``data/seed.sql`` in an in-memory DuckDB and read back every
    table's columns, types and nullability."""
    import duckdb

    index = TableIndex("seed.sql")
    try:
        script = path.read_text(encoding="utf-8")
    except OSError as err:
        raise RockyError(f"cannot read {path}: {err.strerror}") from None
    con = duckdb.connect(":memory:")
    try:
        try:
            con.execute(script)
        except duckdb.Error as err:
            first = str(err).splitlines()[0]
            raise RockyError(f"data/seed.sql failed in DuckDB: {first}", file=path) from None
        rows = con.execute(
            "SELECT table_catalog, table_schema, table_name, column_name, data_type, "
            "is_nullable FROM information_schema.columns "
            "ORDER BY table_catalog, table_schema, table_name, ordinal_position"
        ).fetchall()
    finally:
        con.close()
    grouped: dict[Key, list[Column]] = {}
    for cat, sch, tbl, col, dtype, is_nullable in rows:
        if str(sch).lower() in _SYSTEM_SCHEMAS:
            continue
        grouped.setdefault((cat, sch, tbl), []).append(
            Column(col, from_warehouse(str(dtype)), str(is_nullable).upper() != "NO")
        )
    for (cat, sch, tbl), cols in grouped.items():
        index.add(cat, sch, tbl, cols)
    return index


def _declared_columns(raw: Any) -> list[Column] | None:
    """Columns declared on a ``[[sources]]`` entry: a list of
    ``{name, type, nullable}`` (dicts or objects) or a table ``name = "Type"``."""
    if not raw:
        return None
    if isinstance(raw, dict):
        items: list[Any] = [
            {"name": k, **(v if isinstance(v, dict) else {"type": v})} for k, v in raw.items()
        ]
    else:
        items = list(raw)
    out: list[Column] = []
    for item in items:
        if not isinstance(item, dict):
            item = {k: getattr(item, k, None) for k in ("name", "type", "nullable")}
        name, type_spec, nullable = item.get("name"), item.get("type"), item.get("nullable")
        if not name:
            continue
        if isinstance(type_spec, RockyType):
            rtype = type_spec
        elif type_spec:
            try:
                rtype = parse_type(str(type_spec))
            except ValueError:
                rtype = from_warehouse(str(type_spec))
        else:
            rtype = UNKNOWN
        out.append(Column(str(name), rtype, True if nullable is None else bool(nullable)))
    return out


class CatalogProvider:
    """Provider 4: the warehouse catalog, cached in ``schema_cache`` of the
    state file. ``ttl`` seconds (0 always refetches)."""

    name = "catalog"

    def __init__(
        self,
        reader: CatalogReader,
        state_path: Path | None,
        ttl: int | None,
        scope: str = "default",
    ) -> None:
        self.reader = reader
        self.state_path = state_path
        self.ttl = DEFAULT_CACHE_TTL if ttl is None else max(0, int(ttl))
        self.scope = scope
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection | None:
        if self.state_path is None:
            return None
        if self._db is None:
            self._db = sqlite3.connect(self.state_path)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS schema_cache "
                "(key TEXT PRIMARY KEY, record TEXT, fetched_at TEXT)"
            )
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.commit()
            self._db.close()
            self._db = None

    def lookup(self, parts: tuple[str, ...]) -> tuple[Column, ...] | None:
        key = f"{self.scope}:{'.'.join(p.lower() for p in parts)}"
        db = self._conn()
        now = dt.datetime.now(dt.UTC)
        if db is not None and self.ttl > 0:
            row = db.execute(
                "SELECT record, fetched_at FROM schema_cache WHERE key = ?", (key,)
            ).fetchone()
            if row is not None:
                fetched = dt.datetime.fromisoformat(row[1])
                if (now - fetched).total_seconds() < self.ttl:
                    return tuple(Column.from_json(c) for c in json.loads(row[0])["columns"])
        if not parts:
            return None
        padded: list[str | None] = [None, None, *parts[-3:]]
        ref = TableRef(padded[-3], padded[-2], str(padded[-1]))
        # An unquoted name is stored as the engine folds it (Snowflake: upper
        # case); a quoted one as written, so that spelling is the fallback.
        from rocky.identifiers import fold_ref, identifier_folder

        fold = identifier_folder(getattr(self.reader, "normalize_identifier", None))
        folded = fold_ref(ref, fold)
        cols = self.reader.describe_table(folded)
        if cols is None and folded != ref:
            cols = self.reader.describe_table(ref)
        if cols is None:
            return None
        if db is not None:
            record = json.dumps({"columns": [c.to_json() for c in cols]}, sort_keys=True)
            db.execute(
                "INSERT OR REPLACE INTO schema_cache (key, record, fetched_at) VALUES (?, ?, ?)",
                (key, record, now.isoformat().replace("+00:00", "Z")),
            )
        return tuple(cols)


class SchemaChain:
    """The providers in order; remembers every lookup for ProjectIR.sources."""

    def __init__(
        self, indexes: list[TableIndex], catalog: CatalogProvider | None, complete: bool
    ) -> None:
        self.indexes = indexes
        self.catalog = catalog
        self.complete = complete or catalog is not None
        self._memo: dict[tuple[str, ...], tuple[Column, ...] | None] = {}
        self._prints: dict[tuple[str, ...], str] = {}

    @classmethod
    def for_project(
        cls, project: Any, *, with_seed: bool, catalog: CatalogProvider | None
    ) -> SchemaChain:
        seeds = TableIndex("seeds")
        for seed in getattr(project, "seeds", []) or []:
            ref = seed.target
            seeds.add(ref.catalog, ref.schema, ref.table, seed.columns())
        indexes = [seeds]
        seed_sql = getattr(project, "seed_sql", None)
        if with_seed and seed_sql is not None:
            indexes.append(seed_sql_tables(Path(seed_sql)))
        declared = TableIndex("sources")
        for model in project.models.values():
            for src in getattr(model.config, "sources", None) or []:
                cols = _declared_columns(getattr(src, "columns", None))
                if cols:
                    declared.add(
                        getattr(src, "catalog", None),
                        getattr(src, "schema_", None) or getattr(src, "schema", None),
                        src.table,
                        cols,
                    )
        indexes.append(declared)
        return cls(indexes, catalog, complete=with_seed)

    def lookup(self, parts: tuple[str, ...]) -> tuple[Column, ...] | None:
        memo = self._memo
        if parts in memo:
            return memo[parts]
        found: tuple[Column, ...] | None = None
        for index in self.indexes:
            found = index.lookup(parts)
            if found is not None:
                break
        if found is None and self.catalog is not None:
            found = self.catalog.lookup(parts)
        memo[parts] = found
        return found

    def fingerprint(self, parts: tuple[str, ...]) -> str:
        """What a model's cache key needs to know about a source."""
        found = self._prints.get(parts)
        if found is not None:
            return found
        cols = self.lookup(parts)
        if cols is None:
            found = "?" if not self.complete else "!"
        else:
            found = json.dumps([c.to_json() for c in cols], sort_keys=True, separators=(",", ":"))
        self._prints[parts] = found
        return found

    def to_data(self) -> tuple[Any, ...]:
        """The in-memory providers (not the catalog) as plain data."""
        return (tuple(i.to_data() for i in self.indexes), self.complete)

    @classmethod
    def from_data(cls, data: Any, unpack: Any) -> SchemaChain:
        indexes, complete = data
        return cls([TableIndex.from_data(i, unpack) for i in indexes], None, bool(complete))
