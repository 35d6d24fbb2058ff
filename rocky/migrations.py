"""Named migrations of the ledger schema.

Each migration is a function registered under a unique name; the names
applied are kept in ``_rocky_migrations`` with the time they ran, so an
auditor can see how a ledger file evolved. Migrations run in registration
order, each in its own transaction, and are never edited once released:
a schema change is a new migration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by whoever opens a database, not by every command
    import sqlite_utils

__all__ = ["MIGRATIONS", "STATE_TABLES", "Migrations"]

Migration = Callable[["sqlite_utils.Database"], None]

# Key-value tables that hold one canonical JSON record per key, named as in
# the original tool. Columns: the key parts, then ``record`` and ``updated_at``.
STATE_TABLES: dict[str, tuple[str, ...]] = {
    "output_artifacts": ("run_id", "model", "path"),
    "input_index": ("input_hash",),
    "input_provenance": ("run_id", "model"),
    "branches": ("name",),
    "watermarks": ("table_key",),
    "partitions": ("model", "key"),
    "grace_periods": ("table_key", "column_name"),
    "tombstones": ("key",),
    "policy_decisions": ("key",),
    "idempotency_keys": ("key",),
    "quality_history": ("key",),
    "check_history": ("key",),
    "dag_snapshots": ("key",),
    "run_progress": ("run_id", "model"),
    "loaded_files": ("key",),
    "run_statements": ("run_id", "model"),
}


@dataclass
class Migrations:
    """An ordered set of named migrations (the sqlite-utils idiom)."""

    name: str
    steps: list[tuple[str, Migration]] = field(default_factory=list)

    def __call__(self, name: str) -> Callable[[Migration], Migration]:
        def register(fn: Migration) -> Migration:
            if any(existing == name for existing, _ in self.steps):
                raise ValueError(f"migration {name!r} is registered twice")
            self.steps.append((name, fn))
            return fn

        return register

    def applied(self, db: sqlite_utils.Database) -> list[str]:
        if "_rocky_migrations" not in db.table_names():
            return []
        rows = db.execute(
            "SELECT name FROM _rocky_migrations WHERE migration_set = ? ORDER BY rowid",
            [self.name],
        ).fetchall()
        return [r[0] for r in rows]

    def pending(self, db: sqlite_utils.Database) -> list[str]:
        done = set(self.applied(db))
        return [name for name, _ in self.steps if name not in done]

    def unknown(self, db: sqlite_utils.Database) -> list[str]:
        """Migrations recorded in ``db`` that this set does not have: the
        file was written by a newer version, whose schema this one must not
        write (nor trust to read)."""
        known = {name for name, _ in self.steps}
        return [name for name in self.applied(db) if name not in known]

    def apply(self, db: sqlite_utils.Database) -> list[str]:
        """Apply every pending migration; return the names applied. Each runs
        inside ``BEGIN IMMEDIATE`` so two processes opening a fresh ledger at
        once cannot both apply it."""
        ran: list[str] = []
        conn = db.conn
        for name, fn in self.steps:
            conn.execute("BEGIN IMMEDIATE")
            try:
                _ensure_table(db)
                exists = conn.execute(
                    "SELECT 1 FROM _rocky_migrations WHERE migration_set = ? AND name = ?",
                    [self.name, name],
                ).fetchone()
                if exists is None:
                    fn(db)
                    conn.execute(
                        "INSERT INTO _rocky_migrations (migration_set, name, applied_at) "
                        "VALUES (?, ?, ?)",
                        [self.name, name, datetime.now(UTC).isoformat()],
                    )
                    ran.append(name)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return ran


def _ensure_table(db: sqlite_utils.Database) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS _rocky_migrations ("
        "migration_set TEXT NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL, "
        "PRIMARY KEY (migration_set, name))"
    )


MIGRATIONS = Migrations("rocky")


@MIGRATIONS("m001_run_history")
def m001_run_history(db: sqlite_utils.Database) -> None:
    db["run_history"].create(  # type: ignore[union-attr]
        {
            "seq": int,
            "run_id": str,
            "started_at": str,
            "finished_at": str,
            "status": str,
            "record": str,
            "record_hash": str,
            "prev_hash": str,
        },
        pk="seq",
        not_null={"run_id", "started_at", "status", "record", "record_hash", "prev_hash"},
    )
    db["run_history"].create_index(["run_id"], unique=True)  # type: ignore[union-attr]
    db["ledger_meta"].create({"key": str, "value": str}, pk="key")  # type: ignore[union-attr]


@MIGRATIONS("m002_state_tables")
def m002_state_tables(db: sqlite_utils.Database) -> None:
    for table, keys in STATE_TABLES.items():
        columns: dict[str, type] = dict.fromkeys(keys, str)
        columns["record"] = str
        columns["updated_at"] = str
        db[table].create(  # type: ignore[union-attr]
            columns, pk=keys if len(keys) > 1 else keys[0], not_null={*keys, "record"}
        )
    # The compiler's catalog cache may have created this table already, with
    # the same shape, before the ledger was first opened.
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_cache "
        "(key TEXT PRIMARY KEY, record TEXT, fetched_at TEXT)"
    )
