"""A run killed with SIGKILL, or stopped with Ctrl-C, leaves a ledger that
opens, says the run did not finish, and claims no table it did not build."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from run_helpers import cli, run_json, write_project

from rocky.ledger import Ledger

pytestmark = pytest.mark.slow

FIRST = "SELECT * FROM (VALUES (1), (2), (3)) AS v(n)"
# Runs for hours unless cancelled: the run is always caught inside it.
SLOW = "SELECT SUM(range) + (SELECT COUNT(*) FROM first) AS s FROM range(1000000000000)"


def _project(root: Path) -> Path:
    return write_project(
        root, {"first": FIRST, "second": "SELECT n * 10 AS n FROM first", "slow": SLOW}
    )


def _start(root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rocky.cli", "-o", "json", "run"],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_for_models(ledger: Path, wanted: set[str], proc: subprocess.Popen[str]) -> None:
    """Poll the ledger (as any reader could) until ``wanted`` are recorded."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if ledger.exists():
            with sqlite3.connect(ledger) as con:
                try:
                    rows = con.execute(
                        "SELECT json_extract(m.value, '$.model_name') FROM run_history, "
                        "json_each(run_history.record, '$.models_executed') AS m"
                    ).fetchall()
                except sqlite3.OperationalError:
                    rows = []
            if wanted <= {r[0] for r in rows}:
                time.sleep(0.5)  # let the slow model's statement start
                return
        time.sleep(0.1)
    raise AssertionError(f"{wanted} never recorded")


def _tables(db: Path) -> set[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    return {r[0] for r in rows}


def test_kill_9_mid_run_leaves_a_consistent_ledger(tmp_path: Path) -> None:
    root = _project(tmp_path)
    state = root / ".rocky-state.sqlite"
    proc = _start(root)
    _wait_for_models(state, {"first", "second"}, proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    with Ledger(state) as ledger:
        assert ledger.verify_chain().ok
        record = ledger.get_run("latest")
    assert record.finished_at is None
    assert record.status == "Failure" and record.interrupted
    statuses = {m.model_name: m.status for m in record.models_executed}
    assert statuses == {"first": "success", "second": "success"}
    # Nothing claims success without its table; the killed model left none.
    tables = _tables(root / "wh.duckdb")
    assert {"first", "second"} <= tables
    assert "slow" not in tables

    history = json.loads(cli("-o", "json", "history", cwd=root).stdout)
    assert history["runs"][0]["status"] == "failure"
    assert history["runs"][0]["interrupted"] is True

    # The next run takes the lock the dead process held and extends the chain.
    (root / "models" / "slow.sql").write_text("SELECT COUNT(*) AS s FROM first")
    code, report = run_json(root)
    assert code == 0, report
    with Ledger(state) as ledger:
        report_chain = ledger.verify_chain()
        assert report_chain.ok and report_chain.runs_checked == 2


def test_ctrl_c_cancels_records_interrupted_and_exits_130(tmp_path: Path) -> None:
    root = _project(tmp_path)
    state = root / ".rocky-state.sqlite"
    proc = _start(root)
    _wait_for_models(state, {"first", "second"}, proc)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert time.monotonic() - started < 30, "the running statement was not cancelled"
    assert proc.returncode == 130, err
    report = json.loads(out)
    assert report["interrupted"] is True
    assert report["status"] == "Failure"

    with Ledger(state) as ledger:
        assert ledger.verify_chain().ok
        record = ledger.get_run("latest")
    assert record.interrupted and record.finished_at is not None
    slow = record.model("slow")
    assert slow is not None and slow.status == "failed"
    assert "slow" not in _tables(root / "wh.duckdb")


def test_sigterm_stops_a_run_like_ctrl_c(tmp_path: Path) -> None:
    root = _project(tmp_path)
    proc = _start(root)
    _wait_for_models(root / ".rocky-state.sqlite", {"first", "second"}, proc)
    os.kill(proc.pid, signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert json.loads(out)["interrupted"] is True
