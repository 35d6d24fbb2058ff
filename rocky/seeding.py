"""Loading ``seeds/*.csv`` into the warehouse (``rocky seed``).

Each seed becomes a table with the inferred or declared column types: rows
go into a staging table in batches of 500 ``INSERT ... VALUES``, then the
staging table replaces the target in one statement, so readers never see a
half-loaded seed and a bad row leaves the previous table as it was. An
empty cell loads as NULL.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from rocky.adapters import Capability
from rocky.errors import AdapterError, RockyError
from rocky.ir import TableRef
from rocky.materialize import table_expr

if TYPE_CHECKING:
    from rocky.adapters import Adapter
    from rocky.seeds import SeedFile

__all__ = ["BATCH_ROWS", "SeedResult", "load_seed", "load_seeds", "seed_project"]

BATCH_ROWS = 500
_STRING_TYPES = ("STRING", "VARCHAR", "TEXT")


@dataclass(frozen=True, slots=True)
class SeedResult:
    name: str
    target: TableRef
    rows: int
    columns: list[tuple[str, str]]
    duration_ms: int

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "target": self.target.key,
            "rows": self.rows,
            "columns": [{"name": n, "type": t} for n, t in self.columns],
            "duration_ms": self.duration_ms,
        }


def _cell(value: str, sql_type: str, dialect: str) -> exp.Expression:
    text = value.strip()
    if text == "":
        return exp.Null()
    if sql_type.upper() in _STRING_TYPES:
        return exp.Literal.string(value)
    return exp.cast(exp.Literal.string(text), exp.DataType.build(sql_type, dialect=dialect))


def _batches(rows: list[list[str]], size: int) -> Iterable[list[list[str]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _sidecar_name(seed: SeedFile) -> str:
    return str(PurePosixPath(seed.rel_path).with_suffix(".toml"))


def _data_types(seed: SeedFile, columns: list[tuple[str, str]], dialect: str) -> list[exp.DataType]:
    """Every column's type as a sqlglot DataType; a declared type that is
    not one is a RockyError naming the sidecar, before any table is touched."""
    from sqlglot.errors import SqlglotError

    out: list[exp.DataType] = []
    for name, sql_type in columns:
        try:
            out.append(exp.DataType.build(sql_type, dialect=dialect))
        except (SqlglotError, ValueError):
            raise RockyError(
                f"[column_types] {name} = '{sql_type}' is not a SQL type",
                file=_sidecar_name(seed),
                hint="declare a type the warehouse knows, e.g. BIGINT or DECIMAL(10,2)",
            ) from None
    return out


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A seed read and checked, ready to load: every file error is raised
    while building this, before the warehouse is touched."""

    seed: SeedFile
    columns: list[tuple[str, str]]
    types: list[exp.DataType]
    rows: list[list[str]]
    read_s: float


def _prepare(seed: SeedFile, dialect: str) -> _Prepared:
    started = time.monotonic()
    columns = seed.sql_types()
    header, rows = seed.header_and_rows()
    width = len(header)
    for number, row in enumerate(rows, start=2):
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            raise RockyError(
                f"row has {len(row)} cells but the header names {width} columns",
                file=seed.rel_path,
                line=number,
            )
    types = _data_types(seed, columns, dialect)
    return _Prepared(seed, columns, types, rows, time.monotonic() - started)


def load_seed(adapter: Adapter, seed: SeedFile, dialect: str) -> SeedResult:
    """Load one seed; returns what was loaded. Raises a RockyError naming
    the seed file when it is malformed or the warehouse refuses a row, or
    the sidecar when a hook or a declared type is wrong."""
    return _load(adapter, _prepare(seed, dialect), dialect)


def _load(adapter: Adapter, prepared: _Prepared, dialect: str) -> SeedResult:
    started = time.monotonic() - prepared.read_s
    seed, columns, types, rows = prepared.seed, prepared.columns, prepared.types, prepared.rows
    target = seed.target
    staging = TableRef(target.catalog, target.schema, f"{target.table}__rocky_seed")

    def run(expression: exp.Expression | str) -> None:
        sql = expression if isinstance(expression, str) else expression.sql(dialect=dialect)
        adapter.execute(sql)

    def hooks(kind: str, statements: list[str], state: str) -> None:
        for hook in statements:
            try:
                run(hook)
            except AdapterError as exc:
                raise RockyError(
                    f"a {kind} failed ({state}): {exc.message}", file=_sidecar_name(seed)
                ) from None

    if target.schema:
        adapter.create_schema(target.catalog, target.schema)
    hooks("pre_hook", seed.pre_hook, "nothing was loaded")
    schema = exp.Schema(
        this=table_expr(staging),
        expressions=[
            exp.ColumnDef(this=exp.to_identifier(name, quoted=True), kind=kind)
            for (name, _), kind in zip(columns, types, strict=True)
        ],
    )
    run(exp.Create(this=schema, kind="TABLE", replace=True))
    try:
        for batch in _batches(rows, BATCH_ROWS):
            values = exp.values(
                [
                    exp.Tuple(
                        expressions=[
                            _cell(row[i] if i < len(row) else "", sql_type, dialect)
                            for i, (_, sql_type) in enumerate(columns)
                        ]
                    )
                    for row in batch
                ]
            )
            run(exp.Insert(this=table_expr(staging), expression=values))
        _swap(adapter, staging, target, dialect)
    except AdapterError as exc:
        _drop(adapter, staging, dialect)
        raise RockyError(f"loading the seed failed: {exc.message}", file=seed.rel_path) from None
    except BaseException:
        _drop(adapter, staging, dialect)
        raise
    hooks("post_hook", seed.post_hook, f"the seed is loaded into {target.key}")
    return SeedResult(
        seed.name, target, len(rows), columns, int((time.monotonic() - started) * 1000)
    )


def _swap(adapter: Adapter, staging: TableRef, target: TableRef, dialect: str) -> None:
    """Replace ``target`` by ``staging`` in one statement where possible."""
    select = exp.select("*").from_(table_expr(staging))
    if adapter.supports(Capability.CREATE_OR_REPLACE):
        create = exp.Create(this=table_expr(target), kind="TABLE", expression=select, replace=True)
        adapter.execute(create.sql(dialect=dialect))
        _drop(adapter, staging, dialect)
        return
    drop = exp.Drop(tables=[table_expr(target)], kind="TABLE", exists=True)
    adapter.execute(drop.sql(dialect=dialect))
    rename = exp.Alter(
        this=table_expr(staging),
        kind="TABLE",
        actions=[exp.AlterRename(this=exp.table_(target.table, quoted=True))],
    )
    adapter.execute(rename.sql(dialect=dialect))


def _drop(adapter: Adapter, ref: TableRef, dialect: str) -> None:
    drop = exp.Drop(tables=[table_expr(ref)], kind="TABLE", exists=True)
    with contextlib.suppress(AdapterError):
        adapter.execute(drop.sql(dialect=dialect))


def load_seeds(
    adapter: Adapter, seeds: list[SeedFile], dialect: str, *, select: Iterable[str] | None = None
) -> list[SeedResult]:
    """Load ``seeds`` (or only those named in ``select``) in name order.
    Every chosen seed is read and checked before the first is loaded."""
    prepared = [_prepare(seed, dialect) for seed in _choose(seeds, select)]
    return [_load(adapter, one, dialect) for one in prepared]


def _choose(seeds: list[SeedFile], select: Iterable[str] | None) -> list[SeedFile]:
    wanted = set(select) if select is not None else None
    if wanted is not None:
        unknown = sorted(wanted - {s.name for s in seeds})
        if unknown:
            raise RockyError(f"no seed named '{unknown[0]}'", hint="seeds are seeds/<name>.csv")
    return [s for s in sorted(seeds, key=lambda s: s.name) if wanted is None or s.name in wanted]


def seed_project(
    config_path: Path,
    *,
    state_path: Path | None = None,
    select: Iterable[str] | None = None,
    lock_timeout: float = 30.0,
) -> list[SeedResult]:
    """``rocky seed``: load a project's seeds under the run lock, so a seed
    never rewrites a table while a run reads it. A malformed seed file
    fails before the warehouse is opened."""
    from rocky.project import load_project
    from rocky.runlock import RunLock, lock_holder
    from rocky.session import ledger_path, open_adapter

    project = load_project(config_path)
    if not project.seeds:
        raise RockyError("the project has no seeds", hint="add seeds/<name>.csv")
    adapter = open_adapter(project)
    dialect = adapter.dialect
    prepared = [_prepare(seed, dialect) for seed in _choose(project.seeds, select)]
    with RunLock(ledger_path(project.root, state_path), timeout=lock_timeout) as lock:
        lock.acquire(lock_holder("seed"))
        adapter.connect()
        try:
            return [_load(adapter, one, dialect) for one in prepared]
        finally:
            adapter.close()
