"""Two ``rocky run`` processes on one project: the second waits for the
ledger or fails with one line; the file is never corrupted."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from run_helpers import cli, write_project

from rocky.ledger import Ledger
from rocky.runlock import RunLock

pytestmark = pytest.mark.slow


def _start(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rocky.cli", "-o", "json", "run", *args],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_until_locked(state: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while RunLock.held_by(state) is None:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_second_run_fails_clearly_while_the_first_holds_the_ledger(tmp_path: Path) -> None:
    root = write_project(tmp_path, {
        "slow": "SELECT SUM(range) AS s FROM range(1000000000000)",
    })
    state = root / ".rocky-state.sqlite"
    first = _start(root)
    try:
        _wait_until_locked(state, first)
        second = cli("run", "--lock-timeout", "1", cwd=root)
        assert second.returncode == 1
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1
        assert "another rocky run is writing this ledger" in lines[0]
        assert f"pid {first.pid}" in lines[0]
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=60)
    assert first.returncode == 130
    with Ledger(state) as ledger:
        assert ledger.verify_chain().ok
        assert len(ledger.run_ids()) == 1


def test_second_run_waits_for_the_first_then_runs(tmp_path: Path) -> None:
    # ~1-3 s of work: long enough to overlap, short enough to wait for.
    root = write_project(tmp_path, {
        "busy": "SELECT SUM(range) AS s FROM range(600000000)",
    })
    state = root / ".rocky-state.sqlite"
    first = _start(root)
    _wait_until_locked(state, first)
    second = _start(root, "--lock-timeout", "120")
    out1, err1 = first.communicate(timeout=180)
    out2, err2 = second.communicate(timeout=180)
    assert first.returncode == 0, err1
    assert second.returncode == 0, err2
    one, two = json.loads(out1), json.loads(out2)
    with Ledger(state) as ledger:
        report = ledger.verify_chain()
        order = ledger.run_ids()
    assert report.ok and report.runs_checked == 2
    assert order == sorted([one["run_id"], two["run_id"]])
