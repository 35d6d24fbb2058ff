"""One writer at a time: the run lock across processes, and concurrent
writers of the same SQLite file."""

from __future__ import annotations

import multiprocessing
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rocky.ledger import Ledger, StateWrite
from rocky.runlock import LedgerLockedError, RunLock

HOLD = """
import sys, time
from rocky.runlock import RunLock, lock_holder
lock = RunLock(sys.argv[1], timeout=5)
lock.acquire(lock_holder("run-20260101-000000-000"))
print("held", flush=True)
time.sleep(120)
"""


def _hold(path: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_process_waits_then_fails_naming_the_holder(tmp_path: Path) -> None:
    path = tmp_path / ".rocky-state.sqlite"
    holder = _hold(path)
    try:
        assert RunLock.held_by(path) is not None
        started = time.monotonic()
        with pytest.raises(LedgerLockedError) as caught, RunLock(path, timeout=0.5) as lock:
            lock.acquire({"run_id": "second"})
        assert time.monotonic() - started >= 0.5
        message = str(caught.value)
        assert "run-20260101-000000-000" in message
        assert f"pid {holder.pid}" in message
        assert "\n" not in message
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.communicate()
    # The kernel released the dead holder's lock.
    assert RunLock.held_by(path) is None
    with RunLock(path, timeout=1) as lock:
        lock.acquire({"run_id": "third"})
        assert RunLock.held_by(path) == {"run_id": "third"}
    assert RunLock.held_by(path) is None


def _writer(path: str, tag: str, count: int) -> None:
    with Ledger(path) as ledger:
        for i in range(count):
            ledger.put(StateWrite("loaded_files", {"key": f"{tag}-{i}"}, {"n": i}))


def test_concurrent_writers_never_corrupt_the_file(tmp_path: Path) -> None:
    path = str(tmp_path / ".rocky-state.sqlite")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(path, t, 60)) for t in ("a", "b", "c")]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
        assert w.exitcode == 0
    with Ledger(path) as ledger:
        assert len(ledger.rows("loaded_files")) == 180
        check = ledger.db.execute("PRAGMA integrity_check").fetchone()[0]
    assert check == "ok"
