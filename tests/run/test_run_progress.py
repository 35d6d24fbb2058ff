"""The live progress line: on a terminal for a run longer than a moment,
never in JSON mode."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from run_helpers import write_project

pytestmark = pytest.mark.slow


def _run_with_tty_stderr(root: Path, *args: str) -> tuple[int, str, str]:
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rocky.cli", *args, "run"],
            cwd=root, stdout=subprocess.PIPE, stderr=slave, text=True,
            env={**os.environ, "COLUMNS": "120"},
        )
        os.close(slave)
        out, _ = proc.communicate(timeout=180)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed its end
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    return proc.returncode, out, b"".join(chunks).decode(errors="replace")


def test_progress_shows_on_a_terminal_and_not_in_json(tmp_path: Path) -> None:
    # busy runs for seconds, so the line (drawn from half a second on, at 8
    # frames a second) shows it running even on a loaded machine.
    root = write_project(tmp_path, {
        "quick": "SELECT 1 AS one",
        "busy": "SELECT SUM(range) AS s FROM range(2500000000)",
    })
    code, out, err = _run_with_tty_stderr(root, "-o", "table")
    assert code == 0, err
    assert "rocky run" in err and "models" in err
    assert "running: busy" in err
    assert "Success" in out

    code, out, err = _run_with_tty_stderr(root, "-o", "json")
    assert code == 0
    assert "rocky run" not in err
    assert out.lstrip().startswith("{")
