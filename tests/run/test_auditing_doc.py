"""docs/auditing.md is executable: its shell blocks run, in order, against a
real run of the playground in a git repository, with sqlite3, git and a
blake3 tool; its SQL blocks run on the warehouse through a SQL client."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from run_helpers import cli

from rocky.playground import create_playground

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("sqlite3") is None, reason="needs the sqlite3 shell"),
]

DOC = Path(__file__).resolve().parents[2] / "docs" / "auditing.md"
IDENTITY = "auditor-check@example.com"


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", DOC.read_text(), flags=re.S)


def bash(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # python3 on PATH is this interpreter, which has the blake3 package.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        cwd=cwd, capture_output=True, text=True, env=env, timeout=120,
    )


@pytest.fixture
def audited(tmp_path: Path) -> Path:
    project = tmp_path / "demo"
    create_playground(project)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    subprocess.run(
        ["git", "-c", "user.email=dev@example.com", "-c", "user.name=Dev", "add", "-A"],
        cwd=tmp_path, check=True,
    )
    subprocess.run(
        ["git", "-c", "user.email=dev@example.com", "-c", "user.name=Dev",
         "commit", "-q", "-m", "playground"],
        cwd=tmp_path, check=True,
    )
    done = cli("-o", "json", "run", cwd=project, env={"ROCKY_IDENTITY": IDENTITY})
    assert done.returncode == 0, done.stderr
    return project


def test_every_auditing_step_runs_against_a_real_run(audited: Path) -> None:
    shell = blocks("sh")
    assert len(shell) >= 6
    done = bash("\n".join(shell), audited)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    with sqlite3.connect(audited / ".rocky-state.sqlite") as con:
        run_id, commit = con.execute(
            "SELECT run_id, json_extract(record, '$.git_commit') FROM run_history"
        ).fetchone()
    assert f"run: {run_id}" in out
    assert f"who = {IDENTITY}" in out
    assert f"commit: {commit} (uncommitted changes: 0)" in out
    assert "FROM stg_customers AS c" in out  # the model file at the commit
    for line in (
        "config_hash matches rocky.toml",
        "sql_hash matches the recorded statements",
        "every link in the chain holds",
        "the newest record is the recorded head",
        "record hashes checked",
    ):
        assert line in out
    assert "was modified" not in out
    assert out.strip().splitlines()[-1] == "record hashes checked"

    # The SQL client step: the warehouse agrees with what the run recorded.
    with sqlite3.connect(audited / ".rocky-state.sqlite") as con:
        recorded = con.execute(
            "SELECT json_extract(m.value, '$.output_rows'), "
            "json_extract(m.value, '$.output_columns') "
            "FROM run_history, json_each(run_history.record, '$.models_executed') AS m "
            "WHERE json_extract(m.value, '$.model_name') = 'customer_revenue'"
        ).fetchone()
    sql = blocks("sql")
    assert len(sql) == 1
    count_sql, describe_sql = [s.strip() for s in sql[0].split(";") if s.strip()]
    with duckdb.connect(str(audited / "playground.duckdb"), read_only=True) as con:
        count = con.execute(count_sql).fetchone()
        described = con.execute(describe_sql).fetchall()
    assert count is not None and count[0] == recorded[0]
    assert [row[0] for row in described] == [c["name"] for c in json.loads(recorded[1])]


def test_the_tamper_check_names_an_edited_record(audited: Path) -> None:
    with sqlite3.connect(audited / ".rocky-state.sqlite") as con:
        con.execute(
            "UPDATE run_history SET record = json_set(record, '$.triggering_identity', 'x')"
        )
    done = bash("\n".join(blocks("sh")), audited)
    assert done.returncode == 0, done.stderr
    assert "record 1 was modified" in done.stdout
    # The links still hold (only one record changed), so only the hash check fires.
    assert "every link in the chain holds" in done.stdout
