"""Opening the ledger's SQLite file, and what to tell the user when that
fails.

Inspection opens the file read-only (``mode=ro``), so an auditor can read a
copy they may not write. A WAL-mode file in a directory the reader may not
write needs one more step: SQLite cannot create the shared-memory file
beside it, so the file is read as immutable, which is exact as long as no
write-ahead log with unmerged pages lies beside it.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

__all__ = ["connect", "what_to_do"]


def connect(path: Path, *, readonly: bool, busy_timeout: float) -> sqlite3.Connection:
    """A connection to the ledger at ``path`` (created, with its directory,
    unless ``readonly``). sqlite3.DatabaseError when SQLite refuses it."""
    if not readonly:
        path.parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(str(path), timeout=busy_timeout)
    uri = f"{path.resolve().as_uri()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout)
    try:
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.OperationalError:
        conn.close()
        wal = path.with_name(path.name + "-wal")
        if os.access(path.parent, os.W_OK) or (wal.exists() and wal.stat().st_size):
            raise
        conn = sqlite3.connect(f"{uri}&immutable=1", uri=True, timeout=busy_timeout)
    return conn


def what_to_do(exc: sqlite3.DatabaseError, *, readonly: bool) -> str:
    """The hint for an SQLite error, by its kind."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return "another process holds a write lock on it; let it finish, then rerun"
    if "readonly" in text or "read-only" in text:
        return "make the file and its directory writable, or pass --state-path to use another"
    if "unable to open" in text:
        return (
            "check that its directory exists and is readable"
            if readonly
            else "check that its directory is writable, or pass --state-path to use another"
        )
    return (
        "it is not a rocky ledger, or it is damaged; it was left as it was: "
        "pass --state-path to use another file"
    )
