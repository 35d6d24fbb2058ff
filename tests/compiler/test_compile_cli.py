"""``rocky compile`` and ``rocky emit-sql`` through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from compiler_helpers import write_project
from typer.testing import CliRunner

from rocky.cli.app import _register_commands, app

FILES = {
    "data/seed.sql": "CREATE TABLE src (id INTEGER NOT NULL, name VARCHAR);",
    "models/a.sql": "SELECT id, name FROM src",
    "models/b.sql": "SELECT id, UPPER(name) AS name FROM a WHERE id > @var(min_id, 0)",
    "models/b.toml": '[tags]\nteam = "core"\n',
}


@pytest.fixture
def runner() -> CliRunner:
    _register_commands()
    return CliRunner()


def _run(runner: CliRunner, root: Path, *args: str) -> tuple[int, str]:
    """Exit code and stdout (the report; an `error:` line goes to stderr)."""
    result = runner.invoke(app, ["-c", str(root / "rocky.toml"), *args])
    return result.exit_code, result.stdout


def test_compile_json_shape(runner: CliRunner, tmp_path: Path) -> None:
    root = write_project(tmp_path, FILES)
    code, out = _run(runner, root, "compile", "--with-seed", "-o", "json")
    assert code == 0, out
    data = json.loads(out)
    assert data["command"] == "compile" and data["models"] == 2 and data["execution_layers"] == 2
    assert data["has_errors"] is False
    assert set(data["compile_timings"]) == {
        "total_ms",
        "project_load_ms",
        "semantic_graph_ms",
        "typecheck_ms",
        "typecheck_join_keys_ms",
        "contracts_ms",
    }
    b = data["models_detail"][1]
    assert b["name"] == "b" and b["depends_on"] == ["a"] and b["tags"] == {"team": "core"}
    assert b["strategy"] == {"type": "full_refresh"}
    assert b["target"] == {"catalog": "wh", "schema": "main", "table": "b"}
    assert b["columns"] == [
        {"name": "id", "type": "Int32", "nullable": False},
        {"name": "name", "type": "String", "nullable": True},
    ]
    assert "freshness" not in b and "contract_source" not in b


def test_compile_exit_code_and_table_output(runner: CliRunner, tmp_path: Path) -> None:
    root = write_project(tmp_path, {**FILES, "models/c.sql": "SELECT FROM WHERE"})
    code, out = _run(runner, root, "compile", "-o", "table")
    assert code == 1
    assert "✓ a (2 columns)" in out and "✗ c (0 columns)" in out and "E002" in out
    assert "1 errors" in out


def test_compile_var_and_model_options(runner: CliRunner, tmp_path: Path) -> None:
    root = write_project(tmp_path, {"models/m.sql": "SELECT @var(x) AS x"})
    code, out = _run(runner, root, "compile", "-o", "json")
    assert code == 1 and json.loads(out)["diagnostics"][0]["code"] == "E028"
    code, out = _run(runner, root, "compile", "--var", "x=1.5", "-o", "json", "--model", "m")
    assert code == 0 and json.loads(out)["models_detail"][0]["columns"][0]["type"] == "Decimal(2,1)"
    code, out = _run(runner, root, "compile", "--var", "oops")
    assert code != 0


def test_emit_sql(runner: CliRunner, tmp_path: Path) -> None:
    root = write_project(tmp_path, FILES)
    code, out = _run(runner, root, "emit-sql", "b", "--dialect", "bigquery", "--var", "min_id=5")
    assert code == 0
    assert "UPPER(name) AS name" in out and "id > 5" in out
    code, out = _run(runner, root, "emit-sql", "b", "-o", "json")
    assert code == 0 and json.loads(out)["command"] == "emit-sql"


@pytest.mark.slow
def test_subprocess_exit_codes(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"models/m.sql": "SELECT 1 AS x"})
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "rocky.cli",
            "-c",
            str(root / "rocky.toml"),
            "compile",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert ok.returncode == 0, ok.stderr
    (root / "models/m.sql").write_text("SELEC 1")
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "rocky.cli",
            "-c",
            str(root / "rocky.toml"),
            "compile",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert bad.returncode == 1 and json.loads(bad.stdout)["has_errors"] is True
    missing = subprocess.run(
        [sys.executable, "-m", "rocky.cli", "-c", str(root / "rocky.toml"), "emit-sql", "nope"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert missing.returncode == 1 and missing.stderr.startswith("error: no model named 'nope'")
