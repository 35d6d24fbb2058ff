"""The one-writer-at-a-time lock for ``rocky run`` and ``rocky seed``: an
exclusive OS lock on ``<ledger>.lock``. The kernel releases it when its
holder exits, even on ``kill -9``, so a crashed run never blocks the next.
The file holds the holder's ``{run_id, pid, hostname, since}`` so a waiting
process can say who it waits for.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import IO, Any

from rocky.ledger import LedgerError
from rocky.records import rfc3339, utc_now

__all__ = ["LedgerLockedError", "RunLock", "lock_holder"]


class LedgerLockedError(LedgerError):
    """Another process holds the run lock."""


class RunLock:
    """The one-writer-at-a-time lock for ``rocky run``: an exclusive OS lock
    on ``<ledger>.lock``. A second process waits up to ``timeout`` seconds,
    then fails with a line naming the holder."""

    def __init__(self, ledger_path: Path | str, *, timeout: float = 30.0) -> None:
        self.path = Path(f"{ledger_path}.lock")
        self.timeout = timeout
        self._handle: IO[str] | None = None

    def acquire(self, holder: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release
        deadline = time.monotonic() + self.timeout
        while not _try_lock(handle):
            if time.monotonic() >= deadline:
                handle.seek(0)
                who = handle.read().strip()
                handle.close()
                raise LedgerLockedError(
                    f"another rocky run is writing this ledger ({_describe(who)}); "
                    f"gave up after waiting {self.timeout:g}s",
                    file=self.path,
                    hint="wait for it to finish, or raise --lock-timeout",
                )
            time.sleep(0.1)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(holder, sort_keys=True))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        with contextlib.suppress(OSError):
            handle.seek(0)
            handle.truncate()
            handle.flush()
        _unlock(handle)
        handle.close()

    @staticmethod
    def held_by(ledger_path: Path | str) -> dict[str, Any] | None:
        """The holder of the lock on ``ledger_path`` (None when free)."""
        path = Path(f"{ledger_path}.lock")
        if not path.is_file():
            return None
        with open(path, "a+", encoding="utf-8") as handle:
            if _try_lock(handle):
                _unlock(handle)
                return None
            handle.seek(0)
            text = handle.read().strip()
        try:
            holder = json.loads(text)
        except ValueError:
            return {}
        return holder if isinstance(holder, dict) else {}

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _describe(holder_json: str) -> str:
    try:
        holder = json.loads(holder_json)
    except ValueError:
        return "holder unknown"
    if not isinstance(holder, dict):
        return "holder unknown"
    parts = [str(holder.get("run_id", "?"))]
    if holder.get("pid"):
        parts.append(f"pid {holder['pid']}")
    if holder.get("hostname"):
        parts.append(f"on {holder['hostname']}")
    if holder.get("since"):
        parts.append(f"since {holder['since']}")
    return " ".join(parts)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(handle: IO[str]) -> bool:
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[str]) -> None:
        with contextlib.suppress(OSError):
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle: IO[str]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(handle: IO[str]) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def lock_holder(run_id: str) -> dict[str, Any]:
    """What a lock file says about its holder."""
    from rocky.identity import hostname

    return {
        "run_id": run_id,
        "pid": os.getpid(),
        "hostname": hostname(),
        "since": rfc3339(utc_now()),
    }
