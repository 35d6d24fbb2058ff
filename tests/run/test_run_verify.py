"""``rocky replay <run> --verify`` against real runs in a real git repo."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest
from run_helpers import cli, run_json, write_project

pytestmark = pytest.mark.slow

MODELS = {
    "base": "SELECT * FROM (VALUES (1, 'a', TIMESTAMP '2026-01-01 00:00:00'), "
    "(2, 'b', TIMESTAMP '2026-01-02 00:00:00')) AS v(id, grp, ts)",
    "by_grp": "SELECT grp, COUNT(*) AS n FROM base GROUP BY grp",
    "log": "SELECT id, ts FROM base",
}
SIDECARS = {"log": '[strategy]\ntype = "incremental"\ntimestamp_column = "ts"\n'}


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=dev@example.com", "-c", "user.name=Dev", *args],
        cwd=root, capture_output=True, text=True, check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "project", MODELS, SIDECARS)
    (root / ".gitignore").write_text("wh.duckdb*\n.rocky-state.sqlite*\n.rocky/\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "models")
    return root


def verify(root: Path, run_id: str = "latest") -> tuple[int, dict[str, Any]]:
    done = cli("-o", "json", "replay", run_id, "--verify", cwd=root)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {v["model_name"]: v["verdict"] for v in report["verdicts"]}


def test_a_clean_run_verifies_including_rebuilt_statements(repo: Path) -> None:
    assert run_json(repo)[0] == 0
    assert run_json(repo)[0] == 0  # the incremental model now inserts past a watermark
    code, report = verify(repo)
    assert code == 0, report
    assert report["verified"] is True and report["chain"]["ok"] is True
    assert verdicts(report) == {"base": "ok", "by_grp": "ok", "log": "ok"}
    for v in report["verdicts"]:
        assert v["checks"]["recompiled_sql_hash"] == "ok"
        assert v["checks"]["statements"] == "ok"
        assert v["checks"]["schema"] == "ok"
    head = git(repo, "rev-parse", "HEAD")
    assert report["git_commit"] == head and report["git_dirty"] is False


def test_a_table_changed_out_of_band_is_caught(repo: Path) -> None:
    run_json(repo)
    with duckdb.connect(str(repo / "wh.duckdb")) as con:
        con.execute("INSERT INTO wh.main.by_grp VALUES ('zzz', 99)")
        con.execute("ALTER TABLE wh.main.log ADD COLUMN extra INTEGER")
    code, report = verify(repo)
    assert code == 1
    assert report["verified"] is False
    assert verdicts(report) == {"base": "ok", "by_grp": "mismatch", "log": "mismatch"}
    problems = {v["model_name"]: v["problems"] for v in report["verdicts"]}
    assert problems["by_grp"] == ["wh.main.by_grp has 3 rows; the run recorded 2"]
    assert problems["log"] == ["columns of wh.main.log differ from the recorded ones"]


def test_verify_rebuilds_from_the_run_commit_not_the_working_tree(repo: Path) -> None:
    code, first = run_json(repo)
    assert code == 0
    doubled = "SELECT grp, COUNT(*) * 2 AS n FROM base GROUP BY grp"
    (repo / "models" / "by_grp.sql").write_text(doubled)
    git(repo.parent, "commit", "-q", "-am", "double it")
    code, report = verify(repo, first["run_id"])
    assert code == 0, report["notes"]
    assert verdicts(report)["by_grp"] == "ok"


def test_a_run_from_a_dirty_tree_does_not_verify(repo: Path) -> None:
    (repo / "models" / "by_grp.sql").write_text("SELECT grp, 1 AS n FROM base GROUP BY grp")
    code, _ = run_json(repo)
    assert code == 0
    code, report = verify(repo)
    assert code == 1
    by_grp = next(v for v in report["verdicts"] if v["model_name"] == "by_grp")
    assert by_grp["checks"]["recompiled_sql_hash"] == "mismatch"
    assert any("uncommitted changes" in n for n in report["notes"])
    assert report["git_dirty"] is True


def test_tampered_statements_and_chain_are_caught(repo: Path) -> None:
    run_json(repo)
    state = repo / ".rocky-state.sqlite"
    with sqlite3.connect(state) as con:
        con.execute(
            "UPDATE run_statements SET record = json_set(record, '$.statements[0]', "
            "'CREATE OR REPLACE TABLE x AS SELECT 1') WHERE model = 'base'"
        )
    code, report = verify(repo)
    assert code == 1
    base = next(v for v in report["verdicts"] if v["model_name"] == "base")
    assert base["checks"]["statements"] == "mismatch"

    with sqlite3.connect(state) as con:
        con.execute("UPDATE run_history SET record = json_set(record, '$.hostname', 'elsewhere')")
    code, report = verify(repo)
    assert code == 1 and report["chain"]["ok"] is False


def test_an_older_run_is_superseded_not_mismatched(repo: Path) -> None:
    _, first = run_json(repo)
    run_json(repo)
    code, report = verify(repo, first["run_id"])
    assert code == 0
    assert set(verdicts(report).values()) == {"superseded"}
