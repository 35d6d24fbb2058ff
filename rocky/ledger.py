"""The state ledger: one SQLite file per project, written with sqlite-utils.

Every table keeps its key columns plus the whole record as canonical JSON
in ``record``, so ``sqlite3`` and ``json_extract`` answer an auditor without
rocky. The schema evolves through named migrations (rocky.migrations); the
file runs in WAL mode so readers never block the writer; writes use
``BEGIN IMMEDIATE`` with a busy timeout.

``run_history`` is a hash chain: each row stores blake3 of its canonical
record and the hash of the row before (``prev_hash``, also inside the record),
and ``ledger_meta`` holds the head. Editing or deleting any record breaks a
link that :meth:`Ledger.verify_chain` reports.

Only one ``rocky run`` writes a ledger at a time (rocky.runlock).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rocky import __version__
from rocky.errors import RockyError
from rocky.ir import canonical_json
from rocky.ledger_file import connect, what_to_do
from rocky.migrations import MIGRATIONS, STATE_TABLES
from rocky.records import GENESIS_HASH, RunRecord, record_hash, rfc3339, utc_now

if TYPE_CHECKING:  # sqlite-utils (and the click it imports) loads on first open
    import sqlite_utils

__all__ = [
    "ChainProblem",
    "ChainReport",
    "Ledger",
    "LedgerError",
    "StateWrite",
]

DEFAULT_BUSY_TIMEOUT = 30.0


class LedgerError(RockyError):
    """The ledger file is unreadable, or a record asked for is absent."""


@dataclass(frozen=True, slots=True)
class StateWrite:
    """One keyed record to store with a run update (watermarks, partitions,
    executed statements...)."""

    table: str
    keys: dict[str, str]
    record: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ChainProblem:
    seq: int | None
    run_id: str | None
    problem: str

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "run_id": self.run_id, "problem": self.problem}


@dataclass(slots=True)
class ChainReport:
    runs_checked: int = 0
    head_hash: str | None = None
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "runs_checked": self.runs_checked,
            "head_hash": self.head_hash,
            "problems": [p.to_json() for p in self.problems],
        }


class Ledger:
    """An open ledger file. Use from one thread (the run's main thread)."""

    def __init__(
        self,
        path: Path | str,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        readonly: bool = False,
    ) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if self.path.is_dir():
            raise LedgerError(
                "is a directory, not a ledger file",
                file=self.path,
                hint="pass --state-path with the path of a file; a missing one is created",
            )
        import sqlite_utils

        try:
            conn = connect(self.path, readonly=readonly, busy_timeout=busy_timeout)
            self.db = sqlite_utils.Database(conn)
            try:
                self._prepare_waiting(busy_timeout)
            except BaseException:
                conn.close()
                raise
        except sqlite3.DatabaseError as exc:
            raise LedgerError(
                f"cannot open the ledger: {exc}",
                file=self.path,
                hint=what_to_do(exc, readonly=readonly),
            ) from None

    def _prepare_waiting(self, busy_timeout: float) -> None:
        """:meth:`_prepare`, retried while another process holds the file:
        switching a new file to WAL takes a lock SQLite does not wait for
        (no busy handler), so writers that create the ledger at the same
        moment would otherwise fail at once. Each step is idempotent."""
        deadline = time.monotonic() + busy_timeout
        while True:
            try:
                self._prepare()
                return
            except sqlite3.OperationalError as exc:
                busy = "locked" in str(exc) or "busy" in str(exc)
                if not busy or time.monotonic() >= deadline:
                    raise
                time.sleep(0.02)

    def _prepare(self) -> None:
        unknown = MIGRATIONS.unknown(self.db)
        if unknown:
            raise LedgerError(
                f"the ledger was written by a newer rocky: migration {unknown[0]} is unknown "
                f"to rocky {__version__}",
                file=self.path,
                hint="upgrade rocky to read or write it; it was left as it was",
            )
        if self.readonly:
            pending = MIGRATIONS.pending(self.db)
            if pending:
                raise LedgerError(
                    f"the ledger lacks migration {pending[0]}",
                    file=self.path,
                    hint="run any writing command (rocky run) once to upgrade it",
                )
        else:
            self.db.enable_wal()
            MIGRATIONS.apply(self.db)
            self._ensure_meta()

    @classmethod
    def open_existing(cls, path: Path | str) -> Ledger:
        """Open an existing ledger read-only (inspection commands: they work
        on a copy an auditor cannot write, and never change the file)."""
        if not Path(path).exists():
            raise LedgerError(
                "no ledger here yet",
                file=path,
                hint="run `rocky run` first, or pass --state-path",
            )
        return cls(path, readonly=True)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions -------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``: the write lock is taken up front,
        so a concurrent writer waits (busy timeout) instead of failing late."""
        conn = self.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise LedgerError(
                f"cannot write the ledger: {exc}",
                file=self.path,
                hint=what_to_do(exc, readonly=self.readonly),
            ) from None
        try:
            yield self.db
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _ensure_meta(self) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO ledger_meta (key, value) VALUES ('created_at', ?)",
                [rfc3339(utc_now())],
            )

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM ledger_meta WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    # -- runs -----------------------------------------------------------------
    def begin_run(self, record: RunRecord) -> None:
        """Append ``record`` at the head of the chain (sets ``seq`` and
        ``prev_hash``)."""
        with self.transaction() as db:
            head = db.execute(
                "SELECT seq, record_hash FROM run_history ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            record.seq = 1 if head is None else int(head[0]) + 1
            record.prev_hash = GENESIS_HASH if head is None else str(head[1])
            if db.execute("SELECT 1 FROM run_history WHERE run_id = ?", [record.run_id]).fetchone():
                raise LedgerError(f"run id {record.run_id} is already recorded", file=self.path)
            canonical = record.canonical()
            digest = record_hash(canonical)
            db.execute(
                "INSERT INTO run_history (seq, run_id, started_at, finished_at, status, record, "
                "record_hash, prev_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    record.seq,
                    record.run_id,
                    record.started_at,
                    record.finished_at,
                    record.status,
                    canonical,
                    digest,
                    record.prev_hash,
                ],
            )
            self._set_head(db, record.seq, digest)

    def save_run(self, record: RunRecord, writes: list[StateWrite] | None = None) -> str:
        """Rewrite the head record and store ``writes`` in one transaction.
        Only the head of the chain may change; returns its new hash."""
        with self.transaction() as db:
            head = db.execute("SELECT MAX(seq) FROM run_history").fetchone()
            if head is None or head[0] != record.seq:
                raise LedgerError(
                    f"run {record.run_id} is no longer the newest record; refusing to rewrite it",
                    file=self.path,
                )
            canonical = record.canonical()
            digest = record_hash(canonical)
            db.execute(
                "UPDATE run_history SET finished_at = ?, status = ?, record = ?, record_hash = ? "
                "WHERE seq = ? AND run_id = ?",
                [record.finished_at, record.status, canonical, digest, record.seq, record.run_id],
            )
            self._set_head(db, record.seq, digest)
            for write in writes or []:
                self._put(db, write)
        return digest

    def _set_head(self, db: sqlite_utils.Database, seq: int, digest: str) -> None:
        db.execute(
            "INSERT OR REPLACE INTO ledger_meta (key, value) VALUES ('head_seq', ?), "
            "('head_hash', ?)",
            [str(seq), digest],
        )

    def run_ids(self) -> list[str]:
        return [str(r[0]) for r in self.db.execute("SELECT run_id FROM run_history ORDER BY seq")]

    def runs(self, limit: int | None = None) -> list[RunRecord]:
        """Newest first."""
        sql = "SELECT seq, record FROM run_history ORDER BY seq DESC"
        params: list[Any] = []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [self._parse(seq, text) for seq, text in self.db.execute(sql, params)]

    def _parse(self, seq: int, text: str) -> RunRecord:
        """A stored record as a RunRecord; LedgerError naming the row when
        it was edited or damaged into something that is not one."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise TypeError("not a JSON object")
            return RunRecord.from_json(data)
        except (ValueError, KeyError, TypeError) as exc:
            problem = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            raise LedgerError(
                f"run record {seq} is damaged ({problem})",
                file=self.path,
                hint="the ledger was edited or damaged: read its rows with sqlite3, "
                "or start a new ledger with --state-path",
            ) from None

    def get_run(self, run_id: str) -> RunRecord:
        """A run by id; ``latest`` is the newest."""
        if run_id == "latest":
            row = self.db.execute(
                "SELECT seq, record FROM run_history ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            if row is None:
                raise LedgerError(
                    "the ledger has no runs yet", file=self.path, hint="run `rocky run` first"
                )
        else:
            row = self.db.execute(
                "SELECT seq, record FROM run_history WHERE run_id = ?", [run_id]
            ).fetchone()
            if row is None:
                raise LedgerError(
                    f"no run '{run_id}' in the ledger",
                    file=self.path,
                    hint="`rocky history` lists the recorded runs",
                )
        return self._parse(int(row[0]), str(row[1]))

    def record_hash_of(self, run_id: str) -> str | None:
        row = self.db.execute(
            "SELECT record_hash FROM run_history WHERE run_id = ?", [run_id]
        ).fetchone()
        return None if row is None else str(row[0])

    # -- the hash chain ---------------------------------------------------------
    def verify_chain(self) -> ChainReport:
        """Recompute every record's hash and every link, and compare the head
        with ``ledger_meta``."""
        report = ChainReport()
        expected_prev = GENESIS_HASH
        expected_seq = 1
        last_hash: str | None = None
        rows = self.db.execute(
            "SELECT seq, run_id, record, record_hash, prev_hash FROM run_history ORDER BY seq"
        ).fetchall()
        for seq, run_id, text, stored_hash, prev in rows:
            report.runs_checked += 1

            def problem(message: str, seq: int = seq, run_id: str = run_id) -> None:
                report.problems.append(ChainProblem(seq, run_id, message))

            if seq != expected_seq:
                problem(f"sequence gap: expected record {expected_seq}, found {seq}")
            if record_hash(text) != stored_hash:
                problem("record was modified: its hash no longer matches record_hash")
            if prev != expected_prev:
                problem("broken link: prev_hash does not match the previous record's hash")
            try:
                data = json.loads(text)
            except ValueError:
                problem("record is not valid JSON")
                data = {}
            if isinstance(data, dict):
                if data.get("prev_hash") != prev or data.get("seq") != seq:
                    problem("record's seq/prev_hash differ from the row's key columns")
                if data.get("run_id") != run_id:
                    problem("record's run_id differs from the row's run_id")
                if canonical_json(data) != text:
                    problem("record is not in canonical JSON form")
            expected_prev = str(stored_hash)
            expected_seq = seq + 1
            last_hash = str(stored_hash)
        report.head_hash = last_hash
        head_seq, head_hash = self._meta("head_seq"), self._meta("head_hash")
        if head_hash is not None and head_hash != last_hash:
            report.problems.append(
                ChainProblem(
                    int(head_seq) if head_seq else None,
                    None,
                    "the newest record differs from the recorded head "
                    "(the latest run was deleted or edited)",
                )
            )
        elif head_hash is None and rows:
            report.problems.append(ChainProblem(None, None, "the recorded head is missing"))
        return report

    # -- keyed state -----------------------------------------------------------
    def _put(self, db: sqlite_utils.Database, write: StateWrite) -> None:
        keys = STATE_TABLES.get(write.table)
        if keys is None or set(keys) != set(write.keys):
            raise LedgerError(f"unknown state table or keys: {write.table} {sorted(write.keys)}")
        row: dict[str, Any] = dict(write.keys)
        row["record"] = canonical_json(write.record)
        row["updated_at"] = rfc3339(utc_now())
        db[write.table].upsert(row, pk=keys)  # type: ignore[union-attr]

    def put(self, write: StateWrite) -> None:
        with self.transaction() as db:
            self._put(db, write)

    def get(self, table: str, **keys: str) -> dict[str, Any] | None:
        columns = STATE_TABLES[table]
        where = " AND ".join(f"[{c}] = ?" for c in columns)
        row = self.db.execute(
            f"SELECT record FROM [{table}] WHERE {where}",
            [keys[c] for c in columns],
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def rows(self, table: str, **keys: str) -> list[dict[str, Any]]:
        """Records of ``table`` whose key columns equal ``keys`` (a prefix
        of the key is fine), with the key columns merged in."""
        columns = STATE_TABLES[table]
        clauses = [f"[{c}] = ?" for c in columns if c in keys]
        sql = f"SELECT * FROM [{table}]"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        params = [keys[c] for c in columns if c in keys]
        out = []
        for row in self.db.query(sql, params):
            record = dict(json.loads(row["record"]))
            out.append({**record, **{c: row[c] for c in columns}})
        return out

    def statements(self, run_id: str, model: str) -> list[str] | None:
        record = self.get("run_statements", run_id=run_id, model=model)
        return None if record is None else list(record["statements"])

    def watermark(self, table_key: str) -> str | None:
        record = self.get("watermarks", table_key=table_key)
        return None if record is None else record.get("last_value")
